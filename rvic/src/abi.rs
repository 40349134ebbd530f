// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The numbers a guest sees: function IDs, the status word, the version.
//! Nothing here holds state.

/// x0 of a call that succeeded.
pub const SUCCESS: u64 = 0;
/// SMCCC `NOT_SUPPORTED` (-1): x0 for a function ID this ABI does not define.
pub const NOT_SUPPORTED: u64 = u64::MAX;
/// The bits of an MPIDR that name a vCPU (Aff3, Aff2, Aff1, Aff0).
pub use vocab::MPIDR_AFFINITY_MASK as AFFINITY_MASK;

/// The trusted INTIDs of the architected timer, as a guest's device tree
/// gives them to `arm,armv8-timer` (the GIC PPI numbers Linux expects).
pub mod timer_intid {
    pub const SECURE_PHYS: u32 = 29;
    pub const PHYS: u32 = 30;
    /// The only timer that fires: the hypervisor asserts it when the
    /// guest's virtual timer (CNTV) does.
    pub const VIRT: u32 = 27;
    pub const HYP: u32 = 26;
    /// In the order `arm,armv8-timer` lists them.
    pub const ALL: [u32; 4] = [SECURE_PHYS, PHYS, VIRT, HYP];
}

const RVID_BASE: u32 = 0xC500_0100;
const RVIC_BASE: u32 = 0xC500_0200;
const RVIC_CALLS: u32 = 12;

/// The version of the ABI a VM offers, for both components.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Abi {
    /// 0.3: the calls of the 2020 patches with their semantics.
    #[default]
    V0_3,
    /// 0.4: 0.3 and ACKNOWLEDGE_UNMASKED.
    V0_4,
}

impl Abi {
    /// What VERSION returns: `major << 16 | minor`.
    pub const fn version(self) -> u64 {
        match self {
            Abi::V0_3 => 3,
            Abi::V0_4 => 4,
        }
    }

    /// Whether this version defines `call`; a call it does not define is
    /// answered NOT_SUPPORTED, as an unknown function ID.
    pub const fn offers(self, call: Call) -> bool {
        !matches!((self, call), (Abi::V0_3, Call::AcknowledgeUnmasked))
    }
}

/// Every call of the ABI; the discriminant indexes per-call counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Call {
    RvicVersion,
    Info,
    Enable,
    Disable,
    SetMasked,
    ClearMasked,
    IsPending,
    Signal,
    ClearPending,
    Acknowledge,
    Resample,
    AcknowledgeUnmasked,
    RvidVersion,
    Map,
    Unmap,
}

impl Call {
    /// How many calls the ABI has, in its latest version.
    pub const COUNT: usize = 15;
    /// All calls, in discriminant order.
    pub const ALL: [Call; Self::COUNT] = [
        Call::RvicVersion,
        Call::Info,
        Call::Enable,
        Call::Disable,
        Call::SetMasked,
        Call::ClearMasked,
        Call::IsPending,
        Call::Signal,
        Call::ClearPending,
        Call::Acknowledge,
        Call::Resample,
        Call::AcknowledgeUnmasked,
        Call::RvidVersion,
        Call::Map,
        Call::Unmap,
    ];

    /// The call an SMCCC function ID names. Only W0 counts: SMCCC passes the
    /// function ID there, so bits 63..32 of x0 are ignored.
    pub fn from_fid(fid: u64) -> Option<Call> {
        let fid = fid as u32;
        let index = match fid {
            RVIC_BASE..=0xC500_020B => fid - RVIC_BASE,
            RVID_BASE..=0xC500_0102 => fid - RVID_BASE + RVIC_CALLS,
            _ => return None,
        };
        Some(Self::ALL[index as usize])
    }

    /// The SMC64 fast-call function ID of this call.
    pub const fn fid(self) -> u32 {
        let index = self as u32;
        if index < RVIC_CALLS {
            RVIC_BASE + index
        } else {
            RVID_BASE + index - RVIC_CALLS
        }
    }
}

/// A failed call: the reason and, where the ABI names one, the 0-based index
/// of the argument at fault (x1 = 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// ERROR_PARAMETER: an argument is out of range or not allowed.
    Parameter(u8),
    /// INVALID_CPU: the target MPIDR names no vCPU of this VM.
    InvalidCpu(u8),
    /// DISABLED: the target instance is disabled.
    Disabled,
    /// NO_INTERRUPTS: nothing to acknowledge.
    NoInterrupts,
}

impl Error {
    /// The status word returned in x0: bits 7..0 reason, bits 15..8 argument.
    pub const fn status(self) -> u64 {
        let (reason, arg) = match self {
            Error::Parameter(arg) => (1, arg),
            Error::InvalidCpu(arg) => (2, arg),
            Error::Disabled => (3, 0),
            Error::NoInterrupts => (4, 0),
        };
        reason | (arg as u64) << 8
    }
}
