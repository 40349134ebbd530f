// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Interrupt bookkeeping. [`Tally`] is what really happened: the IRQ handler
//! of each vCPU counts its exception entries and every INTID its
//! ACKNOWLEDGEs returned. [`Expect`] is the reference: what the checks caused
//! (one per SIGNAL, one per level assertion). Comparing the two tells lost
//! and duplicated interrupts apart, per vCPU and INTID.

use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use crate::msg;
use crate::report::Outcome;
use crate::{MAX_CPUS, MAX_INTIDS};

/// Counts kept by the IRQ handlers, readable from any vCPU.
pub struct Tally {
    acks: [[AtomicU32; MAX_INTIDS]; MAX_CPUS],
    entries: [AtomicU32; MAX_CPUS],
    spurious: [AtomicU32; MAX_CPUS],
    bad: AtomicU32,
}

impl Tally {
    pub const fn new() -> Tally {
        Tally {
            acks: [const { [const { AtomicU32::new(0) }; MAX_INTIDS] }; MAX_CPUS],
            entries: [const { AtomicU32::new(0) }; MAX_CPUS],
            spurious: [const { AtomicU32::new(0) }; MAX_CPUS],
            bad: AtomicU32::new(0),
        }
    }

    /// vCPU `cpu` took the IRQ exception.
    pub fn entry(&self, cpu: usize) {
        self.entries[cpu].fetch_add(1, Relaxed);
    }

    /// The first ACKNOWLEDGE of an IRQ entry found nothing.
    pub fn spurious(&self, cpu: usize) {
        self.spurious[cpu].fetch_add(1, Relaxed);
    }

    /// ACKNOWLEDGE on `cpu` returned `intid`.
    pub fn ack(&self, cpu: usize, intid: u64) {
        match self.acks[cpu].get(intid as usize) {
            Some(n) => n.fetch_add(1, Relaxed),
            None => self.bad.fetch_add(1, Relaxed),
        };
    }

    /// An ACKNOWLEDGE answer the ABI does not allow (counted, not kept).
    pub fn bad(&self) {
        self.bad.fetch_add(1, Relaxed);
    }

    pub fn acks(&self, cpu: usize, intid: u64) -> u32 {
        self.acks[cpu]
            .get(intid as usize)
            .map_or(0, |n| n.load(Relaxed))
    }

    pub fn entries(&self, cpu: usize) -> u32 {
        self.entries[cpu].load(Relaxed)
    }

    pub fn spurious_count(&self, cpu: usize) -> u32 {
        self.spurious[cpu].load(Relaxed)
    }

    pub fn bad_count(&self) -> u32 {
        self.bad.load(Relaxed)
    }

    /// Forget every acknowledgement (entry counts are kept).
    pub fn clear_acks(&self) {
        self.acks.iter().flatten().for_each(|n| n.store(0, Relaxed));
    }

    /// Compare the acknowledgements of vCPUs `0..cpus`, INTIDs `0..intids`
    /// with `expect`: the first difference and how many there are.
    pub fn compare(&self, expect: &Expect, cpus: usize, intids: usize) -> Outcome {
        let mut first = None;
        let mut diffs = 0;
        for cpu in 0..cpus.min(MAX_CPUS) {
            for intid in 0..intids.min(MAX_INTIDS) {
                let (want, got) = (expect.counts[cpu][intid], self.acks(cpu, intid as u64));
                if want != got {
                    diffs += 1;
                    first.get_or_insert((cpu, intid, want, got));
                }
            }
        }
        match first {
            None => Ok(()),
            Some((cpu, intid, want, got)) => Err(msg!(
                "vCPU {cpu} INTID {intid}: expected {want} acknowledgement(s), got {got} \
                 ({diffs} INTID(s) differ)"
            )),
        }
    }
}

impl Default for Tally {
    fn default() -> Tally {
        Tally::new()
    }
}

/// The reference count of deliveries the checks caused.
pub struct Expect {
    counts: [[u32; MAX_INTIDS]; MAX_CPUS],
}

impl Expect {
    pub const fn new() -> Expect {
        Expect {
            counts: [[0; MAX_INTIDS]; MAX_CPUS],
        }
    }

    /// One more delivery of `intid` to vCPU `cpu` is owed.
    pub fn add(&mut self, cpu: usize, intid: u64) {
        self.counts[cpu][intid as usize] += 1;
    }
}

impl Default for Expect {
    fn default() -> Expect {
        Expect::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_counts_pass() {
        let (t, mut e) = (Tally::new(), Expect::new());
        for cpu in 0..4 {
            for from in 0..4 {
                e.add(cpu, from);
                t.ack(cpu, from);
            }
        }
        assert!(t.compare(&e, 4, 96).is_ok());
    }

    #[test]
    fn a_lost_and_a_duplicated_interrupt_are_told_apart() {
        let (t, mut e) = (Tally::new(), Expect::new());
        e.add(1, 3);
        e.add(2, 5);
        t.ack(2, 5);
        t.ack(2, 5);
        let m = t.compare(&e, 4, 96).unwrap_err();
        assert_eq!(
            m.as_str(),
            "vCPU 1 INTID 3: expected 1 acknowledgement(s), got 0 (2 INTID(s) differ)"
        );
        // Outside the compared range nothing counts.
        assert!(t.compare(&e, 1, 96).is_ok());
    }

    #[test]
    fn out_of_range_intids_are_counted_as_bad() {
        let t = Tally::new();
        t.ack(0, MAX_INTIDS as u64);
        t.bad();
        assert_eq!(t.bad_count(), 2);
        assert_eq!(t.acks(0, MAX_INTIDS as u64), 0);
    }

    #[test]
    fn clearing_forgets_acks_but_not_entries() {
        let t = Tally::new();
        t.entry(3);
        t.spurious(3);
        t.ack(3, 27);
        t.clear_acks();
        assert_eq!(t.acks(3, 27), 0);
        assert_eq!((t.entries(3), t.spurious_count(3)), (1, 1));
    }
}
