// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Exceptions at EL2: running the guest until its next exit (vectors.S's
//! `guest_enter`), the registers an exit saves, and the report of an
//! exception taken at EL2 itself, which is always a hypervisor bug.
//!
//! Nothing here calls upwards: [`run`] returns which vector the guest left
//! by, and its caller decides what that means.

use aarch64_cpu::registers::{Readable, ESR_EL2, FAR_EL2};

/// A vCPU's general registers and return state, as vectors.S lays them
/// out: `x0..x30`, then ELR_EL2 and SPSR_EL2.
#[repr(C, align(16))]
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub x: [u64; 31],
    /// Where the guest resumes.
    pub elr: u64,
    /// The PSTATE it resumes with.
    pub spsr: u64,
}

const _: () = assert!(core::mem::offset_of!(Context, elr) == 248);
const _: () = assert!(core::mem::offset_of!(Context, spsr) == 256);
const _: () = assert!(core::mem::size_of::<Context>() == 272);

/// Which of the lower-EL vectors ended a guest run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vector {
    /// A synchronous exception: a trapped instruction, an abort, a call.
    Sync,
    /// A physical IRQ arrived while the guest ran.
    Irq,
    /// A physical FIQ arrived while the guest ran.
    Fiq,
    /// An SError while the guest ran.
    SError,
}

extern "C" {
    fn guest_enter(ctx: *mut Context) -> u64;
}

/// Run the guest in `ctx` on this CPU until it exits; `ctx` then holds its
/// registers at the exit. Stage 2 and the EL2 controls must be this vCPU's
/// (see `virt::init_cpu`).
pub fn run(ctx: &mut Context) -> Vector {
    // SAFETY: guest_enter saves the callee-saved registers, runs the guest
    // on this CPU's EL2 stack below them and returns here on its next
    // exception with them restored (vectors.S); `ctx` is a whole Context,
    // the layout vectors.S reads and writes (checked above).
    let kind = unsafe { guest_enter(ctx) };
    match kind {
        8 | 12 => Vector::Sync,
        9 | 13 => Vector::Irq,
        10 | 14 => Vector::Fiq,
        _ => Vector::SError,
    }
}

/// The syndrome of the exception being handled: ESR_EL2 and FAR_EL2.
pub fn syndrome() -> (u64, u64) {
    (ESR_EL2.get(), FAR_EL2.get())
}

/// The syndrome of an SError that was pending as the guest left and that
/// the ESB at the start of the exit vector deferred (FEAT_RAS: DISR_EL1),
/// clearing the record; `None` without one, or without FEAT_RAS (the ESB
/// is then a NOP and a pending SError is taken at the next entry).
pub fn deferred_serror() -> Option<u64> {
    if !super::virt::has_ras() {
        return None;
    }
    let disr: u64;
    // SAFETY: DISR_EL1 (s3_0_c12_c1_1) exists with FEAT_RAS, checked
    // above; at EL2 it is the physical record, not the guest's (VDISR_EL2).
    unsafe { core::arch::asm!("mrs {}, s3_0_c12_c1_1", out(reg) disr, options(nomem, nostack)) };
    let s = hyp::serror::deferred(disr)?;
    // SAFETY: as above; zero clears the record for the next exit.
    unsafe { core::arch::asm!("msr s3_0_c12_c1_1, xzr", options(nomem, nostack)) };
    Some(s)
}

/// HPFAR_EL2: the faulting IPA's page, for a stage-2 abort.
pub fn hpfar() -> u64 {
    aarch64_cpu::registers::HPFAR_EL2.get()
}

/// Called by vectors.S for an exception taken at EL2: report it with the
/// registers and stop this CPU (through the panic handler, which prints).
#[no_mangle]
extern "C" fn el2_fault(frame: &Context, kind: u64) -> ! {
    let what = match kind {
        0..=3 => "exception on SP_EL0",
        4 => "synchronous exception",
        5 => "IRQ",
        6 => "FIQ",
        _ => "SError",
    };
    let (esr, far) = syndrome();
    panic!(
        "FATAL: {what} at EL2: ESR {esr:#010x} (EC {:#04x}) FAR {far:#x} ELR {:#x} SPSR {:#x}{}",
        esr >> 26,
        frame.elr,
        frame.spsr,
        Registers(&frame.x)
    )
}

/// `x0..x30`, four to a line.
struct Registers<'a>(&'a [u64; 31]);

impl core::fmt::Display for Registers<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (i, x) in self.0.iter().enumerate() {
            let sep = if i % 4 == 0 { "\n " } else { "" };
            write!(f, "{sep} x{i:<2} {x:#018x}")?;
        }
        Ok(())
    }
}
