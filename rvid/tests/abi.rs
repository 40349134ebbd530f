// SPDX-License-Identifier: Apache-2.0 OR MIT
//! One test per row and per error of the ABI tables in `docs/rvic-abi.md`,
//! each asserting the exact x0..x3 the guest sees.

use rvid::rvic::{Abi, Call, SpaceError};
use rvid::{ConfigError, HvcResult, Physical, Resampled, Source, Trigger, VcpuSet, Vm, VmConfig};

/// Hardware that answers RESAMPLE's sample with `self.0` and routes nowhere.
struct Sampler<F>(F);

impl<F: FnMut(Source) -> Option<bool>> Physical for Sampler<F> {
    fn sample(&mut self, source: Source) -> Option<bool> {
        (self.0)(source)
    }

    fn routed(&mut self, _: usize, _: usize) {}
}

/// Hardware that records every route it is told of.
#[derive(Default)]
struct Router(Vec<(usize, usize)>);

impl Physical for Router {
    fn sample(&mut self, _: Source) -> Option<bool> {
        None
    }

    fn routed(&mut self, input: usize, vcpu: usize) {
        self.0.push((input, vcpu));
    }
}

const T: u64 = 32;
const U: u64 = 64;
const N: u64 = T + U;
/// vCPU 0 is MPIDR 0; vCPU 1 has Aff3 = 1 and Aff1 = 1.
const CPU0: u64 = 0;
const CPU1: u64 = 0x01_0000_0100;
const NOBODY: u64 = 0x0100;
const TIMER: u64 = 27;
/// Input 0 is edge, input 1 level, the rest edge.
const EDGE_IN: u64 = 0;
const LEVEL_IN: u64 = 1;

const SUCCESS: u64 = 0;
const NOT_SUPPORTED: u64 = u64::MAX;
fn parameter(arg: u64) -> u64 {
    1 | arg << 8
}
fn invalid_cpu(arg: u64) -> u64 {
    2 | arg << 8
}
const DISABLED: u64 = 3;
const NO_INTERRUPTS: u64 = 4;

const VERSION: u64 = 0xC500_0200;
const INFO: u64 = 0xC500_0201;
const ENABLE: u64 = 0xC500_0202;
const DISABLE: u64 = 0xC500_0203;
const SET_MASKED: u64 = 0xC500_0204;
const CLEAR_MASKED: u64 = 0xC500_0205;
const IS_PENDING: u64 = 0xC500_0206;
const SIGNAL: u64 = 0xC500_0207;
const CLEAR_PENDING: u64 = 0xC500_0208;
const ACKNOWLEDGE: u64 = 0xC500_0209;
const RESAMPLE: u64 = 0xC500_020A;
const ACKNOWLEDGE_UNMASKED: u64 = 0xC500_020B;
const RVID_VERSION: u64 = 0xC500_0100;
const MAP: u64 = 0xC500_0101;
const UNMAP: u64 = 0xC500_0102;

/// A VM offering ABI 0.3, the default.
fn vm() -> Vm {
    vm_with(Abi::V0_3)
}

fn vm_with(abi: Abi) -> Vm {
    Vm::new(VmConfig {
        mpidrs: &[CPU0, CPU1],
        trusted: T as u32,
        untrusted: U as u32,
        inputs: &[Trigger::Edge, Trigger::Level],
        level_trusted: &[TIMER as u32],
        abi,
    })
    .unwrap()
}

fn call(vm: &Vm, caller: usize, fid: u64, x1: u64, x2: u64, x3: u64) -> HvcResult {
    vm.hypercall(caller, fid, x1, x2, x3)
}

/// Asserts x0 = `status`, x1 = `value`, x2 = x3 = 0.
#[track_caller]
fn expect(r: HvcResult, status: u64, value: u64) {
    assert_eq!(r.regs, [status, value, 0, 0]);
}

fn ok(vm: &Vm, caller: usize, fid: u64, x1: u64, x2: u64) -> HvcResult {
    let r = call(vm, caller, fid, x1, x2, 0);
    expect(r, SUCCESS, 0);
    r
}

fn map(vm: &Vm, input: u64, target: u64, intid: u64) {
    expect(call(vm, 0, MAP, input, target, intid), SUCCESS, 0);
}

fn pending(vm: &Vm, vcpu: usize, intid: u32) -> bool {
    vm.inspect(vcpu, |r| r.is_pending(intid))
}

fn masked(vm: &Vm, vcpu: usize, intid: u32) -> bool {
    vm.inspect(vcpu, |r| r.is_masked(intid))
}

/// Enables vCPU 0 and makes `intid` pending and unmasked on it.
fn deliverable(vm: &Vm, intid: u64) {
    ok(vm, 0, ENABLE, 0, 0);
    ok(vm, 1, SIGNAL, CPU0, intid);
    ok(vm, 1, CLEAR_MASKED, CPU0, intid);
}

// ---- general ----

#[test]
fn initial_state_masked_not_pending_disabled() {
    let vm = vm();
    for v in 0..2 {
        vm.inspect(v, |r| {
            assert!(!r.is_enabled());
            assert!((0..N as u32).all(|i| r.is_masked(i) && !r.is_pending(i)));
        });
        assert!(!vm.notification(v));
    }
}

#[test]
fn unknown_function_ids_are_not_supported() {
    let vm = vm();
    for fid in [
        0,
        0x8400_0000,
        0xC500_020C,
        0xC500_01FF,
        0xC500_0103,
        0x8500_0200,
        0x8500_0101,
    ] {
        expect(call(&vm, 0, fid, 1, 2, 3), NOT_SUPPORTED, 0);
        assert!(Call::from_fid(fid).is_none());
    }
    assert_eq!(vm.counters(0).unsupported, 7);
}

#[test]
fn function_id_is_read_from_w0() {
    let vm = vm();
    expect(
        call(&vm, 0, 0xffff_ffff_0000_0000 | VERSION, 0, 0, 0),
        SUCCESS,
        3,
    );
    assert_eq!(Call::from_fid(0x1_0000_0000 | MAP), Some(Call::Map));
    for call in Call::ALL {
        assert_eq!(Call::from_fid(call.fid().into()), Some(call));
    }
}

#[test]
fn unused_argument_registers_are_ignored() {
    let vm = vm();
    expect(call(&vm, 0, VERSION, 7, 8, 9), SUCCESS, 3);
    expect(call(&vm, 0, ENABLE, 7, 8, 9), SUCCESS, 0);
    expect(call(&vm, 0, ACKNOWLEDGE, 7, 8, 9), NO_INTERRUPTS, 0);
}

#[test]
fn counters_count_calls_acks_merges_and_drops() {
    let vm = vm();
    deliverable(&vm, 5);
    ok(&vm, 1, SIGNAL, CPU0, 5);
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), SUCCESS, 5);
    vm.set_input_line(EDGE_IN as usize, true);
    let c0 = vm.counters(0);
    let c1 = vm.counters(1);
    assert_eq!(c0.calls[Call::Enable as usize], 1);
    assert_eq!(c0.calls[Call::Acknowledge as usize], 1);
    assert_eq!(c1.calls[Call::Signal as usize], 2);
    assert_eq!(c1.calls[Call::ClearMasked as usize], 1);
    assert_eq!(
        (c0.acks, c0.merged, c1.merged),
        (1, 1, 0),
        "the merge counts on the target"
    );
    assert_eq!((c0.dropped, c1.dropped), (1, 1), "drops are per VM");
}

// ---- rVIC rows ----

#[test]
fn rvic_version() {
    expect(call(&vm(), 0, VERSION, 0, 0, 0), SUCCESS, 0x0000_0003);
    expect(call(&vm_with(Abi::V0_4), 0, VERSION, 0, 0, 0), SUCCESS, 4);
}

#[test]
fn info_key_0_is_t() {
    expect(call(&vm(), 0, INFO, 0, 0, 0), SUCCESS, T);
}

#[test]
fn info_key_1_is_u() {
    expect(call(&vm(), 1, INFO, 1, 0, 0), SUCCESS, U);
}

#[test]
fn info_other_key_is_error_parameter_0() {
    for key in [2, 3, u64::MAX] {
        expect(call(&vm(), 0, INFO, key, 0, 0), parameter(0), 0);
    }
}

#[test]
fn enable_enables_the_callers_instance() {
    let vm = vm();
    map(&vm, EDGE_IN, CPU0, 40);
    vm.set_input_line(EDGE_IN as usize, true);
    ok(&vm, 1, CLEAR_MASKED, CPU0, 40);
    assert!(!vm.notification(0), "disabled: the line is low");
    let r = ok(&vm, 0, ENABLE, 0, 0);
    assert_eq!(r.kick.bits(), 0b01);
    assert!(vm.notification(0) && !vm.inspect(1, |r| r.is_enabled()));
}

#[test]
fn disable_keeps_pending_and_masked_and_signals_nothing() {
    let vm = vm();
    deliverable(&vm, 3);
    ok(&vm, 1, SIGNAL, CPU0, 4);
    assert!(vm.notification(0));
    let r = ok(&vm, 0, DISABLE, 0, 0);
    assert_eq!(r.kick.bits(), 0b01);
    assert!(!vm.notification(0));
    assert!(pending(&vm, 0, 3) && !masked(&vm, 0, 3) && pending(&vm, 0, 4) && masked(&vm, 0, 4));
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), DISABLED, 0);
    ok(&vm, 0, ENABLE, 0, 0);
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), SUCCESS, 3);
}

#[test]
fn set_masked_sets_masked() {
    let vm = vm();
    deliverable(&vm, 9);
    let r = ok(&vm, 1, SET_MASKED, CPU0, 9);
    assert!(masked(&vm, 0, 9) && pending(&vm, 0, 9));
    assert_eq!(r.kick.bits(), 0b01, "vCPU 0's line fell");
    assert!(!vm.notification(0));
}

#[test]
fn clear_masked_clears_masked() {
    let vm = vm();
    ok(&vm, 1, ENABLE, 0, 0);
    ok(&vm, 0, SIGNAL, CPU1, N - 1);
    let r = ok(&vm, 0, CLEAR_MASKED, CPU1, N - 1);
    assert!(!masked(&vm, 1, (N - 1) as u32));
    assert_eq!(r.kick, {
        let mut s = VcpuSet::EMPTY;
        s.insert(1);
        s
    });
}

#[test]
fn is_pending_reads_pending() {
    let vm = vm();
    expect(call(&vm, 0, IS_PENDING, CPU1, 40, 0), SUCCESS, 0);
    vm.hypercall(1, MAP, EDGE_IN, CPU1, 40);
    vm.set_input_line(EDGE_IN as usize, true);
    expect(call(&vm, 0, IS_PENDING, CPU1, 40, 0), SUCCESS, 1);
}

#[test]
fn signal_sets_pending() {
    let vm = vm();
    ok(&vm, 1, ENABLE, 0, 0);
    let r = ok(&vm, 0, SIGNAL, CPU1, 0);
    assert!(pending(&vm, 1, 0));
    assert!(r.kick.is_empty(), "masked: no notification");
    ok(&vm, 0, SIGNAL, CPU1, 0);
    assert_eq!(vm.counters(1).merged, 1);
}

#[test]
fn signal_to_disabled_instance_is_disabled_and_records_nothing() {
    let vm = vm();
    expect(call(&vm, 0, SIGNAL, CPU1, 2, 0), DISABLED, 0);
    assert!(!pending(&vm, 1, 2));
}

#[test]
fn clear_pending_clears_pending() {
    let vm = vm();
    deliverable(&vm, 7);
    let r = ok(&vm, 1, CLEAR_PENDING, CPU0, 7);
    assert!(!pending(&vm, 0, 7) && r.kick.bits() == 0b01 && !vm.notification(0));
}

/// Every (target, intid) call shares the same two errors: they get one test
/// each, plus one that the last INTID is accepted and one for the order.
macro_rules! target_errors {
    ($name:ident, $fid:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn unknown_target_is_invalid_cpu_0() {
                let vm = vm();
                for target in [NOBODY, CPU1 | 1 << 31, 2, u64::MAX] {
                    expect(call(&vm, 0, $fid, target, 1, 0), invalid_cpu(0), 0);
                }
            }

            #[test]
            fn intid_past_t_plus_u_is_error_parameter_1() {
                let vm = vm();
                for intid in [N, N + 1, 1 << 32, u64::MAX] {
                    expect(call(&vm, 0, $fid, CPU1, intid, 0), parameter(1), 0);
                }
            }

            #[test]
            fn last_intid_is_accepted() {
                let vm = vm();
                ok(&vm, 1, ENABLE, 0, 0);
                assert_eq!(call(&vm, 0, $fid, CPU1, N - 1, 0).regs[0], SUCCESS);
            }

            #[test]
            fn target_is_checked_before_intid() {
                expect(call(&vm(), 0, $fid, NOBODY, N, 0), invalid_cpu(0), 0);
            }
        }
    };
}

target_errors!(set_masked, SET_MASKED);
target_errors!(clear_masked, CLEAR_MASKED);
target_errors!(is_pending, IS_PENDING);
target_errors!(signal, SIGNAL);
target_errors!(clear_pending, CLEAR_PENDING);

#[test]
fn acknowledge_returns_masks_and_clears() {
    let vm = vm();
    deliverable(&vm, 12);
    let r = call(&vm, 0, ACKNOWLEDGE, 0, 0, 0);
    expect(r, SUCCESS, 12);
    assert!(masked(&vm, 0, 12) && !pending(&vm, 0, 12));
    assert_eq!(r.kick.bits(), 0b01);
    assert_eq!(vm.counters(0).acks, 1);
}

#[test]
fn acknowledge_acts_on_the_caller_only() {
    let vm = vm();
    deliverable(&vm, 12);
    ok(&vm, 1, ENABLE, 0, 0);
    expect(call(&vm, 1, ACKNOWLEDGE, 0, 0, 0), NO_INTERRUPTS, 0);
    assert!(pending(&vm, 0, 12));
}

#[test]
fn acknowledge_with_nothing_is_no_interrupts_x1_0() {
    let vm = vm();
    ok(&vm, 0, ENABLE, 0, 0);
    ok(&vm, 1, SIGNAL, CPU0, 3);
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), NO_INTERRUPTS, 0);
    assert_eq!(vm.counters(0).acks, 0);
}

#[test]
fn acknowledge_on_disabled_instance_is_disabled() {
    let vm = vm();
    deliverable(&vm, 3);
    ok(&vm, 0, DISABLE, 0, 0);
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), DISABLED, 0);
    assert!(pending(&vm, 0, 3));
}

#[test]
fn acknowledge_is_fair() {
    let vm = vm();
    for i in [0, 1, 95] {
        deliverable(&vm, i);
    }
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), SUCCESS, 0);
    deliverable(&vm, 0);
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), SUCCESS, 1);
    deliverable(&vm, 1);
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), SUCCESS, 95);
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), SUCCESS, 0);
}

// ---- ACKNOWLEDGE_UNMASKED (0.4) ----

#[test]
fn acknowledge_unmasked_is_not_supported_in_0_3() {
    let vm = vm();
    deliverable(&vm, 12);
    let r = call(&vm, 0, ACKNOWLEDGE_UNMASKED, 0, 0, 0);
    assert_eq!(r, call(&vm, 0, 0xC500_020C, 0, 0, 0), "as an unknown ID");
    expect(r, NOT_SUPPORTED, 0);
    assert!(pending(&vm, 0, 12) && !masked(&vm, 0, 12), "nothing taken");
    let c = vm.counters(0);
    assert_eq!((c.unsupported, c.acks), (2, 0));
    assert_eq!(c.calls[Call::AcknowledgeUnmasked as usize], 0);
    // Through `Vm::call` too, as the hypervisor calls it.
    let r = vm.call(0, Call::AcknowledgeUnmasked, [0; 3], &mut Router::default());
    expect(r, NOT_SUPPORTED, 0);
    assert_eq!(vm.counters(0).unsupported, 3);
}

#[test]
fn acknowledge_unmasked_returns_and_clears_but_leaves_unmasked() {
    let vm = vm_with(Abi::V0_4);
    deliverable(&vm, 12);
    let r = call(&vm, 0, ACKNOWLEDGE_UNMASKED, 0, 0, 0);
    expect(r, SUCCESS, 12);
    assert!(!masked(&vm, 0, 12) && !pending(&vm, 0, 12));
    assert_eq!(r.kick.bits(), 0b01);
    let c = vm.counters(0);
    assert_eq!(
        (c.acks, c.calls[Call::AcknowledgeUnmasked as usize]),
        (1, 1)
    );
    // A new SIGNAL is deliverable at once, with no CLEAR_MASKED.
    let r = ok(&vm, 1, SIGNAL, CPU0, 12);
    assert_eq!(r.kick.bits(), 0b01);
    assert!(vm.notification(0));
    expect(call(&vm, 0, ACKNOWLEDGE_UNMASKED, 0, 0, 0), SUCCESS, 12);
    expect(
        call(&vm, 0, ACKNOWLEDGE_UNMASKED, 0, 0, 0),
        NO_INTERRUPTS,
        0,
    );
    assert_eq!(vm.counters(0).acks, 2);
}

#[test]
fn acknowledge_unmasked_disabled_caller_only_and_masked_ones_stay() {
    let vm = vm_with(Abi::V0_4);
    deliverable(&vm, 3);
    ok(&vm, 1, ENABLE, 0, 0);
    expect(
        call(&vm, 1, ACKNOWLEDGE_UNMASKED, 0, 0, 0),
        NO_INTERRUPTS,
        0,
    );
    ok(&vm, 0, DISABLE, 0, 0);
    expect(call(&vm, 0, ACKNOWLEDGE_UNMASKED, 7, 8, 9), DISABLED, 0);
    assert!(pending(&vm, 0, 3));
    ok(&vm, 0, ENABLE, 0, 0);
    ok(&vm, 1, SET_MASKED, CPU0, 3);
    expect(
        call(&vm, 0, ACKNOWLEDGE_UNMASKED, 0, 0, 0),
        NO_INTERRUPTS,
        0,
    );
    assert!(pending(&vm, 0, 3) && masked(&vm, 0, 3));
}

#[test]
fn acknowledge_unmasked_shares_the_fairness_cursor() {
    let vm = vm_with(Abi::V0_4);
    for i in [0, 1, 95] {
        deliverable(&vm, i);
    }
    expect(call(&vm, 0, ACKNOWLEDGE_UNMASKED, 0, 0, 0), SUCCESS, 0);
    ok(&vm, 1, SIGNAL, CPU0, 0);
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), SUCCESS, 1);
    deliverable(&vm, 1);
    expect(call(&vm, 0, ACKNOWLEDGE_UNMASKED, 0, 0, 0), SUCCESS, 95);
    expect(call(&vm, 0, ACKNOWLEDGE_UNMASKED, 0, 0, 0), SUCCESS, 0);
    expect(call(&vm, 0, ACKNOWLEDGE_UNMASKED, 0, 0, 0), SUCCESS, 1);
}

#[test]
fn acknowledge_unmasked_of_a_level_timer_waits_for_resample() {
    let vm = vm_with(Abi::V0_4);
    ok(&vm, 0, ENABLE, 0, 0);
    ok(&vm, 0, CLEAR_MASKED, CPU0, TIMER);
    vm.set_trusted_level(0, TIMER as u32, true).unwrap();
    expect(call(&vm, 0, ACKNOWLEDGE_UNMASKED, 0, 0, 0), SUCCESS, TIMER);
    assert!(!masked(&vm, 0, 27));
    // The line stays high: no new edge, nothing pending until RESAMPLE.
    assert!(vm
        .set_trusted_level(0, TIMER as u32, true)
        .unwrap()
        .is_empty());
    assert!(!pending(&vm, 0, 27) && !vm.notification(0));
    let r = ok(&vm, 0, RESAMPLE, TIMER, 0);
    assert_eq!(
        r.resampled,
        resampled(Source::Trusted { vcpu: 0, intid: 27 }, true)
    );
    assert!(pending(&vm, 0, 27) && vm.notification(0));
    assert_eq!(r.kick.bits(), 0b01);
}

fn resampled(source: Source, asserted: bool) -> Option<Resampled> {
    Some(Resampled { source, asserted })
}

#[test]
fn resample_trusted_level_still_asserted_pends_again() {
    let vm = vm();
    ok(&vm, 0, ENABLE, 0, 0);
    ok(&vm, 0, CLEAR_MASKED, CPU0, TIMER);
    assert_eq!(
        vm.set_trusted_level(0, TIMER as u32, true).unwrap().bits(),
        0b01
    );
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), SUCCESS, TIMER);
    let r = ok(&vm, 0, RESAMPLE, TIMER, 0);
    assert_eq!(
        r.resampled,
        resampled(Source::Trusted { vcpu: 0, intid: 27 }, true)
    );
    assert!(pending(&vm, 0, 27));
}

#[test]
fn resample_trusted_level_deasserted_lets_the_source_fire_again() {
    let vm = vm();
    vm.set_trusted_level(1, TIMER as u32, true).unwrap();
    vm.set_trusted_level(1, TIMER as u32, false).unwrap();
    assert!(!pending(&vm, 1, 27), "the falling line withdrew it");
    let r = ok(&vm, 1, RESAMPLE, TIMER, 0);
    assert_eq!(
        r.resampled,
        resampled(Source::Trusted { vcpu: 1, intid: 27 }, false)
    );
    assert!(!pending(&vm, 1, 27));
}

#[test]
fn resample_trusted_without_level_source_does_nothing_and_succeeds() {
    let vm = vm();
    let r = ok(&vm, 0, RESAMPLE, 26, 0);
    assert_eq!(r.resampled, None);
    assert!(!pending(&vm, 0, 26));
    assert!(
        vm.set_trusted_level(0, 26, true).is_err(),
        "not declared level"
    );
}

#[test]
fn resample_untrusted_from_level_input() {
    let vm = vm();
    map(&vm, LEVEL_IN, CPU1, 70);
    vm.set_input_line(LEVEL_IN as usize, true);
    assert!(pending(&vm, 1, 70));
    ok(&vm, 1, CLEAR_PENDING, CPU1, 70);
    let r = ok(&vm, 1, RESAMPLE, 70, 0);
    assert_eq!(r.resampled, resampled(Source::Input(1), true));
    assert!(pending(&vm, 1, 70));
    vm.set_input_line(LEVEL_IN as usize, false);
    let r = ok(&vm, 1, RESAMPLE, 70, 0);
    assert_eq!(r.resampled, resampled(Source::Input(1), false));
    assert!(!pending(&vm, 1, 70));
}

/// The hypervisor's view of the line at RESAMPLE time wins over the last
/// reported one: physical level lines report no fall, and the timer's
/// output is read from the CPU.
#[test]
fn resample_uses_the_sampled_line() {
    let vm = vm();
    map(&vm, LEVEL_IN, CPU1, 70);
    vm.set_input_line(LEVEL_IN as usize, true);
    ok(&vm, 1, ENABLE, 0, 0);
    ok(&vm, 1, CLEAR_MASKED, CPU1, 70);
    expect(call(&vm, 1, ACKNOWLEDGE, 0, 0, 0), SUCCESS, 70);
    // The device dropped its line; only the sample knows.
    let mut asked = None;
    let r = vm.call(
        1,
        Call::Resample,
        [70, 0, 0],
        &mut Sampler(|s| {
            asked = Some(s);
            Some(false)
        }),
    );
    assert_eq!(asked, Some(Source::Input(1)));
    assert_eq!(r.regs, [SUCCESS, 0, 0, 0]);
    assert_eq!(r.resampled, resampled(Source::Input(1), false));
    assert!(!pending(&vm, 1, 70));
    // Nothing merged on the next real assertion: the line had fallen.
    vm.set_input_line(LEVEL_IN as usize, true);
    assert!(pending(&vm, 1, 70));

    // The timer's last report says low, the sample says high: pending again.
    vm.set_trusted_level(0, TIMER as u32, false).unwrap();
    let r = vm.call(
        0,
        Call::Resample,
        [TIMER, 0, 0],
        &mut Sampler(|_| Some(true)),
    );
    assert_eq!(
        r.resampled,
        resampled(Source::Trusted { vcpu: 0, intid: 27 }, true)
    );
    assert!(pending(&vm, 0, 27));
    // A trusted INTID with no level source is never sampled.
    let r = vm.call(
        0,
        Call::Resample,
        [26, 0, 0],
        &mut Sampler(|_| panic!("sampled")),
    );
    assert_eq!(r.resampled, None);
}

#[test]
fn a_successful_map_and_only_that_steers_the_physical_line() {
    let vm = vm();
    let mut hw = Router::default();
    let r = vm.call(0, Call::Map, [LEVEL_IN, CPU1, 70], &mut hw);
    assert_eq!(r.regs, [SUCCESS, 0, 0, 0]);
    assert_eq!(hw.0, [(LEVEL_IN as usize, 1)]);
    // Refused: a trusted INTID, an unknown vCPU, an input out of range, a
    // (vCPU, INTID) another input already uses.
    for args in [
        [LEVEL_IN, CPU0, 20],
        [LEVEL_IN, 0x77, 40],
        [64, CPU0, 40],
        [EDGE_IN, CPU1, 70],
    ] {
        let r = vm.call(0, Call::Map, args, &mut hw);
        assert_ne!(r.regs[0], SUCCESS, "{args:?}");
    }
    assert_eq!(
        hw.0,
        [(LEVEL_IN as usize, 1)],
        "a refused MAP steers nothing"
    );
    vm.call(1, Call::Map, [LEVEL_IN, CPU0, 71], &mut hw);
    assert_eq!(hw.0, [(LEVEL_IN as usize, 1), (LEVEL_IN as usize, 0)]);
}

#[test]
fn resample_untrusted_from_edge_input_is_error_parameter_0() {
    let vm = vm();
    map(&vm, EDGE_IN, CPU0, 40);
    expect(call(&vm, 0, RESAMPLE, 40, 0, 0), parameter(0), 0);
}

#[test]
fn resample_untrusted_unrouted_is_error_parameter_0() {
    let vm = vm();
    expect(call(&vm, 0, RESAMPLE, T, 0, 0), parameter(0), 0);
    expect(call(&vm, 0, RESAMPLE, N - 1, 0, 0), parameter(0), 0);
}

#[test]
fn resample_untrusted_routed_to_another_vcpu_is_error_parameter_0() {
    let vm = vm();
    map(&vm, LEVEL_IN, CPU1, 70);
    expect(call(&vm, 0, RESAMPLE, 70, 0, 0), parameter(0), 0);
}

#[test]
fn resample_intid_past_t_plus_u_is_error_parameter_0() {
    for intid in [N, u64::MAX] {
        expect(call(&vm(), 0, RESAMPLE, intid, 0, 0), parameter(0), 0);
    }
}

// ---- rVID rows ----

#[test]
fn rvid_version() {
    expect(call(&vm(), 1, RVID_VERSION, 0, 0, 0), SUCCESS, 0x0000_0003);
    expect(
        call(&vm_with(Abi::V0_4), 1, RVID_VERSION, 0, 0, 0),
        SUCCESS,
        4,
    );
}

#[test]
fn map_routes_the_input() {
    let vm = vm();
    map(&vm, EDGE_IN, CPU1, 33);
    ok(&vm, 1, ENABLE, 0, 0);
    ok(&vm, 1, CLEAR_MASKED, CPU1, 33);
    assert_eq!(vm.set_input_line(EDGE_IN as usize, true).bits(), 0b10);
    assert!(pending(&vm, 1, 33) && vm.notification(1));
}

#[test]
fn map_again_replaces_the_route() {
    let vm = vm();
    map(&vm, EDGE_IN, CPU1, 33);
    map(&vm, EDGE_IN, CPU0, 34);
    vm.set_input_line(EDGE_IN as usize, true);
    assert!(pending(&vm, 0, 34) && !pending(&vm, 1, 33));
    assert_eq!(vm.route(0).map(|r| (r.vcpu, r.intid)), Some((0, 34)));
    map(&vm, LEVEL_IN, CPU1, 33);
}

#[test]
fn map_bad_input_is_error_parameter_0_and_u_is_bad() {
    let vm = vm();
    for input in [U, U + 1, u64::MAX] {
        expect(call(&vm, 0, MAP, input, CPU0, 40), parameter(0), 0);
    }
    map(&vm, U - 1, CPU0, 40);
}

#[test]
fn map_bad_target_is_invalid_cpu_1() {
    expect(call(&vm(), 0, MAP, 0, NOBODY, 40), invalid_cpu(1), 0);
}

#[test]
fn map_trusted_intid_is_error_parameter_2() {
    let vm = vm();
    for intid in [0, TIMER, T - 1] {
        expect(call(&vm, 0, MAP, 0, CPU0, intid), parameter(2), 0);
    }
    map(&vm, 0, CPU0, T);
}

#[test]
fn map_intid_past_t_plus_u_is_error_parameter_2() {
    let vm = vm();
    for intid in [N, u64::MAX] {
        expect(call(&vm, 0, MAP, 0, CPU0, intid), parameter(2), 0);
    }
    map(&vm, 0, CPU0, N - 1);
}

#[test]
fn map_onto_another_inputs_route_is_error_parameter_2() {
    let vm = vm();
    map(&vm, 5, CPU0, 40);
    expect(call(&vm, 0, MAP, 6, CPU0, 40), parameter(2), 0);
    assert_eq!(vm.route(6), None, "a refused MAP changes nothing");
    map(&vm, 6, CPU1, 40);
}

#[test]
fn map_checks_arguments_in_order() {
    let vm = vm();
    expect(call(&vm, 0, MAP, U, NOBODY, 0), parameter(0), 0);
    expect(call(&vm, 0, MAP, 0, NOBODY, 0), invalid_cpu(1), 0);
}

#[test]
fn map_of_asserted_level_input_pends_on_the_new_route() {
    let vm = vm();
    vm.set_input_line(LEVEL_IN as usize, true);
    assert_eq!(vm.counters(0).dropped, 1);
    map(&vm, LEVEL_IN, CPU1, 50);
    assert!(pending(&vm, 1, 50));
    ok(&vm, 1, CLEAR_PENDING, CPU1, 50);
    map(&vm, LEVEL_IN, CPU1, 50);
    assert!(!pending(&vm, 1, 50), "same route: nothing new");
}

#[test]
fn unmap_removes_the_route_and_drops_later_assertions() {
    let vm = vm();
    map(&vm, EDGE_IN, CPU0, 40);
    ok(&vm, 0, UNMAP, EDGE_IN, 0);
    assert_eq!(vm.route(0), None);
    assert!(vm.set_input_line(EDGE_IN as usize, true).is_empty());
    assert!(!pending(&vm, 0, 40));
    assert_eq!(vm.counters(0).dropped, 1);
    ok(&vm, 0, UNMAP, EDGE_IN, 0);
    map(&vm, 7, CPU0, 40);
}

#[test]
fn unmap_bad_input_is_error_parameter_0() {
    let vm = vm();
    for input in [U, u64::MAX] {
        expect(call(&vm, 0, UNMAP, input, 0, 0), parameter(0), 0);
    }
    ok(&vm, 0, UNMAP, U - 1, 0);
}

// ---- delivery rules ----

#[test]
fn edge_assertions_merge_while_pending() {
    let vm = vm();
    map(&vm, EDGE_IN, CPU0, 40);
    ok(&vm, 0, CLEAR_MASKED, CPU0, 40);
    ok(&vm, 0, ENABLE, 0, 0);
    vm.set_input_line(EDGE_IN as usize, true);
    vm.set_input_line(EDGE_IN as usize, false);
    vm.set_input_line(EDGE_IN as usize, true);
    assert_eq!(vm.counters(0).merged, 1);
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), SUCCESS, 40);
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), NO_INTERRUPTS, 0);
}

#[test]
fn sources_record_pending_on_a_disabled_instance() {
    let vm = vm();
    map(&vm, EDGE_IN, CPU0, 40);
    assert!(vm.set_input_line(EDGE_IN as usize, true).is_empty());
    vm.set_trusted_level(0, TIMER as u32, true).unwrap();
    assert!(pending(&vm, 0, 40) && pending(&vm, 0, 27));
}

#[test]
fn retargeting_sequence_moves_a_pending_interrupt() {
    let vm = vm();
    for (v, mpidr) in [(0, CPU0), (1, CPU1)] {
        ok(&vm, v, ENABLE, 0, 0);
        ok(&vm, v, CLEAR_MASKED, mpidr, 40);
    }
    map(&vm, EDGE_IN, CPU0, 40);
    ok(&vm, 0, SET_MASKED, CPU0, 40);
    vm.set_input_line(EDGE_IN as usize, true);
    // The sequence, from vCPU 0.
    ok(&vm, 0, SET_MASKED, CPU0, 40);
    ok(&vm, 0, SET_MASKED, CPU1, 40);
    map(&vm, EDGE_IN, CPU1, 40);
    expect(call(&vm, 0, IS_PENDING, CPU0, 40, 0), SUCCESS, 1);
    ok(&vm, 0, CLEAR_PENDING, CPU0, 40);
    ok(&vm, 0, SIGNAL, CPU1, 40);
    ok(&vm, 0, CLEAR_MASKED, CPU1, 40);
    expect(call(&vm, 1, ACKNOWLEDGE, 0, 0, 0), SUCCESS, 40);
    expect(call(&vm, 1, ACKNOWLEDGE, 0, 0, 0), NO_INTERRUPTS, 0);
    expect(call(&vm, 0, ACKNOWLEDGE, 0, 0, 0), NO_INTERRUPTS, 0);
    assert!(!pending(&vm, 0, 40));
}

// ---- construction ----

#[test]
fn config_is_validated() {
    let base = VmConfig {
        mpidrs: &[CPU0, CPU1],
        trusted: 32,
        untrusted: 32,
        inputs: &[],
        level_trusted: &[],
        abi: Abi::V0_3,
    };
    let err = |cfg: VmConfig| Vm::new(cfg).err();
    assert_eq!(err(base), None);
    assert_eq!(
        err(VmConfig {
            trusted: 16,
            ..base
        }),
        Some(ConfigError::Space(SpaceError::TooFew))
    );
    assert_eq!(
        err(VmConfig {
            untrusted: 2048,
            ..base
        }),
        Some(ConfigError::Space(SpaceError::TooMany))
    );
    assert_eq!(
        err(VmConfig {
            mpidrs: &[],
            ..base
        }),
        Some(ConfigError::VcpuCount(0))
    );
    let many: Vec<u64> = (0..65).collect();
    assert_eq!(
        err(VmConfig {
            mpidrs: &many,
            ..base
        }),
        Some(ConfigError::VcpuCount(65))
    );
    assert_eq!(
        err(VmConfig {
            mpidrs: &many[..64],
            ..base
        }),
        None
    );
    assert_eq!(
        err(VmConfig {
            mpidrs: &[1, 2, 1],
            ..base
        }),
        Some(ConfigError::Mpidr(2))
    );
    assert_eq!(
        err(VmConfig {
            mpidrs: &[0, 1 << 31],
            ..base
        }),
        Some(ConfigError::Mpidr(1))
    );
    let inputs = [Trigger::Edge; 33];
    assert_eq!(
        err(VmConfig {
            inputs: &inputs,
            ..base
        }),
        Some(ConfigError::InputCount(33))
    );
    assert_eq!(
        err(VmConfig {
            inputs: &inputs[..32],
            ..base
        }),
        None
    );
    assert_eq!(
        err(VmConfig {
            level_trusted: &[32],
            ..base
        }),
        Some(ConfigError::LevelIntid(32))
    );
    assert_eq!(
        err(VmConfig {
            level_trusted: &[31],
            ..base
        }),
        None
    );
}

#[test]
fn mpidr_lookup() {
    let vm = vm();
    assert_eq!(
        (vm.vcpu_of(CPU0), vm.vcpu_of(CPU1), vm.vcpu_of(NOBODY)),
        (Some(0), Some(1), None)
    );
    assert_eq!(vm.vcpus(), 2);
    assert_eq!((vm.space().trusted(), vm.space().untrusted()), (32, 64));
}
