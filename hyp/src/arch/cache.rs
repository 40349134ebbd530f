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

/// Zero `[start, start+len)` and clean it to the point of coherency, so a
/// guest with its MMU off reads zeros: by DC ZVA where EL2 may use it and
/// the block size divides the range, else by stores. `start` and `len`
/// are multiples of 4 KiB (a guest's RAM), and the range is mapped
/// normal memory that nothing else uses.
pub fn zero(start: usize, len: usize) {
    let dczid: u64;
    // SAFETY: DCZID_EL0 is a read-only identification register.
    unsafe { core::arch::asm!("mrs {}, dczid_el0", out(reg) dczid) };
    let block = 4usize << (dczid & 0xf);
    if dczid & 0x10 == 0 && block <= 4096 {
        let mut a = start;
        while a < start + len {
            // SAFETY: the caller gives a mapped range nothing else uses;
            // DC ZVA zeroes exactly one aligned block inside it.
            unsafe { core::arch::asm!("dc zva, {}", in(reg) a) };
            a += block;
        }
    } else {
        // SAFETY: as above; the range is valid for writes.
        unsafe { core::ptr::write_bytes(start as *mut u8, 0, len) };
    }
    clean_inval(start, len);
}
