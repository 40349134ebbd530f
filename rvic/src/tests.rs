// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Host tests of the ABI numbers and of one instance on its own.

extern crate std;

use crate::*;
use std::vec::Vec;

fn space(t: u32, u: u32) -> IntidSpace {
    IntidSpace::new(t, u).unwrap()
}

/// A small deterministic generator, so the crate needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }
}

/// The ACKNOWLEDGE choice written the slow way: scan every INTID from `next`.
fn naive_pick(r: &Rvic, next: u32) -> Option<u32> {
    let n = r.space().total();
    (0..n)
        .map(|k| (next + k) % n)
        .find(|&i| r.is_pending(i) && !r.is_masked(i))
}

fn naive_notification(r: &Rvic) -> bool {
    r.is_enabled() && naive_pick(r, 0).is_some()
}

#[test]
fn space_limits() {
    assert_eq!(IntidSpace::new(32, 32).map(|s| s.total()), Ok(64));
    assert_eq!(IntidSpace::new(1024, 1024).map(|s| s.total()), Ok(2048));
    assert_eq!(IntidSpace::new(2016, 32).map(|s| s.total()), Ok(2048));
    assert_eq!(IntidSpace::new(0, 64), Err(SpaceError::TooFew));
    assert_eq!(IntidSpace::new(64, 0), Err(SpaceError::TooFew));
    assert_eq!(IntidSpace::new(31, 64), Err(SpaceError::TooFew));
    assert_eq!(IntidSpace::new(48, 64), Err(SpaceError::NotMultipleOf32));
    assert_eq!(IntidSpace::new(64, 33), Err(SpaceError::NotMultipleOf32));
    assert_eq!(IntidSpace::new(2048, 32), Err(SpaceError::TooMany));
    assert_eq!(IntidSpace::new(1056, 1024), Err(SpaceError::TooMany));
    assert_eq!(IntidSpace::new(32, 0xFFFF_FFE0), Err(SpaceError::TooMany));
    let s = space(64, 32);
    assert_eq!((s.trusted(), s.untrusted()), (64, 32));
    assert_eq!((s.intid(95), s.intid(96)), (Some(95), None));
    assert_eq!(s.intid(u64::from(u32::MAX) + 1), None);
    assert!(s.is_trusted(63) && !s.is_trusted(64));
    assert!(s.is_untrusted(64) && s.is_untrusted(95) && !s.is_untrusted(96));
}

#[test]
fn function_ids() {
    let fids: Vec<u32> = Call::ALL.iter().map(|c| c.fid()).collect();
    let expected: Vec<u32> = (0xC500_0200..=0xC500_020B)
        .chain(0xC500_0100..=0xC500_0102)
        .collect();
    assert_eq!(fids, expected);
    for (index, call) in Call::ALL.into_iter().enumerate() {
        assert_eq!(call as usize, index);
        assert_eq!(Call::from_fid(u64::from(call.fid())), Some(call));
        // Only W0 carries the function ID.
        assert_eq!(
            Call::from_fid(0xdead_0000_0000_0000 | u64::from(call.fid())),
            Some(call)
        );
    }
    for fid in [
        0xC500_020C,
        0xC500_01FF,
        0xC500_0103,
        0xC500_00FF,
        0x8500_0200,
        0x8500_0100,
        0,
    ] {
        assert_eq!(Call::from_fid(fid), None, "{fid:#x}");
    }
}

#[test]
fn status_words() {
    assert_eq!(SUCCESS, 0);
    assert_eq!(Error::Parameter(0).status(), 1);
    assert_eq!(Error::Parameter(1).status(), 0x101);
    assert_eq!(Error::Parameter(2).status(), 0x201);
    assert_eq!(Error::InvalidCpu(0).status(), 2);
    assert_eq!(Error::InvalidCpu(1).status(), 0x102);
    assert_eq!(Error::Disabled.status(), 3);
    assert_eq!(Error::NoInterrupts.status(), 4);
    assert_eq!(NOT_SUPPORTED as i64, -1);
    assert_eq!(Abi::default(), Abi::V0_3);
    assert_eq!(Abi::V0_3.version(), 0x0000_0003);
    assert_eq!(Abi::V0_4.version(), 0x0000_0004);
}

#[test]
fn acknowledge_unmasked_only_in_0_4() {
    for call in Call::ALL {
        assert!(Abi::V0_4.offers(call), "{call:?}");
        assert_eq!(
            Abi::V0_3.offers(call),
            call != Call::AcknowledgeUnmasked,
            "{call:?}"
        );
    }
    assert_eq!(Call::AcknowledgeUnmasked.fid(), 0xC500_020B);
}

#[test]
fn initial_state() {
    let r = Rvic::new(space(32, 64));
    assert!(!r.is_enabled() && !r.notification());
    for i in 0..96 {
        assert!(r.is_masked(i) && !r.is_pending(i) && !r.is_level(i) && !r.line(i));
    }
}

#[test]
#[should_panic(expected = "out of range")]
fn intid_past_the_end_panics_even_inside_the_last_word() {
    // 96 INTIDs use two words; 100 is inside the second one.
    Rvic::new(space(64, 32)).set_pending(100, true);
}

#[test]
fn signal_and_acknowledge() {
    let mut r = Rvic::new(space(32, 32));
    assert_eq!(r.signal(5), Err(Error::Disabled));
    assert!(!r.is_pending(5), "a refused SIGNAL records nothing");
    assert_eq!(r.acknowledge(), Err(Error::Disabled));
    r.set_enabled(true);
    assert_eq!(r.acknowledge(), Err(Error::NoInterrupts));
    assert_eq!(r.signal(5), Ok(false));
    assert_eq!(r.signal(5), Ok(true), "second signal merges");
    assert!(!r.notification(), "masked");
    r.set_masked(5, false);
    assert!(r.notification());
    r.set_enabled(false);
    assert!(!r.notification() && r.is_pending(5) && !r.is_masked(5));
    r.set_enabled(true);
    assert_eq!(r.acknowledge(), Ok(5));
    assert!(r.is_masked(5) && !r.is_pending(5) && !r.notification());
    assert_eq!(r.acknowledge(), Err(Error::NoInterrupts));
}

#[test]
fn acknowledge_unmasked_leaves_the_intid_unmasked() {
    let mut r = Rvic::new(space(32, 32));
    assert_eq!(r.acknowledge_unmasked(), Err(Error::Disabled));
    r.set_enabled(true);
    assert_eq!(r.acknowledge_unmasked(), Err(Error::NoInterrupts));
    r.set_masked(5, false);
    assert_eq!(r.signal(5), Ok(false));
    assert_eq!(r.acknowledge_unmasked(), Ok(5));
    assert!(!r.is_masked(5) && !r.is_pending(5) && !r.notification());
    assert_eq!(r.acknowledge_unmasked(), Err(Error::NoInterrupts));
    // A new assertion during the handler is deliverable at once.
    assert_eq!(r.signal(5), Ok(false));
    assert!(r.notification());
    r.set_enabled(false);
    assert_eq!(r.acknowledge_unmasked(), Err(Error::Disabled));
    assert!(r.is_pending(5), "a refused acknowledgement takes nothing");
    r.set_enabled(true);
    assert_eq!(r.acknowledge_unmasked(), Ok(5));
    // A masked pending INTID is not taken.
    r.set_masked(6, true);
    r.set_pending(6, true);
    assert_eq!(r.acknowledge_unmasked(), Err(Error::NoInterrupts));
    assert!(r.is_pending(6) && r.is_masked(6));
}

#[test]
fn acknowledge_unmasked_keeps_level_semantics() {
    let mut r = Rvic::new(space(32, 32));
    r.declare_level(27).unwrap();
    r.set_enabled(true);
    r.set_masked(27, false);
    r.set_line(27, true).unwrap();
    assert_eq!(r.acknowledge_unmasked(), Ok(27));
    // The line is still high, but only RESAMPLE makes it pending again.
    assert_eq!(r.set_line(27, true), Ok(false));
    assert!(!r.is_pending(27) && !r.notification());
    assert_eq!(r.resample(27), Some(true));
    assert!(r.is_pending(27) && r.notification());
    assert_eq!(r.acknowledge_unmasked(), Ok(27));
    r.set_line(27, false).unwrap();
    assert_eq!(r.resample(27), Some(false));
    assert!(!r.is_pending(27) && !r.notification());
}

#[test]
fn acknowledge_rotates() {
    let mut r = Rvic::new(space(32, 32));
    r.set_enabled(true);
    for i in [3, 40, 63] {
        r.set_masked(i, false);
        r.set_pending(i, true);
    }
    assert_eq!(r.acknowledge(), Ok(3));
    // 3 comes back at once, but the search goes on after it.
    r.set_masked(3, false);
    r.set_pending(3, true);
    assert_eq!(r.acknowledge(), Ok(40));
    r.set_masked(40, false);
    r.set_pending(40, true);
    assert_eq!(r.acknowledge(), Ok(63));
    assert_eq!(r.acknowledge(), Ok(3), "wraps around");
    assert_eq!(r.acknowledge(), Ok(40));
}

/// The ABI's fairness bound, adversarially: every INTID is deliverable and
/// each one returned is made deliverable again at once, so the others compete
/// with all T+U; the one watched must still come within T+U.
#[test]
fn fairness_bound_with_everything_deliverable() {
    for (t, u) in [(32, 32), (64, 32), (1024, 1024)] {
        let mut r = Rvic::new(space(t, u));
        let n = t + u;
        r.set_enabled(true);
        for i in 0..n {
            r.set_masked(i, false);
            r.set_pending(i, true);
        }
        for (k, watched) in [0, 1, n / 2, n - 1].into_iter().enumerate() {
            let mut acks = 0;
            loop {
                // The two acknowledgements, alternately: one cursor.
                let got = if (acks + k as u32).is_multiple_of(2) {
                    r.acknowledge().unwrap()
                } else {
                    r.acknowledge_unmasked().unwrap()
                };
                acks += 1;
                r.set_masked(got, false);
                r.set_pending(got, true);
                if got == watched {
                    break;
                }
                assert!(acks < n, "{watched} starved for {acks} acks");
            }
        }
    }
}

/// The O(1) search against the scan, on random bitmaps over sizes whose last
/// word is partly used.
#[test]
fn acknowledge_matches_naive_scan() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (t, u) in [(32, 32), (64, 32), (32, 96), (992, 1056)] {
        let n = t + u;
        for _ in 0..300 {
            let mut r = Rvic::new(space(t, u));
            r.set_enabled(true);
            let density = 1 + rng.below(8);
            for i in 0..n {
                if rng.below(density) == 0 {
                    r.set_pending(i, true);
                }
                if rng.below(2) == 0 {
                    r.set_masked(i, false);
                }
            }
            let mut next = 0;
            for _ in 0..8 {
                assert_eq!(r.notification(), naive_notification(&r));
                let expected = naive_pick(&r, next);
                let unmasked = rng.below(2) == 0;
                if unmasked {
                    assert_eq!(r.acknowledge_unmasked().ok(), expected);
                } else {
                    assert_eq!(r.acknowledge().ok(), expected);
                }
                if let Some(i) = expected {
                    assert!(!r.is_pending(i) && r.is_masked(i) != unmasked);
                    next = (i + 1) % n;
                    // Re-deliver now and then so words empty and refill.
                    if rng.below(3) == 0 {
                        r.set_masked(i, false);
                        r.set_pending(i, true);
                    }
                }
            }
        }
    }
}

#[test]
fn trusted_level_source() {
    let mut r = Rvic::new(space(32, 32));
    assert_eq!(r.declare_level(32), Err(NotLevel), "untrusted");
    assert_eq!(r.set_line(27, true), Err(NotLevel), "not declared");
    assert_eq!(r.resample(27), None, "no level source: nothing to do");
    assert_eq!(r.declare_level(27), Ok(()));
    assert!(r.is_level(27) && !r.is_level(26));
    assert_eq!(r.resample(27), Some(false));
    assert!(!r.is_pending(27));
    assert_eq!(r.set_line(27, true), Ok(false));
    assert!(
        r.is_pending(27) && r.line(27),
        "disabled instance still records"
    );
    assert_eq!(r.set_line(27, true), Ok(false), "no new edge");
    r.set_enabled(true);
    r.set_masked(27, false);
    assert_eq!(r.acknowledge(), Ok(27));
    assert_eq!(r.resample(27), Some(true));
    assert!(r.is_pending(27), "still asserted: pending again");
    assert_eq!(r.set_line(27, false), Ok(false));
    assert!(
        !r.is_pending(27) && !r.line(27),
        "a falling line withdraws it"
    );
    assert_eq!(r.resample(27), Some(false));
    assert!(!r.is_pending(27));
    r.set_pending(27, true);
    assert_eq!(
        r.set_line(27, true),
        Ok(true),
        "rising onto a pending INTID merges"
    );
}
