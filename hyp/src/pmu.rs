// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The guest's PMU on a CPU whose PMU cannot keep the cycle counter off
//! EL2 by itself (before PMUv3p5 there is no MDCR_EL2.HCCD, and before
//! PMUv3p1 no HPMD for the event counters): MDCR_EL2.TPM traps every PMU
//! register access and [`decide`] says what to do with each. Every access
//! goes through to the real register (a vCPU never leaves its CPU), but an
//! event-type write (PMEVTYPER<n>_EL0, PMCCFILTR_EL0, PMXEVTYPER_EL0) is
//! [`sanitise`]d first so no counter can count at EL2, and a register the
//! PMU does not have (counter `n >= PMCR_EL0.N`) is UNDEFINED, as the
//! hardware makes it. Reads return the register as it is, so a guest reads
//! back the sanitised type (as a guest without EL2 would: its EL2 filter
//! bits do nothing).

use crate::sysreg::Access;

/// A PMU register as the guest names it (op0 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reg {
    Pmcr,
    CntenSet,
    CntenClr,
    OvsClr,
    OvsSet,
    /// PMSWINC_EL0: write-only.
    SwInc,
    Selr,
    /// PMCEID0/1_EL0: read-only.
    Ceid0,
    Ceid1,
    Ccntr,
    /// PMXEVTYPER_EL0 and PMXEVCNTR_EL0: counter PMSELR_EL0.SEL's.
    XevTyper,
    XevCntr,
    UserEnr,
    /// PMINTENSET/CLR_EL1: EL1 only.
    IntenSet,
    IntenClr,
    /// PMMIR_EL1: EL1 only, read-only, PMUv3p4.
    Mmir,
    /// PMEVCNTR<n>_EL0, n 0..=30.
    EvCntr(u8),
    /// PMEVTYPER<n>_EL0, n 0..=30; 31 is PMCCFILTR_EL0.
    EvTyper(u8),
}

/// The cycle counter's number (PMSELR_EL0.SEL, PMEVTYPER31 = PMCCFILTR).
pub const CYCLE_COUNTER: u8 = 31;

impl Reg {
    /// The PMU register `a` names, if it is one this module knows.
    pub fn decode(a: &Access) -> Option<Reg> {
        if a.op0 != 3 {
            return None;
        }
        Some(match (a.op1, a.crn, a.crm, a.op2) {
            (3, 9, 12, 0) => Reg::Pmcr,
            (3, 9, 12, 1) => Reg::CntenSet,
            (3, 9, 12, 2) => Reg::CntenClr,
            (3, 9, 12, 3) => Reg::OvsClr,
            (3, 9, 12, 4) => Reg::SwInc,
            (3, 9, 12, 5) => Reg::Selr,
            (3, 9, 12, 6) => Reg::Ceid0,
            (3, 9, 12, 7) => Reg::Ceid1,
            (3, 9, 13, 0) => Reg::Ccntr,
            (3, 9, 13, 1) => Reg::XevTyper,
            (3, 9, 13, 2) => Reg::XevCntr,
            (3, 9, 14, 0) => Reg::UserEnr,
            (3, 9, 14, 3) => Reg::OvsSet,
            (0, 9, 14, 1) => Reg::IntenSet,
            (0, 9, 14, 2) => Reg::IntenClr,
            (0, 9, 14, 6) => Reg::Mmir,
            (3, 14, crm @ 8..=11, op2) => match (crm & 3) << 3 | op2 {
                31 => return None, // CRm 11, op2 7: no PMEVCNTR31
                n => Reg::EvCntr(n),
            },
            (3, 14, crm @ 12..=15, op2) => Reg::EvTyper((crm & 3) << 3 | op2),
            _ => return None,
        })
    }
}

/// The register an access reaches once PMSELR_EL0 has been applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A register accessed as itself (never XevTyper, XevCntr, EvCntr or
    /// EvTyper).
    Direct(Reg),
    /// Event counter `n` (below PMCR_EL0.N).
    EvCntr(u8),
    /// Event counter `n`'s type (below PMCR_EL0.N), or PMCCFILTR_EL0 (31).
    EvTyper(u8),
}

/// What the hypervisor does for one trapped access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Read `Target` into the access's Rt.
    Read(Target),
    /// Write this value to `Target`.
    Write(Target, u64),
    /// A PMSWINC_EL0 write of this value: [`Pmu::sw_incr`], made by the
    /// hypervisor (at EL2 the hardware would filter it as EL2's).
    SwIncr(u64),
    /// The register does not exist, or not for this access: UNDEFINED.
    Undefined,
}

/// Event numbers (PMEVTYPER<n>_EL0 bits 15:0).
pub const SW_INCR: u64 = 0x00;
pub const CHAIN: u64 = 0x1e;
const EVENT: u64 = 0xffff;
/// U, NSK, NSU: EL0 not counted; Non-secure EL1 (EL0) counted if NSK
/// (NSU) equals P (U).
pub const U: u64 = 1 << 30;
pub const NSK: u64 = 1 << 29;
pub const NSU: u64 = 1 << 28;
/// PMCR_EL0.E: the event counters (below MDCR_EL2.HPMN = N) are enabled.
pub const PMCR_E: u64 = 1;

/// Whether a counter of type `ty` counts at the guest's EL (EL0 if
/// `el0`, else EL1; Non-secure, as every guest is).
fn counts_at(ty: u64, el0: bool) -> bool {
    let (x, ns) = if el0 { (U, NSU) } else { (P, NSK) };
    (ty & x != 0) == (ty & ns != 0)
}

/// Event-type bits (PMEVTYPER<n>_EL0 and PMCCFILTR_EL0 alike).
pub const P: u64 = 1 << 31;
/// NSH: count at (Non-secure) EL2.
pub const NSH: u64 = 1 << 27;
/// M: count at EL3 when equal to P.
pub const M: u64 = 1 << 26;
/// SH: count at Secure EL2 (FEAT_SEL2).
pub const SH: u64 = 1 << 24;
/// RLH: count at Realm EL2 (FEAT_RME).
pub const RLH: u64 = 1 << 20;

/// An event type as the guest may have it: never counting at EL2 (NSH,
/// SH, RLH clear) nor, if the CPU has `el3`, at EL3 (M = !P, so "M equals
/// P" never holds; without EL3, M is RES0 and cleared); every other bit
/// (the event, P, U, NSK, NSU, MT, the rest) as written.
pub fn sanitise(v: u64, el3: bool) -> u64 {
    let m = if el3 && v & P == 0 { M } else { 0 };
    (v & !(NSH | SH | RLH | M)) | m
}

/// The PMU of the CPU a trapped access is answered on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pmu {
    /// PMCR_EL0.N: event counters 0..n exist.
    pub n: u8,
    /// PMMIR_EL1 exists (PMUv3p4).
    pub mmir: bool,
    /// The CPU has EL3 (ID_AA64PFR0_EL1.EL3): event types' M bit exists.
    pub el3: bool,
}

impl Pmu {
    /// What to do for access `a` to `reg`, made from EL0 if `from_el0`,
    /// writing `value` (an MSR's Rt), with PMSELR_EL0 = `selr`.
    pub fn decide(&self, a: &Access, reg: Reg, from_el0: bool, value: u64, selr: u64) -> Action {
        let sel = (selr & 0x1f) as u8;
        let target = match reg {
            Reg::XevTyper if sel == CYCLE_COUNTER || sel < self.n => Target::EvTyper(sel),
            Reg::XevCntr if sel < self.n => Target::EvCntr(sel),
            Reg::EvTyper(k) if k == CYCLE_COUNTER || k < self.n => Target::EvTyper(k),
            Reg::EvCntr(k) if k < self.n => Target::EvCntr(k),
            Reg::XevTyper | Reg::XevCntr | Reg::EvTyper(_) | Reg::EvCntr(_) => {
                return Action::Undefined
            }
            Reg::Mmir if !self.mmir => return Action::Undefined,
            r => Target::Direct(r),
        };
        // Direction and EL: read-only, write-only, EL1-only registers.
        let el1_only = matches!(reg, Reg::IntenSet | Reg::IntenClr | Reg::Mmir);
        let read_only =
            matches!(reg, Reg::Ceid0 | Reg::Ceid1 | Reg::Mmir) || (from_el0 && reg == Reg::UserEnr);
        let write_only = reg == Reg::SwInc;
        if (from_el0 && el1_only) || (a.read && write_only) || (!a.read && read_only) {
            return Action::Undefined;
        }
        match (a.read, target) {
            (true, t) => Action::Read(t),
            (false, t @ Target::EvTyper(_)) => Action::Write(t, sanitise(value, self.el3)),
            (false, Target::Direct(Reg::SwInc)) => Action::SwIncr(value),
            (false, t) => Action::Write(t, value),
        }
    }
}

impl Pmu {
    /// A PMSWINC_EL0 write of `value` from the guest's EL0 (`el0`) or
    /// EL1, as the PMU would count it there: each counter `i` whose bit is
    /// set, below N, enabled (PMCR_EL0.E in `pmcr`, its bit in PMCNTENSET
    /// `enabled`), of type SW_INCR in `types[i]` and not filtered at that
    /// EL, counts one in `counts[i]` (32 bits before PMUv3p5, which is
    /// when this runs); an even counter's overflow counts one in the odd
    /// counter above it if that one counts CHAIN. Returns the counters
    /// that overflowed (for PMOVSSET_EL0).
    pub fn sw_incr(
        &self,
        value: u64,
        pmcr: u64,
        enabled: u64,
        el0: bool,
        types: &[u64; 31],
        counts: &mut [u64; 31],
    ) -> u64 {
        let n = usize::from(self.n).min(31);
        let on = |i: usize, event: u64| {
            i < n
                && pmcr & PMCR_E != 0
                && enabled & (1 << i) != 0
                && types[i] & EVENT == event
                && counts_at(types[i], el0)
        };
        let mut overflow = 0;
        for i in (0..n).filter(|&i| value & (1 << i) != 0 && on(i, SW_INCR)) {
            let mut c = i;
            loop {
                counts[c] = (counts[c] + 1) & 0xffff_ffff;
                if counts[c] != 0 {
                    break;
                }
                overflow |= 1 << c;
                if c % 2 == 1 || !on(c + 1, CHAIN) {
                    break;
                }
                c += 1;
            }
        }
        overflow
    }
}

/// Whether a PMU of version `pmuver` (ID_AA64DFR0_EL1.PMUVer) needs its
/// registers trapped: an architected PMU without MDCR_EL2.HCCD (PMUv3p5).
pub fn needs_trap(pmuver: u64) -> bool {
    (1..6).contains(&pmuver)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PMU: Pmu = Pmu {
        n: 6,
        mmir: false,
        el3: true,
    };

    fn access(op1: u8, crn: u8, crm: u8, op2: u8, read: bool) -> Access {
        Access {
            op0: 3,
            op1,
            crn,
            crm,
            op2,
            rt: 1,
            read,
        }
    }

    fn decide(op1: u8, crn: u8, crm: u8, op2: u8, read: bool, v: u64, selr: u64) -> Action {
        let a = access(op1, crn, crm, op2, read);
        PMU.decide(&a, Reg::decode(&a).expect("a PMU register"), false, v, selr)
    }

    const PMCCFILTR: (u8, u8, u8, u8) = (3, 14, 15, 7);

    #[test]
    fn a_cycle_filter_asking_for_el2_is_written_without_it() {
        let (op1, crn, crm, op2) = PMCCFILTR;
        // The guest's "EL2 only": P and U exclude EL1 and EL0, NSH asks EL2.
        let want = P | (1 << 30) | NSH;
        match decide(op1, crn, crm, op2, false, want, 0) {
            Action::Write(Target::EvTyper(31), v) => {
                assert_eq!(v & NSH, 0, "NSH cleared");
                assert_eq!(v & (P | 1 << 30), P | 1 << 30, "P and U kept");
                assert_eq!(v & M, 0, "M = !P: EL3 not counted");
            }
            a => panic!("{a:?}"),
        }
    }

    #[test]
    fn every_way_to_an_event_type_is_sanitised() {
        let all = u64::MAX;
        // PMEVTYPER3_EL0 (CRm 12, op2 3), PMXEVTYPER_EL0 with SEL 3 and 31.
        for (crn, crm, op2, selr, target) in [
            (14, 12, 3, 0, Target::EvTyper(3)),
            (9, 13, 1, 3, Target::EvTyper(3)),
            (9, 13, 1, 31, Target::EvTyper(31)),
        ] {
            let a = decide(3, crn, crm, op2, false, all, selr);
            assert_eq!(
                a,
                Action::Write(target, sanitise(all, true)),
                "{crn} {crm} {op2}"
            );
        }
        for el3 in [false, true] {
            let s = sanitise(all, el3);
            assert_eq!(s & (NSH | SH | RLH | M), 0, "no EL2 or EL3 bit survives");
            assert_eq!(s | NSH | SH | RLH | M, all, "nothing else is touched");
            assert_eq!(sanitise(P | M | 0x11, el3), P | 0x11);
        }
        // P = 0 (count at EL1): M = 1 keeps EL3 out ("M equals P" counts).
        assert_eq!(sanitise(0x11, true) & (M | P), M);
        assert_eq!(sanitise(0x11, false), 0x11, "no EL3: M is RES0");
    }

    #[test]
    fn reads_and_other_registers_go_through_untouched() {
        let (op1, crn, crm, op2) = PMCCFILTR;
        assert_eq!(
            decide(op1, crn, crm, op2, true, 0, 0),
            Action::Read(Target::EvTyper(31))
        );
        for (crn, crm, op2, reg) in [
            (9, 12, 0, Reg::Pmcr),
            (9, 12, 1, Reg::CntenSet),
            (9, 12, 5, Reg::Selr),
            (9, 13, 0, Reg::Ccntr),
        ] {
            assert_eq!(
                decide(3, crn, crm, op2, false, 0x1234, 0),
                Action::Write(Target::Direct(reg), 0x1234)
            );
        }
        // PMEVCNTR5_EL0 (CRm 8, op2 5) and PMXEVCNTR_EL0 with SEL 5.
        assert_eq!(
            decide(3, 14, 8, 5, false, 7, 0),
            Action::Write(Target::EvCntr(5), 7)
        );
        assert_eq!(
            decide(3, 9, 13, 2, true, 0, 5),
            Action::Read(Target::EvCntr(5))
        );
    }

    #[test]
    fn a_counter_the_pmu_does_not_have_is_undefined() {
        // N = 6: counters 0..5 exist; 6 and 30 do not.
        for n in [6u8, 30] {
            let (crm_c, crm_t, op2) = (8 + (n >> 3), 12 + (n >> 3), n & 7);
            for read in [true, false] {
                assert_eq!(decide(3, 14, crm_c, op2, read, 0, 0), Action::Undefined);
                assert_eq!(decide(3, 14, crm_t, op2, read, 0, 0), Action::Undefined);
                assert_eq!(decide(3, 9, 13, 1, read, 0, n as u64), Action::Undefined);
                assert_eq!(decide(3, 9, 13, 2, read, 0, n as u64), Action::Undefined);
            }
        }
        // The cycle counter has no PMXEVCNTR view.
        assert_eq!(decide(3, 9, 13, 2, true, 0, 31), Action::Undefined);
        // PMMIR_EL1 only with PMUv3p4.
        assert_eq!(decide(0, 9, 14, 6, true, 0, 0), Action::Undefined);
        let a = access(0, 9, 14, 6, true);
        let p4 = Pmu { mmir: true, ..PMU };
        assert_eq!(
            p4.decide(&a, Reg::Mmir, false, 0, 0),
            Action::Read(Target::Direct(Reg::Mmir))
        );
    }

    #[test]
    fn wrong_direction_or_el_is_undefined() {
        assert_eq!(
            decide(3, 9, 12, 4, true, 0, 0),
            Action::Undefined,
            "read PMSWINC"
        );
        assert_eq!(
            decide(3, 9, 12, 6, false, 0, 0),
            Action::Undefined,
            "write PMCEID0"
        );
        let a = access(0, 9, 14, 1, false);
        assert_eq!(
            PMU.decide(&a, Reg::IntenSet, true, 1, 0),
            Action::Undefined,
            "PMINTENSET_EL1 from EL0"
        );
        let a = access(3, 9, 14, 0, false);
        assert_eq!(
            PMU.decide(&a, Reg::UserEnr, true, 1, 0),
            Action::Undefined,
            "PMUSERENR_EL0 written from EL0"
        );
        assert_eq!(
            PMU.decide(&a, Reg::UserEnr, false, 1, 0),
            Action::Write(Target::Direct(Reg::UserEnr), 1)
        );
    }

    #[test]
    fn only_pmu_encodings_decode() {
        let a = access(3, 14, 11, 7, true);
        assert_eq!(Reg::decode(&a), None, "no PMEVCNTR31");
        assert_eq!(Reg::decode(&access(3, 14, 0, 2, true)), None, "CNTV_CTL");
        assert_eq!(
            Reg::decode(&access(0, 0, 4, 0, true)),
            None,
            "an ID register"
        );
        assert_eq!(
            Reg::decode(&access(3, 14, 11, 6, true)),
            Some(Reg::EvCntr(30))
        );
        assert_eq!(
            Reg::decode(&access(3, 14, 15, 6, true)),
            Some(Reg::EvTyper(30))
        );
    }

    #[test]
    fn a_pmswinc_write_is_made_by_the_hypervisor() {
        assert_eq!(decide(3, 9, 12, 4, false, 0b11, 0), Action::SwIncr(0b11));
    }

    #[test]
    fn software_increments_count_as_the_guest_el_filters_them() {
        let mut types = [0x11; 31]; // CPU_CYCLES
        types[0] = SW_INCR;
        types[1] = SW_INCR | U; // not at EL0
        types[2] = SW_INCR | P; // not at EL1
        types[3] = SW_INCR | P | NSK; // NSK = P: at Non-secure EL1
        types[6] = SW_INCR; // counter 6: beyond N
        let mut counts = [0; 31];
        let all = u64::MAX;
        let of = PMU.sw_incr(all, PMCR_E, all, false, &types, &mut counts);
        assert_eq!(of, 0);
        assert_eq!(counts[..7], [1, 1, 0, 1, 0, 0, 0], "from EL1");
        let of = PMU.sw_incr(all, PMCR_E, all, true, &types, &mut counts);
        assert_eq!(of, 0);
        assert_eq!(counts[..7], [2, 1, 1, 2, 0, 0, 0], "from EL0");
        // Not enabled: PMCR_EL0.E clear, or the counter's PMCNTENSET bit.
        PMU.sw_incr(all, 0, all, false, &types, &mut counts);
        PMU.sw_incr(all, PMCR_E, !1, false, &types, &mut counts);
        assert_eq!(counts[..2], [2, 2], "counter 0 disabled, counter 1 not");
        // Only the counters whose bit is written.
        PMU.sw_incr(0b10, PMCR_E, all, false, &types, &mut counts);
        assert_eq!(counts[..2], [2, 3]);
    }

    #[test]
    fn an_overflow_is_reported_and_chained() {
        let mut types = [SW_INCR; 31];
        types[1] = CHAIN;
        let mut counts = [0; 31];
        counts[0] = 0xffff_fff0;
        counts[2] = 0xffff_ffff;
        counts[3] = 0xffff_ffff;
        let mut of = 0;
        for _ in 0..100 {
            of |= PMU.sw_incr(0b101, PMCR_E, u64::MAX, false, &types, &mut counts);
        }
        assert_eq!(counts[0], 84, "wrapped at 32 bits");
        assert_eq!(counts[1], 1, "the CHAIN counter took the overflow");
        assert_eq!(counts[2], 99);
        assert_eq!(
            counts[3], 0xffff_ffff,
            "counter 3 counts SW_INCR, not CHAIN"
        );
        assert_eq!(of, 0b101);
    }

    #[test]
    fn only_pmus_before_v3p5_are_trapped() {
        assert!(!needs_trap(0), "no PMU");
        assert!(needs_trap(1), "PMUv3 (Cortex-A57, A72)");
        assert!(needs_trap(4), "PMUv3p1 (Cortex-A55)");
        assert!(needs_trap(5), "PMUv3p4");
        assert!(!needs_trap(6), "PMUv3p5: HCCD");
        assert!(!needs_trap(0xf), "IMPLEMENTATION DEFINED");
    }
}
