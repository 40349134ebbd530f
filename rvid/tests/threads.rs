// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The controller under real concurrency: host threads play vCPUs and a
//! device. Two vCPUs acknowledge and unmask in a loop; two others SIGNAL
//! them; a device thread asserts two edge inputs; a fifth vCPU keeps moving
//! one input between the two receivers and sometimes unmaps it. When all
//! is done every assertion must be accounted for exactly once:
//! `signalled + asserted = acknowledged + merged + dropped`.

use rvid::rvic::Abi;
use rvid::{Trigger, Vm, VmConfig};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::thread;

const ENABLE: u64 = 0xC500_0202;
const CLEAR_MASKED: u64 = 0xC500_0205;
const SIGNAL: u64 = 0xC500_0207;
const ACKNOWLEDGE: u64 = 0xC500_0209;
const MAP: u64 = 0xC500_0101;
const UNMAP: u64 = 0xC500_0102;

/// INTIDs the receivers see: trusted ones only signalled, 40 and 41 also
/// fed by inputs 0 and 1.
const INTIDS: [u64; 4] = [1, 2, 40, 41];
const ROUNDS: u64 = 50_000;

/// SIGNALs made before the receivers start: more than the receivers'
/// (vCPU, INTID) pairs, so some must merge whatever the scheduling.
const HEAD_START: u64 = 100;

/// Once `signalled` reaches [`HEAD_START`]: acknowledges and unmasks until
/// `done`, then until nothing is left.
fn receive(vm: &Vm, v: usize, done: &AtomicBool, signalled: &AtomicU64) -> u64 {
    while signalled.load(SeqCst) < HEAD_START {
        thread::yield_now();
    }
    let mut acks = 0;
    loop {
        let finished = done.load(SeqCst);
        let r = vm.hypercall(v, ACKNOWLEDGE, 0, 0, 0);
        if r.regs[0] == 0 {
            acks += 1;
            assert!(INTIDS.contains(&r.regs[1]));
            assert_eq!(
                vm.hypercall(v, CLEAR_MASKED, v as u64, r.regs[1], 0).regs[0],
                0
            );
        } else if finished {
            return acks;
        } else {
            thread::yield_now();
        }
    }
}

#[test]
fn every_assertion_is_accounted_for() {
    let vm = Vm::new(VmConfig {
        mpidrs: &[0, 1, 2, 3, 4],
        trusted: 32,
        untrusted: 32,
        inputs: &[Trigger::Edge, Trigger::Edge],
        level_trusted: &[],
        abi: Abi::V0_3,
    })
    .unwrap();
    for v in 0..2u64 {
        assert_eq!(vm.hypercall(v as usize, ENABLE, 0, 0, 0).regs[0], 0);
        for intid in INTIDS {
            vm.hypercall(v as usize, CLEAR_MASKED, v, intid, 0);
        }
    }
    vm.hypercall(4, MAP, 0, 0, 40);
    vm.hypercall(4, MAP, 1, 1, 41);

    let done = AtomicBool::new(false);
    let producing = AtomicU64::new(4);
    let signalled = AtomicU64::new(0);
    let asserted = AtomicU64::new(0);
    let finish = || {
        if producing.fetch_sub(1, SeqCst) == 1 {
            done.store(true, SeqCst);
        }
    };
    let acks: u64 = thread::scope(|s| {
        let receivers: Vec<_> = (0..2)
            .map(|v| {
                let (vm, done, signalled) = (&vm, &done, &signalled);
                s.spawn(move || receive(vm, v, done, signalled))
            })
            .collect();
        for v in 2..4 {
            let (vm, signalled, finish) = (&vm, &signalled, &finish);
            s.spawn(move || {
                for n in 0..ROUNDS {
                    let target = (n + v as u64) % 2;
                    let intid = INTIDS[(n as usize * 7 + v) % INTIDS.len()];
                    assert_eq!(vm.hypercall(v, SIGNAL, target, intid, 0).regs[0], 0);
                    signalled.fetch_add(1, SeqCst);
                    thread::yield_now();
                }
                finish();
            });
        }
        s.spawn(|| {
            for n in 0..ROUNDS {
                vm.set_input_line((n % 2) as usize, true);
                asserted.fetch_add(1, SeqCst);
                thread::yield_now();
            }
            finish();
        });
        s.spawn(|| {
            for n in 0..ROUNDS {
                let r = match n % 8 {
                    7 => vm.hypercall(4, UNMAP, 1, 0, 0),
                    _ => vm.hypercall(4, MAP, 1, n % 2, 41),
                };
                assert_eq!(r.regs[0], 0);
                thread::yield_now();
            }
            finish();
        });
        receivers.into_iter().map(|r| r.join().unwrap()).sum()
    });

    let counters: Vec<_> = (0..5).map(|v| vm.counters(v)).collect();
    let merged: u64 = counters.iter().map(|c| c.merged).sum();
    let dropped = counters[0].dropped;
    let (signalled, asserted) = (signalled.load(SeqCst), asserted.load(SeqCst));
    println!("{signalled} signals, {asserted} assertions: {acks} acks, {merged} merged, {dropped} dropped");
    assert_eq!(signalled, 2 * ROUNDS);
    assert_eq!(acks, counters[0].acks + counters[1].acks);
    assert_eq!(signalled + asserted, acks + merged + dropped);
    // The head start makes merges certain; acks follow from the loop.
    assert!(acks > 0 && merged > 0, "both paths exercised");
    for v in 0..2 {
        assert!(!vm.notification(v));
        vm.inspect(v, |r| {
            assert!(INTIDS.iter().all(|&i| !r.is_pending(i as u32)))
        });
    }
}

/// Stands in for the GIC: where the physical line of input 0 is routed.
/// vCPU v's `routed` takes (4 - v) × 100 µs before it writes, so that if
/// it were ever called outside the controller's lock, an earlier MAP's
/// steering would land after a later one's.
struct Gic<'a>(&'a std::sync::Mutex<Option<usize>>);

impl rvid::Physical for Gic<'_> {
    fn sample(&mut self, _: rvid::Source) -> Option<bool> {
        None
    }
    fn routed(&mut self, input: usize, vcpu: usize) {
        assert_eq!(input, 0);
        thread::sleep(std::time::Duration::from_micros(100 * (4 - vcpu as u64)));
        *self.0.lock().unwrap() = Some(vcpu);
    }
}

/// Four vCPUs MAP the same input to themselves at once, round after
/// round: the physical line must end where the routing table says, which
/// holds only because the line is steered under the table's lock.
#[test]
fn concurrent_maps_leave_the_line_where_the_table_points() {
    let vm = Vm::new(VmConfig {
        mpidrs: &[0, 1, 2, 3],
        trusted: 32,
        untrusted: 32,
        inputs: &[Trigger::Level],
        level_trusted: &[],
        abi: Abi::V0_3,
    })
    .unwrap();
    let gic = std::sync::Mutex::new(None);
    let start = std::sync::Barrier::new(4);
    for round in 0..50 {
        thread::scope(|s| {
            for v in 0..4usize {
                let (vm, gic, start) = (&vm, &gic, &start);
                s.spawn(move || {
                    start.wait();
                    let args = [0, v as u64, 40 + v as u64];
                    let r = vm.call(v, rvid::rvic::Call::Map, args, &mut Gic(gic));
                    assert_eq!(r.regs[0], 0);
                });
            }
        });
        let table = vm.route(0).map(|r| r.vcpu);
        assert_eq!(*gic.lock().unwrap(), table, "round {round}");
    }
}
