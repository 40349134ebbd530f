// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The registers and instructions the hardening checks try: pointer
//! authentication, the PMU's EL2 filters, the auxiliary control
//! register, guest RAM the loader may have dirtied.
//! Each access that may trap is made under `exception::catching` by the
//! caller, as one instruction.

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

/// One MRS of PMEVCNTR<n>_EL0 (n 0..=30), which is UNDEFINED for a counter
/// the PMU does not have (the caller catches it).
pub fn read_pmevcntr(n: u64) -> u64 {
    let v: u64;
    // SAFETY: a read of a PMU counter; if it traps, the armed handler
    // steps over it.
    unsafe {
        match n {
            0 => core::arch::asm!("mrs {}, s3_3_c14_c8_0", out(reg) v),
            1 => core::arch::asm!("mrs {}, s3_3_c14_c8_1", out(reg) v),
            2 => core::arch::asm!("mrs {}, s3_3_c14_c8_2", out(reg) v),
            3 => core::arch::asm!("mrs {}, s3_3_c14_c8_3", out(reg) v),
            4 => core::arch::asm!("mrs {}, s3_3_c14_c8_4", out(reg) v),
            5 => core::arch::asm!("mrs {}, s3_3_c14_c8_5", out(reg) v),
            6 => core::arch::asm!("mrs {}, s3_3_c14_c8_6", out(reg) v),
            7 => core::arch::asm!("mrs {}, s3_3_c14_c8_7", out(reg) v),
            8 => core::arch::asm!("mrs {}, s3_3_c14_c9_0", out(reg) v),
            9 => core::arch::asm!("mrs {}, s3_3_c14_c9_1", out(reg) v),
            10 => core::arch::asm!("mrs {}, s3_3_c14_c9_2", out(reg) v),
            11 => core::arch::asm!("mrs {}, s3_3_c14_c9_3", out(reg) v),
            12 => core::arch::asm!("mrs {}, s3_3_c14_c9_4", out(reg) v),
            13 => core::arch::asm!("mrs {}, s3_3_c14_c9_5", out(reg) v),
            14 => core::arch::asm!("mrs {}, s3_3_c14_c9_6", out(reg) v),
            15 => core::arch::asm!("mrs {}, s3_3_c14_c9_7", out(reg) v),
            16 => core::arch::asm!("mrs {}, s3_3_c14_c10_0", out(reg) v),
            17 => core::arch::asm!("mrs {}, s3_3_c14_c10_1", out(reg) v),
            18 => core::arch::asm!("mrs {}, s3_3_c14_c10_2", out(reg) v),
            19 => core::arch::asm!("mrs {}, s3_3_c14_c10_3", out(reg) v),
            20 => core::arch::asm!("mrs {}, s3_3_c14_c10_4", out(reg) v),
            21 => core::arch::asm!("mrs {}, s3_3_c14_c10_5", out(reg) v),
            22 => core::arch::asm!("mrs {}, s3_3_c14_c10_6", out(reg) v),
            23 => core::arch::asm!("mrs {}, s3_3_c14_c10_7", out(reg) v),
            24 => core::arch::asm!("mrs {}, s3_3_c14_c11_0", out(reg) v),
            25 => core::arch::asm!("mrs {}, s3_3_c14_c11_1", out(reg) v),
            26 => core::arch::asm!("mrs {}, s3_3_c14_c11_2", out(reg) v),
            27 => core::arch::asm!("mrs {}, s3_3_c14_c11_3", out(reg) v),
            28 => core::arch::asm!("mrs {}, s3_3_c14_c11_4", out(reg) v),
            29 => core::arch::asm!("mrs {}, s3_3_c14_c11_5", out(reg) v),
            30 => core::arch::asm!("mrs {}, s3_3_c14_c11_6", out(reg) v),
            _ => v = 0,
        }
    }
    v
}

/// One MRS of PMEVTYPER<n>_EL0 (n 0..=30), as [`read_pmevcntr`].
pub fn read_pmevtyper(n: u64) -> u64 {
    let v: u64;
    // SAFETY: as read_pmevcntr.
    unsafe {
        match n {
            0 => core::arch::asm!("mrs {}, s3_3_c14_c12_0", out(reg) v),
            1 => core::arch::asm!("mrs {}, s3_3_c14_c12_1", out(reg) v),
            2 => core::arch::asm!("mrs {}, s3_3_c14_c12_2", out(reg) v),
            3 => core::arch::asm!("mrs {}, s3_3_c14_c12_3", out(reg) v),
            4 => core::arch::asm!("mrs {}, s3_3_c14_c12_4", out(reg) v),
            5 => core::arch::asm!("mrs {}, s3_3_c14_c12_5", out(reg) v),
            6 => core::arch::asm!("mrs {}, s3_3_c14_c12_6", out(reg) v),
            7 => core::arch::asm!("mrs {}, s3_3_c14_c12_7", out(reg) v),
            8 => core::arch::asm!("mrs {}, s3_3_c14_c13_0", out(reg) v),
            9 => core::arch::asm!("mrs {}, s3_3_c14_c13_1", out(reg) v),
            10 => core::arch::asm!("mrs {}, s3_3_c14_c13_2", out(reg) v),
            11 => core::arch::asm!("mrs {}, s3_3_c14_c13_3", out(reg) v),
            12 => core::arch::asm!("mrs {}, s3_3_c14_c13_4", out(reg) v),
            13 => core::arch::asm!("mrs {}, s3_3_c14_c13_5", out(reg) v),
            14 => core::arch::asm!("mrs {}, s3_3_c14_c13_6", out(reg) v),
            15 => core::arch::asm!("mrs {}, s3_3_c14_c13_7", out(reg) v),
            16 => core::arch::asm!("mrs {}, s3_3_c14_c14_0", out(reg) v),
            17 => core::arch::asm!("mrs {}, s3_3_c14_c14_1", out(reg) v),
            18 => core::arch::asm!("mrs {}, s3_3_c14_c14_2", out(reg) v),
            19 => core::arch::asm!("mrs {}, s3_3_c14_c14_3", out(reg) v),
            20 => core::arch::asm!("mrs {}, s3_3_c14_c14_4", out(reg) v),
            21 => core::arch::asm!("mrs {}, s3_3_c14_c14_5", out(reg) v),
            22 => core::arch::asm!("mrs {}, s3_3_c14_c14_6", out(reg) v),
            23 => core::arch::asm!("mrs {}, s3_3_c14_c14_7", out(reg) v),
            24 => core::arch::asm!("mrs {}, s3_3_c14_c15_0", out(reg) v),
            25 => core::arch::asm!("mrs {}, s3_3_c14_c15_1", out(reg) v),
            26 => core::arch::asm!("mrs {}, s3_3_c14_c15_2", out(reg) v),
            27 => core::arch::asm!("mrs {}, s3_3_c14_c15_3", out(reg) v),
            28 => core::arch::asm!("mrs {}, s3_3_c14_c15_4", out(reg) v),
            29 => core::arch::asm!("mrs {}, s3_3_c14_c15_5", out(reg) v),
            30 => core::arch::asm!("mrs {}, s3_3_c14_c15_6", out(reg) v),
            _ => v = 0,
        }
    }
    v
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
