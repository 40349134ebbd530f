// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Physical interrupts taken at EL2: acknowledge, drop priority, handle,
//! and deactivate (EOImode 1) — except level sources given to the guest,
//! which stay active until the guest RESAMPLEs them, so that they can
//! neither storm nor lose an edge.

use gic_backend::IntId;

use crate::{board, guest, selftest, vcpu};

/// The hypervisor's own SGIs.
pub mod sgi {
    use gic_backend::IntId;
    /// "Your vCPU's notification may have changed": the handler does
    /// nothing, the way back into the guest re-evaluates the line.
    pub const KICK: IntId = 0;
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
        if dispatch(id) {
            b.gic.deactivate(id);
        }
    }
}

/// Handle one interrupt; `false` if it must stay active.
fn dispatch(id: IntId) -> bool {
    let b = board::get();
    match id {
        sgi::KICK => true,
        sgi::PING | sgi::PONG => {
            selftest::on_sgi(id);
            true
        }
        _ if id == b.hyp_timer => {
            selftest::on_timer();
            true
        }
        _ => match guest::get() {
            Some(g) => guest_source(g, id),
            None => unexpected(id),
        },
    }
}

/// A source the guest owns: its virtual timer, or a device line.
fn guest_source(g: &guest::Guest, id: IntId) -> bool {
    let b = board::get();
    let cpu = crate::arch::cpu_index();
    if id == b.platform.timer.virt.intid {
        // Held active until RESAMPLE; the rVIC sees a level source.
        let kick =
            g.vm.set_trusted_level(cpu, guest::VTIMER_INTID, true)
                .unwrap_or_default();
        vcpu::kick(g, kick);
        return false;
    }
    let Some(n) = g.input_of(id) else {
        return unexpected(id);
    };
    let kick = g.vm.set_input_line(n, true);
    vcpu::kick(g, kick);
    // Edge: one assertion, done. Level: held active until RESAMPLE.
    !g.inputs[n].level
}

fn unexpected(id: IntId) -> bool {
    log::warn!("unexpected interrupt {id}: disabled");
    board::get().gic.disable(id);
    true
}
