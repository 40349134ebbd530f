// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The boot-time check that the physical GIC and timers work on this
//! board: an SGI round trip between every ordered pair of online CPUs, then
//! one EL2 timer interrupt on each CPU. Every CPU runs [`run`]; the boot CPU
//! reports with [`report`]. Its interrupts come through [`irq`] like any
//! other: [`register`] puts its handlers in the table.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::*};

use gic_backend::IntId;
use vocab::MAX_CPUS;

use crate::arch::timer::{self, wait_until};
use crate::board::{self, Completion};
use crate::{arch, irq, smp};

/// "Answer me".
pub const PING_SGI: IntId = 1;
/// The answer.
pub const PONG_SGI: IntId = 2;

/// The CPU currently sending its row of pings.
static TURN: AtomicUsize = AtomicUsize::new(0);
static PONGS: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];
static PAIRS_OK: AtomicU32 = AtomicU32::new(0);
static PAIRS_FAILED: AtomicU32 = AtomicU32::new(0);
static TIMER_FIRED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
static TIMERS_OK: AtomicU32 = AtomicU32::new(0);
static FINISHED: AtomicU32 = AtomicU32::new(0);

/// Put the check's handlers in the interrupt table (boot CPU, once).
pub fn register() {
    let b = board::get();
    let _ = irq::register(PING_SGI, on_ping, 0);
    let _ = irq::register(PONG_SGI, on_pong, 0);
    let _ = irq::register(b.hyp_timer, on_timer, 0);
}

fn on_ping(_: u32) -> Completion {
    let b = board::get();
    b.gic.send_sgi(PONG_SGI, b.cpu(TURN.load(Acquire)));
    Completion::Deactivate
}

fn on_pong(_: u32) -> Completion {
    PONGS[arch::cpu_index()].fetch_add(1, AcqRel);
    Completion::Deactivate
}

fn on_timer(_: u32) -> Completion {
    timer::stop();
    TIMER_FIRED[arch::cpu_index()].store(true, Release);
    Completion::Deactivate
}

/// Wait up to `ms` for `done`, taking this CPU's interrupts meanwhile.
fn wait(ms: u64, done: impl Fn() -> bool) -> bool {
    wait_until(ms, || {
        irq::poll();
        done()
    })
}

/// Run the check on this CPU.
pub fn run() {
    let me = arch::cpu_index();
    let online = smp::online_mask();
    wait(10_000, || TURN.load(Acquire) == me);
    for t in (0..MAX_CPUS).filter(|&t| t != me && online & (1 << t) != 0) {
        let want = PONGS[me].load(Acquire) + 1;
        board::get().gic.send_sgi(PING_SGI, board::get().cpu(t));
        if wait(1000, || PONGS[me].load(Acquire) >= want) {
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
    wait(10_000, || TURN.load(Acquire) == MAX_CPUS);

    let f = timer::frequency();
    let start = timer::now();
    timer::arm_in(f / 1000);
    if wait(1000, || TIMER_FIRED[me].load(Acquire)) {
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

/// On the boot CPU, after its own [`run`]: wait for every CPU and report.
/// Returns whether everything passed.
pub fn report(stacks: arch::mmu::Stacks) -> bool {
    let n = smp::online_mask().count_ones();
    wait(10_000, || FINISHED.load(Acquire) == n);
    let ok = PAIRS_OK.load(Acquire);
    let failed = PAIRS_FAILED.load(Acquire);
    let timers = TIMERS_OK.load(Acquire);
    log::info!(
        "SGI matrix: {ok}/{} round trips between {n} CPUs",
        n * (n - 1)
    );
    log::info!("EL2 timer: {timers}/{n} CPUs");
    let data = core::ptr::addr_of!(FINISHED) as u64;
    let wx = arch::mmu::check_wx(arch::image_parts(), stacks, data);
    match wx {
        Ok(()) => log::info!(
            "EL2 map: text read-only, read-only data read-only, data writable, WXN on, {} stack guard pages",
            stacks.count
        ),
        Err(e) => log::error!("EL2 map: {e}"),
    }
    let pass = failed == 0 && ok == n * (n - 1) && timers == n && wx.is_ok();
    log::info!("self-test {}", if pass { "PASSED" } else { "FAILED" });
    pass
}
