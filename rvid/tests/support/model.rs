// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The reference model: `docs/rvic-abi.md` written the obvious, slow way.
//!
//! A `Vec<bool>` per bitmap, linear scans, function IDs and status words as
//! the literal numbers of the ABI tables, nothing shared with the crate but
//! the result types. [`step`] applies one operation to a `Vm` and to the
//! model and panics on any difference in registers, kick set, RESAMPLE
//! report or counters; [`check`] compares the whole state. Used by the random
//! tests, the exhaustive exploration (in `src/tests/`) and the fuzz target.
#![allow(dead_code)]

use rvid::rvic::Abi;
use rvid::{Counters, HvcResult, Resampled, Source, Trigger, VcpuSet, Vm, VmConfig};
use std::{vec, vec::Vec};

/// The configuration the random tests and the fuzz target drive: three
/// vCPUs (one with Aff1 set), edge and level inputs, two level timers,
/// ABI 0.4 (every call).
pub const CONFIG: VmConfig = VmConfig {
    mpidrs: &[0, 1, 0x100],
    trusted: 64,
    untrusted: 64,
    inputs: &[Trigger::Edge, Trigger::Level, Trigger::Level, Trigger::Edge],
    level_trusted: &[27, 30],
    abi: Abi::V0_4,
};

/// Every function ID of the ABI, 0.4's included.
pub const FIDS: [u64; 15] = [
    VERSION,
    INFO,
    ENABLE,
    DISABLE,
    SET_MASKED,
    CLEAR_MASKED,
    IS_PENDING,
    SIGNAL,
    CLEAR_PENDING,
    ACKNOWLEDGE,
    RESAMPLE,
    ACKNOWLEDGE_UNMASKED,
    RVID_VERSION,
    MAP,
    UNMAP,
];

/// One vCPU's rVIC.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cpu {
    pub enabled: bool,
    pub pending: Vec<bool>,
    pub masked: Vec<bool>,
    /// Trusted INTIDs with a level source, and its line.
    pub level: Vec<bool>,
    pub line: Vec<bool>,
    /// ACKNOWLEDGE scans from here.
    pub next: u32,
}

/// One rVID input.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Input {
    pub level: bool,
    pub line: bool,
    pub route: Option<(usize, u32)>,
}

#[derive(Clone, Debug)]
pub struct Model {
    /// VERSION's minor number: 3, or 4 with ACKNOWLEDGE_UNMASKED.
    pub minor: u64,
    pub t: u32,
    pub u: u32,
    pub mpidrs: Vec<u64>,
    pub cpus: Vec<Cpu>,
    pub inputs: Vec<Input>,
    pub counters: Vec<Counters>,
    pub dropped: u64,
}

/// Something that happens to a VM: a guest hypercall or a source change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Hvc {
        caller: usize,
        fid: u64,
        x: [u64; 3],
    },
    Line {
        input: usize,
        asserted: bool,
    },
    Trusted {
        vcpu: usize,
        intid: u32,
        asserted: bool,
    },
}

/// What an operation returned, in one shape for all three kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Hvc(HvcResult),
    Kick(VcpuSet),
    /// A trusted line change on an INTID without a level source.
    NotLevel,
}

pub const VERSION: u64 = 0xC500_0200;
pub const INFO: u64 = 0xC500_0201;
pub const ENABLE: u64 = 0xC500_0202;
pub const DISABLE: u64 = 0xC500_0203;
pub const SET_MASKED: u64 = 0xC500_0204;
pub const CLEAR_MASKED: u64 = 0xC500_0205;
pub const IS_PENDING: u64 = 0xC500_0206;
pub const SIGNAL: u64 = 0xC500_0207;
pub const CLEAR_PENDING: u64 = 0xC500_0208;
pub const ACKNOWLEDGE: u64 = 0xC500_0209;
pub const RESAMPLE: u64 = 0xC500_020A;
pub const ACKNOWLEDGE_UNMASKED: u64 = 0xC500_020B;
pub const RVID_VERSION: u64 = 0xC500_0100;
pub const MAP: u64 = 0xC500_0101;
pub const UNMAP: u64 = 0xC500_0102;

const PARAMETER: u64 = 1;
const INVALID_CPU: u64 = 2;
const DISABLED: u64 = 3;
const NO_INTERRUPTS: u64 = 4;

fn error(reason: u64, arg: u64) -> u64 {
    reason | arg << 8
}

impl Model {
    pub fn new(cfg: &VmConfig) -> Model {
        let (t, u) = (cfg.trusted, cfg.untrusted);
        let n = (t + u) as usize;
        let mut level = vec![false; t as usize];
        for &i in cfg.level_trusted {
            level[i as usize] = true;
        }
        let cpu = Cpu {
            enabled: false,
            pending: vec![false; n],
            masked: vec![true; n],
            level,
            line: vec![false; t as usize],
            next: 0,
        };
        let inputs = (0..u as usize)
            .map(|k| Input {
                level: cfg.inputs.get(k) == Some(&Trigger::Level),
                line: false,
                route: None,
            })
            .collect();
        Model {
            minor: match cfg.abi {
                Abi::V0_3 => 3,
                Abi::V0_4 => 4,
            },
            t,
            u,
            mpidrs: cfg.mpidrs.to_vec(),
            cpus: vec![cpu; cfg.mpidrs.len()],
            inputs,
            counters: vec![Counters::default(); cfg.mpidrs.len()],
            dropped: 0,
        }
    }

    pub fn notification(&self, v: usize) -> bool {
        let c = &self.cpus[v];
        c.enabled && (0..c.pending.len()).any(|i| c.pending[i] && !c.masked[i])
    }

    fn notifications(&self) -> Vec<bool> {
        (0..self.cpus.len()).map(|v| self.notification(v)).collect()
    }

    fn changed(&self, before: &[bool]) -> VcpuSet {
        let mut set = VcpuSet::EMPTY;
        for (v, &was) in before.iter().enumerate() {
            if self.notification(v) != was {
                set.insert(v);
            }
        }
        set
    }

    /// An assertion: pending := 1, counting a merge if it already was.
    fn assert_pending(&mut self, v: usize, i: u32) {
        if self.cpus[v].pending[i as usize] {
            self.counters[v].merged += 1;
        }
        self.cpus[v].pending[i as usize] = true;
    }

    pub fn apply(&mut self, op: Op) -> Outcome {
        let before = self.notifications();
        match op {
            Op::Hvc { caller, fid, x } => {
                let (x0, x1, resampled) = self.hvc(caller, fid, x);
                let kick = self.changed(&before);
                Outcome::Hvc(HvcResult {
                    regs: [x0, x1, 0, 0],
                    kick,
                    resampled,
                })
            }
            Op::Line { input, asserted } => {
                let inp = self.inputs[input].clone();
                let fires = if inp.level {
                    inp.line != asserted
                } else {
                    asserted
                };
                self.inputs[input].line = inp.level && asserted;
                if fires {
                    match (inp.route, asserted) {
                        (Some((v, i)), true) => self.assert_pending(v, i),
                        (Some((v, i)), false) => self.cpus[v].pending[i as usize] = false,
                        (None, true) => self.dropped += 1,
                        (None, false) => {}
                    }
                }
                Outcome::Kick(self.changed(&before))
            }
            Op::Trusted {
                vcpu,
                intid,
                asserted,
            } => {
                if intid >= self.t || !self.cpus[vcpu].level[intid as usize] {
                    return Outcome::NotLevel;
                }
                let i = intid as usize;
                if self.cpus[vcpu].line[i] != asserted {
                    self.cpus[vcpu].line[i] = asserted;
                    if asserted {
                        self.assert_pending(vcpu, intid);
                    } else {
                        self.cpus[vcpu].pending[i] = false;
                    }
                }
                Outcome::Kick(self.changed(&before))
            }
        }
    }

    fn cpu_of(&self, mpidr: u64) -> Option<usize> {
        self.mpidrs.iter().position(|&m| m == mpidr)
    }

    /// x0, x1 and the RESAMPLE report of one hypercall.
    fn hvc(&mut self, caller: usize, fid: u64, x: [u64; 3]) -> (u64, u64, Option<Resampled>) {
        let w0 = fid & 0xffff_ffff;
        let n = u64::from(self.t + self.u);
        let last = if self.minor >= 4 {
            0xC500_020B
        } else {
            0xC500_020A
        };
        match w0 {
            0xC500_0200..=0xC500_020B if w0 <= last => {
                self.counters[caller].calls[(w0 - 0xC500_0200) as usize] += 1
            }
            0xC500_0100..=0xC500_0102 => {
                self.counters[caller].calls[(w0 - 0xC500_0100) as usize + 12] += 1
            }
            _ => {
                self.counters[caller].unsupported += 1;
                return (u64::MAX, 0, None);
            }
        }
        match w0 {
            VERSION | RVID_VERSION => (0, self.minor, None),
            INFO => match x[0] {
                0 => (0, self.t.into(), None),
                1 => (0, self.u.into(), None),
                _ => (error(PARAMETER, 0), 0, None),
            },
            ENABLE | DISABLE => {
                self.cpus[caller].enabled = w0 == ENABLE;
                (0, 0, None)
            }
            SET_MASKED..=CLEAR_PENDING => {
                let Some(v) = self.cpu_of(x[0]) else {
                    return (error(INVALID_CPU, 0), 0, None);
                };
                if x[1] >= n {
                    return (error(PARAMETER, 1), 0, None);
                }
                let i = x[1] as usize;
                match w0 {
                    SET_MASKED => self.cpus[v].masked[i] = true,
                    CLEAR_MASKED => self.cpus[v].masked[i] = false,
                    IS_PENDING => return (0, self.cpus[v].pending[i].into(), None),
                    SIGNAL if !self.cpus[v].enabled => return (DISABLED, 0, None),
                    SIGNAL => self.assert_pending(v, i as u32),
                    _ => self.cpus[v].pending[i] = false,
                }
                (0, 0, None)
            }
            ACKNOWLEDGE | ACKNOWLEDGE_UNMASKED => {
                let c = &mut self.cpus[caller];
                if !c.enabled {
                    return (DISABLED, 0, None);
                }
                for k in 0..n {
                    let i = ((u64::from(c.next) + k) % n) as usize;
                    if c.pending[i] && !c.masked[i] {
                        c.pending[i] = false;
                        c.masked[i] = w0 == ACKNOWLEDGE;
                        c.next = ((i as u64 + 1) % n) as u32;
                        self.counters[caller].acks += 1;
                        return (0, i as u64, None);
                    }
                }
                (NO_INTERRUPTS, 0, None)
            }
            RESAMPLE => {
                if x[0] >= n {
                    return (error(PARAMETER, 0), 0, None);
                }
                let i = x[0] as u32;
                let (source, asserted) = if i < self.t {
                    let c = &self.cpus[caller];
                    if !c.level[i as usize] {
                        return (0, 0, None);
                    }
                    (
                        Source::Trusted {
                            vcpu: caller,
                            intid: i,
                        },
                        c.line[i as usize],
                    )
                } else {
                    let found = (0..self.inputs.len()).find(|&k| {
                        self.inputs[k].level && self.inputs[k].route == Some((caller, i))
                    });
                    let Some(k) = found else {
                        return (error(PARAMETER, 0), 0, None);
                    };
                    (Source::Input(k), self.inputs[k].line)
                };
                if asserted {
                    self.cpus[caller].pending[i as usize] = true;
                }
                (0, 0, Some(Resampled { source, asserted }))
            }
            MAP => {
                if x[0] >= u64::from(self.u) {
                    return (error(PARAMETER, 0), 0, None);
                }
                let k = x[0] as usize;
                let Some(v) = self.cpu_of(x[1]) else {
                    return (error(INVALID_CPU, 1), 0, None);
                };
                if x[2] < u64::from(self.t) || x[2] >= n {
                    return (error(PARAMETER, 2), 0, None);
                }
                let to = Some((v, x[2] as u32));
                if (0..self.inputs.len()).any(|j| j != k && self.inputs[j].route == to) {
                    return (error(PARAMETER, 2), 0, None);
                }
                let old = self.inputs[k].route.replace((v, x[2] as u32));
                if self.inputs[k].level && self.inputs[k].line && old != to {
                    self.cpus[v].pending[x[2] as usize] = true;
                }
                (0, 0, None)
            }
            _ => {
                if x[0] >= u64::from(self.u) {
                    return (error(PARAMETER, 0), 0, None);
                }
                self.inputs[x[0] as usize].route = None;
                (0, 0, None)
            }
        }
    }
}

/// Applies `op` to the implementation.
pub fn run(vm: &Vm, op: Op) -> Outcome {
    match op {
        Op::Hvc { caller, fid, x } => Outcome::Hvc(vm.hypercall(caller, fid, x[0], x[1], x[2])),
        Op::Line { input, asserted } => Outcome::Kick(vm.set_input_line(input, asserted)),
        Op::Trusted {
            vcpu,
            intid,
            asserted,
        } => match vm.set_trusted_level(vcpu, intid, asserted) {
            Ok(kick) => Outcome::Kick(kick),
            Err(_) => Outcome::NotLevel,
        },
    }
}

/// Applies `op` to both and panics if their outcomes or counters differ.
pub fn step(vm: &Vm, model: &mut Model, op: Op) -> Outcome {
    let got = run(vm, op);
    let want = model.apply(op);
    assert_eq!(got, want, "outcome of {op:x?}");
    for v in 0..model.cpus.len() {
        let want = Counters {
            dropped: model.dropped,
            ..model.counters[v]
        };
        assert_eq!(vm.counters(v), want, "counters of vCPU {v} after {op:x?}");
    }
    got
}

/// Panics unless the implementation's state equals the model's, INTID by
/// INTID, and each notification flag equals the model's predicate.
pub fn check(vm: &Vm, model: &Model) {
    for (v, c) in model.cpus.iter().enumerate() {
        vm.inspect(v, |r| {
            assert_eq!(r.is_enabled(), c.enabled, "enabled of vCPU {v}");
            for i in 0..c.pending.len() {
                let got = (r.is_pending(i as u32), r.is_masked(i as u32));
                assert_eq!(
                    got,
                    (c.pending[i], c.masked[i]),
                    "pending, masked of {v}:{i}"
                );
            }
            for i in 0..c.level.len() {
                let got = (r.is_level(i as u32), r.line(i as u32));
                assert_eq!(got, (c.level[i], c.line[i]), "level source of {v}:{i}");
            }
        });
        assert_eq!(
            vm.notification(v),
            model.notification(v),
            "notification of {v}"
        );
    }
    for (k, input) in model.inputs.iter().enumerate() {
        let got = vm.route(k).map(|r| (r.vcpu, r.intid));
        assert_eq!(got, input.route, "route of input {k}");
    }
}
