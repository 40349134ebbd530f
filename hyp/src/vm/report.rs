// SPDX-License-Identifier: Apache-2.0 OR MIT
//! What the hypervisor prints about a guest run: per-vCPU exits, hypercalls
//! by function, interrupts injected, kicks and aborts.

use alloc::string::String;
use core::fmt::Write;
use core::sync::atomic::Ordering::Relaxed;

use rvid::rvic::Call;

use super::vcpu::ExitKind;
use super::Vm;

/// Print every vCPU's counters.
pub fn counters(vm: &Vm) {
    for (cpu, v) in vm.vcpus.iter().enumerate() {
        let s = &v.stats;
        let mut exits = String::new();
        for (name, n) in ExitKind::NAMES.iter().zip(&s.exits) {
            let _ = write!(exits, " {name}={}", n.load(Relaxed));
        }
        log::info!(
            "vcpu{cpu} exits:{exits} | virq raised={} kicks sent={} aborts={}",
            s.injected.load(Relaxed),
            s.kicks.load(Relaxed),
            s.aborts.load(Relaxed)
        );
        let c = vm.irqc.counters(cpu);
        let mut calls = String::new();
        for call in Call::ALL
            .into_iter()
            .filter(|&call| c.calls[call as usize] != 0)
        {
            let _ = write!(calls, " {call:?}={}", c.calls[call as usize]);
        }
        log::info!(
            "vcpu{cpu} hypercalls:{calls} unsupported={} | acks={} merged={} dropped(vm)={}",
            // Unknown function IDs (here) and calls the ABI version does
            // not offer (the rVID layer's).
            s.unsupported.load(Relaxed) + c.unsupported,
            c.acks,
            c.merged,
            c.dropped
        );
    }
}
