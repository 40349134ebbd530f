// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The physical interrupt lines the guest owns, and the one rule for them.
//!
//! Each assigned device line feeds one rVID input; the guest's virtual
//! timer, a PPI, feeds its trusted INTID on each vCPU. The rule, applied
//! here and nowhere else: an edge line is deactivated as soon as it has been
//! forwarded. A level line stays active at the GIC after it is forwarded,
//! so it can neither storm nor lose an edge, until the guest RESAMPLEs its
//! INTID and the sample says the source has dropped; then it is
//! deactivated and may fire again. A vCPU that powers off releases the
//! timer line it may hold.

use alloc::boxed::Box;

use gic_backend::IntId;
use guest_loader::InputLine;
use rvid::{Physical, Resampled, Source};
use vocab::Trigger;

use super::{Vm, VTIMER_INTID};
use crate::arch::{self, virt};
use crate::board::Completion;

/// The guest's physical lines.
pub struct Lines {
    /// rVID input `n` is fed by `inputs[n]`.
    inputs: Box<[InputLine]>,
    /// The PPI of the guest's virtual timer.
    vtimer: IntId,
}

impl Lines {
    pub fn new(inputs: Box<[InputLine]>, vtimer: IntId) -> Lines {
        Lines { inputs, vtimer }
    }

    /// rVID input `n`'s line, for each `n`.
    pub fn inputs(&self) -> &[InputLine] {
        &self.inputs
    }

    /// The virtual timer's PPI.
    pub fn vtimer(&self) -> IntId {
        self.vtimer
    }

    /// The physical line of rVID input `n` fired (acknowledged, priority
    /// dropped): tell the controller, kick whoever must see it.
    pub fn input_fired(&self, vm: &Vm, n: usize) -> Completion {
        let kick = vm.irqc.set_input_line(n, true);
        vm.kick(kick);
        match self.inputs[n].trigger {
            Trigger::Edge => Completion::Deactivate,
            Trigger::Level => Completion::Hold,
        }
    }

    /// The virtual timer fired on vCPU `cpu` (on its own CPU).
    pub fn vtimer_fired(&self, vm: &Vm, cpu: usize) -> Completion {
        let kick = vm
            .irqc
            .set_trusted_level(cpu, VTIMER_INTID, true)
            .unwrap_or_default();
        vm.kick(kick);
        vm.vcpus[cpu].vtimer_held.hold();
        Completion::Hold
    }

    /// After a RESAMPLE on this CPU: release a line whose source dropped.
    /// The timer's PPI is deactivated only if this vCPU holds it: a
    /// RESAMPLE of a timer that never fired (or was already released)
    /// touches nothing at the GIC.
    pub fn resampled(&self, vm: &Vm, res: Resampled) {
        match res.source {
            Source::Trusted {
                vcpu,
                intid: VTIMER_INTID,
            } => {
                // The PPI is this CPU's: only its own vCPU's hold counts.
                let mine = vm.vcpu_on(arch::cpu_index()) == Some(vcpu);
                if mine && vm.vcpus[vcpu].vtimer_held.resampled(res.asserted) {
                    vm.board.gic.deactivate(self.vtimer);
                }
            }
            Source::Trusted { .. } => {}
            Source::Input(_) if res.asserted => {}
            Source::Input(n) => {
                if let Some(line) = self.inputs.get(n).filter(|l| l.trigger == Trigger::Level) {
                    vm.board.gic.clear_active(line.intid);
                }
            }
        }
    }

    /// vCPU `cpu` powers off (on its own CPU): its timer stops, the line
    /// it may hold (active, awaiting a RESAMPLE that will never come) is
    /// released, and its level source reads low, so the vCPU starts clean
    /// when it comes back.
    pub fn power_off(&self, vm: &Vm, cpu: usize) {
        virt::stop_vtimer();
        if vm.vcpus[cpu].vtimer_held.release() {
            vm.board.gic.clear_active(self.vtimer);
        }
        let _ = vm.irqc.set_trusted_level(cpu, VTIMER_INTID, false);
    }

    /// The hardware behind one hypercall.
    pub fn hardware<'a>(&'a self, vm: &'a Vm) -> Hardware<'a> {
        Hardware { lines: self, vm }
    }
}

/// What the controller asks of the hardware during a hypercall: sample a
/// level source for RESAMPLE (an active level interrupt at the GIC is also
/// pending exactly while its line is asserted; the virtual timer's output
/// is in CNTV_CTL), and steer a MAPped input's line to the CPU of its new
/// vCPU. Both run under the controller's lock.
pub struct Hardware<'a> {
    lines: &'a Lines,
    vm: &'a Vm,
}

impl Physical for Hardware<'_> {
    fn sample(&mut self, source: Source) -> Option<bool> {
        match source {
            Source::Trusted {
                intid: VTIMER_INTID,
                ..
            } => Some(virt::vtimer_asserted()),
            Source::Trusted { .. } => None,
            Source::Input(n) => self
                .lines
                .inputs
                .get(n)
                .map(|l| self.vm.board.gic.is_pending(l.intid)),
        }
    }

    fn routed(&mut self, input: usize, vcpu: usize) {
        if let Some(line) = self.lines.inputs.get(input) {
            self.vm.board.gic.route(line.intid, self.vm.cpu(vcpu));
        }
    }
}
