// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Making another vCPU act: one slot per vCPU where vCPU 0 posts a call
//! (or a burst of random calls) and the vCPU, waiting in [`serve`], runs it
//! and posts the answer. Also where each vCPU says it has (re)started and
//! what its own ENABLE answered. Owns the slots.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};

use selftest::abi::{Call, RVIC_ENABLE};
use selftest::MAX_CPUS;

use crate::{arch, checks};

const IDLE: u32 = 0;
const CALL: u32 = 1;
const BURST: u32 = 2;
const DONE: u32 = 3;

struct Slot {
    state: AtomicU32,
    fid: AtomicU32,
    args: [AtomicU64; 3],
    ret: [AtomicU64; 4],
    boots: AtomicU32,
    enable: AtomicU64,
    el1_at_boot: [AtomicU64; EL1_REGS],
    el1_set: [AtomicU64; EL1_REGS],
}

/// The EL1 registers a started vCPU reports: VBAR_EL1, CNTKCTL_EL1,
/// MDSCR_EL1, CONTEXTIDR_EL1.
pub const EL1_REGS: usize = 4;
pub const EL1_NAMES: [&str; EL1_REGS] = ["VBAR_EL1", "CNTKCTL_EL1", "MDSCR_EL1", "CONTEXTIDR_EL1"];

static SLOTS: [Slot; MAX_CPUS] = [const {
    Slot {
        state: AtomicU32::new(IDLE),
        fid: AtomicU32::new(0),
        args: [const { AtomicU64::new(0) }; 3],
        ret: [const { AtomicU64::new(0) }; 4],
        boots: AtomicU32::new(0),
        enable: AtomicU64::new(u64::MAX),
        el1_at_boot: [const { AtomicU64::new(0) }; EL1_REGS],
        el1_set: [const { AtomicU64::new(0) }; EL1_REGS],
    }
}; MAX_CPUS];

fn post_as(cpu: usize, state: u32, fid: u32, args: [u64; 3]) {
    let s = &SLOTS[cpu];
    s.fid.store(fid, Relaxed);
    for (a, v) in s.args.iter().zip(args) {
        a.store(v, Relaxed);
    }
    s.state.store(state, Release);
    arch::sev();
}

/// Ask vCPU `cpu` to make the call `fid(args)`.
pub fn post(cpu: usize, fid: u32, args: [u64; 3]) {
    post_as(cpu, CALL, fid, args);
}

/// Ask vCPU `cpu` to make `count` random calls from `seed`.
pub fn post_burst(cpu: usize, seed: u64, count: u64) {
    post_as(cpu, BURST, 0, [seed, count, 0]);
}

/// Ask vCPU `cpu` to run [`checks::burst::model`] with `seed` and `count`.
pub fn post_model(cpu: usize, seed: u64, count: u64) {
    post_as(cpu, BURST, 0, [seed, count, 1]);
}

/// Ask vCPU `cpu` to run [`checks::timer::fires_after_burst`].
pub fn post_timer(cpu: usize) {
    post_as(cpu, BURST, 0, [0, 0, 2]);
}

/// The answer of vCPU `cpu` to what was posted, within `us` microseconds.
pub fn wait(cpu: usize, us: u64) -> Option<Call> {
    let s = &SLOTS[cpu];
    if !checks::wait_for(us, || s.state.load(Acquire) == DONE) {
        return None;
    }
    let call = Call {
        fid: s.fid.load(Relaxed),
        args: core::array::from_fn(|i| s.args[i].load(Relaxed)),
        ret: core::array::from_fn(|i| s.ret[i].load(Relaxed)),
    };
    s.state.store(IDLE, Release);
    Some(call)
}

/// Make the call on vCPU `cpu` (directly if that is this vCPU).
pub fn call_on(cpu: usize, fid: u32, args: [u64; 3]) -> Option<Call> {
    if cpu == arch::cpu_index() {
        return Some(arch::hvc(fid, args));
    }
    post(cpu, fid, args);
    wait(cpu, checks::ARRIVAL)
}

/// Forget what was posted to `cpu` (it was switched off while serving it);
/// returns whether it had answered.
pub fn reset(cpu: usize) -> bool {
    SLOTS[cpu].state.swap(IDLE, AcqRel) == DONE
}

/// How often vCPU `cpu` has started.
pub fn boots(cpu: usize) -> u32 {
    SLOTS[cpu].boots.load(Acquire)
}

/// x0 of vCPU `cpu`'s ENABLE at its last start.
pub fn enable_status(cpu: usize) -> u64 {
    SLOTS[cpu].enable.load(Acquire)
}

/// vCPU `cpu`'s EL1 registers ([`EL1_NAMES`]) as its last CPU_ON gave
/// them, and as it then set them.
pub fn el1_state(cpu: usize) -> ([u64; EL1_REGS], [u64; EL1_REGS]) {
    let s = &SLOTS[cpu];
    (
        core::array::from_fn(|i| s.el1_at_boot[i].load(Acquire)),
        core::array::from_fn(|i| s.el1_set[i].load(Acquire)),
    )
}

/// A started vCPU: note the EL1 state it found (`at_boot`) and left
/// (`set`), enable its rVIC, take IRQs, serve its slot for ever.
pub fn serve(cpu: usize, at_boot: [u64; EL1_REGS], set: [u64; EL1_REGS]) -> ! {
    let s = &SLOTS[cpu];
    for i in 0..EL1_REGS {
        s.el1_at_boot[i].store(at_boot[i], Relaxed);
        s.el1_set[i].store(set[i], Relaxed);
    }
    s.enable
        .store(arch::hvc(RVIC_ENABLE, [0; 3]).status(), Release);
    s.boots.fetch_add(1, Release);
    arch::irqs_on();
    loop {
        let state = s.state.load(Acquire);
        if state != CALL && state != BURST {
            arch::wfe();
            continue;
        }
        let args: [u64; 3] = core::array::from_fn(|i| s.args[i].load(Relaxed));
        let ret = if state == CALL {
            arch::hvc(s.fid.load(Relaxed), args).ret
        } else if args[2] == 1 {
            checks::burst::model(args[0], args[1])
        } else if args[2] == 2 {
            [checks::timer::fires_after_burst(), 0, 0, 0]
        } else {
            checks::burst::calls(args[0], args[1]);
            [0; 4]
        };
        for (r, v) in s.ret.iter().zip(ret) {
            r.store(v, Relaxed);
        }
        s.state.store(DONE, Release);
        arch::sev();
    }
}
