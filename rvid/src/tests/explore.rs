// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Exhaustive exploration of a small VM: every sequence of operations up to a
//! depth, from a reset VM and from a busy one, with states deduplicated. ABI
//! 0.4 (both acknowledgements), two or three vCPUs, T = U = 32, INTIDs 0 (edge), 1 (a trusted level source),
//! 32 and 33, rVID inputs 0 (edge) and 1 (level). After every step the
//! implementation must equal the reference model, and these invariants must
//! hold on the implementation's own state:
//!
//! * notification: each vCPU's flag is its predicate (enabled, and some INTID
//!   pending and unmasked), and the kick set is exactly the vCPUs whose
//!   flag changed;
//! * no loss: an interrupt asserted (SIGNAL, an input, a trusted line, a
//!   RESAMPLE of an asserted line, a MAP of an asserted level input) and not
//!   consumed since (acknowledged, cleared by the guest, withdrawn by its
//!   falling level line) is pending;
//! * no duplicate: ACKNOWLEDGE (either) returns only such an interrupt, so one
//!   assertion gives one acknowledgement;
//! * fairness: ACKNOWLEDGE returns the first deliverable INTID after the one
//!   it returned last, and an INTID that stays deliverable sees at most
//!   (INTIDs in play - 1) others returned before it: the ABI's T+U bound,
//!   when only these INTIDs are ever pending.
//!
//! The retargeting sequence has its own exhaustive test, `tests/retarget.rs`.

use super::model::{check, run, Model, Op, Outcome};
use super::model::{ACKNOWLEDGE, ACKNOWLEDGE_UNMASKED, CLEAR_MASKED, CLEAR_PENDING};
use super::model::{DISABLE, ENABLE, MAP};
use super::model::{RESAMPLE, SET_MASKED, SIGNAL, UNMAP};
use crate::rvic::Abi;
use crate::{Source, Trigger, VcpuSet, Vm, VmConfig};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::{println, vec, vec::Vec};

const INTIDS: [u32; 4] = [0, 1, 32, 33];
const TIMER: u32 = 1;
/// vCPU v has MPIDR v.
const MPIDRS: [u64; 3] = [0, 1, 2];

fn config(vcpus: usize) -> VmConfig<'static> {
    VmConfig {
        mpidrs: &MPIDRS[..vcpus],
        trusted: 32,
        untrusted: 32,
        inputs: &[Trigger::Edge, Trigger::Level],
        level_trusted: &[TIMER],
        abi: Abi::V0_4,
    }
}

fn hvc(caller: usize, fid: u64, x1: u64, x2: u64, x3: u64) -> Op {
    Op::Hvc {
        caller,
        fid,
        x: [x1, x2, x3],
    }
}

/// Every operation of the exploration. Calls on a target come from another
/// vCPU; MAP and UNMAP from vCPU 0 (the caller does not change their effect).
fn alphabet(vcpus: usize) -> Vec<Op> {
    let mut ops = Vec::new();
    for (v, &mpidr) in MPIDRS[..vcpus].iter().enumerate() {
        let other = (v + 1) % vcpus;
        for fid in [ENABLE, DISABLE, ACKNOWLEDGE, ACKNOWLEDGE_UNMASKED] {
            ops.push(hvc(v, fid, 0, 0, 0));
        }
        for intid in [TIMER, 32, 33] {
            ops.push(hvc(v, RESAMPLE, intid.into(), 0, 0));
        }
        for intid in INTIDS {
            for fid in [SIGNAL, SET_MASKED, CLEAR_MASKED, CLEAR_PENDING] {
                ops.push(hvc(other, fid, mpidr, intid.into(), 0));
            }
        }
        for asserted in [false, true] {
            ops.push(Op::Trusted {
                vcpu: v,
                intid: TIMER,
                asserted,
            });
        }
        for input in 0..2 {
            for intid in [32, 33] {
                ops.push(hvc(0, MAP, input, mpidr, intid));
            }
        }
    }
    for input in 0..2 {
        ops.push(hvc(0, UNMAP, input as u64, 0, 0));
        ops.push(Op::Line {
            input,
            asserted: true,
        });
    }
    ops.push(Op::Line {
        input: 1,
        asserted: false,
    });
    ops
}

/// What the invariants remember about the history.
#[derive(Clone, Hash)]
struct Ghost {
    /// Asserted and not consumed since, per vCPU and INTID in play.
    owed: Vec<[bool; 4]>,
    /// Acknowledgements of others while the INTID stayed deliverable.
    waiting: Vec<[u8; 4]>,
    /// The INTID each vCPU's last ACKNOWLEDGE returned.
    last: Vec<Option<u32>>,
}

fn slot(intid: u32) -> usize {
    INTIDS
        .iter()
        .position(|&i| i == intid)
        .expect("INTID in play")
}

impl Ghost {
    fn owe(&mut self, vcpu: usize, intid: u32, owed: bool) {
        self.owed[vcpu][slot(intid)] = owed;
    }

    /// Follows what `op` asserted or consumed; `pre` is the model before it.
    fn account(&mut self, pre: &Model, op: Op, got: Outcome) {
        match (op, got) {
            (Op::Hvc { caller, fid, x }, Outcome::Hvc(r)) if r.regs[0] == 0 => match fid {
                SIGNAL => self.owe(x[0] as usize, x[1] as u32, true),
                CLEAR_PENDING => self.owe(x[0] as usize, x[1] as u32, false),
                ACKNOWLEDGE | ACKNOWLEDGE_UNMASKED => {
                    let intid = r.regs[1] as u32;
                    let owed = self.owed[caller][slot(intid)];
                    assert!(
                        owed,
                        "duplicate: {intid} acknowledged on {caller}, nothing asserted"
                    );
                    self.owe(caller, intid, false);
                }
                RESAMPLE => {
                    let intid = x[0] as u32;
                    let Some(report) = r.resampled else { return };
                    let line = match report.source {
                        Source::Trusted { vcpu, intid: i } => {
                            assert_eq!((vcpu, i), (caller, intid));
                            pre.cpus[vcpu].line[i as usize]
                        }
                        Source::Input(k) => {
                            assert_eq!(pre.inputs[k].route, Some((caller, intid)));
                            pre.inputs[k].line
                        }
                    };
                    assert_eq!(report.asserted, line, "RESAMPLE reports the line");
                    if line {
                        self.owe(caller, intid, true);
                    }
                }
                MAP => {
                    let input = &pre.inputs[x[0] as usize];
                    let to = (x[1] as usize, x[2] as u32);
                    if input.level && input.line && input.route != Some(to) {
                        self.owe(to.0, to.1, true);
                    }
                }
                _ => {}
            },
            (Op::Line { input, asserted }, _) => {
                let p = &pre.inputs[input];
                if let Some((vcpu, intid)) = p.route {
                    if !p.level && asserted {
                        self.owe(vcpu, intid, true);
                    } else if p.level && p.line != asserted {
                        self.owe(vcpu, intid, asserted);
                    }
                }
            }
            (
                Op::Trusted {
                    vcpu,
                    intid,
                    asserted,
                },
                Outcome::Kick(_),
            ) if pre.cpus[vcpu].line[intid as usize] != asserted => {
                self.owe(vcpu, intid, asserted);
            }
            _ => {}
        }
    }

    /// `before` and `after`: pending and unmasked, per vCPU and INTID.
    fn fairness(&mut self, acked: Option<(usize, u32)>, before: &[Vec<bool>], after: &[Vec<bool>]) {
        if let Some((v, k)) = acked {
            let n = before[v].len() as u32;
            let start = self.last[v].map_or(0, |last| (last + 1) % n);
            let first = (0..n)
                .map(|d| (start + d) % n)
                .find(|&i| before[v][i as usize]);
            assert_eq!(
                Some(k),
                first,
                "vCPU {v} skipped the next deliverable INTID"
            );
            self.last[v] = Some(k);
            for (s, &j) in INTIDS.iter().enumerate() {
                if j != k && before[v][j as usize] && after[v][j as usize] {
                    self.waiting[v][s] += 1;
                    assert!(
                        (self.waiting[v][s] as usize) < INTIDS.len(),
                        "{j} starved on {v}"
                    );
                }
            }
        }
        for (v, ready) in after.iter().enumerate() {
            for (s, &j) in INTIDS.iter().enumerate() {
                if !ready[j as usize] {
                    self.waiting[v][s] = 0;
                }
            }
        }
    }
}

struct Node {
    vm: Vm,
    model: Model,
    ghost: Ghost,
}

/// Pending and unmasked, per INTID.
fn ready(vm: &Vm, vcpu: usize) -> Vec<bool> {
    let n = vm.space().total();
    vm.inspect(vcpu, |r| {
        (0..n).map(|i| r.is_pending(i) && !r.is_masked(i)).collect()
    })
}

/// `op` applied to a copy of `node`, with every check.
fn step(node: &Node, op: Op) -> Node {
    let vm = node.vm.fork();
    let mut model = node.model.clone();
    let mut ghost = node.ghost.clone();
    let vcpus = vm.vcpus();
    let before: Vec<_> = (0..vcpus).map(|v| ready(&vm, v)).collect();
    let flags: Vec<_> = (0..vcpus).map(|v| vm.notification(v)).collect();
    let got = run(&vm, op);
    assert_eq!(got, model.apply(op), "outcome of {op:x?}");
    check(&vm, &model);
    let after: Vec<_> = (0..vcpus).map(|v| ready(&vm, v)).collect();
    let kick = match got {
        Outcome::Hvc(r) => r.kick,
        Outcome::Kick(kick) => kick,
        Outcome::NotLevel => VcpuSet::EMPTY,
    };
    for v in 0..vcpus {
        let predicate = vm.inspect(v, |r| r.is_enabled()) && after[v].contains(&true);
        assert_eq!(
            vm.notification(v),
            predicate,
            "notification of {v} after {op:x?}"
        );
        assert_eq!(
            kick.contains(v),
            flags[v] != predicate,
            "kick of {v} after {op:x?}"
        );
    }
    ghost.account(&node.model, op, got);
    let acked = match (op, got) {
        (
            Op::Hvc {
                caller,
                fid: ACKNOWLEDGE | ACKNOWLEDGE_UNMASKED,
                ..
            },
            Outcome::Hvc(r),
        ) if r.regs[0] == 0 => Some((caller, r.regs[1] as u32)),
        _ => None,
    };
    ghost.fairness(acked, &before, &after);
    for v in 0..vcpus {
        for intid in 0..vm.space().total() {
            let owed = INTIDS.contains(&intid) && ghost.owed[v][slot(intid)];
            let pending = vm.inspect(v, |r| r.is_pending(intid));
            assert_eq!(pending, owed, "{v}:{intid} lost or invented after {op:x?}");
        }
    }
    Node { vm, model, ghost }
}

fn fingerprint(node: &Node) -> u64 {
    let mut hasher = DefaultHasher::new();
    node.vm.hash_state(&mut hasher);
    node.model.cpus.hash(&mut hasher);
    node.model.inputs.hash(&mut hasher);
    node.ghost.hash(&mut hasher);
    hasher.finish()
}

struct Explorer {
    ops: Vec<Op>,
    /// Each state seen, with the most steps that were left after it.
    seen: HashMap<u64, u32>,
    transitions: u64,
}

impl Explorer {
    /// Depth-first, revisiting a state only when reached with more steps left.
    fn dfs(&mut self, node: &Node, left: u32) {
        for index in 0..self.ops.len() {
            let child = step(node, self.ops[index]);
            self.transitions += 1;
            let key = fingerprint(&child);
            if self.seen.get(&key).is_some_and(|&seen| seen >= left - 1) {
                continue;
            }
            self.seen.insert(key, left - 1);
            if left > 1 {
                self.dfs(&child, left - 1);
            }
        }
    }
}

fn reset(vcpus: usize) -> Node {
    let cfg = config(vcpus);
    Node {
        vm: Vm::new(cfg).unwrap(),
        model: Model::new(&cfg),
        ghost: Ghost {
            owed: vec![[false; 4]; vcpus],
            waiting: vec![[0; 4]; vcpus],
            last: vec![None; vcpus],
        },
    }
}

/// Every instance enabled, every INTID in play unmasked, both inputs mapped
/// and asserted, the timer of vCPU 0 asserted, INTID 0 signalled everywhere.
fn busy(vcpus: usize) -> Node {
    let mut setup = Vec::new();
    for (v, &mpidr) in MPIDRS[..vcpus].iter().enumerate() {
        setup.push(hvc(v, ENABLE, 0, 0, 0));
        for intid in INTIDS {
            setup.push(hvc(v, CLEAR_MASKED, mpidr, intid.into(), 0));
        }
        setup.push(hvc(v, SIGNAL, mpidr, 0, 0));
    }
    setup.push(hvc(0, MAP, 0, MPIDRS[0], 32));
    setup.push(hvc(0, MAP, 1, MPIDRS[1], 33));
    setup.push(Op::Line {
        input: 0,
        asserted: true,
    });
    setup.push(Op::Line {
        input: 1,
        asserted: true,
    });
    setup.push(Op::Trusted {
        vcpu: 0,
        intid: TIMER,
        asserted: true,
    });
    setup.iter().fold(reset(vcpus), |node, &op| step(&node, op))
}

/// Explores `depth` steps from both starting states; returns (states, transitions).
fn explore(vcpus: usize, depth: u32) -> (usize, u64) {
    let mut explorer = Explorer {
        ops: alphabet(vcpus),
        seen: HashMap::new(),
        transitions: 0,
    };
    for start in [reset(vcpus), busy(vcpus)] {
        explorer.seen.insert(fingerprint(&start), depth);
        explorer.dfs(&start, depth);
    }
    let (states, transitions) = (explorer.seen.len(), explorer.transitions);
    println!(
        "explored {vcpus} vCPUs to depth {depth}: {states} states, {transitions} transitions, {} operations",
        explorer.ops.len()
    );
    (states, transitions)
}

#[test]
fn explore_two_vcpus() {
    let (states, _) = explore(2, 4);
    assert!(states > 40_000, "{states} states");
}

/// `cargo test -p rvid --release explore_deep -- --ignored --nocapture`
#[test]
#[ignore = "minutes in debug; run with --release"]
fn explore_deep() {
    let (states, _) = explore(2, 5);
    assert!(states > 200_000, "{states} states");
    let (states, _) = explore(3, 4);
    assert!(states > 150_000, "{states} states");
}
