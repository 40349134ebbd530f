// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Exceptions the hypervisor makes the guest take, as the architecture
//! would take them to EL1: syndrome in ESR_EL1, address in FAR_EL1, return
//! state in ELR_EL1/SPSR_EL1, and the vCPU continuing at the right offset
//! of VBAR_EL1.

use aarch64_cpu::registers::{Readable, Writeable, ELR_EL1, ESR_EL1, FAR_EL1, SPSR_EL1, VBAR_EL1};

use super::exception::Context;

/// SPSR for entering EL1h with D, A, I and F masked.
pub const SPSR_EL1H_MASKED: u64 = 0x3c5;

/// ESR.IL: a 32-bit instruction.
const IL: u64 = 1 << 25;
/// Data/instruction fault status: synchronous external abort.
const FSC_EXTERNAL: u64 = 0x10;

/// Which EL the exception came from, from SPSR_EL2.M[3:2].
fn from_el0(ctx: &Context) -> bool {
    (ctx.spsr >> 2) & 3 == 0
}

/// A synchronous external abort for the access that trapped: a data abort
/// if `data`, else an instruction abort, at virtual address `far`.
pub fn external_abort(ctx: &mut Context, data: bool, far: u64) {
    // EC: 0x24/0x25 data abort from a lower/the same EL, 0x20/0x21 instruction.
    let ec: u64 = match (data, from_el0(ctx)) {
        (true, true) => 0x24,
        (true, false) => 0x25,
        (false, true) => 0x20,
        (false, false) => 0x21,
    };
    sync(ctx, (ec << 26) | IL | FSC_EXTERNAL, Some(far));
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
        m if m & 0x10 != 0 => 0x600,
        _ => 0x400,
    };
    ESR_EL1.set(esr);
    if let Some(far) = far {
        FAR_EL1.set(far);
    }
    ELR_EL1.set(ctx.elr);
    SPSR_EL1.set(ctx.spsr);
    ctx.elr = VBAR_EL1.get() + offset;
    ctx.spsr = SPSR_EL1H_MASKED;
}
