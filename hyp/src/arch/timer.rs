// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The EL2 physical timer (CNTHP) and the system counter.

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{
    Readable, Writeable, CNTFRQ_EL0, CNTHP_CTL_EL2, CNTPCT_EL0, CNTVCT_EL0, CNTVOFF_EL2,
};

/// Counter frequency in Hz.
pub fn frequency() -> u64 {
    CNTFRQ_EL0.get()
}

/// The physical count.
pub fn now() -> u64 {
    barrier::isb(barrier::SY);
    CNTPCT_EL0.get()
}

/// Arm the EL2 physical timer to fire `ticks` from now.
pub fn arm_in(ticks: u64) {
    // SAFETY: CNTHP_TVAL_EL2 only sets this CPU's EL2 timer deadline.
    unsafe { core::arch::asm!("msr cnthp_tval_el2, {}", "isb", in(reg) ticks) };
    CNTHP_CTL_EL2.write(CNTHP_CTL_EL2::ENABLE::SET + CNTHP_CTL_EL2::IMASK::CLEAR);
}

/// The virtual count, as the guest's CNTVCT_EL0 reads it.
pub fn virtual_now() -> u64 {
    barrier::isb(barrier::SY);
    CNTVCT_EL0.get()
}

/// Arm the EL2 physical timer to fire when the virtual count reaches
/// `deadline` (the physical count minus CNTVOFF_EL2 does).
pub fn arm_at_virtual(deadline: u64) {
    let cval = deadline.wrapping_add(CNTVOFF_EL2.get());
    // SAFETY: CNTHP_CVAL_EL2 only sets this CPU's EL2 timer deadline.
    unsafe { core::arch::asm!("msr cnthp_cval_el2, {}", in(reg) cval, options(nomem, nostack)) };
    CNTHP_CTL_EL2.write(CNTHP_CTL_EL2::ENABLE::SET + CNTHP_CTL_EL2::IMASK::CLEAR);
    barrier::isb(barrier::SY);
}

/// Stop the EL2 physical timer (its level interrupt drops).
pub fn stop() {
    CNTHP_CTL_EL2.write(CNTHP_CTL_EL2::ENABLE::CLEAR);
}

/// Wait (WFE, woken by interrupts, SEV and the event stream) until `done`
/// or `ms` milliseconds have passed. Returns whether `done` became true.
pub fn wait_until(ms: u64, done: impl Fn() -> bool) -> bool {
    let deadline = now() + frequency() / 1000 * ms;
    while !done() {
        if now() > deadline {
            return done();
        }
        super::wfe();
    }
    true
}
