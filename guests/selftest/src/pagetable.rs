// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The guest's EL1 stage-1 identity map: 4 KiB granule, 39-bit addresses,
//! walk from level 1, 1 GiB and 2 MiB blocks only. RAM is normal write-back
//! memory; the few device windows the checks use are device memory; all else
//! is unmapped, so a stray access faults in the guest instead of reaching
//! the hypervisor. Owns the table contents; `arch` turns them on.

/// Level-2 tables available (each maps one GiB in 2 MiB blocks).
pub const L2_TABLES: usize = 6;
/// Addresses at and above this are out of reach (39-bit VA).
pub const VA_LIMIT: u64 = 1 << 39;

const GIB: u64 = 1 << 30;
const MIB2: u64 = 1 << 21;
const BLOCK: u64 = 0b01;
const TABLE: u64 = 0b11;
const ATTR_DEVICE: u64 = 0 << 2; // MAIR index 0
const ATTR_NORMAL: u64 = 1 << 2; // MAIR index 1
const INNER_SHAREABLE: u64 = 3 << 8;
const AF: u64 = 1 << 10;
const PXN: u64 = 1 << 53;
const UXN: u64 = 1 << 54;
const ADDR: u64 = 0x0000_ffff_ffff_f000;

/// MAIR_EL1 for these attributes: index 0 Device-nGnRnE, index 1 Normal
/// inner/outer write-back non-transient, read/write allocate.
pub const MAIR: u64 = 0xff << 8;

/// What a range is mapped as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Normal,
    Device,
}

impl Kind {
    /// Block descriptor bits besides the address: EL1 read/write, no EL0
    /// access, never executable at EL0; device memory never at EL1 either.
    fn attrs(self) -> u64 {
        match self {
            Kind::Normal => BLOCK | ATTR_NORMAL | INNER_SHAREABLE | AF | UXN,
            Kind::Device => BLOCK | ATTR_DEVICE | AF | PXN | UXN,
        }
    }
}

#[repr(C, align(4096))]
pub struct Table(pub [u64; 512]);

/// The level-1 table (first, so the struct's address is TTBR0's) and the
/// level-2 tables it points at.
#[repr(C)]
pub struct Tables {
    pub l1: Table,
    l2: [Table; L2_TABLES],
    used: usize,
}

impl Tables {
    pub const fn new() -> Tables {
        Tables {
            l1: Table([0; 512]),
            l2: [const { Table([0; 512]) }; L2_TABLES],
            used: 0,
        }
    }

    /// Map `[base, base + size)`, widened to 2 MiB boundaries, 1:1 as `kind`.
    /// Level-2 descriptors hold the tables' own addresses, so the tables must
    /// be used where they are (the guest's identity map).
    pub fn map(&mut self, base: u64, size: u64, kind: Kind) -> Result<(), &'static str> {
        let end = base.checked_add(size).ok_or("range wraps")?;
        if end > VA_LIMIT {
            return Err("range beyond the 39-bit address space");
        }
        let mut b = base & !(MIB2 - 1);
        while b < end {
            let l1 = (b / GIB) as usize;
            if b.is_multiple_of(GIB) && b + GIB <= end && self.l1.0[l1] == 0 {
                self.l1.0[l1] = b | kind.attrs();
                b += GIB;
                continue;
            }
            let t = self.l2_for(l1)?;
            let e = &mut self.l2[t].0[((b / MIB2) % 512) as usize];
            if *e != 0 && *e != b | kind.attrs() {
                return Err("overlapping mappings of different kinds");
            }
            *e = b | kind.attrs();
            b += MIB2;
        }
        Ok(())
    }

    /// The level-2 table under level-1 entry `l1`, allocated if need be.
    fn l2_for(&mut self, l1: usize) -> Result<usize, &'static str> {
        let e = self.l1.0[l1];
        if e & 0b11 == TABLE {
            return self.table_at(e & ADDR).ok_or("corrupt level-1 entry");
        }
        if e != 0 {
            return Err("a 2 MiB mapping inside a mapped GiB block");
        }
        if self.used == L2_TABLES {
            return Err("out of level-2 tables");
        }
        self.used += 1;
        self.l1.0[l1] = self.l2[self.used - 1].0.as_ptr() as u64 | TABLE;
        Ok(self.used - 1)
    }

    fn table_at(&self, addr: u64) -> Option<usize> {
        (0..self.used).find(|&i| self.l2[i].0.as_ptr() as u64 == addr)
    }

    /// How `va` translates: the output address and kind, or `None` if
    /// unmapped. Walks the tables as the MMU would.
    pub fn translate(&self, va: u64) -> Option<(u64, Kind)> {
        if va >= VA_LIMIT {
            return None;
        }
        let mut e = self.l1.0[(va / GIB) as usize];
        let mut size = GIB;
        if e & 0b11 == TABLE {
            e = self.l2[self.table_at(e & ADDR)?].0[((va / MIB2) % 512) as usize];
            size = MIB2;
        }
        if e & 0b11 != BLOCK {
            return None;
        }
        let kind = if e & (0b111 << 2) == ATTR_NORMAL {
            Kind::Normal
        } else {
            Kind::Device
        };
        Some(((e & ADDR & !(size - 1)) | (va & (size - 1)), kind))
    }
}

impl Default for Tables {
    fn default() -> Tables {
        Tables::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::boxed::Box;

    fn tables() -> Box<Tables> {
        Box::new(Tables::new())
    }

    #[test]
    fn guest_layout_maps_ram_devices_and_nothing_else() {
        let mut t = tables();
        t.map(0x4000_0000, 512 << 20, Kind::Normal).unwrap();
        t.map(0x0900_0000, 0x1000, Kind::Device).unwrap();
        t.map(0x0800_0000, 0x1000, Kind::Device).unwrap();
        assert_eq!(t.translate(0x4000_0000), Some((0x4000_0000, Kind::Normal)));
        assert_eq!(t.translate(0x5fff_fff8), Some((0x5fff_fff8, Kind::Normal)));
        assert_eq!(t.translate(0x6000_0000), None);
        assert_eq!(t.translate(0x0900_0018), Some((0x0900_0018, Kind::Device)));
        assert_eq!(t.translate(0x0801_0000), Some((0x0801_0000, Kind::Device)));
        assert_eq!(t.translate(0x0a00_0000), None);
        assert_eq!(t.translate(0), None);
        assert_eq!(t.translate(VA_LIMIT), None);
    }

    #[test]
    fn whole_gigabytes_become_level_1_blocks() {
        let mut t = tables();
        t.map(0x4000_0000, 3 << 30, Kind::Normal).unwrap();
        assert_eq!(t.l1.0[1] & 0b11, BLOCK);
        assert_eq!(t.l1.0[3] & 0b11, BLOCK);
        assert_eq!(t.translate(0xffff_f000), Some((0xffff_f000, Kind::Normal)));
        assert_eq!(t.translate(0x1_0000_0000), None);
        // A device window inside a GiB block cannot be carved out.
        assert!(t.map(0x8000_0000, 0x1000, Kind::Device).is_err());
    }

    #[test]
    fn normal_and_device_descriptors_carry_the_right_bits() {
        let mut t = tables();
        t.map(0x4000_0000, 2 << 20, Kind::Normal).unwrap();
        t.map(0x0900_0000, 0x1000, Kind::Device).unwrap();
        let l2 = |va: u64| {
            let i = t.table_at(t.l1.0[(va / GIB) as usize] & ADDR).unwrap();
            t.l2[i].0[((va / MIB2) % 512) as usize]
        };
        let ram = l2(0x4000_0000);
        assert_eq!(ram & (0b111 << 2), ATTR_NORMAL);
        assert_ne!(ram & AF, 0);
        assert_eq!(ram & PXN, 0, "RAM holds the guest's code");
        let dev = l2(0x0900_0000);
        assert_eq!(dev & (0b111 << 2), ATTR_DEVICE);
        assert_ne!(dev & PXN, 0);
        assert_eq!(dev & (0b11 << 6), 0, "EL1 read/write, no EL0 access");
    }

    #[test]
    fn conflicts_and_exhaustion_are_errors() {
        let mut t = tables();
        t.map(0x0900_0000, 0x1000, Kind::Device).unwrap();
        t.map(0x0900_1000, 0x1000, Kind::Device).unwrap(); // same block, same kind
        assert!(t.map(0x0900_0000, 0x1000, Kind::Normal).is_err());
        assert!(t.map(VA_LIMIT - 0x1000, 0x2000, Kind::Device).is_err());
        assert!(t.map(u64::MAX, 2, Kind::Device).is_err());
        for g in 1..L2_TABLES as u64 {
            t.map(g << 30, 0x1000, Kind::Device).unwrap();
        }
        assert_eq!(
            t.map((L2_TABLES as u64) << 30, 0x1000, Kind::Device),
            Err("out of level-2 tables")
        );
    }
}
