// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Starting the other CPUs named in the device tree, each by its enable
//! method (PSCI CPU_ON or spin-table), one at a time.

use core::sync::atomic::{AtomicU64, Ordering::*};

use crate::arch::mmu::{MmuConfig, Stacks};
use crate::arch::timer::wait_until;
use crate::arch::{self, cache, secondary};
use crate::board::{self, EnableMethod};

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
