// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The burst's hostile accesses, made by every vCPU at once between its
//! random calls: loads and stores of every size and addressing form (with
//! and without a valid syndrome) to IPAs the VM does not own, each of which
//! must come back as a synchronous external abort; and reads of random
//! system registers and writes of random values to the implementation
//! defined ones (and ACTLR_EL1), built at run time, each of which either
//! completes or is UNDEFINED at EL1. Counts what happened in [`TOTALS`].

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use selftest::fuzz::Rng;
use selftest::MAX_CPUS;

use crate::{arch, exception};

/// Pages on QEMU virt the VM is never given: the GIC's distributor, its
/// CPU interface or ITS and redistributors, the hypervisor's UART, fw_cfg,
/// the PL061, unassigned PCIe MMIO, the host device tree and the
/// hypervisor's image at the bottom of RAM. One that is the guest's on
/// some other layout (its RAM, a device it was given) is skipped.
pub const PAGES: [u64; 9] = [
    0x0800_0000,
    0x0801_0000,
    0x080a_0000,
    0x0900_0000,
    0x0902_0000,
    0x0903_0000,
    0x1000_0000,
    0x4000_0000,
    0x4020_0000,
];

/// Every vCPU's counts: accesses made, of them aborted as they must be,
/// system-register accesses made, of them UNDEFINED.
pub struct Totals {
    pub accesses: AtomicU64,
    pub aborts: AtomicU64,
    pub sysregs: AtomicU64,
    pub undefined: AtomicU64,
}

pub static TOTALS: Totals = Totals {
    accesses: AtomicU64::new(0),
    aborts: AtomicU64::new(0),
    sysregs: AtomicU64::new(0),
    undefined: AtomicU64::new(0),
};

const EC_DATA_ABORT_SAME_EL: u64 = 0x25;
const EC_UNKNOWN: u64 = 0;
const DFSC_EXTERNAL: u64 = 0x10;

/// One access of each form; `addr` is 16-byte aligned.
fn access(form: u64, addr: u64, v: u64) {
    // SAFETY: each is one load or store to a page mapped as device memory
    // that the VM does not own; the armed handler steps over the abort.
    // The writeback forms only change their scratch register.
    unsafe {
        match form {
            0 => core::arch::asm!("ldrb {v:w}, [{a}]", a = in(reg) addr, v = out(reg) _),
            1 => core::arch::asm!("ldrh {v:w}, [{a}]", a = in(reg) addr, v = out(reg) _),
            2 => core::arch::asm!("ldr {v:w}, [{a}]", a = in(reg) addr, v = out(reg) _),
            3 => core::arch::asm!("ldr {v}, [{a}]", a = in(reg) addr, v = out(reg) _),
            4 => core::arch::asm!("strb {v:w}, [{a}]", a = in(reg) addr, v = in(reg) v),
            5 => core::arch::asm!("str {v:w}, [{a}]", a = in(reg) addr, v = in(reg) v),
            6 => core::arch::asm!("str {v}, [{a}]", a = in(reg) addr, v = in(reg) v),
            7 => {
                core::arch::asm!("ldp {x}, {y}, [{a}]", a = in(reg) addr, x = out(reg) _, y = out(reg) _)
            }
            8 => core::arch::asm!("stp {v}, {v}, [{a}]", a = in(reg) addr, v = in(reg) v),
            9 => core::arch::asm!("ldr {v}, [{a}], #8", a = inout(reg) addr => _, v = out(reg) _),
            _ => core::arch::asm!("str {v}, [{a}, #8]!", a = inout(reg) addr => _, v = in(reg) v),
        }
    }
}

/// `n` random accesses to [`PAGES`] not in `skip`; how many aborted as
/// they must.
pub fn accesses(rng: &mut Rng, n: u64, skip: impl Fn(u64) -> bool) -> (u64, u64) {
    let pages: heapless_pages::Pages = PAGES.iter().copied().filter(|&p| !skip(p)).collect();
    if pages.is_empty() {
        return (0, 0);
    }
    let (mut made, mut aborted) = (0, 0);
    for _ in 0..n {
        let page = pages.get(rng.below(pages.len() as u64) as usize);
        let addr = page + (rng.below(0x1000 / 16 - 1) * 16);
        let form = rng.below(11);
        let ((), caught) = exception::catching(|| access(form, addr, rng_value(addr)));
        made += 1;
        if let Some((esr, _)) = caught {
            if esr >> 26 & 0x3f == EC_DATA_ABORT_SAME_EL && esr & 0x3f == DFSC_EXTERNAL {
                aborted += 1;
            }
        }
    }
    TOTALS.accesses.fetch_add(made, Relaxed);
    TOTALS.aborts.fetch_add(aborted, Relaxed);
    (made, aborted)
}

fn rng_value(addr: u64) -> u64 {
    addr.rotate_left(17) ^ 0xa5a5_5a5a_dead_beef
}

/// A fixed-size set of pages, no heap.
mod heapless_pages {
    pub struct Pages {
        p: [u64; super::PAGES.len()],
        n: usize,
    }

    impl Pages {
        pub fn len(&self) -> usize {
            self.n
        }
        pub fn is_empty(&self) -> bool {
            self.n == 0
        }
        pub fn get(&self, i: usize) -> u64 {
            self.p[i]
        }
    }

    impl FromIterator<u64> for Pages {
        fn from_iter<I: IntoIterator<Item = u64>>(it: I) -> Self {
            let mut s = Pages {
                p: [0; super::PAGES.len()],
                n: 0,
            };
            for v in it.into_iter().take(super::PAGES.len()) {
                s.p[s.n] = v;
                s.n += 1;
            }
            s
        }
    }
}

/// Per vCPU: the instruction under test, then RET.
#[repr(C, align(64))]
struct Trampoline([u32; 16]);
static mut TRAMPOLINES: [Trampoline; MAX_CPUS] = [const { Trampoline([0; 16]) }; MAX_CPUS];

const MRS: u32 = 0xd530_0000;
const MSR: u32 = 0xd510_0000;
const RET: u32 = 0xd65f_03c0;

/// The MRS (`write` false) or MSR of x0 for system register op0 = 3 and
/// the other fields given.
fn sysreg_insn(write: bool, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    (if write { MSR } else { MRS }) | 1 << 19 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5
}

/// Run `insn` (which reads or writes x0) from this vCPU's trampoline; the
/// exception it caused, if any.
fn run(insn: u32, x0: u64) -> Option<(u64, u64)> {
    let cpu = arch::cpu_index();
    // SAFETY: only this vCPU uses its trampoline; RAM is mapped normal,
    // writable and executable at EL1.
    let t = unsafe { &raw mut TRAMPOLINES[cpu] };
    let at = t as u64;
    // SAFETY: `t` is this vCPU's; the cache maintenance makes the new
    // instruction visible to the fetch that follows.
    unsafe {
        core::ptr::write_volatile(&raw mut (*t).0[0], insn);
        core::ptr::write_volatile(&raw mut (*t).0[1], RET);
        core::arch::asm!(
            "dc cvau, {a}", "dsb ish", "ic ivau, {a}", "dsb ish", "isb",
            a = in(reg) at,
        );
    }
    let ((), caught) = exception::catching(|| {
        // SAFETY: the trampoline is one system-register access of x0 and
        // RET; if the access traps, the armed handler steps to the RET.
        unsafe {
            core::arch::asm!(
                "blr {t}",
                t = in(reg) at,
                inout("x0") x0 => _,
                out("x30") _,
            )
        };
    });
    caught
}

/// `n` random system-register accesses: reads anywhere in op0 = 3 but the
/// GIC's CPU interface (whose IAR reads would acknowledge this vCPU's own
/// interrupts), writes of random values only to the implementation
/// defined space (CRn 11 and 15) and to ACTLR_EL1. Each completes or is
/// UNDEFINED; anything else ends the run as an unexpected exception.
pub fn sysregs(rng: &mut Rng, n: u64) -> u64 {
    let mut undefined = 0;
    for _ in 0..n {
        let r = rng.next_u64();
        let field = |shift: u32, bits: u32| ((r >> shift) as u32) & ((1 << bits) - 1);
        let (op1, crm, op2) = (field(0, 3), field(3, 4), field(7, 3));
        let insn = match field(10, 2) {
            0 => sysreg_insn(true, op1, if field(12, 1) == 0 { 11 } else { 15 }, crm, op2),
            1 => sysreg_insn(true, 0, 1, 0, 1), // ACTLR_EL1
            _ => {
                let crn = field(13, 4);
                if op1 == 0 && crn == 12 && crm >= 8 {
                    continue;
                }
                sysreg_insn(false, op1, crn, crm, op2)
            }
        };
        if let Some((esr, _)) = run(insn, rng.next_u64()) {
            if esr >> 26 & 0x3f == EC_UNKNOWN {
                undefined += 1;
            }
        }
        TOTALS.sysregs.fetch_add(1, Relaxed);
    }
    TOTALS.undefined.fetch_add(undefined, Relaxed);
    undefined
}
