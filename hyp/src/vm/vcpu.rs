// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Each vCPU: its PSCI power state, its virtual IRQ line as last set, its
//! counters; raising the line on the way into the guest, and kicking other
//! vCPUs' CPUs when their notification changed.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use gic_backend::{ListReg, LrState};
use hyp::held::Held;
use hyp::options::Delivery;
use hyp::power::Power;

use super::Vm;
use crate::arch::{self, exception::Context, virt};

/// The SGI that tells a CPU "your vCPU's notification may have changed":
/// its handler does nothing; the way back into the guest re-evaluates the
/// line, and a CPU waiting for its vCPU stops waiting.
pub const KICK_SGI: gic_backend::IntId = 0;

/// The virtual INTID the list register uses to raise the line (the guest
/// never acknowledges it at the GIC; it only sees the IRQ exception).
const LR_VINTID: u32 = 32;

/// Why the guest left EL1, for the counters.
#[derive(Clone, Copy, Debug)]
pub enum ExitKind {
    Hvc,
    Smc,
    DataAbort,
    InstrAbort,
    Wfi,
    SysReg,
    Irq,
    Other,
    SError,
    Fiq,
}

impl ExitKind {
    pub const COUNT: usize = 10;
    pub const NAMES: [&'static str; Self::COUNT] = [
        "hvc", "smc", "dabt", "iabt", "wfi", "sysreg", "irq", "other", "serror", "fiq",
    ];
}

/// Per-vCPU counters, printed when the guest powers off.
#[derive(Default)]
pub struct Stats {
    pub exits: [AtomicU64; ExitKind::COUNT],
    /// Times the virtual IRQ line went from low to high.
    pub injected: AtomicU64,
    /// Kick SGIs this vCPU's CPU sent to others.
    pub kicks: AtomicU64,
    /// External aborts injected for accesses outside the guest's map.
    pub aborts: AtomicU64,
    /// Hypercalls with a function ID this hypervisor does not implement.
    pub unsupported: AtomicU64,
}

/// One vCPU.
#[derive(Default)]
pub struct Vcpu {
    pub power: Power,
    pub stats: Stats,
    /// The virtual IRQ line as last set on this vCPU's CPU.
    line: AtomicBool,
    /// Whether the virtual timer's PPI is held active on this vCPU's CPU.
    pub vtimer_held: Held,
}

impl Vcpu {
    pub fn count(&self, exit: ExitKind) {
        self.stats.exits[exit as usize].fetch_add(1, Relaxed);
    }
}

impl Vm {
    /// On this vCPU's CPU: if a CPU_ON (or the boot) is pending, reset the
    /// architected EL1 state and point `ctx` at the entry point. Returns
    /// whether the vCPU is now on.
    pub fn power_on(&self, cpu: usize, ctx: &mut Context) -> bool {
        match self.vcpus[cpu].power.take_start() {
            Some(start) => {
                virt::reset_vcpu(ctx, start.entry, start.context);
                true
            }
            None => false,
        }
    }

    /// On this vCPU's CPU, CPU_OFF: the vCPU is off, its line low, the
    /// lines it held released.
    pub fn power_off(&self, cpu: usize) {
        self.vcpus[cpu].power.set_off();
        self.set_line(cpu, false);
        self.lines.power_off(self, cpu);
    }

    /// Whether `cpu`'s vCPU has an interrupt it could take now.
    pub fn deliverable(&self, cpu: usize) -> bool {
        self.irqc.notification(cpu)
    }

    /// On every way back into the guest: the virtual IRQ line must equal
    /// the notification predicate (enabled, some INTID pending and
    /// unmasked).
    pub fn before_entry(&self, cpu: usize) {
        self.set_line(cpu, self.irqc.notification(cpu));
    }

    /// Raise or lower this CPU's virtual IRQ line, by the configured means.
    fn set_line(&self, cpu: usize, want: bool) {
        let v = &self.vcpus[cpu];
        if v.line.swap(want, Relaxed) == want {
            return;
        }
        if want {
            v.stats.injected.fetch_add(1, Relaxed);
        }
        match self.options.delivery {
            Delivery::Vi => virt::set_vi(want),
            Delivery::Lr => {
                let lr = if want {
                    ListReg {
                        vintid: LR_VINTID,
                        state: LrState::Pending,
                        ..ListReg::EMPTY
                    }
                } else {
                    ListReg::EMPTY
                };
                self.board.gic.write_lr(0, lr);
            }
        }
    }

    /// Tell the CPUs of `set` (other than this one) to re-evaluate their
    /// vCPU's line.
    #[inline]
    pub fn kick(&self, set: rvid::VcpuSet) {
        if !set.is_empty() {
            self.kick_some(set);
        }
    }

    #[inline(never)]
    fn kick_some(&self, set: rvid::VcpuSet) {
        let me = self.vcpu_on(arch::cpu_index());
        for v in set.iter().filter(|&v| Some(v) != me) {
            self.board.gic.send_sgi(KICK_SGI, self.cpu(v));
            if let Some(me) = me {
                self.vcpus[me].stats.kicks.fetch_add(1, Relaxed);
            }
        }
    }
}
