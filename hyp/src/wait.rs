// SPDX-License-Identifier: Apache-2.0 OR MIT
//! A trapped wait instruction (ESR_EL2 EC 0x01): WFI, WFE, and FEAT_WFxT's
//! WFIT and WFET, whose timeout register the syndrome names (ISS.TI says
//! which instruction; RV says RN is valid, RN is the register). The wait
//! ends at an interrupt for WFI and WFIT, and also, for WFIT, once the
//! virtual count (CNTVCT_EL0) reaches the register's value.
//!
//! Some implementations report a trapped WFIT as a WFI (QEMU up to at
//! least 10.0 gives TI = 0 and no RV): where the CPU has FEAT_WFxT, a
//! syndrome saying WFI is checked against the instruction itself
//! ([`Wfx::refine`]), so a WFIT still ends at its deadline.

/// Which wait the guest made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wfx {
    Wfi,
    Wfe,
    /// WFIT with its timeout register (None: the syndrome did not say).
    Wfit(Option<u8>),
    /// WFET with its timeout register.
    Wfet(Option<u8>),
}

impl Wfx {
    /// Decode the ISS of a trapped WFx.
    pub fn decode(iss: u64) -> Wfx {
        let rn = (iss & (1 << 2) != 0).then_some(((iss >> 5) & 0x1f) as u8);
        match iss & 0b11 {
            0b00 => Wfx::Wfi,
            0b01 => Wfx::Wfe,
            0b10 => Wfx::Wfit(rn),
            _ => Wfx::Wfet(rn),
        }
    }

    /// The wait instruction `insn` encodes, if it is one.
    pub fn from_instruction(insn: u32) -> Option<Wfx> {
        let rd = (insn & 0x1f) as u8;
        match insn {
            0xd503_207f => Some(Wfx::Wfi),
            0xd503_205f => Some(Wfx::Wfe),
            _ if insn & !0x1f == 0xd503_1020 => Some(Wfx::Wfit(Some(rd))),
            _ if insn & !0x1f == 0xd503_1000 => Some(Wfx::Wfet(Some(rd))),
            _ => None,
        }
    }

    /// A syndrome's wait, corrected by the trapped instruction `insn` (if
    /// it could be read): a "WFI" that is a WFIT is the WFIT. Nothing else
    /// changes, so an instruction changed since it trapped can at most
    /// turn the guest's own WFI into a WFIT on its own register.
    pub fn refine(self, insn: Option<u32>) -> Wfx {
        match (self, insn.and_then(Wfx::from_instruction)) {
            (Wfx::Wfi, Some(w @ Wfx::Wfit(_))) => w,
            (w, _) => w,
        }
    }

    /// What the vCPU does, given its general registers `x` (x0..x30; 31
    /// is XZR) and the virtual count `now`.
    pub fn wait(self, x: &[u64; 31], now: u64) -> Wait {
        let timeout = |rn: u8| x.get(usize::from(rn)).copied().unwrap_or(0);
        match self {
            Wfx::Wfi => Wait::Interrupt,
            Wfx::Wfit(Some(rn)) if timeout(rn) > now => Wait::Until(timeout(rn)),
            // A WFE may end at once (the guest checks its condition and
            // waits again); so may a WFIT whose deadline has passed or is
            // not known (a wait may always end early).
            Wfx::Wfit(_) | Wfx::Wfe | Wfx::Wfet(_) => Wait::None,
        }
    }
}

/// The length of a trapped instruction by its syndrome (`esr`, ESR_EL2):
/// 4 bytes with IL set, else 2 (a 16-bit instruction, which AArch64 has
/// none of; the syndrome is followed all the same). Every exit steps over
/// its instruction by this.
pub fn instruction_len(esr: u64) -> u64 {
    if esr & (1 << 25) != 0 {
        4
    } else {
        2
    }
}

/// How long a vCPU waits after a trapped wait instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Not at all: it goes on.
    None,
    /// Until an interrupt could be delivered to it.
    Interrupt,
    /// Until an interrupt could be delivered or the virtual count reaches
    /// this value.
    Until(u64),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ISS of a trapped wait: CV = 1, COND = 0xe (as hardware gives it),
    /// TI, and RV/RN if `rn` is given.
    fn iss(ti: u64, rn: Option<u64>) -> u64 {
        let base = (1 << 24) | (0xe << 20) | ti;
        rn.map_or(base, |r| base | (1 << 2) | (r << 5))
    }

    #[test]
    fn each_ti_is_its_instruction_with_its_register() {
        assert_eq!(Wfx::decode(iss(0, None)), Wfx::Wfi);
        assert_eq!(Wfx::decode(iss(1, None)), Wfx::Wfe);
        assert_eq!(Wfx::decode(iss(2, Some(7))), Wfx::Wfit(Some(7)));
        assert_eq!(Wfx::decode(iss(3, Some(30))), Wfx::Wfet(Some(30)));
        assert_eq!(Wfx::decode(iss(2, None)), Wfx::Wfit(None), "RV = 0");
    }

    #[test]
    fn a_wfit_reported_as_wfi_is_found_by_its_instruction() {
        // QEMU 10.0's syndrome for a trapped `wfit x3`: ESR 0x07e00000.
        let reported = Wfx::decode(0x07e0_0000 & 0x01ff_ffff);
        assert_eq!(reported, Wfx::Wfi);
        assert_eq!(reported.refine(Some(0xd503_1023)), Wfx::Wfit(Some(3)));
        assert_eq!(reported.refine(Some(0xd503_207f)), Wfx::Wfi, "a WFI");
        assert_eq!(reported.refine(None), Wfx::Wfi, "unreadable");
        assert_eq!(
            reported.refine(Some(0xd503_1003)),
            Wfx::Wfi,
            "WFET is no WFI"
        );
        assert_eq!(reported.refine(Some(0)), Wfx::Wfi);
        // A syndrome that names its instruction is kept.
        let wfit = Wfx::Wfit(Some(7));
        assert_eq!(wfit.refine(Some(0xd503_207f)), wfit);
        assert_eq!(Wfx::from_instruction(0xd503_205f), Some(Wfx::Wfe));
        assert_eq!(
            Wfx::from_instruction(0xd503_101e),
            Some(Wfx::Wfet(Some(30)))
        );
    }

    #[test]
    fn wfit_waits_for_its_deadline_in_its_register() {
        let mut x = [0; 31];
        x[7] = 1000;
        let wfit = Wfx::decode(iss(2, Some(7)));
        assert_eq!(wfit.wait(&x, 400), Wait::Until(1000));
        assert_eq!(wfit.wait(&x, 1000), Wait::None, "deadline reached");
        assert_eq!(wfit.wait(&x, 5000), Wait::None, "deadline passed");
        // XZR: a deadline of 0, always passed.
        assert_eq!(Wfx::Wfit(Some(31)).wait(&x, 1), Wait::None);
        assert_eq!(Wfx::Wfit(None).wait(&x, 1), Wait::None);
    }

    #[test]
    fn a_trapped_wait_is_stepped_over_by_its_length() {
        let wfi32 = (0x01 << 26) | (1 << 25) | iss(0, None);
        assert_eq!(instruction_len(wfi32), 4);
        assert_eq!(instruction_len(wfi32 & !(1 << 25)), 2, "IL = 0: 16 bits");
    }

    #[test]
    fn wfi_waits_for_an_interrupt_and_wfe_not_at_all() {
        let x = [u64::MAX; 31];
        assert_eq!(Wfx::Wfi.wait(&x, 0), Wait::Interrupt);
        assert_eq!(Wfx::Wfe.wait(&x, 0), Wait::None);
        assert_eq!(Wfx::Wfet(Some(3)).wait(&x, 0), Wait::None);
    }
}
