// SPDX-License-Identifier: Apache-2.0 OR MIT
//! A guest's HVC or SMC, decoded once: which call its function ID (W0, per
//! SMCCC) names, and its arguments as that call reads them. Every ID gets a
//! [`Function`]; those this hypervisor does not implement are
//! [`Function::Unknown`], answered NOT_SUPPORTED.
//!
//! The 32-bit IDs of the PSCI calls that also have 64-bit ones
//! (CPU_SUSPEND, CPU_ON, AFFINITY_INFO) decode as those, with their
//! arguments truncated to 32 bits; CPU_OFF and the other PSCI calls exist
//! only as 32-bit IDs.

use rvid::rvic::Call;
use smccc::{arch, psci};

/// SMCCC's owning entity (bits 29..24) of the rVIC and rVID calls.
const OWNER_STANDARD_HYPERVISOR: u32 = 5;

/// What a function ID names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    /// SMCCC_VERSION.
    SmcccVersion,
    /// SMCCC_ARCH_FEATURES.
    SmcccArchFeatures,
    /// SMCCC_ARCH_WORKAROUND_1, _2 or _3 (the function ID): firmware
    /// mitigations, which only the firmware can answer.
    Workaround(u32),
    Psci(Psci),
    /// An rVIC or rVID call (`docs/rvic-abi.md`), of the latest ABI
    /// version: one the VM's version does not offer is answered as
    /// [`Function::Unknown`].
    Interrupt(Call),
    /// Anything else.
    Unknown,
}

/// The PSCI 1.1 calls this hypervisor implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Psci {
    Version,
    CpuSuspend,
    CpuOff,
    CpuOn,
    AffinityInfo,
    MigrateInfoType,
    SystemOff,
    SystemReset,
    Features,
}

impl Function {
    /// The function a 32-bit function ID names, and whether it is one of
    /// the SMC32 twins of an SMC64 call (its arguments are 32-bit).
    #[inline]
    pub fn of(fid: u32) -> (Function, bool) {
        // rVIC and rVID calls, the hot ones, are all the standard
        // hypervisor service calls' (owner 5): one test, then one range.
        if (fid >> 24) & 0x3f == OWNER_STANDARD_HYPERVISOR {
            return match Call::from_fid(fid.into()) {
                Some(call) => (Function::Interrupt(call), false),
                None => (Function::Unknown, false),
            };
        }
        let p = |call| (Function::Psci(call), false);
        let p32 = |call| (Function::Psci(call), true);
        match fid {
            arch::SMCCC_VERSION => (Function::SmcccVersion, false),
            arch::SMCCC_ARCH_FEATURES => (Function::SmcccArchFeatures, false),
            arch::SMCCC_ARCH_WORKAROUND_1
            | arch::SMCCC_ARCH_WORKAROUND_2
            | arch::SMCCC_ARCH_WORKAROUND_3 => (Function::Workaround(fid), false),
            psci::PSCI_VERSION => p(Psci::Version),
            psci::PSCI_CPU_SUSPEND_64 => p(Psci::CpuSuspend),
            psci::PSCI_CPU_SUSPEND_32 => p32(Psci::CpuSuspend),
            psci::PSCI_CPU_OFF => p(Psci::CpuOff),
            psci::PSCI_CPU_ON_64 => p(Psci::CpuOn),
            psci::PSCI_CPU_ON_32 => p32(Psci::CpuOn),
            psci::PSCI_AFFINITY_INFO_64 => p(Psci::AffinityInfo),
            psci::PSCI_AFFINITY_INFO_32 => p32(Psci::AffinityInfo),
            psci::PSCI_MIGRATE_INFO_TYPE => p(Psci::MigrateInfoType),
            psci::PSCI_SYSTEM_OFF => p(Psci::SystemOff),
            psci::PSCI_SYSTEM_RESET => p(Psci::SystemReset),
            psci::PSCI_FEATURES => p(Psci::Features),
            _ => (Function::Unknown, false),
        }
    }
}

/// One guest call: the function and its arguments x1..x3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub function: Function,
    pub args: [u64; 3],
}

impl Request {
    /// Decode the call in `x0..x3`.
    pub fn decode(x: [u64; 4]) -> Request {
        let (function, smc32) = Function::of(x[0] as u32);
        let mut args = [x[1], x[2], x[3]];
        if smc32 {
            args = args.map(|a| a as u32 as u64);
        }
        Request { function, args }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smc32_twins_decode_as_the_smc64_call_with_truncated_arguments() {
        let hi = 0xdead_beef_0000_0000;
        for (fid32, call) in [
            (0x8400_0001, Psci::CpuSuspend),
            (0x8400_0003, Psci::CpuOn),
            (0x8400_0004, Psci::AffinityInfo),
        ] {
            let r = Request::decode([fid32, hi | 1, hi | 2, hi | 3]);
            assert_eq!(r.function, Function::Psci(call));
            assert_eq!(r.args, [1, 2, 3]);
            let r64 = Request::decode([fid32 | 0x4000_0000, hi | 1, hi | 2, hi | 3]);
            assert_eq!(r64.function, Function::Psci(call));
            assert_eq!(r64.args, [hi | 1, hi | 2, hi | 3]);
        }
    }

    #[test]
    fn the_three_workarounds_are_named_and_their_neighbours_are_not() {
        for fid in [0x8000_8000u32, 0x8000_7fff, 0x8000_3fff] {
            assert_eq!(Function::of(fid).0, Function::Workaround(fid));
            assert_eq!(Function::of(fid | 0x4000_0000).0, Function::Unknown);
        }
        for fid in [0x8000_8001u32, 0x8000_7ffe, 0x8000_4000, 0x8000_3ffe] {
            assert_eq!(Function::of(fid).0, Function::Unknown, "{fid:#x}");
        }
    }

    #[test]
    fn the_32_bit_only_calls_have_no_64_bit_twin() {
        for fid in [
            0x8400_0000u32,
            0x8400_0002,
            0x8400_0006,
            0x8400_0008,
            0x8400_0009,
            0x8400_000a,
        ] {
            assert!(matches!(Function::of(fid).0, Function::Psci(_)), "{fid:#x}");
            assert_eq!(
                Function::of(fid | 0x4000_0000).0,
                Function::Unknown,
                "{fid:#x}"
            );
        }
    }

    #[test]
    fn only_w0_names_the_function() {
        let r = Request::decode([0xffff_ffff_8000_0000, 0, 0, 0]);
        assert_eq!(r.function, Function::SmcccVersion);
        let r = Request::decode([0x1_c500_0200, 0, 0, 0]);
        assert_eq!(r.function, Function::Interrupt(Call::RvicVersion));
    }

    #[test]
    fn every_rvic_and_rvid_call_and_nothing_next_to_them() {
        for call in Call::ALL {
            assert_eq!(Function::of(call.fid()).0, Function::Interrupt(call));
        }
        for fid in [
            0xc500_00ff,
            0xc500_0103,
            0xc500_01ff,
            0xc500_020c,
            0x8500_0200,
            0,
        ] {
            assert_eq!(Function::of(fid).0, Function::Unknown, "{fid:#x}");
        }
        // PSCI calls this hypervisor does not implement.
        for fid in [
            0x8400_0005u32,
            0xc400_0005,
            0x8400_000b,
            0xc400_000e,
            0x8400_0012,
        ] {
            assert_eq!(Function::of(fid).0, Function::Unknown, "{fid:#x}");
        }
    }
}
