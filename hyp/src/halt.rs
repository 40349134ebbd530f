// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Stopping every CPU when there is no firmware to power the board off:
//! one CPU claims the halt, tells each online CPU that has not parked yet
//! (the hypervisor's halt SGI), and waits until each has reported itself
//! parked. The bookkeeping only; the SGI, the wait and the parking are the
//! binary's (`smp.rs`).

use core::sync::atomic::{AtomicU64, Ordering::*};

const NOBODY: u64 = u64::MAX;

/// Who halts, and which CPUs (bit i: logical CPU i) have parked.
#[derive(Debug)]
pub struct Halt {
    halter: AtomicU64,
    parked: AtomicU64,
}

impl Default for Halt {
    fn default() -> Self {
        Halt::new()
    }
}

impl Halt {
    pub const fn new() -> Halt {
        Halt {
            halter: AtomicU64::new(NOBODY),
            parked: AtomicU64::new(0),
        }
    }

    /// CPU `cpu` means to halt the system: whether it is the first (the
    /// one that stops the others). A later one only parks itself.
    pub fn claim(&self, cpu: usize) -> bool {
        self.halter
            .compare_exchange(NOBODY, cpu as u64, AcqRel, Acquire)
            .is_ok()
    }

    /// CPU `cpu` is about to park for good (interrupts masked).
    pub fn parked(&self, cpu: usize) {
        self.parked.fetch_or(1 << cpu, AcqRel);
    }

    /// The CPUs of `online` other than `me` that have not parked: those to
    /// tell, and, afterwards, those still running.
    pub fn running(&self, online: u64, me: usize) -> u64 {
        online & !(1 << me) & !self.parked.load(Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize};

    #[test]
    fn only_the_first_claim_halts() {
        let h = Halt::new();
        assert!(h.claim(2));
        assert!(!h.claim(2));
        assert!(!h.claim(0));
    }

    #[test]
    fn the_halter_and_parked_cpus_are_not_told() {
        let h = Halt::new();
        let online = 0b1011; // CPU 2 never came up
        assert_eq!(h.running(online, 0), 0b1010);
        h.parked(3);
        assert_eq!(h.running(online, 0), 0b0010);
        h.parked(1);
        assert_eq!(h.running(online, 0), 0);
        // A CPU that parked without being online (never counted).
        h.parked(5);
        assert_eq!(h.running(online, 0), 0);
    }

    /// Racing halters: one wins; the CPUs it tells each park, and it sees
    /// every one of them parked, never one still running.
    #[test]
    fn one_of_racing_halters_stops_all_the_others() {
        for round in 0..100 {
            let h = Halt::new();
            let told = [const { AtomicBool::new(false) }; 8];
            let winners = AtomicUsize::new(0);
            let online: u64 = 0xff;
            std::thread::scope(|s| {
                for cpu in 0..8usize {
                    let (h, told, winners) = (&h, &told, &winners);
                    s.spawn(move || {
                        // CPUs 0..3 ask for a halt; the others run.
                        if cpu < 4 && h.claim(cpu) {
                            winners.fetch_add(1, Relaxed);
                            let set = h.running(online, cpu);
                            for c in (0..8).filter(|c| set & (1 << c) != 0) {
                                told[c].store(true, Release);
                            }
                            while h.running(online, cpu) != 0 {
                                std::hint::spin_loop();
                            }
                            return;
                        }
                        // A loser parks itself, as does a CPU once told.
                        if cpu >= 4 {
                            while !told[cpu].load(Acquire) {
                                std::hint::spin_loop();
                            }
                        }
                        h.parked(cpu);
                    });
                }
            });
            assert_eq!(winners.load(Relaxed), 1, "round {round}");
            let halter = h.halter.load(Acquire) as usize;
            assert_eq!(h.running(online, halter), 0, "round {round}");
        }
    }
}
