// SPDX-License-Identifier: Apache-2.0 OR MIT
//! What each exit from the guest does. Every exit the guest can cause has
//! a defined answer: a hypercall is answered, a wait is a wait, an access
//! outside the guest's map is a synchronous external abort in the guest,
//! a PMU register access is passed through with EL2 kept out of its
//! event types (`hyp::pmu`), an SError the guest caused is a virtual
//! SError in the guest, a FIQ is not the guest's, and anything else is an
//! UNDEFINED instruction in the guest.

use core::sync::atomic::Ordering::Relaxed;

use super::vcpu::ExitKind;
use super::{Outcome, Vm};
use hyp::pmu;
use hyp::sysreg::{self, Access};
use hyp::wait::{Wait, Wfx};

use crate::arch::{self, exception::Context, idregs, inject, timer, virt};
use crate::trap::{Abort, Exit, Trap};

impl Vm {
    /// Handle `trap`, taken by vCPU `cpu` (this CPU's), whose registers are
    /// in `ctx`.
    pub fn handle(&self, cpu: usize, ctx: &mut Context, trap: Trap) -> Outcome {
        let (kind, outcome) = match trap.exit {
            Exit::Irq => (ExitKind::Irq, Outcome::Interrupts),
            Exit::Hvc => (ExitKind::Hvc, self.hypercall(cpu, ctx)),
            Exit::Smc => {
                // A trapped SMC returns past itself.
                ctx.elr += trap.len;
                (ExitKind::Smc, self.hypercall(cpu, ctx))
            }
            Exit::Wait(mut wfx) => {
                // A WFIT some CPUs (QEMU) report as a WFI: ask the
                // instruction (`hyp::wait`).
                if wfx == Wfx::Wfi && virt::has_wfxt() {
                    let el0 = (ctx.spsr >> 2) & 3 == 0;
                    wfx = wfx.refine(virt::guest_instruction(ctx.elr, el0, self.ram));
                }
                // Past the instruction by its trapped length (ESR_EL2.IL).
                ctx.elr += trap.len;
                let outcome = match wfx.wait(&ctx.x, timer::virtual_now()) {
                    Wait::None => Outcome::Resume,
                    Wait::Interrupt => Outcome::Idle(None),
                    Wait::Until(deadline) => Outcome::Idle(Some(deadline)),
                };
                (ExitKind::Wfi, outcome)
            }
            Exit::Abort(a) => {
                self.abort(cpu, ctx, a);
                let kind = if a.data() {
                    ExitKind::DataAbort
                } else {
                    ExitKind::InstrAbort
                };
                (kind, Outcome::Resume)
            }
            Exit::SysReg(access) => {
                self.sysreg(ctx, access, trap.len);
                (ExitKind::SysReg, Outcome::Resume)
            }
            Exit::Other { .. } => {
                inject::undefined(ctx);
                (ExitKind::Other, Outcome::Resume)
            }
            Exit::SError { esr } => {
                self.serror(cpu, ctx, esr);
                (ExitKind::SError, Outcome::Resume)
            }
            Exit::Fiq => {
                // No FIQ is the guest's (hyp::serror): counted, and the
                // guest goes on.
                if !self.fiq_logged.swap(true, Relaxed) {
                    log::warn!("vcpu{cpu}: a physical FIQ ended a guest run: not the guest's, not delivered (logged once)");
                }
                (ExitKind::Fiq, Outcome::Resume)
            }
        };
        if let Some(syndrome) = trap.deferred_serror {
            self.serror(cpu, ctx, syndrome);
            self.vcpus[cpu].count(ExitKind::SError);
        }
        self.vcpus[cpu].count(kind);
        outcome
    }

    /// The guest caused an SError whose physical syndrome is `physical`:
    /// it gets a virtual one, and the first is logged.
    fn serror(&self, cpu: usize, ctx: &Context, physical: u64) {
        let syndrome = hyp::serror::virtual_syndrome(physical);
        if !self.serror_logged.swap(true, Relaxed) {
            log::warn!(
                "vcpu{cpu}: SError from the guest (syndrome {physical:#x}, PC {:#x}): virtual SError injected, syndrome {syndrome:#x} (logged once)",
                ctx.elr
            );
        }
        inject::serror(syndrome);
    }

    /// A trapped MRS/MSR. A read of the ID space (HCR_EL2.TID3) gets the
    /// CPU's value minus what a guest is not given; a PMU register (trapped
    /// by MDCR_EL2.TPM before PMUv3p5) is accessed as `hyp::pmu` decides;
    /// anything else trapped is UNDEFINED for the guest.
    fn sysreg(&self, ctx: &mut Context, access: Access, len: u64) {
        let rt = access.rt as usize;
        if let Some((crm, op2)) = access.id_register() {
            let v = sysreg::sanitise_id(crm, op2, idregs::read(crm, op2));
            if rt != 31 {
                ctx.x[rt] = v;
            }
            ctx.elr += len;
            return;
        }
        let pmu =
            pmu::Reg::decode(&access).zip(virt::pmu_version().filter(|&v| pmu::needs_trap(v)));
        let Some((reg, pmuver)) = pmu else {
            return inject::undefined(ctx);
        };
        let from_el0 = (ctx.spsr >> 2) & 3 == 0;
        let value = if rt == 31 { 0 } else { ctx.x[rt] };
        let pmu = arch::pmu::this_cpu(pmuver);
        match pmu.decide(&access, reg, from_el0, value, arch::pmu::selr()) {
            pmu::Action::Read(t) => {
                let v = arch::pmu::read(t);
                if rt != 31 {
                    ctx.x[rt] = v;
                }
            }
            pmu::Action::Write(t, v) => arch::pmu::write(t, v),
            pmu::Action::SwIncr(v) => arch::pmu::sw_incr(&pmu, v, from_el0),
            pmu::Action::Undefined => return inject::undefined(ctx),
        }
        ctx.elr += len;
    }

    /// The guest touched an address stage 2 does not map: it gets a
    /// synchronous external abort, and the first one is logged.
    fn abort(&self, cpu: usize, ctx: &mut Context, a: Abort) {
        if !self.abort_logged.swap(true, Relaxed) {
            log::warn!(
                "vcpu{cpu}: {} abort at IPA {:#x} (VA {:#x}, PC {:#x}): outside the guest's map, external abort injected (logged once)",
                if a.data() { "data" } else { "instruction" },
                a.ipa,
                a.far,
                ctx.elr
            );
        }
        self.vcpus[cpu].stats.aborts.fetch_add(1, Relaxed);
        inject::external_abort(ctx, a.data(), a.esr, a.far);
    }
}
