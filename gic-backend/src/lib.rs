// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The physical interrupt controller, behind one trait.
//!
//! `Gic` is everything the hypervisor asks of the real GIC: the distributor,
//! this CPU's interface (or redistributor), split priority-drop and
//! deactivation (EOImode 1), SGIs between physical CPUs, and the virtual CPU
//! interface (list registers, `GICH_*` on v2, `ICH_*_EL2` on v3). `GicV2` and
//! `GicV3` implement it; nothing above this crate knows which one it drives.
//!
//! Layout: `gicv2` and `gicv3` (with `redist`) are the drivers; `lines` holds
//! the per-INTID register banks both share; `lr` the list-register
//! encodings. `mmio` (volatile device access) and `arch` (barriers, and the
//! system-register instructions behind the [`SysRegs`] trait) hold the only
//! `unsafe` that touches hardware; the drivers' constructors are `unsafe fn`s
//! that only pass their caller's promise about the addresses on to `mmio`.
#![no_std]

mod arch;
#[cfg(test)]
mod fake;
mod gicv2;
mod gicv3;
mod lines;
mod lr;
mod mmio;
mod redist;
mod sysreg;

#[cfg(target_arch = "aarch64")]
pub use arch::CpuSysRegs;
pub use gicv2::{GicV2, GicV2Frames, GICV2_MAX_CPUS};
pub use gicv3::{sgi1r, GicV3, RedistRegion, MAX_REDIST_REGIONS};
pub use lr::{decode_v2, decode_v3, encode_v2, encode_v3};
pub use sysreg::{SysReg, SysRegs};

/// Most CPUs a `GicV3` takes (a `GicV2` takes at most [`GICV2_MAX_CPUS`]).
pub use vocab::MAX_CPUS;
/// Priority every interrupt gets at initialisation.
pub const DEFAULT_PRIORITY: u8 = 0xa0;
pub use vocab::MPIDR_AFFINITY_MASK;

/// Interrupt IDs at the physical GIC.
pub type IntId = u32;

/// First SPI. 0..16 are SGIs, 16..32 PPIs.
pub const SPI_BASE: IntId = 32;
/// What the CPU interface returns when there is nothing to acknowledge.
pub const SPURIOUS: IntId = 1023;

pub use vocab::Trigger;

/// State of a virtual interrupt in a list register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LrState {
    Invalid,
    Pending,
    Active,
    PendingActive,
}

/// One list register, independent of GIC version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListReg {
    /// Virtual INTID the guest sees.
    pub vintid: u32,
    pub state: LrState,
    /// Group 1 (the only group a non-secure guest uses).
    pub group1: bool,
    /// Priority; only the bits the hardware implements are kept.
    pub priority: u8,
    /// Linked physical INTID: the guest's deactivation deactivates it.
    pub hw: Option<IntId>,
}

impl ListReg {
    pub const EMPTY: ListReg = ListReg {
        vintid: 0,
        state: LrState::Invalid,
        group1: true,
        priority: 0xa0,
        hw: None,
    };
}

/// Maintenance-interrupt conditions (`GICH_HCR` / `ICH_HCR_EL2` enables).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaintenanceEnables {
    /// Underflow: at most one list register valid.
    pub underflow: bool,
    /// No pending: no list register in the pending state.
    pub no_pending: bool,
}

/// A physical CPU as the GIC knows it: logical index plus its MPIDR
/// affinity (`MPIDR_EL1 & 0xff00ffffff`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuId {
    pub index: usize,
    pub mpidr: u64,
}

/// The physical GIC. Methods that name no CPU act on the calling CPU's
/// interface; every method may be called from any CPU once `init_cpu` has run
/// there.
pub trait Gic: Sync {
    /// Number of interrupt lines the distributor implements (incl. SGI/PPI).
    fn num_irqs(&self) -> u32;

    /// Once, on the boot CPU: distributor on, all SPIs disabled, group 1,
    /// default priority. (A GICv2 without the Security Extensions, as on
    /// QEMU `virt`, uses group 0 instead: see `GicV2`.)
    fn init_distributor(&self);
    /// On each CPU: its redistributor (v3) or banked distributor state and
    /// CPU interface, EOImode 1 (priority drop and deactivation split),
    /// priority mask open, group 1 enabled. Learns the CPU's GIC target
    /// number (v2) from the hardware, not from the MPIDR.
    fn init_cpu(&self, cpu: CpuId);

    fn enable(&self, intid: IntId);
    fn disable(&self, intid: IntId);
    /// Edge or level for an SPI or PPI (SGIs are always edge).
    fn set_trigger(&self, intid: IntId, trigger: Trigger);
    /// Route an SPI to one CPU.
    fn route(&self, intid: IntId, cpu: CpuId);
    fn is_pending(&self, intid: IntId) -> bool;
    /// Deactivate through the distributor (ICACTIVER): unlike `deactivate`,
    /// any CPU may do this for an SPI, whichever CPU acknowledged it.
    fn clear_active(&self, intid: IntId);

    /// Acknowledge the highest-priority pending interrupt on this CPU;
    /// `None` for a spurious read. On GICv2 an acknowledged SGI must be
    /// deactivated before the same SGI number is acknowledged again on this
    /// CPU: the driver keeps one source CPU per SGI and CPU for EOIR/DIR.
    fn acknowledge(&self) -> Option<IntId>;
    /// Priority drop (EOIR under EOImode 1): this CPU may take other
    /// interrupts, the line stays active.
    fn priority_drop(&self, intid: IntId);
    /// Deactivate (DIR): the line may fire again.
    fn deactivate(&self, intid: IntId);

    /// Send SGI `sgi` (0..16) to one CPU.
    fn send_sgi(&self, sgi: IntId, target: CpuId);

    fn write_lr(&self, n: usize, lr: ListReg);
    /// Virtual CPU interface on or off for the guest running on this CPU
    /// (`GICH_HCR.En` / `ICH_HCR_EL2.En`), with maintenance conditions.
    fn set_virtual_interface(&self, enable: bool, maintenance: MaintenanceEnables);
}

/// Checks a driver's CPU list: at most `max` entries, entry `i` has index `i`.
fn check_cpus(cpus: &[CpuId], max: usize) {
    assert!(
        cpus.len() <= max,
        "GIC: {} CPUs, at most {max} supported",
        cpus.len()
    );
    for (i, cpu) in cpus.iter().enumerate() {
        assert_eq!(
            cpu.index, i,
            "GIC: CPU list entry {i} has index {}",
            cpu.index
        );
    }
}

/// `GICH_HCR` / `ICH_HCR_EL2` (same layout): En, UIE, NPIE.
fn hcr_value(enable: bool, maintenance: MaintenanceEnables) -> u32 {
    u32::from(enable)
        | u32::from(maintenance.underflow) << 1
        | u32::from(maintenance.no_pending) << 3
}

/// An acknowledge value's INTID unless it is one of the special INTIDs
/// 1020..=1023 (spurious).
fn not_special(intid: IntId) -> Option<IntId> {
    (!(1020..1024).contains(&intid)).then_some(intid)
}
