// SPDX-License-Identifier: Apache-2.0 OR MIT
//! What a CPU needs on every guest exit against Spectre-v2 (branch target
//! injection) and Spectre-BHB (branch history injection) before EL2 takes
//! an indirect branch: decided per CPU from its MIDR, its ID registers and
//! the firmware's SMCCC_ARCH_FEATURES answers, the way Linux's
//! `arch/arm64/kernel/proton-pack.c` decides for itself (its lists of
//! cores), in our own terms. The vectors apply the [`Mitigation`]
//! (`arch/vectors.S`); nothing here touches hardware.
//!
//! Spectre-v2: not affected with ID_AA64PFR0_EL1.CSV2 >= 1 or on a core
//! known to be safe; otherwise the firmware's SMCCC_ARCH_WORKAROUND_1 is
//! called on every exit if the firmware offers it, the firmware may say
//! the CPU is not affected, and without either the CPU is vulnerable and
//! nothing is applied (as Linux: clearing the history alone would not
//! stop branch target injection).
//!
//! Spectre-BHB, once v2 is handled: not affected with CSV2 >= 3 or on a
//! core known to be safe; otherwise, first that applies: the CPU clears
//! the history on exceptions itself (ID_AA64MMFR1_EL1.ECBHB); the CLRBHB
//! instruction (ID_AA64ISAR2_EL1.CLRBHB); the branch loop with the core's
//! count; the firmware's SMCCC_ARCH_WORKAROUND_3; else vulnerable. Where
//! v2 already calls ARCH_WORKAROUND_1 (Cortex-A57, A72), that call is the
//! BHB mitigation too, as Linux has it, upgraded to ARCH_WORKAROUND_3 (which
//! covers both) when the firmware offers it.

use core::fmt;

/// MIDR_EL1 implementer and part number, the fields the core lists match
/// (every variant and revision of a part).
const fn part(implementer: u64, part: u64) -> u64 {
    implementer << 24 | part << 4
}
const PART_MASK: u64 = 0xff << 24 | 0xfff << 4;

const ARM: u64 = 0x41;
const BRCM: u64 = 0x42;
const HISI: u64 = 0x48;
const QCOM: u64 = 0x51;
const AMPERE: u64 = 0xc0;

/// One core: its part, its name, whether it is safe from Spectre-v2 and
/// from Spectre-BHB, and the branch loop count that clears its history
/// (0: the loop is not its mitigation).
struct Core {
    part: u64,
    name: &'static str,
    v2_safe: bool,
    bhb_safe: bool,
    loop_count: u8,
}

const fn core(i: u64, p: u64, name: &'static str, v2_safe: bool, bhb_safe: bool, k: u8) -> Core {
    Core {
        part: part(i, p),
        name,
        v2_safe,
        bhb_safe,
        loop_count: k,
    }
}

/// The cores Linux (proton-pack.c, 2025) lists for Spectre-v2 and -BHB.
const CORES: &[Core] = &[
    core(ARM, 0xd04, "Cortex-A35", true, true, 0),
    core(ARM, 0xd03, "Cortex-A53", true, true, 0),
    core(ARM, 0xd05, "Cortex-A55", true, true, 0),
    core(ARM, 0xd46, "Cortex-A510", false, true, 0),
    core(ARM, 0xd80, "Cortex-A520", false, true, 0),
    core(BRCM, 0x100, "Brahma-B53", true, true, 0),
    core(HISI, 0xd01, "TSV110", true, false, 0),
    core(QCOM, 0x801, "Kryo 2xx Silver", true, true, 0),
    core(QCOM, 0x803, "Kryo 3xx Silver", true, true, 0),
    core(QCOM, 0x805, "Kryo 4xx Silver", true, true, 0),
    core(ARM, 0xd4e, "Cortex-X3", false, false, 132),
    core(ARM, 0xd4f, "Neoverse-V2", false, false, 132),
    core(ARM, 0xd4d, "Cortex-A715", false, false, 38),
    core(ARM, 0xd81, "Cortex-A720", false, false, 38),
    core(ARM, 0xd41, "Cortex-A78", false, false, 32),
    core(ARM, 0xd42, "Cortex-A78AE", false, false, 32),
    core(ARM, 0xd4b, "Cortex-A78C", false, false, 32),
    core(ARM, 0xd44, "Cortex-X1", false, false, 32),
    core(ARM, 0xd47, "Cortex-A710", false, false, 32),
    core(ARM, 0xd48, "Cortex-X2", false, false, 32),
    core(ARM, 0xd49, "Neoverse-N2", false, false, 32),
    core(ARM, 0xd40, "Neoverse-V1", false, false, 32),
    core(ARM, 0xd0b, "Cortex-A76", false, false, 24),
    core(ARM, 0xd0e, "Cortex-A76AE", false, false, 24),
    core(ARM, 0xd0d, "Cortex-A77", false, false, 24),
    core(ARM, 0xd0c, "Neoverse-N1", false, false, 24),
    core(QCOM, 0x804, "Kryo 4xx Gold", false, false, 24),
    core(AMPERE, 0xac3, "AmpereOne", false, false, 11),
    core(ARM, 0xd08, "Cortex-A72", false, false, 8),
    core(ARM, 0xd07, "Cortex-A57", false, false, 8),
    core(ARM, 0xd09, "Cortex-A73", false, false, 0),
    core(ARM, 0xd0a, "Cortex-A75", false, false, 0),
];

fn lookup(midr: u64) -> Option<&'static Core> {
    CORES.iter().find(|c| c.part == midr & PART_MASK)
}

/// SMCCC function IDs of the two workarounds.
pub const ARCH_WORKAROUND_1: u32 = smccc::arch::SMCCC_ARCH_WORKAROUND_1;
pub const ARCH_WORKAROUND_3: u32 = smccc::arch::SMCCC_ARCH_WORKAROUND_3;

/// The firmware's SMCCC_ARCH_FEATURES answer for one workaround, asked on
/// the CPU concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Firmware {
    /// 0: call it and this CPU is mitigated.
    Mitigates,
    /// 1: this CPU is not affected.
    Unaffected,
    /// NOT_SUPPORTED, or anything else.
    NotSupported,
    /// Not asked: no firmware with SMCCC 1.1 that EL2 can call (by SMC).
    NoSmccc,
}

impl Firmware {
    /// From SMCCC_ARCH_FEATURES's return value (x0 as a 32-bit status).
    pub fn from_status(status: i32) -> Firmware {
        match status {
            0 => Firmware::Mitigates,
            1 => Firmware::Unaffected,
            _ => Firmware::NotSupported,
        }
    }
}

/// What decides: this CPU's registers and its firmware's answers.
#[derive(Clone, Copy, Debug)]
pub struct Cpu {
    pub midr: u64,
    pub pfr0: u64,
    pub mmfr1: u64,
    pub isar2: u64,
    /// SMCCC_ARCH_FEATURES(ARCH_WORKAROUND_1) and (ARCH_WORKAROUND_3).
    pub wa1: Firmware,
    pub wa3: Firmware,
}

impl Cpu {
    fn csv2(&self) -> u64 {
        (self.pfr0 >> 56) & 0xf
    }
    fn ecbhb(&self) -> bool {
        (self.mmfr1 >> 60) & 0xf != 0
    }
    fn clrbhb(&self) -> bool {
        (self.isar2 >> 28) & 0xf != 0
    }
}

/// What the exit vectors do before EL2's first indirect branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mitigation {
    None,
    /// The branch loop, this many times, then a speculation barrier.
    Loop(u8),
    /// CLRBHB, then ISB.
    ClearBhb,
    /// SMCCC_ARCH_WORKAROUND_1 or _3 (the function ID) by SMC.
    Firmware(u32),
}

/// Why: what a CPU needs and what it gets, for the boot line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Not affected by either: the field or core that says so.
    NotAffected(&'static str),
    /// The CPU clears the history on exceptions (ECBHB); v2 by CSV2 or
    /// the core.
    Ecbhb,
    /// Mitigated by what [`Decision::mitigation`] names.
    Mitigated,
    /// v2 mitigated (or not affected) but nothing clears the history.
    BhbVulnerable,
    /// Branch target injection is possible and the firmware offers no
    /// ARCH_WORKAROUND_1 (its answer): nothing is applied.
    V2Vulnerable(Firmware),
}

/// One CPU's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub mitigation: Mitigation,
    pub reason: Reason,
    /// The core's name, or its MIDR if it is not in the lists.
    pub core: CoreName,
}

/// A core by name, or by MIDR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoreName {
    Known(&'static str),
    Midr(u64),
}

impl fmt::Display for CoreName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreName::Known(n) => f.write_str(n),
            CoreName::Midr(m) => write!(f, "MIDR {m:#x}"),
        }
    }
}

/// Decide for `cpu`.
pub fn decide(cpu: &Cpu) -> Decision {
    let core = lookup(cpu.midr);
    let name = core.map_or(CoreName::Midr(cpu.midr), |c| CoreName::Known(c.name));
    let d = |mitigation, reason| Decision {
        mitigation,
        reason,
        core: name,
    };
    let v2_needs_wa1 = cpu.csv2() == 0 && !core.is_some_and(|c| c.v2_safe);
    if v2_needs_wa1 {
        return match (cpu.wa1, cpu.wa3) {
            (Firmware::Mitigates, Firmware::Mitigates) => {
                d(Mitigation::Firmware(ARCH_WORKAROUND_3), Reason::Mitigated)
            }
            (Firmware::Mitigates, _) if core.is_some_and(|c| c.loop_count != 0) => {
                d(Mitigation::Firmware(ARCH_WORKAROUND_1), Reason::Mitigated)
            }
            (Firmware::Mitigates, _) => d(
                Mitigation::Firmware(ARCH_WORKAROUND_1),
                Reason::BhbVulnerable,
            ),
            (Firmware::Unaffected, _) => bhb(cpu, core, d),
            (fw, _) => d(Mitigation::None, Reason::V2Vulnerable(fw)),
        };
    }
    bhb(cpu, core, d)
}

/// Spectre-BHB, for a CPU where v2 needs no firmware call.
fn bhb(cpu: &Cpu, core: Option<&Core>, d: impl Fn(Mitigation, Reason) -> Decision) -> Decision {
    if cpu.csv2() >= 3 {
        return d(Mitigation::None, Reason::NotAffected("CSV2_3"));
    }
    if let Some(c) = core.filter(|c| c.bhb_safe) {
        return d(Mitigation::None, Reason::NotAffected(c.name));
    }
    if cpu.ecbhb() {
        return d(Mitigation::None, Reason::Ecbhb);
    }
    if cpu.clrbhb() {
        return d(Mitigation::ClearBhb, Reason::Mitigated);
    }
    match core.map_or(0, |c| c.loop_count) {
        0 if cpu.wa3 == Firmware::Mitigates => {
            d(Mitigation::Firmware(ARCH_WORKAROUND_3), Reason::Mitigated)
        }
        0 => d(Mitigation::None, Reason::BhbVulnerable),
        k => d(Mitigation::Loop(k), Reason::Mitigated),
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = match self.mitigation {
            Mitigation::None => "nothing",
            Mitigation::Loop(_) => "branch history loop",
            Mitigation::ClearBhb => "CLRBHB",
            Mitigation::Firmware(ARCH_WORKAROUND_3) => "SMCCC_ARCH_WORKAROUND_3",
            Mitigation::Firmware(_) => "SMCCC_ARCH_WORKAROUND_1",
        };
        f.write_str(m)?;
        if let Mitigation::Loop(k) = self.mitigation {
            write!(f, " x{k}")?;
        }
        let core = self.core;
        match self.reason {
            Reason::NotAffected("CSV2_3") => write!(f, " ({core}: not affected, CSV2_3)"),
            Reason::NotAffected(_) => write!(f, " ({core}: not affected)"),
            Reason::Ecbhb => write!(f, " ({core}: the CPU clears the history, ECBHB)"),
            Reason::Mitigated => write!(f, " ({core})"),
            Reason::BhbVulnerable => write!(
                f,
                " ({core}: VULNERABLE to branch history injection: no CLRBHB, loop count or firmware ARCH_WORKAROUND_3)"
            ),
            Reason::V2Vulnerable(Firmware::NoSmccc) => write!(
                f,
                " ({core}: VULNERABLE: needs the firmware's SMCCC_ARCH_WORKAROUND_1, and there is no SMCCC 1.1 firmware to call)"
            ),
            Reason::V2Vulnerable(_) => write!(
                f,
                " ({core}: VULNERABLE: needs the firmware's SMCCC_ARCH_WORKAROUND_1, which it does not offer)"
            ),
        }
    }
}

/// The boot line's text: each distinct decision once, after the CPUs
/// that made it (`cpus 0-3: ...; cpu 4: ...`). `decisions[i]` is logical
/// CPU i's, `None` for one that did not come up.
pub struct Summary<'a>(pub &'a [Option<Decision>]);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all = self.0;
        let mut first = true;
        for (i, d) in all.iter().enumerate() {
            let Some(d) = d else { continue };
            if all[..i].contains(&Some(*d)) {
                continue; // printed with the first CPU that made it
            }
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            let cpus = || (0..all.len()).filter(|&c| all[c] == Some(*d));
            f.write_str(if cpus().count() == 1 { "cpu " } else { "cpus " })?;
            // Runs of consecutive CPUs as `a-b`.
            let mut run: Option<(usize, usize)> = None;
            let mut sep = "";
            for c in cpus().chain(core::iter::once(usize::MAX)) {
                match run {
                    Some((a, b)) if c == b + 1 => run = Some((a, b + 1)),
                    Some((a, b)) => {
                        if a == b {
                            write!(f, "{sep}{a}")?;
                        } else {
                            write!(f, "{sep}{a}-{b}")?;
                        }
                        sep = ",";
                        run = Some((c, c));
                    }
                    None => run = Some((c, c)),
                }
            }
            write!(f, ": {d}")?;
        }
        if first {
            f.write_str("no CPU")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Firmware::{Mitigates, NoSmccc as NoFw, NotSupported, Unaffected};

    const CSV2_1: u64 = 1 << 56;
    const CSV2_2: u64 = 2 << 56;
    const CSV2_3: u64 = 3 << 56;
    const ECBHB: u64 = 1 << 60;
    const CLRBHB: u64 = 1 << 28;

    // MIDR_EL1 values as the cores report them (variant, revision and all).
    const A57_R1P3: u64 = 0x411f_d073;
    const A57_R0P0: u64 = 0x410f_d070;
    const A72_R0P3: u64 = 0x410f_d083;
    const A55_R2P0: u64 = 0x412f_d050;
    const A73_R0P2: u64 = 0x410f_d092;
    const A76_R4P1: u64 = 0x414f_d0b1;
    const N1_R3P1: u64 = 0x413f_d0c1;
    const X3_R1P1: u64 = 0x411f_d4e1;
    const AMPERE1: u64 = 0xc00f_ac30;
    const TSV110: u64 = 0x481f_d010;
    /// QEMU's `-cpu max`: implementer 0, in no list.
    const QEMU_MAX: u64 = 0x000f_0510;

    fn cpu(midr: u64, pfr0: u64, wa1: Firmware, wa3: Firmware) -> Cpu {
        Cpu {
            midr,
            pfr0,
            mmfr1: 0,
            isar2: 0,
            wa1,
            wa3,
        }
    }

    fn mitigation(c: Cpu) -> (Mitigation, Reason) {
        let d = decide(&c);
        (d.mitigation, d.reason)
    }

    #[test]
    fn a57_and_a72_without_firmware_are_vulnerable_and_get_nothing() {
        for midr in [A57_R1P3, A57_R0P0, A72_R0P3] {
            let d = decide(&cpu(midr, 0, NoFw, NoFw));
            assert_eq!(d.mitigation, Mitigation::None, "{midr:#x}");
            assert_eq!(d.reason, Reason::V2Vulnerable(NoFw), "{midr:#x}");
        }
        assert_eq!(
            decide(&cpu(A57_R1P3, 0, NoFw, NoFw)).to_string(),
            "nothing (Cortex-A57: VULNERABLE: needs the firmware's SMCCC_ARCH_WORKAROUND_1, and there is no SMCCC 1.1 firmware to call)"
        );
        assert_eq!(
            decide(&cpu(A72_R0P3, 0, NotSupported, NotSupported)).to_string(),
            "nothing (Cortex-A72: VULNERABLE: needs the firmware's SMCCC_ARCH_WORKAROUND_1, which it does not offer)"
        );
    }

    #[test]
    fn a57_and_a72_call_the_firmware_which_also_covers_the_history() {
        for midr in [A57_R1P3, A72_R0P3] {
            assert_eq!(
                mitigation(cpu(midr, 0, Mitigates, NoFw)),
                (Mitigation::Firmware(ARCH_WORKAROUND_1), Reason::Mitigated)
            );
            assert_eq!(
                mitigation(cpu(midr, 0, Mitigates, Mitigates)),
                (Mitigation::Firmware(ARCH_WORKAROUND_3), Reason::Mitigated)
            );
            // The firmware says v2 does not affect this CPU: the history
            // still needs the loop.
            assert_eq!(
                mitigation(cpu(midr, 0, Unaffected, NoFw)),
                (Mitigation::Loop(8), Reason::Mitigated)
            );
        }
    }

    #[test]
    fn a73_needs_workaround_3_for_the_history() {
        assert_eq!(
            mitigation(cpu(A73_R0P2, 0, Mitigates, Mitigates)),
            (Mitigation::Firmware(ARCH_WORKAROUND_3), Reason::Mitigated)
        );
        assert_eq!(
            mitigation(cpu(A73_R0P2, 0, Mitigates, NoFw)),
            (
                Mitigation::Firmware(ARCH_WORKAROUND_1),
                Reason::BhbVulnerable
            )
        );
        assert_eq!(
            mitigation(cpu(A73_R0P2, 0, NotSupported, Mitigates)),
            (Mitigation::None, Reason::V2Vulnerable(NotSupported))
        );
    }

    #[test]
    fn safe_cores_need_nothing_whatever_the_firmware_says() {
        for fw in [Mitigates, Unaffected, NotSupported, NoFw] {
            let d = decide(&cpu(A55_R2P0, 0, fw, fw));
            assert_eq!(d.mitigation, Mitigation::None);
            assert_eq!(d.reason, Reason::NotAffected("Cortex-A55"));
        }
        assert_eq!(
            decide(&cpu(A55_R2P0, 0, NoFw, NoFw)).to_string(),
            "nothing (Cortex-A55: not affected)"
        );
    }

    #[test]
    fn csv2_3_needs_nothing_and_so_does_qemu_max() {
        let d = decide(&cpu(QEMU_MAX, CSV2_3, NoFw, NoFw));
        assert_eq!(d.mitigation, Mitigation::None);
        assert_eq!(
            d.to_string(),
            "nothing (MIDR 0xf0510: not affected, CSV2_3)"
        );
        // Even a core of the loop lists, once it reports CSV2_3.
        assert_eq!(
            mitigation(cpu(X3_R1P1, CSV2_3, NoFw, NoFw)).0,
            Mitigation::None
        );
    }

    #[test]
    fn loop_cores_get_their_own_count() {
        for (midr, k) in [(A76_R4P1, 24), (N1_R3P1, 24), (X3_R1P1, 132), (AMPERE1, 11)] {
            assert_eq!(
                mitigation(cpu(midr, CSV2_1, NoFw, NoFw)),
                (Mitigation::Loop(k), Reason::Mitigated),
                "{midr:#x}"
            );
        }
        assert_eq!(
            decide(&cpu(A76_R4P1, CSV2_1, NoFw, NoFw)).to_string(),
            "branch history loop x24 (Cortex-A76)"
        );
        // Every listed core with a count gets exactly it, never 0.
        for c in CORES.iter().filter(|c| c.loop_count != 0) {
            let d = decide(&cpu(c.part, CSV2_2, NoFw, NoFw));
            assert_eq!(d.mitigation, Mitigation::Loop(c.loop_count), "{}", c.name);
        }
    }

    #[test]
    fn the_cpu_s_own_means_come_before_the_loop() {
        let mut n1 = cpu(N1_R3P1, CSV2_1, NoFw, Mitigates);
        n1.isar2 = CLRBHB;
        assert_eq!(mitigation(n1), (Mitigation::ClearBhb, Reason::Mitigated));
        n1.mmfr1 = ECBHB;
        assert_eq!(mitigation(n1), (Mitigation::None, Reason::Ecbhb));
        assert_eq!(
            decide(&n1).to_string(),
            "nothing (Neoverse-N1: the CPU clears the history, ECBHB)"
        );
    }

    #[test]
    fn unknown_cores_are_assumed_affected() {
        let unknown = 0x6100_0220; // another implementer's part
        assert_eq!(
            mitigation(cpu(unknown, 0, NoFw, NoFw)),
            (Mitigation::None, Reason::V2Vulnerable(NoFw))
        );
        assert_eq!(
            mitigation(cpu(unknown, CSV2_1, NoFw, NoFw)),
            (Mitigation::None, Reason::BhbVulnerable)
        );
        assert_eq!(
            mitigation(cpu(unknown, CSV2_1, NoFw, Mitigates)),
            (Mitigation::Firmware(ARCH_WORKAROUND_3), Reason::Mitigated)
        );
        assert_eq!(
            mitigation(cpu(unknown, 0, Mitigates, NoFw)),
            (
                Mitigation::Firmware(ARCH_WORKAROUND_1),
                Reason::BhbVulnerable
            )
        );
        // TSV110 is safe from v2 but not from BHB.
        assert_eq!(
            mitigation(cpu(TSV110, 0, NoFw, NoFw)),
            (Mitigation::None, Reason::BhbVulnerable)
        );
    }

    #[test]
    fn firmware_status_words() {
        assert_eq!(Firmware::from_status(0), Mitigates);
        assert_eq!(Firmware::from_status(1), Unaffected);
        for s in [-1, -2, -3, 2, i32::MIN] {
            assert_eq!(Firmware::from_status(s), NotSupported, "{s}");
        }
    }

    #[test]
    fn the_summary_groups_cpus_by_decision() {
        let little = decide(&cpu(A55_R2P0, 0, NoFw, NoFw));
        let big = decide(&cpu(A76_R4P1, CSV2_1, NoFw, NoFw));
        let s = Summary(&[
            Some(little),
            Some(little),
            None,
            Some(little),
            Some(big),
            Some(big),
        ]);
        assert_eq!(
            s.to_string(),
            "cpus 0-1,3: nothing (Cortex-A55: not affected); cpus 4-5: branch history loop x24 (Cortex-A76)"
        );
        assert_eq!(
            Summary(&[Some(big)]).to_string(),
            "cpu 0: branch history loop x24 (Cortex-A76)"
        );
        assert_eq!(Summary(&[None]).to_string(), "no CPU");
    }
}
