// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Data cache maintenance by virtual address.

fn line_size() -> usize {
    let ctr: u64;
    // SAFETY: CTR_EL0 is a read-only identification register.
    unsafe { core::arch::asm!("mrs {}, ctr_el0", out(reg) ctr) };
    4 << ((ctr >> 16) & 0xf)
}

/// Clean and invalidate `[start, start+len)` to the point of coherency, so
/// that a CPU with its MMU off (a secondary being started) reads it.
pub fn clean_inval(start: usize, len: usize) {
    let line = line_size();
    let mut a = start & !(line - 1);
    while a < start + len {
        // SAFETY: DC CIVAC on a mapped address changes no data.
        unsafe { core::arch::asm!("dc civac, {}", in(reg) a) };
        a += line;
    }
    // SAFETY: barrier only.
    unsafe { core::arch::asm!("dsb sy") };
}

/// Clean and invalidate the bytes of one value.
pub fn clean_inval_obj<T>(v: &T) {
    clean_inval(v as *const T as usize, core::mem::size_of::<T>());
}
