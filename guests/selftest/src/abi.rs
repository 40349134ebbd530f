// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The numbers of the guest ABI (docs/rvic-abi.md, PSCI 1.1, SMCCC 1.1) and
//! the judgement of one call: what came back in x0..x3 against what the ABI
//! says, with a message that names the call, its arguments and both results.

use core::fmt;

use crate::msg;
use crate::report::Outcome;

pub const RVIC: u32 = 0xC500_0200;
pub const RVIC_VERSION: u32 = RVIC;
pub const RVIC_INFO: u32 = RVIC + 1;
pub const RVIC_ENABLE: u32 = RVIC + 2;
pub const RVIC_DISABLE: u32 = RVIC + 3;
pub const RVIC_SET_MASKED: u32 = RVIC + 4;
pub const RVIC_CLEAR_MASKED: u32 = RVIC + 5;
pub const RVIC_IS_PENDING: u32 = RVIC + 6;
pub const RVIC_SIGNAL: u32 = RVIC + 7;
pub const RVIC_CLEAR_PENDING: u32 = RVIC + 8;
pub const RVIC_ACKNOWLEDGE: u32 = RVIC + 9;
pub const RVIC_RESAMPLE: u32 = RVIC + 10;
/// ABI 0.4 only.
pub const RVIC_ACKNOWLEDGE_UNMASKED: u32 = RVIC + 11;
pub const RVID: u32 = 0xC500_0100;
pub const RVID_VERSION: u32 = RVID;
pub const RVID_MAP: u32 = RVID + 1;
pub const RVID_UNMAP: u32 = RVID + 2;

pub const PSCI_VERSION: u32 = 0x8400_0000;
pub const PSCI_CPU_OFF: u32 = 0x8400_0002;
pub const PSCI_CPU_ON: u32 = 0xC400_0003;
pub const PSCI_AFFINITY_INFO: u32 = 0xC400_0004;
pub const PSCI_SYSTEM_OFF: u32 = 0x8400_0008;
pub const PSCI_FEATURES: u32 = 0x8400_000A;
pub const SMCCC_VERSION: u32 = 0x8000_0000;
pub const SMCCC_ARCH_FEATURES: u32 = 0x8000_0001;

/// rVIC and rVID versions 0.3 and 0.4 (`major << 16 | minor`): 0.4 adds
/// ACKNOWLEDGE_UNMASKED (`rvhyp.abi=0.4`).
pub const ABI_0_3: u64 = 3;
pub const ABI_0_4: u64 = 4;
/// The rVIC sizes the guest environment promises (guest spec).
pub const EXPECTED_T: u64 = 32;
pub const EXPECTED_U: u64 = 64;

pub const SUCCESS: u64 = 0;
pub const ERROR_PARAMETER: u64 = 1;
pub const INVALID_CPU: u64 = 2;
pub const DISABLED: u64 = 3;
pub const NO_INTERRUPTS: u64 = 4;
/// SMCCC NOT_SUPPORTED (-1) as a 64-bit result.
pub const NOT_SUPPORTED: u64 = u64::MAX;

/// The status word for `reason` blamed on argument `arg` (x1 = 0).
pub const fn err(reason: u64, arg: u64) -> u64 {
    reason | arg << 8
}

/// PSCI return codes (signed, in w0).
pub const PSCI_SUCCESS: i32 = 0;
pub const PSCI_NOT_SUPPORTED: i32 = -1;
pub const PSCI_INVALID_PARAMETERS: i32 = -2;
pub const PSCI_ALREADY_ON: i32 = -4;
/// AFFINITY_INFO answers.
pub const AFF_ON: i32 = 0;
pub const AFF_OFF: i32 = 1;

/// A function's name and how many of x1..x3 it reads, for messages.
pub fn describe(fid: u32) -> (&'static str, usize) {
    match fid {
        RVIC_VERSION => ("rVIC VERSION", 0),
        RVIC_INFO => ("rVIC INFO", 1),
        RVIC_ENABLE => ("rVIC ENABLE", 0),
        RVIC_DISABLE => ("rVIC DISABLE", 0),
        RVIC_SET_MASKED => ("rVIC SET_MASKED", 2),
        RVIC_CLEAR_MASKED => ("rVIC CLEAR_MASKED", 2),
        RVIC_IS_PENDING => ("rVIC IS_PENDING", 2),
        RVIC_SIGNAL => ("rVIC SIGNAL", 2),
        RVIC_CLEAR_PENDING => ("rVIC CLEAR_PENDING", 2),
        RVIC_ACKNOWLEDGE => ("rVIC ACKNOWLEDGE", 0),
        RVIC_RESAMPLE => ("rVIC RESAMPLE", 1),
        RVIC_ACKNOWLEDGE_UNMASKED => ("rVIC ACKNOWLEDGE_UNMASKED", 0),
        RVID_VERSION => ("rVID VERSION", 0),
        RVID_MAP => ("rVID MAP", 3),
        RVID_UNMAP => ("rVID UNMAP", 1),
        PSCI_VERSION => ("PSCI VERSION", 0),
        PSCI_CPU_OFF => ("PSCI CPU_OFF", 0),
        PSCI_CPU_ON => ("PSCI CPU_ON", 3),
        PSCI_AFFINITY_INFO => ("PSCI AFFINITY_INFO", 2),
        PSCI_FEATURES => ("PSCI FEATURES", 1),
        SMCCC_VERSION => ("SMCCC VERSION", 0),
        SMCCC_ARCH_FEATURES => ("SMCCC ARCH_FEATURES", 1),
        _ => ("function", 3),
    }
}

/// An rVIC/rVID status word (or -1) as the ABI names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status(pub u64);

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let (reason, arg) = (self.0 & 0xff, self.0 >> 8);
        let name = match reason {
            SUCCESS => "SUCCESS",
            ERROR_PARAMETER => "ERROR_PARAMETER",
            INVALID_CPU => "INVALID_CPU",
            DISABLED => "DISABLED",
            NO_INTERRUPTS => "NO_INTERRUPTS",
            _ => "",
        };
        match (name, arg) {
            _ if self.0 == NOT_SUPPORTED => f.write_str("NOT_SUPPORTED"),
            ("", _) | (_, 0x100..) => write!(f, "{:#x}", self.0),
            (_, 0) if reason != ERROR_PARAMETER && reason != INVALID_CPU => f.write_str(name),
            _ => write!(f, "{name}({arg})"),
        }
    }
}

/// One call as issued (x0 = `fid`, x1..x3 = `args`) and as answered (`ret`
/// = x0..x3 after the call).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    pub fid: u32,
    pub args: [u64; 3],
    pub ret: [u64; 4],
}

impl Call {
    pub fn status(&self) -> u64 {
        self.ret[0]
    }

    pub fn value(&self) -> u64 {
        self.ret[1]
    }

    /// x0 = `x0`, x1 = `x1`, and the unused x2, x3 zero.
    pub fn expect(&self, x0: u64, x1: u64) -> Outcome {
        if self.ret == [x0, x1, 0, 0] {
            return Ok(());
        }
        let r = self.ret;
        Err(msg!(
            "{self}: expected x0={} x1={x1:#x} x2=0 x3=0, got x0={} x1={:#x} x2={:#x} x3={:#x}",
            Status(x0),
            Status(r[0]),
            r[1],
            r[2],
            r[3]
        ))
    }

    /// w0 (an SMC32-style signed result, as PSCI returns them) = `w0`.
    pub fn expect_w0(&self, w0: i32) -> Outcome {
        match self.ret[0] as u32 as i32 {
            got if got == w0 => Ok(()),
            got => Err(msg!("{self}: expected w0={w0}, got w0={got}")),
        }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let (name, n) = describe(self.fid);
        if n == 3 && name == "function" {
            write!(f, "function {:#x}", self.fid)?;
        } else {
            f.write_str(name)?;
        }
        f.write_str("(")?;
        for (i, a) in self.args[..n].iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{a:#x}")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn status_names_reason_and_argument() {
        assert_eq!(Status(0).to_string(), "SUCCESS");
        assert_eq!(
            Status(err(ERROR_PARAMETER, 0)).to_string(),
            "ERROR_PARAMETER(0)"
        );
        assert_eq!(Status(0x201).to_string(), "ERROR_PARAMETER(2)");
        assert_eq!(Status(err(INVALID_CPU, 1)).to_string(), "INVALID_CPU(1)");
        assert_eq!(Status(DISABLED).to_string(), "DISABLED");
        assert_eq!(Status(NO_INTERRUPTS).to_string(), "NO_INTERRUPTS");
        assert_eq!(Status(0x103).to_string(), "DISABLED(1)");
        assert_eq!(Status(u64::MAX).to_string(), "NOT_SUPPORTED");
        assert_eq!(Status(9).to_string(), "0x9");
        assert_eq!(Status(1 << 16).to_string(), "0x10000");
    }

    #[test]
    fn a_call_matches_only_its_exact_result() {
        let mut c = Call {
            fid: RVIC_INFO,
            args: [0, 7, 7],
            ret: [0, 32, 0, 0],
        };
        assert!(c.expect(SUCCESS, 32).is_ok());
        assert!(c.expect(SUCCESS, 64).is_err());
        c.ret[3] = 1; // a stray value in an unused result register
        let e = c.expect(SUCCESS, 32).unwrap_err();
        assert_eq!(
            e.as_str(),
            "rVIC INFO(0x0): expected x0=SUCCESS x1=0x20 x2=0 x3=0, \
             got x0=SUCCESS x1=0x20 x2=0x0 x3=0x1"
        );
    }

    #[test]
    fn calls_print_their_used_arguments() {
        let c = |fid, args| Call {
            fid,
            args,
            ret: [0; 4],
        };
        assert_eq!(
            c(RVIC_ACKNOWLEDGE, [1, 2, 3]).to_string(),
            "rVIC ACKNOWLEDGE()"
        );
        assert_eq!(
            c(RVIC_SIGNAL, [1, 2, 3]).to_string(),
            "rVIC SIGNAL(0x1, 0x2)"
        );
        assert_eq!(
            c(RVID_MAP, [64, 0, 32]).to_string(),
            "rVID MAP(0x40, 0x0, 0x20)"
        );
        assert_eq!(
            c(0x1234, [1, 2, 3]).to_string(),
            "function 0x1234(0x1, 0x2, 0x3)"
        );
    }

    #[test]
    fn psci_results_are_read_from_w0() {
        let mut c = Call {
            fid: PSCI_CPU_ON,
            args: [0; 3],
            ret: [(-4i64) as u64, 0, 0, 0],
        };
        assert!(c.expect_w0(PSCI_ALREADY_ON).is_ok());
        c.ret[0] = 0xffff_fffc; // the same answer written as a 32-bit value
        assert!(c.expect_w0(PSCI_ALREADY_ON).is_ok());
        assert_eq!(
            c.expect_w0(PSCI_SUCCESS).unwrap_err().as_str(),
            "PSCI CPU_ON(0x0, 0x0, 0x0): expected w0=0, got w0=-4"
        );
    }
}
