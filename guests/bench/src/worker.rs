// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The other vCPUs and the IRQ handler. A started vCPU enables its
//! interface, unmasks the benchmark's software interrupts and then either
//! waits in WFI (with PSTATE.I set around the check, so no wake-up is lost)
//! or busy-polls, as vCPU 0 sets its [`Mode`]; a doorbell interrupt makes
//! it look again. The handler acknowledges one interrupt per entry,
//! records what the figures wait for (a flag per vCPU, the timer's entry
//! time) and completes it. Owns those per-vCPU words.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::*};

use bench::irqchip::IrqChip;
use selftest::MAX_CPUS;

use crate::cpu::{now, now_insns, relax, wfi};
use crate::{arch, console};

/// The software interrupt the IPI figures send.
pub const IPI: u32 = 1;
/// The one `self-ipi` sends.
pub const SELF_IPI: u32 = 2;
/// "Look at your mode again".
pub const DOORBELL: u32 = 15;

/// What a vCPU other than 0 does between interrupts.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Mode {
    Wfi = 0,
    Poll = 1,
}

static MODE: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(Mode::Wfi as u32) }; MAX_CPUS];
static STARTED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// Set by the handler when [`IPI`] or [`SELF_IPI`] arrives, before it
/// completes it (as kvm-unit-tests' handler sets `irq_received`).
pub static FLAG: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// Interrupts the handler has completed, per vCPU.
pub static HANDLED: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];
/// Times each vCPU was about to execute WFI.
pub static IDLES: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];
/// The counter at the entry of the last virtual timer handler (0: none yet).
pub static TIMER_ENTRY: AtomicU64 = AtomicU64::new(0);
/// While set (the `timer` figure's instruction count), the handler also
/// reads the PMU's instruction count at its entry, into [`TIMER_INSNS`]
/// (the test costs every handler its few instructions, before the entry
/// time is read, so that the count ends where `timed`'s does).
pub static ENTRY_INSNS: AtomicBool = AtomicBool::new(false);
pub static TIMER_INSNS: AtomicU32 = AtomicU32::new(0);
/// The `device` figure's PL011 (its base) and the INTID its TX interrupt
/// was routed to (`u32::MAX`: none).
pub static DEVICE_UART: AtomicU64 = AtomicU64::new(0);
pub static DEVICE_INTID: AtomicU32 = AtomicU32::new(u32::MAX);
/// Set by the handler when it has deasserted and completed that interrupt.
pub static DEVICE_DONE: AtomicBool = AtomicBool::new(false);
static SPURIOUS: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];
static UNEXPECTED: AtomicU32 = AtomicU32::new(0);

const UARTFR: u64 = 0x18;
const UARTFR_BUSY: u32 = 1 << 3;
const UARTFR_TXFE: u32 = 1 << 7;
const UARTIMSC: u64 = 0x38;
const UARTIMSC_TXIM: u32 = 1 << 5;

/// The PL011 at `base` has sent everything: TX FIFO empty, not busy.
pub fn pl011_drained(base: u64) -> bool {
    arch::read32(base + UARTFR) & (UARTFR_TXFE | UARTFR_BUSY) == UARTFR_TXFE
}

/// Set the PL011's interrupt mask to the TX interrupt alone (`tx`) or to
/// none: with the TX FIFO at or below its trigger level (drained), its
/// line is high exactly while TXIM is set.
pub fn pl011_txim(base: u64, tx: bool) {
    arch::write32(base + UARTIMSC, if tx { UARTIMSC_TXIM } else { 0 });
}

/// How long a wait may take, in counter ticks: 200 ms.
fn limit() -> u64 {
    arch::counter_freq() / 5
}

/// Spin (with YIELD) until `done`; an error after 200 ms of counter time.
pub fn wait(what: &'static str, done: impl Fn() -> bool) -> Result<(), &'static str> {
    let end = arch::counter() + limit();
    while !done() {
        if arch::counter() > end {
            return Err(what);
        }
        relax();
    }
    Ok(())
}

/// vCPU 0's own interface: enabled, the self IPI and the timer unmasked,
/// IRQs on.
pub fn own_init(chip: &impl IrqChip) -> Result<(), &'static str> {
    chip.cpu_init()?;
    chip.unmask(SELF_IPI);
    chip.unmask(chip.vtimer());
    arch::irqs_on();
    Ok(())
}

/// Wait for vCPUs 1..n to have started.
pub fn wait_started(n: usize) -> Result<(), &'static str> {
    wait("a vCPU did not start", || {
        (1..n).all(|c| STARTED[c].load(Acquire))
    })
}

/// Make vCPU `cpu` wait in `mode`, ring its doorbell, and wait until it
/// is there (for WFI: about to execute it).
pub fn set_mode(chip: &impl IrqChip, cpu: usize, mode: Mode) -> Result<(), &'static str> {
    let (idles, handled) = (IDLES[cpu].load(Acquire), HANDLED[cpu].load(Acquire));
    MODE[cpu].store(mode as u32, Release);
    chip.send_ipi(cpu, DOORBELL);
    match mode {
        Mode::Wfi => wait("a vCPU did not go back to WFI", || {
            IDLES[cpu].load(Acquire) != idles
        }),
        Mode::Poll => wait("a vCPU did not take its doorbell", || {
            HANDLED[cpu].load(Acquire) != handled
        }),
    }
}

/// A started vCPU, for ever.
pub fn serve(chip: &impl IrqChip, cpu: usize) -> ! {
    if chip.cpu_init().is_err() {
        UNEXPECTED.fetch_add(1, Relaxed);
    }
    chip.unmask(IPI);
    chip.unmask(DOORBELL);
    STARTED[cpu].store(true, Release);
    arch::irqs_on();
    loop {
        if MODE[cpu].load(Acquire) == Mode::Poll as u32 {
            relax();
            continue;
        }
        arch::irqs_off();
        if MODE[cpu].load(Acquire) == Mode::Wfi as u32 {
            IDLES[cpu].fetch_add(1, Release);
            wfi();
        }
        arch::irqs_on();
    }
}

/// The IRQ exception on vCPU `cpu`: one acknowledge, one completion.
pub fn irq(chip: &impl IrqChip, cpu: usize) {
    let (entry, entry_insns) = match ENTRY_INSNS.load(Relaxed) {
        true => now_insns(),
        false => (now(), 0),
    };
    let Some(irq) = chip.acknowledge() else {
        SPURIOUS[cpu].fetch_add(1, Relaxed);
        return;
    };
    let intid = irq.intid;
    if intid == chip.vtimer() {
        // Quieten the level source (the deadline moves to the end of
        // time), then tell the controller, then complete.
        arch::vtimer_cval(u64::MAX);
        TIMER_INSNS.store(entry_insns, Relaxed);
        TIMER_ENTRY.store(entry, Release);
        chip.level_quiet(intid);
    } else if intid == IPI || intid == SELF_IPI {
        FLAG[cpu].store(true, Release);
    } else if intid == DEVICE_INTID.load(Relaxed) {
        // Deassert (TXIM off), tell the controller, complete; the flag
        // comes after the completion, which the figure includes.
        pl011_txim(DEVICE_UART.load(Relaxed), false);
        chip.level_quiet(intid);
        chip.complete(irq);
        HANDLED[cpu].fetch_add(1, Release);
        DEVICE_DONE.store(true, Release);
        return;
    } else if intid != DOORBELL {
        UNEXPECTED.fetch_add(1, Relaxed);
    }
    chip.complete(irq);
    HANDLED[cpu].fetch_add(1, Release);
}

/// The closing comment: spurious entries per vCPU and unexpected INTIDs.
pub fn report(n: usize) {
    console::with(|w| {
        let _ = write!(w, "# spurious IRQ entries:");
        for (c, s) in SPURIOUS.iter().enumerate().take(n) {
            let _ = write!(w, " vCPU {c}: {}", s.load(Relaxed));
        }
        let _ = writeln!(w, "; unexpected interrupts: {}", UNEXPECTED.load(Relaxed));
    });
}

/// Anything else taken at EL1 ends the run (ELR_EL1 is still the
/// exception's: nothing here took another).
pub fn fatal(cpu: usize, kind: u64, elr: u64) -> ! {
    console::force(|w| {
        let _ = writeln!(
            w,
            "bench failed: vCPU {cpu}: unexpected exception (vector {kind}), ESR {:#x}, ELR {elr:#x}, FAR {:#x}",
            arch::esr(),
            arch::far()
        );
    });
    arch::hvc(selftest::abi::PSCI_SYSTEM_OFF, [0; 3]);
    arch::park()
}

#[no_mangle]
extern "C" fn el1_exception(_frame: *mut u64, kind: u64) {
    let cpu = arch::cpu_index();
    match (kind, crate::start::CHIP.get()) {
        (5, Some(chip)) => crate::with_chip!(chip, c => irq(c, cpu)),
        _ => fatal(cpu, kind, crate::cpu::elr()),
    }
}
