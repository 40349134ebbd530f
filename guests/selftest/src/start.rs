// SPDX-License-Identifier: Apache-2.0 OR MIT
//! From boot.S to the checks and back out: vCPU 0 reads the device tree,
//! maps memory, prints the banner, learns T and U, runs every check and
//! closes the report with PSCI SYSTEM_OFF; the other vCPUs go to their
//! mailbox. Also the panic handler, which ends the run like a failed check.

use selftest::abi::*;
use selftest::pagetable::{Kind, Tables, VA_LIMIT};
use selftest::{dt, msg, MAX_INTIDS};

use crate::checks::{self, abort::PROBES, check, Ctx, CTX, REPORT};
use crate::exception::{self, TALLY};
use crate::{arch, console, mailbox, println};

/// QEMU virt's PL011, for the one message when the device tree is unusable.
const FALLBACK_UART: u64 = 0x0900_0000;

/// The device tree blob at `pa`, with the MMU still off.
fn read_dt(pa: u64) -> Result<dt::GuestInfo, &'static str> {
    if pa == 0 || !pa.is_multiple_of(8) {
        return Err("x0 holds no device tree address");
    }
    // SAFETY: the boot protocol puts the device tree at x0, in RAM; only
    // its 8-byte header is read before its own size is known and checked.
    let header = unsafe { core::ptr::read_volatile(pa as *const [u8; 8]) };
    let size = dt::total_size(&header).ok_or("no device tree magic at x0")?;
    // SAFETY: the header says the blob spans `size` bytes; the hypervisor
    // placed it in the top 2 MiB of RAM, which nothing here writes.
    dt::parse(unsafe { core::slice::from_raw_parts(pa as *const u8, size) })
}

fn map(t: &mut Tables, info: &dt::GuestInfo) -> Result<(), &'static str> {
    t.map(info.ram_base, info.ram_size, Kind::Normal)?;
    let ram_end = info.ram_base + info.ram_size;
    let devices = [
        info.console,
        info.uart.map_or(0, |d| d.base),
        info.rtc.map_or(0, |d| d.base),
    ];
    let in_ram = |b: u64| (info.ram_base..ram_end).contains(&b);
    for base in devices
        .into_iter()
        .chain(PROBES.map(|p| p.0))
        .chain(checks::hostile::PAGES)
        .chain([ram_end])
    {
        if base != 0 && base < VA_LIMIT && !in_ram(base) {
            t.map(base, 0x1000, Kind::Device)?;
        }
    }
    Ok(())
}

/// End the run before any check could start.
fn early_failure(console: u64, why: &str) -> ! {
    console::init(console);
    console::force(|w| {
        let _ = writeln!(w, "# rvhyp conformance guest: cannot start");
        REPORT.record(
            w,
            format_args!("read the guest device tree and map memory"),
            &Err(msg!("{why}")),
        );
        REPORT.summary(w);
    });
    arch::hvc(PSCI_SYSTEM_OFF, [0; 3]);
    arch::park()
}

/// T and U from INFO, or the spec's if INFO gives nothing usable.
fn sizes() -> (u64, u64) {
    let t = arch::hvc(RVIC_INFO, [0; 3]);
    let u = arch::hvc(RVIC_INFO, [1, 0, 0]);
    let (tv, uv) = (t.value(), u.value());
    let usable = t.status() == SUCCESS && u.status() == SUCCESS && tv >= 32 && uv >= 32;
    if usable && tv % 32 == 0 && (tv + uv) % 32 == 0 && tv + uv <= MAX_INTIDS as u64 {
        return (tv, uv);
    }
    println!(
        "# INFO gave T = {tv:#x}, U = {uv:#x} ({}): using the spec's 32 and 64",
        Status(t.status())
    );
    (EXPECTED_T, EXPECTED_U)
}

/// What rVIC VERSION answers, if it is 0.4; else 0.3, which the ABI rows
/// then hold it to.
fn version() -> u64 {
    match arch::hvc(RVIC_VERSION, [0; 3]).ret {
        [SUCCESS, ABI_0_4, 0, 0] => ABI_0_4,
        _ => ABI_0_3,
    }
}

fn banner(ctx: &Ctx) {
    let i = &ctx.info;
    console::with(|w| {
        let _ = write!(w, "# {} vCPU(s), MPIDRs", ctx.n());
        for m in i.mpidrs() {
            let _ = write!(w, " {m:#x}");
        }
        let _ = writeln!(
            w,
            "; RAM {:#x} + {:#x}; console {:#x}",
            i.ram_base, i.ram_size, i.console
        );
    });
    println!(
        "# rVIC ABI 0.{}, T = {}, U = {}; counter {} Hz",
        ctx.version,
        ctx.t,
        ctx.u,
        arch::counter_freq()
    );
    if i.cpus_in_dt > ctx.n() {
        println!(
            "# only the first {} of {} vCPUs take part",
            ctx.n(),
            i.cpus_in_dt
        );
    }
}

#[no_mangle]
extern "C" fn primary_main(dtb: u64) -> ! {
    let mut info = read_dt(dtb).unwrap_or_else(|e| early_failure(FALLBACK_UART, e));
    if let Err(e) = info.boot_first(arch::mpidr()) {
        early_failure(info.console, e);
    }
    if let Err(e) = arch::enable_mmu(|t| map(t, &info)) {
        early_failure(info.console, e);
    }
    arch::event_stream_on();
    console::init(info.console);
    println!(
        "# rvhyp conformance guest (selftest {})",
        env!("CARGO_PKG_VERSION")
    );
    let (t, u) = sizes();
    let version = version();
    let ctx = CTX.call_once(|| Ctx {
        info,
        t,
        u,
        version,
    });
    banner(ctx);
    check(
        format_args!("device tree: psci method is \"hvc\""),
        if ctx.info.psci_hvc {
            Ok(())
        } else {
            Err(msg!("it is not"))
        },
    );
    checks::run(ctx);
    finish(ctx)
}

fn finish(ctx: &Ctx) -> ! {
    let (hvc, _) = exception::undefined_calls();
    check(
        format_args!("every HVC #0 reached the hypervisor"),
        if hvc == 0 {
            Ok(())
        } else {
            Err(msg!("{hvc} were undefined at EL1"))
        },
    );
    console::with(|w| {
        let _ = write!(w, "# spurious IRQ entries:");
        for c in 0..ctx.n() {
            let _ = write!(w, " vCPU {c}: {}", TALLY.spurious_count(c));
        }
        let _ = writeln!(w);
        REPORT.summary(w);
    });
    // With one vCPU the run ends with CPU_OFF: the last vCPU turning off
    // must power the system off (the test waits for QEMU's exit).
    let off = if ctx.n() == 1 {
        PSCI_CPU_OFF
    } else {
        PSCI_SYSTEM_OFF
    };
    arch::hvc(off, [0; 3]);
    arch::park()
}

/// vCPU `cpu` (1..) after PSCI CPU_ON, MMU on. boot.S passes VBAR_EL1,
/// CNTKCTL_EL1, MDSCR_EL1 and CONTEXTIDR_EL1 as CPU_ON left them; the
/// vCPU then sets each to a value other than its reset one (boot.S's
/// vectors, the event stream, [`arch::mark_el1_state`]), so that the next
/// CPU_ON has something to reset.
#[no_mangle]
extern "C" fn secondary_main(cpu: usize, vbar: u64, cntkctl: u64, mdscr: u64, ctxid: u64) -> ! {
    arch::event_stream_on();
    arch::mark_el1_state(0x5e1f_0000 + cpu as u64);
    let now = [
        arch::vbar(),
        arch::cntkctl(),
        arch::mdscr(),
        arch::contextidr(),
    ];
    mailbox::serve(cpu, [vbar, cntkctl, mdscr, ctxid], now)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let cpu = arch::cpu_index();
    console::force(|w| {
        let why = msg!("vCPU {cpu}: {info}");
        REPORT.record(w, format_args!("the guest does not panic"), &Err(why));
        REPORT.summary(w);
    });
    arch::hvc(PSCI_SYSTEM_OFF, [0; 3]);
    arch::park()
}
