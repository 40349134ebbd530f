// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The headline: an SMP Linux whose only interrupt controller is rVIC/rVID,
//! on GICv2 and GICv3 hosts and both delivery paths: it boots every vCPU,
//! survives an IPI-heavy load and CPU hotplug, takes typing on its console
//! and does real block I/O through rVID interrupts.

use std::time::Duration;

use system_tests::{boot, root, script, Console, Run};

const LIMIT: Duration = Duration::from_secs(400);

/// Run `script` in a 4-vCPU guest; the run must end with the script's
/// status 0.
fn exec(gic: &str, delivery: &str, script: &str, extra: &[&str]) -> Run {
    exec_within(gic, delivery, script, extra, LIMIT)
}

/// [`exec`], given at most `limit`.
fn exec_within(gic: &str, delivery: &str, script: &str, extra: &[&str], limit: Duration) -> Run {
    let mut args = vec![
        "--gic",
        gic,
        "--smp",
        "4",
        "--delivery",
        delivery,
        "--exec",
        script,
    ];
    args.extend_from_slice(extra);
    let run = boot(&args, limit);
    assert_eq!(
        run.status,
        Some(0),
        "--gic {gic} --delivery {delivery}: {}",
        run.output
    );
    run
}

/// Per-CPU counts of the /proc/interrupts row whose label ends with `name`,
/// from the `n`th dump in the output (dumps are separated by "==").
fn counts(out: &str, dump: usize, name: &str) -> Vec<u64> {
    let section = out
        .split("==")
        .nth(dump)
        .unwrap_or_else(|| panic!("no dump {dump}: {out}"));
    let line = section
        .lines()
        .find(|l| l.trim_end().ends_with(name))
        .unwrap_or_else(|| panic!("no '{name}' row: {section}"));
    line.split_whitespace()
        .skip(1)
        .take(4)
        .map(|c| c.parse().unwrap())
        .collect()
}

const DUMP_TWICE: &str = "grep -c ^processor /proc/cpuinfo; echo ==; cat /proc/interrupts; \
    for c in 0 1 2 3; do taskset -c $c sleep 0.2; done; echo ==; cat /proc/interrupts; echo ==";

fn boots_and_counts(gic: &str, delivery: &str) {
    boots_and_counts_with(gic, delivery, &[]);
}

fn boots_and_counts_with(gic: &str, delivery: &str, extra: &[&str]) {
    let run = exec(gic, delivery, DUMP_TWICE, extra);
    let out = &run.output;
    assert_eq!(
        out.split("==").next().unwrap().trim().lines().last(),
        Some("4"),
        "{out}"
    );
    assert!(out.contains("rVIC") && out.contains("rVID"), "{out}");
    grows(out);
}

/// Between dumps 1 and 2: every vCPU's timer fired, and IPIs (SIGNALs)
/// were delivered. Which vCPUs get IPIs depends on the scheduler, so those
/// are counted over all vCPUs.
fn grows(out: &str) {
    let (a, b) = (counts(out, 1, "arch_timer"), counts(out, 2, "arch_timer"));
    for cpu in 0..4 {
        assert!(
            b[cpu] > a[cpu],
            "timer did not fire on cpu{cpu}: {a:?} -> {b:?}\n{out}"
        );
    }
    let ipis = |dump| -> u64 {
        ["Rescheduling interrupts", "Function call interrupts"]
            .iter()
            .map(|n| counts(out, dump, n).iter().sum::<u64>())
            .sum()
    };
    assert!(ipis(2) > ipis(1), "no IPI delivered: {out}");
}

#[test]
fn gicv3_vi_boots_every_vcpu_and_counts_interrupts() {
    boots_and_counts("v3", "vi");
}

#[test]
fn gicv3_lr_boots_every_vcpu_and_counts_interrupts() {
    boots_and_counts("v3", "lr");
}

#[test]
fn gicv2_vi_boots_every_vcpu_and_counts_interrupts() {
    boots_and_counts("v2", "vi");
}

#[test]
fn gicv2_lr_boots_every_vcpu_and_counts_interrupts() {
    boots_and_counts("v2", "lr");
}

// The boards' cores (see tests/guest.rs): the Linux guest must not assume
// -cpu max (pointer authentication, SVE, PMUv3p5).

#[test]
fn cortex_a55_gicv3_vi_boots_every_vcpu_and_counts_interrupts() {
    boots_and_counts_with("v3", "vi", &["--cpu", "cortex-a55"]);
}

#[test]
fn cortex_a55_gicv2_lr_boots_every_vcpu_and_counts_interrupts() {
    boots_and_counts_with("v2", "lr", &["--cpu", "cortex-a55"]);
}

#[test]
fn cortex_a72_gicv2_vi_boots_every_vcpu_and_counts_interrupts() {
    boots_and_counts_with("v2", "vi", &["--cpu", "cortex-a72"]);
}

/// Process churn pinned to every vCPU for 20 s of guest time: wake-ups and
/// function calls between vCPUs are IPIs, each one a SIGNAL. dmesg must
/// stay free of RCU stalls, lockups, warnings and oopses.
const CHURN: &str = r#"
end=$(( $(cut -d. -f1 /proc/uptime) + 20 ))
for c in 0 1 2 3; do
  ( while [ $(cut -d. -f1 /proc/uptime) -lt $end ]; do taskset -c $c /bin/true; done ) &
done
wait
grep -E 'IPI0|IPI1' /proc/interrupts
if dmesg | grep -iE 'rcu.*stall|soft lockup|hung task|WARNING|Oops|BUG:|Call trace'; then exit 1; fi
echo CHURN-CLEAN
"#;

fn churn(gic: &str, delivery: &str) {
    let run = exec(gic, delivery, CHURN, &[]);
    assert!(run.has("CHURN-CLEAN"), "{}", run.output);
}

#[test]
fn gicv3_vi_survives_ipi_heavy_load() {
    churn("v3", "vi");
}

#[test]
fn gicv2_lr_survives_ipi_heavy_load() {
    churn("v2", "lr");
}

/// Every secondary vCPU offline and online again, three times.
#[test]
fn gicv3_vi_cpu_hotplug() {
    hotplug_cycles("v3", "vi", 3);
}

#[test]
fn gicv2_lr_cpu_hotplug() {
    hotplug_cycles("v2", "lr", 3);
}

/// Keystrokes reach the shell through the UART's receive interrupt (a level
/// rVID input) and the echo and output come back; `poweroff` ends QEMU 0.
fn typing(gic: &str) {
    let mut c = Console::start(&["--gic", gic, "--smp", "4"]);
    let prompt = c
        .wait_for("/ # ", 0, LIMIT)
        .unwrap_or_else(|| panic!("no shell prompt: {}", c.output()));
    c.type_text("echo typed-$((6*7))\r");
    let echoed = c.wait_for("echo typed-$((6*7))", prompt, Duration::from_secs(60));
    assert!(
        echoed.is_some(),
        "no echo of the typed command: {}",
        c.output()
    );
    let answer = c.wait_for("typed-42", echoed.unwrap(), Duration::from_secs(60));
    assert!(
        answer.is_some(),
        "no output of the typed command: {}",
        c.output()
    );
    // Each keystroke was a receive interrupt through the UART's rVID input.
    c.type_text("grep pl011 /proc/interrupts\r");
    let end = c.wait_for(
        "Level     uart-pl011",
        answer.unwrap(),
        Duration::from_secs(60),
    );
    let out = c.output();
    let end = end.unwrap_or_else(|| panic!("no /proc/interrupts row for the UART: {out}"));
    let row = out[..end].lines().last().unwrap();
    let total: u64 = row
        .split_whitespace()
        .skip(1)
        .take(4)
        .filter_map(|n| n.parse::<u64>().ok())
        .sum();
    assert!(
        total > 0,
        "the UART took no interrupt for the typing: {row}"
    );
    c.type_text("poweroff\r");
    let status = c.finish(Duration::from_secs(120));
    assert_eq!(status, Some(0), "QEMU did not exit 0 after poweroff");
}

#[test]
fn gicv3_typing_into_the_console() {
    typing("v3");
}

#[test]
fn gicv2_typing_into_the_console() {
    typing("v2");
}

/// A disk image written on the host with a known pattern, read in the
/// guest through virtio-blk and checksummed.
fn disk(gic: &str, delivery: &str) {
    let path = root().join("target/system-tests/pattern.img");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let data: Vec<u8> = (0..4u32 << 20)
        .map(|i| ((i * 7 + i / 4096) % 251) as u8)
        .collect();
    std::fs::write(&path, &data).unwrap();
    let expect = sha256_hex(&data);
    let run = exec(
        gic,
        delivery,
        "sha256sum /dev/vda",
        &["--disk", path.to_str().unwrap()],
    );
    assert!(
        run.has(&format!("{expect}  /dev/vda")),
        "want {expect}: {}",
        run.output
    );
}

#[test]
fn gicv3_vi_virtio_blk_reads_the_host_pattern() {
    disk("v3", "vi");
}

#[test]
fn gicv2_lr_virtio_blk_reads_the_host_pattern() {
    disk("v2", "lr");
}

/// Linux on QEMU 10's Raspberry Pi 4 B (`-M raspi4b`, 2 GiB, Debian's
/// blob), booted from the files `scripts/image rpi4` wrote
/// (`build/rpi4-boot`: kernel8.img, guest.bundle, the blob, cmdline.txt)
/// with the default devices: its console on the PL011 (uart0) with the
/// clock the hypervisor wrote for it, every vCPU online, the timer and
/// IPI counts growing, the SD card (the Arasan SDHCI, through its rVID
/// input) read and checksummed, no GPIO block (it could take the
/// hypervisor's console pins), and the run ended by the guest's poweroff
/// through the PM watchdog (QEMU's own exit).
#[test]
fn raspberry_pi_4_linux_boots_every_vcpu_reads_the_sd_card_and_powers_off() {
    let path = root().join("target/system-tests/sd-pattern.img");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // QEMU's SD card must be a power of 2 in size.
    let data: Vec<u8> = (0..4u32 << 20)
        .map(|i| ((i * 13 + i / 512) % 241) as u8)
        .collect();
    std::fs::write(&path, &data).unwrap();
    let expect = sha256_hex(&data);
    let script = format!(
        "{DUMP_TWICE}; sha256sum /dev/mmcblk0; \
         echo \"gpio nodes: $(find /proc/device-tree -name 'gpio@*' | wc -l)\"; \
         grep OF_NAME /sys/class/tty/ttyAMA0/device/uevent"
    );
    let args = [
        "--board",
        "rpi4",
        "--disk",
        path.to_str().unwrap(),
        "--exec",
        &script,
    ];
    let run = boot(&args, LIMIT);
    eprintln!("raspi4b Linux: {:.1} s", run.elapsed.as_secs_f64());
    let log = std::fs::read_to_string(root().join("build/exec.log")).unwrap();
    let ctx = format!("{}\n{log}", run.output);
    assert_eq!(run.status, Some(0), "{ctx}");
    let out = &run.output;
    assert_eq!(
        out.split("==").next().unwrap().trim().lines().last(),
        Some("4"),
        "{ctx}"
    );
    grows(out);
    assert!(
        run.has(&format!("{expect}  /dev/mmcblk0")),
        "want {expect}: {ctx}"
    );
    // The GPIO block is not given by default: its pin functions include
    // the hypervisor's console pins.
    assert!(
        out.contains("gpio nodes: 0"),
        "the guest has a GPIO block: {ctx}"
    );
    assert!(
        out.contains("OF_NAME=serial"),
        "ttyAMA0 is not the PL011: {ctx}"
    );
    for line in [
        "guest: 512 MiB RAM",
        "2 device(s)",
        "serial@7e201000: clock uartclk is 48000000 Hz",
        "fe201000.serial: ttyAMA0 at MMIO 0xfe201000",
        "mmc0: new",
        "halting the board by its PM watchdog",
    ] {
        assert!(log.contains(line), "no '{line}': {ctx}");
    }
    // The files QEMU booted are those scripts/image wrote.
    let img = root().join("build/rpi4-boot");
    let hyp = std::fs::read(root().join("build/hyp.bin")).unwrap();
    assert_eq!(std::fs::read(img.join("kernel8.img")).unwrap(), hyp);
    let config = std::fs::read_to_string(img.join("config.txt")).unwrap();
    for line in [
        "arm_64bit=1",
        "kernel=kernel8.img",
        "initramfs guest.bundle followkernel",
    ] {
        assert!(
            config.lines().any(|l| l == line),
            "config.txt has no {line}: {config}"
        );
    }
}

/// The host computes the reference with sha256sum (coreutils).
fn sha256_hex(data: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum (coreutils)");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// The boot path of a board with U-Boot (an RK3568, say): QEMU starts
/// Debian's U-Boot for virt at EL2, its distro boot finds `boot.scr` on the
/// disk `scripts/image uboot` wrote, and `booti` enters the hypervisor at
/// EL2 with U-Boot's device tree and the bundle as the initrd, up to the
/// Linux guest's userspace on 4 vCPUs.
#[test]
fn uboot_booti_boots_the_hypervisor_and_linux() {
    let script = "grep -c ^processor /proc/cpuinfo; cat /proc/cmdline";
    let run = exec("v3", "vi", script, &["--boot", "uboot", "--icount"]);
    let out = run.output.trim();
    assert!(out.starts_with("4\n"), "{out}");
    let log = std::fs::read_to_string(root().join("build/exec.log")).unwrap();
    for line in [
        "U-Boot 20",
        "Found U-Boot script /boot.scr",
        "rvhyp: loading the hypervisor and its guest bundle",
        "Starting kernel ...",
    ] {
        assert!(log.contains(line), "no '{line}' in the U-Boot run: {log}");
    }
    // Entered by booti at U-Boot's kernel_addr_r, at EL2, with the
    // command line the boot script set.
    assert!(
        log.contains("rvhyp 0.1.0 at EL2, image at 0x40400000"),
        "{log}"
    );
    assert!(log.contains("delivery Vi, WFI trapped"), "{log}");
}

/// The IPI storm (`drivers/misc/ipi_storm.c` in the guest kernel): every
/// vCPU at once makes `rounds` rounds of cross-CPU calls, to one other
/// vCPU at a time and, every fourth round, to all three, sleeping until
/// they are handled; each call is counted where it was sent and where it
/// ran, and they must match (a lost IPI would leave its caller waiting for
/// ever). The IPIs are the guest's SIGNALs (the calls, and the wake-ups of
/// the callers); the hypervisor's counters at power-off say how many.
pub fn ipi_storm(gic: &str, delivery: &str, rounds: u64) -> (u64, u64) {
    ipi_storm_with(gic, delivery, rounds, &[])
}

/// [`ipi_storm`] with more options for scripts/run.
pub fn ipi_storm_with(gic: &str, delivery: &str, rounds: u64, extra: &[&str]) -> (u64, u64) {
    let script = format!(
        r#"
grep -E 'IPI1:' /proc/interrupts
echo {rounds} > /sys/module/ipi_storm/parameters/run; st=$?
echo "STORM: $(cat /sys/module/ipi_storm/parameters/run)"
[ $st -eq 0 ] || exit 1
grep -E 'IPI1:' /proc/interrupts
if dmesg | grep -iE 'rcu.*stall|soft lockup|hung task|WARNING|Oops|BUG:|Call trace'; then exit 1; fi
echo STORM-CLEAN
"#
    );
    // About 0.4 ms a call (6 calls a round) under TCG on an idle 2-core
    // host: 40 s for 16,000 rounds; allow 10 ms a round beyond the boot.
    let limit = LIMIT + Duration::from_millis(10 * rounds);
    let run = exec_within(gic, delivery, &script, extra, limit);
    let out = &run.output;
    assert!(out.contains("STORM-CLEAN"), "{out}");
    let line = out
        .lines()
        .find_map(|l| l.trim_end().strip_prefix("STORM: "))
        .unwrap_or_else(|| panic!("no STORM: line: {out}"));
    let f: Vec<&str> = line.split_whitespace().collect();
    let field = |name: &str| -> u64 {
        let i = f.iter().position(|w| *w == name).unwrap();
        f[i + 1].parse().unwrap()
    };
    assert_eq!(f.last(), Some(&"ok"), "{line}");
    assert_eq!(field("cpus"), 4, "{line}");
    assert_eq!(field("rounds"), rounds, "{line}");
    let (sent, handled) = (field("sent"), field("handled"));
    assert_eq!(sent, handled, "{line}");
    // Per vCPU: 3/4 of the rounds to one vCPU, 1/4 to all three.
    assert_eq!(sent, 4 * (rounds - rounds / 4 + 3 * (rounds / 4)), "{line}");
    // The hypervisor's lines are in the run's whole log, not in the
    // command's output.
    let log = std::fs::read_to_string(root().join("build/exec.log")).unwrap();
    let signals: u64 = log
        .lines()
        .filter(|l| l.contains("] vcpu") && l.contains(" hypercalls: "))
        .filter_map(|l| l.split_whitespace().find_map(|w| w.strip_prefix("Signal=")))
        .map(|n| n.parse::<u64>().unwrap())
        .sum();
    assert!(signals > 0, "no SIGNAL counts at power-off: {log}");
    eprintln!("ipi storm --gic {gic} --delivery {delivery}: {line}; {signals} SIGNALs");
    (sent, signals)
}

#[test]
fn gicv3_vi_ipi_storm_every_call_accounted_for() {
    ipi_storm("v3", "vi", 16_000);
}

#[test]
fn gicv2_lr_ipi_storm_every_call_accounted_for() {
    ipi_storm("v2", "lr", 16_000);
}

/// Under ABI 0.4 the driver takes every interrupt with
/// ACKNOWLEDGE_UNMASKED and completes a trusted INTID (the IPIs, the
/// timer) with no CLEAR_MASKED: the storm still accounts for every call,
/// no ACKNOWLEDGE is made, and the CLEAR_MASKED calls left are far fewer
/// than the interrupts taken (only masking and routes make them).
#[test]
fn gicv3_vi_abi_0_4_ipi_storm_every_call_accounted_for() {
    ipi_storm_with("v3", "vi", 16_000, &["--abi", "0.4"]);
    let log = std::fs::read_to_string(root().join("build/exec.log")).unwrap();
    assert!(
        log.contains("ACKNOWLEDGE_UNMASKED"),
        "the driver did not say it uses ACKNOWLEDGE_UNMASKED: {log}"
    );
    let total = |name: &str| -> u64 {
        log.lines()
            .filter(|l| l.contains("] vcpu") && l.contains(" hypercalls: "))
            .filter_map(|l| {
                l.split_whitespace()
                    .find_map(|w| w.strip_prefix(&format!("{name}=")[..]))
            })
            .map(|n| n.parse::<u64>().unwrap())
            .sum()
    };
    let (unmasked, acks, clears) = (
        total("AcknowledgeUnmasked"),
        total("Acknowledge"),
        total("ClearMasked"),
    );
    assert!(unmasked > 100_000, "{unmasked} ACKNOWLEDGE_UNMASKED: {log}");
    assert_eq!(acks, 0, "ACKNOWLEDGE made under 0.4: {log}");
    assert!(
        clears * 10 < unmasked,
        "{clears} CLEAR_MASKED for {unmasked} interrupts: {log}"
    );
    eprintln!("abi 0.4 storm: {unmasked} ACKNOWLEDGE_UNMASKED, {clears} CLEAR_MASKED");
}

/// Secondary vCPUs offline and online `cycles` times each, round robin;
/// afterwards every vCPU still takes its timer and IPIs, and the lockup
/// and RCU stall detectors stayed quiet.
pub fn hotplug_cycles(gic: &str, delivery: &str, cycles: u32) {
    let script = format!(
        r#"
i=0
while [ $i -lt {cycles} ]; do
  for c in 1 2 3; do
    echo 0 > /sys/devices/system/cpu/cpu$c/online || exit 1
    echo 1 > /sys/devices/system/cpu/cpu$c/online || exit 1
  done
  i=$((i + 1))
done
echo "cycles: $i online: $(cat /sys/devices/system/cpu/online)"
echo ==; cat /proc/interrupts
for c in 0 1 2 3; do taskset -c $c sleep 0.2; done
echo ==; cat /proc/interrupts; echo ==
if dmesg | grep -iE 'rcu.*stall|soft lockup|hung task|WARNING|Oops|BUG:'; then exit 1; fi
"#
    );
    let run = exec(gic, delivery, &script, &[]);
    let out = &run.output;
    assert!(
        out.contains(&format!("cycles: {cycles} online: 0-3")),
        "{out}"
    );
    grows(out);
}

#[test]
fn gicv3_vi_twenty_hotplug_cycles_per_secondary() {
    hotplug_cycles("v3", "vi", 20);
}

/// 64 KiB typed into the guest's console as fast as its UART takes it (a
/// level receive interrupt through rVID for every FIFO's worth): every byte
/// arrives, in order; the guest then writes it all back out (the level
/// transmit interrupt) and every byte comes back, and the shell still
/// answers.
fn uart_flood(gic: &str) {
    uart_flood_with(gic, &[]);
}

/// [`uart_flood`] with more options for scripts/run.
fn uart_flood_with(gic: &str, extra: &[&str]) {
    let mut args = vec!["--gic", gic, "--smp", "4"];
    args.extend_from_slice(extra);
    let mut c = Console::start(&args);
    let prompt = c
        .wait_for("/ # ", 0, LIMIT)
        .unwrap_or_else(|| panic!("no shell prompt: {}", c.output()));
    c.type_text("stty -echo; cat > /tmp/rx\r");
    let ready = c
        .wait_for("cat > /tmp/rx", prompt, Duration::from_secs(60))
        .unwrap_or_else(|| panic!("no echo of the command: {}", c.output()));
    std::thread::sleep(Duration::from_secs(1));
    // 1,024 lines of 63 printable bytes; the tty turns each CR into LF.
    let mut sent = Vec::new();
    let mut data = Vec::new();
    for i in 0..1024u32 {
        let line: Vec<u8> = (0..63u32)
            .map(|j| b'!' + ((i * 7 + j) % 94) as u8)
            .collect();
        data.extend_from_slice(&line);
        data.push(b'\r');
        sent.extend_from_slice(&line);
        sent.push(b'\n');
    }
    c.paste(&data);
    c.paste(b"\x04");
    c.type_text("stty echo; echo RX $(wc -c < /tmp/rx) $(sha256sum < /tmp/rx)\r");
    let want = format!("RX {} {}", sent.len(), sha256_hex(&sent));
    let got = c.wait_for(&want, ready, Duration::from_secs(300));
    assert!(
        got.is_some(),
        "want '{want}' after the flood: {}",
        &c.output()[ready..]
    );
    // And back out: the guest writes the same 64 KiB through the UART's
    // transmit interrupt (level too), every byte in order. The marker is
    // computed so that the command's own echo does not match it.
    let rx = got.unwrap();
    c.type_text("cat /tmp/rx; echo TX-$((6 * 7))\r");
    let done = c.wait_for("TX-42", rx, Duration::from_secs(300));
    let out = c.output();
    let tx = String::from_utf8(sent).unwrap().replace('\n', "\r\n");
    assert!(
        done.is_some_and(|d| out[rx..d].contains(&tx)),
        "the 64 KiB did not come back whole: {}",
        &out[rx..]
    );
    c.type_text("poweroff\r");
    assert_eq!(c.finish(Duration::from_secs(120)), Some(0));
}

#[test]
fn gicv3_uart_floods_lose_no_byte() {
    uart_flood("v3");
}

#[test]
fn gicv2_uart_floods_lose_no_byte() {
    uart_flood("v2");
}

/// Under ABI 0.4 the UART's rVID route is masked by the driver after
/// ACKNOWLEDGE_UNMASKED (its EOI relies on it): no byte is lost either way.
#[test]
fn gicv2_abi_0_4_uart_floods_lose_no_byte() {
    uart_flood_with("v2", &["--abi", "0.4"]);
}

/// For scripts/soak: more than 10^6 IPIs (200,000 rounds on each of 4
/// vCPUs: 1,200,000 calls, each one SIGNAL, plus one to wake its caller
/// when that vCPU went idle).
#[test]
#[ignore]
fn soak_ipi_storm_a_million_ipis() {
    let (sent, signals) = ipi_storm("v3", "vi", 200_000);
    assert!(sent >= 1_000_000, "{sent} calls");
    assert!(signals >= 1_000_000, "{signals} SIGNALs");
}

/// For scripts/soak: 100 offline/online cycles of every secondary vCPU.
#[test]
#[ignore]
fn soak_a_hundred_hotplug_cycles_per_secondary() {
    hotplug_cycles("v2", "lr", 100);
}

/// `scripts/bench-linux --quick`: every Linux-level figure is produced
/// (boot, the pinned ping-pong, the virtio-blk read) in both columns,
/// rvhyp on GICv3 with VI and KVM's vGICv3 with VHE, and the ones with a
/// known floor are above it: a round trip is two cross-CPU wake-ups of a
/// sleeping task, so IPIs (more than one per round trip: 2.04 when
/// measured) and, each IPI being a SIGNAL (or a trapped ICC_SGI1R_EL1)
/// plus the receiver's exits, more EL2 entries than IPIs. Times are
/// printed, never asserted.
#[test]
fn bench_linux_quick_produces_every_figure() {
    let run = script("bench-linux", &["--quick"], LIMIT * 8);
    let ctx = format!("scripts/bench-linux --quick:\n{}", run.output);
    assert_eq!(run.status, Some(0), "{ctx}");
    let header = run
        .output
        .lines()
        .find(|l| l.starts_with("figure "))
        .unwrap_or_else(|| panic!("no table header: {ctx}"));
    assert!(
        header.contains("rvhyp GICv3 VI") && header.contains("KVM v3 VHE"),
        "{ctx}"
    );
    // The row's cells, one per column.
    let cells = |label: &str| -> Vec<f64> {
        let line = run
            .output
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no '{label}' row: {ctx}"));
        let cells: Vec<f64> = line
            .split('|')
            .skip(1)
            .map(|v| {
                v.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("'{label}': '{v}' is no number: {ctx}"))
            })
            .collect();
        assert_eq!(cells.len(), 2, "'{label}': {ctx}");
        cells
    };
    let ipis = cells("pingpong: IPIs per round trip");
    let entries = cells("pingpong: EL2 entries per round trip");
    for c in 0..2 {
        assert!(cells("boot: reset to userspace")[c] > 0.0, "{ctx}");
        assert!(cells("pingpong: ns per round trip")[c] > 0.0, "{ctx}");
        assert!(ipis[c] > 1.0, "{ctx}");
        assert!(entries[c] > ipis[c], "{ctx}");
        assert!(cells("virtio-blk read: MiB/s")[c] > 0.0, "{ctx}");
        assert!(
            cells("virtio-blk read: interrupts per MiB")[c] > 0.0,
            "{ctx}"
        );
        assert!(
            cells("virtio-blk read: EL2 entries per MiB")[c] > 0.0,
            "{ctx}"
        );
    }
}
