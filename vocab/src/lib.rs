// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The vocabulary the hypervisor's crates share, each word defined once:
//! how many CPUs the hypervisor drives, which MPIDR bits name a CPU, how an
//! interrupt line signals, and which UART driver a console needs. Plain
//! values, no behaviour: the crates that act on them (`platform` reads
//! them from the device tree, `gic-backend` programs them, `uart` drives
//! them, `rvic`/`rvid` model them) each depend on this one.
#![no_std]
#![forbid(unsafe_code)]

/// Most physical CPUs (and so vCPUs) the hypervisor brings up.
pub const MAX_CPUS: usize = 64;

/// The bits of an MPIDR that name a CPU: Aff3 (39:32), Aff2, Aff1, Aff0.
pub const MPIDR_AFFINITY_MASK: u64 = 0xff_00ff_ffff;

/// How an interrupt line signals, as an interrupt controller sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// Each assertion is one interrupt.
    Edge,
    /// The interrupt is pending while the line is asserted.
    Level,
}

/// Which UART driver a console needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleKind {
    /// Arm PL011 (`arm,pl011`).
    Pl011,
    /// 16550 family (`ns16550a`, `snps,dw-apb-uart`): registers
    /// `1 << reg_shift` bytes apart, accessed `reg_io_width` bytes wide.
    Ns16550,
    /// Raspberry Pi mini UART (`brcm,bcm2835-aux-uart`): 16550-like,
    /// registers 4 bytes apart, 32-bit access, whatever its node says.
    Bcm2835Aux,
    /// Amlogic Meson UART (`amlogic,meson-gx-uart`).
    Meson,
}
