// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Guest hypercalls (HVC, and SMC handled alike): SMCCC, PSCI 1.1 and the
//! rVIC/rVID calls. Every function ID gets an answer; unknown ones get
//! NOT_SUPPORTED. No argument value can make the hypervisor fail.

use core::sync::atomic::Ordering::*;

use rvid::{rvic::Call, Source, VcpuSet};

use crate::arch::exception::TrapFrame;
use crate::arch::{guest as hw, smccc};
use crate::guest::{power, Guest, VTIMER_INTID};
use crate::{board, report, vcpu};

const SMCCC_VERSION: u32 = 0x8000_0000;
const SMCCC_ARCH_FEATURES: u32 = 0x8000_0001;
const PSCI_VERSION: u32 = 0x8400_0000;
const PSCI_CPU_SUSPEND: u32 = 0xc400_0001;
const PSCI_CPU_OFF: u32 = 0x8400_0002;
const PSCI_CPU_ON: u32 = 0xc400_0003;
const PSCI_AFFINITY_INFO: u32 = 0xc400_0004;
const PSCI_MIGRATE_INFO_TYPE: u32 = 0x8400_0006;
const PSCI_SYSTEM_OFF: u32 = 0x8400_0008;
const PSCI_SYSTEM_RESET: u32 = 0x8400_0009;
const PSCI_FEATURES: u32 = 0x8400_000a;
/// 32-bit calling-convention twins of the 64-bit PSCI calls.
const SMC32_BIT: u32 = 0x4000_0000;

const NOT_SUPPORTED: u64 = -1i64 as u64;
const INVALID_PARAMETERS: u64 = -2i64 as u64;
const ALREADY_ON: u64 = -4i64 as u64;
const ON_PENDING: u64 = -5i64 as u64;
const INVALID_ADDRESS: u64 = -9i64 as u64;

/// The PSCI calls this hypervisor implements (for PSCI_FEATURES).
const PSCI_CALLS: [u32; 9] = [
    PSCI_VERSION,
    PSCI_CPU_SUSPEND,
    PSCI_CPU_OFF,
    PSCI_CPU_ON,
    PSCI_AFFINITY_INFO,
    PSCI_MIGRATE_INFO_TYPE,
    PSCI_SYSTEM_OFF,
    PSCI_SYSTEM_RESET,
    PSCI_FEATURES,
];

/// Handle the hypercall in `frame` (x0 = function ID) from vCPU `cpu`.
pub fn handle(g: &Guest, cpu: usize, frame: &mut TrapFrame) {
    let fid = frame.x[0] as u32;
    let [x1, x2, x3] = [frame.x[1], frame.x[2], frame.x[3]];
    if rvid::Vm::owns(fid.into()) {
        return interrupt_call(g, cpu, frame, fid);
    }
    // The 32-bit IDs of the PSCI calls that also have 64-bit ones
    // (CPU_SUSPEND, CPU_ON, AFFINITY_INFO) behave as those, arguments
    // truncated. CPU_OFF and the others exist only as 32-bit IDs.
    let (fid64, x1, x2, x3) = match fid {
        f if f & SMC32_BIT == 0 && [1, 3, 4].contains(&(f & 0xffff)) && f >> 16 == 0x8400 => (
            f | SMC32_BIT,
            x1 as u32 as u64,
            x2 as u32 as u64,
            x3 as u32 as u64,
        ),
        f => (f, x1, x2, x3),
    };
    let r0 = match fid64 {
        SMCCC_VERSION => 0x1_0001,
        SMCCC_ARCH_FEATURES => match x1 as u32 {
            SMCCC_VERSION | SMCCC_ARCH_FEATURES => 0,
            _ => NOT_SUPPORTED,
        },
        PSCI_VERSION => 0x1_0001,
        PSCI_FEATURES => match x1 as u32 {
            f if PSCI_CALLS.contains(&f) || PSCI_CALLS.contains(&(f | SMC32_BIT)) => 0,
            _ => NOT_SUPPORTED,
        },
        PSCI_MIGRATE_INFO_TYPE => 2, // no Trusted OS to migrate
        PSCI_CPU_ON => cpu_on(g, x1, x2, x3),
        PSCI_AFFINITY_INFO => affinity_info(g, x1, x2),
        PSCI_CPU_SUSPEND => {
            // A standby state: wait like WFI for something to deliver.
            vcpu::idle(g, cpu);
            0
        }
        PSCI_CPU_OFF => {
            vcpu::power_off_self(g, cpu, frame);
            return;
        }
        PSCI_SYSTEM_OFF | PSCI_SYSTEM_RESET => system(g, fid64),
        _ => NOT_SUPPORTED,
    };
    // The result is x0; unused result registers are zero (the ABI's rule,
    // applied to every call this hypervisor answers).
    frame.x[..4].copy_from_slice(&[r0, 0, 0, 0]);
}

/// A vCPU by the MPIDR a guest passes (affinity fields only).
fn vcpu_of(g: &Guest, mpidr: u64) -> Option<usize> {
    g.vm.vcpu_of(mpidr & rvid::rvic::AFFINITY_MASK)
        .filter(|_| mpidr & !rvid::rvic::AFFINITY_MASK == 0)
}

fn cpu_on(g: &Guest, target: u64, entry: u64, context: u64) -> u64 {
    let Some(t) = vcpu_of(g, target) else {
        return INVALID_PARAMETERS;
    };
    if !g.in_ram(entry) {
        return INVALID_ADDRESS;
    }
    let v = &g.vcpus[t];
    // Claim the vCPU first (OFF -> BOOKING), then publish where it starts:
    // a concurrent CPU_ON that loses the claim can never change the entry.
    match v
        .power
        .compare_exchange(power::OFF, power::BOOKING, AcqRel, Acquire)
    {
        Ok(_) => {
            v.entry.store(entry, Relaxed);
            v.context.store(context, Relaxed);
            v.power.store(power::ON_PENDING, Release);
            let mut set = VcpuSet::EMPTY;
            set.insert(t);
            vcpu::kick(g, set);
            0
        }
        Err(power::ON) => ALREADY_ON,
        Err(_) => ON_PENDING,
    }
}

fn affinity_info(g: &Guest, target: u64, level: u64) -> u64 {
    if level != 0 {
        return INVALID_PARAMETERS;
    }
    match vcpu_of(g, target).map(|t| g.vcpus[t].power.load(Acquire)) {
        None => INVALID_PARAMETERS,
        Some(power::ON) => 0,
        Some(power::OFF) => 1,
        Some(_) => 2,
    }
}

/// SYSTEM_OFF / SYSTEM_RESET: report the counters, then ask the firmware.
fn system(g: &Guest, fid: u32) -> u64 {
    report::counters(g);
    let off = fid == PSCI_SYSTEM_OFF;
    log::info!(
        "guest asked for system {}",
        if off { "off" } else { "reset" }
    );
    if let Some(p) = board::get().psci() {
        let f = if off {
            smccc::PSCI_SYSTEM_OFF
        } else {
            smccc::PSCI_SYSTEM_RESET
        };
        smccc::call(p.conduit, f, 0, 0, 0);
    }
    crate::arch::park()
}

/// An rVIC or rVID call: one call into the controller, plus what only the
/// hypervisor can do: tell RESAMPLE the true state of the level source
/// (read from the hardware), release the physical source after it, steer a
/// MAPped line to its vCPU's CPU, kick.
fn interrupt_call(g: &Guest, cpu: usize, frame: &mut TrapFrame, fid: u32) {
    let b = board::get();
    let [x1, x2, x3] = [frame.x[1], frame.x[2], frame.x[3]];
    // An active level interrupt at the GIC is also pending exactly while
    // its line is asserted; the virtual timer's output is in CNTV_CTL.
    let r =
        g.vm.hypercall_sampling(cpu, fid.into(), x1, x2, x3, |source| match source {
            Source::Trusted {
                intid: VTIMER_INTID,
                ..
            } => Some(hw::vtimer_asserted()),
            Source::Trusted { .. } => None,
            Source::Input(n) => g.inputs.get(n).map(|l| b.gic.is_pending(l.spi)),
        });
    frame.x[..4].copy_from_slice(&r.regs);
    if let Some(res) = r.resampled.filter(|res| !res.asserted) {
        match res.source {
            Source::Trusted {
                intid: VTIMER_INTID,
                ..
            } => b.gic.deactivate(b.platform.timer.virt.intid),
            Source::Trusted { .. } => {}
            Source::Input(n) => {
                if let Some(line) = g.inputs.get(n).filter(|l| l.level) {
                    b.gic.clear_active(line.spi);
                }
            }
        }
    }
    if Call::from_fid(fid.into()) == Some(Call::Map) && r.regs[0] == 0 {
        // Steer the physical line to the CPU that runs the new target.
        if let (Some(line), Some(route)) = (g.inputs.get(x1 as usize), g.vm.route(x1 as usize)) {
            b.gic.route(line.spi, b.cpu(route.vcpu));
        }
    }
    vcpu::kick(g, r.kick);
}
