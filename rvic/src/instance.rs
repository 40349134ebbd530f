// SPDX-License-Identifier: Apache-2.0 OR MIT
//! One rVIC instance: everything the ABI keeps per vCPU.
//!
//! It owns the enabled flag, a pending and a masked bit per INTID, and for
//! trusted INTIDs whether a level source (such as the virtual timer) drives
//! them and that source's line. Untrusted INTIDs have no source of their own:
//! an rVID input's trigger and line live in the rVID, which calls
//! [`Rvic::set_pending`]. Every operation is O(1): bits are kept in words of
//! 64 and `ready` has one bit per word that holds a deliverable INTID.
//!
//! Fairness: ACKNOWLEDGE (and ACKNOWLEDGE_UNMASKED alike) returns the first deliverable INTID at or after
//! `next` (cyclically) and moves `next` just past it. While an INTID `j`
//! stays deliverable, each acknowledgement that returns some `k != j` returns
//! one strictly between `next` and `j`, so `next` gets closer to `j`: `j` is
//! returned within `T + U` acknowledgements.

use crate::{Error, IntidSpace};
use alloc::{boxed::Box, vec};

/// The rVIC state of one vCPU. Every instance starts disabled, with every
/// INTID masked and not pending.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rvic {
    space: IntidSpace,
    enabled: bool,
    /// Pending and masked bits, INTID `i` at bit `i % 64` of word `i / 64`.
    words: Box<[Word]>,
    /// Bit `w` is set exactly when `words[w]` has a pending, unmasked INTID.
    ready: u64,
    /// Trusted INTIDs driven by a level source, and that source's line.
    level: Box<[u64]>,
    line: Box<[u64]>,
    /// Where the next ACKNOWLEDGE starts looking: one past the last INTID
    /// it returned.
    next: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Word {
    pending: u64,
    masked: u64,
}

impl Word {
    fn ready(self) -> u64 {
        self.pending & !self.masked
    }
}

/// The INTID is not a trusted INTID declared level with [`Rvic::declare_level`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotLevel;

impl Rvic {
    /// A disabled instance for `space`. The only allocation this type makes.
    pub fn new(space: IntidSpace) -> Self {
        let words = space.total().div_ceil(64) as usize;
        let trusted = space.trusted().div_ceil(64) as usize;
        let word = Word {
            pending: 0,
            masked: !0,
        };
        Rvic {
            space,
            enabled: false,
            words: vec![word; words].into(),
            ready: 0,
            level: vec![0; trusted].into(),
            line: vec![0; trusted].into(),
            next: 0,
        }
    }

    /// The INTID space this instance was built for.
    pub fn space(&self) -> IntidSpace {
        self.space
    }

    /// Whether the instance is enabled.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// ENABLE (`true`) or DISABLE (`false`); pending and masked bits are kept.
    #[inline]
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    /// The notification predicate: enabled, and some INTID pending and unmasked.
    #[inline]
    pub fn notification(&self) -> bool {
        self.enabled && self.ready != 0
    }

    /// Whether `intid` is pending. Panics if `intid >= T + U`, as do all
    /// methods taking an INTID: the caller validates guest values first.
    #[inline]
    pub fn is_pending(&self, intid: u32) -> bool {
        let (word, bit) = self.locate(intid);
        self.words[word].pending & bit != 0
    }

    /// Whether `intid` is masked.
    #[inline]
    pub fn is_masked(&self, intid: u32) -> bool {
        let (word, bit) = self.locate(intid);
        self.words[word].masked & bit != 0
    }

    /// SET_MASKED (`true`) or CLEAR_MASKED (`false`).
    #[inline]
    pub fn set_masked(&mut self, intid: u32, masked: bool) {
        self.update(intid, |word, bit| set(&mut word.masked, bit, masked));
    }

    /// Sets or clears pending; returns whether `intid` was pending before.
    /// Sources (rVID inputs, trusted lines) use this whether or not the
    /// instance is enabled: their interrupts wait until the guest enables it.
    #[inline]
    pub fn set_pending(&mut self, intid: u32, pending: bool) -> bool {
        let was = self.is_pending(intid);
        self.update(intid, |word, bit| set(&mut word.pending, bit, pending));
        was
    }

    /// SIGNAL: pending := 1, or `Err(Disabled)` and nothing recorded.
    /// `Ok(true)` when the signal merged with one already pending.
    #[inline]
    pub fn signal(&mut self, intid: u32) -> Result<bool, Error> {
        if !self.enabled {
            return Err(Error::Disabled);
        }
        Ok(self.set_pending(intid, true))
    }

    /// ACKNOWLEDGE: the next deliverable INTID after the last one returned,
    /// made masked and not pending in one step.
    #[inline]
    pub fn acknowledge(&mut self) -> Result<u32, Error> {
        self.take(true)
    }

    /// ACKNOWLEDGE_UNMASKED (0.4): as [`Rvic::acknowledge`], but the INTID
    /// is only made not pending; its masked bit stays clear, so a new
    /// assertion makes it deliverable again with no CLEAR_MASKED.
    #[inline]
    pub fn acknowledge_unmasked(&mut self) -> Result<u32, Error> {
        self.take(false)
    }

    /// Both acknowledgements: the pick, pending := 0, masked := `mask`.
    #[inline]
    fn take(&mut self, mask: bool) -> Result<u32, Error> {
        if !self.enabled {
            return Err(Error::Disabled);
        }
        let intid = self.next_ready().ok_or(Error::NoInterrupts)?;
        self.update(intid, |word, bit| {
            set(&mut word.masked, bit, mask);
            word.pending &= !bit;
        });
        self.next = (intid + 1) % self.space.total();
        Ok(intid)
    }

    /// Declares that a level source drives trusted INTID `intid`.
    pub fn declare_level(&mut self, intid: u32) -> Result<(), NotLevel> {
        let (word, bit) = self.trusted(intid).ok_or(NotLevel)?;
        self.level[word] |= bit;
        Ok(())
    }

    /// Whether a level source drives `intid`.
    #[inline]
    pub fn is_level(&self, intid: u32) -> bool {
        self.trusted(intid)
            .is_some_and(|(word, bit)| self.level[word] & bit != 0)
    }

    /// The line of `intid`'s level source (false if it has none).
    #[inline]
    pub fn line(&self, intid: u32) -> bool {
        self.trusted(intid)
            .is_some_and(|(word, bit)| self.line[word] & bit != 0)
    }

    /// A trusted level source's line changes. A rising line sets pending, a
    /// falling one clears it; an unchanged line does nothing. Returns
    /// whether a rising line found `intid` already pending.
    pub fn set_line(&mut self, intid: u32, asserted: bool) -> Result<bool, NotLevel> {
        if !self.is_level(intid) {
            return Err(NotLevel);
        }
        if self.line(intid) == asserted {
            return Ok(false);
        }
        let (word, bit) = self.locate(intid);
        set(&mut self.line[word], bit, asserted);
        Ok(self.set_pending(intid, asserted) && asserted)
    }

    /// RESAMPLE of a trusted INTID: `None` if no level source drives it (the
    /// call does nothing), otherwise its line, and pending := 1 if asserted.
    pub fn resample(&mut self, intid: u32) -> Option<bool> {
        if !self.is_level(intid) {
            return None;
        }
        let asserted = self.line(intid);
        if asserted {
            self.set_pending(intid, true);
        }
        Some(asserted)
    }

    #[inline]
    fn locate(&self, intid: u32) -> (usize, u64) {
        assert!(intid < self.space.total(), "INTID {intid} out of range");
        ((intid / 64) as usize, 1 << (intid % 64))
    }

    #[inline]
    fn trusted(&self, intid: u32) -> Option<(usize, u64)> {
        self.space
            .is_trusted(intid)
            .then(|| ((intid / 64) as usize, 1 << (intid % 64)))
    }

    /// Changes the word holding `intid`, then keeps `ready` in step with it.
    #[inline]
    fn update(&mut self, intid: u32, change: impl FnOnce(&mut Word, u64)) {
        let (index, bit) = self.locate(intid);
        let word = &mut self.words[index];
        change(word, bit);
        set(&mut self.ready, 1 << index, word.ready() != 0);
    }

    /// The first pending, unmasked INTID at or after `next`, cyclically.
    #[inline]
    fn next_ready(&self) -> Option<u32> {
        let start = (self.next / 64) as usize;
        let here = self.words[start].ready() & (!0 << (self.next % 64));
        let (word, bits) = if here != 0 {
            (start, here)
        } else {
            // Words after `start`, else from word 0 (wrapping into the low
            // bits of `start`: none of its bits at or above `next` is ready).
            let later = self.ready & (!1 << start);
            let words = if later != 0 { later } else { self.ready };
            if words == 0 {
                return None;
            }
            let word = words.trailing_zeros() as usize;
            (word, self.words[word].ready())
        };
        Some(word as u32 * 64 + bits.trailing_zeros())
    }
}

fn set(bits: &mut u64, bit: u64, value: bool) {
    if value {
        *bits |= bit;
    } else {
        *bits &= !bit;
    }
}
