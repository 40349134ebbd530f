// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The one VM: built on the boot CPU from the guest bundle the loader left
//! in memory (the host device tree's initrd), then run by every CPU, vCPU i
//! pinned to physical CPU i.
//!
//! Guest RAM is identity-mapped (IPA = PA): devices passed through to the
//! guest do DMA with the addresses the guest gives them, and there is no
//! SMMU between them and memory.
//!
//! Owns: guest RAM and its stage-2 map, the rVIC/rVID controller
//! (`rvid::Vm`), which physical interrupt feeds which rVID input, the
//! delivery options, and each vCPU's power state and counters.

extern crate alloc;

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering::*};

use gic_backend::{IntId, Trigger};
use guest_loader::{Bundle, GuestDesc, GuestDevice, ImageHeader, Layout};
use platform::Range;
use spin::Once;

use crate::arch::{
    cache,
    stage2::{Mem, Stage2},
};
use crate::board::Board;

/// rVIC sizes: T trusted INTIDs, U untrusted (and U rVID inputs).
pub const T: u32 = 32;
pub const U: u32 = 64;
/// The trusted INTID the guest's virtual timer raises.
pub const VTIMER_INTID: u32 = guest_loader::VTIMER_INTID;
/// Device-tree compatibles passed through to the guest, besides the console.
const ASSIGNED: [&str; 2] = ["arm,pl031", "virtio,mmio"];

/// How the vCPU's virtual IRQ line is raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// HCR_EL2.VI.
    Vi,
    /// A pending list register on the GIC's virtual CPU interface.
    Lr,
}

/// Options from the host's `/chosen/bootargs`.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub delivery: Delivery,
    pub trap_wfi: bool,
    pub mem_mib: u64,
}

impl Options {
    fn parse(bootargs: &str) -> Result<Options, &'static str> {
        let mut o = Options {
            delivery: Delivery::Vi,
            trap_wfi: true,
            mem_mib: 512,
        };
        for arg in bootargs.split_ascii_whitespace() {
            let Some((k, v)) = arg.split_once('=') else {
                continue;
            };
            match (k, v) {
                ("rvhyp.delivery", "vi") => o.delivery = Delivery::Vi,
                ("rvhyp.delivery", "lr") => o.delivery = Delivery::Lr,
                ("rvhyp.delivery", _) => return Err("rvhyp.delivery takes vi or lr"),
                ("rvhyp.wfi", "trap") => o.trap_wfi = true,
                ("rvhyp.wfi", "native") => o.trap_wfi = false,
                ("rvhyp.wfi", _) => return Err("rvhyp.wfi takes trap or native"),
                ("rvhyp.guest_mem", v) => {
                    o.mem_mib = v.parse().map_err(|_| "rvhyp.guest_mem takes MiB")?;
                    if o.mem_mib < 16 || o.mem_mib % 2 != 0 {
                        return Err("rvhyp.guest_mem must be an even number of MiB, at least 16");
                    }
                }
                _ => {}
            }
        }
        Ok(o)
    }
}

/// A vCPU's PSCI power state.
pub mod power {
    pub const OFF: u8 = 0;
    pub const ON_PENDING: u8 = 1;
    pub const ON: u8 = 2;
    /// A CPU_ON has claimed the vCPU and is writing its entry point.
    pub const BOOKING: u8 = 3;
}

/// Per-vCPU counters, printed when the guest powers off.
#[derive(Default)]
pub struct Stats {
    pub exits: [AtomicU64; Exit::COUNT],
    /// Times the virtual IRQ line went from low to high.
    pub injected: AtomicU64,
    /// Kick SGIs this vCPU's CPU sent to others.
    pub kicks: AtomicU64,
    /// External aborts injected for accesses outside the guest's map.
    pub aborts: AtomicU64,
}

/// Why the guest left EL1.
#[derive(Clone, Copy, Debug)]
pub enum Exit {
    Hvc,
    Smc,
    DataAbort,
    InstrAbort,
    Wfi,
    SysReg,
    Irq,
    Other,
}

impl Exit {
    pub const COUNT: usize = 8;
    pub const NAMES: [&'static str; Self::COUNT] = [
        "hvc", "smc", "dabt", "iabt", "wfi", "sysreg", "irq", "other",
    ];
}

pub struct Vcpu {
    pub power: AtomicU8,
    pub entry: AtomicU64,
    pub context: AtomicU64,
    pub stats: Stats,
    /// The virtual IRQ line as last set on this vCPU's CPU.
    pub line: AtomicBool,
}

/// A physical interrupt line that feeds an rVID input.
#[derive(Clone, Copy, Debug)]
pub struct InputLine {
    pub spi: IntId,
    pub level: bool,
}

pub struct Guest {
    pub vm: rvid::Vm,
    pub vttbr: u64,
    pub options: Options,
    pub vcpus: Vec<Vcpu>,
    /// rVID input n is fed by `inputs[n]`.
    pub inputs: Vec<InputLine>,
    pub ram: Range,
    pub abort_logged: AtomicBool,
}

static GUEST: Once<Guest> = Once::new();

/// The guest, once `create` has run.
pub fn get() -> Option<&'static Guest> {
    GUEST.get()
}

impl Guest {
    /// The rVID input fed by physical interrupt `spi`, if any.
    pub fn input_of(&self, spi: IntId) -> Option<usize> {
        self.inputs.iter().position(|l| l.spi == spi)
    }

    /// Is `ipa` inside guest RAM?
    pub fn in_ram(&self, ipa: u64) -> bool {
        self.ram.contains(ipa)
    }
}

/// Build the VM from the bundle at `bundle`, on the boot CPU. `Ok(None)`
/// if the loader gave no bundle (the hypervisor then only self-tests).
pub fn create(board: &Board) -> Result<Option<&'static Guest>, &'static str> {
    let p = &board.platform;
    let Some(initrd) = p.initrd else {
        return Ok(None);
    };
    // SAFETY: the loader put the bundle there; discovery excluded it from
    // usable memory so nothing else is placed on it; the EL2 map covers RAM.
    let bytes =
        unsafe { core::slice::from_raw_parts(initrd.base as *const u8, initrd.size as usize) };
    let bundle = Bundle::parse(bytes)
        .map_err(|_| "the initrd is not a guest bundle (make one with scripts/mkguest)")?;
    let options = Options::parse(p.bootargs)?;
    let header = ImageHeader::parse(bundle.kernel)
        .map_err(|_| "the bundle's kernel is not an arm64 Image")?;

    let size = options.mem_mib << 20;
    let ram_pa = carve(p, size).ok_or("not enough free RAM for the guest (rvhyp.guest_mem)")?;
    let layout = Layout::plan(
        ram_pa,
        size,
        &header,
        bundle.kernel.len(),
        bundle.initrd.map(|i| i.len()),
    )
    .map_err(|_| "the guest kernel and initrd do not fit in guest RAM")?;

    // Devices: the console, then the other assigned kinds, in tree order.
    let console = p.console.as_ref().map(|c| c.base);
    let mut devices: Vec<platform::Device> = Vec::new();
    for d in p.devices.iter() {
        let is_console = console.is_some_and(|b| d.regs.first().is_some_and(|r| r.base == b));
        if is_console {
            devices.insert(0, d);
        } else if ASSIGNED.contains(&d.compatible) {
            devices.push(d);
        }
    }
    let mut inputs: Vec<InputLine> = Vec::new();
    let mut irqs_of: Vec<Vec<(u32, bool)>> = Vec::new();
    for d in &devices {
        let mut irqs = Vec::new();
        for irq in d.irqs.iter() {
            if irq.intid < gic_backend::SPI_BASE || inputs.len() >= U as usize {
                continue;
            }
            irqs.push((inputs.len() as u32, !irq.is_level()));
            inputs.push(InputLine {
                spi: irq.intid,
                level: irq.is_level(),
            });
        }
        irqs_of.push(irqs);
    }
    let mut regs_of: Vec<Vec<(u64, u64)>> = Vec::new();
    for d in &devices {
        regs_of.push(d.regs.iter().map(|r| (r.base, r.size)).collect());
    }
    let guest_devices: Vec<GuestDevice> = devices
        .iter()
        .enumerate()
        .map(|(i, d)| GuestDevice {
            name: d.name,
            compatible: d.compatibles,
            regs: &regs_of[i],
            irqs: &irqs_of[i],
        })
        .collect();
    let ncpus = board.ncpus;
    let dtb = guest_loader::guest_dt(&GuestDesc {
        ram: (ram_pa, size),
        vcpus: ncpus,
        bootargs: bundle.bootargs,
        initrd: layout.initrd,
        devices: &guest_devices,
        console: console.map(|_| 0),
        rvic_t: T,
        rvic_u: U,
    });
    if dtb.len() > guest_loader::DTB_MAX {
        return Err("the guest device tree is too large");
    }

    // Copy the images in, and make them visible to a guest running with
    // its MMU and caches off.
    copy(layout.kernel, bundle.kernel);
    if let (Some((ipa, _)), Some(data)) = (layout.initrd, bundle.initrd) {
        copy(ipa, data);
    }
    copy(layout.dtb, &dtb);
    // SAFETY: invalidating the instruction caches has no memory effects.
    unsafe { core::arch::asm!("ic ialluis", "dsb ish", "isb") };

    // Stage 2: RAM, and each assigned device's registers, page by page.
    let mut s2 = Stage2::new();
    s2.map(ram_pa, ram_pa, size, Mem::Ram)
        .map_err(|_| "stage-2 map of guest RAM failed")?;
    for regs in &regs_of {
        for &(base, len) in regs {
            let start = base & !0xfff;
            let end = (base + len + 0xfff) & !0xfff;
            if s2.map(start, start, end - start, Mem::Device).is_err() {
                log::warn!("device at {base:#x} shares a page with another: mapped once");
            }
        }
    }

    let mpidrs: Vec<u64> = (0..ncpus as u64).collect();
    let triggers: Vec<rvid::Trigger> = inputs
        .iter()
        .map(|l| {
            if l.level {
                rvid::Trigger::Level
            } else {
                rvid::Trigger::Edge
            }
        })
        .collect();
    let vm = rvid::Vm::new(rvid::VmConfig {
        mpidrs: &mpidrs,
        trusted: T,
        untrusted: U,
        inputs: &triggers,
        level_trusted: &[VTIMER_INTID],
    })
    .map_err(|_| "the rVIC/rVID configuration was refused")?;

    // The physical lines: trigger as the host tree says, on CPU 0 until
    // the guest MAPs them elsewhere.
    for l in &inputs {
        board.gic.set_trigger(
            l.spi,
            if l.level {
                Trigger::Level
            } else {
                Trigger::Edge
            },
        );
        board.gic.route(l.spi, board.cpu(0));
        board.gic.enable(l.spi);
    }

    let vcpus = (0..ncpus)
        .map(|_| Vcpu {
            power: AtomicU8::new(power::OFF),
            entry: AtomicU64::new(0),
            context: AtomicU64::new(0),
            stats: Stats::default(),
            line: AtomicBool::new(false),
        })
        .collect();
    log::info!(
        "guest: {} MiB RAM at {:#x}, kernel {} KiB, initrd {} KiB, {} device(s), {} rVID input(s), delivery {:?}, WFI {}",
        options.mem_mib,
        ram_pa,
        bundle.kernel.len() / 1024,
        bundle.initrd.map_or(0, |i| i.len()) / 1024,
        devices.len(),
        inputs.len(),
        options.delivery,
        if options.trap_wfi { "trapped" } else { "native" }
    );
    let g = GUEST.call_once(|| Guest {
        vm,
        vttbr: s2.vttbr(1),
        options,
        vcpus,
        inputs,
        ram: Range::new(ram_pa, size),
        abort_logged: AtomicBool::new(false),
    });
    g.vcpus[0].entry.store(layout.kernel, Relaxed);
    g.vcpus[0].context.store(layout.dtb, Relaxed);
    g.vcpus[0].power.store(power::ON_PENDING, Release);
    Ok(Some(g))
}

/// A 2 MiB-aligned run of `size` bytes of usable RAM, taken from the top of
/// the largest fitting range.
fn carve(p: &platform::Platform, size: u64) -> Option<u64> {
    const ALIGN: u64 = 2 << 20;
    p.usable.as_slice().iter().rev().find_map(|r| {
        let top = r.end() & !(ALIGN - 1);
        let base = top.checked_sub(size)?;
        (base >= r.base).then_some(base)
    })
}

fn copy(pa: u64, data: &[u8]) {
    // SAFETY: `pa` is inside the guest's RAM, carved out of usable memory
    // that nothing else uses, and mapped by the EL2 identity map.
    unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), pa as *mut u8, data.len()) };
    cache::clean_inval(pa as usize, data.len());
}
