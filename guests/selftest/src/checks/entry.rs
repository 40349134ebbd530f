// SPDX-License-Identifier: Apache-2.0 OR MIT
//! How the hypervisor makes this guest take an exception, and what a
//! CPU_ON gives a vCPU. An injected abort must enter EL1 as the
//! architecture would: PSTATE.PAN set if SCTLR_EL1.SPAN is 0 and kept if
//! it is 1, PSTATE.SSBS = SCTLR_EL1.DSSBS, PSTATE.DIT kept (each only if
//! the CPU has it), and a syndrome that says whether the access was a
//! store (WnR). A vCPU that CPU_OFF and CPU_ON cycle must find VBAR_EL1,
//! CNTKCTL_EL1, MDSCR_EL1 and CONTEXTIDR_EL1 reset, not as it left them.

use selftest::ensure;
use selftest::report::Outcome;

use super::*;
use crate::arch::{self, Pstate};
use crate::{exception, mailbox, println};

const ESR_WNR: u64 = 1 << 6;

/// One way into an injected abort: `field` set to `before` and the
/// SCTLR_EL1 bit `sctlr` (name, bit, value) as given; the handler must find
/// `field` = `want`.
struct Case {
    field: Pstate,
    sctlr: Option<(&'static str, u64, bool)>,
    before: bool,
    want: bool,
}

const CASES: [Case; 6] = [
    Case {
        field: Pstate::Pan,
        sctlr: Some(("SPAN", arch::SCTLR_SPAN, false)),
        before: false,
        want: true,
    },
    Case {
        field: Pstate::Pan,
        sctlr: Some(("SPAN", arch::SCTLR_SPAN, true)),
        before: false,
        want: false,
    },
    Case {
        field: Pstate::Pan,
        sctlr: Some(("SPAN", arch::SCTLR_SPAN, true)),
        before: true,
        want: true,
    },
    Case {
        field: Pstate::Ssbs,
        sctlr: Some(("DSSBS", arch::SCTLR_DSSBS, true)),
        before: false,
        want: true,
    },
    Case {
        field: Pstate::Ssbs,
        sctlr: Some(("DSSBS", arch::SCTLR_DSSBS, false)),
        before: true,
        want: false,
    },
    Case {
        field: Pstate::Dit,
        sctlr: None,
        before: true,
        want: true,
    },
];

/// Take an injected abort (a load from `probe`) as `case` says.
fn entry(case: &Case, probe: u64) -> Outcome {
    let f = case.field;
    let (sctlr, old) = (arch::sctlr(), f.get());
    if let Some((_, bit, on)) = case.sctlr {
        arch::set_sctlr(if on { sctlr | bit } else { sctlr & !bit });
    }
    f.set(case.before);
    let (_, caught) = exception::catching(|| arch::probe_load(probe));
    let after = f.get();
    f.set(old);
    arch::set_sctlr(sctlr);
    let Some((esr, _)) = caught else {
        return Err(selftest::msg!("the load did not abort"));
    };
    let got = arch::has_field(exception::caught_pstate(), f);
    ensure!(
        got == case.want,
        "the handler ran with PSTATE.{} = {}, expected {} (ESR {esr:#x})",
        f.name(),
        got as u8,
        case.want as u8
    );
    ensure!(
        after == case.before,
        "PSTATE.{} is {} after the handler returned, was {}",
        f.name(),
        after as u8,
        case.before as u8
    );
    Ok(())
}

fn wnr(store: bool, probe: u64) -> Outcome {
    let (_, caught) = exception::catching(|| {
        if store {
            arch::probe_store(probe)
        } else {
            arch::probe_load(probe);
        }
    });
    let Some((esr, _)) = caught else {
        return Err(selftest::msg!("no exception"));
    };
    let wnr = esr & ESR_WNR != 0;
    ensure!(wnr == store, "ESR {esr:#x}: WnR = {}", wnr as u8);
    Ok(())
}

/// One CPU_OFF/CPU_ON cycle of `cpu`: the registers it had set must come
/// back reset (zero).
fn el1_reset(ctx: &Ctx, cpu: usize) -> Outcome {
    let (_, set) = mailbox::el1_state(cpu);
    for (name, v) in mailbox::EL1_NAMES.iter().zip(set) {
        ensure!(v != 0, "vCPU {cpu} could not give {name} a non-reset value");
    }
    power::cycle(ctx, cpu)?;
    let (at_boot, _) = mailbox::el1_state(cpu);
    for ((name, v), old) in mailbox::EL1_NAMES.iter().zip(at_boot).zip(set) {
        ensure!(
            v == 0,
            "after CPU_ON {name} = {v:#x}, expected 0 (it was {old:#x} before CPU_OFF)"
        );
    }
    Ok(())
}

pub fn run(ctx: &Ctx) {
    // The first byte past guest RAM: outside the VM's map, mapped at stage 1.
    let probe = ctx.info.ram_base + ctx.info.ram_size;
    for f in Pstate::ALL.into_iter().filter(|f| !f.implemented()) {
        println!(
            "# SKIP PSTATE.{} on injected aborts: the CPU does not implement it",
            f.name()
        );
    }
    for case in CASES.iter().filter(|c| c.field.implemented()) {
        let f = case.field.name();
        let (b, w) = (case.before as u8, case.want as u8);
        match case.sctlr {
            Some((name, _, on)) => check(
                format_args!(
                    "an injected abort taken with SCTLR_EL1.{name} = {} and PSTATE.{f} = {b} enters EL1 with {f} = {w}",
                    on as u8
                ),
                entry(case, probe),
            ),
            None => check(
                format_args!("an injected abort taken with PSTATE.{f} = {b} enters EL1 with {f} = {w}"),
                entry(case, probe),
            ),
        }
    }
    for (store, what) in [(true, "store"), (false, "load")] {
        check(
            format_args!(
                "a {what} at IPA {probe:#x} aborts with ESR_EL1.WnR = {}",
                store as u8
            ),
            wnr(store, probe),
        );
    }
    if ctx.n() < 2 {
        println!("# SKIP EL1 state after CPU_ON: only one vCPU");
        return;
    }
    let cpu = ctx.n() - 1;
    check(
        format_args!(
            "CPU_OFF then CPU_ON of vCPU {cpu} resets VBAR_EL1, CNTKCTL_EL1, MDSCR_EL1, CONTEXTIDR_EL1"
        ),
        el1_reset(ctx, cpu),
    );
}
