// SPDX-License-Identifier: Apache-2.0 OR MIT
//! A vCPU's PSCI power state: off, on, or between (a CPU_ON has claimed it
//! and is publishing its entry point; the entry point is published and the
//! vCPU's CPU has not yet taken it). Lock-free: any vCPU may CPU_ON or ask
//! AFFINITY_INFO of any other at any time; only the vCPU itself powers on
//! (takes the entry point) or off.

use core::sync::atomic::{AtomicU64, AtomicU8, Ordering::*};

const OFF: u8 = 0;
/// A CPU_ON has claimed the vCPU and is writing its entry point.
const BOOKING: u8 = 1;
const ON_PENDING: u8 = 2;
const ON: u8 = 3;

/// Why a CPU_ON was refused (the PSCI status to return).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    AlreadyOn,
    OnPending,
}

/// AFFINITY_INFO's answer for one vCPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Affinity {
    On = 0,
    Off = 1,
    OnPending = 2,
}

/// Where a vCPU starts: entry point and the `x0` it gets (PSCI's context).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
    pub entry: u64,
    pub context: u64,
}

/// One vCPU's power state.
#[derive(Debug, Default)]
pub struct Power {
    state: AtomicU8,
    entry: AtomicU64,
    context: AtomicU64,
}

impl Power {
    /// A vCPU that is off.
    pub const fn off() -> Power {
        Power {
            state: AtomicU8::new(OFF),
            entry: AtomicU64::new(0),
            context: AtomicU64::new(0),
        }
    }

    /// CPU_ON (or the boot of vCPU 0): claim the vCPU first (off ->
    /// booking), then publish where it starts, so a concurrent CPU_ON that
    /// loses the claim can never change the entry point.
    pub fn request_on(&self, start: Start) -> Result<(), OnError> {
        match self.state.compare_exchange(OFF, BOOKING, AcqRel, Acquire) {
            Ok(_) => {
                self.entry.store(start.entry, Relaxed);
                self.context.store(start.context, Relaxed);
                self.state.store(ON_PENDING, Release);
                Ok(())
            }
            Err(ON) => Err(OnError::AlreadyOn),
            Err(_) => Err(OnError::OnPending),
        }
    }

    /// On the vCPU's own CPU: if a CPU_ON is pending, the vCPU is now on
    /// and starts where it says.
    pub fn take_start(&self) -> Option<Start> {
        self.state
            .compare_exchange(ON_PENDING, ON, AcqRel, Acquire)
            .ok()?;
        Some(Start {
            entry: self.entry.load(Relaxed),
            context: self.context.load(Relaxed),
        })
    }

    /// On the vCPU's own CPU: CPU_OFF.
    pub fn set_off(&self) {
        self.state.store(OFF, Release);
    }

    pub fn affinity(&self) -> Affinity {
        match self.state.load(Acquire) {
            ON => Affinity::On,
            OFF => Affinity::Off,
            _ => Affinity::OnPending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    const A: Start = Start {
        entry: 0x1000,
        context: 7,
    };

    #[test]
    fn off_pending_on_off() {
        let p = Power::off();
        assert_eq!(p.affinity(), Affinity::Off);
        assert_eq!(p.take_start(), None);
        assert_eq!(p.request_on(A), Ok(()));
        assert_eq!(p.affinity(), Affinity::OnPending);
        assert_eq!(p.request_on(A), Err(OnError::OnPending));
        assert_eq!(p.take_start(), Some(A));
        assert_eq!(p.affinity(), Affinity::On);
        assert_eq!(p.take_start(), None);
        assert_eq!(p.request_on(A), Err(OnError::AlreadyOn));
        p.set_off();
        assert_eq!(p.affinity(), Affinity::Off);
        assert_eq!(
            p.request_on(Start {
                entry: 2,
                context: 3
            }),
            Ok(())
        );
        assert_eq!(
            p.take_start(),
            Some(Start {
                entry: 2,
                context: 3
            })
        );
    }

    /// Racing CPU_ONs: exactly one wins, and the vCPU starts where the
    /// winner said, never at a loser's entry point.
    #[test]
    fn one_of_many_concurrent_cpu_ons_wins_whole() {
        for round in 0..200 {
            let p = Power::off();
            let wins = AtomicUsize::new(0);
            let winner = AtomicU64::new(u64::MAX);
            std::thread::scope(|s| {
                for t in 0..4u64 {
                    let (p, wins, winner) = (&p, &wins, &winner);
                    s.spawn(move || {
                        let start = Start {
                            entry: 0x1000 * (t + 1),
                            context: t,
                        };
                        if p.request_on(start).is_ok() {
                            wins.fetch_add(1, Relaxed);
                            winner.store(t, Relaxed);
                        }
                    });
                }
            });
            assert_eq!(wins.load(Relaxed), 1, "round {round}");
            let t = winner.load(Relaxed);
            let want = Start {
                entry: 0x1000 * (t + 1),
                context: t,
            };
            assert_eq!(p.take_start(), Some(want), "round {round}");
        }
    }
}
