// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The registers and instructions the hardening checks try: pointer
//! authentication, the PMU's EL2 filters, the auxiliary control
//! register, guest RAM the loader may have dirtied; and a trampoline
//! that runs one system-register access built at run time.
//! Each access that may trap is made under `exception::catching` by the
//! caller, as one instruction.

use selftest::MAX_CPUS;

sysreg_read!(isar1, "id_aa64isar1_el1");
sysreg_read!(isar2, "s3_0_c0_c6_2");
sysreg_read!(dfr0, "id_aa64dfr0_el1");
sysreg_read!(pfr0, "id_aa64pfr0_el1");
sysreg_read!(pfr1, "id_aa64pfr1_el1");

/// One MRS of ACTLR_EL1, which may be UNDEFINED (the caller catches it).
pub fn read_actlr() -> u64 {
    let v: u64;
    // SAFETY: a read of a control register; if it traps, the armed
    // handler steps over it.
    unsafe { core::arch::asm!("mrs {}, actlr_el1", out(reg) v) };
    v
}

/// One MRS of ERRIDR_EL1, the RAS error record count, which must be
/// UNDEFINED (the caller catches it).
pub fn read_erridr() -> u64 {
    let v: u64;
    // SAFETY: as read_actlr.
    unsafe { core::arch::asm!("mrs {}, s3_0_c5_c3_0", out(reg) v) };
    v
}

/// Set the APIA key (one MSR each half: each may trap).
pub fn set_apia_key_lo(v: u64) {
    // SAFETY: the key register only affects PAC instructions, which this
    // image runs only in `pac_roundtrip`.
    unsafe { core::arch::asm!("msr s3_0_c2_c1_0, {}", in(reg) v) };
}

pub fn set_apia_key_hi(v: u64) {
    // SAFETY: as set_apia_key_lo.
    unsafe { core::arch::asm!("msr s3_0_c2_c1_1, {}", in(reg) v) };
}

/// SCTLR_EL1.EnIA on or off (this image's code has no PAC instructions
/// but `pac_roundtrip`'s, so turning it on changes nothing else).
pub fn enable_ia(on: bool) {
    const EN_IA: u64 = 1 << 31;
    // SAFETY: toggles only the APIA enable bit of SCTLR_EL1.
    unsafe {
        core::arch::asm!(
            "mrs {t}, sctlr_el1",
            "bic {t}, {t}, {m}",
            "orr {t}, {t}, {b}",
            "msr sctlr_el1, {t}",
            "isb",
            t = out(reg) _,
            m = in(reg) EN_IA,
            b = in(reg) if on { EN_IA } else { 0 },
        )
    };
}

/// PACIA `p` with modifier `m` (one instruction, `.inst` so the assembler
/// needs no pauth extension).
pub fn pacia(p: u64, m: u64) -> u64 {
    let mut x = p;
    // SAFETY: pure register arithmetic (PACIA x0, x1).
    unsafe { core::arch::asm!(".inst 0xdac10020", inout("x0") x, in("x1") m) };
    x
}

/// AUTIA `p` with modifier `m`.
pub fn autia(p: u64, m: u64) -> u64 {
    let mut x = p;
    // SAFETY: pure register arithmetic (AUTIA x0, x1); a failed check
    // only corrupts the value.
    unsafe { core::arch::asm!(".inst 0xdac11020", inout("x0") x, in("x1") m) };
    x
}

/// PMU set-up for "count at EL2 only": the cycle counter and event
/// counter 0 (CPU_CYCLES) filtered to EL2 (P and U exclude EL1 and EL0,
/// NSH includes EL2), reset and enabled.
pub fn pmu_count_el2_only() {
    const FILTER: u64 = (1 << 31) | (1 << 30) | (1 << 27);
    const CPU_CYCLES: u64 = 0x11;
    // SAFETY: PMU registers only; the counters are this guest's.
    unsafe {
        core::arch::asm!(
            "msr pmcntenclr_el0, {all}",
            "msr pmccfiltr_el0, {f}",
            "msr pmselr_el0, xzr",
            "msr pmxevtyper_el0, {ev}",
            "msr pmcr_el0, {pmcr}",
            "isb",
            "msr pmcntenset_el0, {en}",
            "isb",
            all = in(reg) u64::MAX >> 32,
            f = in(reg) FILTER,
            ev = in(reg) FILTER | CPU_CYCLES,
            pmcr = in(reg) 0b111u64, // E, P (reset events), C (reset cycles)
            en = in(reg) (1u64 << 31) | 1,
        )
    };
}

/// Stop the counters and read (cycle counter, event counter 0).
pub fn pmu_stop() -> (u64, u64) {
    let (c, e): (u64, u64);
    // SAFETY: PMU registers only.
    unsafe {
        core::arch::asm!(
            "msr pmcntenclr_el0, {all}",
            "isb",
            "mrs {c}, pmccntr_el0",
            "msr pmselr_el0, xzr",
            "isb",
            "mrs {e}, pmxevcntr_el0",
            "msr pmccfiltr_el0, xzr",
            "msr pmcr_el0, xzr",
            all = in(reg) u64::MAX >> 32,
            c = out(reg) c,
            e = out(reg) e,
        )
    };
    (c, e)
}

/// PMCR_EL0.N: the event counters the guest has.
pub fn pmu_counters() -> u64 {
    (pmcr() >> 11) & 0x1f
}

sysreg_read!(pmcr, "pmcr_el0");
sysreg_read!(pmceid0, "pmceid0_el0");

/// Busy work for the counters to count: `n` iterations of a few
/// instructions each.
#[inline(never)]
pub fn spin(n: u64) {
    for i in 0..n {
        core::hint::black_box(i);
    }
}

/// The cycle counter with filter `filter` (PMCCFILTR_EL0), reset and
/// enabled across `spin(loops)`, then stopped: (PMCCNTR_EL0, the filter
/// read back).
pub fn pmu_cycles(filter: u64, loops: u64) -> (u64, u64) {
    // SAFETY: PMU registers only; the counters are this guest's.
    unsafe {
        core::arch::asm!(
            "msr pmcntenclr_el0, {all}",
            "msr pmccfiltr_el0, {f}",
            "msr pmcr_el0, {pmcr}",
            "isb",
            "msr pmcntenset_el0, {en}",
            "isb",
            all = in(reg) u64::MAX >> 32,
            f = in(reg) filter,
            pmcr = in(reg) 0b101u64, // E, C (reset the cycle counter)
            en = in(reg) 1u64 << 31,
        )
    };
    spin(loops);
    let (c, f): (u64, u64);
    // SAFETY: PMU registers only.
    unsafe {
        core::arch::asm!(
            "msr pmcntenclr_el0, {all}",
            "isb",
            "mrs {c}, pmccntr_el0",
            "mrs {f}, pmccfiltr_el0",
            "msr pmccfiltr_el0, xzr",
            "msr pmcr_el0, xzr",
            all = in(reg) u64::MAX >> 32,
            c = out(reg) c,
            f = out(reg) f,
        )
    };
    (c, f)
}

/// Event counter 0 set up by PMEVTYPER0_EL0 = `ty`, reset and enabled
/// across `spin(loops)`, then stopped: (PMEVCNTR0_EL0, PMEVTYPER0_EL0 and
/// PMXEVTYPER_EL0 with PMSELR_EL0 = 0 read back).
pub fn pmu_event0(ty: u64, loops: u64) -> (u64, u64, u64) {
    // SAFETY: PMU registers only.
    unsafe {
        core::arch::asm!(
            "msr pmcntenclr_el0, {all}",
            "msr pmevtyper0_el0, {ty}",
            "msr pmevcntr0_el0, xzr",
            "msr pmcr_el0, {pmcr}",
            "isb",
            "msr pmcntenset_el0, {en}",
            "isb",
            all = in(reg) u64::MAX >> 32,
            ty = in(reg) ty,
            pmcr = in(reg) 0b001u64, // E
            en = in(reg) 1u64,
        )
    };
    spin(loops);
    let (c, t, x): (u64, u64, u64);
    // SAFETY: PMU registers only.
    unsafe {
        core::arch::asm!(
            "msr pmcntenclr_el0, {all}",
            "isb",
            "mrs {c}, pmevcntr0_el0",
            "mrs {t}, pmevtyper0_el0",
            "msr pmselr_el0, xzr",
            "isb",
            "mrs {x}, pmxevtyper_el0",
            "msr pmevtyper0_el0, xzr",
            "msr pmcr_el0, xzr",
            all = in(reg) u64::MAX >> 32,
            c = out(reg) c,
            t = out(reg) t,
            x = out(reg) x,
        )
    };
    (c, t, x)
}

/// Software increments, as kvm-unit-tests' pmu test makes them: counters
/// 0 and 1 count SW_INCR (EL0 excluded), counter 0 starting at `start0`,
/// with PMCR_EL0.E = `enable`; `n` writes of PMSWINC_EL0 = 0b11. Returns
/// (PMEVCNTR0_EL0, PMEVCNTR1_EL0, PMOVSCLR_EL0 & 0b11).
pub fn pmu_sw_incr(enable: bool, start0: u64, n: u32) -> (u64, u64, u64) {
    const SW_INCR_NOT_EL0: u64 = 1 << 30;
    // SAFETY: PMU registers only.
    unsafe {
        core::arch::asm!(
            "msr pmcntenclr_el0, {all}",
            "msr pmovsclr_el0, {all}",
            "msr pmevtyper0_el0, {ty}",
            "msr pmevtyper1_el0, {ty}",
            "msr pmevcntr0_el0, {start}",
            "msr pmevcntr1_el0, xzr",
            "msr pmcr_el0, {pmcr}",
            "isb",
            "msr pmcntenset_el0, {en}",
            "isb",
            all = in(reg) u64::MAX >> 32,
            ty = in(reg) SW_INCR_NOT_EL0,
            start = in(reg) start0,
            pmcr = in(reg) u64::from(enable),
            en = in(reg) 0b11u64,
        )
    };
    for _ in 0..n {
        // SAFETY: a software increment of this guest's counters.
        unsafe { core::arch::asm!("msr pmswinc_el0, {}", "isb", in(reg) 0b11u64) };
    }
    let (c0, c1, ovs): (u64, u64, u64);
    // SAFETY: PMU registers only.
    unsafe {
        core::arch::asm!(
            "msr pmcntenclr_el0, {all}",
            "isb",
            "mrs {c0}, pmevcntr0_el0",
            "mrs {c1}, pmevcntr1_el0",
            "mrs {ovs}, pmovsclr_el0",
            "msr pmovsclr_el0, {all}",
            "msr pmevtyper0_el0, xzr",
            "msr pmevtyper1_el0, xzr",
            "msr pmcr_el0, xzr",
            all = in(reg) u64::MAX >> 32,
            c0 = out(reg) c0,
            c1 = out(reg) c1,
            ovs = out(reg) ovs,
        )
    };
    (c0, c1, ovs & 0b11)
}

/// One MRS of PMEVCNTR<n>_EL0 (n 0..=30: op0 3, op1 3, CRn 14, CRm 8 +
/// n / 8, op2 n % 8), which is UNDEFINED for a counter the PMU does not
/// have (the caller catches it).
pub fn read_pmevcntr(n: u64) -> u64 {
    let n = n.min(30) as u32;
    exec(sysreg_insn(false, 3, 14, 8 + n / 8, n % 8), 0)
}

/// One MRS of PMEVTYPER<n>_EL0 (n 0..=30: CRm 12 + n / 8), as
/// [`read_pmevcntr`].
pub fn read_pmevtyper(n: u64) -> u64 {
    let n = n.min(30) as u32;
    exec(sysreg_insn(false, 3, 14, 12 + n / 8, n % 8), 0)
}

/// How many forms [`access`] knows.
pub const ACCESS_FORMS: u64 = 11;

/// One load or store of form `form` (0..ACCESS_FORMS: byte, half, word,
/// doubleword, pair, post- and pre-indexed; with and without a valid
/// syndrome) at `addr`, 16-byte aligned, expected to abort (the caller
/// catches it).
pub fn access(form: u64, addr: u64, v: u64) {
    // SAFETY: each is one load or store to a page mapped as device memory
    // that the VM does not own; the armed handler steps over the abort.
    // The writeback forms only change their scratch register.
    unsafe {
        match form {
            0 => core::arch::asm!("ldrb {v:w}, [{a}]", a = in(reg) addr, v = out(reg) _),
            1 => core::arch::asm!("ldrh {v:w}, [{a}]", a = in(reg) addr, v = out(reg) _),
            2 => core::arch::asm!("ldr {v:w}, [{a}]", a = in(reg) addr, v = out(reg) _),
            3 => core::arch::asm!("ldr {v}, [{a}]", a = in(reg) addr, v = out(reg) _),
            4 => core::arch::asm!("strb {v:w}, [{a}]", a = in(reg) addr, v = in(reg) v),
            5 => core::arch::asm!("str {v:w}, [{a}]", a = in(reg) addr, v = in(reg) v),
            6 => core::arch::asm!("str {v}, [{a}]", a = in(reg) addr, v = in(reg) v),
            7 => {
                core::arch::asm!("ldp {x}, {y}, [{a}]", a = in(reg) addr, x = out(reg) _, y = out(reg) _)
            }
            8 => core::arch::asm!("stp {v}, {v}, [{a}]", a = in(reg) addr, v = in(reg) v),
            9 => core::arch::asm!("ldr {v}, [{a}], #8", a = inout(reg) addr => _, v = out(reg) _),
            _ => core::arch::asm!("str {v}, [{a}, #8]!", a = inout(reg) addr => _, v = in(reg) v),
        }
    }
}

/// Per vCPU: the instruction under test, then RET.
#[repr(C, align(64))]
struct Trampoline([u32; 16]);
static mut TRAMPOLINES: [Trampoline; MAX_CPUS] = [const { Trampoline([0; 16]) }; MAX_CPUS];

const MRS: u32 = 0xd530_0000;
const MSR: u32 = 0xd510_0000;
const RET: u32 = 0xd65f_03c0;

/// The MRS (`write` false) or MSR of x0 for the system register with
/// op0 = 3 and the other fields given.
pub fn sysreg_insn(write: bool, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    (if write { MSR } else { MRS }) | 1 << 19 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5
}

/// Run `insn`, one instruction that reads or writes x0 (x0 = `x0` on the
/// way in), from this vCPU's trampoline; x0 on the way out. An exception
/// it causes is the caller's to catch (`exception::catching`, which steps
/// over it to the RET).
pub fn exec(insn: u32, x0: u64) -> u64 {
    // SAFETY: only this vCPU uses its trampoline; RAM is mapped normal,
    // writable and executable at EL1.
    let t = unsafe { &raw mut TRAMPOLINES[super::cpu_index()] };
    let at = t as u64;
    // SAFETY: `t` is this vCPU's; the cache maintenance makes the new
    // instruction visible to the fetch that follows.
    unsafe {
        core::ptr::write_volatile(&raw mut (*t).0[0], insn);
        core::ptr::write_volatile(&raw mut (*t).0[1], RET);
        core::arch::asm!(
            "dc cvau, {a}", "dsb ish", "ic ivau, {a}", "dsb ish", "isb",
            a = in(reg) at,
        );
    }
    let out: u64;
    // SAFETY: the trampoline is one system-register access of x0 and RET;
    // if the access traps, the caller's armed handler steps to the RET.
    unsafe {
        core::arch::asm!(
            "blr {t}",
            t = in(reg) at,
            inout("x0") x0 => out,
            out("x30") _,
        )
    };
    out
}

/// The first non-zero 64-bit word of `[start, start+len)` (normal memory
/// of this guest's RAM, mapped by `start.rs`), if any.
pub fn first_nonzero(start: u64, len: u64) -> Option<(u64, u64)> {
    (start..start + len).step_by(8).find_map(|a| {
        // SAFETY: an aligned load from this guest's own mapped RAM.
        let v = unsafe { core::ptr::read_volatile(a as *const u64) };
        (v != 0).then_some((a, v))
    })
}
