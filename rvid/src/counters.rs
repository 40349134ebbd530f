// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Per-vCPU event counters. Each event costs one relaxed atomic increment
//! outside any lock, so they stay on in production. The counters only a
//! vCPU's own calls change (its calls, its acknowledgements) are bumped by
//! a relaxed load and store ([`bump_own`]): a vCPU's hypercalls run on its
//! own CPU, one at a time, and on a CPU without LSE atomics a read-modify-
//! write is a load-exclusive/store-exclusive loop, an instruction more on
//! every call.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rvic::Call;

/// A snapshot of one vCPU's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Hypercalls this vCPU made, indexed by `Call as usize`.
    pub calls: [u64; Call::COUNT],
    /// Hypercalls this vCPU made with a function ID the VM's ABI version
    /// does not define.
    pub unsupported: u64,
    /// ACKNOWLEDGEs and ACKNOWLEDGE_UNMASKEDs by this vCPU that returned an
    /// INTID.
    pub acks: u64,
    /// Assertions on this vCPU's rVIC (SIGNAL, an edge input, a rising level
    /// line) that found the INTID already pending and merged with it.
    pub merged: u64,
    /// Assertions of unmapped rVID inputs, for the whole VM.
    pub dropped: u64,
}

/// The live counters of one vCPU.
#[derive(Default)]
pub(crate) struct Cells {
    calls: [AtomicU64; Call::COUNT],
    unsupported: AtomicU64,
    pub(crate) acks: AtomicU64,
    pub(crate) merged: AtomicU64,
}

impl Cells {
    /// Counts one hypercall of this vCPU; `None` for an undefined function
    /// ID.
    #[inline]
    pub(crate) fn call(&self, call: Option<Call>) {
        bump_own(call.map_or(&self.unsupported, |call| &self.calls[call as usize]));
    }

    pub(crate) fn snapshot(&self, dropped: u64) -> Counters {
        Counters {
            calls: self.calls.each_ref().map(|c| c.load(Relaxed)),
            unsupported: self.unsupported.load(Relaxed),
            acks: self.acks.load(Relaxed),
            merged: self.merged.load(Relaxed),
            dropped,
        }
    }
}

#[inline]
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Relaxed);
}

/// [`bump`] for a counter only one CPU at a time changes: the calling
/// vCPU's own (its calls are handled on its CPU, one after another).
#[inline]
pub(crate) fn bump_own(counter: &AtomicU64) {
    counter.store(counter.load(Relaxed) + 1, Relaxed);
}
