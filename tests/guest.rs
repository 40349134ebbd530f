// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The conformance guest (guests/selftest) checks the rVIC/rVID ABI end to
//! end on real traps: on GICv2 and GICv3, with 1 and 4 vCPUs, with both
//! ways of raising the virtual IRQ line, on ABI 0.3 (the default) and 0.4.

use std::time::Duration;

use system_tests::boot;

const LIMIT: Duration = Duration::from_secs(300);

fn conformance(gic: &str, smp: usize, delivery: &str) {
    conformance_on(None, gic, smp, delivery);
}

/// [`conformance`] on QEMU CPU model `cpu` (`None`: scripts/run's default,
/// `max` on GICv3 and `cortex-a57` on GICv2).
fn conformance_on(cpu: Option<&str>, gic: &str, smp: usize, delivery: &str) -> system_tests::Run {
    conformance_abi(cpu, gic, smp, delivery, "0.3")
}

/// The ACKNOWLEDGE_UNMASKED checks of each ABI version (`--abi`): under
/// 0.3 that its ID is NOT_SUPPORTED (the ABI row, and with an INTID
/// deliverable); under 0.4 the call's five and the random model's, which
/// then makes it too.
fn unmasked_checks(abi: &str) -> usize {
    if abi == "0.4" {
        6
    } else {
        2
    }
}

/// [`conformance_on`] with the hypervisor offering rVIC ABI `abi`.
fn conformance_abi(
    cpu: Option<&str>,
    gic: &str,
    smp: usize,
    delivery: &str,
    abi: &str,
) -> system_tests::Run {
    let n = smp.to_string();
    // -icount: the guest's timeouts count instructions, not host time, so a
    // busy 2-core host cannot make a check fail (and the counters repeat).
    let mut args = vec![
        "--icount",
        "--dirty-ram",
        "--guest",
        "selftest",
        "--gic",
        gic,
        "--smp",
        &n,
        "--delivery",
        delivery,
        "--abi",
        abi,
    ];
    if let Some(cpu) = cpu {
        args.extend(["--cpu", cpu]);
    }
    let run = boot(&args, LIMIT);
    let ctx = format!("scripts/run {}:\n{}", args.join(" "), run.output);
    let last = run.output.lines().rfind(|l| l.contains(" passed, "));
    let last = last.unwrap_or_else(|| panic!("no 'N passed, M failed' line: {ctx}"));
    let (passed, failed) = last
        .split_once(" passed, ")
        .and_then(|(p, f)| {
            Some((
                p.trim().parse::<u32>().ok()?,
                f.split_whitespace().next()?.parse::<u32>().ok()?,
            ))
        })
        .unwrap_or_else(|| panic!("malformed summary '{last}': {ctx}"));
    assert_eq!(failed, 0, "{failed} check(s) failed: {ctx}");
    assert!(passed >= 20, "only {passed} checks ran: {ctx}");
    assert!(run.lines_with("not ok").is_empty(), "{ctx}");
    assert!(!run.has("FATAL") && !run.has("PANIC"), "{ctx}");
    assert_eq!(run.status, Some(0), "scripts/run did not exit 0: {ctx}");
    assert_devices_agree(&run, &ctx);
    assert!(run.has(&format!(", rVIC ABI {abi}")), "{ctx}");
    assert!(run.has(&format!("# rVIC ABI {abi}, ")), "{ctx}");
    let unmasked = run
        .output
        .lines()
        .filter(|l| l.starts_with("ok ") && l.contains("ACKNOWLEDGE_UNMASKED"))
        .count();
    assert_eq!(unmasked, unmasked_checks(abi), "ABI {abi}: {ctx}");
    // QEMU virt gives the guest its PL031: its line checks must run.
    assert!(
        run.output
            .lines()
            .any(|l| l.starts_with("ok ") && l.contains(" - PL031: its raised line")),
        "the PL031's line checks did not run: {ctx}"
    );
    // --dirty-ram filled the MiB below the top 2 MiB of the 1 GiB board:
    // that is the end of the guest's RAM only if the guest's 512 MiB are
    // the top of it (the conformance guest then checks it reads zero).
    assert!(
        run.has("512 MiB RAM at 0x60000000"),
        "the guest's RAM is not the top of the board's: {ctx}"
    );
    if smp == 1 {
        // The run ends with the last (only) vCPU's CPU_OFF.
        assert!(run.has("the last vCPU called CPU_OFF: system off"), "{ctx}");
    }
    // The hypervisor's per-vCPU counters are printed at power-off.
    for cpu in 0..smp {
        assert!(
            run.has(&format!("vcpu{cpu} exits:")),
            "no counters for vcpu{cpu}: {ctx}"
        );
    }
    run
}

/// The hypervisor's boot line says how many devices and rVID inputs it
/// gave the guest ("N device(s), M rVID input(s)"); the guest's check
/// counted them in its device tree ("N device(s) with M rVID input(s)"),
/// and passed: the two must agree.
fn assert_devices_agree(run: &system_tests::Run, ctx: &str) {
    let counts = |line: &str, devices: &str, inputs: &str| -> Option<(u32, u32)> {
        let (n, rest) = line.split_once(devices)?;
        let n = n.rsplit(' ').next()?.parse().ok()?;
        let m = rest.strip_prefix(' ')?.split(' ').next()?.parse().ok()?;
        rest.contains(inputs).then_some((n, m))
    };
    let hyp = run
        .output
        .lines()
        .filter(|l| l.contains("] guest: "))
        .find_map(|l| counts(l, " device(s),", " rVID input(s)"));
    let guest = run
        .output
        .lines()
        .filter(|l| l.starts_with("ok ") && l.contains(" - device tree: "))
        .find_map(|l| counts(l, " device(s) with", " rVID input(s), numbered from 0"));
    assert!(hyp.is_some(), "no hypervisor device count: {ctx}");
    assert_eq!(hyp, guest, "hypervisor and guest tree disagree: {ctx}");
}

/// The conformance guest on QEMU 10's Raspberry Pi 4 B (`-M raspi4b`,
/// 2 GiB, Debian's blob, 4 Cortex-A72, GIC-400): the hypervisor's console
/// is the mini UART, the guest's the PL011; without PSCI firmware the
/// guest's SYSTEM_OFF halts the board by its PM watchdog, which ends QEMU.
fn raspberry_pi_4(delivery: &str) {
    let args = [
        "--board",
        "rpi4",
        "--icount",
        "--guest",
        "selftest",
        "--delivery",
        delivery,
    ];
    let run = boot(&args, LIMIT);
    let ctx = format!("scripts/run {}:\n{}", args.join(" "), run.output);
    eprintln!(
        "raspi4b, delivery {delivery}: {:.1} s",
        run.elapsed.as_secs_f64()
    );
    // QEMU exited by itself, with 0: not killed at the time limit.
    assert_eq!(run.status, Some(0), "scripts/run did not exit 0: {ctx}");
    let summary = |l: &str| {
        l.split_once(" passed, 0 failed")
            .and_then(|(n, _)| n.parse::<u32>().ok())
    };
    let passed = run.output.lines().find_map(summary);
    assert!(
        passed.is_some_and(|n| n >= 20),
        "no 'N passed, 0 failed': {ctx}"
    );
    assert!(run.lines_with("not ok").is_empty(), "{ctx}");
    assert!(!run.has("FATAL") && !run.has("PANIC"), "{ctx}");
    assert!(run.has("[cpu0] board: Raspberry Pi 4 Model B"), "{ctx}");
    assert!(
        run.has("[cpu0] guest console: serial@7e201000 (a UART of its own)"),
        "the guest's console is not the PL011: {ctx}"
    );
    let want = if delivery == "lr" {
        "delivery Lr"
    } else {
        "delivery Vi"
    };
    assert!(run.has(want), "{ctx}");
    assert!(run.has("# 4 vCPU(s)"), "{ctx}");
    assert_devices_agree(&run, &ctx);
    assert!(run.has("[cpu0] guest asked for system off"), "{ctx}");
    assert!(run.has("all CPUs halted: 3/3 others parked"), "{ctx}");
    let off = "[cpu0] halting the board by its PM watchdog watchdog@7e100000 at 0xfe100000 (partition 63: the boot firmware halts)";
    assert_eq!(run.lines_with(off).len(), 1, "no power-off line: {ctx}");
    assert!(!run.has("did not reset the board"), "{ctx}");
    for cpu in 0..4 {
        assert!(
            run.has(&format!("vcpu{cpu} exits:")),
            "no counters for vcpu{cpu}: {ctx}"
        );
    }
}

#[test]
fn raspberry_pi_4_four_vcpus_vi() {
    raspberry_pi_4("vi");
}

#[test]
fn raspberry_pi_4_four_vcpus_lr() {
    raspberry_pi_4("lr");
}

#[test]
fn gicv3_four_vcpus_vi() {
    conformance("v3", 4, "vi");
}

#[test]
fn gicv3_four_vcpus_lr() {
    conformance("v3", 4, "lr");
}

/// ABI 0.4 (`rvhyp.abi=0.4`): VERSION answers 4 and ACKNOWLEDGE_UNMASKED
/// works, on each GIC with its own way of raising the line.
#[test]
fn gicv3_four_vcpus_vi_abi_0_4() {
    conformance_abi(None, "v3", 4, "vi", "0.4");
}

#[test]
fn gicv2_four_vcpus_lr_abi_0_4() {
    conformance_abi(None, "v2", 4, "lr", "0.4");
}

#[test]
fn gicv3_one_vcpu_vi() {
    conformance("v3", 1, "vi");
}

#[test]
fn gicv3_one_vcpu_lr() {
    conformance("v3", 1, "lr");
}

#[test]
fn gicv2_four_vcpus_vi() {
    conformance("v2", 4, "vi");
}

#[test]
fn gicv2_four_vcpus_lr() {
    conformance("v2", 4, "lr");
}

#[test]
fn gicv2_one_vcpu_vi() {
    conformance("v2", 1, "vi");
}

#[test]
fn gicv2_one_vcpu_lr() {
    conformance("v2", 1, "lr");
}

// The cores of the boards the project names: the Cortex-A55 of the
// RK3566/RK3568 (GICv3) and the Amlogic SM1 (GIC-400), with no pointer
// authentication, no SVE and PMUv3 before p5; the Raspberry Pi 4's
// Cortex-A72 (GIC-400).

#[test]
fn cortex_a55_gicv3_four_vcpus_vi() {
    conformance_on(Some("cortex-a55"), "v3", 4, "vi");
}

#[test]
fn cortex_a55_gicv2_four_vcpus_lr() {
    conformance_on(Some("cortex-a55"), "v2", 4, "lr");
}

#[test]
fn cortex_a72_gicv2_four_vcpus_vi() {
    conformance_on(Some("cortex-a72"), "v2", 4, "vi");
}

/// Through U-Boot's booti (see tests/linux.rs): the conformance guest,
/// 4 vCPUs, list-register delivery set by the boot script's bootargs.
#[test]
fn uboot_booti_gicv2_four_vcpus_lr() {
    let args = [
        "--icount",
        "--guest",
        "selftest",
        "--boot",
        "uboot",
        "--gic",
        "v2",
        "--smp",
        "4",
        "--delivery",
        "lr",
    ];
    let run = boot(&args, LIMIT);
    let ctx = format!("scripts/run {}:\n{}", args.join(" "), run.output);
    assert!(run.has("Starting kernel ..."), "{ctx}");
    assert!(run.has("delivery Lr"), "{ctx}");
    assert!(
        run.output.lines().any(|l| l.ends_with(" passed, 0 failed")),
        "{ctx}"
    );
    assert_eq!(run.status, Some(0), "{ctx}");
}

/// The bundle's device list decides what the guest gets: with the RTC by
/// its path alone, the guest has its console and the PL031 and nothing
/// else (no virtio-mmio transport), and every check still passes.
#[test]
fn the_bundles_device_list_is_what_the_guest_gets() {
    let args = [
        "--icount",
        "--guest",
        "selftest",
        "--device",
        "/pl031@9010000",
    ];
    let run = boot(&args, LIMIT);
    let ctx = format!("scripts/run {}:\n{}", args.join(" "), run.output);
    assert!(run.has("guest console: pl011@9040000"), "{ctx}");
    assert!(run.has(" 2 device(s), 2 rVID input(s)"), "{ctx}");
    assert!(
        run.output.lines().any(|l| l.ends_with(" passed, 0 failed")),
        "{ctx}"
    );
    assert_eq!(run.status, Some(0), "{ctx}");
}

/// A core that needs the branch history loop on every guest exit
/// (Spectre-BHB, 24 iterations): the whole suite runs through the loop's
/// vector table and sees its registers kept.
#[test]
fn cortex_a76_bhb_loop_gicv3_four_vcpus_vi() {
    let run = conformance_on(Some("cortex-a76"), "v3", 4, "vi");
    let want = "spectre on guest exit: cpus 0-3: branch history loop x24 (Cortex-A76)";
    assert_eq!(
        run.lines_with(want).len(),
        1,
        "no '{want}':\n{}",
        run.output
    );
}

/// QEMU's GICv2 board tree with a fifth CPU that is not there: its
/// CPU_ON fails, so the guest must get four vCPUs and never reach it.
fn dtb_with_a_missing_cpu() -> std::path::PathBuf {
    use std::process::Command;
    let dtb = system_tests::dump_virt_dtb("virt-v2-missing-cpu.dtb", 2, 4);
    let put = |args: &[&str]| {
        let st = Command::new("fdtput")
            .arg(&dtb)
            .args(args)
            .status()
            .expect("fdtput (Debian package device-tree-compiler)");
        assert!(st.success(), "fdtput {args:?}");
    };
    put(&["-c", "/cpus/cpu@4"]);
    put(&["-ts", "/cpus/cpu@4", "device_type", "cpu"]);
    put(&["-ts", "/cpus/cpu@4", "compatible", "arm,cortex-a57"]);
    put(&["-ts", "/cpus/cpu@4", "enable-method", "psci"]);
    put(&["-tx", "/cpus/cpu@4", "reg", "4"]);
    dtb
}

#[test]
fn a_cpu_that_does_not_come_up_gets_no_vcpu() {
    let dtb = dtb_with_a_missing_cpu();
    let args = [
        "--icount",
        "--guest",
        "selftest",
        "--gic",
        "v2",
        "--smp",
        "4",
        "--dtb",
        dtb.to_str().unwrap(),
    ];
    let run = boot(&args, LIMIT);
    let ctx = format!("scripts/run {}:\n{}", args.join(" "), run.output);
    assert!(run.has("cpus: 5"), "the tree does not list 5 CPUs: {ctx}");
    assert_eq!(
        run.lines_with("is not running: it gets no vCPU").len(),
        1,
        "{ctx}"
    );
    assert!(run.has("# 4 vCPU(s)"), "{ctx}");
    assert!(!run.has("FATAL") && !run.has("PANIC"), "{ctx}");
    assert!(run.lines_with("not ok").is_empty(), "{ctx}");
    assert_eq!(run.status, Some(0), "scripts/run did not exit 0: {ctx}");
}

/// A guest's SYSTEM_OFF on a board without PSCI firmware (which
/// `rvhyp.power_off=park` makes QEMU's board behave as) stops every CPU,
/// not only the caller's: when vCPU 0 calls it the other vCPUs are
/// running (spinning in their mailbox), and each of their CPUs reports
/// itself parked, interrupts masked, before it parks. QEMU keeps running:
/// nothing powered the board off.
#[test]
fn system_off_without_firmware_stops_every_cpu() {
    for gic in ["v3", "v2"] {
        let args = [
            "--icount",
            "--guest",
            "selftest",
            "--gic",
            gic,
            "--smp",
            "4",
            "--power-off",
            "park",
        ];
        let con = system_tests::Console::start(&args);
        let halting = con.wait_for("rvhyp.power_off=park: halting all CPUs here", 0, LIMIT);
        let halted = halting.and_then(|at| {
            con.wait_for(
                "all CPUs halted: 3/3 others parked",
                at,
                Duration::from_secs(30),
            )
        });
        let out = con.output();
        let ctx = format!("scripts/run {}:\n{out}", args.join(" "));
        assert!(halted.is_some(), "{ctx}");
        assert!(out.contains("guest asked for system off"), "{ctx}");
        let summary = |l: &str| {
            l.split_once(" passed, 0 failed")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        };
        assert!(out.lines().any(summary), "no 'N passed, 0 failed': {ctx}");
        assert!(!out.contains("FATAL") && !out.contains("PANIC"), "{ctx}");
        assert_eq!(
            con.finish(Duration::from_millis(500)),
            None,
            "QEMU exited: something powered the board off: {ctx}"
        );
    }
}
