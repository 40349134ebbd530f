// SPDX-License-Identifier: Apache-2.0 OR MIT
//! This CPU's Spectre-v2/BHB mitigation on guest exit, as vectors.S
//! applies it: four vector tables that differ only in their lower-EL
//! vectors (nothing, the branch history loop, CLRBHB, a firmware
//! workaround call), VBAR_EL2 pointing at this CPU's, and the one word the
//! loop and the call read, `EXIT_ARG[cpu]` (the loop count, or the
//! workaround's function ID). What each CPU needs is `hyp::spectre`'s
//! decision; this module only reads the registers it decides from and
//! applies it.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{Readable, Writeable, MIDR_EL1, VBAR_EL2};
use hyp::spectre::Mitigation;
use vocab::MAX_CPUS;

/// Per CPU (by logical index, TPIDR_EL2): the loop count or the
/// workaround's function ID, read by the lower-EL vectors of
/// `el2_vectors_loop` and `el2_vectors_smc`.
#[no_mangle]
static EXIT_ARG: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

extern "C" {
    static el2_vectors: u8;
    static el2_vectors_loop: u8;
    static el2_vectors_clrbhb: u8;
    static el2_vectors_smc: u8;
}

/// What the decision reads on this CPU: MIDR_EL1, ID_AA64PFR0_EL1 (CSV2),
/// ID_AA64MMFR1_EL1 (ECBHB), ID_AA64ISAR2_EL1 (CLRBHB).
pub fn id_registers() -> (u64, u64, u64, u64) {
    (
        MIDR_EL1.get(),
        super::idregs::read(4, 0),
        super::idregs::read(7, 1),
        super::idregs::read(6, 2),
    )
}

/// Apply `m` to every later guest exit on this CPU.
pub fn apply(m: Mitigation) {
    let (table, arg) = match m {
        Mitigation::None => (core::ptr::addr_of!(el2_vectors), 0),
        Mitigation::Loop(k) => (core::ptr::addr_of!(el2_vectors_loop), u64::from(k.max(1))),
        Mitigation::ClearBhb => (core::ptr::addr_of!(el2_vectors_clrbhb), 0),
        Mitigation::Firmware(fid) => (core::ptr::addr_of!(el2_vectors_smc), u64::from(fid)),
    };
    // Written before the table that reads it is in use, on this CPU.
    EXIT_ARG[super::cpu_index()].store(arg, Relaxed);
    VBAR_EL2.set(table as u64);
    barrier::isb(barrier::SY);
}
