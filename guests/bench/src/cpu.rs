// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The instructions the benchmark needs beyond the conformance guest's
//! `arch` layer: WFI, YIELD (the poll loops' `cpu_relax`), an ordered read
//! of the virtual counter, ELR_EL1, and `HVC #0` as the rVIC backend's
//! conduit.

use bench::irqchip::Conduit;

use crate::arch;

/// Wait for an interrupt (trapped to the hypervisor unless `--wfi native`).
#[inline]
pub fn wfi() {
    // SAFETY: WFI has no memory effects.
    unsafe { core::arch::asm!("wfi") }
}

/// One turn of a busy-wait loop: YIELD, as Linux's and kvm-unit-tests'
/// `cpu_relax()` on arm64. Under QEMU's round-robin TCG (`-icount`) it also
/// lets the next vCPU run, so a waiting vCPU does not hold the others off.
#[inline]
pub fn relax() {
    // SAFETY: YIELD is a hint with no architectural effect.
    unsafe { core::arch::asm!("yield", options(nomem, nostack)) }
}

/// CNTVCT_EL0 after every earlier instruction (ISB first), as
/// kvm-unit-tests' micro-bench reads it around an operation.
#[inline]
pub fn now() -> u64 {
    let v: u64;
    // SAFETY: an ISB and a counter read have no side effects.
    unsafe { core::arch::asm!("isb", "mrs {}, cntvct_el0", out(reg) v, options(nostack)) };
    v
}

sysreg_read!(elr, "elr_el1");

/// `HVC #0`, the rVIC backend's way to the hypervisor.
pub struct Hvc;

impl Conduit for Hvc {
    #[inline]
    fn call(fid: u32, args: [u64; 3]) -> [u64; 4] {
        arch::hvc(fid, args).ret
    }

    #[inline]
    fn me() -> u64 {
        arch::mpidr()
    }
}
