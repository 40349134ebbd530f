// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Isolation and conduits: loads from IPAs the VM does not own (the GIC
//! distributor, the hypervisor's console UART, unassigned MMIO, the first
//! byte past guest RAM) must come back as a synchronous external abort
//! taken at EL1 (ESR EC 0x25, DFSC 0x10). main.rs maps these pages at
//! stage 1, so any abort is stage 2's.
//! And an rVIC call by `SMC #0` must be answered like one by `HVC #0`.

use selftest::abi::*;
use selftest::ensure;
use selftest::report::Outcome;

use super::*;
use crate::{arch, exception};

/// The IPAs probed, besides the end of RAM.
pub const PROBES: [(u64, &str); 3] = [
    (0x0800_0000, "the GIC distributor"),
    (
        0x0900_0000,
        "the hypervisor's console, QEMU virt's first PL011",
    ),
    (0x1000_0000, "unassigned MMIO"),
];

pub const EC_DATA_ABORT_SAME_EL: u64 = 0x25;
pub const DFSC_EXTERNAL: u64 = 0x10;
const ESR_FNV: u64 = 1 << 10;

fn probe(addr: u64) -> Outcome {
    let (v, caught) = exception::catching(|| arch::probe_load(addr));
    let Some((esr, far)) = caught else {
        return Err(selftest::msg!("no exception; the load returned {v:#x}"));
    };
    let (ec, dfsc) = (esr >> 26 & 0x3f, esr & 0x3f);
    ensure!(
        ec == EC_DATA_ABORT_SAME_EL && dfsc == DFSC_EXTERNAL,
        "expected EC 0x25 DFSC 0x10, got ESR {esr:#x} (EC {ec:#x}, DFSC {dfsc:#x})"
    );
    ensure!(esr & ESR_FNV != 0 || far == addr, "FAR {far:#x}");
    Ok(())
}

pub fn run(ctx: &Ctx) {
    let ram_end = ctx.info.ram_base + ctx.info.ram_size;
    for (addr, what) in PROBES
        .into_iter()
        .chain([(ram_end, "the end of guest RAM")])
    {
        check(
            format_args!(
                "a load from IPA {addr:#x} ({what}) is a synchronous external abort at EL1"
            ),
            probe(addr),
        );
    }
    let before = exception::undefined_calls().1;
    let version = CTX.get().map_or(ABI_0_3, |ctx| ctx.version);
    let c = arch::smc(RVIC_VERSION, [0; 3]);
    check(
        format_args!("{c} by SMC #0 answers like HVC: SUCCESS, x1 = {version:#x}"),
        match exception::undefined_calls().1 > before {
            true => Err(selftest::msg!(
                "SMC #0 is undefined at EL1: the hypervisor does not take it"
            )),
            false => c.expect(SUCCESS, version),
        },
    );
}
