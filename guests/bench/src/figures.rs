// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The measurements, on vCPU 0, written against [`IrqChip`] only. Each
//! figure sets itself up (untimed), then times `iters` iterations, one
//! sample each: the counter (ISB, CNTVCT_EL0) just before and just after
//! the operation, as kvm-unit-tests' arm/micro-bench.c did per iteration.
//! Between iterations it waits, untimed, until every vCPU involved is back
//! where it waits. docs/performance.md defines each figure and says where
//! it differs from micro-bench.

use core::sync::atomic::Ordering::*;

use bench::irqchip::IrqChip;
use bench::stats::{summarise, Summary};
use bench::{Figure, MAX_ITERS};
use selftest::abi::SMCCC_VERSION;

use crate::arch;
use crate::cpu::{now, relax};
use crate::worker::{
    self, wait, Mode, DEVICE_DONE, DEVICE_INTID, DEVICE_UART, FLAG, HANDLED, IDLES, IPI, SELF_IPI,
    TIMER_ENTRY,
};

static SAMPLES: spin::Mutex<[u64; MAX_ITERS]> = spin::Mutex::new([0; MAX_ITERS]);

/// The timer figure's deadline, from the programming of CNTV_CVAL_EL0: 20 µs.
const TIMER_DELAY_US: u64 = 20;

/// After a vCPU has said it is about to execute WFI: a few turns of the
/// wait loop, so that it has executed it (and trapped) before the next
/// iteration starts.
fn settle() {
    for _ in 0..8 {
        relax();
    }
}

/// Time `f` once: counter ticks from just before to just after.
#[inline(always)]
fn timed(f: impl FnOnce() -> Result<(), &'static str>) -> Result<u64, &'static str> {
    let t0 = now();
    f()?;
    Ok(now() - t0)
}

/// The console PL011 the `device` figure uses: its base and its
/// interrupt as [`IrqChip::route_level`] takes it (`None`: the device
/// tree gives it no level interrupt this backend can route).
#[derive(Clone, Copy)]
pub struct Uart {
    pub base: u64,
    pub line: Option<u32>,
}

/// Run figure `fig` for `iters` iterations. `None`
/// when `iters` is 0 (the set-up alone ran).
pub fn run(
    chip: &impl IrqChip,
    fig: Figure,
    iters: usize,
    uart: Uart,
) -> Result<Option<Summary>, &'static str> {
    let mut samples = SAMPLES.lock();
    let samples = &mut samples[..iters.min(MAX_ITERS)];
    match fig {
        Figure::Hvc => hvc(samples),
        Figure::IpiWfi => ipi(chip, samples, &[1], Mode::Wfi),
        Figure::IpiPoll => ipi(chip, samples, &[1], Mode::Poll),
        Figure::IpiBcast => ipi(chip, samples, &[1, 2, 3], Mode::Wfi),
        Figure::Eoi => eoi(chip, samples),
        Figure::SelfIpi => self_ipi(chip, samples),
        Figure::Timer => timer(chip, samples),
        Figure::Device => device(chip, samples, uart),
    }?;
    Ok(summarise(samples, arch::counter_freq()))
}

/// `hvc`: SMCCC_VERSION, the null hypercall.
fn hvc(samples: &mut [u64]) -> Result<(), &'static str> {
    for s in samples.iter_mut() {
        *s = timed(|| {
            arch::hvc(SMCCC_VERSION, [0; 3]);
            Ok(())
        })?;
    }
    Ok(())
}

/// `ipi-wfi`, `ipi-poll`, `ipi-bcast`: send [`IPI`] to every vCPU of
/// `targets` at once (as a guest IPIs a set: rVIC one SIGNAL each, a GIC
/// one SGI write), each waiting in `mode`, until every target's handler has
/// set its flag.
fn ipi(
    chip: &impl IrqChip,
    samples: &mut [u64],
    targets: &[usize],
    mode: Mode,
) -> Result<(), &'static str> {
    for &t in targets {
        worker::set_mode(chip, t, mode)?;
    }
    settle();
    let result = (|| {
        for s in samples.iter_mut() {
            let mut idles = [0; 4];
            let mut handled = [0; 4];
            for (i, &t) in targets.iter().enumerate() {
                idles[i] = IDLES[t].load(Acquire);
                handled[i] = HANDLED[t].load(Acquire);
                FLAG[t].store(false, Release);
            }
            *s = timed(|| {
                chip.send_ipi_set(targets, IPI);
                wait("an IPI's flag was not set", || {
                    targets.iter().all(|&t| FLAG[t].load(Acquire))
                })
            })?;
            // Untimed: every target has completed it and waits again.
            wait("a target did not complete its IPI", || {
                targets
                    .iter()
                    .enumerate()
                    .all(|(i, &t)| HANDLED[t].load(Acquire) != handled[i])
            })?;
            if mode == Mode::Wfi {
                wait("a target did not go back to WFI", || {
                    targets
                        .iter()
                        .enumerate()
                        .all(|(i, &t)| IDLES[t].load(Acquire) != idles[i])
                })?;
                settle();
            }
        }
        Ok(())
    })();
    if mode != Mode::Wfi {
        for &t in targets {
            worker::set_mode(chip, t, Mode::Wfi)?;
        }
    }
    result
}

/// `eoi`: complete an INTID that has nothing to complete, as micro-bench
/// writes the spurious INTID 1023 to the EOI register.
fn eoi(chip: &impl IrqChip, samples: &mut [u64]) -> Result<(), &'static str> {
    let idle = chip.idle_irq();
    for s in samples.iter_mut() {
        *s = timed(|| {
            chip.complete(idle);
            Ok(())
        })?;
    }
    Ok(())
}

/// `self-ipi`: signal this vCPU; the interrupt is taken, acknowledged and
/// completed; until the flag its handler set is seen.
fn self_ipi(chip: &impl IrqChip, samples: &mut [u64]) -> Result<(), &'static str> {
    for s in samples.iter_mut() {
        FLAG[0].store(false, Release);
        *s = timed(|| {
            chip.send_ipi(0, SELF_IPI);
            wait("the self IPI did not arrive", || FLAG[0].load(Acquire))
        })?;
    }
    Ok(())
}

/// `timer`: program the virtual timer [`TIMER_DELAY_US`] ahead, busy-wait;
/// the sample is the counter at the handler's entry minus the deadline.
fn timer(chip: &impl IrqChip, samples: &mut [u64]) -> Result<(), &'static str> {
    if chip.vtimer() == u32::MAX {
        return Err("the device tree gives no virtual timer INTID");
    }
    let delay = arch::counter_freq() * TIMER_DELAY_US / 1_000_000;
    arch::vtimer_cval(u64::MAX);
    arch::vtimer_ctl(1);
    let result = (|| {
        for s in samples.iter_mut() {
            TIMER_ENTRY.store(0, Release);
            let deadline = now() + delay;
            arch::vtimer_cval(deadline);
            wait("the virtual timer did not fire", || {
                TIMER_ENTRY.load(Acquire) != 0
            })?;
            *s = TIMER_ENTRY.load(Acquire).saturating_sub(deadline);
        }
        Ok(())
    })();
    arch::vtimer_ctl(0);
    result
}

/// `device`: the console PL011's TX interrupt, a level line, routed to
/// this vCPU. Before each sample (untimed) the console has sent
/// everything, so the TX FIFO is empty and the line rises as soon as TXIM
/// is set. The sample: from just before the UARTIMSC write setting TXIM
/// until the flag is seen that the handler sets after acknowledging,
/// clearing TXIM (the line drops), quietening (rVIC: RESAMPLE) and
/// completing it.
fn device(chip: &impl IrqChip, samples: &mut [u64], uart: Uart) -> Result<(), &'static str> {
    let line = uart
        .line
        .ok_or("the device tree gives the console PL011 no level interrupt this backend routes")?;
    worker::pl011_txim(uart.base, false);
    DEVICE_UART.store(uart.base, Relaxed);
    DEVICE_INTID.store(chip.route_level(line)?, Release);
    for s in samples.iter_mut() {
        wait("the console did not drain", || {
            worker::pl011_drained(uart.base)
        })?;
        DEVICE_DONE.store(false, Release);
        *s = timed(|| {
            worker::pl011_txim(uart.base, true);
            wait("the PL011 TX interrupt was not handled", || {
                DEVICE_DONE.load(Acquire)
            })
        })?;
    }
    Ok(())
}
