// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The VM: built on the boot CPU from the guest bundle the loader left in
//! memory ([`build`]), then run by every CPU, vCPU i pinned to physical CPU
//! i. This layer decides what each guest exit means and returns an
//! [`Outcome`]; it never waits for interrupts or calls the layers above it.
//!
//! | module | owns |
//! |---|---|
//! | [`build`] | guest RAM, its stage-2 map, the images copied in, the VM's creation |
//! | `exit` | what each decoded exit does: hypercall, wait, abort, UNDEFINED |
//! | `hypercall` | SMCCC, PSCI and rVIC/rVID calls, each decoded once |
//! | [`lines`] | which physical line feeds which guest input, and the level-line rule |
//! | [`vcpu`] | each vCPU's power state, virtual IRQ line and counters; kicks |
//! | `report` | the counters printed at power-off |
//!
//! Guest RAM is identity-mapped (IPA = PA): devices passed through to the
//! guest do DMA with the addresses the guest gives them, and there is no
//! SMMU between them and memory.

pub mod build;
mod exit;
mod hypercall;
pub mod lines;
mod report;
pub mod vcpu;

use alloc::boxed::Box;
use core::sync::atomic::{AtomicBool, AtomicUsize};

use hyp::options::Options;
use platform::Range;
use spin::Once;

use crate::board::{Board, Stop};
use lines::Lines;
use vcpu::Vcpu;

/// rVIC sizes: T trusted INTIDs, U untrusted (and U rVID inputs).
pub const T: u32 = 32;
pub const U: u32 = 64;
/// The trusted INTID the guest's virtual timer raises.
pub const VTIMER_INTID: u32 = rvid::rvic::timer_intid::VIRT;

/// The one VM.
pub struct Vm {
    /// The rVIC/rVID controller: the guest's whole interrupt state.
    pub irqc: rvid::Vm,
    pub vcpus: Box<[Vcpu]>,
    /// The logical CPU each vCPU runs on (vCPU 0 on the boot CPU; only
    /// CPUs that came up), so no guest call can reach one that did not.
    cpus: Box<[usize]>,
    /// The inverse: the vCPU of each logical CPU, for the interrupt and
    /// kick paths, which know only the CPU they run on.
    vcpu_of_cpu: [Option<u8>; vocab::MAX_CPUS],
    pub lines: Lines,
    /// VTTBR_EL2 of its stage-2 tables.
    pub vttbr: u64,
    pub options: Options,
    pub ram: Range,
    pub board: &'static Board,
    abort_logged: AtomicBool,
    serror_logged: AtomicBool,
    fiq_logged: AtomicBool,
    /// vCPUs on or claimed by a CPU_ON: when the last one calls CPU_OFF
    /// the system is off (nothing could ever turn a vCPU on again).
    powered: AtomicUsize,
}

static VM: Once<Vm> = Once::new();

impl Vm {
    /// The physical CPU of vCPU `vcpu`.
    pub fn cpu(&self, vcpu: usize) -> gic_backend::CpuId {
        self.board.cpu(self.cpus[vcpu])
    }

    /// The vCPU that logical CPU `cpu` runs, if any.
    pub fn vcpu_on(&self, cpu: usize) -> Option<usize> {
        self.vcpu_of_cpu
            .get(cpu)
            .copied()
            .flatten()
            .map(usize::from)
    }
}

/// The VM, once [`build::create`] has made it.
pub fn get() -> Option<&'static Vm> {
    VM.get()
}

/// What the vCPU's CPU does after an exit has been handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Enter the guest again.
    Resume,
    /// A physical interrupt is pending: handle it, then enter again.
    Interrupts,
    /// The vCPU waits (trapped WFI or WFIT, CPU_SUSPEND) until an
    /// interrupt could be delivered to it or, if given, the virtual count
    /// reaches this deadline (WFIT's), then enters again.
    Idle(Option<u64>),
    /// The vCPU is off (CPU_OFF): wait for a CPU_ON.
    Off,
    /// The guest asked for the system to stop.
    System(Stop),
}
