// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Making the VM, once, on the boot CPU, from the guest bundle the loader
//! left in memory (the host device tree's initrd): options, guest RAM
//! carved from free memory, the devices assigned
//! ([`guest_loader::Assignment`]), the images and the guest's device tree
//! copied in, stage 2, the physical lines configured, the controller.
//! Every size that comes from the bundle or the host tree is checked
//! against its limit before it sizes an allocation or a copy.

use alloc::vec::Vec;
use core::fmt;

use core::sync::atomic::AtomicUsize;

use guest_loader::{
    AssignError, Assignment, Bundle, BundleError, GuestDesc, ImageError, ImageHeader, Layout,
    LayoutError, Named,
};
use hyp::options::Options;
use hyp::power::Start;
use platform::Range;

use super::lines::Lines;
use super::vcpu::Vcpu;
use super::{Vm, T, U, VM, VTIMER_INTID};
use crate::arch::stage2::{Mem, Stage2};
use crate::arch::{cache, virt};
use crate::board::Board;

/// The devices a guest is given, besides its console (a UART that is not
/// the hypervisor's), when its bundle has no device list: these kinds,
/// each board's own. QEMU virt: the RTC and the virtio-mmio transports.
/// Raspberry Pi 4 B: the Arasan SDHCI (`mmc@7e300000`, the controller
/// QEMU's raspi4b puts its SD card on; on a board it is the Wi-Fi chip's,
/// and the SD slot is EMMC2, which shares its interrupt and so is given
/// only by a device list naming it instead). Not the GPIO block: it sets
/// every pin's function, the hypervisor's console pins (the mini UART's
/// GPIO 14/15) included, so a guest given it could take the hypervisor's
/// console off the header; a bundle may still name it.
const ASSIGNED: [&str; 3] = ["arm,pl031", "virtio,mmio", "brcm,bcm2835-sdhci"];

/// Why the VM cannot be made: one line, which `main` logs before it
/// powers the board off.
#[derive(Debug)]
pub enum Error {
    /// The host tree's initrd (the bundle) does not lie inside its RAM.
    InitrdOutsideRam(Range),
    Bundle(BundleError),
    Kernel(ImageError),
    /// A bad `rvhyp.*` option.
    Options(&'static str),
    Layout(LayoutError),
    Assign(AssignError<'static>),
    /// Anything else, said in full.
    Other(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InitrdOutsideRam(r) => write!(
                f,
                "the host device tree's initrd ({:#x} bytes at {:#x}, /chosen/linux,initrd-start and -end) does not lie inside its RAM",
                r.size, r.base
            ),
            Error::Bundle(e) => write!(f, "{e}"),
            Error::Kernel(e) => write!(f, "the bundle's kernel: {e}"),
            Error::Options(e) | Error::Other(e) => f.write_str(e),
            Error::Layout(e) => write!(f, "{e} (rvhyp.guest_mem)"),
            Error::Assign(e) => write!(f, "{e}"),
        }
    }
}

/// Build the VM from the bundle, on the boot CPU, with one vCPU on each
/// logical CPU of `cpus` (those that came up; the boot CPU first).
/// `Ok(None)` if the loader gave no bundle (the hypervisor then only
/// self-tests).
pub fn create(board: &'static Board, cpus: &[usize]) -> Result<Option<&'static Vm>, Error> {
    let p = &board.platform;
    let Some(initrd) = p.initrd else {
        return Ok(None);
    };
    // The EL2 map makes only the memory nodes' RAM normal memory (the rest
    // is device memory, or not mapped above 512 GiB): read nothing else.
    let in_ram = |m: &Range| m.base <= initrd.base && initrd.end() <= m.end();
    if initrd.end() == u64::MAX || !p.memory.iter().any(in_ram) {
        return Err(Error::InitrdOutsideRam(initrd));
    }
    // SAFETY: the loader put the bundle there, inside RAM (checked above),
    // which the EL2 map maps as normal memory; discovery excluded it from
    // usable memory so nothing else is placed on it.
    let bytes =
        unsafe { core::slice::from_raw_parts(initrd.base as *const u8, initrd.size as usize) };
    // Bounds every section, the bootargs included (`BOOTARGS_MAX`).
    let bundle = Bundle::parse(bytes).map_err(Error::Bundle)?;
    let options = Options::parse(p.bootargs).map_err(Error::Options)?;
    let header = ImageHeader::parse(bundle.kernel).map_err(Error::Kernel)?;

    // At most 512 GiB (`GUEST_MEM_MAX_MIB`): no overflow.
    let size = options.mem_mib << 20;
    let ram_pa = p.carve_top(size, 2 << 20).ok_or(Error::Other(
        "not enough free RAM for the guest (rvhyp.guest_mem)",
    ))?;
    // The kernel and initrd copies below are bounded by guest RAM.
    let layout = Layout::plan(
        ram_pa,
        size,
        &header,
        bundle.kernel.len(),
        bundle.initrd.map(|i| i.len()),
    )
    .map_err(Error::Layout)?;

    // Device names and compatibles are bounded (`NAME_MAX`,
    // `COMPATIBLE_MAX`): with the bootargs' limit, the tree below stays
    // under 128 KiB on the 2 MiB heap (a guest-loader test builds the
    // largest).
    let assigned = match bundle.devices {
        None => Assignment::choose(p, board.dtb, &ASSIGNED, U as usize),
        Some(_) => {
            let named: Vec<Named> = bundle
                .named_devices()
                .map(|selector| Named {
                    selector,
                    node: platform::find_node(board.dtb, selector),
                })
                .collect();
            Assignment::choose_named(p, board.dtb, &named, U as usize)
        }
    }
    .map_err(Error::Assign)?;
    for s in &assigned.shared_pages {
        log::warn!(
            "{}: not given to the guest: a page of its registers also holds {}'s",
            s.device,
            s.neighbour
        );
    }
    for (device, e) in &assigned.no_clock {
        log::warn!("{device}: not given to the guest: {e}");
    }
    for c in &assigned.firmware_clocks {
        log::info!(
            "{}: clock {} is {} Hz: {}",
            c.device,
            c.name.unwrap_or("(unnamed)"),
            c.hz,
            c.why
        );
    }
    for r in &assigned.refused {
        log::warn!(
            "{}: interrupt {} not given to the guest: {}",
            r.device,
            r.intid,
            r.why.reason()
        );
    }
    let devices = assigned.guest_devices();
    match (assigned.has_console, devices.first()) {
        (true, Some(d)) => log::info!("guest console: {} (a UART of its own)", d.name),
        _ => log::warn!(
            "the guest has no console: the board has no UART beside the hypervisor's (under QEMU, give a second -serial)"
        ),
    }
    let ncpus = cpus.len();
    let dtb = guest_loader::guest_dt(&GuestDesc {
        ram: (ram_pa, size),
        vcpus: ncpus,
        bootargs: bundle.bootargs,
        initrd: layout.initrd,
        devices: &devices,
        console: assigned.has_console.then_some(0),
        rvic_t: T,
        rvic_u: U,
    });
    if dtb.len() > guest_loader::DTB_MAX {
        return Err(Error::Other("the guest device tree is too large"));
    }

    // Nothing the boot loader or an earlier run left in this RAM reaches
    // the guest: all of it is zeroed, then the images are copied in and
    // made visible to a guest running with its MMU and caches off.
    cache::zero(ram_pa as usize, size as usize);
    copy(layout.kernel, bundle.kernel);
    if let (Some((ipa, _)), Some(data)) = (layout.initrd, bundle.initrd) {
        copy(ipa, data);
    }
    copy(layout.dtb, &dtb);
    virt::invalidate_icache();

    // Stage 2: RAM, and each assigned device's registers, page by page.
    let mut s2 = Stage2::new();
    s2.map(ram_pa, ram_pa, size, Mem::Ram)
        .map_err(|_| Error::Other("stage-2 map of guest RAM failed"))?;
    for page in assigned.pages() {
        s2.map(page, page, 0x1000, Mem::Device)
            .map_err(|_| Error::Other("stage-2 map of a device page failed"))?;
    }

    let mpidrs: Vec<u64> = (0..ncpus as u64).collect();
    let triggers: Vec<vocab::Trigger> = assigned.inputs.iter().map(|l| l.trigger).collect();
    let irqc = rvid::Vm::new(rvid::VmConfig {
        mpidrs: &mpidrs,
        trusted: T,
        untrusted: U,
        inputs: &triggers,
        level_trusted: &[VTIMER_INTID],
        abi: options.abi,
    })
    .map_err(|_| Error::Other("the rVIC/rVID configuration was refused"))?;

    // The physical lines: trigger as the host tree says, on CPU 0 until
    // the guest MAPs them elsewhere.
    for l in &assigned.inputs {
        board.gic.set_trigger(l.intid, l.trigger);
        board.gic.route(l.intid, board.cpu(0));
        board.gic.enable(l.intid);
    }

    log::info!(
        "guest: {} MiB RAM at {:#x}, kernel {} KiB, initrd {} KiB, {} device(s), {} rVID input(s), delivery {:?}, WFI {}, rVIC ABI {}.{}",
        options.mem_mib,
        ram_pa,
        bundle.kernel.len() / 1024,
        bundle.initrd.map_or(0, |i| i.len()) / 1024,
        assigned.len(),
        assigned.inputs.len(),
        options.delivery,
        if options.trap_wfi { "trapped" } else { "native" },
        options.abi.version() >> 16,
        options.abi.version() & 0xffff
    );
    let lines = Lines::new(
        assigned.inputs.clone().into_boxed_slice(),
        p.timer.virt.intid,
    );
    let mut vcpu_of_cpu = [None; vocab::MAX_CPUS];
    for (v, &c) in cpus.iter().enumerate() {
        vcpu_of_cpu[c] = Some(v as u8); // c, v < MAX_CPUS = 64
    }
    let vm = VM.call_once(|| Vm {
        irqc,
        vcpus: (0..ncpus).map(|_| Vcpu::default()).collect(),
        cpus: cpus.into(),
        vcpu_of_cpu,
        lines,
        vttbr: s2.vttbr(1),
        options,
        ram: Range::new(ram_pa, size),
        board,
        abort_logged: Default::default(),
        serror_logged: Default::default(),
        fiq_logged: Default::default(),
        powered: AtomicUsize::new(1),
    });
    // vCPU 0 starts at the kernel with the device tree in x0.
    let boot = Start {
        entry: layout.kernel,
        context: layout.dtb,
    };
    let _ = vm.vcpus[0].power.request_on(boot);
    Ok(Some(vm))
}

/// A 2 MiB-aligned run of `size` bytes of usable RAM, taken from the top of
/// the largest fitting range.
fn copy(pa: u64, data: &[u8]) {
    // SAFETY: `pa` is inside the guest's RAM, carved out of usable memory
    // that nothing else uses, and mapped by the EL2 identity map.
    unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), pa as *mut u8, data.len()) };
    cache::clean_inval(pa as usize, data.len());
}
