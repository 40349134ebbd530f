// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The hypervisor's own EL2 stage-1 translation.
//!
//! An identity map of the low 512 GiB of physical address space (39-bit VA,
//! 4 KiB granule, walk from level 1). RAM named by the device tree is normal
//! write-back memory in 2 MiB blocks; everything else is device memory. The
//! image itself is mapped in 4 KiB pages: its text read-only and executable,
//! its read-only data read-only, everything else (data, BSS with the heap
//! and stacks, all other RAM, devices) never executable, and SCTLR_EL2.WXN
//! makes sure nothing writable ever is. The boot CPU builds the tables
//! once, with its MMU still off; every CPU then runs on the same tables.

use aarch64_cpu::registers::{Readable, ID_AA64MMFR0_EL1};

const VA_BITS: u32 = 39;
const GIB: u64 = 1 << 30;
const MIB2: u64 = 1 << 21;
/// How many 1 GiB regions may mix RAM and device memory.
const MAX_L2: usize = 16;
/// How many 2 MiB blocks the image and the secondaries' stacks may span
/// together (mapped by pages).
const MAX_L3: usize = 8;
const PAGE: u64 = 4096;

const VALID_BLOCK: u64 = 0b01;
const VALID_TABLE: u64 = 0b11;
const ATTR_DEVICE: u64 = 0 << 2; // MAIR index 0
const ATTR_NORMAL: u64 = 1 << 2; // MAIR index 1
const AP_RW: u64 = 1 << 6; // AP[1] is RES1 in the EL2 regime
const AP_RO: u64 = AP_RW | (1 << 7); // AP[2]: read-only
const VALID_PAGE: u64 = 0b11;
const SH_INNER: u64 = 3 << 8;
const AF: u64 = 1 << 10;
const XN: u64 = 1 << 54;

const NORMAL_BLOCK: u64 = VALID_BLOCK | ATTR_NORMAL | AP_RW | SH_INNER | AF | XN;
const DEVICE_BLOCK: u64 = VALID_BLOCK | ATTR_DEVICE | AP_RW | AF | XN;
const NORMAL_PAGE: u64 = VALID_PAGE | ATTR_NORMAL | SH_INNER | AF;

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
/// WXN (19): a writable page is never executable, whatever its XN says.
pub const SCTLR_WXN: u64 = 1 << 19;
pub const SCTLR_ON: u64 = SCTLR_RES1 | 1 | (1 << 2) | (1 << 3) | (1 << 12) | SCTLR_WXN;

#[repr(C, align(4096))]
struct Table([u64; 512]);

struct Tables {
    l1: Table,
    l2: [Table; MAX_L2],
    l3: [Table; MAX_L3],
}

static mut TABLES: Tables = Tables {
    l1: Table([0; 512]),
    l2: [const { Table([0; 512]) }; MAX_L2],
    l3: [const { Table([0; 512]) }; MAX_L3],
};

/// The image's parts, page aligned: `[start, text)` code, `[text, rodata)`
/// read-only data, `[rodata, end)` data and BSS, in which `guard` is the
/// boot CPU's stack guard page.
#[derive(Clone, Copy, Debug)]
pub struct Image {
    pub start: u64,
    pub text: u64,
    pub rodata: u64,
    pub end: u64,
    pub guard: u64,
}

/// The secondaries' stacks, carved from RAM at boot: `count` slots of
/// `stride` bytes from `base` (2 MiB aligned), each an unmapped guard
/// page and the stack above it.
#[derive(Clone, Copy, Debug)]
pub struct Stacks {
    pub base: u64,
    pub count: u64,
    pub stride: u64,
}

impl Stacks {
    fn end(&self) -> u64 {
        self.base + self.count * self.stride
    }

    /// The guard page of slot `i`.
    pub fn guard(&self, i: u64) -> u64 {
        self.base + i * self.stride
    }

    /// The stack top of slot `i`.
    pub fn top(&self, i: u64) -> u64 {
        self.guard(i + 1)
    }

    fn page(&self, pa: u64) -> u64 {
        if (pa - self.base).is_multiple_of(self.stride) {
            0 // the guard
        } else {
            pa | NORMAL_PAGE | AP_RW | XN
        }
    }
}

impl Image {
    /// The page descriptor for the image page at `pa` (or RAM beside it),
    /// or the secondaries' stacks' if they are there.
    fn page(&self, pa: u64, stacks: &Stacks) -> u64 {
        if (stacks.base..stacks.end()).contains(&pa) {
            return stacks.page(pa);
        }
        if pa == self.guard {
            return 0;
        }
        let attrs = if (self.start..self.text).contains(&pa) {
            AP_RO
        } else if (self.text..self.rodata).contains(&pa) {
            AP_RO | XN
        } else {
            AP_RW | XN
        };
        pa | NORMAL_PAGE | attrs
    }

    fn blocks(&self) -> core::ops::Range<u64> {
        self.start / MIB2..self.end.div_ceil(MIB2)
    }
}

/// Whether 2 MiB block number `b` is mapped by pages.
fn paged(b: u64, image: &Image, stacks: &Stacks) -> bool {
    image.blocks().contains(&b) || (stacks.base / MIB2..stacks.end().div_ceil(MIB2)).contains(&b)
}

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

/// Build the identity map for the given RAM ranges `(base, size)`, with
/// the image (which is in RAM) mapped by pages. Must run once, on the boot
/// CPU, before any CPU enables its MMU.
pub fn build(ram: &[(u64, u64)], image: Image, stacks: Stacks) -> Result<MmuConfig, &'static str> {
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
    let (mut used, mut used3) = (0, 0);
    let has_pages =
        |base: u64| (base / MIB2..(base + GIB) / MIB2).any(|b| paged(b, &image, &stacks));
    for (i, entry) in t.l1.0.iter_mut().enumerate() {
        let base = i as u64 * GIB;
        if base >= top {
            *entry = 0;
            continue;
        }
        let kind = match classify(ram, base, base + GIB) {
            Kind::Ram if has_pages(base) => Kind::Mixed,
            k => k,
        };
        *entry = match kind {
            Kind::Ram => base | NORMAL_BLOCK,
            Kind::Device => base | DEVICE_BLOCK,
            Kind::Mixed => {
                let l2 =
                    t.l2.get_mut(used)
                        .ok_or("RAM layout needs more than 16 level-2 tables")?;
                used += 1;
                for (j, e) in l2.0.iter_mut().enumerate() {
                    let b = base + j as u64 * MIB2;
                    *e = if paged(b / MIB2, &image, &stacks) {
                        let l3 =
                            t.l3.get_mut(used3)
                                .ok_or("the image and the CPU stacks span more than 16 MiB")?;
                        used3 += 1;
                        for (k, p) in l3.0.iter_mut().enumerate() {
                            *p = image.page(b + k as u64 * PAGE, &stacks);
                        }
                        l3.0.as_ptr() as u64 | VALID_TABLE
                    } else {
                        match classify(ram, b, b + MIB2) {
                            Kind::Ram => b | NORMAL_BLOCK,
                            _ => b | DEVICE_BLOCK,
                        }
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

/// Whether the EL2 translation at `va` allows a write (`write`) or a read,
/// as the MMU sees it (AT S1E2W / S1E2R; PAR_EL1.F clear). Only at boot,
/// before any guest: AT reports in PAR_EL1, which is the guest's.
fn allows(va: u64, write: bool) -> bool {
    let par: u64;
    // SAFETY: address translation changes no memory and no mapping; it
    // writes PAR_EL1, which no guest owns yet.
    unsafe {
        if write {
            core::arch::asm!("at s1e2w, {}", "isb", "mrs {}, par_el1", in(reg) va, out(reg) par);
        } else {
            core::arch::asm!("at s1e2r, {}", "isb", "mrs {}, par_el1", in(reg) va, out(reg) par);
        }
    }
    par & 1 == 0
}

/// Check the map this CPU runs on: text and read-only data readable but
/// not writable, data writable, every stack's guard page unmapped, and
/// SCTLR_EL2.WXN on (so nothing writable executes). `data` is an address
/// in the image's data or BSS.
pub fn check_wx(image: Image, stacks: Stacks, data: u64) -> Result<(), &'static str> {
    let sctlr: u64;
    // SAFETY: reading a control register has no side effect.
    unsafe { core::arch::asm!("mrs {}, sctlr_el2", out(reg) sctlr) };
    if sctlr & SCTLR_WXN == 0 {
        return Err("SCTLR_EL2.WXN is clear");
    }
    let text_end = image.text - PAGE;
    for (va, what) in [
        (image.start, "text"),
        (text_end, "text"),
        (image.text, "read-only data"),
    ] {
        if !allows(va, false) {
            return Err(if what == "text" {
                "text is not readable"
            } else {
                "read-only data is not readable"
            });
        }
        if allows(va, true) {
            return Err(if what == "text" {
                "text is writable"
            } else {
                "read-only data is writable"
            });
        }
    }
    if !allows(data, true) {
        return Err("data is not writable");
    }
    let guards = (1..stacks.count).map(|i| stacks.guard(i));
    if core::iter::once(image.guard)
        .chain(guards)
        .any(|g| allows(g, false))
    {
        return Err("a stack's guard page is mapped");
    }
    if (1..stacks.count).any(|i| !allows(stacks.top(i) - 16, true)) {
        return Err("a stack is not writable");
    }
    Ok(())
}
