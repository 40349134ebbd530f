// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Starting the other CPUs named in the device tree, each by its enable
//! method (PSCI CPU_ON or spin-table), one at a time; and stopping them
//! all when there is no firmware to power the board off ([`halt_others`]).

use core::sync::atomic::{AtomicU64, Ordering::*};

use gic_backend::IntId;
use hyp::halt::Halt;

use crate::arch::mmu::{MmuConfig, Stacks};
use crate::arch::timer::wait_until;
use crate::arch::{self, cache, secondary};
use crate::board::{self, Completion, EnableMethod, Stop};

/// The SGI that makes a CPU park for good (the hypervisor's own: SGI 0
/// kicks a vCPU's CPU, 1 and 2 are the boot check's).
pub const HALT_SGI: IntId = 3;

static HALT: Halt = Halt::new();

/// Bit i set: logical CPU i has come up.
static ONLINE: AtomicU64 = AtomicU64::new(0);

pub fn online_mask() -> u64 {
    ONLINE.load(Acquire)
}

/// Called by each CPU once its EL2 state and GIC interface are ready.
pub fn mark_online(cpu: usize) {
    ONLINE.fetch_or(1 << cpu, AcqRel);
    arch::sev();
}

/// Start every secondary CPU and wait for each to report in. A CPU that does
/// not come up within a second is reported and left out.
pub fn start_secondaries(mmu: &MmuConfig, stacks: &Stacks) {
    let b = board::get();
    let entry = arch::secondary_entry_addr();
    for i in 1..b.ncpus {
        let cpu = b.cpu(i);
        secondary::publish(mmu, i, cpu.mpidr, stacks.top(i as u64));
        match b.enable_method(i) {
            None => {
                log::error!(
                    "cpu{i} (MPIDR {:#x}) has no usable enable-method",
                    cpu.mpidr
                );
                continue;
            }
            Some(EnableMethod::Psci { conduit, cpu_on }) => {
                if let Err(e) = board::firmware_cpu_on(conduit, cpu_on, cpu.mpidr, entry, i as u64)
                {
                    log::error!("PSCI CPU_ON for MPIDR {:#x} failed: {e}", cpu.mpidr);
                    continue;
                }
            }
            Some(EnableMethod::SpinTable { release_addr }) => {
                let slot = release_addr as *mut u64;
                // SAFETY: the device tree names this word as the CPU's
                // spin-table release address; the CPU spins on it with its
                // caches off, hence the clean to the point of coherency.
                unsafe { core::ptr::write_volatile(slot, entry) };
                cache::clean_inval(release_addr as usize, 8);
                arch::sev();
            }
        }
        if !wait_until(1000, || online_mask() & (1 << i) != 0) {
            log::error!("cpu{i} (MPIDR {:#x}) did not come up", cpu.mpidr);
        }
    }
}

/// Park this CPU for good, interrupts masked, and say so to a CPU halting
/// the system.
pub fn park() -> ! {
    HALT.parked(arch::cpu_index());
    arch::sev();
    arch::park()
}

/// The halt SGI's handler: this CPU parks (and never returns).
pub fn on_halt(_: u32) -> Completion {
    park()
}

/// Stop every other online CPU: each that has not parked gets the halt
/// SGI, which reaches it whatever it does (a guest running on it exits
/// for it, a CPU waiting in the hypervisor wakes for it), and parks with
/// interrupts masked. Waits up to a second for each to say it parked and
/// logs how many did. Only the first CPU to ask halts the others; a later
/// one parks at once.
pub fn halt_others() {
    let me = arch::cpu_index();
    if !HALT.claim(me) {
        park();
    }
    let b = board::get();
    let online = online_mask();
    let others = (online & !(1 << me)).count_ones();
    let told = HALT.running(online, me);
    for c in (0..b.ncpus).filter(|&c| told & (1 << c) != 0) {
        b.gic.send_sgi(HALT_SGI, b.cpu(c));
    }
    wait_until(1000, || HALT.running(online, me) == 0);
    let left = HALT.running(online, me);
    if left == 0 {
        log::info!("all CPUs halted: {others}/{others} others parked");
    } else {
        log::error!(
            "halting: {}/{others} other CPUs parked, still running: mask {left:#x}",
            others - left.count_ones()
        );
    }
}

/// PSCI SYSTEM_OFF (or SYSTEM_RESET for [`Stop::GuestReset`]) through the
/// firmware if there is one and `firmware` allows it. Without it, or if the
/// call returns, every CPU is stopped: the others are halted
/// ([`halt_others`]); then, on a board without PSCI whose power-management
/// watchdog discovery found (and if `firmware` allows it), the watchdog
/// halts or resets the board; and this CPU parks.
pub fn power_off(stop: Stop, firmware: bool) -> ! {
    let board = board::get_opt();
    let psci = board.and_then(board::Board::psci).filter(|_| firmware);
    let watchdog = board
        .and_then(|b| b.platform.pm_watchdog)
        .filter(|_| firmware && psci.is_none());
    let reset = stop == Stop::GuestReset;
    match (psci.is_some() || watchdog.is_some(), stop) {
        (true, Stop::Done) => log::info!("powering off (all checks passed)"),
        (true, Stop::Failed) => log::info!("powering off (checks FAILED)"),
        (true, _) => {}
        (false, _) if !firmware => log::info!("rvhyp.power_off=park: halting all CPUs here"),
        (false, _) => log::info!("no PSCI firmware: halting all CPUs here"),
    }
    if let Some(p) = psci {
        board::firmware_off(p.conduit, reset);
        log::error!(
            "PSCI SYSTEM_{} returned",
            if reset { "RESET" } else { "OFF" }
        );
    }
    if board.is_some() {
        halt_others();
    }
    if let Some(w) = watchdog {
        let (what, how) = match reset {
            false => ("halting", "partition 63: the boot firmware halts"),
            true => ("resetting", "partition 0: the board boots again"),
        };
        log::info!(
            "{what} the board by its PM watchdog {} at {:#x} ({how})",
            w.node,
            w.regs.base
        );
        // Let the console's FIFO drain: the reset would cut the line.
        wait_until(10, || false);
        board::watchdog_off(w, reset);
        wait_until(1000, || false);
        log::error!("the PM watchdog did not reset the board within a second");
    }
    park()
}
