// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Delivery through the IRQ vector: what masking, pending, DISABLE/ENABLE
//! and edge merging do, seen through the IRQ handler's ACKNOWLEDGEs; the
//! fairness of ACKNOWLEDGE; SIGNAL from every vCPU to every vCPU, one pair
//! at a time and all senders at once, against the reference bookkeeping.

use selftest::abi::*;
use selftest::ensure;
use selftest::report::Outcome;
use selftest::tally::Expect;

use super::*;
use crate::exception::TALLY;
use crate::{arch, mailbox};

pub fn run(ctx: &Ctx) {
    arch::irqs_on();
    let e = ctx.intids() - 1;
    check(
        format_args!("a SIGNALled masked INTID raises no IRQ and reads pending"),
        masked(ctx),
    );
    check(
        format_args!("CLEAR_MASKED delivers it through the IRQ vector; ACKNOWLEDGE returns it once and masks it"),
        unmask(ctx),
    );
    check(
        format_args!("CLEAR_PENDING before unmasking: nothing is delivered"),
        cleared(ctx),
    );
    check(
        format_args!("DISABLE keeps a pending unmasked INTID without an IRQ (ACKNOWLEDGE: DISABLED); ENABLE delivers it"),
        disabled(ctx),
    );
    check(
        format_args!("edge semantics: two SIGNALs of INTID {e} while masked are one delivery; a later SIGNAL is another"),
        edge(ctx),
    );
    check(
        format_args!("ACKNOWLEDGE is fair: a deliverable INTID comes within T+U acknowledgements"),
        fairness(ctx),
    );
    let n = ctx.n();
    check(
        format_args!("SIGNAL from each of {n} vCPUs to each, one at a time: taken via the IRQ vector, acknowledged exactly once"),
        matrix(ctx),
    );
    check(
        format_args!(
            "SIGNAL from all {n} vCPUs to each vCPU at once: every INTID acknowledged exactly once"
        ),
        concurrent(ctx),
    );
}

fn masked(ctx: &Ctx) -> Outcome {
    let me = ctx.me();
    ok(RVIC_SET_MASKED, [me, SPARE, 0])?;
    let entries = TALLY.entries(0);
    ok(RVIC_SIGNAL, [me, SPARE, 0])?;
    ensure!(
        holds_for(QUIET, || TALLY.entries(0) == entries),
        "an IRQ was taken for a masked INTID"
    );
    expect(RVIC_IS_PENDING, [me, SPARE, 0], SUCCESS, 1)
}

fn unmask(ctx: &Ctx) -> Outcome {
    let me = ctx.me();
    let a = acks(0, SPARE);
    ok(RVIC_CLEAR_MASKED, [me, SPARE, 0])?;
    ensure!(
        wait_for(ARRIVAL, || acks(0, SPARE) > a),
        "INTID {SPARE} was not acknowledged in the IRQ handler ({} IRQ entries)",
        TALLY.entries(0)
    );
    expect(RVIC_IS_PENDING, [me, SPARE, 0], SUCCESS, 0)?;
    ok(RVIC_SIGNAL, [me, SPARE, 0])?;
    ensure!(
        holds_for(QUIET, || acks(0, SPARE) == a + 1),
        "{} deliveries; ACKNOWLEDGE must leave the INTID masked",
        acks(0, SPARE) - a
    );
    expect(RVIC_IS_PENDING, [me, SPARE, 0], SUCCESS, 1)
}

fn cleared(ctx: &Ctx) -> Outcome {
    let me = ctx.me();
    let (a, entries) = (acks(0, SPARE), TALLY.entries(0));
    ok(RVIC_CLEAR_PENDING, [me, SPARE, 0])?;
    expect(RVIC_IS_PENDING, [me, SPARE, 0], SUCCESS, 0)?;
    ok(RVIC_CLEAR_MASKED, [me, SPARE, 0])?;
    ensure!(
        holds_for(QUIET, || TALLY.entries(0) == entries),
        "an IRQ was taken ({} acknowledgement(s))",
        acks(0, SPARE) - a
    );
    ok(RVIC_SET_MASKED, [me, SPARE, 0])
}

fn disabled(ctx: &Ctx) -> Outcome {
    let me = ctx.me();
    let (a, entries) = (acks(0, SPARE), TALLY.entries(0));
    ok(RVIC_SIGNAL, [me, SPARE, 0])?;
    ok(RVIC_DISABLE, [0; 3])?;
    let r = (|| {
        ok(RVIC_CLEAR_MASKED, [me, SPARE, 0])?;
        ensure!(
            holds_for(QUIET, || TALLY.entries(0) == entries),
            "an IRQ was taken while disabled"
        );
        expect(RVIC_IS_PENDING, [me, SPARE, 0], SUCCESS, 1)?;
        expect(RVIC_ACKNOWLEDGE, [0; 3], DISABLED, 0)
    })();
    ok(RVIC_ENABLE, [0; 3])?;
    r?;
    ensure!(
        wait_for(ARRIVAL, || acks(0, SPARE) == a + 1),
        "{} acknowledgement(s) after ENABLE, expected 1",
        acks(0, SPARE) - a
    );
    Ok(())
}

fn edge(ctx: &Ctx) -> Outcome {
    let (me, e) = (ctx.me(), ctx.intids() - 1);
    let a = acks(0, e);
    ok(RVIC_SET_MASKED, [me, e, 0])?;
    ok(RVIC_SIGNAL, [me, e, 0])?;
    ok(RVIC_SIGNAL, [me, e, 0])?;
    ok(RVIC_CLEAR_MASKED, [me, e, 0])?;
    wait_for(ARRIVAL, || acks(0, e) > a);
    ensure!(
        holds_for(QUIET, || acks(0, e) == a + 1),
        "{} deliveries of two merged SIGNALs",
        acks(0, e) - a
    );
    ok(RVIC_CLEAR_MASKED, [me, e, 0])?;
    ok(RVIC_SIGNAL, [me, e, 0])?;
    ensure!(
        wait_for(ARRIVAL, || acks(0, e) == a + 2),
        "a SIGNAL after the acknowledgement was not delivered"
    );
    ok(RVIC_SET_MASKED, [me, e, 0])
}

/// With PSTATE.I set, keep the 16 IPIs deliverable (each re-SIGNALled and
/// unmasked when acknowledged) and measure the longest wait of any.
fn fairness(ctx: &Ctx) -> Outcome {
    let (me, limit) = (ctx.me(), ctx.intids());
    arch::irqs_off();
    let r = (|| {
        for k in 0..IPIS {
            ok(RVIC_SIGNAL, [me, k, 0])?;
            ok(RVIC_CLEAR_MASKED, [me, k, 0])?;
        }
        longest_wait(RVIC_ACKNOWLEDGE, limit, |k| {
            ok(RVIC_SIGNAL, [me, k, 0])?;
            ok(RVIC_CLEAR_MASKED, [me, k, 0])
        })
    })();
    for _ in 0..2 * IPIS {
        if arch::hvc(RVIC_ACKNOWLEDGE, [0; 3]).status() != SUCCESS {
            break;
        }
    }
    for k in 0..IPIS {
        ok(RVIC_CLEAR_MASKED, [me, k, 0])?;
    }
    arch::irqs_on();
    r
}

/// The fairness measurement both acknowledgements share: with the IPIs
/// deliverable, `3 × limit` acknowledgements by `ack`, each INTID made
/// deliverable again by `rearm`; no INTID may wait more than `limit`
/// (T+U) acknowledgements, counting to the end of the run.
pub(super) fn longest_wait(ack: u32, limit: u64, rearm: impl Fn(u64) -> Outcome) -> Outcome {
    let (mut last, mut worst) = ([0u64; IPIS as usize], 0);
    let rounds = 3 * limit;
    for i in 1..=rounds {
        let c = arch::hvc(ack, [0; 3]);
        ensure!(
            c.status() == SUCCESS && c.value() < IPIS,
            "{c} answered {:x?}",
            c.ret
        );
        let k = c.value();
        worst = worst.max(i - last[k as usize]);
        last[k as usize] = i;
        rearm(k)?;
    }
    worst = last.iter().fold(worst, |w, &l| w.max(rounds + 1 - l));
    ensure!(
        worst <= limit,
        "an INTID waited {worst} acknowledgements (T+U = {limit})"
    );
    Ok(())
}

/// Unmask the IPIs on every vCPU.
fn unmask_ipis(ctx: &Ctx) -> Outcome {
    for cpu in 0..ctx.n() {
        for k in 0..IPIS {
            ok(RVIC_CLEAR_MASKED, [ctx.mpidr(cpu), k, 0])?;
        }
    }
    Ok(())
}

/// vCPU `s` signals INTID `s % 16` to every vCPU in turn, for every `s`.
pub fn matrix(ctx: &Ctx) -> Outcome {
    unmask_ipis(ctx)?;
    delay(QUIET);
    TALLY.clear_acks();
    let mut expect = Expect::new();
    for s in 0..ctx.n() {
        let k = s as u64 % IPIS;
        for t in 0..ctx.n() {
            let before = acks(t, k);
            let c = mailbox::call_on(s, RVIC_SIGNAL, [ctx.mpidr(t), k, 0]);
            c.ok_or(selftest::msg!("vCPU {s} did not make its call"))?
                .expect(SUCCESS, 0)?;
            expect.add(t, k);
            ensure!(
                wait_for(ARRIVAL, || acks(t, k) > before),
                "SIGNAL INTID {k} from vCPU {s} to vCPU {t} was not acknowledged"
            );
        }
    }
    delay(QUIET);
    TALLY.compare(&expect, ctx.n(), ctx.intids() as usize)
}

/// For each target, every vCPU signals it at once, each with its own INTID.
fn concurrent(ctx: &Ctx) -> Outcome {
    let n = ctx.n();
    delay(QUIET);
    TALLY.clear_acks();
    let mut expect = Expect::new();
    for t in 0..n {
        for s in 1..n {
            mailbox::post(s, RVIC_SIGNAL, [ctx.mpidr(t), s as u64, 0]);
        }
        ok(RVIC_SIGNAL, [ctx.mpidr(t), 0, 0])?;
        expect.add(t, 0);
        for s in 1..n {
            let c = mailbox::wait(s, ARRIVAL);
            c.ok_or(selftest::msg!("vCPU {s} did not make its call"))?
                .expect(SUCCESS, 0)?;
            expect.add(t, s as u64);
        }
    }
    let all = ctx.intids() as usize;
    wait_for(ARRIVAL, || TALLY.compare(&expect, n, all).is_ok());
    delay(QUIET);
    TALLY.compare(&expect, n, all)
}
