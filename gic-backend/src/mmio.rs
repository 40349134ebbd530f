// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Volatile access to one memory-mapped register block. This is the only
//! code in the crate that dereferences a device address: every access is
//! checked for alignment and bounds against the block the constructor was
//! promised, so the drivers above it are safe Rust.

use core::ptr;

/// A register block of `size` bytes at `base`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mmio {
    base: usize,
    size: usize,
}

/// The widths a register can be accessed with.
pub(crate) trait Word: Copy {}
impl Word for u8 {}
impl Word for u32 {}
impl Word for u64 {}

/// Polls before a register wait gives up (far beyond any real GIC's delay).
const SPIN_LIMIT: u32 = 1_000_000;

impl Mmio {
    /// A block of no bytes: every access panics.
    pub(crate) const EMPTY: Mmio = Mmio { base: 0, size: 0 };

    /// # Safety
    /// `base..base + size` must be mapped device memory (in tests: memory the
    /// caller owns) that stays valid for volatile 8-, 32- and 64-bit reads and
    /// writes for as long as any copy of the value is used, and that no Rust
    /// reference covers. `base` must be 8-byte aligned.
    pub(crate) unsafe fn new(base: usize, size: usize) -> Self {
        assert!(
            base.is_multiple_of(8),
            "MMIO block {base:#x} is not 8-byte aligned"
        );
        Mmio { base, size }
    }

    /// The sub-block `offset..offset + size` (offset 8-byte aligned).
    pub(crate) fn sub(&self, offset: usize, size: usize) -> Mmio {
        assert!(
            offset.is_multiple_of(8)
                && offset.checked_add(size).is_some_and(|end| end <= self.size)
        );
        Mmio {
            base: self.base + offset,
            size,
        }
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    fn ptr<T: Word>(&self, offset: usize) -> *mut T {
        let width = core::mem::size_of::<T>();
        assert!(
            offset.is_multiple_of(width) && offset + width <= self.size,
            "register access at {offset:#x} (width {width}) outside a {:#x}-byte block",
            self.size
        );
        (self.base + offset) as *mut T
    }

    fn read<T: Word>(&self, offset: usize) -> T {
        let p = self.ptr::<T>(offset);
        // SAFETY: `p` is aligned and inside the block `new`'s caller vouched for.
        unsafe { ptr::read_volatile(p) }
    }

    fn write<T: Word>(&self, offset: usize, value: T) {
        let p = self.ptr::<T>(offset);
        // SAFETY: `p` is aligned and inside the block `new`'s caller vouched for.
        unsafe { ptr::write_volatile(p, value) }
    }

    pub(crate) fn read32(&self, offset: usize) -> u32 {
        self.read(offset)
    }

    pub(crate) fn write32(&self, offset: usize, value: u32) {
        self.write(offset, value)
    }

    pub(crate) fn read64(&self, offset: usize) -> u64 {
        self.read(offset)
    }

    pub(crate) fn write64(&self, offset: usize, value: u64) {
        self.write(offset, value)
    }

    pub(crate) fn write8(&self, offset: usize, value: u8) {
        self.write(offset, value)
    }

    /// Spins until `mask` reads as zero in the register at `offset`; panics
    /// naming `what` if the hardware never gets there.
    pub(crate) fn wait_clear(&self, offset: usize, mask: u32, what: &str) {
        for _ in 0..SPIN_LIMIT {
            if self.read32(offset) & mask == 0 {
                return;
            }
            core::hint::spin_loop();
        }
        panic!("GIC: timed out waiting for {what}");
    }
}
