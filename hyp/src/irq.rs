// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Physical interrupts: a table of handlers, one per INTID, which each
//! owner fills in ([`register`]), and [`poll`], which takes every interrupt
//! pending for this CPU: acknowledge, drop priority, run the handler, and
//! deactivate (EOImode 1) unless the handler holds the line active.
//!
//! EL2 never unmasks interrupts: `poll` runs when the guest left because
//! of one, and after every `wfi` the hypervisor waits in.

use gic_backend::IntId;
use spin::Once;

use crate::board::{self, Completion};

/// A handler: called with the datum it was registered with.
pub type Handler = fn(u32) -> Completion;

/// INTIDs a handler may be registered for: SGIs, PPIs and SPIs, not the
/// special INTIDs 1020..1023 or the extended ranges.
const MAX_INTID: usize = 1020;

/// Each slot is set once and then only read: taking an interrupt costs
/// one atomic load, no lock.
static TABLE: [Once<(Handler, u32)>; MAX_INTID] = [const { Once::new() }; MAX_INTID];

/// Handle `intid` with `handler(datum)` from now on, on every CPU.
/// Refused (`Err`) for an INTID outside the table or one that already has
/// a handler.
pub fn register(intid: IntId, handler: Handler, datum: u32) -> Result<(), IntId> {
    let slot = TABLE.get(intid as usize).ok_or(intid)?;
    let mut fresh = false;
    slot.call_once(|| {
        fresh = true;
        (handler, datum)
    });
    fresh.then_some(()).ok_or(intid)
}

/// Handle every interrupt pending for this CPU.
pub fn poll() {
    let gic = board::get().gic;
    while let Some(id) = gic.acknowledge() {
        gic.priority_drop(id);
        let entry = TABLE.get(id as usize).and_then(Once::get).copied();
        let completion = match entry {
            Some((handler, datum)) => handler(datum),
            None => {
                log::warn!("unexpected interrupt {id}: disabled");
                gic.disable(id);
                Completion::Deactivate
            }
        };
        if completion == Completion::Deactivate {
            gic.deactivate(id);
        }
    }
}

/// A handler with nothing to do: the SGI only woke the CPU, or made it
/// leave the guest.
pub fn nothing(_: u32) -> Completion {
    Completion::Deactivate
}
