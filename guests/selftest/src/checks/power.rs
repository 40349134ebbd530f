// SPDX-License-Identifier: Apache-2.0 OR MIT
//! vCPU power through PSCI: starting every vCPU, the PSCI and SMCCC query
//! answers, and CPU_OFF/CPU_ON cycles of one vCPU with AFFINITY_INFO
//! following and SIGNAL reaching it after each start.

use selftest::abi::*;
use selftest::ensure;
use selftest::report::Outcome;

use super::{acks, check, ok, wait_for, Ctx, ARRIVAL};
use crate::{arch, mailbox};

/// How long a vCPU may take to start or stop (µs).
const POWER: u64 = 1_000_000;
const CYCLES: u32 = 3;

fn affinity(mpidr: u64) -> i32 {
    arch::hvc(PSCI_AFFINITY_INFO, [mpidr, 0, 0]).ret[0] as u32 as i32
}

/// CPU_ON vCPU `cpu` and wait until it has run its start-up (ENABLE).
fn start(ctx: &Ctx, cpu: usize) -> Outcome {
    let before = mailbox::boots(cpu);
    let entry = arch::secondary_entry_addr();
    arch::hvc(PSCI_CPU_ON, [ctx.mpidr(cpu), entry, cpu as u64]).expect_w0(PSCI_SUCCESS)?;
    ensure!(
        wait_for(POWER, || mailbox::boots(cpu) > before),
        "vCPU {cpu} did not reach its entry point (AFFINITY_INFO {})",
        affinity(ctx.mpidr(cpu))
    );
    ensure!(
        mailbox::enable_status(cpu) == SUCCESS,
        "its rVIC ENABLE answered {}",
        Status(mailbox::enable_status(cpu))
    );
    Ok(())
}

pub fn start_secondaries(ctx: &Ctx) {
    for cpu in 1..ctx.n() {
        check(
            format_args!(
                "PSCI CPU_ON starts vCPU {cpu} (MPIDR {:#x}); its rVIC ENABLE succeeds",
                ctx.mpidr(cpu)
            ),
            start(ctx, cpu),
        );
    }
}

pub fn psci_rows(ctx: &Ctx) {
    let w0 = |fid, args: [u64; 3], want: i32, what| {
        let c = arch::hvc(fid, args);
        check(
            format_args!("{c} answers {want} ({what})"),
            c.expect_w0(want),
        );
    };
    w0(PSCI_VERSION, [0; 3], 0x1_0001, "PSCI 1.1");
    w0(
        PSCI_FEATURES,
        [PSCI_CPU_ON as u64, 0, 0],
        PSCI_SUCCESS,
        "implemented",
    );
    w0(
        PSCI_FEATURES,
        [RVIC_VERSION as u64, 0, 0],
        PSCI_NOT_SUPPORTED,
        "not PSCI",
    );
    w0(
        PSCI_AFFINITY_INFO,
        [ctx.me(), 0, 0],
        AFF_ON,
        "the caller is on",
    );
    let entry = arch::secondary_entry_addr();
    w0(
        PSCI_CPU_ON,
        [ctx.bad_target(), entry, 0],
        PSCI_INVALID_PARAMETERS,
        "no such vCPU",
    );
    if ctx.n() > 1 {
        let last = ctx.n() - 1;
        let args = [ctx.mpidr(last), entry, last as u64];
        w0(PSCI_CPU_ON, args, PSCI_ALREADY_ON, "a running vCPU");
    }
    let c = arch::hvc(SMCCC_VERSION, [0; 3]);
    let v = c.ret[0] as u32;
    check(
        format_args!("{c} is at least 1.1"),
        match v >= 0x1_0001 && v as i32 > 0 {
            true => Ok(()),
            false => Err(selftest::msg!("got {v:#x}")),
        },
    );
}

/// One CPU_OFF/CPU_ON cycle of vCPU `cpu`.
pub fn cycle(ctx: &Ctx, cpu: usize) -> Outcome {
    let m = ctx.mpidr(cpu);
    mailbox::post(cpu, PSCI_CPU_OFF, [0; 3]);
    ensure!(
        wait_for(POWER, || affinity(m) == AFF_OFF),
        "AFFINITY_INFO never said off (last {})",
        affinity(m)
    );
    ensure!(!mailbox::reset(cpu), "CPU_OFF returned to the vCPU");
    start(ctx, cpu)?;
    ensure!(
        affinity(m) == AFF_ON,
        "AFFINITY_INFO says {} after the start",
        affinity(m)
    );
    let k = 3;
    ok(RVIC_CLEAR_MASKED, [m, k, 0])?;
    let before = acks(cpu, k);
    ok(RVIC_SIGNAL, [m, k, 0])?;
    ensure!(
        wait_for(ARRIVAL, || acks(cpu, k) == before + 1),
        "SIGNAL INTID {k} to it: {} acknowledgement(s), expected 1",
        acks(cpu, k) - before
    );
    Ok(())
}

pub fn off_on_cycles(ctx: &Ctx) {
    if ctx.n() < 2 {
        check(
            format_args!("CPU_OFF/CPU_ON cycles # SKIP only one vCPU"),
            Ok(()),
        );
        return;
    }
    let cpu = ctx.n() - 1;
    for k in 1..=CYCLES {
        check(
            format_args!("CPU_OFF/CPU_ON cycle {k} of vCPU {cpu}: AFFINITY_INFO off then on, SIGNAL delivered"),
            cycle(ctx, cpu),
        );
    }
}
