// SPDX-License-Identifier: Apache-2.0 OR MIT
//! What vectors.S hands to Rust: the saved context and the vector taken.

use aarch64_cpu::registers::{Readable, ESR_EL2, FAR_EL2};

/// The interrupted context, as vectors.S lays it out on the EL2 stack.
#[repr(C)]
#[derive(Debug, Default)]
pub struct TrapFrame {
    pub x: [u64; 31],
    pub elr: u64,
    pub spsr: u64,
    _pad: u64,
}

const _: () = assert!(core::mem::size_of::<TrapFrame>() == 272);

/// Which of the 16 vectors was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vector {
    /// Synchronous exception from EL2 itself.
    CurrentSync,
    /// IRQ while at EL2.
    CurrentIrq,
    /// Synchronous exception from the guest (AArch64 EL1/EL0).
    LowerSync,
    /// IRQ while the guest ran.
    LowerIrq,
    /// FIQ or SError while the guest ran (AArch64 or AArch32).
    LowerAsync(u64),
    /// Anything else: SP_EL0 vectors, FIQ or SError at EL2.
    Unexpected(u64),
}

impl Vector {
    fn from_kind(kind: u64) -> Vector {
        match kind {
            4 => Vector::CurrentSync,
            5 => Vector::CurrentIrq,
            8 | 12 => Vector::LowerSync,
            9 | 13 => Vector::LowerIrq,
            10 | 11 | 14 | 15 => Vector::LowerAsync(kind),
            k => Vector::Unexpected(k),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Vector::CurrentSync => "synchronous exception at EL2",
            Vector::CurrentIrq => "IRQ at EL2",
            Vector::LowerSync => "synchronous exception from the guest",
            Vector::LowerIrq => "IRQ from the guest",
            Vector::LowerAsync(10 | 14) => "FIQ from the guest",
            Vector::LowerAsync(_) => "SError from the guest",
            Vector::Unexpected(0..=3) => "exception on SP_EL0 at EL2",
            Vector::Unexpected(6) => "FIQ at EL2",
            Vector::Unexpected(_) => "SError at EL2",
        }
    }
}

/// The syndrome of the exception being handled.
#[derive(Clone, Copy, Debug)]
pub struct Syndrome {
    pub esr: u64,
    pub far: u64,
}

impl Syndrome {
    pub fn read() -> Syndrome {
        Syndrome {
            esr: ESR_EL2.get(),
            far: FAR_EL2.get(),
        }
    }

    /// Exception class, ESR[31:26].
    pub fn ec(&self) -> u64 {
        (self.esr >> 26) & 0x3f
    }
}

/// Called by vectors.S for every exception taken to EL2.
#[no_mangle]
extern "C" fn handle_exception(frame: &mut TrapFrame, kind: u64) {
    crate::trap::handle(frame, Vector::from_kind(kind));
}
