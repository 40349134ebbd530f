// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The random-call burst: every vCPU at once makes [`CALLS`] calls (or as
//! many as `selftest.calls=` says: `scripts/soak`) from the
//! xorshift generator (rVIC/rVID with wild arguments, harmless PSCI/SMCCC
//! queries, random IDs; nothing that powers anything off). The hypervisor
//! must survive: afterwards VERSION still answers on every vCPU and, once
//! the guest has reset all interrupt state, SIGNAL/ACKNOWLEDGE still work.
//! Between the calls each vCPU also makes [`hostile`] accesses: a quarter
//! as many loads and stores to IPAs it does not own, and as many random
//! system-register accesses.

use selftest::abi::*;
use selftest::ensure;
use selftest::fuzz::{Rng, Scope};
use selftest::report::Outcome;

use super::*;
use crate::{arch, mailbox};
use core::sync::atomic::Ordering::Relaxed;

pub const CALLS: u64 = 2000;
const SEED: u64 = 0x5eed_2020_0103;
/// How long all the calls may take (µs): 30 s, plus 200 µs a call.
fn burst_time(calls: u64) -> u64 {
    30_000_000u64.saturating_add(calls.saturating_mul(200))
}

/// Make `count` random calls from `seed` on this vCPU.
pub fn calls(seed: u64, count: u64) {
    let Some(ctx) = CTX.get() else { return };
    let scope = Scope {
        mpidrs: ctx.info.mpidrs(),
        t: ctx.t,
        u: ctx.u,
    };
    let mut rng = Rng::new(seed);
    for i in 0..count {
        let (fid, args) = scope.call(&mut rng);
        arch::hvc(fid, args);
        if i % 4 == 3 {
            hostile::accesses(&mut rng, 1, |page| owns(ctx, page));
            hostile::sysregs(&mut rng, 1);
        }
    }
}

/// Whether the 4 KiB page at `page` is the VM's: its RAM or a device of
/// its own.
pub fn owns(ctx: &Ctx, page: u64) -> bool {
    let i = &ctx.info;
    let in_ram = (i.ram_base..i.ram_base + i.ram_size).contains(&page);
    let device = [i.uart, i.rtc]
        .into_iter()
        .flatten()
        .any(|d| d.base & !0xfff == page);
    in_ram || device
}

pub fn run(ctx: &Ctx) {
    let n = ctx.n();
    let calls = ctx.info.burst_calls.unwrap_or(CALLS);
    let seed = ctx.info.burst_seed.unwrap_or(SEED);
    check(
        format_args!("{calls} random calls (seed {seed:#x}) on each of {n} vCPUs at once: every vCPU comes back"),
        burst(ctx, calls, seed),
    );
    let t = &hostile::TOTALS;
    let (made, aborted) = (t.accesses.load(Relaxed), t.aborts.load(Relaxed));
    check(
        format_args!("during the burst, {made} loads and stores of every form to IPAs the VM does not own (the GIC, the hypervisor's UART and image, fw_cfg, unassigned MMIO): each a synchronous external abort"),
        if made == 0 || aborted != made {
            Err(selftest::msg!("{aborted} of {made} aborted"))
        } else {
            Ok(())
        },
    );
    let (sysregs, undefined) = (t.sysregs.load(Relaxed), t.undefined.load(Relaxed));
    check(
        format_args!("during the burst, {sysregs} random system-register reads and implementation-defined writes: each completed or was UNDEFINED ({undefined} were)"),
        if sysregs == 0 {
            Err(selftest::msg!("none was made"))
        } else {
            Ok(())
        },
    );
    check(
        format_args!(
            "after the burst, rVIC and rVID VERSION still answer 0.{} on every vCPU",
            ctx.version
        ),
        versions(ctx),
    );
    check(
        format_args!("after the burst, every vCPU re-ENABLEs and all INTIDs can be masked, cleared and unmapped"),
        reset(ctx),
    );
    check(
        format_args!("after the burst, {MODEL_CALLS} random SET_MASKED, CLEAR_MASKED, SIGNAL and CLEAR_PENDING calls{} by every vCPU at once on its own rVIC: IS_PENDING of every INTID, what ACKNOWLEDGE hands out and the IRQ line after every call match the vCPU's own model", if ctx.v0_4() { " (and ACKNOWLEDGE_UNMASKED)" } else { "" }),
        models(ctx, seed),
    );
    check(
        format_args!(
            "after the burst, SIGNAL between every pair of vCPUs is acknowledged exactly once"
        ),
        delivery::matrix(ctx),
    );
    check(
        format_args!("after the burst, every vCPU's virtual timer fires, RESAMPLEs and stays quiet as before"),
        timers(ctx),
    );
}

/// [`timer::fires_after_burst`] on every vCPU, one at a time.
fn timers(ctx: &Ctx) -> Outcome {
    ensure!(
        super::timer::fires_after_burst() == 0,
        "vCPU 0's timer did not fire as before"
    );
    for cpu in 1..ctx.n() {
        mailbox::post_timer(cpu);
        let c = mailbox::wait(cpu, 10 * ARRIVAL);
        let c = c.ok_or(selftest::msg!("vCPU {cpu} did not finish"))?;
        ensure!(c.ret[0] == 0, "vCPU {cpu}'s timer did not fire as before");
    }
    Ok(())
}

fn burst(ctx: &Ctx, count: u64, seed: u64) -> Outcome {
    for cpu in 1..ctx.n() {
        mailbox::post_burst(cpu, seed.wrapping_add(cpu as u64), count);
    }
    calls(seed, count);
    for cpu in 1..ctx.n() {
        ensure!(
            mailbox::wait(cpu, burst_time(count)).is_some(),
            "vCPU {cpu} did not finish its calls"
        );
    }
    Ok(())
}

fn versions(ctx: &Ctx) -> Outcome {
    for cpu in 0..ctx.n() {
        for fid in [RVIC_VERSION, RVID_VERSION] {
            let c = mailbox::call_on(cpu, fid, [0; 3]);
            c.ok_or(selftest::msg!("vCPU {cpu} did not answer"))?
                .expect(SUCCESS, ctx.version)?;
        }
    }
    Ok(())
}

fn reset(ctx: &Ctx) -> Outcome {
    arch::vtimer_ctl(0);
    for cpu in 0..ctx.n() {
        let c = mailbox::call_on(cpu, RVIC_ENABLE, [0; 3]);
        c.ok_or(selftest::msg!("vCPU {cpu} did not answer"))?
            .expect(SUCCESS, 0)?;
        for intid in 0..ctx.intids() {
            ok(RVIC_SET_MASKED, [ctx.mpidr(cpu), intid, 0])?;
            ok(RVIC_CLEAR_PENDING, [ctx.mpidr(cpu), intid, 0])?;
        }
    }
    for input in 0..ctx.u {
        ok(RVID_UNMAP, [input, 0, 0])?;
    }
    Ok(())
}

/// Calls each vCPU makes in [`model`].
const MODEL_CALLS: u64 = 2000;
/// The virtual timer's INTID: a level source, left alone by [`model`].
const VTIMER: u64 = 27;

fn models(ctx: &Ctx, seed: u64) -> Outcome {
    for cpu in 1..ctx.n() {
        mailbox::post_model(cpu, seed ^ (cpu as u64) << 32, MODEL_CALLS);
    }
    let mut results = [[0u64; 4]; selftest::MAX_CPUS];
    results[0] = model(seed, MODEL_CALLS);
    for (cpu, r) in results.iter_mut().enumerate().take(ctx.n()).skip(1) {
        let c = mailbox::wait(cpu, burst_time(MODEL_CALLS));
        *r = c.ok_or(selftest::msg!("vCPU {cpu} did not finish"))?.ret;
    }
    for (cpu, r) in results.iter().enumerate().take(ctx.n()) {
        ensure!(
            r[0] == 0 && r[1] == 0,
            "vCPU {cpu}: {} INTIDs differ from its model (first INTID {}), its IRQ line (ISR_EL1.I) was wrong after {} calls, {} acknowledged",
            r[0],
            r[2],
            r[1],
            r[3]
        );
    }
    Ok(())
}

/// On this vCPU, with IRQs masked at PSTATE: `count` random mask, unmask,
/// signal and clear calls on its own rVIC over every INTID but the timer's
/// (and, under ABI 0.4, ACKNOWLEDGE_UNMASKED: any pending unmasked INTID
/// of the model, or NO_INTERRUPTS if it has none), tracked in a model; then every INTID's IS_PENDING against the model, and
/// ACKNOWLEDGE until NO_INTERRUPTS, which must hand out exactly the pending
/// and unmasked ones; then everything masked and cleared again. After
/// every call that changes the model, and every ACKNOWLEDGE, the virtual
/// IRQ line (ISR_EL1.I) must say whether the model has an INTID pending and
/// unmasked: the ABI's notification rule, which lets a handler stop
/// without a last ACKNOWLEDGE. Starts from [`reset`]'s state (all masked,
/// none pending). Returns [INTID mismatches, calls after which the line
/// was wrong, first mismatching INTID, INTIDs acknowledged].
pub fn model(seed: u64, count: u64) -> [u64; 4] {
    let Some(ctx) = CTX.get() else {
        return [1, 0, 0, 0];
    };
    let me = ctx.mpidr(arch::cpu_index());
    let n = ctx.intids().min(selftest::MAX_INTIDS as u64);
    let mut masked = [true; selftest::MAX_INTIDS];
    let mut pending = [false; selftest::MAX_INTIDS];
    let (mut bad, mut first, mut acked) = (0u64, u64::MAX, 0u64);
    let mut wrong = |i: u64, bad: &mut u64| {
        *bad += 1;
        first = first.min(i);
    };
    // INTIDs pending and unmasked in the model, and calls after which the
    // line disagreed with it.
    let (mut live, mut line_bad) = (0u64, 0u64);
    let mut line = |live: u64| {
        let asserted = arch::isr() & 1 << 7 != 0;
        line_bad += u64::from(asserted != (live > 0));
    };
    arch::irqs_off();
    let mut rng = Rng::new(seed);
    let kinds = if ctx.v0_4() { 5 } else { 4 };
    for _ in 0..count {
        let i = rng.below(n);
        if i == VTIMER {
            continue;
        }
        let (fid, masked_to, pending_to) = match rng.below(kinds) {
            4 => {
                let c = arch::hvc(RVIC_ACKNOWLEDGE_UNMASKED, [0; 3]);
                let k = c.value() as usize;
                match c.status() {
                    SUCCESS if k < n as usize && pending[k] && !masked[k] => {
                        pending[k] = false;
                        acked += 1;
                        live -= 1;
                    }
                    NO_INTERRUPTS if live == 0 && c.value() == 0 => {}
                    _ => wrong(c.value(), &mut bad),
                }
                line(live);
                continue;
            }
            0 => (RVIC_SET_MASKED, Some(true), None),
            1 => (RVIC_CLEAR_MASKED, Some(false), None),
            2 => (RVIC_SIGNAL, None, Some(true)),
            _ => (RVIC_CLEAR_PENDING, None, Some(false)),
        };
        if arch::hvc(fid, [me, i, 0]).status() != SUCCESS {
            wrong(i, &mut bad);
        }
        let k = i as usize;
        let was = pending[k] && !masked[k];
        masked[k] = masked_to.unwrap_or(masked[k]);
        pending[k] = pending_to.unwrap_or(pending[k]);
        live = live + u64::from(pending[k] && !masked[k]) - u64::from(was);
        line(live);
    }
    for i in (0..n).filter(|&i| i != VTIMER) {
        let c = arch::hvc(RVIC_IS_PENDING, [me, i, 0]);
        if c.status() != SUCCESS || c.value() != u64::from(pending[i as usize]) {
            wrong(i, &mut bad);
        }
    }
    for _ in 0..=n {
        let c = arch::hvc(RVIC_ACKNOWLEDGE, [0; 3]);
        if c.status() != SUCCESS {
            break;
        }
        let i = c.value();
        let k = i as usize;
        if i >= n || !pending[k] || masked[k] {
            wrong(i, &mut bad);
        } else {
            acked += 1;
            (pending[k], masked[k]) = (false, true);
            live -= 1;
        }
        line(live);
    }
    for i in (0..n).filter(|&i| i != VTIMER) {
        if pending[i as usize] && !masked[i as usize] {
            wrong(i, &mut bad);
        }
        arch::hvc(RVIC_SET_MASKED, [me, i, 0]);
        arch::hvc(RVIC_CLEAR_PENDING, [me, i, 0]);
    }
    arch::irqs_on();
    [bad, line_bad, if bad == 0 { 0 } else { first }, acked]
}
