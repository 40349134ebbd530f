// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The board as the hypervisor drives it: what discovery found, plus the
//! drivers built from it (console, GIC) and the CPUs in logical order (the
//! boot CPU is 0, the others follow in device-tree order).

extern crate alloc;

use alloc::boxed::Box;
use gic_backend::{CpuId, Gic, GicV2, GicV2Frames, GicV3, IntId, RedistRegion};
use platform::{GicInfo, Platform};
use spin::Once;

use crate::arch::{secondary::MAX_CPUS, smccc::Conduit};

/// How a logical CPU is started.
#[derive(Clone, Copy, Debug)]
pub enum EnableMethod {
    Psci { conduit: Conduit, cpu_on: u32 },
    SpinTable { release_addr: u64 },
}

pub struct Board {
    pub platform: Platform<'static>,
    pub gic: &'static dyn Gic,
    /// The EL2 physical timer's INTID.
    pub hyp_timer: IntId,
    pub ncpus: usize,
    cpus: [CpuId; MAX_CPUS],
    /// Index into `platform.cpus` of each logical CPU.
    dt_index: [usize; MAX_CPUS],
}

static BOARD: Once<Board> = Once::new();

/// The board; valid once `init` has run on the boot CPU.
pub fn get() -> &'static Board {
    BOARD.get().expect("board not initialised")
}

/// The board, if `init` has run.
pub fn get_opt() -> Option<&'static Board> {
    BOARD.get()
}

impl Board {
    pub fn cpu(&self, i: usize) -> CpuId {
        self.cpus[i]
    }

    /// The PSCI firmware, if the board has one.
    pub fn psci(&self) -> Option<platform::Psci> {
        self.platform.psci
    }

    /// How logical CPU `i` is started (never asked for the boot CPU).
    pub fn enable_method(&self, i: usize) -> Option<EnableMethod> {
        match self.platform.cpus.as_slice()[self.dt_index[i]].enable {
            platform::EnableMethod::Psci => {
                let p = self.psci()?;
                Some(EnableMethod::Psci {
                    conduit: p.conduit,
                    cpu_on: p.cpu_on,
                })
            }
            platform::EnableMethod::SpinTable { release_addr } => {
                Some(EnableMethod::SpinTable { release_addr })
            }
            platform::EnableMethod::Absent => None,
        }
    }
}

/// Build the board from discovery: order the CPUs, construct the GIC
/// driver. The console is set up before this, by `main`.
pub fn init(platform: Platform<'static>, boot_mpidr: u64) -> Result<&'static Board, &'static str> {
    let dt_cpus = platform.cpus.as_slice();
    let boot = dt_cpus
        .iter()
        .position(|c| c.mpidr == boot_mpidr)
        .ok_or("the boot CPU's MPIDR is not among the device tree's CPUs")?;
    let mut cpus = [CpuId { index: 0, mpidr: 0 }; MAX_CPUS];
    let mut dt_index = [0; MAX_CPUS];
    let order = core::iter::once(boot).chain((0..dt_cpus.len()).filter(|&i| i != boot));
    for (logical, dt) in order.enumerate() {
        cpus[logical] = CpuId {
            index: logical,
            mpidr: dt_cpus[dt].mpidr,
        };
        dt_index[logical] = dt;
    }
    let ncpus = dt_cpus.len();
    let maintenance = platform
        .maintenance_irq
        .ok_or("the GIC node has no maintenance interrupt (virtualization extensions missing?)")?
        .intid;
    let gic: &'static dyn Gic = match &platform.gic {
        GicInfo::V2 {
            gicd, gicc, gich, ..
        } => {
            let gich =
                gich.ok_or("the GICv2 node has no GICH region: no virtualization extensions")?;
            if ncpus > gic_backend::GICV2_MAX_CPUS {
                return Err("GICv2 supports at most 8 CPUs");
            }
            let frames = GicV2Frames {
                gicd: gicd.base as usize,
                gicc: gicc.base as usize,
                gich: gich.base as usize,
            };
            // SAFETY: the addresses come from the device tree's GIC node and
            // are mapped as device memory by the EL2 identity map.
            Box::leak(Box::new(unsafe {
                GicV2::new(frames, maintenance, &cpus[..ncpus])
            }))
        }
        GicInfo::V3 {
            gicd,
            redists,
            redistributor_stride,
            ..
        } => {
            let mut regions = [RedistRegion { base: 0, size: 0 }; gic_backend::MAX_REDIST_REGIONS];
            let rs = redists.as_slice();
            if rs.len() > regions.len() {
                return Err("too many GICv3 redistributor regions");
            }
            for (r, d) in regions.iter_mut().zip(rs) {
                *r = RedistRegion {
                    base: d.base as usize,
                    size: d.size as usize,
                };
            }
            let stride = redistributor_stride.unwrap_or(0) as usize;
            // SAFETY: as above: device-tree addresses under the identity map.
            Box::leak(Box::new(unsafe {
                GicV3::new(
                    gicd.base as usize,
                    &regions[..rs.len()],
                    stride,
                    maintenance,
                    &cpus[..ncpus],
                    gic_backend::CpuSysRegs,
                )
            }))
        }
    };
    let hyp_timer = platform.timer.hyp_phys.intid;
    Ok(BOARD.call_once(|| Board {
        platform,
        gic,
        hyp_timer,
        ncpus,
        cpus,
        dt_index,
    }))
}
