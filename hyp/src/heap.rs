// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The heap for boot-time allocations (per-CPU stacks, driver objects):
//! a buddy allocator over a static arena in BSS.

use buddy_system_allocator::LockedHeap;

const HEAP_SIZE: usize = 2 << 20;

#[repr(C, align(4096))]
struct Arena([u8; HEAP_SIZE]);

static mut ARENA: Arena = Arena([0; HEAP_SIZE]);

#[global_allocator]
static HEAP: LockedHeap<32> = LockedHeap::empty();

/// Hand the arena to the allocator. Once, on the boot CPU, after the MMU is
/// on (the allocator's lock needs normal memory).
pub fn init() {
    // SAFETY: the arena is used by nothing else, and init runs once before
    // any allocation.
    unsafe {
        let start = core::ptr::addr_of_mut!(ARENA) as usize;
        HEAP.lock().init(start, HEAP_SIZE);
    }
}
