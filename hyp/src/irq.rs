// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Physical interrupts taken at EL2: acknowledge, drop priority, handle,
//! deactivate (EOImode 1), until the CPU interface has nothing left.

use gic_backend::IntId;

use crate::{board, selftest};

/// The hypervisor's own SGIs.
pub mod sgi {
    use gic_backend::IntId;
    /// Self-test: "answer me".
    pub const PING: IntId = 1;
    /// Self-test: the answer.
    pub const PONG: IntId = 2;
}

/// Handle every interrupt pending for this CPU.
pub fn handle() {
    let b = board::get();
    while let Some(id) = b.gic.acknowledge() {
        b.gic.priority_drop(id);
        dispatch(id);
        b.gic.deactivate(id);
    }
}

fn dispatch(id: IntId) {
    let b = board::get();
    match id {
        sgi::PING | sgi::PONG => selftest::on_sgi(id),
        _ if id == b.hyp_timer => selftest::on_timer(),
        _ => {
            log::warn!("unexpected interrupt {id}: disabled");
            b.gic.disable(id);
        }
    }
}
