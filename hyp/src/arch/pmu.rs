// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The guest's PMU registers, read and written at EL2 for a trapped access
//! (MDCR_EL2.TPM; what each access does is `hyp::pmu`). A vCPU never
//! leaves its CPU, so these are the guest's own registers. An event
//! counter or type by number goes through PMSELR_EL0 and PMXEV*_EL0, with
//! the guest's PMSELR_EL0 put back.

use aarch64_cpu::asm::barrier;
use hyp::pmu::{Pmu, Reg, Target, CYCLE_COUNTER};

/// `mrs` of one PMU register into a u64.
macro_rules! mrs {
    ($reg:literal) => {{
        let v: u64;
        // SAFETY: reading a PMU register of this CPU's guest has no side
        // effect (none of these is read-sensitive).
        unsafe { core::arch::asm!(concat!("mrs {}, ", $reg), out(reg) v, options(nomem, nostack)) };
        v
    }};
}

/// `msr` of one PMU register.
macro_rules! msr {
    ($reg:literal, $v:expr) => {
        // SAFETY: a PMU register of this CPU's guest, with a value
        // `hyp::pmu` allowed; the PMU touches no memory.
        unsafe { core::arch::asm!(concat!("msr ", $reg, ", {}"), in(reg) $v, options(nomem, nostack)) }
    };
}

/// This CPU's PMU as the decision needs it: PMCR_EL0.N, whether
/// PMMIR_EL1 exists (ID_AA64DFR0_EL1.PMUVer at least PMUv3p4, 5) and
/// whether the CPU has EL3 (ID_AA64PFR0_EL1.EL3).
pub fn this_cpu(pmuver: u64) -> Pmu {
    Pmu {
        n: ((mrs!("pmcr_el0") >> 11) & 0x1f) as u8,
        mmir: pmuver >= 5,
        el3: (mrs!("id_aa64pfr0_el1") >> 12) & 0xf != 0,
    }
}

/// PMSELR_EL0.
pub fn selr() -> u64 {
    mrs!("pmselr_el0")
}

/// Run `f` with PMSELR_EL0 = `n`, then put the guest's back.
fn selected<R>(n: u8, f: impl FnOnce() -> R) -> R {
    let saved = selr();
    msr!("pmselr_el0", u64::from(n));
    barrier::isb(barrier::SY);
    let r = f();
    msr!("pmselr_el0", saved);
    barrier::isb(barrier::SY);
    r
}

/// Read `t`.
pub fn read(t: Target) -> u64 {
    match t {
        Target::EvTyper(CYCLE_COUNTER) => mrs!("pmccfiltr_el0"),
        Target::EvTyper(n) => selected(n, || mrs!("pmxevtyper_el0")),
        Target::EvCntr(n) => selected(n, || mrs!("pmxevcntr_el0")),
        Target::Direct(r) => match r {
            Reg::Pmcr => mrs!("pmcr_el0"),
            Reg::CntenSet => mrs!("pmcntenset_el0"),
            Reg::CntenClr => mrs!("pmcntenclr_el0"),
            Reg::OvsClr => mrs!("pmovsclr_el0"),
            Reg::OvsSet => mrs!("pmovsset_el0"),
            Reg::Selr => mrs!("pmselr_el0"),
            Reg::Ceid0 => mrs!("pmceid0_el0"),
            Reg::Ceid1 => mrs!("pmceid1_el0"),
            Reg::Ccntr => mrs!("pmccntr_el0"),
            Reg::UserEnr => mrs!("pmuserenr_el0"),
            Reg::IntenSet => mrs!("pmintenset_el1"),
            Reg::IntenClr => mrs!("pmintenclr_el1"),
            Reg::Mmir => mrs!("s3_0_c9_c14_6"),
            // Write-only, or resolved to EvCntr/EvTyper by `hyp::pmu`.
            Reg::SwInc | Reg::XevTyper | Reg::XevCntr | Reg::EvCntr(_) | Reg::EvTyper(_) => 0,
        },
    }
}

/// A guest's PMSWINC_EL0 write of `value`, from its EL0 (`el0`) or EL1:
/// the increments `hyp::pmu` computes from the counters' types and
/// counts, written back, overflows set in PMOVSSET_EL0.
pub fn sw_incr(pmu: &Pmu, value: u64, el0: bool) {
    let n = pmu.n.min(31);
    let (mut types, mut counts) = ([0u64; 31], [0u64; 31]);
    for i in 0..n {
        types[usize::from(i)] = read(Target::EvTyper(i));
        counts[usize::from(i)] = read(Target::EvCntr(i));
    }
    let before = counts;
    let (pmcr, enabled) = (mrs!("pmcr_el0"), mrs!("pmcntenset_el0"));
    let overflow = pmu.sw_incr(value, pmcr, enabled, el0, &types, &mut counts);
    for i in (0..n).filter(|&i| counts[usize::from(i)] != before[usize::from(i)]) {
        write(Target::EvCntr(i), counts[usize::from(i)]);
    }
    if overflow != 0 {
        msr!("pmovsset_el0", overflow);
        barrier::isb(barrier::SY);
    }
}

/// Write `v` to `t`.
pub fn write(t: Target, v: u64) {
    match t {
        Target::EvTyper(CYCLE_COUNTER) => msr!("pmccfiltr_el0", v),
        Target::EvTyper(n) => selected(n, || msr!("pmxevtyper_el0", v)),
        Target::EvCntr(n) => selected(n, || msr!("pmxevcntr_el0", v)),
        Target::Direct(r) => match r {
            Reg::Pmcr => msr!("pmcr_el0", v),
            Reg::CntenSet => msr!("pmcntenset_el0", v),
            Reg::CntenClr => msr!("pmcntenclr_el0", v),
            Reg::OvsClr => msr!("pmovsclr_el0", v),
            Reg::OvsSet => msr!("pmovsset_el0", v),
            Reg::SwInc => msr!("pmswinc_el0", v),
            Reg::Selr => msr!("pmselr_el0", v),
            Reg::Ccntr => msr!("pmccntr_el0", v),
            Reg::UserEnr => msr!("pmuserenr_el0", v),
            Reg::IntenSet => msr!("pmintenset_el1", v),
            Reg::IntenClr => msr!("pmintenclr_el1", v),
            // Read-only, or resolved to EvCntr/EvTyper by `hyp::pmu`.
            Reg::Ceid0
            | Reg::Ceid1
            | Reg::Mmir
            | Reg::XevTyper
            | Reg::XevCntr
            | Reg::EvCntr(_)
            | Reg::EvTyper(_) => {}
        },
    }
    barrier::isb(barrier::SY);
}
