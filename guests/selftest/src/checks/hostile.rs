// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The burst's hostile accesses, made by every vCPU at once between its
//! random calls: loads and stores of every size and addressing form (with
//! and without a valid syndrome) to IPAs the VM does not own, each of which
//! must come back as a synchronous external abort; and reads of random
//! system registers and writes of random values to the implementation
//! defined ones (and ACTLR_EL1), built at run time, each of which either
//! completes or is UNDEFINED at EL1. Counts what happened in [`TOTALS`].

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use selftest::fuzz::Rng;

use super::abort::{DFSC_EXTERNAL, EC_DATA_ABORT_SAME_EL};
use crate::arch::hostile as hw;
use crate::exception;

/// Pages on QEMU virt the VM is never given: the GIC's distributor, its
/// CPU interface or ITS and redistributors, the hypervisor's UART, fw_cfg,
/// the PL061, unassigned PCIe MMIO, the host device tree and the
/// hypervisor's image at the bottom of RAM. One that is the guest's on
/// some other layout (its RAM, a device it was given) is skipped.
pub const PAGES: [u64; 9] = [
    0x0800_0000,
    0x0801_0000,
    0x080a_0000,
    0x0900_0000,
    0x0902_0000,
    0x0903_0000,
    0x1000_0000,
    0x4000_0000,
    0x4020_0000,
];

/// Every vCPU's counts: accesses made, of them aborted as they must be,
/// system-register accesses made, of them UNDEFINED.
pub struct Totals {
    pub accesses: AtomicU64,
    pub aborts: AtomicU64,
    pub sysregs: AtomicU64,
    pub undefined: AtomicU64,
}

pub static TOTALS: Totals = Totals {
    accesses: AtomicU64::new(0),
    aborts: AtomicU64::new(0),
    sysregs: AtomicU64::new(0),
    undefined: AtomicU64::new(0),
};

const EC_UNKNOWN: u64 = 0;

/// `n` random accesses to [`PAGES`] not in `skip` (a page drawn that is
/// in `skip` is not accessed); how many were made and how many aborted as
/// they must.
pub fn accesses(rng: &mut Rng, n: u64, skip: impl Fn(u64) -> bool) -> (u64, u64) {
    let (mut made, mut aborted) = (0, 0);
    for _ in 0..n {
        let page = PAGES[rng.below(PAGES.len() as u64) as usize];
        let (slot, form) = (rng.below(0x1000 / 16 - 1), rng.below(hw::ACCESS_FORMS));
        if skip(page) {
            continue;
        }
        let addr = page + slot * 16;
        let ((), caught) = exception::catching(|| hw::access(form, addr, addr.rotate_left(17)));
        made += 1;
        if let Some((esr, _)) = caught {
            if esr >> 26 & 0x3f == EC_DATA_ABORT_SAME_EL && esr & 0x3f == DFSC_EXTERNAL {
                aborted += 1;
            }
        }
    }
    TOTALS.accesses.fetch_add(made, Relaxed);
    TOTALS.aborts.fetch_add(aborted, Relaxed);
    (made, aborted)
}

/// `n` random system-register accesses: reads anywhere in op0 = 3 but the
/// GIC's CPU interface (whose IAR reads would acknowledge this vCPU's own
/// interrupts), writes of random values only to the implementation
/// defined space (CRn 11 and 15) and to ACTLR_EL1. Each completes or is
/// UNDEFINED; anything else ends the run as an unexpected exception.
pub fn sysregs(rng: &mut Rng, n: u64) -> u64 {
    let mut undefined = 0;
    for _ in 0..n {
        let r = rng.next_u64();
        let field = |shift: u32, bits: u32| ((r >> shift) as u32) & ((1 << bits) - 1);
        let (op1, crm, op2) = (field(0, 3), field(3, 4), field(7, 3));
        let insn = match field(10, 2) {
            0 => hw::sysreg_insn(true, op1, if field(12, 1) == 0 { 11 } else { 15 }, crm, op2),
            1 => hw::sysreg_insn(true, 0, 1, 0, 1), // ACTLR_EL1
            _ => {
                let crn = field(13, 4);
                if op1 == 0 && crn == 12 && crm >= 8 {
                    continue;
                }
                hw::sysreg_insn(false, op1, crn, crm, op2)
            }
        };
        let value = rng.next_u64();
        let (_, caught) = exception::catching(|| hw::exec(insn, value));
        if let Some((esr, _)) = caught {
            if esr >> 26 & 0x3f == EC_UNKNOWN {
                undefined += 1;
            }
        }
        TOTALS.sysregs.fetch_add(1, Relaxed);
    }
    TOTALS.undefined.fetch_add(undefined, Relaxed);
    undefined
}
