// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The EL1 virtual timer as the rVIC's level source on a trusted INTID
//! (27 by the spec, read from the device tree): it fires repeatedly with
//! RESAMPLE and CLEAR_MASKED between, RESAMPLE while it is still asserted
//! makes it pending again, and once disabled and RESAMPLEd it stays quiet.

use selftest::abi::*;
use selftest::dt::LEVEL_HIGH;
use selftest::ensure;
use selftest::report::Outcome;

use super::*;
use crate::{arch, println};

const PERIOD_US: u64 = 5_000;
const FIRES: u32 = 5;
const CTL_ENABLE: u64 = 1;

fn arm(us: u64) {
    arch::vtimer_cval(arch::counter() + us * arch::counter_freq() / 1_000_000);
}

pub fn run(ctx: &Ctx) {
    let Some((intid, flags)) = ctx.info.vtimer else {
        let why = selftest::msg!("the timer node has no third interrupt on the rvic");
        check(
            format_args!("device tree: the virtual timer's rVIC INTID"),
            Err(why),
        );
        return;
    };
    check(
        format_args!(
            "device tree: the virtual timer is rVIC INTID 27, level (got {intid}, flags {flags})"
        ),
        match (intid, flags) {
            (27, LEVEL_HIGH) => Ok(()),
            _ => Err(selftest::msg!("expected <27 4>")),
        },
    );
    let x = u64::from(intid);
    check(
        format_args!("virtual timer (INTID {x}) fires {FIRES} times with RESAMPLE and CLEAR_MASKED between; RESAMPLE while asserted re-pends it"),
        fires(ctx, x),
    );
    check(
        format_args!("virtual timer stays quiet once disabled and RESAMPLEd"),
        quiet(ctx, x),
    );
    arch::vtimer_ctl(0);
    if (arch::hostile::isar2() & 0xf) >= 2 {
        check(
            format_args!(
                "WFIT with nothing to wake it returns at its deadline, and at once past it"
            ),
            wfit(ctx, x),
        );
    } else {
        check(format_args!("WFIT # SKIP no FEAT_WFxT"), Ok(()));
    }
}

/// How late a WFIT may return after its deadline (µs), and when the
/// backstop (the virtual timer, masked at the rVIC, so only the
/// hypervisor sees it fire) ends a wait that ignored its deadline.
const WFIT_LATE_US: u64 = 50_000;
const WFIT_BACKSTOP_US: u64 = 500_000;

/// WFIT with a 10 ms deadline and no interrupt to come (IRQs masked, the
/// timer's INTID masked): it returns at the deadline, in a few waits at
/// most (a WFIT that returned at once would loop thousands of times).
/// One with a deadline already past returns at once.
fn wfit(ctx: &Ctx, x: u64) -> Outcome {
    let me = ctx.me();
    let us = |t: u64| t * 1_000_000 / arch::counter_freq();
    arch::irqs_off();
    ok(RVIC_SET_MASKED, [me, x, 0])?;
    arm(WFIT_BACKSTOP_US);
    arch::vtimer_ctl(CTL_ENABLE);
    let start = arch::counter();
    let deadline = start + 10_000 * arch::counter_freq() / 1_000_000;
    let mut waits = 0;
    while arch::counter() < deadline && waits < 100_000 {
        arch::wfit(deadline);
        waits += 1;
    }
    let end = arch::counter();
    let t = arch::counter();
    arch::wfit(t - 1);
    let past = arch::counter() - t;
    arch::vtimer_ctl(0);
    ok(RVIC_RESAMPLE, [x, 0, 0])?;
    ok(RVIC_CLEAR_PENDING, [me, x, 0])?;
    arch::irqs_on();
    println!(
        "# WFIT: returned {} us after its 10 ms deadline, in {waits} wait(s); past its deadline in {} us",
        us(end.saturating_sub(deadline)),
        us(past)
    );
    ensure!(
        end >= deadline && us(end - deadline) < WFIT_LATE_US,
        "a 10 ms WFIT returned {} us after its deadline",
        us(end.saturating_sub(deadline))
    );
    ensure!(
        waits <= 10,
        "{waits} WFITs to reach a 10 ms deadline: it returns at once"
    );
    ensure!(
        us(past) < WFIT_LATE_US,
        "a WFIT past its deadline took {} us",
        us(past)
    );
    Ok(())
}

fn fires(ctx: &Ctx, x: u64) -> Outcome {
    fires_here(ctx.me(), x)
}

/// [`fires`] on the calling vCPU, whose target is `me`; afterwards its
/// timer is off and its INTID masked.
pub fn fires_here(me: u64, x: u64) -> Outcome {
    let cpu = arch::cpu_index();
    arch::vtimer_ctl(0);
    ok(RVIC_SET_MASKED, [me, x, 0])?;
    ok(RVIC_CLEAR_PENDING, [me, x, 0])?;
    ok(RVIC_RESAMPLE, [x, 0, 0])?;
    let a = acks(cpu, x);
    arm(PERIOD_US);
    arch::vtimer_ctl(CTL_ENABLE);
    ok(RVIC_CLEAR_MASKED, [me, x, 0])?;
    for k in 1..=FIRES {
        ensure!(
            wait_for(ARRIVAL, || acks(cpu, x) >= a + k),
            "fire {k}: INTID {x} was not acknowledged"
        );
        ensure!(
            acks(cpu, x) == a + k,
            "fire {k}: {} acknowledgements",
            acks(cpu, x) - a
        );
        if k == FIRES {
            break;
        }
        if k == 1 {
            // The deadline has passed and the timer is enabled: still asserted.
            ok(RVIC_RESAMPLE, [x, 0, 0])?;
            ensure!(
                wait_for(ARRIVAL, || pending(me, x)),
                "RESAMPLE with the timer still asserted left INTID {x} not pending"
            );
        } else {
            arm(PERIOD_US);
            ok(RVIC_RESAMPLE, [x, 0, 0])?;
        }
        ok(RVIC_CLEAR_MASKED, [me, x, 0])?;
    }
    Ok(())
}

/// For the check after the burst, on the calling vCPU: its timer fires as
/// in [`fires`], then is switched off, RESAMPLEd and masked. 0 if it
/// passed, else 1.
pub fn fires_after_burst() -> u64 {
    let Some(ctx) = CTX.get() else {
        return 1;
    };
    let Some((x, _)) = ctx.info.vtimer else {
        return 1;
    };
    let (me, x) = (ctx.mpidr(arch::cpu_index()), u64::from(x));
    let passed = fires_here(me, x).is_ok();
    arch::vtimer_ctl(0);
    arch::hvc(RVIC_RESAMPLE, [x, 0, 0]);
    arch::hvc(RVIC_SET_MASKED, [me, x, 0]);
    u64::from(!passed)
}

fn quiet(ctx: &Ctx, x: u64) -> Outcome {
    let me = ctx.me();
    arch::vtimer_ctl(0);
    ok(RVIC_RESAMPLE, [x, 0, 0])?;
    ok(RVIC_CLEAR_MASKED, [me, x, 0])?;
    let a = acks(0, x);
    ensure!(
        holds_for(4 * PERIOD_US, || acks(0, x) == a),
        "INTID {x} was delivered after the timer was disabled"
    );
    expect(RVIC_IS_PENDING, [me, x, 0], SUCCESS, 0)?;
    ok(RVIC_SET_MASKED, [me, x, 0])
}
