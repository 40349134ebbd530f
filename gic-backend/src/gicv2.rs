// SPDX-License-Identifier: Apache-2.0 OR MIT
//! GICv2 (GIC-400, cortex-a15-gic): the distributor (GICD), the calling
//! CPU's banked distributor registers and CPU interface (GICC), and its
//! virtual interface control (GICH), all memory-mapped. Owns each CPU's GIC
//! target number, which that CPU learns from the banked GICD_ITARGETSR0..7
//! (it is not MPIDR.Aff0), and the source CPU of each SGI being handled.
//!
//! Groups: a GIC with the Security Extensions (real boards) shows the
//! non-secure hypervisor one group, group 1, which secure firmware set up;
//! GICD_IGROUPR is read-as-zero/write-ignored there. A GIC without them
//! (QEMU `virt` unless `secure=on`) has one security state and two groups;
//! there the driver uses group 0, because GICC_IAR only acknowledges group 0
//! unless the deprecated AckCtl is set. Either way GICD_CTLR bit 0 and
//! GICC_CTLR bits 0 and 9 enable that group and select EOImode 1: they are
//! EnableGrp1 and EOImodeNS in the non-secure view, EnableGrp0 and EOImodeS
//! (which then governs every interrupt) without the extensions.

use crate::lines::{self, ICACTIVER, ICENABLER, ISENABLER, ISPENDR};
use crate::lr::encode_v2;
use crate::mmio::Mmio;
use crate::{arch, check_cpus, hcr_value, not_special};
use crate::{CpuId, Gic, IntId, ListReg, MaintenanceEnables, Trigger, SPI_BASE};
use core::sync::atomic::{AtomicU8, Ordering};
use spin::Mutex;

const GICD_CTLR: usize = 0x000;
const GICD_TYPER: usize = 0x004;
const GICD_ITARGETSR: usize = 0x800;
const GICD_SGIR: usize = 0xf00;
const GICD_TYPER_SECURITY_EXTN: u32 = 1 << 10;

const GICC_CTLR: usize = 0x00;
const GICC_PMR: usize = 0x04;
const GICC_BPR: usize = 0x08;
const GICC_IAR: usize = 0x0c;
const GICC_EOIR: usize = 0x10;
const GICC_DIR: usize = 0x1000;
const GICC_CTLR_ENABLE: u32 = 1 << 0;
const GICC_CTLR_EOIMODE: u32 = 1 << 9;
/// FIQ/IRQ bypass-disable bits, kept as firmware set them.
const GICC_CTLR_BYPASS: u32 = 0xf << 5;

const GICH_HCR: usize = 0x00;
const GICH_VTR: usize = 0x04;
const GICH_VMCR: usize = 0x08;
const GICH_LR: usize = 0x100;
const GICH_VMCR_GRP1_ENABLE: u32 = 1 << 1;
const GICH_VMCR_PRIORITY_MASK: u32 = 0x1f << 27;

/// GICv2 has at most 8 CPU interfaces.
pub const GICV2_MAX_CPUS: usize = 8;

/// Physical addresses of the GICv2 frames (the DT node's first three `reg`
/// entries; the fourth, GICV, is the guest's and not used here).
#[derive(Clone, Copy, Debug)]
pub struct GicV2Frames {
    pub gicd: usize,
    pub gicc: usize,
    pub gich: usize,
}

pub struct GicV2 {
    gicd: Mmio,
    gicc: Mmio,
    gich: Mmio,
    ncpus: usize,
    /// Each logical CPU's target mask (its one bit); 0 until its `init_cpu`.
    targets: [AtomicU8; GICV2_MAX_CPUS],
    /// By CPU interface number and SGI: the source CPU of the SGI last
    /// acknowledged there, which EOIR and DIR must be given back.
    sgi_source: [[AtomicU8; 16]; GICV2_MAX_CPUS],
    /// Serialises read-modify-write of shared configuration registers.
    config: Mutex<()>,
}

impl GicV2 {
    /// # Safety
    /// The frames must be this machine's GICv2, mapped as device memory at
    /// these addresses (GICD 4 KiB, GICC 8 KiB, GICH 4 KiB, 8-byte aligned)
    /// for the value's lifetime, and driven by nothing else.
    ///
    /// `cpus[i].index` must be `i`; at most [`GICV2_MAX_CPUS`].
    pub unsafe fn new(frames: GicV2Frames, cpus: &[CpuId]) -> Self {
        check_cpus(cpus, GICV2_MAX_CPUS);
        // SAFETY: the caller's contract is the one `Mmio::new` asks for.
        let (gicd, gicc, gich) = unsafe {
            (
                Mmio::new(frames.gicd, 0x1000),
                Mmio::new(frames.gicc, 0x2000),
                Mmio::new(frames.gich, 0x1000),
            )
        };
        GicV2 {
            gicd,
            gicc,
            gich,
            ncpus: cpus.len(),
            targets: [const { AtomicU8::new(0) }; GICV2_MAX_CPUS],
            sgi_source: [const { [const { AtomicU8::new(0) }; 16] }; GICV2_MAX_CPUS],
            config: Mutex::new(()),
        }
    }

    /// The calling CPU's target mask, from the first non-zero banked
    /// GICD_ITARGETSR0..7 (each byte reads as that mask); `None` on a
    /// uniprocessor GIC, where they read as zero.
    fn own_mask(&self) -> Option<u8> {
        (0..8).find_map(|i| {
            let v = self.gicd.read32(GICD_ITARGETSR + 4 * i);
            let mask = (v | v >> 8 | v >> 16 | v >> 24) as u8;
            (mask != 0).then_some(mask)
        })
    }

    fn own_number(&self) -> usize {
        self.own_mask().map_or(0, |m| m.trailing_zeros() as usize)
    }

    fn target_mask(&self, cpu: CpuId) -> u8 {
        let mask = self.targets[cpu.index].load(Ordering::Acquire);
        assert!(mask != 0, "GICv2: CPU {} has not run init_cpu", cpu.index);
        mask
    }

    /// Group bits for IGROUPR: see the module documentation.
    fn group(&self) -> u32 {
        if self.gicd.read32(GICD_TYPER) & GICD_TYPER_SECURITY_EXTN != 0 {
            !0
        } else {
            0
        }
    }

    /// The value EOIR and DIR need: an SGI's carries its source CPU.
    /// Number of list registers (GICH_VTR.ListRegs + 1).
    fn num_lrs(&self) -> usize {
        (self.gich.read32(GICH_VTR) & 0x3f) as usize + 1
    }

    fn eoi_value(&self, intid: IntId) -> u32 {
        if intid < 16 {
            let src = self.sgi_source[self.own_number()][intid as usize].load(Ordering::Relaxed);
            intid | u32::from(src) << 10
        } else {
            intid
        }
    }
}

impl Gic for GicV2 {
    fn num_irqs(&self) -> u32 {
        lines::num_irqs(self.gicd.read32(GICD_TYPER))
    }

    /// Also targets every SPI at the calling (boot) CPU until `route`.
    fn init_distributor(&self) {
        self.gicd.write32(GICD_CTLR, 0);
        let num_irqs = self.num_irqs();
        lines::init_spis(&self.gicd, num_irqs, self.group());
        let boot = u32::from(self.own_mask().unwrap_or(1)) * 0x0101_0101;
        for intid in (SPI_BASE..num_irqs).step_by(4) {
            self.gicd.write32(GICD_ITARGETSR + intid as usize, boot);
        }
        self.gicd.write32(GICD_CTLR, 1);
    }

    fn init_cpu(&self, cpu: CpuId) {
        let mask = match self.own_mask() {
            Some(mask) => mask,
            None if self.ncpus == 1 => 1,
            None => panic!(
                "GICv2: GICD_ITARGETSR0..7 give CPU {} no target number",
                cpu.index
            ),
        };
        assert!(
            mask.is_power_of_two(),
            "GICv2: CPU {} reads target mask {mask:#x}",
            cpu.index
        );
        self.targets[cpu.index].store(mask, Ordering::Release);
        lines::init_banked(&self.gicd, self.group());
        self.gicc.write32(GICC_PMR, 0xff);
        self.gicc.write32(GICC_BPR, 0);
        let bypass = self.gicc.read32(GICC_CTLR) & GICC_CTLR_BYPASS;
        self.gicc
            .write32(GICC_CTLR, bypass | GICC_CTLR_ENABLE | GICC_CTLR_EOIMODE);
        self.gich.write32(GICH_HCR, 0);
        for n in 0..self.num_lrs() {
            self.gich.write32(GICH_LR + 4 * n, 0);
        }
    }

    fn enable(&self, intid: IntId) {
        lines::write_bit(&self.gicd, ISENABLER, intid);
    }

    fn disable(&self, intid: IntId) {
        lines::write_bit(&self.gicd, ICENABLER, intid);
    }

    fn set_trigger(&self, intid: IntId, trigger: Trigger) {
        if intid >= 16 {
            let _guard = self.config.lock();
            lines::set_trigger(&self.gicd, intid, trigger);
        }
    }

    /// Writes the SPI's GICD_ITARGETSR byte (byte accesses need no lock).
    fn route(&self, intid: IntId, cpu: CpuId) {
        assert!(
            (SPI_BASE..1020).contains(&intid),
            "GICv2: cannot route INTID {intid}"
        );
        self.gicd
            .write8(GICD_ITARGETSR + intid as usize, self.target_mask(cpu));
    }

    fn is_pending(&self, intid: IntId) -> bool {
        lines::read_bit(&self.gicd, ISPENDR, intid)
    }

    fn clear_active(&self, intid: IntId) {
        lines::write_bit(&self.gicd, ICACTIVER, intid);
    }

    /// Remembers an SGI's source CPU for EOIR/DIR: deactivate an SGI before
    /// acknowledging the same SGI number again on this CPU.
    fn acknowledge(&self) -> Option<IntId> {
        let iar = self.gicc.read32(GICC_IAR);
        arch::dsb_sy();
        let intid = not_special(iar & 0x3ff)?;
        if intid < 16 {
            let src = ((iar >> 10) & 7) as u8;
            self.sgi_source[self.own_number()][intid as usize].store(src, Ordering::Relaxed);
        }
        Some(intid)
    }

    fn priority_drop(&self, intid: IntId) {
        self.gicc.write32(GICC_EOIR, self.eoi_value(intid));
    }

    fn deactivate(&self, intid: IntId) {
        self.gicc.write32(GICC_DIR, self.eoi_value(intid));
    }

    /// GICD_SGIR with TargetListFilter 0 and the target's one-bit list.
    fn send_sgi(&self, sgi: IntId, target: CpuId) {
        assert!(sgi < 16, "GICv2: {sgi} is not an SGI");
        let mask = self.target_mask(target);
        arch::dsb_ishst();
        self.gicd.write32(GICD_SGIR, u32::from(mask) << 16 | sgi);
    }

    fn write_lr(&self, n: usize, lr: ListReg) {
        self.gich.write32(GICH_LR + 4 * n, encode_v2(&lr));
    }

    /// Enabling also enables the guest's virtual group 1 and opens its
    /// priority mask in GICH_VMCR: an rVIC guest never programs them.
    fn set_virtual_interface(&self, enable: bool, maintenance: MaintenanceEnables) {
        if enable {
            let vmcr = self.gich.read32(GICH_VMCR);
            self.gich.write32(
                GICH_VMCR,
                vmcr | GICH_VMCR_GRP1_ENABLE | GICH_VMCR_PRIORITY_MASK,
            );
        }
        self.gich.write32(GICH_HCR, hcr_value(enable, maintenance));
    }
}

#[cfg(test)]
#[path = "gicv2_tests.rs"]
mod tests;
