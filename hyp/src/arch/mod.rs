// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The architecture layer: every line of assembly and nearly every `unsafe`
//! of the EL2 image lives below this module. Above it, the hypervisor is
//! safe Rust.

pub mod cache;
pub mod exception;
pub mod guest;
pub mod mmu;
pub mod secondary;
pub mod smccc;
pub mod stage2;

pub mod timer;

use aarch64_cpu::registers::{Readable, MPIDR_EL1, TPIDR_EL2};

/// Size of the boot CPU's stack (static, in BSS).
pub const BOOT_STACK_SIZE: usize = 64 * 1024;
/// Size of each secondary CPU's stack (from the heap).
pub const STACK_SIZE: usize = 64 * 1024;

#[repr(C, align(16))]
pub struct Stack<const N: usize>([u8; N]);

/// The boot CPU's stack; boot.S points SP at its end.
#[no_mangle]
static mut BOOT_STACK: Stack<BOOT_STACK_SIZE> = Stack([0; BOOT_STACK_SIZE]);

core::arch::global_asm!(
    include_str!("boot.S"),
    BOOT_STACK_SIZE = const BOOT_STACK_SIZE,
);
core::arch::global_asm!(include_str!("vectors.S"));

extern "C" {
    /// Where secondary CPUs start (PSCI CPU_ON or spin-table release).
    pub fn secondary_entry();
    static el2_vectors: u8;
    static __image_start: u8;
    static __image_end: u8;
}

/// Physical (= virtual, the EL2 map is the identity) range of the image.
pub fn image_range() -> (u64, u64) {
    (
        core::ptr::addr_of!(__image_start) as u64,
        core::ptr::addr_of!(__image_end) as u64,
    )
}

/// Address of `secondary_entry`, for PSCI CPU_ON and spin-table.
pub fn secondary_entry_addr() -> u64 {
    secondary_entry as *const () as u64
}

/// Install the EL2 exception vectors on this CPU.
pub fn install_vectors() {
    // SAFETY: el2_vectors is the 2 KiB-aligned table in vectors.S; writing
    // VBAR_EL2 only changes where this CPU's EL2 exceptions go.
    unsafe {
        let v = core::ptr::addr_of!(el2_vectors) as u64;
        core::arch::asm!("msr vbar_el2, {}", "isb", in(reg) v);
    }
}

/// This CPU's logical index (boot CPU 0), kept in TPIDR_EL2.
#[inline]
pub fn cpu_index() -> usize {
    TPIDR_EL2.get() as usize
}

/// This CPU's MPIDR affinity fields (`MPIDR_EL1 & 0xff00ffffff`).
#[inline]
pub fn mpidr() -> u64 {
    MPIDR_EL1.get() & 0xff_00ff_ffff
}

/// Unmask IRQs at EL2 on this CPU.
pub fn irq_enable() {
    // SAFETY: changes only this CPU's PSTATE.I.
    unsafe { core::arch::asm!("msr daifclr, #2") }
}

/// Mask IRQs at EL2 on this CPU.
pub fn irq_disable() {
    // SAFETY: changes only this CPU's PSTATE.I.
    unsafe { core::arch::asm!("msr daifset, #2") }
}

/// Wait for an interrupt (or an event, with the caller's loop).
#[inline]
pub fn wfi() {
    // SAFETY: WFI has no memory effects.
    unsafe { core::arch::asm!("wfi") }
}

/// Wake CPUs waiting in WFE.
#[inline]
pub fn sev() {
    // SAFETY: SEV has no memory effects.
    unsafe { core::arch::asm!("dsb ishst", "sev") }
}

/// Stop this CPU for good: interrupts masked, waiting for events forever.
pub fn park() -> ! {
    extern "C" {
        fn park() -> !;
    }
    // SAFETY: park masks interrupts and loops on WFE; it never returns.
    unsafe { park() }
}

/// Wait for an event (SEV, an interrupt, or the timer event stream).
#[inline]
pub fn wfe() {
    // SAFETY: WFE has no memory effects.
    unsafe { core::arch::asm!("wfe") }
}

/// HCR_EL2 before any guest exists: physical IRQs, FIQs and SErrors are
/// routed to EL2 (an interrupt routed to a lower EL is never taken at EL2),
/// and EL1 is AArch64.
const HCR_HOST: u64 = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 31);

/// Per-CPU EL2 set-up shared by all CPUs: vectors, interrupt routing, and a
/// timer event stream (about every 2^16 counter ticks) so that WFE-based
/// waits always wake up to check their deadline.
pub fn init_cpu() {
    install_vectors();
    // SAFETY: HCR_EL2 with no guest running only decides where physical
    // interrupts go; see HCR_HOST.
    unsafe { core::arch::asm!("msr hcr_el2, {}", "isb", in(reg) HCR_HOST) };
    // SAFETY: CNTHCTL_EL2 here only enables the event stream (EVNTEN, bit 2;
    // EVNTI = 15 in bits 7:4) and keeps EL1 access to the physical counter
    // and timer (bits 0 and 1) as the reset state of a non-VHE EL2 expects.
    unsafe {
        core::arch::asm!("msr cnthctl_el2, {}", "isb", in(reg) 0b11u64 | (1 << 2) | (15 << 4));
    }
}
