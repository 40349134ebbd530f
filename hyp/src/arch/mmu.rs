// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The hypervisor's own EL2 stage-1 translation.
//!
//! An identity map of the low 512 GiB of physical address space (39-bit VA,
//! 4 KiB granule, walk from level 1). RAM named by the device tree is normal
//! write-back memory in 2 MiB blocks; everything else is device memory that
//! is never executed. The boot CPU builds the tables once, with its MMU still
//! off; every CPU then runs on the same tables.

use aarch64_cpu::registers::{Readable, ID_AA64MMFR0_EL1};

const VA_BITS: u32 = 39;
const GIB: u64 = 1 << 30;
const MIB2: u64 = 1 << 21;
/// How many 1 GiB regions may mix RAM and device memory.
const MAX_L2: usize = 16;

const VALID_BLOCK: u64 = 0b01;
const VALID_TABLE: u64 = 0b11;
const ATTR_DEVICE: u64 = 0 << 2; // MAIR index 0
const ATTR_NORMAL: u64 = 1 << 2; // MAIR index 1
const AP_RW: u64 = 1 << 6; // AP[1] is RES1 in the EL2 regime
const SH_INNER: u64 = 3 << 8;
const AF: u64 = 1 << 10;
const XN: u64 = 1 << 54;

const NORMAL_BLOCK: u64 = VALID_BLOCK | ATTR_NORMAL | AP_RW | SH_INNER | AF;
const DEVICE_BLOCK: u64 = VALID_BLOCK | ATTR_DEVICE | AP_RW | AF | XN;

/// MAIR: index 0 Device-nGnRE, index 1 Normal inner/outer write-back.
const MAIR: u64 = 0x04 | (0xff << 8);

/// SCTLR_EL2 RES1 bits, plus M (MMU), C (data cache), SA (stack alignment
/// check), I (instruction cache). A (alignment check) stays off.
const SCTLR_RES1: u64 = (1 << 4)
    | (1 << 5)
    | (1 << 11)
    | (1 << 16)
    | (1 << 18)
    | (1 << 22)
    | (1 << 23)
    | (1 << 28)
    | (1 << 29);
pub const SCTLR_ON: u64 = SCTLR_RES1 | 1 | (1 << 2) | (1 << 3) | (1 << 12);

#[repr(C, align(4096))]
struct Table([u64; 512]);

struct Tables {
    l1: Table,
    l2: [Table; MAX_L2],
}

static mut TABLES: Tables = Tables {
    l1: Table([0; 512]),
    l2: [const { Table([0; 512]) }; MAX_L2],
};

/// The register values that turn this map on; secondaries get a copy.
#[derive(Clone, Copy, Debug)]
pub struct MmuConfig {
    pub mair: u64,
    pub tcr: u64,
    pub ttbr0: u64,
    pub sctlr: u64,
}

#[derive(PartialEq, Eq)]
enum Kind {
    Ram,
    Device,
    Mixed,
}

/// Is `[start, end)` wholly RAM, wholly not, or a mix? Works at 2 MiB
/// granularity: a 2 MiB block is RAM only if one range covers all of it.
fn classify(ram: &[(u64, u64)], start: u64, end: u64) -> Kind {
    let block_is_ram = |b: u64| {
        ram.iter()
            .any(|&(base, size)| base <= b && b + MIB2 <= base + size)
    };
    let (mut any_ram, mut any_dev) = (false, false);
    let mut b = start;
    while b < end {
        if block_is_ram(b) {
            any_ram = true;
        } else {
            any_dev = true;
        }
        if any_ram && any_dev {
            return Kind::Mixed;
        }
        b += MIB2;
    }
    if any_ram {
        Kind::Ram
    } else {
        Kind::Device
    }
}

/// Build the identity map for the given RAM ranges `(base, size)`.
/// Must run once, on the boot CPU, before any CPU enables its MMU.
pub fn build(ram: &[(u64, u64)]) -> Result<MmuConfig, &'static str> {
    let parange = ID_AA64MMFR0_EL1.get() & 0xf;
    let pa_bits = match parange {
        0 => 32,
        1 => 36,
        2 => 40,
        3 => 42,
        4 => 44,
        _ => 48,
    };
    let top = 1u64 << VA_BITS.min(pa_bits);
    // SAFETY: only the boot CPU runs this, once, before any other CPU is
    // started and before the MMU is on, so nothing else reads the tables.
    let t = unsafe { &mut *core::ptr::addr_of_mut!(TABLES) };
    let mut used = 0;
    for (i, entry) in t.l1.0.iter_mut().enumerate() {
        let base = i as u64 * GIB;
        if base >= top {
            *entry = 0;
            continue;
        }
        *entry = match classify(ram, base, base + GIB) {
            Kind::Ram => base | NORMAL_BLOCK,
            Kind::Device => base | DEVICE_BLOCK,
            Kind::Mixed => {
                let l2 =
                    t.l2.get_mut(used)
                        .ok_or("RAM layout needs more than 16 level-2 tables")?;
                used += 1;
                for (j, e) in l2.0.iter_mut().enumerate() {
                    let b = base + j as u64 * MIB2;
                    *e = match classify(ram, b, b + MIB2) {
                        Kind::Ram => b | NORMAL_BLOCK,
                        _ => b | DEVICE_BLOCK,
                    };
                }
                l2.0.as_ptr() as u64 | VALID_TABLE
            }
        };
    }
    let ps = parange.min(5);
    let tcr = (64 - VA_BITS as u64) // T0SZ
        | (0b01 << 8)                // IRGN0 write-back, write-allocate
        | (0b01 << 10)               // ORGN0 write-back, write-allocate
        | (0b11 << 12)               // SH0 inner shareable
        | (ps << 16)                 // PS
        | (1 << 23) | (1 << 31); // RES1
    Ok(MmuConfig {
        mair: MAIR,
        tcr,
        ttbr0: t.l1.0.as_ptr() as u64,
        sctlr: SCTLR_ON,
    })
}

/// Turn this CPU's MMU and caches on with `cfg`. The code calling this runs
/// identity-mapped, so execution continues at the same addresses.
pub fn enable(cfg: &MmuConfig) {
    // SAFETY: the tables map this code, its stack and its data 1:1 with the
    // attributes they had, so switching translation on is seamless. The
    // tables were written with the MMU off, straight to memory.
    unsafe {
        core::arch::asm!(
            "dsb sy",
            "msr mair_el2, {mair}",
            "msr tcr_el2, {tcr}",
            "msr ttbr0_el2, {ttbr}",
            "isb",
            "tlbi alle2",
            "dsb nsh",
            "isb",
            "msr sctlr_el2, {sctlr}",
            "isb",
            mair = in(reg) cfg.mair,
            tcr = in(reg) cfg.tcr,
            ttbr = in(reg) cfg.ttbr0,
            sctlr = in(reg) cfg.sctlr,
        );
    }
}
