// SPDX-License-Identifier: Apache-2.0 OR MIT
//! What a secondary CPU needs before it can run Rust: the MMU settings and
//! its stack, found by MPIDR. boot.S reads this block with the MMU off, so
//! the boot CPU cleans it to the point of coherency after every change.

use super::{cache, mmu::MmuConfig};

use vocab::MAX_CPUS;

#[repr(C)]
#[derive(Clone, Copy)]
struct Slot {
    mpidr: u64,
    stack_top: u64,
    index: u64,
}

/// Layout fixed by boot.S: four MMU registers, a count, then the slots.
#[repr(C)]
pub struct SecondaryBoot {
    mair: u64,
    tcr: u64,
    ttbr0: u64,
    sctlr: u64,
    count: u64,
    slots: [Slot; MAX_CPUS],
}

#[no_mangle]
static mut SECONDARY_BOOT: SecondaryBoot = SecondaryBoot {
    mair: 0,
    tcr: 0,
    ttbr0: 0,
    sctlr: 0,
    count: 0,
    slots: [Slot {
        mpidr: u64::MAX,
        stack_top: 0,
        index: 0,
    }; MAX_CPUS],
};

const _: () = assert!(core::mem::offset_of!(SecondaryBoot, slots) == 40);

/// Publish the MMU settings and the slot for CPU `index` (its MPIDR and the
/// top of the stack it will run on). Call on the boot CPU only, before that
/// CPU is started; CPUs are started one at a time.
pub fn publish(mmu: &MmuConfig, index: usize, mpidr: u64, stack_top: u64) {
    // SAFETY: only the boot CPU writes this block, and only while no CPU
    // that reads it is starting (callers start CPUs one after another and
    // wait for each to report in).
    let b = unsafe { &mut *core::ptr::addr_of_mut!(SECONDARY_BOOT) };
    b.mair = mmu.mair;
    b.tcr = mmu.tcr;
    b.ttbr0 = mmu.ttbr0;
    b.sctlr = mmu.sctlr;
    let slot = &mut b.slots[index];
    *slot = Slot {
        mpidr,
        stack_top,
        index: index as u64,
    };
    b.count = b.count.max(index as u64 + 1);
    cache::clean_inval_obj(b);
}
