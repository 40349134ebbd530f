// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Each CPU's Spectre-v2/BHB mitigation on guest exit: read its ID
//! registers, ask the firmware on this CPU (SMCCC_ARCH_FEATURES for
//! ARCH_WORKAROUND_1 and _3, only where the firmware has SMCCC 1.1 by
//! SMC), decide (`hyp::spectre`) and point this CPU's vectors at the table
//! that applies the decision (`arch::spectre`). Every CPU runs [`init_cpu`]
//! before it comes online; the boot CPU prints one line for all
//! ([`report`]).

extern crate alloc;

use alloc::vec::Vec;
use hyp::spectre::{self, Cpu, Decision, Firmware, ARCH_WORKAROUND_1, ARCH_WORKAROUND_3};
use platform::Conduit;
use spin::Once;
use vocab::MAX_CPUS;

use crate::arch;
use crate::board;

static DECISIONS: [Once<Decision>; MAX_CPUS] = [const { Once::new() }; MAX_CPUS];

/// Decide and apply on this CPU, logical CPU `cpu`.
pub fn init_cpu(cpu: usize) {
    let b = board::get();
    // An SMC reaches the firmware from EL2; an HVC conduit would be EL2's
    // own vector.
    let ask = |wa: u32| match b.smccc_1_1 {
        Some(Conduit::Smc) => Firmware::from_status(board::firmware_call32(
            Conduit::Smc,
            smccc::arch::SMCCC_ARCH_FEATURES,
            wa,
        ) as i32),
        _ => Firmware::NoSmccc,
    };
    let (midr, pfr0, mmfr1, isar2) = arch::spectre::id_registers();
    let d = spectre::decide(&Cpu {
        midr,
        pfr0,
        mmfr1,
        isar2,
        wa1: ask(ARCH_WORKAROUND_1),
        wa3: ask(ARCH_WORKAROUND_3),
    });
    arch::spectre::apply(d.mitigation);
    DECISIONS[cpu].call_once(|| d);
}

/// One line: what every CPU that came up applies on guest exit, and why.
pub fn report() {
    let all: Vec<Option<Decision>> = (0..board::get().ncpus)
        .map(|c| DECISIONS[c].get().copied())
        .collect();
    log::info!("spectre on guest exit: {}", spectre::Summary(&all));
}
