// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Exceptions the hypervisor makes the guest take, as the architecture
//! would take them to EL1 (AArch64.TakeException): syndrome in ESR_EL1,
//! address in FAR_EL1, the interrupted PC and PSTATE in ELR_EL1/SPSR_EL1,
//! and the vCPU continuing at the right offset of VBAR_EL1 with the
//! PSTATE an exception entry gives ([`entry_pstate`]).

use aarch64_cpu::registers::{
    Readable, Writeable, ELR_EL1, ESR_EL1, FAR_EL1, ID_AA64MMFR1_EL1, ID_AA64PFR1_EL1, SCTLR_EL1,
    SPSR_EL1, VBAR_EL1,
};

use super::exception::Context;

/// SPSR for entering EL1h with D, A, I and F masked (and every other
/// PSTATE field zero): where CPU_ON and the boot start a vCPU.
pub const SPSR_EL1H_MASKED: u64 = 0x3c5;

/// ESR.IL: a 32-bit instruction.
const IL: u64 = 1 << 25;
/// Data/instruction fault status: synchronous external abort.
const FSC_EXTERNAL: u64 = 0x10;
const FSC_MASK: u64 = 0x3f;
/// Abort ISS bits that describe the access rather than the fault, carried
/// from ESR_EL2 to ESR_EL1: FnV (10, the FAR is not valid), CM (8, cache
/// maintenance), S1PTW (7, on a stage-1 table walk), WnR (6, a write).
/// FnV is defined for the external-abort FSC only; CM and WnR for data
/// aborts only (RES0 in an instruction abort's ISS).
const ISS_FNV: u64 = 1 << 10;
const ISS_CM: u64 = 1 << 8;
const ISS_S1PTW: u64 = 1 << 7;
const ISS_WNR: u64 = 1 << 6;
/// ESR EC: instruction abort from a lower EL; +1 same EL; +4 data abort.
const EC_IABT_LOWER: u64 = 0x20;
const EC_DABT_LOWER: u64 = 0x24;

/// PSTATE (SPSR layout) bits aarch64-cpu does not name.
const PSTATE_NZCV: u64 = 0xf << 28;
const PSTATE_TCO: u64 = 1 << 25;
const PSTATE_DIT: u64 = 1 << 24;
const PSTATE_PAN: u64 = 1 << 22;
const PSTATE_SSBS: u64 = 1 << 12;
/// SPSR.M[4]: the exception came from AArch32, whose SPSR has DIT here.
const SPSR_M_AARCH32: u64 = 1 << 4;
const SPSR32_DIT: u64 = 1 << 21;
/// SCTLR_EL1.SPAN (23) and DSSBS (44), which aarch64-cpu does not name.
const SCTLR_SPAN: u64 = 1 << 23;
const SCTLR_DSSBS: u64 = 1 << 44;
/// ID_AA64PFR1_EL1.SSBS (bits 7:4).
const PFR1_SSBS_SHIFT: u64 = 4;

/// Which EL the exception came from, from SPSR_EL2.M[3:2].
fn from_el0(ctx: &Context) -> bool {
    (ctx.spsr >> 2) & 3 == 0
}

/// A synchronous external abort for the access that trapped (a `data` or
/// an instruction abort from a lower EL), whose stage-2 syndrome is
/// `esr_el2` and virtual address `far`. The access's WnR, CM and S1PTW are kept;
/// if ESR_EL2 says FAR_EL2 is not valid, so does ESR_EL1 (FnV) and FAR_EL1
/// is left alone.
pub fn external_abort(ctx: &mut Context, data: bool, esr_el2: u64, far: u64) {
    let ec = match data {
        true => EC_DABT_LOWER,
        false => EC_IABT_LOWER,
    } + u64::from(!from_el0(ctx));
    // FnV means something only for an external abort at stage 2.
    let fnv = esr_el2 & FSC_MASK == FSC_EXTERNAL && esr_el2 & ISS_FNV != 0;
    let mut iss = FSC_EXTERNAL | (esr_el2 & ISS_S1PTW);
    if data {
        iss |= esr_el2 & (ISS_WNR | ISS_CM);
    }
    if fnv {
        iss |= ISS_FNV;
    }
    sync(ctx, (ec << 26) | IL | iss, (!fnv).then_some(far));
}

/// An UNDEFINED instruction exception (EC 0) for the trapped instruction.
pub fn undefined(ctx: &mut Context) {
    sync(ctx, IL, None);
}

fn sync(ctx: &mut Context, esr: u64, far: Option<u64>) {
    // Offset of the vector: current EL with SP_ELx (0x200), with SP_EL0
    // (0x000), from EL0 AArch64 (0x400) or AArch32 (0x600).
    let offset = match ctx.spsr & 0x1f {
        0b0_0101 => 0x200,
        0b0_0100 => 0x000,
        m if m & SPSR_M_AARCH32 != 0 => 0x600,
        _ => 0x400,
    };
    ESR_EL1.set(esr);
    if let Some(far) = far {
        FAR_EL1.set(far);
    }
    ELR_EL1.set(ctx.elr);
    SPSR_EL1.set(ctx.spsr);
    ctx.elr = VBAR_EL1.get() + offset;
    ctx.spsr = entry_pstate(ctx.spsr, SCTLR_EL1.get());
}

/// PSTATE on taking an exception to EL1 from `old` (an SPSR value) with
/// the guest's `sctlr` (SCTLR_EL1), as AArch64.TakeException sets it:
/// EL1h with D, A, I, F set; NZCV and DIT kept; PAN kept, or set if
/// SCTLR_EL1.SPAN is 0 (FEAT_PAN); SSBS = SCTLR_EL1.DSSBS (FEAT_SSBS);
/// TCO set (FEAT_MTE); UAO, BTYPE, SS, IL and everything else zero.
/// Not modelled: ALLINT (FEAT_NMI), PM (FEAT_EBEP), EXLOCK (FEAT_GCS).
fn entry_pstate(old: u64, sctlr: u64) -> u64 {
    use SPSR_EL1::{A, D, F, I, M};
    let mut new = (D::Masked + A::Masked + I::Masked + F::Masked + M::EL1h).value;
    // Both SPSR layouts (from AArch64 and from AArch32) hold NZCV and PAN
    // at the same bits; DIT is bit 21 in the AArch32 one.
    let dit = if old & SPSR_M_AARCH32 != 0 {
        SPSR32_DIT
    } else {
        PSTATE_DIT
    };
    new |= old & PSTATE_NZCV;
    if old & dit != 0 {
        new |= PSTATE_DIT;
    }
    if ID_AA64MMFR1_EL1.read(ID_AA64MMFR1_EL1::PAN) != 0
        && (old & PSTATE_PAN != 0 || sctlr & SCTLR_SPAN == 0)
    {
        new |= PSTATE_PAN;
    }
    let pfr1 = ID_AA64PFR1_EL1.get();
    if (pfr1 >> PFR1_SSBS_SHIFT) & 0xf != 0 && sctlr & SCTLR_DSSBS != 0 {
        new |= PSTATE_SSBS;
    }
    if ID_AA64PFR1_EL1.read(ID_AA64PFR1_EL1::MTE) != 0 {
        new |= PSTATE_TCO;
    }
    new
}

/// HCR_EL2.VSE: a virtual SError is pending for the guest.
const HCR_VSE: u64 = 1 << 8;

/// Make the guest take a virtual SError with `syndrome` (VSESR_EL2, where
/// the CPU has FEAT_RAS; without it ESR_EL1's ISS is the CPU's own). It
/// is taken at EL1 as soon as the guest has SErrors unmasked (PSTATE.A
/// clear), and the CPU clears HCR_EL2.VSE then.
pub fn serror(syndrome: u64) {
    use aarch64_cpu::registers::HCR_EL2;
    if super::virt::has_ras() {
        // SAFETY: VSESR_EL2 (s3_4_c5_c2_3) exists with FEAT_RAS, checked
        // above; it only sets the syndrome of the guest's virtual SError.
        unsafe {
            core::arch::asm!("msr s3_4_c5_c2_3, {}", in(reg) syndrome, options(nomem, nostack))
        };
    }
    HCR_EL2.set(HCR_EL2.get() | HCR_VSE);
    aarch64_cpu::asm::barrier::isb(aarch64_cpu::asm::barrier::SY);
}

/// Drop a virtual SError still pending from a vCPU's earlier run: a
/// vCPU that CPU_ON starts again begins without one.
pub fn clear_serror() {
    use aarch64_cpu::registers::HCR_EL2;
    HCR_EL2.set(HCR_EL2.get() & !HCR_VSE);
    if super::virt::has_ras() {
        // SAFETY: VDISR_EL2 (s3_4_c12_c1_1) exists with FEAT_RAS, checked
        // above: the guest's record of a virtual SError an ESB deferred,
        // cleared for the fresh start.
        unsafe { core::arch::asm!("msr s3_4_c12_c1_1, xzr", options(nomem, nostack)) };
    }
    aarch64_cpu::asm::barrier::isb(aarch64_cpu::asm::barrier::SY);
}
