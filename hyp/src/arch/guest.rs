// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The EL2 controls of the guest on this CPU: HCR_EL2, stage-2 base, the
//! virtual CPU identity, trapping, the virtual IRQ line, and entering or
//! re-entering EL1. A vCPU is pinned to its physical CPU and EL2 never uses
//! EL1's registers, so the guest's EL1 state simply stays in the CPU.

use aarch64_cpu::registers::{Readable, ID_AA64MMFR0_EL1, ID_AA64PFR0_EL1, ID_AA64PFR1_EL1};

use super::exception::TrapFrame;

/// HCR_EL2 while a guest runs: stage 2 on (VM), set/way invalidate as
/// clean+invalidate (SWIO), physical IRQ/FIQ/SError to EL2 (IMO/FMO/AMO),
/// broadcast TLB and cache maintenance inner-shareable (FB, BSU = IS), SMC
/// trapped (TSC), EL1 is AArch64 (RW). TWI is added when WFI is trapped.
const HCR_GUEST: u64 =
    1 | (1 << 1) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 9) | (1 << 10) | (1 << 19) | (1 << 31);
const HCR_TWI: u64 = 1 << 13;
const HCR_VI: u64 = 1 << 7;

/// SPSR for entering EL1h with D, A, I and F masked.
const SPSR_EL1H_MASKED: u64 = 0x3c5;
/// SCTLR_EL1 at reset: MMU and caches off, RES1 bits set.
const SCTLR_EL1_RESET: u64 = 0x30d0_0800;

macro_rules! msr {
    ($reg:literal, $val:expr) => {
        // SAFETY: writes an EL2/EL1 control register of this CPU's guest;
        // each caller below says why the value is right.
        unsafe { core::arch::asm!(concat!("msr ", $reg, ", {}"), in(reg) $val as u64) }
    };
}

macro_rules! mrs {
    ($reg:literal) => {{
        let v: u64;
        // SAFETY: reads a system register; no side effects.
        unsafe { core::arch::asm!(concat!("mrs {}, ", $reg), out(reg) v) };
        v
    }};
}

/// Once per CPU before its vCPU first runs: stage 2, identity, traps.
pub fn init_cpu(vttbr: u64, vcpu_mpidr: u64, trap_wfi: bool) {
    let parange = ID_AA64MMFR0_EL1.get() & 0xf;
    // Stage 2 for this VM (VMID in VTTBR); the tables are in place.
    msr!("vtcr_el2", super::stage2::vtcr(parange));
    msr!("vttbr_el2", vttbr);
    // The guest sees the real MIDR and its own MPIDR (bit 31 is RES1).
    let midr = mrs!("midr_el1");
    msr!("vpidr_el2", midr);
    msr!("vmpidr_el2", (1u64 << 31) | vcpu_mpidr);
    // Timers: EL1 may read the physical counter but not program the
    // physical timer (it uses the virtual one); keep the event stream.
    msr!("cnthctl_el2", 0b01u64 | (1 << 2) | (15 << 4));
    msr!("cntvoff_el2", 0u64);
    // FP/SIMD, SVE and SME are the guest's: EL2 never touches them
    // (softfloat), and with one vCPU per CPU nothing needs switching.
    // CPTR_EL2 RES1 bits 13, 12 (TSM without SME), 9, 7:0; TFP, TZ clear.
    let sve = (ID_AA64PFR0_EL1.get() >> 32) & 0xf != 0;
    let sme = (ID_AA64PFR1_EL1.get() >> 24) & 0xf != 0;
    let mut cptr: u64 = (1 << 13) | (1 << 9) | 0xff;
    if !sme {
        cptr |= 1 << 12;
    }
    if !sve {
        cptr |= 1 << 8;
    }
    msr!("cptr_el2", cptr);
    if sve {
        msr!("s3_4_c1_c2_0", 0xfu64); // ZCR_EL2: the largest vector length
    }
    if sme {
        msr!("s3_4_c1_c2_6", 0xfu64); // SMCR_EL2: the largest streaming length
    }
    // PMU counters all to EL1 (HPMN = PMCR_EL0.N), no debug traps.
    let counters = (mrs!("pmcr_el0") >> 11) & 0x1f;
    msr!("mdcr_el2", counters);
    set_hcr(HCR_GUEST | if trap_wfi { HCR_TWI } else { 0 });
    // SAFETY: barriers only; stale stage-2 TLB entries for this VMID are
    // dropped before the guest first runs.
    unsafe { core::arch::asm!("isb", "tlbi vmalls12e1", "dsb nsh", "isb") };
}

fn set_hcr(v: u64) {
    msr!("hcr_el2", v);
    // SAFETY: barrier only.
    unsafe { core::arch::asm!("isb") };
}

/// Assert or deassert the virtual IRQ line through HCR_EL2.VI.
pub fn set_vi(asserted: bool) {
    let hcr = mrs!("hcr_el2");
    let new = if asserted {
        hcr | HCR_VI
    } else {
        hcr & !HCR_VI
    };
    if new != hcr {
        set_hcr(new);
    }
}

/// Reset the EL1 state a CPU_ON or first boot must start from, and set the
/// frame so that the next exception return enters `entry` at EL1h with
/// `x0 = arg`, every other register zero.
pub fn reset_vcpu(frame: &mut TrapFrame, entry: u64, arg: u64) {
    msr!("sctlr_el1", SCTLR_EL1_RESET);
    stop_vtimer();
    frame.x = [0; 31];
    frame.x[0] = arg;
    frame.elr = entry;
    frame.spsr = SPSR_EL1H_MASKED;
}

/// Enter the guest with `frame` for the first time on this CPU. The frame
/// lives on this CPU's EL2 stack: every later exception saves the guest's
/// registers at the same place, below the caller's stack frame, so the
/// caller must never return (it does not: this function does not).
pub fn enter(frame: &mut TrapFrame) -> ! {
    extern "C" {
        fn exception_return();
    }
    // SAFETY: exception_return pops a TrapFrame from SP and ERETs; SP is
    // pointed at `frame`, a whole TrapFrame. The caller's stack above the
    // frame is preserved because traps push below SP.
    unsafe {
        core::arch::asm!(
            "mov sp, {f}",
            "b {ret}",
            f = in(reg) frame as *mut TrapFrame,
            ret = sym exception_return,
            options(noreturn)
        )
    }
}

/// Disable the guest's virtual timer (its output drops).
pub fn stop_vtimer() {
    msr!("cntv_ctl_el0", 0u64);
    // SAFETY: barrier only.
    unsafe { core::arch::asm!("isb") };
}

/// The guest's virtual timer output: enabled, condition met, not masked.
pub fn vtimer_asserted() -> bool {
    mrs!("cntv_ctl_el0") & 0b111 == 0b101
}

/// Which EL the exception came from, from SPSR_EL2.M[3:2].
fn from_el0(frame: &TrapFrame) -> bool {
    (frame.spsr >> 2) & 3 == 0
}

/// Inject a synchronous external abort for the faulting access that trapped
/// (a data abort if `data`, else an instruction abort) into the guest, as
/// the architecture would take it to EL1: syndrome in ESR_EL1, address in
/// FAR_EL1, return state in ELR/SPSR_EL1, continue at the right vector.
pub fn inject_external_abort(frame: &mut TrapFrame, data: bool, far: u64) {
    let el0 = from_el0(frame);
    // EC: 0x24/0x25 data abort from lower/same EL, 0x20/0x21 instruction.
    let ec: u64 = match (data, el0) {
        (true, true) => 0x24,
        (true, false) => 0x25,
        (false, true) => 0x20,
        (false, false) => 0x21,
    };
    let esr = (ec << 26) | (1 << 25) | 0x10; // IL, FSC = synchronous external abort
    inject_sync(frame, esr, Some(far));
}

/// Inject an UNDEFINED instruction exception (EC 0) for the trapped
/// instruction.
pub fn inject_undef(frame: &mut TrapFrame) {
    inject_sync(frame, 1 << 25, None);
}

fn inject_sync(frame: &mut TrapFrame, esr: u64, far: Option<u64>) {
    let vbar = mrs!("vbar_el1");
    // Offset of the vector: current EL with SP_ELx (0x200), with SP_EL0
    // (0x000), from EL0 AArch64 (0x400) or AArch32 (0x600).
    let offset = match frame.spsr & 0x1f {
        0b0_0101 => 0x200,
        0b0_0100 => 0x000,
        m if m & 0x10 != 0 => 0x600,
        _ => 0x400,
    };
    msr!("esr_el1", esr);
    if let Some(far) = far {
        msr!("far_el1", far);
    }
    msr!("elr_el1", frame.elr);
    msr!("spsr_el1", frame.spsr);
    frame.elr = vbar + offset;
    frame.spsr = SPSR_EL1H_MASKED;
}
