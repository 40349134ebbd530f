// SPDX-License-Identifier: Apache-2.0 OR MIT
//! rvhyp: a type-1 micro-hypervisor for aarch64 whose guests get the rVIC/rVID
//! paravirtual interrupt controller instead of an emulated GIC.
//!
//! Boot flow (boot CPU): boot.S relocates the image and calls
//! `primary_main` with the MMU off; discovery reads the device tree; the EL2
//! identity map goes on; console, heap and GIC come up; the other CPUs are
//! started; every CPU runs the GIC/timer self-test; the board powers off.
#![no_std]
#![no_main]

extern crate alloc;

mod arch;
mod board;
mod console;
mod guest;
mod heap;
mod hvc;
mod irq;
mod report;
mod selftest;
mod smp;
mod trap;
mod vcpu;

use core::sync::atomic::{AtomicBool, AtomicU8, Ordering::*};

use arch::smccc;
use gic_backend::Trigger;
use platform::Range;

/// Set by the boot CPU once every CPU has been started.
static ALL_STARTED: AtomicBool = AtomicBool::new(false);
/// What the secondaries do after the self-test: wait, run the guest, idle.
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
        Err(e) => early_fail(dtb, e),
    };
    let (start, end) = arch::image_range();
    let _ = platform.exclude(Range::new(start, end - start));
    let mut ram = [(0, 0); platform::MAX_MEMORY];
    for (r, m) in ram.iter_mut().zip(platform.memory.as_slice()) {
        *r = (m.base, m.size);
    }
    let mmu = match arch::mmu::build(&ram[..platform.memory.len()]) {
        Ok(m) => m,
        Err(e) => early_fail_msg(dtb, e),
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

    let board = match board::init(platform, arch::mpidr()) {
        Ok(b) => b,
        Err(e) => fail(e),
    };
    board.gic.init_distributor();
    init_cpu_gic(0);
    smp::mark_online(0);
    smp::start_secondaries(&mmu);
    ALL_STARTED.store(true, Release);
    arch::sev();

    arch::irq_enable();
    selftest::run();
    let pass = selftest::report();
    if pass {
        match guest::create(board) {
            Ok(Some(g)) => {
                NEXT.store(NEXT_GUEST, Release);
                arch::sev();
                arch::irq_disable();
                vcpu::run(g, 0);
            }
            Ok(None) => log::info!("no guest bundle (initrd): nothing to run"),
            Err(e) => log::error!("cannot start the guest: {e}"),
        }
    }
    NEXT.store(NEXT_IDLE, Release);
    arch::sev();
    power_off(pass)
}

/// Entered from boot.S on every other CPU, MMU on, with its own stack.
#[no_mangle]
extern "C" fn secondary_main(cpu: usize) -> ! {
    arch::init_cpu();
    init_cpu_gic(cpu);
    smp::mark_online(cpu);
    arch::timer::wait_until(10_000, || ALL_STARTED.load(Acquire));
    arch::irq_enable();
    selftest::run();
    while NEXT.load(Acquire) == NEXT_WAIT {
        arch::wfe();
    }
    if NEXT.load(Acquire) == NEXT_GUEST {
        if let Some(g) = guest::get() {
            arch::irq_disable();
            vcpu::run(g, cpu);
        }
    }
    loop {
        arch::wfi();
    }
}

/// This CPU's GIC interface, and the interrupts the hypervisor itself uses.
fn init_cpu_gic(cpu: usize) {
    let b = board::get();
    let id = b.cpu(cpu);
    b.gic.init_cpu(id);
    for sgi in [irq::sgi::PING, irq::sgi::PONG] {
        b.gic.enable(sgi);
    }
    b.gic.set_trigger(b.hyp_timer, Trigger::Level);
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

/// Stop the machine: PSCI SYSTEM_OFF if there is firmware to ask.
fn power_off(pass: bool) -> ! {
    let b = board::get();
    match b.psci() {
        Some(p) => {
            log::info!(
                "powering off ({})",
                if pass {
                    "all checks passed"
                } else {
                    "checks FAILED"
                }
            );
            smccc::call(p.conduit, smccc::PSCI_SYSTEM_OFF, 0, 0, 0);
            log::error!("PSCI SYSTEM_OFF returned");
        }
        None => log::info!("no PSCI firmware: halting all CPUs here"),
    }
    arch::park()
}

/// A fatal problem after the console is up.
fn fail(msg: &str) -> ! {
    log::error!("cannot drive this board: {msg}");
    if let Some(p) = board::get_opt().and_then(|b| b.psci()) {
        smccc::call(p.conduit, smccc::PSCI_SYSTEM_OFF, 0, 0, 0);
    }
    arch::park()
}

/// Discovery failed, MMU still off: say why on whatever console the tree
/// names, without locks or heap, then power off if PSCI is known.
fn early_fail(dtb: &'static [u8], err: platform::Error) -> ! {
    early_report(dtb, format_args!("cannot drive this board: {err}"))
}

fn early_fail_msg(dtb: &'static [u8], msg: &str) -> ! {
    early_report(dtb, format_args!("cannot drive this board: {msg}"))
}

fn early_report(dtb: &'static [u8], msg: core::fmt::Arguments) -> ! {
    if let Some(c) = platform::find_console(dtb) {
        console::early_print(&c, msg);
    }
    if let Some(p) = platform::find_psci(dtb) {
        smccc::call(p.conduit, smccc::PSCI_SYSTEM_OFF, 0, 0, 0);
    }
    arch::park()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    console::print_emergency(format_args!("PANIC: {info}"));
    arch::park()
}
