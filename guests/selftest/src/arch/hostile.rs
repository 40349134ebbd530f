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

/// The first non-zero 64-bit word of `[start, start+len)` (normal memory
/// of this guest's RAM, mapped by `start.rs`), if any.
pub fn first_nonzero(start: u64, len: u64) -> Option<(u64, u64)> {
    (start..start + len).step_by(8).find_map(|a| {
        // SAFETY: an aligned load from this guest's own mapped RAM.
        let v = unsafe { core::ptr::read_volatile(a as *const u64) };
        (v != 0).then_some((a, v))
    })
}
