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
use crate::{arch, exception, println};

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

/// HVCs made with the counters filtered to EL2 only.
const EL2_HVCS: u64 = 2000;
/// "Almost nothing": fewer than one count per 100 HVCs (0 on QEMU; a real
/// CPU may count a few at the exception boundaries).
const ALMOST_NOTHING: u64 = EL2_HVCS / 100;

fn pmu_el2(cycles: bool) -> Outcome {
    hw::pmu_count_el2_only();
    for _ in 0..EL2_HVCS {
        arch::hvc(SMCCC_VERSION, [0; 3]);
    }
    let (c, e) = hw::pmu_stop();
    let n = if cycles { c } else { e };
    let what = if cycles {
        "cycle counter"
    } else {
        "event counter 0"
    };
    println!("# {what} filtered to EL2: {n} counted across {EL2_HVCS} HVCs");
    ensure!(
        n <= ALMOST_NOTHING,
        "{EL2_HVCS} HVCs counted {n} at EL2: the guest times the hypervisor"
    );
    Ok(())
}

/// Event type bits: P (not EL1), U (not EL0), NSH (EL2), M (EL3 when
/// equal to P).
const P: u64 = 1 << 31;
const U: u64 = 1 << 30;
const NSH: u64 = 1 << 27;
const M: u64 = 1 << 26;
const INST_RETIRED: u64 = 0x08;

/// The cycle counter counts the guest's own EL1 cycles, and its filter
/// reads back as written, but for M: on a CPU with EL3 (the Raspberry
/// Pi 4's) the hypervisor sets M to differ from P, so that EL3 is never
/// counted; without EL3, M is RES0. Never NSH: the guest has no EL2.
fn pmu_cycles_at_el1() -> Outcome {
    let (c, f) = hw::pmu_cycles(U, 10_000);
    ensure!(
        c > 0,
        "PMCCNTR_EL0 counted nothing across 10000 loops at EL1"
    );
    ensure!(f & !M == U, "PMCCFILTR_EL0 reads {f:#x}, written {U:#x}");
    Ok(())
}

/// An event counter configured by PMEVTYPER0_EL0 counts its event at EL1
/// and reads its type back (the event number and P/U as written; NSH,
/// written too, may read as 0: the guest has no EL2 to count).
fn pmu_event_counter() -> Outcome {
    let ty = INST_RETIRED | U | NSH;
    let (c, t, x) = hw::pmu_event0(ty, 1000);
    ensure!(
        c >= 1000,
        "INST_RETIRED counted {c} across 1000 loops at EL1"
    );
    let mask = 0xffff | P | U;
    ensure!(
        t & mask == ty & mask && x & mask == ty & mask,
        "PMEVTYPER0_EL0 reads {t:#x}, PMXEVTYPER_EL0 {x:#x}, written {ty:#x}"
    );
    Ok(())
}

/// kvm-unit-tests' sw_incr: 100 PMSWINC_EL0 writes count nothing while
/// PMCR_EL0.E is clear, 100 on each counter once set, and counter 0 from
/// 0xffff_fff0 overflows with its flag set: it wraps to 84 on a PMU before
/// PMUv3p5 (`pmuver` < 6), whose event counters are 32 bits; from PMUv3p5
/// they are 64 bits (overflowing at 32 with PMCR_EL0.LP clear).
fn pmu_sw_incr(pmuver: u64) -> Outcome {
    let off = hw::pmu_sw_incr(false, 0, 100);
    ensure!(off == (0, 0, 0), "with PMCR_EL0.E = 0: counters {off:?}");
    let on = hw::pmu_sw_incr(true, 0, 100);
    ensure!(
        on == (100, 100, 0),
        "counters and overflows {on:?}, want (100, 100, 0)"
    );
    let wrap = hw::pmu_sw_incr(true, 0xffff_fff0, 100);
    let want = if pmuver < 6 { 84 } else { 0xffff_fff0 + 100 };
    ensure!(
        wrap == (want, 100, 1),
        "from 0xfffffff0: {wrap:?}, want ({want}, 100, 1)"
    );
    Ok(())
}

/// The counters the PMU has (PMCR_EL0.N) read; the first one it does not
/// have is UNDEFINED, as its type is.
fn pmu_missing_counter() -> Outcome {
    let n = hw::pmu_counters();
    if n > 0 {
        let (_, caught) = exception::catching(|| hw::read_pmevcntr(n - 1));
        ensure!(
            caught.is_none(),
            "PMEVCNTR{}_EL0 (N = {n}) trapped: ESR {:#x}",
            n - 1,
            caught.unwrap().0
        );
    }
    if n < 31 {
        undefined(|| hw::read_pmevcntr(n))
            .map_err(|e| msg!("PMEVCNTR{n}_EL0 (N = {n}): {}", e.as_str()))?;
        undefined(|| hw::read_pmevtyper(n))
            .map_err(|e| msg!("PMEVTYPER{n}_EL0 (N = {n}): {}", e.as_str()))?;
    }
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
    if (1..0xf).contains(&pmu) {
        check(
            format_args!(
                "an event counter filtered to EL2 counts (almost) nothing across 2000 HVCs"
            ),
            pmu_el2(false),
        );
        check(
            format_args!(
                "the cycle counter filtered to EL2 counts (almost) nothing across 2000 HVCs"
            ),
            pmu_el2(true),
        );
        check(
            format_args!("the cycle counter counts at EL1 and its filter reads back"),
            pmu_cycles_at_el1(),
        );
        if hw::pmceid0() & (1 << INST_RETIRED) != 0 {
            check(
                format_args!("an event counter set by PMEVTYPER0_EL0 counts INST_RETIRED at EL1 and reads its type back"),
                pmu_event_counter(),
            );
        } else {
            skip(
                "an event counter counts INST_RETIRED",
                "PMCEID0_EL0 has no INST_RETIRED",
            );
        }
        check(
            format_args!("PMSWINC_EL0 increments SW_INCR counters only when enabled, and overflows at 32 bits"),
            pmu_sw_incr(pmu),
        );
        check(
            format_args!("PMEVCNTR<n>_EL0 below PMCR_EL0.N reads, at N it and PMEVTYPER<N>_EL0 are UNDEFINED"),
            pmu_missing_counter(),
        );
    } else {
        skip("the PMU checks", "the CPU has no architected PMU");
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
