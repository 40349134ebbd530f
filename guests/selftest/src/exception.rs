// SPDX-License-Identifier: Apache-2.0 OR MIT
//! What the EL1 vectors hand to Rust. IRQs are acknowledged and counted in
//! [`TALLY`]; a synchronous exception is either one a check asked for (an
//! abort it provoked, or `HVC`/`SMC` being undefined: the call then answers
//! NOT_SUPPORTED) or the end of the run: registers printed, a failed check,
//! the closing line, SYSTEM_OFF. Owns the per-vCPU "expected abort" slots.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering::*};

use selftest::abi::*;
use selftest::tally::Tally;
use selftest::{msg, MAX_CPUS};

use crate::{arch, checks, console};

/// Every vCPU's IRQ bookkeeping.
pub static TALLY: Tally = Tally::new();

/// The interrupted context, as vectors.S lays it out.
#[repr(C)]
pub struct Frame {
    x: [u64; 31],
    elr: u64,
    spsr: u64,
    _pad: u64,
}

const _: () = assert!(core::mem::size_of::<Frame>() == 272);

const EC_UNKNOWN: u64 = 0;
/// SGIs 0..15 are unmasked again by the handler (the guest's EOI); other
/// INTIDs stay masked after ACKNOWLEDGE until a check unmasks them.
const IPIS: u64 = 16;

/// The IRQ handler of this vCPU acknowledges with ACKNOWLEDGE_UNMASKED
/// (ABI 0.4) and leaves every INTID unmasked, with no CLEAR_MASKED.
static UNMASKED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
static ARMED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
static CAUGHT: [(AtomicU64, AtomicU64); MAX_CPUS] =
    [const { (AtomicU64::new(0), AtomicU64::new(0)) }; MAX_CPUS];
/// PSTATE.PAN, SSBS and DIT (those implemented) on entry to the handler
/// of the last caught exception, as [`arch::pstate_fields`] gives them.
static CAUGHT_PSTATE: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
static UNDEFINED_HVC: AtomicU32 = AtomicU32::new(0);
static UNDEFINED_SMC: AtomicU32 = AtomicU32::new(0);
/// 1 + the vCPU that met an unexpected exception first (0: none).
static FATAL: AtomicUsize = AtomicUsize::new(0);

/// Run `f`, stepping over the first synchronous exception it causes:
/// returns `f`'s result and that exception's (ESR, FAR), if any.
pub fn catching<R>(f: impl FnOnce() -> R) -> (R, Option<(u64, u64)>) {
    let cpu = arch::cpu_index();
    ARMED[cpu].store(true, SeqCst);
    let r = f();
    if ARMED[cpu].swap(false, SeqCst) {
        return (r, None);
    }
    let (esr, far) = &CAUGHT[cpu];
    (r, Some((esr.load(SeqCst), far.load(SeqCst))))
}

/// Make this vCPU's IRQ handler acknowledge with ACKNOWLEDGE_UNMASKED
/// (`true`) or ACKNOWLEDGE (`false`, the default).
pub fn acknowledge_unmasked(on: bool) {
    UNMASKED[arch::cpu_index()].store(on, SeqCst);
}

/// PSTATE.PAN, SSBS and DIT as the handler of the last exception
/// [`catching`] caught on this vCPU found them ([`arch::pstate_fields`]).
pub fn caught_pstate() -> u64 {
    CAUGHT_PSTATE[arch::cpu_index()].load(SeqCst)
}

/// How many `HVC #0` and `SMC #0` were undefined (nothing answered them).
pub fn undefined_calls() -> (u32, u32) {
    (UNDEFINED_HVC.load(SeqCst), UNDEFINED_SMC.load(SeqCst))
}

#[no_mangle]
extern "C" fn el1_exception(frame: &mut Frame, kind: u64) {
    let cpu = arch::cpu_index();
    match kind {
        5 => irq(cpu),
        4 => sync(cpu, frame, kind),
        _ => fatal(cpu, kind, frame.elr, arch::esr(), arch::far()),
    }
}

fn irq(cpu: usize) {
    TALLY.entry(cpu);
    let me = arch::mpidr();
    let unmasked = UNMASKED[cpu].load(SeqCst);
    let fid = match unmasked {
        true => RVIC_ACKNOWLEDGE_UNMASKED,
        false => RVIC_ACKNOWLEDGE,
    };
    for n in 0..2 * selftest::MAX_INTIDS {
        let c = arch::hvc(fid, [0; 3]);
        match (c.status(), c.ret[2..] == [0, 0]) {
            (SUCCESS, true) => {
                TALLY.ack(cpu, c.value());
                if c.value() < IPIS && !unmasked {
                    arch::hvc(RVIC_CLEAR_MASKED, [me, c.value(), 0]);
                }
            }
            (NO_INTERRUPTS, true) if c.value() == 0 => {
                if n == 0 {
                    TALLY.spurious(cpu);
                }
                return;
            }
            _ => return TALLY.bad(),
        }
    }
    TALLY.bad(); // ACKNOWLEDGE never ran dry
}

fn sync(cpu: usize, frame: &mut Frame, kind: u64) {
    let (esr, far) = (arch::esr(), arch::far());
    if esr >> 26 == EC_UNKNOWN {
        let insn = arch::instruction_at(frame.elr);
        let counter = match insn {
            arch::HVC0 => Some(&UNDEFINED_HVC),
            arch::SMC0 => Some(&UNDEFINED_SMC),
            _ => None,
        };
        if let Some(counter) = counter {
            counter.fetch_add(1, SeqCst);
            frame.x[..4].copy_from_slice(&[NOT_SUPPORTED, 0, 0, 0]);
            frame.elr += 4;
            return;
        }
    }
    if ARMED[cpu].swap(false, SeqCst) {
        CAUGHT_PSTATE[cpu].store(arch::pstate_fields(), SeqCst);
        CAUGHT[cpu].0.store(esr, SeqCst);
        CAUGHT[cpu].1.store(far, SeqCst);
        frame.elr += 4;
        return;
    }
    fatal(cpu, kind, frame.elr, esr, far);
}

/// An exception nothing expected: report it as a failed check, close the
/// report and power off. Another vCPU meeting one meanwhile stops where it
/// is; this path faulting itself powers off at once.
fn fatal(cpu: usize, kind: u64, elr: u64, esr: u64, far: u64) -> ! {
    match FATAL.compare_exchange(0, cpu + 1, SeqCst, SeqCst) {
        Err(first) if first != cpu + 1 => arch::park(),
        Err(_) => {}
        Ok(_) => {
            let what = ["synchronous exception", "IRQ", "FIQ", "SError"][(kind & 3) as usize];
            let from = [" on SP_EL0", "", " from EL0", " from AArch32"][(kind / 4) as usize];
            console::force(|w| {
                let _ = writeln!(w, "# vCPU {cpu}: unexpected {what}{from}");
                let why =
                    msg!("vCPU {cpu}: {what}{from}, ESR {esr:#x}, ELR {elr:#x}, FAR {far:#x}");
                checks::REPORT.record(w, format_args!("no unexpected exception"), &Err(why));
                checks::REPORT.summary(w);
            });
        }
    }
    arch::hvc(PSCI_SYSTEM_OFF, [0; 3]);
    arch::park()
}
