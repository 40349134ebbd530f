// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The checks, in the order they run on vCPU 0, and what they share: the
//! run's context, the report, call shorthands and bounded waits.

pub mod abi_rows;
pub mod abort;
pub mod burst;
pub mod delivery;
pub mod devices;
pub mod entry;
pub mod hardening;
pub mod hostile;
pub mod power;
pub mod timer;
pub mod unmasked;

use core::fmt;

use selftest::abi::*;
use selftest::dt::GuestInfo;
use selftest::report::{Outcome, Report};

use crate::{arch, exception::TALLY};

/// The numbered results of the run.
pub static REPORT: Report = Report::new();
/// The run's context, set by vCPU 0 before any other vCPU starts.
pub static CTX: spin::Once<Ctx> = spin::Once::new();

/// How long an interrupt may take to arrive (µs of counter time).
pub const ARRIVAL: u64 = 200_000;
/// How long nothing must happen for "no interrupt" to count (µs).
pub const QUIET: u64 = 10_000;
/// A trusted INTID with no source, for the state checks.
pub const SPARE: u64 = 20;
/// The software-generated interrupts; the IRQ handler unmasks them again.
pub const IPIS: u64 = 16;

pub struct Ctx {
    pub info: GuestInfo,
    /// rVIC sizes as INFO reported them (the spec's if INFO failed).
    pub t: u64,
    pub u: u64,
    /// What rVIC VERSION answered, if 0.4 ([`ABI_0_4`]); else 0.3.
    pub version: u64,
}

impl Ctx {
    pub fn n(&self) -> usize {
        self.info.mpidrs().len()
    }

    /// vCPU `cpu`'s MPIDR, the rVIC target naming it.
    pub fn mpidr(&self, cpu: usize) -> u64 {
        self.info.mpidrs()[cpu]
    }

    /// vCPU 0, where the checks run.
    pub fn me(&self) -> u64 {
        self.mpidr(0)
    }

    /// Whether the hypervisor offers ABI 0.4 (ACKNOWLEDGE_UNMASKED).
    pub fn v0_4(&self) -> bool {
        self.version == ABI_0_4
    }

    /// `T + U`.
    pub fn intids(&self) -> u64 {
        self.t + self.u
    }

    /// An MPIDR that names no vCPU of this VM.
    pub fn bad_target(&self) -> u64 {
        let m = self.info.mpidrs();
        (0..)
            .map(|i| 0xff_00ff_ffff - i)
            .find(|b| !m.contains(b))
            .unwrap_or(0)
    }
}

/// Report one check.
pub fn check(what: fmt::Arguments, outcome: Outcome) {
    crate::console::with(|w| REPORT.record(w, what, &outcome));
}

/// `fid(args)` must answer exactly (x0, x1), x2 = x3 = 0.
pub fn expect(fid: u32, args: [u64; 3], x0: u64, x1: u64) -> Outcome {
    arch::hvc(fid, args).expect(x0, x1)
}

/// `fid(args)` must succeed with x1..x3 = 0.
pub fn ok(fid: u32, args: [u64; 3]) -> Outcome {
    expect(fid, args, SUCCESS, 0)
}

/// IS_PENDING(target, intid) answered SUCCESS with 1.
pub fn pending(target: u64, intid: u64) -> bool {
    arch::hvc(RVIC_IS_PENDING, [target, intid, 0]).ret[..2] == [SUCCESS, 1]
}

/// Acknowledgements of `intid` on vCPU `cpu` so far.
pub fn acks(cpu: usize, intid: u64) -> u32 {
    TALLY.acks(cpu, intid)
}

fn ticks(us: u64) -> u64 {
    us * arch::counter_freq() / 1_000_000
}

/// Wait until `f()` holds, at most `us` µs; did it?
pub fn wait_for(us: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = arch::counter() + ticks(us);
    loop {
        if f() {
            return true;
        }
        if arch::counter() > end {
            return f();
        }
        arch::wfe();
    }
}

/// Does `f()` hold throughout the next `us` µs?
pub fn holds_for(us: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = arch::counter() + ticks(us);
    while arch::counter() <= end {
        if !f() {
            return false;
        }
    }
    f()
}

/// Busy-wait `us` µs.
pub fn delay(us: u64) {
    holds_for(us, || true);
}

/// Every check, in order. vCPU 0's rVIC is still disabled here.
pub fn run(ctx: &Ctx) {
    abi_rows::run(ctx);
    power::start_secondaries(ctx);
    power::psci_rows(ctx);
    delivery::run(ctx);
    timer::run(ctx);
    unmasked::run(ctx);
    devices::run(ctx);
    power::off_on_cycles(ctx);
    burst::run(ctx);
    abort::run(ctx);
    hardening::run(ctx);
    entry::run(ctx);
    check(
        format_args!("every ACKNOWLEDGE in the IRQ handlers answered an INTID or NO_INTERRUPTS"),
        match TALLY.bad_count() {
            0 => Ok(()),
            n => Err(selftest::msg!("{n} ACKNOWLEDGE answer(s) outside the ABI")),
        },
    );
}
