// SPDX-License-Identifier: Apache-2.0 OR MIT
//! What a hostile guest must not reach or break (the hardening checks):
//! the PMU cannot count the hypervisor's cycles, ACTLR_EL1 and the RAS
//! error records are UNDEFINED, the ID registers hide what a guest is not
//! given, pointer authentication works, SMCCC 1.1 discovery is answered, CPU_ON refuses a misaligned
//! entry point, and guest RAM outside the images starts zeroed. A check
//! whose feature the CPU lacks is reported as a TAP `# SKIP`.

use selftest::abi::*;
use selftest::{ensure, msg};

use super::*;
use crate::arch::hostile as hw;
use crate::{arch, exception};

const EC_UNKNOWN: u64 = 0;
const PSCI_INVALID_ADDRESS: i32 = -9;

/// 4-bit ID register field.
fn field(id: u64, lsb: u32) -> u64 {
    (id >> lsb) & 0xf
}

/// TAP's skip: counted as passed, says why it did not run.
fn skip(what: &str, why: &str) {
    check(format_args!("{what} # SKIP {why}"), Ok(()));
}

/// `f` (one trapping instruction) must be UNDEFINED at EL1.
fn undefined(f: impl FnOnce() -> u64) -> Outcome {
    match exception::catching(f) {
        (v, None) => Err(msg!(
            "it read {v:#x}: the guest reaches the CPU's own register"
        )),
        (_, Some((esr, _))) => {
            let ec = esr >> 26;
            ensure!(
                ec == EC_UNKNOWN,
                "expected UNDEFINED (EC 0), got ESR {esr:#x}"
            );
            Ok(())
        }
    }
}

fn pauth() -> Outcome {
    let m = 0x1234;
    let p = arch::secondary_entry_addr();
    for (half, set) in [
        ("lo", hw::set_apia_key_lo as fn(u64)),
        ("hi", hw::set_apia_key_hi as fn(u64)),
    ] {
        let (_, caught) = exception::catching(|| set(0x0123_4567_89ab_cdef));
        ensure!(
            caught.is_none(),
            "writing APIAKey{half}_EL1 trapped: ESR {:#x}",
            caught.unwrap().0
        );
    }
    hw::enable_ia(true);
    let (signed, caught) = exception::catching(|| hw::pacia(p, m));
    let back = if caught.is_none() {
        exception::catching(|| hw::autia(signed, m))
    } else {
        (0, None)
    };
    hw::enable_ia(false);
    if let Some((esr, _)) = caught.or(back.1) {
        return Err(msg!("a PAC instruction trapped: ESR {esr:#x}"));
    }
    ensure!(signed != p, "PACIA left {p:#x} unsigned");
    ensure!(back.0 == p, "AUTIA gave {:#x} back for {p:#x}", back.0);
    Ok(())
}

fn pmu_el2(cycles: bool) -> Outcome {
    hw::pmu_count_el2_only();
    for _ in 0..200 {
        arch::hvc(SMCCC_VERSION, [0; 3]);
    }
    let (c, e) = hw::pmu_stop();
    let n = if cycles { c } else { e };
    ensure!(n == 0, "200 HVCs counted {n} at EL2");
    Ok(())
}

/// The ID fields a guest must read as 0.
fn hidden_features() -> Outcome {
    let (pfr0, pfr1, dfr0) = (hw::pfr0(), hw::pfr1(), hw::dfr0());
    let fields = [
        (pfr0, "ID_AA64PFR0_EL1.RAS", 28),
        (pfr0, "ID_AA64PFR0_EL1.MPAM", 40),
        (pfr0, "ID_AA64PFR0_EL1.AMU", 44),
        (pfr1, "ID_AA64PFR1_EL1.MTE", 8),
        (pfr1, "ID_AA64PFR1_EL1.NMI", 36),
        (dfr0, "ID_AA64DFR0_EL1.TraceVer", 4),
        (dfr0, "ID_AA64DFR0_EL1.PMSVer", 32),
        (dfr0, "ID_AA64DFR0_EL1.TraceBuffer", 44),
        (dfr0, "ID_AA64DFR0_EL1.BRBE", 52),
    ];
    for (reg, name, lsb) in fields {
        ensure!(field(reg, lsb) == 0, "{name} is {}", field(reg, lsb));
    }
    Ok(())
}

pub fn run(ctx: &Ctx) {
    let (isar1, isar2) = (hw::isar1(), hw::isar2());
    let has_pauth = [4, 8].iter().any(|&l| field(isar1, l) != 0) || field(isar2, 12) != 0;
    if has_pauth {
        check(
            format_args!("pointer authentication: keys set, PACIA/AUTIA round trip, nothing traps"),
            pauth(),
        );
    } else {
        skip("pointer authentication", "the CPU has none");
    }

    let pmu = field(hw::dfr0(), 8);
    if (4..0xf).contains(&pmu) {
        check(
            format_args!("an event counter filtered to EL2 counts nothing across 200 HVCs"),
            pmu_el2(false),
        );
    } else {
        skip(
            "an event counter filtered to EL2 counts nothing",
            "no PMUv3p1",
        );
    }
    if (6..0xf).contains(&pmu) {
        check(
            format_args!("the cycle counter filtered to EL2 counts nothing across 200 HVCs"),
            pmu_el2(true),
        );
    } else {
        skip(
            "the cycle counter filtered to EL2 counts nothing",
            "no PMUv3p5: its EL2 filter is the guest's",
        );
    }

    check(
        format_args!("ACTLR_EL1 is UNDEFINED"),
        undefined(hw::read_actlr),
    );
    check(
        format_args!("the ID registers advertise no RAS, MPAM, AMU, MTE, NMI, SPE, trace or BRBE"),
        hidden_features(),
    );
    check(
        format_args!("ERRIDR_EL1 (RAS error records) is UNDEFINED"),
        undefined(hw::read_erridr),
    );
    // HCR_EL2.TIDCP also makes the IMPLEMENTATION DEFINED registers
    // UNDEFINED, but QEMU before 8.0 does not implement that trap, so no
    // check here could tell (docs/guest.md).

    let c = arch::hvc(PSCI_FEATURES, [SMCCC_VERSION as u64, 0, 0]);
    check(
        format_args!("{c} answers 0: SMCCC_VERSION is implemented (SMCCC 1.1 discovery)"),
        c.expect_w0(PSCI_SUCCESS),
    );
    // SMCCC_ARCH_FEATURES for the workarounds is asked of the firmware;
    // QEMU's built-in PSCI has no SMCCC 1.1, so the answer here is always
    // NOT_SUPPORTED, before the forwarding as after: nothing to check.

    let entry = arch::secondary_entry_addr() + 2;
    let c = arch::hvc(PSCI_CPU_ON, [ctx.me(), entry, 0]);
    check(
        format_args!("{c} (entry not 4-byte aligned) answers INVALID_ADDRESS"),
        c.expect_w0(PSCI_INVALID_ADDRESS),
    );

    // The device tree takes the top 2 MiB of RAM; the MiB below it is
    // beyond this image and is what `scripts/run --dirty-ram` fills.
    let end = ctx.info.ram_base + ctx.info.ram_size - (2 << 20);
    check(
        format_args!(
            "guest RAM below the device tree reads zero ([{:#x}, {end:#x}))",
            end - (1 << 20)
        ),
        match hw::first_nonzero(end - (1 << 20), 1 << 20) {
            None => Ok(()),
            Some((a, v)) => Err(msg!(
                "{v:#x} at {a:#x}: left by whoever used this RAM before"
            )),
        },
    );
}
