// SPDX-License-Identifier: Apache-2.0 OR MIT
//! What a guest gets for an SError it caused: a virtual SError
//! (HCR_EL2.VSE) whose syndrome, where the CPU has FEAT_RAS, is
//! [`virtual_syndrome`] of the physical one (VSESR_EL2). An SError is the
//! guest's when it is taken at EL2 from the guest (the lower-EL SError
//! vector), or when the ESB at the start of every lower-EL vector deferred
//! one that was pending as the guest left ([`deferred`], from DISR_EL1).
//!
//! FIQs have no source for a guest: every interrupt the hypervisor drives
//! is signalled as an IRQ, and the guest's virtual FIQ (HCR_EL2.VF) is
//! never raised, so a physical FIQ that ends a guest run is counted and
//! the guest resumes; it is never delivered.

/// SError syndrome fields, the same in ESR_ELx (EC 0x2f), DISR_EL1 and
/// VSESR_EL2: IDS (the rest is IMPLEMENTATION DEFINED), AET (the error's
/// severity), EA (external abort type) and DFSC (its status code). IESB
/// (bit 13) says how the physical error was synchronised and is not passed
/// on.
const IDS: u64 = 1 << 24;
const AET: u64 = 0b111 << 10;
const EA: u64 = 1 << 9;
const DFSC: u64 = 0x3f;
/// DISR_EL1.A: an ESB deferred an SError, whose syndrome is in bits 24:0.
const DISR_A: u64 = 1 << 31;

/// The syndrome the guest's virtual SError carries for a physical SError
/// whose syndrome (ESR_EL2 or DISR_EL1) is `physical`: an architected one
/// keeps its severity, type and status code; an IMPLEMENTATION DEFINED one
/// (IDS set) becomes "IMPLEMENTATION DEFINED, nothing more said", so no
/// CPU-specific bits reach the guest.
pub fn virtual_syndrome(physical: u64) -> u64 {
    if physical & IDS != 0 {
        IDS
    } else {
        physical & (AET | EA | DFSC)
    }
}

/// The syndrome of the SError an ESB deferred, if DISR_EL1 (`disr`)
/// records one.
pub fn deferred(disr: u64) -> Option<u64> {
    (disr & DISR_A != 0).then_some(disr & (IDS | 0xff_ffff))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ESR_EL2 of an SError exception, EC 0x2f, IL set.
    const EC_SERROR: u64 = 0x2f << 26 | 1 << 25;

    #[test]
    fn an_architected_syndrome_keeps_severity_type_and_status_only() {
        // Uncorrected, unrecoverable (AET 0b000), DFSC asynchronous SError
        // (0x11), synchronised by an implicit ESB (IESB, bit 13).
        let uc = EC_SERROR | 1 << 13 | 0x11;
        assert_eq!(virtual_syndrome(uc), 0x11);
        // Restartable (AET 0b011) with EA set.
        let ueo = EC_SERROR | 0b011 << 10 | 1 << 9 | 0x11;
        assert_eq!(virtual_syndrome(ueo), 0b011 << 10 | 1 << 9 | 0x11);
        // Nothing said: uncategorised (DFSC 0).
        assert_eq!(virtual_syndrome(EC_SERROR), 0);
    }

    #[test]
    fn an_implementation_defined_syndrome_is_not_passed_on() {
        assert_eq!(virtual_syndrome(EC_SERROR | IDS | 0x00ab_cdef), IDS);
        assert_eq!(virtual_syndrome(IDS), IDS);
    }

    #[test]
    fn only_a_disr_with_a_set_is_a_deferred_serror() {
        assert_eq!(deferred(0), None);
        assert_eq!(deferred(0x11), None, "a syndrome without A is stale");
        assert_eq!(deferred(DISR_A | 0x11), Some(0x11));
        assert_eq!(deferred(DISR_A | IDS | 0x1234), Some(IDS | 0x1234));
        // Bits above the syndrome (RES0) are not part of it.
        assert_eq!(deferred(DISR_A | 1 << 40 | 0x11), Some(0x11));
        assert_eq!(
            virtual_syndrome(deferred(DISR_A | 1 << 13 | 0x11).unwrap()),
            0x11
        );
    }
}
