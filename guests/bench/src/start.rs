// SPDX-License-Identifier: Apache-2.0 OR MIT
//! From boot.S to the figures and back out: vCPU 0 reads the device tree,
//! chooses the interrupt-controller backend (rVIC, GICv3 or GICv2), maps
//! memory (with the GIC's frames), starts the other vCPUs, runs the
//! figures the command line asks for and powers off with PSCI SYSTEM_OFF
//! (a hypervisor then prints its exit counters; bare QEMU just ends). Also the
//! panic handler, which ends the run with a `bench failed` line.

use bench::gic::{GicV2, GicV3};
use bench::irqchip::{Backend, IrqChip, Rvic};
use bench::{Args, Figure};
use selftest::abi::{PSCI_CPU_ON, PSCI_SYSTEM_OFF, SMCCC_VERSION};
use selftest::dt;
use selftest::pagetable::{Kind, Tables};

use crate::cpu::{Gic, Hvc};
use crate::{arch, console, figures, println, worker};

/// QEMU virt's PL011, for the one message when the device tree is unusable.
const FALLBACK_UART: u64 = 0x0900_0000;

/// The backend this run drives, chosen from the device tree.
pub enum Chip {
    Rvic(Rvic<Hvc>),
    GicV3(GicV3<Gic>),
    GicV2(GicV2<Gic>),
}
pub static CHIP: spin::Once<Chip> = spin::Once::new();

/// `with_chip!(chip, c => expr)`: `expr` with `c` bound to the backend
/// inside `chip` (a `&Chip`), so that generic code runs monomorphised for
/// each backend and a figure pays for no dispatch.
#[macro_export]
macro_rules! with_chip {
    ($chip:expr, $c:ident => $body:expr) => {
        match $chip {
            $crate::start::Chip::Rvic($c) => $body,
            $crate::start::Chip::GicV3($c) => $body,
            $crate::start::Chip::GicV2($c) => $body,
        }
    };
}

/// The device tree blob at `pa`, with the MMU still off.
fn blob(pa: u64) -> Result<&'static [u8], &'static str> {
    if pa == 0 || !pa.is_multiple_of(8) {
        return Err("x0 holds no device tree address");
    }
    // SAFETY: the boot protocol puts the device tree at x0, in RAM; only
    // its 8-byte header is read before its own size is known.
    let header = unsafe { core::ptr::read_volatile(pa as *const [u8; 8]) };
    let size = dt::total_size(&header).ok_or("no device tree magic at x0")?;
    // SAFETY: the header says the blob spans `size` bytes; the hypervisor
    // placed it in guest RAM, which nothing here writes.
    Ok(unsafe { core::slice::from_raw_parts(pa as *const u8, size) })
}

/// `/chosen/bootargs`, found by walking the nodes (see selftest's dt.rs on
/// why paths are not looked up).
fn bootargs(dtb: &[u8]) -> &str {
    fdt::Fdt::new(dtb)
        .ok()
        .and_then(|f| {
            let chosen = f.all_nodes().find(|n| n.name == "chosen")?;
            chosen.property("bootargs")?.as_str()
        })
        .unwrap_or("")
}

fn fail(console: u64, why: &str) -> ! {
    console::init(console);
    println!("bench failed: {why}");
    arch::hvc(PSCI_SYSTEM_OFF, [0; 3]);
    arch::park()
}

fn map(t: &mut Tables, info: &dt::GuestInfo, backend: &Backend) -> Result<(), &'static str> {
    t.map(info.ram_base, info.ram_size, Kind::Normal)?;
    t.map(info.console, 0x1000, Kind::Device)?;
    match backend {
        Backend::Rvic => {}
        Backend::GicV3(r) => {
            t.map(r.gicd.base, r.gicd.size, Kind::Device)?;
            for rd in r.redists() {
                t.map(rd.base, rd.size, Kind::Device)?;
            }
        }
        Backend::GicV2 { gicd, gicc } => {
            t.map(gicd.base, gicd.size, Kind::Device)?;
            t.map(gicc.base, gicc.size, Kind::Device)?;
        }
    }
    Ok(())
}

#[no_mangle]
extern "C" fn primary_main(dtb: u64) -> ! {
    let blob = blob(dtb).unwrap_or_else(|e| fail(FALLBACK_UART, e));
    let fdt = fdt::Fdt::new(blob).unwrap_or_else(|_| fail(FALLBACK_UART, "not a device tree"));
    let backend = Backend::find(&fdt).unwrap_or_else(|e| fail(FALLBACK_UART, e));
    let info = match backend {
        Backend::Rvic => dt::parse(blob),
        _ => dt::parse_machine(blob),
    };
    let mut info = info.unwrap_or_else(|e| fail(FALLBACK_UART, e));
    if let Err(e) = info.boot_first(arch::mpidr()) {
        fail(info.console, e);
    }
    let args = Args::parse(bootargs(blob)).unwrap_or_else(|e| fail(info.console, e));
    if let Err(e) = arch::enable_mmu(|t| map(t, &info, &backend)) {
        fail(info.console, e);
    }
    console::init(info.console);
    let gic_vtimer = Backend::gic_vtimer(&fdt).unwrap_or(u32::MAX);
    let chip = CHIP.call_once(|| match backend {
        Backend::Rvic => Chip::Rvic(Rvic::new(
            info.mpidrs(),
            info.vtimer.map_or(u32::MAX, |(intid, _)| intid),
        )),
        Backend::GicV3(r) => Chip::GicV3(GicV3::new(r, info.mpidrs(), gic_vtimer)),
        Backend::GicV2 { gicd, gicc } => Chip::GicV2(GicV2::new(gicd, gicc, gic_vtimer)),
    });
    let rvic = matches!(backend, Backend::Rvic);
    let uart = figures::Uart {
        base: info.console,
        line: backend.device_line(
            &fdt,
            info.console,
            info.stdout
                .filter(|c| c.is_pl011)
                .and_then(|c| c.device.irq),
        ),
    };
    with_chip!(chip, c => run(c, rvic, &info, &args, uart))
}

/// On vCPU 0: the banner, the other vCPUs started, every figure asked
/// for, the closing report, SYSTEM_OFF. `rvic`: the backend is rVIC,
/// which needs a hypervisor to answer its calls.
fn run(
    chip: &impl IrqChip,
    rvic: bool,
    info: &dt::GuestInfo,
    args: &Args,
    uart: figures::Uart,
) -> ! {
    let n = info.mpidrs().len();
    println!(
        "# rvhyp benchmark guest (bench {}): {} backend, {n} vCPU(s), counter {} Hz, {} iterations per figure",
        env!("CARGO_PKG_VERSION"),
        chip.name(),
        arch::counter_freq(),
        args.iters
    );
    // rVIC needs a hypervisor; a GIC guest may run on bare QEMU, whose
    // PSCI answers every other HVC with NOT_SUPPORTED.
    let smccc = arch::hvc(SMCCC_VERSION, [0; 3]).ret[0];
    if smccc == u64::MAX || smccc < 0x1_0001 {
        if rvic {
            fail(
                info.console,
                "SMCCC_VERSION is below 1.1: no hypervisor answers HVC",
            );
        }
        println!(
            "# HVC SMCCC_VERSION: NOT_SUPPORTED ({smccc:#x}): no hypervisor, only PSCI firmware"
        );
    } else {
        println!("# HVC SMCCC_VERSION: {}.{}", smccc >> 16, smccc & 0xffff);
    }
    if let Err(e) = chip.global_init().and_then(|_| worker::own_init(chip)) {
        fail(info.console, e);
    }
    for (cpu, &mpidr) in info.mpidrs().iter().enumerate().skip(1) {
        let on = arch::hvc(
            PSCI_CPU_ON,
            [mpidr, arch::secondary_entry_addr(), cpu as u64],
        );
        if on.ret[0] != 0 {
            fail(info.console, "PSCI CPU_ON failed");
        }
    }
    if let Err(e) = worker::wait_started(n) {
        fail(info.console, e);
    }
    for f in Figure::ALL.into_iter().filter(|&f| args.wants(f)) {
        if n < f.cpus() {
            println!(
                "bench {} skipped: needs {} vCPUs, has {n}",
                f.name(),
                f.cpus()
            );
            continue;
        }
        match figures::run(chip, f, args.iters, uart) {
            Ok(Some(s)) => println!("bench {} {s}", f.name()),
            Ok(None) => println!("bench {} n=0 (set-up only)", f.name()),
            Err(e) => println!("bench {} failed: {e}", f.name()),
        }
        if !args.insns || !f.single() || args.iters == 0 {
            continue;
        }
        match figures::guest_insns(chip, f, args.iters, uart) {
            Ok(Some(i)) => println!(
                "bench {} insns mean_ns={} guest_insns={} el2_insns={}",
                f.name(),
                Tenths(i.time as i64),
                Tenths(i.guest),
                Tenths(i.time as i64 - i.guest)
            ),
            Ok(None) => println!("bench {} insns guest_insns=n/a (no PMU)", f.name()),
            Err(e) => println!("bench {} failed: {e}", f.name()),
        }
    }
    worker::report(n);
    println!("bench done");
    arch::hvc(PSCI_SYSTEM_OFF, [0; 3]);
    arch::park()
}

/// A count in tenths, printed as `-12.3`.
struct Tenths(i64);

impl core::fmt::Display for Tenths {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{}", a / 10, a % 10)
    }
}

/// vCPU `cpu` (1..) after PSCI CPU_ON, MMU on (boot.S also passes the EL1
/// registers CPU_ON left, which only the conformance guest looks at).
#[no_mangle]
extern "C" fn secondary_main(cpu: usize) -> ! {
    match CHIP.get() {
        Some(chip) => with_chip!(chip, c => worker::serve(c, cpu)),
        None => arch::park(),
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let cpu = arch::cpu_index();
    console::force(|w| {
        let _ = writeln!(w, "bench failed: vCPU {cpu} panicked: {info}");
    });
    arch::hvc(PSCI_SYSTEM_OFF, [0; 3]);
    arch::park()
}
