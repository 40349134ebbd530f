// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Stage-2 translation: the only view of physical memory a guest has.
//!
//! 39-bit IPA space, 4 KiB granule, walk from level 1 (VTCR_EL2.SL0 = 1).
//! RAM is mapped with 2 MiB blocks where alignment allows, devices with
//! 4 KiB pages so that a guest gets exactly the device frames assigned to
//! it and never a neighbour's. Everything not mapped faults to EL2, where
//! the guest gets an external abort injected.

extern crate alloc;

use alloc::boxed::Box;

const IPA_BITS: u32 = 39;
const PAGE: u64 = 4096;
const MIB2: u64 = 1 << 21;

const VALID_BLOCK: u64 = 0b01;
const VALID_TABLE: u64 = 0b11;
const VALID_PAGE: u64 = 0b11;
const MEMATTR_NORMAL_WB: u64 = 0b1111 << 2;
const MEMATTR_DEVICE_NGNRE: u64 = 0b0001 << 2;
const S2AP_RW: u64 = 0b11 << 6;
const SH_INNER: u64 = 0b11 << 8;
const AF: u64 = 1 << 10;
const XN: u64 = 1 << 54;
const ADDR_MASK: u64 = 0x0000_ffff_ffff_f000;

/// What a mapping is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mem {
    /// Guest RAM: normal write-back, executable.
    Ram,
    /// A passed-through device: Device-nGnRE, never executable.
    Device,
}

impl Mem {
    fn attrs(self) -> u64 {
        match self {
            Mem::Ram => MEMATTR_NORMAL_WB | S2AP_RW | SH_INNER | AF,
            Mem::Device => MEMATTR_DEVICE_NGNRE | S2AP_RW | AF | XN,
        }
    }
}

#[repr(C, align(4096))]
struct Table([u64; 512]);

fn new_table() -> &'static mut Table {
    Box::leak(Box::new(Table([0; 512])))
}

/// One guest's stage-2 tables. Tables are allocated from the heap and live
/// as long as the hypervisor (guests are never torn down).
pub struct Stage2 {
    root: &'static mut Table,
}

/// Why a mapping was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum MapError {
    Unaligned,
    OutOfRange,
    Overlap,
}

impl Stage2 {
    pub fn new() -> Stage2 {
        Stage2 { root: new_table() }
    }

    /// Map `[ipa, ipa+size)` to `[pa, pa+size)`. Addresses and size must be
    /// page aligned; the range must not already be mapped.
    pub fn map(&mut self, ipa: u64, pa: u64, size: u64, mem: Mem) -> Result<(), MapError> {
        if !(ipa | pa | size).is_multiple_of(PAGE) {
            return Err(MapError::Unaligned);
        }
        if ipa.checked_add(size).is_none_or(|e| e > 1 << IPA_BITS) {
            return Err(MapError::OutOfRange);
        }
        let (mut ipa, mut pa, end) = (ipa, pa, ipa + size);
        while ipa < end {
            let l1 = &mut self.root.0[(ipa >> 30) as usize & 511];
            let block = ipa % MIB2 == 0 && pa % MIB2 == 0 && end - ipa >= MIB2 && mem == Mem::Ram;
            let l2 = next_level(l1)?;
            let e2 = &mut l2.0[(ipa >> 21) as usize & 511];
            if block {
                if *e2 != 0 {
                    return Err(MapError::Overlap);
                }
                *e2 = pa | mem.attrs() | VALID_BLOCK;
                ipa += MIB2;
                pa += MIB2;
                continue;
            }
            let l3 = next_level(e2)?;
            let e3 = &mut l3.0[(ipa >> 12) as usize & 511];
            if *e3 != 0 {
                return Err(MapError::Overlap);
            }
            *e3 = pa | mem.attrs() | VALID_PAGE;
            ipa += PAGE;
            pa += PAGE;
        }
        Ok(())
    }

    /// VTTBR_EL2 for this guest with VMID `vmid`.
    pub fn vttbr(&self, vmid: u16) -> u64 {
        self.root.0.as_ptr() as u64 | (vmid as u64) << 48
    }
}

impl Default for Stage2 {
    fn default() -> Self {
        Self::new()
    }
}

/// The table an entry points to, creating it if the entry is empty.
fn next_level(entry: &mut u64) -> Result<&'static mut Table, MapError> {
    match *entry & 0b11 {
        0 => {
            let t = new_table();
            *entry = t.0.as_ptr() as u64 | VALID_TABLE;
            Ok(t)
        }
        VALID_TABLE => {
            // SAFETY: table entries are only ever created above, pointing at
            // leaked, 4 KiB-aligned `Table`s that live forever; `&mut self`
            // on the owning Stage2 makes this the only reference.
            Ok(unsafe { &mut *((*entry & ADDR_MASK) as *mut Table) })
        }
        _ => Err(MapError::Overlap),
    }
}

/// VTCR_EL2 for this layout, given ID_AA64MMFR0_EL1.PARange.
pub fn vtcr(parange: u64) -> u64 {
    (64 - IPA_BITS as u64)      // T0SZ
        | (0b01 << 6)           // SL0: start at level 1
        | (0b01 << 8)           // IRGN0 write-back
        | (0b01 << 10)          // ORGN0 write-back
        | (0b11 << 12)          // SH0 inner shareable
        | (parange.min(5) << 16) // PS
        | (1 << 31) // RES1
}
