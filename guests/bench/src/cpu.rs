// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The instructions the benchmark needs beyond the conformance guest's
//! `arch` layer: WFI, YIELD (the poll loops' `cpu_relax`), ordered reads
//! of the virtual counter and of the PMU's instruction count, ELR_EL1,
//! `HVC #0` as the rVIC backend's conduit, and the GIC backends' register
//! access.

use bench::gic::{GicHw, Icc};
use bench::irqchip::Conduit;

use crate::arch;

/// Wait for an interrupt (trapped to the hypervisor unless `--wfi native`).
#[inline]
pub fn wfi() {
    // SAFETY: WFI has no memory effects.
    unsafe { core::arch::asm!("wfi") }
}

/// One turn of a busy-wait loop: YIELD, as Linux's and kvm-unit-tests'
/// `cpu_relax()` on arm64. Under QEMU's round-robin TCG (`-icount`) it also
/// lets the next vCPU run, so a waiting vCPU does not hold the others off.
#[inline]
pub fn relax() {
    // SAFETY: YIELD is a hint with no architectural effect.
    unsafe { core::arch::asm!("yield", options(nomem, nostack)) }
}

/// CNTVCT_EL0 after every earlier instruction (ISB first), as
/// kvm-unit-tests' micro-bench reads it around an operation.
#[inline]
pub fn now() -> u64 {
    let v: u64;
    // SAFETY: an ISB and a counter read have no side effects.
    unsafe { core::arch::asm!("isb", "mrs {}, cntvct_el0", out(reg) v, options(nostack)) };
    v
}

sysreg_read!(elr, "elr_el1");
sysreg_read!(id_aa64dfr0, "id_aa64dfr0_el1");
sysreg_read!(pmcr, "pmcr_el0");

/// Make PMU event counter 0 count the instructions this vCPU retires at
/// EL1 and EL0 (INST_RETIRED, event 0x08; under rvhyp MDCR_EL2 keeps EL2
/// out of it): `false`, touching nothing, if there is no PMUv3
/// (ID_AA64DFR0_EL1.PMUVer 0 or 0xf) or it has no event counter
/// (PMCR_EL0.N 0).
pub fn count_insns() -> bool {
    let pmuver = id_aa64dfr0() >> 8 & 0xf;
    if pmuver == 0 || pmuver == 0xf || pmcr() >> 11 & 0x1f == 0 {
        return false;
    }
    // SAFETY: the PMU is this vCPU's own; counter 0 is set to count and
    // enabled, nothing else is changed but PMCR_EL0.E (counters on).
    unsafe {
        core::arch::asm!(
            "msr pmevtyper0_el0, {ev}",
            "msr pmcntenset_el0, {one}",
            "mrs {t}, pmcr_el0",
            "orr {t}, {t}, #1",
            "msr pmcr_el0, {t}",
            "isb",
            ev = in(reg) 0x08u64,
            one = in(reg) 1u64,
            t = out(reg) _,
            options(nostack),
        )
    };
    true
}

/// The start of a counted sample: PMU event counter 0 (32 bits), then
/// [`now`], in one block so that nothing is scheduled between them.
#[inline]
pub fn insns_now() -> (u32, u64) {
    let (i, t): (u64, u64);
    // SAFETY: ISBs and counter reads have no side effects.
    unsafe {
        core::arch::asm!(
            "isb", "mrs {i}, pmevcntr0_el0", "isb", "mrs {t}, cntvct_el0",
            i = out(reg) i, t = out(reg) t, options(nostack)
        )
    };
    (i as u32, t)
}

/// Its end: [`now`], then PMU event counter 0, in one block.
#[inline]
pub fn now_insns() -> (u64, u32) {
    let (t, i): (u64, u64);
    // SAFETY: ISBs and counter reads have no side effects.
    unsafe {
        core::arch::asm!(
            "isb", "mrs {t}, cntvct_el0", "isb", "mrs {i}, pmevcntr0_el0",
            t = out(reg) t, i = out(reg) i, options(nostack)
        )
    };
    (t, i as u32)
}

/// `HVC #0`, the rVIC backend's way to the hypervisor.
pub struct Hvc;

impl Conduit for Hvc {
    #[inline]
    fn call(fid: u32, args: [u64; 3]) -> [u64; 4] {
        arch::hvc(fid, args).ret
    }

    #[inline]
    fn me() -> u64 {
        arch::mpidr()
    }
}

/// The GIC backends' registers: MMIO through the device mappings
/// `start::map` makes, the CPU interface through `MSR`/`MRS`.
pub struct Gic;

macro_rules! icc_write {
    ($reg:literal, $v:expr) => {
        // SAFETY: the GICv3 CPU interface of this vCPU; its registers
        // affect only interrupt delivery to this vCPU (SGI1R: an SGI to
        // others). The ISB makes the write take effect before what follows,
        // as Linux's gic_write_* do.
        unsafe { core::arch::asm!(concat!("msr ", $reg, ", {}"), "isb", in(reg) $v, options(nostack)) }
    };
}

impl GicHw for Gic {
    #[inline]
    fn read32(addr: u64) -> u32 {
        arch::read32(addr)
    }

    #[inline]
    fn write32(addr: u64, v: u32) {
        arch::write32(addr, v)
    }

    #[inline]
    fn icc_read(reg: Icc) -> u64 {
        let v: u64;
        match reg {
            // SAFETY: reading IAR1 acknowledges the interrupt this vCPU is
            // being signalled, which is what the caller asks; the DSB
            // orders it before the handler's accesses (Linux's
            // gic_read_iar).
            Icc::Iar1 => unsafe {
                core::arch::asm!("mrs {}, icc_iar1_el1", "dsb sy", out(reg) v, options(nostack))
            },
            // SAFETY: reading SRE has no side effect.
            Icc::Sre => unsafe {
                core::arch::asm!("mrs {}, icc_sre_el1", out(reg) v, options(nomem, nostack))
            },
            _ => v = 0,
        }
        v
    }

    #[inline]
    fn icc_write(reg: Icc, v: u64) {
        match reg {
            Icc::Sre => icc_write!("icc_sre_el1", v),
            Icc::Pmr => icc_write!("icc_pmr_el1", v),
            Icc::Igrpen1 => icc_write!("icc_igrpen1_el1", v),
            Icc::Sgi1r => icc_write!("icc_sgi1r_el1", v),
            Icc::Eoir1 => icc_write!("icc_eoir1_el1", v),
            Icc::Iar1 => {}
        }
    }

    #[inline]
    fn before_sgi() {
        // SAFETY: a barrier; no effect but ordering.
        unsafe { core::arch::asm!("dsb ishst", options(nostack)) }
    }

    #[inline]
    fn cpu_index() -> usize {
        arch::cpu_index()
    }

    #[inline]
    fn mpidr() -> u64 {
        arch::mpidr()
    }
}
