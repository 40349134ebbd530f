// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The architecture layer, the bottom of the hypervisor: every line of
//! assembly and every `unsafe` that touches a register lives below this
//! module. It calls nothing above it; the layers above are safe Rust.
//!
//! | module | owns |
//! |---|---|
//! | `boot.S` | the Image header, relocation, the boot and secondary entry paths |
//! | `vectors.S`, [`exception`] | entering the guest and returning on its exits; EL2 faults |
//! | [`spectre`] | which vector table, so which Spectre mitigation on guest exit, this CPU uses |
//! | [`virt`] | this CPU's EL2 controls for its vCPU: traps, stage-2 base, the virtual IRQ line |
//! | [`inject`] | exceptions the hypervisor makes the guest take |
//! | [`pmu`] | the guest's PMU registers, for a trapped access |
//! | [`mmu`], [`stage2`] | the EL2 identity map; a guest's stage-2 tables |
//! | [`secondary`] | what a starting CPU reads before it has a stack |
//! | [`cache`], [`timer`] | cache maintenance by address; the EL2 timer and the counter |
//!
//! EL2 runs with interrupts masked from boot to power-off: an interrupt
//! taken while the guest runs ends the run (a lower-EL IRQ exit), and
//! anything waiting in the hypervisor polls the GIC after `wfi`.

pub mod cache;
pub mod exception;
pub mod idregs;
pub mod inject;
pub mod mmu;
pub mod pmu;
pub mod secondary;
pub mod spectre;
pub mod stage2;
pub mod timer;
pub mod virt;

use aarch64_cpu::asm::{self, barrier};
use aarch64_cpu::registers::{
    Readable, Writeable, CNTHCTL_EL2, HCR_EL2, MPIDR_EL1, TPIDR_EL2, VBAR_EL2,
};

/// Size of every CPU's stack. Each has an unmapped guard page below it,
/// so an overflow faults at EL2 instead of overwriting what lies there.
pub const STACK_SIZE: usize = 64 * 1024;
/// The guard page's size: one page.
pub const GUARD_SIZE: usize = 4096;
/// The boot CPU's stack and its guard, which boot.S skips. Twice the
/// others': discovery's `Platform` (about 22 KiB) lives on it, by value,
/// more than once.
pub const BOOT_STACK_SIZE: usize = GUARD_SIZE + 2 * STACK_SIZE;

#[repr(C, align(4096))]
pub struct Stack<const N: usize>([u8; N]);

/// The boot CPU's stack (guard page first); boot.S points SP at its end.
#[no_mangle]
static mut BOOT_STACK: Stack<BOOT_STACK_SIZE> = Stack([0; BOOT_STACK_SIZE]);

/// The boot CPU's guard page.
pub fn boot_stack_guard() -> u64 {
    core::ptr::addr_of!(BOOT_STACK) as u64
}

core::arch::global_asm!(
    include_str!("boot.S"),
    BOOT_STACK_SIZE = const BOOT_STACK_SIZE,
    AFFINITY_LO = const vocab::MPIDR_AFFINITY_MASK & 0xffff_ffff,
    AFFINITY_HI = const vocab::MPIDR_AFFINITY_MASK >> 32,
);
core::arch::global_asm!(include_str!("vectors.S"));

extern "C" {
    /// Where secondary CPUs start (PSCI CPU_ON or spin-table release).
    fn secondary_entry();
    static el2_vectors: u8;
    static __image_start: u8;
    static __text_end: u8;
    static __rodata_end: u8;
    static __image_end: u8;
}

/// The image's parts, for the EL2 map.
pub fn image_parts() -> mmu::Image {
    mmu::Image {
        start: core::ptr::addr_of!(__image_start) as u64,
        text: core::ptr::addr_of!(__text_end) as u64,
        rodata: core::ptr::addr_of!(__rodata_end) as u64,
        end: core::ptr::addr_of!(__image_end) as u64,
        guard: boot_stack_guard(),
    }
}

/// Address of `secondary_entry`, for PSCI CPU_ON and spin-table.
pub fn secondary_entry_addr() -> u64 {
    secondary_entry as *const () as u64
}

/// This CPU's logical index (boot CPU 0), kept in TPIDR_EL2.
#[inline]
pub fn cpu_index() -> usize {
    TPIDR_EL2.get() as usize
}

/// This CPU's MPIDR affinity fields.
#[inline]
pub fn mpidr() -> u64 {
    MPIDR_EL1.get() & vocab::MPIDR_AFFINITY_MASK
}

/// Wait for an interrupt. With interrupts masked at EL2, a pending one
/// still wakes the CPU; the caller then polls the GIC.
#[inline]
pub fn wfi() {
    asm::wfi();
}

/// Wait for an event (SEV, or the timer event stream set up by
/// [`init_cpu`], so that a wait always gets to check its deadline).
#[inline]
pub fn wfe() {
    asm::wfe();
}

/// Make earlier stores visible, then wake CPUs waiting in WFE.
#[inline]
pub fn sev() {
    barrier::dsb(barrier::ISHST);
    asm::sev();
}

/// Stop this CPU for good: interrupts masked, waiting for events forever.
pub fn park() -> ! {
    extern "C" {
        fn park() -> !;
    }
    // SAFETY: boot.S's park masks interrupts and loops on WFE; it never
    // returns and touches no memory.
    unsafe { park() }
}

/// CNTHCTL_EL2.EL1PCTEN, EL1PCEN: EL1 may read the physical counter, and
/// use the physical timer.
pub const CNTHCTL_EL1PCTEN: u64 = 1 << 0;
pub const CNTHCTL_EL1PCEN: u64 = 1 << 1;
/// CNTHCTL_EL2.EVNTEN with EVNTI = 15: an event every 2^16 counter ticks
/// (the fields aarch64-cpu does not name).
pub const CNTHCTL_EVENT_STREAM: u64 = (1 << 2) | (15 << 4);

/// Per-CPU EL2 set-up, before any guest: the vectors; physical IRQs,
/// FIQs and SErrors taken to EL2 (an interrupt routed to a lower EL is
/// never taken at EL2) with EL1 AArch64; and a timer event stream (about
/// every 2^16 counter ticks) so that WFE-based waits wake to check their
/// deadline. EL1 keeps its physical counter and timer, as a non-VHE EL2's
/// reset state has them.
pub fn init_cpu() {
    let vectors = core::ptr::addr_of!(el2_vectors) as u64;
    VBAR_EL2.set(vectors);
    HCR_EL2.write(
        HCR_EL2::FMO::SET + HCR_EL2::IMO::SET + HCR_EL2::AMO::SET + HCR_EL2::RW::EL1IsAarch64,
    );
    CNTHCTL_EL2.set(CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN | CNTHCTL_EVENT_STREAM);
    barrier::isb(barrier::SY);
}
