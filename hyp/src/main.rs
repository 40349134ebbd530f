// SPDX-License-Identifier: Apache-2.0 OR MIT
//! rvhyp: a type-1 micro-hypervisor for aarch64 whose guests get the rVIC/rVID
//! paravirtual interrupt controller instead of an emulated GIC.
//!
//! Boot flow (boot CPU): boot.S relocates the image and calls
//! [`primary_main`] with the MMU off; discovery reads the device tree; the
//! EL2 identity map goes on; console, heap and GIC come up; the other CPUs
//! are started; every CPU runs the boot check; then each CPU runs its vCPU
//! ([`run::vcpu`]) until the guest powers the system off, or, with no
//! guest, the board powers off.
//!
//! Layers, each calling only those below it (docs/architecture.md):
//! `arch` → `console`, `heap`, `board`, `smp`, `mitigate` → `trap` → `vm` → `irq` →
//! `boot_check`, `run` → this file. The plain logic the layers use
//! (options, function IDs, PSCI power states) is the `hyp` library
//! (`lib.rs`), tested on the host.
#![no_std]
#![no_main]

extern crate alloc;

mod arch;
mod board;
mod boot_check;
mod console;
mod heap;
mod irq;
mod mitigate;
mod run;
mod smp;
mod trap;
mod vm;

use core::sync::atomic::{AtomicBool, AtomicU8, Ordering::*};

use board::Stop;
use platform::Range;

/// Set by the boot CPU once every CPU has been started.
static ALL_STARTED: AtomicBool = AtomicBool::new(false);
/// What the secondaries do after the boot check: wait, run the guest, idle.
static NEXT: AtomicU8 = AtomicU8::new(NEXT_WAIT);
const NEXT_WAIT: u8 = 0;
const NEXT_GUEST: u8 = 1;
const NEXT_IDLE: u8 = 2;

/// The device tree blob at `pa`, as a slice. The MMU is off or the map is
/// the identity, so the physical address is the address.
fn dtb_at(pa: u64) -> Option<&'static [u8]> {
    // SAFETY: the boot protocol puts a device tree at x0; only its 8-byte
    // header is read before its own size is known and checked.
    let header = unsafe { core::ptr::read_volatile(pa as *const [u8; 8]) };
    let size = platform::dtb_size(&header)?;
    // SAFETY: the blob's header says it spans `size` bytes; it stays in
    // place (discovery excludes it from usable memory).
    Some(unsafe { core::slice::from_raw_parts(pa as *const u8, size) })
}

/// Entered from boot.S on the boot CPU, MMU off, at EL2.
#[no_mangle]
extern "C" fn primary_main(dtb_pa: u64, load_addr: u64) -> ! {
    let Some(dtb) = dtb_at(dtb_pa) else {
        // No device tree: nothing tells us where a console is.
        arch::park();
    };
    let mut platform = match platform::discover(dtb) {
        Ok(p) => p,
        Err(e) => early_fail(dtb, format_args!("{e}")),
    };
    let image = arch::image_parts();
    let (start, end) = (image.start, image.end);
    let _ = platform.exclude(Range::new(start, end - start));
    let mut ram = [(0, 0); platform::MAX_MEMORY];
    for (r, m) in ram.iter_mut().zip(platform.memory.as_slice()) {
        *r = (m.base, m.size);
    }
    // Every CPU's stack but the boot CPU's (in BSS), each with a guard
    // page, sized from the CPU count and carved from RAM.
    let count = platform.cpus.len() as u64;
    let stride = (arch::STACK_SIZE + arch::GUARD_SIZE) as u64;
    let size = (count * stride).next_multiple_of(2 << 20);
    let Some(base) = platform.carve_bottom(size, 2 << 20) else {
        early_fail(
            dtb,
            format_args!("no {size} bytes of free RAM for {count} CPU stacks"),
        );
    };
    let _ = platform.exclude(Range::new(base, size));
    let stacks = arch::mmu::Stacks {
        base,
        count,
        stride,
    };
    let mmu = match arch::mmu::build(&ram[..platform.memory.len()], image, stacks) {
        Ok(m) => m,
        Err(e) => early_fail(dtb, format_args!("{e}")),
    };
    arch::mmu::enable(&mmu);
    arch::init_cpu();
    heap::init();
    if let Some(c) = &platform.console {
        console::init(c);
    }
    console::init_log();
    log::info!(
        "rvhyp {} at EL2, image at {load_addr:#x} ({} KiB), device tree at {dtb_pa:#x}",
        env!("CARGO_PKG_VERSION"),
        (end - start) / 1024
    );
    report_platform(&platform);

    let board = match board::init(platform, dtb, arch::mpidr()) {
        Ok(b) => b,
        Err(e) => fail(e),
    };
    board.gic.init_distributor();
    boot_check::register();
    let _ = irq::register(smp::HALT_SGI, smp::on_halt, 0);
    mitigate::init_cpu(0);
    init_cpu_gic(0);
    smp::mark_online(0);
    smp::start_secondaries(&mmu, &stacks);
    ALL_STARTED.store(true, Release);
    arch::sev();
    mitigate::report();

    boot_check::run();
    let pass = boot_check::report(stacks);
    if pass {
        // One vCPU per CPU that came up, so no guest call can reach one
        // that is not running.
        let online = smp::online_mask();
        let cpus: alloc::vec::Vec<usize> = (0..board.ncpus)
            .filter(|&c| online & (1 << c) != 0)
            .collect();
        for c in (0..board.ncpus).filter(|&c| online & (1 << c) == 0) {
            log::warn!("cpu{c} is not running: it gets no vCPU");
        }
        match vm::build::create(board, &cpus) {
            Ok(Some(vm)) => {
                run::register(vm);
                NEXT.store(NEXT_GUEST, Release);
                arch::sev();
                run::vcpu(vm, 0); // the boot CPU runs vCPU 0
            }
            Ok(None) => log::info!("no guest bundle (initrd): nothing to run"),
            Err(e) => log::error!("cannot start the guest: {e}"),
        }
    }
    NEXT.store(NEXT_IDLE, Release);
    arch::sev();
    smp::power_off(if pass { Stop::Done } else { Stop::Failed }, true)
}

/// Entered from boot.S on every other CPU, MMU on, with its own stack.
#[no_mangle]
extern "C" fn secondary_main(cpu: usize) -> ! {
    arch::init_cpu();
    mitigate::init_cpu(cpu);
    init_cpu_gic(cpu);
    smp::mark_online(cpu);
    arch::timer::wait_until(10_000, || ALL_STARTED.load(Acquire));
    boot_check::run();
    while NEXT.load(Acquire) == NEXT_WAIT {
        arch::wfe();
    }
    if NEXT.load(Acquire) == NEXT_GUEST {
        if let Some(vm) = vm::get() {
            if let Some(vcpu) = vm.vcpu_on(cpu) {
                run::vcpu(vm, vcpu);
            }
        }
    }
    smp::park()
}

/// This CPU's GIC interface, and the interrupts the hypervisor itself uses.
fn init_cpu_gic(cpu: usize) {
    let b = board::get();
    let id = b.cpu(cpu);
    b.gic.init_cpu(id);
    for sgi in [boot_check::PING_SGI, boot_check::PONG_SGI, smp::HALT_SGI] {
        b.gic.enable(sgi);
    }
    b.gic.set_trigger(b.hyp_timer, vocab::Trigger::Level);
    b.gic.enable(b.hyp_timer);
    log::info!("cpu{cpu} up at EL2, MPIDR {:#x}", id.mpidr);
}

fn report_platform(p: &platform::Platform) {
    log::info!("board: {}", p.model);
    match &p.gic {
        platform::GicInfo::V2 { gicd, gicc, .. } => {
            log::info!(
                "gic: v2 ({}) GICD {:#x} GICC {:#x}",
                p.gic_compatible,
                gicd.base,
                gicc.base
            )
        }
        platform::GicInfo::V3 { gicd, redists, .. } => log::info!(
            "gic: v3 ({}) GICD {:#x}, {} redistributor region(s)",
            p.gic_compatible,
            gicd.base,
            redists.len()
        ),
    }
    for m in p.usable.as_slice() {
        log::info!("usable RAM: {:#x}..{:#x}", m.base, m.end());
    }
    log::info!("cpus: {}", p.cpus.len());
}

/// A fatal problem after the console is up.
fn fail(msg: &str) -> ! {
    log::error!("cannot drive this board: {msg}");
    let b = board::get_opt();
    if let Some(p) = b.and_then(|b| b.psci()) {
        board::firmware_off(p.conduit, false);
    } else if let Some(w) = b.and_then(|b| b.platform.pm_watchdog) {
        log::info!("halting the board by its PM watchdog {}", w.node);
        board::watchdog_off(w, false);
    }
    arch::park()
}

/// Discovery or the EL2 map failed, MMU still off: say why on whatever
/// console the tree names, without locks or heap, then power off if PSCI
/// is known.
fn early_fail(dtb: &'static [u8], why: core::fmt::Arguments) -> ! {
    if let Some(c) = platform::find_console(dtb) {
        console::early_print(&c, format_args!("cannot drive this board: {why}"));
    }
    if let Some(p) = platform::find_psci(dtb) {
        board::firmware_off(p.conduit, false);
    }
    arch::park()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    console::print_emergency(format_args!("PANIC: {info}"));
    arch::park()
}
