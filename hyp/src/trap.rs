// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Why the guest stopped: the vector it left by and ESR_EL2 (with FAR_EL2
//! and HPFAR_EL2 for aborts), decoded once into an [`Exit`] with named
//! exception classes. Nothing is handled here; the VM layer decides what
//! each exit means.

use aarch64_cpu::registers::ESR_EL2;
use tock_registers::LocalRegisterCopy;

use hyp::sysreg::Access;
use hyp::wait::Wfx;

use crate::arch::exception::{self, Vector};

/// One exit from the guest, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// A physical IRQ is pending: the hypervisor's to acknowledge.
    Irq,
    /// An SError taken from the guest, with its syndrome (ESR_EL2).
    SError { esr: u64 },
    /// A physical FIQ arrived while the guest ran.
    Fiq,
    /// HVC: the return address is already past the instruction.
    Hvc,
    /// A trapped SMC (HCR_EL2.TSC): the return address is the SMC itself.
    Smc,
    /// A trapped wait: WFI or WFIT (WFE and WFET are not trapped, but
    /// decoded all the same).
    Wait(Wfx),
    /// A trapped MRS/MSR, decoded.
    SysReg(Access),
    /// A stage-2 abort: an access outside the guest's map.
    Abort(Abort),
    /// Anything else the guest can cause: an UNDEFINED instruction for it.
    Other { esr: u64 },
}

/// A guest access that stage 2 does not map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Abort {
    /// The intermediate physical address (HPFAR_EL2 and FAR's page offset).
    pub ipa: u64,
    /// The virtual address (FAR_EL2).
    pub far: u64,
    /// ESR_EL2, whose ISS says how the access was made (WnR, S1PTW, FnV…)
    /// for the abort the guest is given.
    pub esr: u64,
}

impl Abort {
    /// A data (else an instruction) abort.
    pub fn data(&self) -> bool {
        let syndrome = LocalRegisterCopy::<u64, ESR_EL2::Register>::new(self.esr);
        syndrome.matches_all(ESR_EL2::EC::DataAbortLowerEL)
    }
}

/// An exit and the length of the instruction that caused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trap {
    pub exit: Exit,
    /// Bytes to step over the trapping instruction (ESR_EL2.IL: 4, or 2
    /// for a 16-bit one).
    pub len: u64,
    /// An SError that was pending as the guest left by this exit, deferred
    /// by the exit vector's ESB (FEAT_RAS): its syndrome. The guest caused
    /// it, whatever the exit.
    pub deferred_serror: Option<u64>,
}

/// Decode the exit the guest just took through `vector`. Reads the
/// syndrome registers, which stay valid until the next exception at EL2.
pub fn decode(vector: Vector) -> Trap {
    use ESR_EL2::EC::Value as Ec;
    let (esr, far) = exception::syndrome();
    let syndrome = LocalRegisterCopy::<u64, ESR_EL2::Register>::new(esr);
    let len = hyp::wait::instruction_len(esr);
    let exit = match vector {
        Vector::Irq => Exit::Irq,
        Vector::Fiq => Exit::Fiq,
        Vector::SError => Exit::SError { esr },
        Vector::Sync => match syndrome.read_as_enum(ESR_EL2::EC) {
            Some(Ec::HVC64) => Exit::Hvc,
            Some(Ec::SMC64) => Exit::Smc,
            Some(Ec::TrappedWFIorWFE) => Exit::Wait(Wfx::decode(syndrome.read(ESR_EL2::ISS))),
            Some(Ec::TrappedMsrMrs) => Exit::SysReg(Access::decode(syndrome.read(ESR_EL2::ISS))),
            Some(Ec::DataAbortLowerEL | Ec::InstrAbortLowerEL) => Exit::Abort(Abort {
                ipa: (exception::hpfar() >> 4) << 12 | (far & 0xfff),
                far,
                esr,
            }),
            _ => Exit::Other { esr },
        },
    };
    Trap {
        exit,
        len,
        deferred_serror: exception::deferred_serror(),
    }
}
