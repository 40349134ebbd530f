// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Boot-time proof that the physical GIC and timers work on this board: an
//! SGI round trip between every ordered pair of online CPUs, then one EL2
//! timer interrupt on each CPU. Every CPU runs `run`; the results are
//! reported by the boot CPU.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::*};

use crate::arch::timer::{self, wait_until};
use crate::arch::{self, secondary::MAX_CPUS};
use crate::irq::sgi;
use crate::{board, smp};

/// The CPU currently sending its row of pings.
static TURN: AtomicUsize = AtomicUsize::new(0);
static PONGS: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];
static PAIRS_OK: AtomicU32 = AtomicU32::new(0);
static PAIRS_FAILED: AtomicU32 = AtomicU32::new(0);
static TIMER_FIRED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
static TIMERS_OK: AtomicU32 = AtomicU32::new(0);
static FINISHED: AtomicU32 = AtomicU32::new(0);

/// An SGI for the self-test arrived on this CPU.
pub fn on_sgi(id: gic_backend::IntId) {
    let b = board::get();
    match id {
        sgi::PING => b.gic.send_sgi(sgi::PONG, b.cpu(TURN.load(Acquire))),
        _ => {
            PONGS[arch::cpu_index()].fetch_add(1, AcqRel);
        }
    }
}

/// The EL2 timer fired on this CPU.
pub fn on_timer() {
    timer::stop();
    TIMER_FIRED[arch::cpu_index()].store(true, Release);
}

/// Run the self-test on this CPU. IRQs must be unmasked.
pub fn run() {
    let me = arch::cpu_index();
    let online = smp::online_mask();
    wait_until(10_000, || TURN.load(Acquire) == me);
    for t in (0..MAX_CPUS).filter(|&t| t != me && online & (1 << t) != 0) {
        let want = PONGS[me].load(Acquire) + 1;
        board::get().gic.send_sgi(sgi::PING, board::get().cpu(t));
        if wait_until(1000, || PONGS[me].load(Acquire) >= want) {
            PAIRS_OK.fetch_add(1, AcqRel);
        } else {
            PAIRS_FAILED.fetch_add(1, AcqRel);
            log::error!("SGI round trip cpu{me} -> cpu{t} -> cpu{me} timed out");
        }
    }
    let next = (me + 1..MAX_CPUS)
        .find(|&c| online & (1 << c) != 0)
        .unwrap_or(MAX_CPUS);
    TURN.store(next, Release);
    arch::sev();
    wait_until(10_000, || TURN.load(Acquire) == MAX_CPUS);

    let f = timer::frequency();
    let start = timer::now();
    timer::arm_in(f / 1000);
    if wait_until(1000, || TIMER_FIRED[me].load(Acquire)) {
        let us = (timer::now() - start) * 1_000_000 / f;
        log::info!("EL2 timer interrupt after {us} us (asked for 1000)");
        if us >= 1000 {
            TIMERS_OK.fetch_add(1, AcqRel);
        }
    } else {
        timer::stop();
        log::error!("EL2 timer interrupt did not arrive");
    }
    FINISHED.fetch_add(1, AcqRel);
    arch::sev();
}

/// On the boot CPU, after its own `run`: wait for every CPU and report.
/// Returns whether everything passed.
pub fn report() -> bool {
    let n = smp::online_mask().count_ones();
    wait_until(10_000, || FINISHED.load(Acquire) == n);
    let ok = PAIRS_OK.load(Acquire);
    let failed = PAIRS_FAILED.load(Acquire);
    let timers = TIMERS_OK.load(Acquire);
    log::info!(
        "SGI matrix: {ok}/{} round trips between {n} CPUs",
        n * (n - 1)
    );
    log::info!("EL2 timer: {timers}/{n} CPUs");
    let pass = failed == 0 && ok == n * (n - 1) && timers == n;
    log::info!("self-test {}", if pass { "PASSED" } else { "FAILED" });
    pass
}
