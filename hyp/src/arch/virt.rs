// SPDX-License-Identifier: Apache-2.0 OR MIT
//! This CPU's EL2 controls for the vCPU pinned to it: HCR_EL2 and the
//! traps, the stage-2 base, the virtual CPU identity, the virtual IRQ
//! line, the guest's virtual timer, and the EL1 state a vCPU starts from.
//! A vCPU never leaves its physical CPU and EL2 never uses EL1's
//! registers, so the guest's EL1 state simply stays in the CPU.

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{
    ReadWriteable, Readable, Writeable, CNTHCTL_EL2, CNTVOFF_EL2, CNTV_CTL_EL0, CPTR_EL2, HCR_EL2,
    ID_AA64DFR0_EL1, ID_AA64ISAR1_EL1, ID_AA64MMFR0_EL1, ID_AA64PFR0_EL1, ID_AA64PFR1_EL1,
    MDCR_EL2, MIDR_EL1, PAR_EL1, SCTLR_EL1, VMPIDR_EL2, VTCR_EL2, VTTBR_EL2,
};

use super::exception::Context;

/// HCR_EL2 while a guest runs: stage 2 on (VM), set/way invalidation as
/// clean+invalidate (SWIO), physical IRQ/FIQ/SError to EL2 (IMO/FMO/AMO),
/// broadcast TLB and cache maintenance inner-shareable (FB, BSU = IS), SMC
/// trapped (TSC), EL1 is AArch64 (RW); WFI trapped (TWI) if asked.
/// IMPLEMENTATION DEFINED registers (TIDCP), ACTLR_EL1 (TACR) and the RAS
/// error records (TERR) trap, so the guest gets UNDEFINED for them rather
/// than the CPU's own controls; ID register reads trap (TID3) and are
/// answered without the features a guest is not given.
/// Pointer authentication is the guest's (API, APK: no trap) where the CPU
/// has it: its keys stay in the CPU, since a vCPU never leaves its CPU
/// and EL2 does not use them.
fn hcr_guest(trap_wfi: bool, pauth: bool, ras: bool) -> u64 {
    (HCR_EL2::VM::SET
        + HCR_EL2::TID3::SET
        + if ras {
            HCR_EL2::TERR::SET
        } else {
            HCR_EL2::TERR::CLEAR // RES0 without FEAT_RAS
        }
        + HCR_EL2::TIDCP::SET
        + HCR_EL2::TACR::SET
        + if pauth {
            HCR_EL2::API::SET + HCR_EL2::APK::SET
        } else {
            HCR_EL2::API::CLEAR + HCR_EL2::APK::CLEAR
        }
        + HCR_EL2::SWIO::SET
        + HCR_EL2::FMO::SET
        + HCR_EL2::IMO::SET
        + HCR_EL2::AMO::SET
        + HCR_EL2::FB::SET
        + HCR_EL2::BSU::InnerShareable
        + HCR_EL2::TSC::SET
        + HCR_EL2::RW::EL1IsAarch64
        + if trap_wfi {
            HCR_EL2::TWI::SET
        } else {
            HCR_EL2::TWI::CLEAR
        })
    .value
}

/// SCTLR_EL1 at reset: MMU and caches off, RES1 bits set.
const SCTLR_EL1_RESET: u64 = 0x30d0_0800;
/// CPTR_EL2 RES1 bits (13, 9, 7:0), TZ (8) and TSM (12) for the units
/// this CPU lacks.
const CPTR_RES1: u64 = (1 << 13) | (1 << 9) | 0xff;
const CPTR_TZ: u64 = 1 << 8;
const CPTR_TSM: u64 = 1 << 12;
/// CPTR_EL2.TTA: trace system registers trap.
const CPTR_TTA: u64 = 1 << 20;
/// CPTR_EL2.TAM: activity monitor registers trap (FEAT_AMUv1).
const CPTR_TAM: u64 = 1 << 30;

/// Reads a system register aarch64-cpu does not name.
macro_rules! mrs {
    ($reg:literal) => {{
        let v: u64;
        // SAFETY: reading this identification or control register has no
        // side effect.
        unsafe { core::arch::asm!(concat!("mrs {}, ", $reg), out(reg) v, options(nomem, nostack)) };
        v
    }};
}

/// Writes a system register aarch64-cpu does not name.
macro_rules! msr {
    ($reg:literal, $val:expr) => {
        // SAFETY: each use below writes an EL2 control of this CPU's vCPU
        // with the value its comment justifies; no memory is touched.
        unsafe { core::arch::asm!(concat!("msr ", $reg, ", {}"), in(reg) $val, options(nomem, nostack)) }
    };
}

/// A 4-bit ID register field.
fn field(id: u64, lsb: u32) -> u64 {
    (id >> lsb) & 0xf
}

/// Whether the CPU has pointer authentication (any algorithm, address or
/// generic: ID_AA64ISAR1_EL1 APA/API/GPA/GPI, ID_AA64ISAR2_EL1 APA3/GPA3).
fn has_pauth() -> bool {
    use ID_AA64ISAR1_EL1::{APA, API, GPA, GPI};
    let isar1 = ID_AA64ISAR1_EL1.extract();
    let isar2 = mrs!("s3_0_c0_c6_2"); // ID_AA64ISAR2_EL1 (RAZ before Armv8.7)
    [APA, API, GPA, GPI].iter().any(|&f| isar1.read(f) != 0)
        || [8, 12].iter().any(|&l| field(isar2, l) != 0)
}

/// Whether the CPU has FEAT_RAS (ID_AA64PFR0_EL1.RAS): the ESB in the
/// exit vectors defers a pending SError into DISR_EL1, and a virtual
/// SError carries VSESR_EL2's syndrome.
pub fn has_ras() -> bool {
    field(ID_AA64PFR0_EL1.get(), 28) != 0
}

/// The PMU's version (ID_AA64DFR0_EL1.PMUVer) if the CPU has an
/// architected one (not 0, none, or 0xf, IMPLEMENTATION DEFINED).
pub fn pmu_version() -> Option<u64> {
    let v = ID_AA64DFR0_EL1.read(ID_AA64DFR0_EL1::PMUVer);
    (v != 0 && v != 0xf).then_some(v)
}

/// Whether the CPU has FEAT_WFxT (ID_AA64ISAR2_EL1.WFxT = 0b0010: WFIT
/// and WFET).
pub fn has_wfxt() -> bool {
    field(mrs!("s3_0_c0_c6_2"), 0) >= 2
}

/// The instruction at the guest's virtual address `va`, as its EL1 (EL0
/// if `el0`) would read it, if its stage 1 maps it to a word of guest RAM
/// `ram`: AT S1E1R (S1E0R) gives the IPA, which is the physical address
/// (guest RAM is identity mapped) and mapped at EL2. The guest's PAR_EL1,
/// which AT writes, is put back.
pub fn guest_instruction(va: u64, el0: bool, ram: platform::Range) -> Option<u32> {
    let saved = PAR_EL1.get();
    // SAFETY: address translation only: the result goes to PAR_EL1 (a
    // fault too, never an exception), which is restored below.
    unsafe {
        if el0 {
            core::arch::asm!("at s1e0r, {}", "isb", in(reg) va, options(nostack));
        } else {
            core::arch::asm!("at s1e1r, {}", "isb", in(reg) va, options(nostack));
        }
    }
    let par = PAR_EL1.get();
    PAR_EL1.set(saved);
    barrier::isb(barrier::SY);
    let pa = (par & 0x000f_ffff_ffff_f000) | (va & 0xfff);
    let word = par & 1 == 0 && pa.is_multiple_of(4) && ram.contains(pa) && ram.contains(pa + 3);
    // SAFETY: an aligned load from guest RAM, which EL2 maps as normal
    // memory; the guest may change it at any time, which only changes
    // the value read.
    word.then(|| unsafe { core::ptr::read_volatile(pa as *const u32) })
}

/// Once per CPU before its vCPU first runs: stage 2 (the tables are in
/// place), the vCPU's identity, the timers, the FP/SVE/SME and PMU
/// controls, then the traps.
pub fn init_cpu(vttbr: u64, vcpu_mpidr: u64, trap_wfi: bool) {
    let parange = ID_AA64MMFR0_EL1.get() & 0xf;
    VTCR_EL2.set(super::stage2::vtcr(parange));
    VTTBR_EL2.set(vttbr);
    // The guest sees the real MIDR and its own MPIDR (bit 31 is RES1).
    msr!("vpidr_el2", MIDR_EL1.get());
    VMPIDR_EL2.set((1 << 31) | vcpu_mpidr);
    // EL1 may read the physical counter but not program the physical
    // timer (it uses the virtual one); the event stream stays.
    CNTHCTL_EL2.set(super::CNTHCTL_EL1PCTEN | super::CNTHCTL_EVENT_STREAM);
    CNTVOFF_EL2.set(0);
    // FP/SIMD, SVE and SME are the guest's: EL2 never touches them
    // (softfloat), and with one vCPU per CPU nothing needs switching.
    let pfr0 = ID_AA64PFR0_EL1.extract();
    let sve = pfr0.read(ID_AA64PFR0_EL1::SVE) != 0;
    let sme = field(ID_AA64PFR1_EL1.get(), 24) != 0; // ID_AA64PFR1_EL1.SME
    let mut cptr = CPTR_RES1 | CPTR_TTA;
    if pfr0.read(ID_AA64PFR0_EL1::AMU) != 0 {
        cptr |= CPTR_TAM;
    }
    if !sme {
        cptr |= CPTR_TSM;
    }
    if !sve {
        cptr |= CPTR_TZ;
    }
    CPTR_EL2.set(cptr);
    if sve {
        msr!("s3_4_c1_c2_0", 0xfu64); // ZCR_EL2: the largest vector length
    }
    if sme {
        msr!("s3_4_c1_c2_6", 0xfu64); // SMCR_EL2: the largest streaming length
    }
    MDCR_EL2.set(mdcr_guest());
    // IMPLEMENTATION DEFINED controls in a known state: ACTLR_EL2 = 0
    // gives EL1 no access to the CPU's own control registers.
    msr!("actlr_el2", 0u64);
    HCR_EL2.set(hcr_guest(trap_wfi, has_pauth(), has_ras()));
    barrier::isb(barrier::SY);
    // SAFETY: TLB maintenance only: stale stage-2 entries for this VMID
    // are dropped before the guest first runs.
    unsafe { core::arch::asm!("tlbi vmalls12e1", "dsb nsh", "isb", options(nostack)) };
}

/// MDCR_EL2 while a guest runs: every PMU counter is the guest's (HPMN =
/// PMCR_EL0.N), but none counts at EL2, so the guest cannot time the
/// hypervisor: event counters by HPMD (PMUv3p1), the cycle counter by
/// HCCD (PMUv3p5). Before PMUv3p5 every PMU register access traps (TPM)
/// and `hyp::pmu` keeps EL2 out of each event type the guest writes.
/// Trace is prohibited at EL2 (TRFCR_EL2 = 0) and the guest's trace filter
/// control traps (TTRF), where FEAT_TRF exists.
fn mdcr_guest() -> u64 {
    use MDCR_EL2::{HCCD, HPMD, HPMN, TPM, TTRF};
    let mut mdcr = HPMN.val(0);
    if let Some(pmu) = pmu_version() {
        mdcr = HPMN.val((mrs!("pmcr_el0") >> 11) & 0x1f); // PMCR_EL0.N
        if pmu >= 4 {
            mdcr += HPMD::SET; // PMUv3p1
        }
        if pmu >= 6 {
            mdcr += HCCD::SET; // PMUv3p5
        }
        if hyp::pmu::needs_trap(pmu) {
            mdcr += TPM::SET;
        }
    }
    if ID_AA64DFR0_EL1.read(ID_AA64DFR0_EL1::TraceFilt) != 0 {
        msr!("s3_4_c1_c2_1", 0u64); // TRFCR_EL2: no trace at EL2
        mdcr += TTRF::SET;
    }
    mdcr.value
}

/// Assert or deassert the virtual IRQ line through HCR_EL2.VI.
pub fn set_vi(asserted: bool) {
    let hcr = HCR_EL2.extract();
    if hcr.is_set(HCR_EL2::VI) != asserted {
        HCR_EL2.modify(if asserted {
            HCR_EL2::VI::SET
        } else {
            HCR_EL2::VI::CLEAR
        });
        barrier::isb(barrier::SY);
    }
}

/// Reset the EL1 state a CPU_ON or first boot must start from, and set
/// `ctx` so that entering it runs `entry` at EL1h with `x0 = arg`, every
/// other register zero and D, A, I, F masked.
pub fn reset_vcpu(ctx: &mut Context, entry: u64, arg: u64) {
    reset_el1();
    super::inject::clear_serror();
    *ctx = Context::default();
    ctx.x[0] = arg;
    ctx.elr = entry;
    ctx.spsr = super::inject::SPSR_EL1H_MASKED;
}

/// Zero each of the numbered debug registers `$reg<n>_el1` below `$count`.
macro_rules! zero_numbered {
    ($count:expr, $reg:literal, $($n:literal)*) => {
        $(
            if $n < $count {
                // SAFETY: a breakpoint or watchpoint control or value of
                // the guest's EL1; zero disables it. No memory is touched.
                unsafe {
                    core::arch::asm!(
                        concat!("msr ", $reg, stringify!($n), "_el1, xzr"),
                        options(nomem, nostack)
                    )
                };
            }
        )*
    };
}

/// The architected EL1 state a powered-on core starts from, as the boot
/// and every CPU_ON give it (whatever the vCPU's previous owner left):
/// SCTLR_EL1 at its reset value (MMU and caches off); the translation
/// registers, VBAR_EL1, the thread and context IDs, both stack pointers,
/// the exception syndrome and return registers, CPACR_EL1 (FP/SIMD
/// trapped at EL1) and CNTKCTL_EL1 zero; the virtual timer off; debug off
/// (MDSCR_EL1 and every breakpoint and watchpoint zero); the PMU off
/// (PMCR_EL0.E = 0, counters reset, every counter, interrupt and overflow
/// cleared, no EL0 access).
pub fn reset_el1() {
    use aarch64_cpu::registers::{
        AFSR0_EL1, AFSR1_EL1, AMAIR_EL1, CNTKCTL_EL1, CNTV_CVAL_EL0, CONTEXTIDR_EL1, CPACR_EL1,
        CSSELR_EL1, ELR_EL1, ESR_EL1, FAR_EL1, MAIR_EL1, MDSCR_EL1, PAR_EL1, SPSR_EL1, SP_EL0,
        SP_EL1, TCR_EL1, TPIDRRO_EL0, TPIDR_EL0, TPIDR_EL1, TTBR0_EL1, TTBR1_EL1, VBAR_EL1,
    };
    SCTLR_EL1.set(SCTLR_EL1_RESET);
    barrier::isb(barrier::SY);
    TCR_EL1.set(0);
    TTBR0_EL1.set(0);
    TTBR1_EL1.set(0);
    MAIR_EL1.set(0);
    AMAIR_EL1.set(0);
    VBAR_EL1.set(0);
    CONTEXTIDR_EL1.set(0);
    TPIDR_EL0.set(0);
    TPIDRRO_EL0.set(0);
    TPIDR_EL1.set(0);
    SP_EL0.set(0);
    SP_EL1.set(0);
    ESR_EL1.set(0);
    FAR_EL1.set(0);
    ELR_EL1.set(0);
    SPSR_EL1.set(0);
    AFSR0_EL1.set(0);
    AFSR1_EL1.set(0);
    PAR_EL1.set(0);
    CSSELR_EL1.set(0);
    CPACR_EL1.set(0);
    CNTKCTL_EL1.set(0);
    CNTV_CVAL_EL0.set(0);
    stop_vtimer();
    MDSCR_EL1.set(0);
    let dfr0 = ID_AA64DFR0_EL1.extract();
    // BRPs and WRPs hold the number of breakpoints/watchpoints minus one.
    let brps = dfr0.read(ID_AA64DFR0_EL1::BRPs) + 1;
    let wrps = dfr0.read(ID_AA64DFR0_EL1::WRPs) + 1;
    zero_numbered!(brps, "dbgbcr", 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    zero_numbered!(brps, "dbgbvr", 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    zero_numbered!(wrps, "dbgwcr", 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    zero_numbered!(wrps, "dbgwvr", 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    if pmu_version().is_some() {
        // SAFETY: the guest's PMU (MDCR_EL2 gives EL1 every counter):
        // PMCR_EL0 with E = 0 and P, C set (counting off, every counter
        // zeroed); every counter's enable, interrupt and overflow bit
        // cleared; no EL0 access; counter 0 selected, the cycle counter's
        // filter at reset. No memory is touched.
        unsafe {
            core::arch::asm!(
                "msr pmcr_el0, {pc}",
                "msr pmcntenclr_el0, {all}",
                "msr pmintenclr_el1, {all}",
                "msr pmovsclr_el0, {all}",
                "msr pmuserenr_el0, xzr",
                "msr pmselr_el0, xzr",
                "msr pmccfiltr_el0, xzr",
                pc = in(reg) 0b110u64,
                all = in(reg) u64::from(u32::MAX),
                options(nomem, nostack)
            )
        };
    }
    barrier::isb(barrier::SY);
}

/// Disable the guest's virtual timer (its output drops).
pub fn stop_vtimer() {
    CNTV_CTL_EL0.set(0);
    barrier::isb(barrier::SY);
}

/// The guest's virtual timer output: enabled, condition met, not masked.
pub fn vtimer_asserted() -> bool {
    CNTV_CTL_EL0.get() & 0b111 == 0b101
}

/// Invalidate all instruction caches to the point of unification, inner
/// shareable: code just copied into guest RAM is fetched fresh.
pub fn invalidate_icache() {
    // SAFETY: cache maintenance only; no data changes.
    unsafe { core::arch::asm!("ic ialluis", "dsb ish", "isb", options(nostack)) };
}
