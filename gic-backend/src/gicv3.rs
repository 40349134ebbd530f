// SPDX-License-Identifier: Apache-2.0 OR MIT
//! GICv3: the distributor (MMIO, affinity routing), each CPU's
//! redistributor (MMIO, found by affinity in `init_cpu`), and the CPU and
//! virtual interfaces, which are system registers reached through
//! [`SysRegs`]. Owns the mapping from logical CPU to redistributor.
//!
//! Every INTID is put in group 1. With one security state (QEMU `virt`
//! unless `secure=on`, GICD_CTLR.DS = 1) GICD_CTLR bits 0, 1 and 4 are
//! EnableGrp0, EnableGrp1 and ARE; in the non-secure view they are
//! EnableGrp1, EnableGrp1A and ARE_NS. Writing all three suits both.

use crate::lines::{self, ICACTIVER, ICENABLER, ISENABLER, ISPENDR};
use crate::lr::encode_v3;
use crate::mmio::Mmio;
use crate::redist::{typer_affinity, Redist};
use crate::sysreg::{SysReg, SysRegs};
use crate::{check_cpus, hcr_value, not_special, MAX_CPUS, MPIDR_AFFINITY_MASK};
use crate::{CpuId, Gic, IntId, ListReg, MaintenanceEnables, Trigger, SPI_BASE};
use spin::{Mutex, Once};

const GICD_CTLR: usize = 0x0000;
const GICD_TYPER: usize = 0x0004;
const GICD_IROUTER: usize = 0x6000;
const GICD_CTLR_ENABLE_G1: u32 = 1 << 0;
const GICD_CTLR_ENABLE_G1A: u32 = 1 << 1;
const GICD_CTLR_ARE_NS: u32 = 1 << 4;
const GICD_CTLR_RWP: u32 = 1 << 31;

const ICC_SRE_SRE: u64 = 1 << 0;
const ICC_SRE_ENABLE: u64 = 1 << 3;
const ICC_CTLR_EOIMODE: u64 = 1 << 1;
const ICH_VMCR_VENG1: u64 = 1 << 1;
const ICH_VMCR_VPMR: u64 = 0xff << 24;

/// Most redistributor regions a `GicV3` takes.
pub const MAX_REDIST_REGIONS: usize = 8;

/// A redistributor region: physical base and size in bytes.
#[derive(Clone, Copy, Debug)]
pub struct RedistRegion {
    pub base: usize,
    pub size: usize,
}

/// The ICC_SGI1R_EL1 value that sends SGI `sgi` to the CPU with affinity
/// `mpidr`: Aff3/Aff2/Aff1 select the cluster, TargetList bit Aff0 % 16
/// with RS = Aff0 / 16 the CPU.
pub fn sgi1r(sgi: IntId, mpidr: u64) -> u64 {
    let aff = |n: u32| mpidr >> n & 0xff;
    let aff0 = aff(0);
    aff(32) << 48
        | (aff0 >> 4) << 44
        | aff(16) << 32
        | u64::from(sgi & 0xf) << 24
        | aff(8) << 16
        | 1 << (aff0 & 0xf)
}

pub struct GicV3<S: SysRegs> {
    gicd: Mmio,
    regions: [Mmio; MAX_REDIST_REGIONS],
    nregions: usize,
    stride: usize,
    mpidrs: [u64; MAX_CPUS],
    ncpus: usize,
    /// Each logical CPU's redistributor, found by its `init_cpu`.
    redists: [Once<Redist>; MAX_CPUS],
    /// Serialises read-modify-write of shared configuration registers.
    config: Mutex<()>,
    sys: S,
}

impl<S: SysRegs> GicV3<S> {
    /// `stride` is the DT's `redistributor-stride`, 0 if absent.
    ///
    /// # Safety
    /// `gicd` (64 KiB) and the regions must be this machine's GICv3, mapped
    /// as device memory at these addresses (8-byte aligned) for the value's
    /// lifetime, and driven by nothing else; `sys` must reach the calling
    /// CPU's own system registers.
    ///
    /// `cpus[i].index` must be `i`; at most [`MAX_CPUS`] CPUs and
    /// [`MAX_REDIST_REGIONS`] regions.
    pub unsafe fn new(
        gicd: usize,
        regions: &[RedistRegion],
        stride: usize,
        cpus: &[CpuId],
        sys: S,
    ) -> Self {
        check_cpus(cpus, MAX_CPUS);
        assert!(
            regions.len() <= MAX_REDIST_REGIONS,
            "GICv3: too many redistributor regions"
        );
        let mut mpidrs = [0; MAX_CPUS];
        for cpu in cpus {
            mpidrs[cpu.index] = cpu.mpidr & MPIDR_AFFINITY_MASK;
        }
        let mut mapped = [Mmio::EMPTY; MAX_REDIST_REGIONS];
        for (slot, r) in mapped.iter_mut().zip(regions) {
            // SAFETY: the caller's contract is the one `Mmio::new` asks for.
            *slot = unsafe { Mmio::new(r.base, r.size) };
        }
        GicV3 {
            // SAFETY: as above.
            gicd: unsafe { Mmio::new(gicd, 0x1_0000) },
            regions: mapped,
            nregions: regions.len(),
            stride,
            mpidrs,
            ncpus: cpus.len(),
            redists: [const { Once::new() }; MAX_CPUS],
            config: Mutex::new(()),
            sys,
        }
    }

    /// The calling CPU's redistributor, by its MPIDR.
    fn own_redist(&self) -> &Redist {
        let mpidr = self.sys.read(SysReg::MpidrEl1) & MPIDR_AFFINITY_MASK;
        let index = self.mpidrs[..self.ncpus].iter().position(|&m| m == mpidr);
        let index =
            index.unwrap_or_else(|| panic!("GICv3: MPIDR {mpidr:#x} is not in the CPU list"));
        self.redists[index]
            .get()
            .expect("GICv3: init_cpu has not run on this CPU")
    }

    /// The block holding `intid`'s per-INTID registers.
    fn bank(&self, intid: IntId) -> Mmio {
        if intid < SPI_BASE {
            self.own_redist().sgi
        } else {
            self.gicd
        }
    }

    fn wait_dist_rwp(&self) {
        self.gicd
            .wait_clear(GICD_CTLR, GICD_CTLR_RWP, "GICD_CTLR.RWP");
    }

    /// System register interface on (for EL2 and EL1), priority mask open,
    /// EOImode 1, group 1 on; virtual interface off with empty list registers.
    /// Number of list registers (ICH_VTR_EL2.ListRegs + 1).
    fn num_lrs(&self) -> usize {
        (self.sys.read(SysReg::IchVtrEl2) & 0x1f) as usize + 1
    }

    fn init_cpu_interface(&self) {
        let sys = &self.sys;
        sys.write(
            SysReg::IccSreEl2,
            sys.read(SysReg::IccSreEl2) | ICC_SRE_SRE | ICC_SRE_ENABLE,
        );
        sys.isb();
        assert!(
            sys.read(SysReg::IccSreEl2) & ICC_SRE_SRE != 0,
            "GICv3: firmware left the system register interface disabled (ICC_SRE_EL3)"
        );
        sys.write(SysReg::IccSreEl1, sys.read(SysReg::IccSreEl1) | ICC_SRE_SRE);
        sys.isb();
        sys.write(SysReg::IccPmrEl1, 0xff);
        sys.write(SysReg::IccBpr1El1, 0);
        sys.write(
            SysReg::IccCtlrEl1,
            sys.read(SysReg::IccCtlrEl1) | ICC_CTLR_EOIMODE,
        );
        sys.write(SysReg::IccIgrpen1El1, 1);
        sys.write(SysReg::IchHcrEl2, 0);
        for n in 0..self.num_lrs() {
            sys.write_lr(n, 0);
        }
        sys.isb();
    }
}

impl<S: SysRegs> Gic for GicV3<S> {
    fn num_irqs(&self) -> u32 {
        lines::num_irqs(self.gicd.read32(GICD_TYPER))
    }

    /// Also routes every SPI to the calling (boot) CPU until `route`.
    fn init_distributor(&self) {
        self.gicd.write32(GICD_CTLR, 0);
        self.wait_dist_rwp();
        let num_irqs = self.num_irqs();
        lines::init_spis(&self.gicd, num_irqs, !0);
        self.wait_dist_rwp();
        let ctlr = GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_G1A | GICD_CTLR_ENABLE_G1;
        self.gicd.write32(GICD_CTLR, ctlr);
        self.wait_dist_rwp();
        let boot = self.sys.read(SysReg::MpidrEl1) & MPIDR_AFFINITY_MASK;
        for intid in SPI_BASE..num_irqs {
            self.gicd.write64(GICD_IROUTER + 8 * intid as usize, boot);
        }
    }

    fn init_cpu(&self, cpu: CpuId) {
        let regions = &self.regions[..self.nregions];
        let found = Redist::find(regions, self.stride, typer_affinity(cpu.mpidr));
        let found =
            found.unwrap_or_else(|| panic!("GICv3: no redistributor for MPIDR {:#x}", cpu.mpidr));
        let redist = self.redists[cpu.index].call_once(|| found);
        redist.wake();
        lines::init_banked(&redist.sgi, !0);
        redist.wait_rwp();
        self.init_cpu_interface();
    }

    fn enable(&self, intid: IntId) {
        lines::write_bit(&self.bank(intid), ISENABLER, intid);
    }

    /// Returns once the distributor or redistributor reports the write done.
    fn disable(&self, intid: IntId) {
        if intid < SPI_BASE {
            let redist = self.own_redist();
            lines::write_bit(&redist.sgi, ICENABLER, intid);
            redist.wait_rwp();
        } else {
            lines::write_bit(&self.gicd, ICENABLER, intid);
            self.wait_dist_rwp();
        }
    }

    fn set_trigger(&self, intid: IntId, trigger: Trigger) {
        if intid >= 16 {
            let _guard = self.config.lock();
            lines::set_trigger(&self.bank(intid), intid, trigger);
        }
    }

    /// GICD_IROUTER<n> = the target's affinity (Interrupt_Routing_Mode 0).
    fn route(&self, intid: IntId, cpu: CpuId) {
        assert!(
            (SPI_BASE..1020).contains(&intid),
            "GICv3: cannot route INTID {intid}"
        );
        self.gicd.write64(
            GICD_IROUTER + 8 * intid as usize,
            cpu.mpidr & MPIDR_AFFINITY_MASK,
        );
    }

    fn is_pending(&self, intid: IntId) -> bool {
        lines::read_bit(&self.bank(intid), ISPENDR, intid)
    }

    fn clear_active(&self, intid: IntId) {
        lines::write_bit(&self.bank(intid), ICACTIVER, intid);
    }

    fn acknowledge(&self) -> Option<IntId> {
        let iar = self.sys.read(SysReg::IccIar1El1);
        self.sys.dsb_sy();
        not_special(iar as u32 & 0xff_ffff)
    }

    fn priority_drop(&self, intid: IntId) {
        self.sys.write(SysReg::IccEoir1El1, intid.into());
        self.sys.isb();
    }

    fn deactivate(&self, intid: IntId) {
        self.sys.write(SysReg::IccDirEl1, intid.into());
        self.sys.isb();
    }

    fn send_sgi(&self, sgi: IntId, target: CpuId) {
        assert!(sgi < 16, "GICv3: {sgi} is not an SGI");
        self.sys.dsb_ishst();
        self.sys
            .write(SysReg::IccSgi1rEl1, sgi1r(sgi, target.mpidr));
        self.sys.isb();
    }

    fn write_lr(&self, n: usize, lr: ListReg) {
        self.sys.write_lr(n, encode_v3(&lr));
    }

    /// Enabling also sets ICH_VMCR_EL2.VENG1 and opens VPMR: an rVIC guest
    /// never programs its virtual CPU interface.
    fn set_virtual_interface(&self, enable: bool, maintenance: MaintenanceEnables) {
        if enable {
            let vmcr = self.sys.read(SysReg::IchVmcrEl2);
            self.sys
                .write(SysReg::IchVmcrEl2, vmcr | ICH_VMCR_VENG1 | ICH_VMCR_VPMR);
        }
        self.sys
            .write(SysReg::IchHcrEl2, hcr_value(enable, maintenance).into());
        self.sys.isb();
    }
}

#[cfg(test)]
#[path = "gicv3_tests.rs"]
mod tests;
