// SPDX-License-Identifier: Apache-2.0 OR MIT
//! A trapped MRS/MSR, decoded from its syndrome, and the ID registers as
//! the guest sees them: HCR_EL2.TID3 traps every read of the ID space
//! (op0 3, op1 0, CRn 0, CRm 1..7) and the hypervisor answers with the
//! CPU's value minus the features it does not give a guest.

/// One trapped MRS or MSR (ESR_EL2 ISS for EC 0x18).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    pub op0: u8,
    pub op1: u8,
    pub crn: u8,
    pub crm: u8,
    pub op2: u8,
    /// The general register (31: XZR).
    pub rt: u8,
    /// MRS (a read), else MSR.
    pub read: bool,
}

impl Access {
    pub fn decode(iss: u64) -> Access {
        let f = |lsb: u32, bits: u32| ((iss >> lsb) & ((1 << bits) - 1)) as u8;
        Access {
            op0: f(20, 2),
            op2: f(17, 3),
            op1: f(14, 3),
            crn: f(10, 4),
            rt: f(5, 5),
            crm: f(1, 4),
            read: iss & 1 == 1,
        }
    }

    /// A read of the ID space: `(CRm, op2)`.
    pub fn id_register(&self) -> Option<(u8, u8)> {
        let id_space = self.op0 == 3 && self.op1 == 0 && self.crn == 0;
        (self.read && id_space && (1..=7).contains(&self.crm)).then_some((self.crm, self.op2))
    }
}

/// A 4-bit ID field's mask.
const fn field(lsb: u32) -> u64 {
    0xf << lsb
}

/// What the guest reads of ID register `(crm, op2)` whose value on this
/// CPU is `value`: features the hypervisor does not give a guest read as
/// absent. RAS (its error records trap, HCR_EL2.TERR), MPAM, the activity
/// monitors (CPTR_EL2.TAM), MTE (HCR_EL2.ATA is clear), NMI, the
/// statistical profiling extension and the trace unit and buffer (their
/// registers trap or are not context-managed), BRBE.
pub fn sanitise_id(crm: u8, op2: u8, value: u64) -> u64 {
    let hidden = match (crm, op2) {
        // ID_AA64PFR0_EL1: RAS, MPAM, AMU.
        (4, 0) => field(28) | field(40) | field(44),
        // ID_AA64PFR1_EL1: MTE, RAS_frac, MPAM_frac, NMI, MTE_frac.
        (4, 1) => field(8) | field(12) | field(16) | field(36) | field(40),
        // ID_AA64DFR0_EL1: TraceVer, PMSVer, TraceFilt, TraceBuffer, BRBE.
        (5, 0) => field(4) | field(32) | field(40) | field(44) | field(52),
        _ => 0,
    };
    value & !hidden
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ISS of `mrs x<rt>, s<op0>_<op1>_c<crn>_c<crm>_<op2>`.
    fn mrs(op0: u64, op1: u64, crn: u64, crm: u64, op2: u64, rt: u64) -> u64 {
        op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 | 1
    }

    #[test]
    fn every_field_of_the_syndrome_lands_in_its_place() {
        let a = Access::decode(mrs(3, 0, 0, 4, 1, 17));
        assert_eq!(
            a,
            Access {
                op0: 3,
                op1: 0,
                crn: 0,
                crm: 4,
                op2: 1,
                rt: 17,
                read: true
            }
        );
        assert_eq!(a.id_register(), Some((4, 1)));
        let w = Access::decode(mrs(3, 0, 0, 4, 1, 17) & !1);
        assert!(!w.read);
        assert_eq!(w.id_register(), None, "an MSR to an ID register is no read");
    }

    #[test]
    fn only_the_id_space_is_an_id_register() {
        for (op0, op1, crn, crm) in [
            (3, 0, 0, 0),
            (3, 0, 0, 8),
            (3, 1, 0, 4),
            (3, 0, 1, 4),
            (2, 0, 0, 4),
        ] {
            let a = Access::decode(mrs(op0, op1, crn, crm, 0, 0));
            assert_eq!(a.id_register(), None, "{op0} {op1} {crn} {crm}");
        }
        for crm in 1..=7 {
            for op2 in 0..8 {
                let a = Access::decode(mrs(3, 0, 0, crm, op2, 3));
                assert_eq!(a.id_register(), Some((crm as u8, op2 as u8)));
            }
        }
    }

    #[test]
    fn hidden_features_read_as_absent_and_the_rest_is_kept() {
        let all = u64::MAX;
        let pfr0 = sanitise_id(4, 0, all);
        for lsb in [28, 40, 44] {
            assert_eq!(pfr0 >> lsb & 0xf, 0, "PFR0 field {lsb}");
        }
        assert_eq!(pfr0 >> 32 & 0xf, 0xf, "SVE is the guest's");
        let pfr1 = sanitise_id(4, 1, all);
        assert_eq!(pfr1 >> 8 & 0xf, 0, "MTE");
        assert_eq!(pfr1 >> 24 & 0xf, 0xf, "SME is the guest's");
        let dfr0 = sanitise_id(5, 0, all);
        for lsb in [4, 32, 40, 44, 52] {
            assert_eq!(dfr0 >> lsb & 0xf, 0, "DFR0 field {lsb}");
        }
        assert_eq!(dfr0 >> 8 & 0xf, 0xf, "the PMU is the guest's");
        assert_eq!(sanitise_id(6, 1, 0x1234), 0x1234, "ISAR1 untouched");
    }
}
