// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The board as the hypervisor drives it: what discovery found, the GIC
//! driver built from it, the CPUs in logical order (the boot CPU is 0, the
//! others follow in device-tree order), and how the board powers off.

extern crate alloc;

use alloc::boxed::Box;
use gic_backend::{CpuId, Gic, GicV2, GicV2Frames, GicV3, IntId, RedistRegion};
use platform::{Conduit, GicInfo, Platform};
use spin::Once;
use vocab::MAX_CPUS;

/// How a logical CPU is started.
#[derive(Clone, Copy, Debug)]
pub enum EnableMethod {
    Psci { conduit: Conduit, cpu_on: u32 },
    SpinTable { release_addr: u64 },
}

pub struct Board {
    pub platform: Platform<'static>,
    /// The device tree `platform` was read from.
    pub dtb: &'static [u8],
    pub gic: &'static dyn Gic,
    /// The EL2 physical timer's INTID.
    pub hyp_timer: IntId,
    pub ncpus: usize,
    cpus: [CpuId; MAX_CPUS],
    /// Index into `platform.cpus` of each logical CPU.
    dt_index: [usize; MAX_CPUS],
    /// The firmware's conduit if it implements SMCCC 1.1 or later (so
    /// SMCCC_ARCH_FEATURES may be asked of it), found by the discovery
    /// SMCCC prescribes: PSCI 1.0's PSCI_FEATURES(SMCCC_VERSION), then
    /// SMCCC_VERSION.
    pub smccc_1_1: Option<Conduit>,
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
pub fn init(
    platform: Platform<'static>,
    dtb: &'static [u8],
    boot_mpidr: u64,
) -> Result<&'static Board, &'static str> {
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
    platform
        .maintenance_irq
        .ok_or("the GIC node has no maintenance interrupt (virtualization extensions missing?)")?;
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
            Box::leak(Box::new(unsafe { GicV2::new(frames, &cpus[..ncpus]) }))
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
                    &cpus[..ncpus],
                    gic_backend::CpuSysRegs,
                )
            }))
        }
    };
    let hyp_timer = platform.timer.hyp_phys.intid;
    let smccc_1_1 = platform.psci.and_then(smccc_1_1);
    Ok(BOARD.call_once(|| Board {
        platform,
        dtb,
        gic,
        hyp_timer,
        ncpus,
        cpus,
        dt_index,
        smccc_1_1,
    }))
}

/// The firmware's conduit if it has SMCCC 1.1 or later. Only PSCI calls
/// are made until that is known: an SMC the firmware does not know may be
/// UNDEFINED at EL2.
fn smccc_1_1(psci: platform::Psci) -> Option<Conduit> {
    fn ask<C: smccc::Call>() -> bool {
        use smccc::arch::{version, Version, SMCCC_VERSION};
        smccc::psci::psci_features::<C>(SMCCC_VERSION).is_ok()
            && version::<C>().is_ok_and(|v| v >= Version { major: 1, minor: 1 })
    }
    if psci.version != platform::PsciVersion::V1_0 {
        return None; // PSCI_FEATURES is PSCI 1.0's
    }
    let yes = match psci.conduit {
        Conduit::Smc => ask::<smccc::Smc>(),
        Conduit::Hvc => ask::<smccc::Hvc>(),
    };
    yes.then_some(psci.conduit)
}

/// A firmware call with SMCCC's 32-bit convention, by `conduit`: `x0`.
pub fn firmware_call32(conduit: Conduit, fid: u32, arg: u32) -> u32 {
    use smccc::Call;
    let args = [arg, 0, 0, 0, 0, 0, 0];
    match conduit {
        Conduit::Smc => smccc::Smc::call32(fid, args)[0],
        Conduit::Hvc => smccc::Hvc::call32(fid, args)[0],
    }
}

/// What becomes of an acknowledged physical interrupt once its handler has
/// run (its priority has been dropped already).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Deactivate it: the line may fire again.
    Deactivate,
    /// Keep it active at the GIC: its owner deactivates it later (a level
    /// line given to the guest, until the guest RESAMPLEs it).
    Hold,
}

/// What a power-off is for, in its log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The boot checks passed and there is nothing to run.
    Done,
    /// The boot checks failed.
    Failed,
    /// The guest asked for SYSTEM_OFF.
    GuestOff,
    /// The guest asked for SYSTEM_RESET.
    GuestReset,
}

/// PSCI SYSTEM_OFF/RESET by the conduit the device tree names.
pub fn firmware_off(conduit: Conduit, reset: bool) {
    use smccc::psci::{system_off, system_reset};
    use smccc::{Hvc, Smc};
    let _ = match (conduit, reset) {
        (Conduit::Smc, false) => system_off::<Smc>(),
        (Conduit::Smc, true) => system_reset::<Smc>(),
        (Conduit::Hvc, false) => system_off::<Hvc>(),
        (Conduit::Hvc, true) => system_reset::<Hvc>(),
    };
}

/// The power-management watchdog's registers, by MMIO.
struct PmRegisters(platform::PmWatchdog<'static>);

impl PmRegisters {
    /// The register at `offset`, if it lies inside the block.
    fn at(&self, offset: usize) -> Option<*mut u32> {
        let end = (offset as u64).checked_add(4)?;
        (end <= self.0.regs.size).then(|| (self.0.regs.base as usize + offset) as *mut u32)
    }
}

impl hyp::pm_watchdog::Registers for PmRegisters {
    fn read(&mut self, offset: usize) -> u32 {
        // SAFETY: the register lies in the PM block the device tree names
        // (`at` checks it), which the EL2 identity map covers as device
        // memory and no guest is given.
        self.at(offset)
            .map_or(0, |r| unsafe { core::ptr::read_volatile(r) })
    }
    fn write(&mut self, offset: usize, value: u32) {
        if let Some(r) = self.at(offset) {
            // SAFETY: as in `read`.
            unsafe { core::ptr::write_volatile(r, value) }
        }
    }
}

/// Halt (`reset` false) or reset the board by its power-management
/// watchdog; the reset follows a few watchdog ticks later.
pub fn watchdog_off(w: platform::PmWatchdog<'static>, reset: bool) {
    hyp::pm_watchdog::stop(&mut PmRegisters(w), !reset);
}

/// PSCI CPU_ON (function `cpu_on`, from the device tree) for a secondary
/// CPU; `Err` carries the PSCI status.
pub fn firmware_cpu_on(
    conduit: Conduit,
    cpu_on: u32,
    mpidr: u64,
    entry: u64,
    arg: u64,
) -> Result<(), i64> {
    let mut args = [0u64; 17];
    args[..3].copy_from_slice(&[mpidr, entry, arg]);
    let r = match conduit {
        Conduit::Smc => smccc::smc64(cpu_on, args),
        Conduit::Hvc => smccc::hvc64(cpu_on, args),
    };
    match r[0] as i64 {
        0 => Ok(()),
        e => Err(e),
    }
}
