// SPDX-License-Identifier: Apache-2.0 OR MIT
//! ACKNOWLEDGE_UNMASKED, the call ABI 0.4 adds (`rvhyp.abi=0.4`): the
//! INTID ACKNOWLEDGE would return, made not pending but left unmasked, so
//! a handler completes it with no CLEAR_MASKED. Under 0.3 its function ID
//! answers NOT_SUPPORTED and takes nothing. Runs on vCPU 0 after the timer
//! checks; IRQs are masked at PSTATE but where a check says otherwise, and
//! each check leaves its INTIDs masked and not pending (the IPIs unmasked).

use selftest::abi::*;
use selftest::ensure;
use selftest::report::Outcome;

use super::*;
use crate::{arch, exception, mailbox};

/// SIGNALs in turn that the handler check expects delivered.
const ROUNDS: u32 = 8;
const CTL_ENABLE: u64 = 1;

/// The virtual IRQ line as this vCPU sees it: ISR_EL1.I.
fn line() -> bool {
    arch::isr() & 1 << 7 != 0
}

pub fn run(ctx: &Ctx) {
    arch::irqs_off();
    let me = ctx.me();
    if !ctx.v0_4() {
        check(
            format_args!("ABI 0.3: ACKNOWLEDGE_UNMASKED (0xC500020B) answers NOT_SUPPORTED and leaves a deliverable INTID pending"),
            refused(me),
        );
        clean(me, SPARE);
        arch::irqs_on();
        return;
    }
    check(
        format_args!("ACKNOWLEDGE_UNMASKED returns a SIGNALled INTID not pending and unmasked: the IRQ line (ISR_EL1.I) drops, and a second SIGNAL raises it again with no CLEAR_MASKED"),
        returns(me),
    );
    clean(me, SPARE);
    check(
        format_args!("ACKNOWLEDGE_UNMASKED answers NO_INTERRUPTS with nothing deliverable (a masked pending INTID included) and DISABLED on a disabled instance, taking nothing"),
        empty_and_disabled(me),
    );
    clean(me, SPARE);
    check(
        format_args!("ACKNOWLEDGE_UNMASKED is fair: with the 16 IPIs kept deliverable by SIGNAL alone, each comes within T+U acknowledgements"),
        fairness(ctx),
    );
    let sender = ctx.n() - 1;
    check(
        format_args!("with ACKNOWLEDGE_UNMASKED in the IRQ handler and no CLEAR_MASKED, {ROUNDS} SIGNALs in turn from vCPU {sender} are each taken through the IRQ vector once"),
        handler(ctx, sender),
    );
    clean(me, SPARE);
    if let Some((x, _)) = ctx.info.vtimer {
        let x = u64::from(x);
        check(
            format_args!("virtual timer (INTID {x}) taken by ACKNOWLEDGE_UNMASKED: not pending again before RESAMPLE while still asserted, pending after it; quiet once disabled and RESAMPLEd"),
            level(me, x),
        );
        arch::vtimer_ctl(0);
        arch::hvc(RVIC_RESAMPLE, [x, 0, 0]);
        clean(me, x);
    }
    arch::irqs_on();
}

/// Masked and not pending again.
fn clean(me: u64, intid: u64) {
    arch::hvc(RVIC_SET_MASKED, [me, intid, 0]);
    arch::hvc(RVIC_CLEAR_PENDING, [me, intid, 0]);
}

fn refused(me: u64) -> Outcome {
    ok(RVIC_CLEAR_MASKED, [me, SPARE, 0])?;
    ok(RVIC_SIGNAL, [me, SPARE, 0])?;
    expect(RVIC_ACKNOWLEDGE_UNMASKED, [0; 3], NOT_SUPPORTED, 0)?;
    expect(RVIC_IS_PENDING, [me, SPARE, 0], SUCCESS, 1)?;
    expect(RVIC_ACKNOWLEDGE, [0; 3], SUCCESS, SPARE)
}

fn returns(me: u64) -> Outcome {
    ok(RVIC_CLEAR_MASKED, [me, SPARE, 0])?;
    ok(RVIC_SIGNAL, [me, SPARE, 0])?;
    ensure!(
        wait_for(ARRIVAL, line),
        "a SIGNAL of an unmasked INTID left the IRQ line low"
    );
    expect(RVIC_ACKNOWLEDGE_UNMASKED, [0; 3], SUCCESS, SPARE)?;
    expect(RVIC_IS_PENDING, [me, SPARE, 0], SUCCESS, 0)?;
    ensure!(
        holds_for(QUIET, || !line()),
        "the IRQ line stayed high with nothing pending"
    );
    ok(RVIC_SIGNAL, [me, SPARE, 0])?;
    ensure!(
        wait_for(ARRIVAL, line),
        "a second SIGNAL left the IRQ line low: the INTID was left masked"
    );
    expect(RVIC_ACKNOWLEDGE_UNMASKED, [0; 3], SUCCESS, SPARE)?;
    expect(RVIC_ACKNOWLEDGE_UNMASKED, [0; 3], NO_INTERRUPTS, 0)
}

fn empty_and_disabled(me: u64) -> Outcome {
    expect(RVIC_ACKNOWLEDGE_UNMASKED, [0; 3], NO_INTERRUPTS, 0)?;
    ok(RVIC_SET_MASKED, [me, SPARE, 0])?;
    ok(RVIC_SIGNAL, [me, SPARE, 0])?;
    expect(RVIC_ACKNOWLEDGE_UNMASKED, [0; 3], NO_INTERRUPTS, 0)?;
    expect(RVIC_IS_PENDING, [me, SPARE, 0], SUCCESS, 1)?;
    ok(RVIC_CLEAR_MASKED, [me, SPARE, 0])?;
    ok(RVIC_DISABLE, [0; 3])?;
    let r = expect(RVIC_ACKNOWLEDGE_UNMASKED, [7, 8, 9], DISABLED, 0)
        .and_then(|_| expect(RVIC_IS_PENDING, [me, SPARE, 0], SUCCESS, 1));
    ok(RVIC_ENABLE, [0; 3])?;
    r?;
    expect(RVIC_ACKNOWLEDGE_UNMASKED, [0; 3], SUCCESS, SPARE)
}

/// As the ACKNOWLEDGE fairness check, but nothing is unmasked again: the
/// IPIs stay deliverable by SIGNAL alone.
fn fairness(ctx: &Ctx) -> Outcome {
    let (me, limit) = (ctx.me(), ctx.intids());
    let r = (|| {
        for k in 0..IPIS {
            ok(RVIC_CLEAR_MASKED, [me, k, 0])?;
            ok(RVIC_SIGNAL, [me, k, 0])?;
        }
        super::delivery::longest_wait(RVIC_ACKNOWLEDGE_UNMASKED, limit, |k| {
            ok(RVIC_SIGNAL, [me, k, 0])
        })
    })();
    for k in 0..IPIS {
        arch::hvc(RVIC_CLEAR_PENDING, [me, k, 0]);
    }
    r
}

/// The IPI of the 3-entry path: vCPU `sender` SIGNALs, this vCPU's handler
/// acknowledges with ACKNOWLEDGE_UNMASKED and returns.
fn handler(ctx: &Ctx, sender: usize) -> Outcome {
    let me = ctx.me();
    ok(RVIC_CLEAR_MASKED, [me, SPARE, 0])?;
    let a = acks(0, SPARE);
    exception::acknowledge_unmasked(true);
    arch::irqs_on();
    let r = (|| {
        for k in 1..=ROUNDS {
            let c = mailbox::call_on(sender, RVIC_SIGNAL, [me, SPARE, 0]);
            c.ok_or(selftest::msg!("vCPU {sender} did not answer"))?
                .expect(SUCCESS, 0)?;
            ensure!(
                wait_for(ARRIVAL, || acks(0, SPARE) >= a + k),
                "SIGNAL {k} was not delivered ({} before it)",
                acks(0, SPARE) - a
            );
        }
        ensure!(
            holds_for(QUIET, || acks(0, SPARE) == a + ROUNDS),
            "{} deliveries of {ROUNDS} SIGNALs",
            acks(0, SPARE) - a
        );
        expect(RVIC_IS_PENDING, [me, SPARE, 0], SUCCESS, 0)
    })();
    arch::irqs_off();
    exception::acknowledge_unmasked(false);
    r
}

fn level(me: u64, x: u64) -> Outcome {
    arch::vtimer_ctl(0);
    ok(RVIC_SET_MASKED, [me, x, 0])?;
    ok(RVIC_CLEAR_PENDING, [me, x, 0])?;
    ok(RVIC_RESAMPLE, [x, 0, 0])?;
    arch::vtimer_cval(arch::counter());
    arch::vtimer_ctl(CTL_ENABLE);
    ok(RVIC_CLEAR_MASKED, [me, x, 0])?;
    ensure!(
        wait_for(ARRIVAL, || pending(me, x)),
        "the timer did not fire"
    );
    expect(RVIC_ACKNOWLEDGE_UNMASKED, [0; 3], SUCCESS, x)?;
    ensure!(
        holds_for(4 * QUIET, || !pending(me, x) && !line()),
        "INTID {x} was pending again before RESAMPLE"
    );
    ok(RVIC_RESAMPLE, [x, 0, 0])?;
    ensure!(
        wait_for(ARRIVAL, || pending(me, x) && line()),
        "RESAMPLE with the timer still asserted left INTID {x} not pending"
    );
    expect(RVIC_ACKNOWLEDGE_UNMASKED, [0; 3], SUCCESS, x)?;
    arch::vtimer_ctl(0);
    ok(RVIC_RESAMPLE, [x, 0, 0])?;
    ensure!(
        holds_for(QUIET, || !pending(me, x) && !line()),
        "INTID {x} was pending after the timer was disabled and RESAMPLEd"
    );
    Ok(())
}
