// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Volatile access to a UART's registers: the only code in the crate that
//! dereferences a device address.

use core::ptr;

/// A UART register block at `base`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mmio {
    base: usize,
}

impl Mmio {
    /// # Safety
    /// `base` must be the UART's register block, mapped as device memory (in
    /// tests: memory the caller owns, 4-byte aligned) and valid for volatile
    /// 8- and 32-bit accesses at every offset its driver uses, for as long as
    /// any copy of the value is used.
    pub(crate) unsafe fn new(base: usize) -> Self {
        Mmio { base }
    }

    pub(crate) fn read8(&self, offset: usize) -> u8 {
        // SAFETY: inside the register block `new`'s caller vouched for.
        unsafe { ptr::read_volatile((self.base + offset) as *const u8) }
    }

    pub(crate) fn write8(&self, offset: usize, value: u8) {
        // SAFETY: as in `read8`.
        unsafe { ptr::write_volatile((self.base + offset) as *mut u8, value) }
    }

    pub(crate) fn read32(&self, offset: usize) -> u32 {
        debug_assert!(offset.is_multiple_of(4));
        // SAFETY: as in `read8`; drivers only use 4-byte aligned offsets here.
        unsafe { ptr::read_volatile((self.base + offset) as *const u32) }
    }

    pub(crate) fn write32(&self, offset: usize, value: u32) {
        debug_assert!(offset.is_multiple_of(4));
        // SAFETY: as in `read32`.
        unsafe { ptr::write_volatile((self.base + offset) as *mut u32, value) }
    }
}
