// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The measurements, on vCPU 0, written against [`IrqChip`] only. Each
//! figure sets itself up (untimed), then times `iters` iterations, one
//! sample each: the counter (ISB, CNTVCT_EL0) just before and just after
//! the operation, as kvm-unit-tests' arm/micro-bench.c did per iteration.
//! Between iterations it waits, untimed, until every vCPU involved is back
//! where it waits. docs/performance.md defines each figure and says where
//! it differs from micro-bench.

use core::sync::atomic::{AtomicI64, Ordering::*};

use bench::irqchip::IrqChip;
use bench::stats::{summarise, ticks_to_ns, Summary};
use bench::{Figure, MAX_ITERS};
use selftest::abi::SMCCC_VERSION;

use crate::arch;
use crate::cpu::{count_insns, insns_now, now, now_insns, relax};
use crate::worker::{
    self, wait, Mode, DEVICE_DONE, DEVICE_INTID, DEVICE_UART, ENTRY_INSNS, FLAG, HANDLED, IDLES,
    IPI, SELF_IPI, TIMER_ENTRY, TIMER_INSNS,
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

/// What the figures compiled with `COUNT` ([`guest_insns`]) counted: this
/// vCPU's EL1 instructions around each sample, summed.
static INSN_SUM: AtomicI64 = AtomicI64::new(0);

/// Time `f` once: counter ticks from just before to just after. With
/// `COUNT`, the PMU's instruction count is also read just outside those
/// two counter reads, and the difference added to [`INSN_SUM`] (without
/// it, none of that code is there).
#[inline(always)]
fn timed<const COUNT: bool>(
    f: impl FnOnce() -> Result<(), &'static str>,
) -> Result<u64, &'static str> {
    let (i0, t0) = if COUNT { insns_now() } else { (0, now()) };
    f()?;
    let (t1, i1) = if COUNT { now_insns() } else { (now(), 0) };
    if COUNT {
        INSN_SUM.fetch_add(i1.wrapping_sub(i0).into(), Relaxed);
    }
    Ok(t1 - t0)
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
    measure::<false>(chip, fig, samples, uart)?;
    Ok(summarise(samples, arch::counter_freq()))
}

/// Fill `samples` with figure `fig`'s (`COUNT`: see [`timed`]; the IPI
/// figures never count).
fn measure<const COUNT: bool>(
    chip: &impl IrqChip,
    fig: Figure,
    samples: &mut [u64],
    uart: Uart,
) -> Result<(), &'static str> {
    match fig {
        Figure::Hvc => hvc::<COUNT>(samples),
        Figure::IpiWfi => ipi(chip, samples, &[1], Mode::Wfi),
        Figure::IpiPoll => ipi(chip, samples, &[1], Mode::Poll),
        Figure::IpiBcast => ipi(chip, samples, &[1, 2, 3], Mode::Wfi),
        Figure::Eoi => eoi::<COUNT>(chip, samples),
        Figure::SelfIpi => self_ipi::<COUNT>(chip, samples),
        Figure::Timer => timer::<COUNT>(chip, samples),
        Figure::Device => device::<COUNT>(chip, samples, uart),
    }
}

/// A figure measured again with the PMU counting, per operation, in
/// tenths: its time (ns) and the guest's own EL1 instructions in it.
pub struct Insns {
    pub time: u64,
    pub guest: i64,
}

/// Figure `fig` over `iters` more iterations, its counting build
/// (`COUNT`, [`timed`]): its time and the guest's own EL1 instructions
/// per operation (`None`: no PMU, or no iterations). Exact only for a
/// [`Figure::single`] figure. Each sample's count runs from just before
/// its first counter read to just after its last, so an empty sample
/// (`timed` of nothing, as many times first) gives what the count adds
/// to the time: the figure is its count less the empty one's, plus the
/// empty sample's time. `timer` counts from before it reads the counter
/// for its deadline to the handler's entry, less the deadline's distance
/// (all of it EL1 instructions spinning).
pub fn guest_insns(
    chip: &impl IrqChip,
    fig: Figure,
    iters: usize,
    uart: Uart,
) -> Result<Option<Insns>, &'static str> {
    if iters == 0 || !count_insns() {
        return Ok(None);
    }
    let mut samples = SAMPLES.lock();
    let samples = &mut samples[..iters.min(MAX_ITERS)];
    let n = samples.len() as i64;
    INSN_SUM.store(0, Relaxed);
    for s in samples.iter_mut() {
        *s = timed::<true>(|| Ok(()))?;
    }
    let empty = INSN_SUM.swap(0, Relaxed);
    let empty_tenths = summarise(samples, arch::counter_freq()).map_or(0, |s| s.mean_tenths);
    measure::<true>(chip, fig, samples, uart)?;
    let count = INSN_SUM.load(Relaxed);
    let time = summarise(samples, arch::counter_freq()).map_or(0, |s| s.mean_tenths);
    let guest = (count - empty) * 10 / n + empty_tenths as i64;
    Ok(Some(Insns { time, guest }))
}

/// `hvc`: SMCCC_VERSION, the null hypercall.
fn hvc<const COUNT: bool>(samples: &mut [u64]) -> Result<(), &'static str> {
    for s in samples.iter_mut() {
        *s = timed::<COUNT>(|| {
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
            *s = timed::<false>(|| {
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
fn eoi<const COUNT: bool>(chip: &impl IrqChip, samples: &mut [u64]) -> Result<(), &'static str> {
    let idle = chip.idle_irq();
    for s in samples.iter_mut() {
        *s = timed::<COUNT>(|| {
            chip.complete(idle);
            Ok(())
        })?;
    }
    Ok(())
}

/// `self-ipi`: signal this vCPU; the interrupt is taken, acknowledged and
/// completed; until the flag its handler set is seen.
fn self_ipi<const COUNT: bool>(
    chip: &impl IrqChip,
    samples: &mut [u64],
) -> Result<(), &'static str> {
    for s in samples.iter_mut() {
        FLAG[0].store(false, Release);
        *s = timed::<COUNT>(|| {
            chip.send_ipi(0, SELF_IPI);
            wait("the self IPI did not arrive", || FLAG[0].load(Acquire))
        })?;
    }
    Ok(())
}

/// `timer`: program the virtual timer [`TIMER_DELAY_US`] ahead, busy-wait;
/// the sample is the counter at the handler's entry minus the deadline.
fn timer<const COUNT: bool>(chip: &impl IrqChip, samples: &mut [u64]) -> Result<(), &'static str> {
    if chip.vtimer() == u32::MAX {
        return Err("the device tree gives no virtual timer INTID");
    }
    let delay = arch::counter_freq() * TIMER_DELAY_US / 1_000_000;
    let delay_ns = ticks_to_ns(delay, arch::counter_freq()) as i64;
    ENTRY_INSNS.store(COUNT, Relaxed);
    arch::vtimer_cval(u64::MAX);
    arch::vtimer_ctl(1);
    let result = (|| {
        for s in samples.iter_mut() {
            TIMER_ENTRY.store(0, Release);
            let (i0, t) = if COUNT { insns_now() } else { (0, now()) };
            let deadline = t + delay;
            arch::vtimer_cval(deadline);
            wait("the virtual timer did not fire", || {
                TIMER_ENTRY.load(Acquire) != 0
            })?;
            *s = TIMER_ENTRY.load(Acquire).saturating_sub(deadline);
            if COUNT {
                let n = TIMER_INSNS.load(Relaxed).wrapping_sub(i0);
                INSN_SUM.fetch_add(i64::from(n) - delay_ns, Relaxed);
            }
        }
        Ok(())
    })();
    arch::vtimer_ctl(0);
    ENTRY_INSNS.store(false, Relaxed);
    result
}

/// `device`: the console PL011's TX interrupt, a level line, routed to
/// this vCPU. Before each sample (untimed) the console has sent
/// everything, so the TX FIFO is empty and the line rises as soon as TXIM
/// is set. The sample: from just before the UARTIMSC write setting TXIM
/// until the flag is seen that the handler sets after acknowledging,
/// clearing TXIM (the line drops), quietening (rVIC: RESAMPLE) and
/// completing it.
fn device<const COUNT: bool>(
    chip: &impl IrqChip,
    samples: &mut [u64],
    uart: Uart,
) -> Result<(), &'static str> {
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
        *s = timed::<COUNT>(|| {
            worker::pl011_txim(uart.base, true);
            wait("the PL011 TX interrupt was not handled", || {
                DEVICE_DONE.load(Acquire)
            })
        })?;
    }
    Ok(())
}
