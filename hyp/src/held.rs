// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Whether the hypervisor holds a level line active at the GIC: it does
//! from the moment it takes the line's interrupt and forwards it (the
//! line can then neither storm nor lose an edge) until the guest's
//! RESAMPLE finds the source low, or the vCPU powers off. Only then is the
//! line deactivated, and only if it is held: a RESAMPLE (or a power-off)
//! with nothing held deactivates nothing, so it can never end an active
//! state the hypervisor did not make.

use core::sync::atomic::{AtomicBool, Ordering::AcqRel};

/// One line's hold (the virtual timer's PPI on one vCPU).
#[derive(Debug, Default)]
pub struct Held(AtomicBool);

impl Held {
    /// The line's interrupt was taken and forwarded: it stays active.
    pub fn hold(&self) {
        self.0.store(true, core::sync::atomic::Ordering::Release);
    }

    /// A RESAMPLE sampled the source (`asserted`): whether to deactivate
    /// the line now (it was held and the source dropped).
    pub fn resampled(&self, asserted: bool) -> bool {
        !asserted && self.release()
    }

    /// The hold ends (power-off): whether the line was held, so must be
    /// deactivated.
    pub fn release(&self) -> bool {
        self.0.swap(false, AcqRel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resample_of_a_line_never_held_deactivates_nothing() {
        let h = Held::default();
        assert!(
            !h.resampled(false),
            "nothing held: the source is low, but nothing to end"
        );
        assert!(!h.resampled(true));
        assert!(!h.release());
    }

    #[test]
    fn a_held_line_is_deactivated_once_when_its_source_drops() {
        let h = Held::default();
        h.hold();
        assert!(!h.resampled(true), "still asserted: kept");
        assert!(h.resampled(false), "dropped: deactivate");
        assert!(!h.resampled(false), "a second RESAMPLE: already released");
        h.hold();
        assert!(h.release(), "a power-off releases a held line");
        assert!(!h.release());
    }
}
