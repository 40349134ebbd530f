// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Guest hypercalls (HVC, and SMC handled alike): SMCCC, PSCI 1.1 and the
//! rVIC/rVID calls. The function ID is decoded once ([`Request::decode`]);
//! every ID gets an answer, unknown ones NOT_SUPPORTED, and unused result
//! registers are zero. No argument value can make the hypervisor fail.

use core::sync::atomic::Ordering::{AcqRel, Relaxed};

use hyp::function::{Function, Psci, Request};
use hyp::power::{OnError, Start};
use rvid::rvic::Call;
use smccc::arch::SMCCC_ARCH_FEATURES;
use smccc::psci::error as status;

use super::{report, Outcome, Vm};
use crate::arch::exception::Context;
use crate::board::{self, Stop};

/// SMCCC and PSCI both implemented at version 1.1.
const VERSION_1_1: u64 = 0x1_0001;
const NOT_SUPPORTED: u64 = status::NOT_SUPPORTED as u64;

fn psci_error(code: i32) -> u64 {
    code as i64 as u64
}

impl Vm {
    /// Handle the hypercall in `ctx` (x0 = function ID) from vCPU `cpu`.
    pub(super) fn hypercall(&self, cpu: usize, ctx: &mut Context) -> Outcome {
        let req = Request::decode([ctx.x[0], ctx.x[1], ctx.x[2], ctx.x[3]]);
        let mut regs = [0u64; 4];
        let outcome = match req.function {
            // A call the VM's ABI version does not offer is answered
            // NOT_SUPPORTED, and counted, by the rVID layer itself.
            Function::Interrupt(call) => {
                regs = self.interrupt_call(cpu, call, req.args);
                Outcome::Resume
            }
            Function::SmcccVersion => {
                regs[0] = VERSION_1_1;
                Outcome::Resume
            }
            Function::SmcccArchFeatures => {
                regs[0] = match Function::of(req.args[0] as u32).0 {
                    Function::SmcccVersion | Function::SmcccArchFeatures => 0,
                    Function::Workaround(w) => self.firmware(SMCCC_ARCH_FEATURES, w),
                    _ => NOT_SUPPORTED,
                };
                Outcome::Resume
            }
            Function::Workaround(w) => {
                regs[0] = self.firmware(w, req.args[0] as u32);
                Outcome::Resume
            }
            Function::Psci(call) => {
                let (x0, outcome) = self.psci(cpu, call, req.args);
                regs[0] = x0;
                outcome
            }
            Function::Unknown => {
                self.vcpus[cpu].stats.unsupported.fetch_add(1, Relaxed);
                regs[0] = NOT_SUPPORTED;
                Outcome::Resume
            }
        };
        ctx.x[..4].copy_from_slice(&regs);
        outcome
    }

    /// Ask the firmware, on this CPU: the mitigations are the physical
    /// CPU's and only the firmware knows them. Without SMCCC 1.1 firmware
    /// nothing is asked and the answer is NOT_SUPPORTED (the state is
    /// unknown); an answer outside SMCCC's (0, 1, NOT_SUPPORTED,
    /// NOT_REQUIRED) becomes NOT_SUPPORTED.
    fn firmware(&self, fid: u32, arg: u32) -> u64 {
        let Some(conduit) = self.board.smccc_1_1 else {
            return NOT_SUPPORTED;
        };
        match board::firmware_call32(conduit, fid, arg) as i32 {
            r @ -2..=1 => r as i64 as u64,
            _ => NOT_SUPPORTED,
        }
    }

    /// An rVIC or rVID call: one call into the controller, which samples
    /// and steers the physical lines under its own lock; then the line a
    /// RESAMPLE released, and the kicks.
    fn interrupt_call(&self, cpu: usize, call: Call, args: [u64; 3]) -> [u64; 4] {
        let r = self
            .irqc
            .call(cpu, call, args, &mut self.lines.hardware(self));
        if let Some(res) = r.resampled {
            self.lines.resampled(self, res);
        }
        // The caller is this CPU's vCPU: its own line is set on the way
        // back in, it needs no kick.
        self.kick(r.kick.without(cpu));
        r.regs
    }

    /// A PSCI call: x0 and what the vCPU does next.
    fn psci(&self, cpu: usize, call: Psci, [x1, x2, x3]: [u64; 3]) -> (u64, Outcome) {
        let done = |x0| (x0, Outcome::Resume);
        match call {
            Psci::Version => done(VERSION_1_1),
            Psci::Features => done(match Function::of(x1 as u32).0 {
                // SMCCC 1.1 discovery: SMCCC_VERSION is implemented.
                Function::Psci(_) | Function::SmcccVersion => 0,
                _ => NOT_SUPPORTED,
            }),
            Psci::MigrateInfoType => done(2), // no Trusted OS to migrate
            Psci::CpuOn => done(self.cpu_on(x1, x2, x3)),
            Psci::AffinityInfo => done(self.affinity_info(x1, x2)),
            // A standby state: wait like WFI for something to deliver.
            Psci::CpuSuspend => (0, Outcome::Idle(None)),
            Psci::CpuOff => {
                self.power_off(cpu);
                if self.powered.fetch_sub(1, AcqRel) == 1 {
                    report::counters(self);
                    log::info!("the last vCPU called CPU_OFF: system off");
                    return (0, Outcome::System(Stop::GuestOff));
                }
                (0, Outcome::Off)
            }
            Psci::SystemOff | Psci::SystemReset => {
                report::counters(self);
                let off = call == Psci::SystemOff;
                log::info!(
                    "guest asked for system {}",
                    if off { "off" } else { "reset" }
                );
                let stop = if off {
                    Stop::GuestOff
                } else {
                    Stop::GuestReset
                };
                (0, Outcome::System(stop))
            }
        }
    }

    /// A vCPU by the MPIDR a guest passes (affinity fields only).
    fn vcpu_of(&self, mpidr: u64) -> Option<usize> {
        let mask = vocab::MPIDR_AFFINITY_MASK;
        self.irqc
            .vcpu_of(mpidr & mask)
            .filter(|_| mpidr & !mask == 0)
    }

    fn cpu_on(&self, target: u64, entry: u64, context: u64) -> u64 {
        let Some(t) = self.vcpu_of(target) else {
            return psci_error(status::INVALID_PARAMETERS);
        };
        // An instruction address: in guest RAM and 4-byte aligned.
        if !self.ram.contains(entry) || !entry.is_multiple_of(4) {
            return psci_error(status::INVALID_ADDRESS);
        }
        // Counted before the target can run (and CPU_OFF), uncounted if
        // refused.
        self.powered.fetch_add(1, AcqRel);
        let r = self.vcpus[t].power.request_on(Start { entry, context });
        if r.is_err() {
            self.powered.fetch_sub(1, AcqRel);
        }
        match r {
            Ok(()) => {
                let mut set = rvid::VcpuSet::EMPTY;
                set.insert(t);
                self.kick(set);
                0
            }
            Err(OnError::AlreadyOn) => psci_error(status::ALREADY_ON),
            Err(OnError::OnPending) => psci_error(status::ON_PENDING),
        }
    }

    fn affinity_info(&self, target: u64, level: u64) -> u64 {
        if level != 0 {
            return psci_error(status::INVALID_PARAMETERS);
        }
        match self.vcpu_of(target) {
            None => psci_error(status::INVALID_PARAMETERS),
            Some(t) => self.vcpus[t].power.affinity() as u64,
        }
    }
}
