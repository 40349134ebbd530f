// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The hypervisor boots at EL2 on QEMU virt with each GIC version, brings up
//! every CPU, passes its GIC/timer self-test and powers the board off; and a
//! board it cannot drive, or a guest bundle over a limit, gets a clear
//! error, not a hang.

use std::process::Command;
use std::time::Duration;

use guest_loader::Bundle;
use system_tests::{boot, root, Run};

const LIMIT: Duration = Duration::from_secs(120);

fn check_boot(gic: &str, smp: usize) -> Run {
    let n = smp.to_string();
    // -icount: with many CPUs on a 2-core host the SGI round trips'
    // timeouts would count host time.
    let icount = if smp > 8 { "--icount" } else { "" };
    let args = ["--guest", "none", "--gic", gic, "--smp", &n, icount];
    let run = boot(&args[..args.len() - usize::from(icount.is_empty())], LIMIT);
    let ctx = || format!("--gic {gic} --smp {smp}:\n{}", run.output);
    assert_eq!(
        run.status,
        Some(0),
        "QEMU did not exit 0 within {LIMIT:?}: {}",
        ctx()
    );
    let want_gic = format!("gic: v{}", &gic[1..]);
    assert!(run.has(&want_gic), "no '{want_gic}' line: {}", ctx());
    for cpu in 0..smp {
        let tag = format!("[cpu{cpu}] cpu{cpu} up at EL2");
        assert_eq!(
            run.lines_with(&tag).len(),
            1,
            "'{tag}' not printed once: {}",
            ctx()
        );
    }
    let pairs = smp * (smp - 1);
    let sgi = format!("SGI matrix: {pairs}/{pairs} round trips between {smp} CPUs");
    assert!(run.has(&sgi), "no '{sgi}': {}", ctx());
    let timer = format!("EL2 timer: {smp}/{smp} CPUs");
    assert!(run.has(&timer), "no '{timer}': {}", ctx());
    assert_eq!(
        run.lines_with("EL2 timer interrupt after").len(),
        smp,
        "{}",
        ctx()
    );
    assert!(run.has("self-test PASSED"), "{}", ctx());
    assert!(
        run.has(&format!(
            "EL2 map: text read-only, read-only data read-only, data writable, WXN on, {smp} stack guard pages"
        )),
        "{}",
        ctx()
    );
    assert!(!run.has("FATAL"), "{}", ctx());
    assert!(run.has("powering off"), "{}", ctx());
    run
}

#[test]
fn gicv3_four_cpus() {
    check_boot("v3", 4);
}

/// More CPUs than the boot heap could once hold stacks for (it panicked
/// after cpu31): stacks are sized from the CPU count, each with a guard.
#[test]
fn gicv3_forty_cpus() {
    check_boot("v3", 40);
}

#[test]
fn gicv3_one_cpu() {
    check_boot("v3", 1);
}

#[test]
fn gicv2_four_cpus() {
    check_boot("v2", 4);
}

#[test]
fn gicv2_one_cpu() {
    check_boot("v2", 1);
}

/// QEMU's own device tree for the v3 board, minus its GIC node.
fn dtb_without_gic() -> std::path::PathBuf {
    let dtb = system_tests::dump_virt_dtb("virt-no-gic.dtb", 3, 2);
    let node = Command::new("fdtget")
        .args(["-l"])
        .arg(&dtb)
        .arg("/")
        .output()
        .expect("fdtget (Debian package device-tree-compiler)");
    let names = String::from_utf8(node.stdout).unwrap();
    let intc = names
        .lines()
        .find(|n| n.starts_with("intc@"))
        .expect("QEMU DT has an intc@ node");
    let st = Command::new("fdtput")
        .args(["-r"])
        .arg(&dtb)
        .arg(format!("/{intc}"))
        .status()
        .unwrap();
    assert!(st.success());
    dtb
}

#[test]
fn no_gic_gives_a_clear_error() {
    let dtb = dtb_without_gic();
    let run = boot(
        &[
            "--guest",
            "none",
            "--dtb",
            dtb.to_str().unwrap(),
            "--smp",
            "2",
        ],
        LIMIT,
    );
    assert_eq!(
        run.status,
        Some(0),
        "QEMU did not power off:\n{}",
        run.output
    );
    let err = run.lines_with("cannot drive this board");
    assert_eq!(err.len(), 1, "{}", run.output);
    assert!(err[0].contains("interrupt controller"), "{}", run.output);
}

/// A bundle with bootargs far over the limit is refused in one line and
/// the board powers off. 1 MiB is what made the hypervisor panic in the
/// allocator (the guest's device tree outgrew the 2 MiB heap); 100 KiB
/// used to be handed to the guest.
#[test]
fn oversized_bootargs_give_a_clear_error() {
    let dir = root().join("target/system-tests");
    std::fs::create_dir_all(&dir).unwrap();
    // A kernel that is only an arm64 Image header: it is never entered.
    let mut kernel = vec![0u8; 64];
    kernel[56..60].copy_from_slice(b"ARM\x64");
    for len in [100 << 10, 1 << 20] {
        let bundle = dir.join(format!("bootargs-{len}.guest"));
        std::fs::write(&bundle, Bundle::write(&kernel, None, &"x".repeat(len))).unwrap();
        let run = boot(
            &["--bundle", bundle.to_str().unwrap(), "--smp", "2"],
            Duration::from_secs(60),
        );
        let ctx = || format!("{len} bytes of bootargs:\n{}", run.output);
        assert_eq!(run.status, Some(0), "QEMU did not power off: {}", ctx());
        let err = run.lines_with("cannot start the guest");
        assert_eq!(err.len(), 1, "{}", ctx());
        let want = format!(
            "cannot start the guest: guest bundle: the bootargs are {len} bytes, more than the 2047 a guest can take: shorten them (scripts/mkguest --append)"
        );
        assert!(err[0].ends_with(&want), "{}", ctx());
        assert!(!run.has("PANIC") && !run.has("FATAL"), "{}", ctx());
        assert!(run.has("powering off"), "{}", ctx());
        assert!(!run.has("] guest: "), "{}", ctx());
    }
}

/// A bundle's device list is checked against the board before anything is
/// given: a device that is the hypervisor's console, that no node is, or
/// that is not a device the GIC serves is refused in one line naming it,
/// and the board powers off.
#[test]
fn a_device_list_the_board_cannot_honour_is_refused_by_name() {
    let dir = root().join("target/system-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let mut kernel = vec![0u8; 64];
    kernel[56..60].copy_from_slice(b"ARM\x64");
    for (device, why) in [
        (
            "serial0",
            "it is the hypervisor's console and is never given",
        ),
        (
            "/pl011@9000000",
            "it is the hypervisor's console and is never given",
        ),
        (
            "/nope@0",
            "no node has this path or alias in the host device tree",
        ),
        ("/intc@8000000", "not a device the hypervisor can give"),
    ] {
        let bundle = dir.join("devices.guest");
        let b = Bundle::write_with(&kernel, None, "", Some(&[device]));
        std::fs::write(&bundle, b).unwrap();
        let run = boot(
            &["--bundle", bundle.to_str().unwrap(), "--smp", "2"],
            Duration::from_secs(60),
        );
        let ctx = || format!("--device {device}:\n{}", run.output);
        assert_eq!(run.status, Some(0), "QEMU did not power off: {}", ctx());
        let err = run.lines_with("cannot start the guest");
        assert_eq!(err.len(), 1, "{}", ctx());
        let want = format!("cannot start the guest: guest bundle: device {device}: {why}");
        assert!(err[0].contains(&want), "{}", ctx());
        assert!(!run.has("PANIC") && !run.has("FATAL"), "{}", ctx());
        assert!(!run.has("] guest: "), "{}", ctx());
    }
}

/// The Spectre-v2/BHB mitigation each QEMU CPU model gets on guest exit,
/// in one boot line. QEMU's built-in PSCI answers PSCI_FEATURES
/// (SMCCC_VERSION) with NOT_SUPPORTED, so the hypervisor finds no SMCCC 1.1
/// firmware and never asks for a workaround: the Cortex-A57 and A72, which
/// need the firmware's ARCH_WORKAROUND_1, are reported vulnerable and get
/// nothing; `max` reports CSV2_3; the Cortex-A76 needs the branch loop.
#[test]
fn spectre_mitigation_on_guest_exit_per_cpu_model() {
    let vulnerable = "VULNERABLE: needs the firmware's SMCCC_ARCH_WORKAROUND_1, and there is no SMCCC 1.1 firmware to call)";
    for (cpu, gic, want) in [
        ("max", "v3", ": not affected, CSV2_3)".to_string()),
        (
            "cortex-a57",
            "v2",
            format!("nothing (Cortex-A57: {vulnerable}"),
        ),
        (
            "cortex-a72",
            "v2",
            format!("nothing (Cortex-A72: {vulnerable}"),
        ),
        (
            "cortex-a55",
            "v3",
            "nothing (Cortex-A55: not affected)".to_string(),
        ),
        (
            "cortex-a76",
            "v3",
            "branch history loop x24 (Cortex-A76)".to_string(),
        ),
    ] {
        let args = ["--guest", "none", "--gic", gic, "--smp", "2", "--cpu", cpu];
        let run = boot(&args, LIMIT);
        let ctx = || format!("--cpu {cpu}:\n{}", run.output);
        assert_eq!(run.status, Some(0), "{}", ctx());
        let lines = run.lines_with("spectre on guest exit: ");
        assert_eq!(lines.len(), 1, "{}", ctx());
        let line = lines[0].split_once("spectre on guest exit: ").unwrap().1;
        assert!(line.starts_with("cpus 0-1: "), "{}", ctx());
        assert!(line.ends_with(&want), "want '...{want}': {}", ctx());
        if cpu == "max" {
            assert!(line.starts_with("cpus 0-1: nothing ("), "{}", ctx());
        }
    }
}
