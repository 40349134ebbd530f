// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The `platform` tool (`scripts/platform`) on the board blobs users have:
//! Debian's kernel package ships them without RAM in `/memory` (the boot
//! loader fills it in), and the check still reports everything else and
//! succeeds; `--mem` gives the RAM; bad arguments are one-line errors.

use std::path::PathBuf;
use std::process::Command;

fn blob(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/dtbs")
        .join(name);
    assert!(
        path.exists(),
        "{}: run scripts/fetch-dtbs first",
        path.display()
    );
    path
}

/// Exit code, stdout, stderr.
fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_platform"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const NO_RAM: &str =
    "memory: none in the blob: the boot loader fills it in (give --mem BASE,SIZE to check a layout)";

#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn every_kernel_package_blob_is_checked_without_its_boot_loader() {
    // The Raspberry Pis have no PSCI: they power off by the PM watchdog,
    // which the hypervisor keeps.
    let pm = "power-off: pm-watchdog brcm,bcm2711-pm watchdog@7e100000 base 0xfe100000 size 0x114 (the hypervisor's: never given)";
    for (name, console, power) in [
        ("bcm2711-rpi-4-b.dtb", "console: bcm2835-aux", pm),
        ("bcm2711-rpi-400.dtb", "console: bcm2835-aux", pm),
        ("rk3568-evb1-v10.dtb", "console: ns16550", "power-off: psci"),
        (
            "rk3566-quartz64-a.dtb",
            "console: ns16550",
            "power-off: psci",
        ),
    ] {
        let (code, out, err) = run(&[blob(name).as_os_str()]);
        assert_eq!(code, 0, "{name}: {err}");
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.contains(&NO_RAM), "{name}: {out}");
        assert!(lines.contains(&"cpus: 4"), "{name}: {out}");
        assert!(lines.contains(&power), "{name}: {out}");
        assert!(
            lines.iter().any(|l| l.starts_with(console)),
            "{name}: {out}"
        );
        assert!(
            lines.iter().any(|l| l.starts_with("gic: ")),
            "{name}: {out}"
        );
        assert!(
            !lines.iter().any(|l| l.starts_with("usable")),
            "{name}: {out}"
        );
    }
}

#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn mem_gives_the_ram_a_boot_loader_would_write() {
    let pi = blob("bcm2711-rpi-4-b.dtb");
    let (code, out, err) = run(&[pi.as_os_str(), "--mem".as_ref(), "0,0x80000000".as_ref()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines()
            .any(|l| l == "memory0: base 0x0 size 0x80000000"),
        "{out}"
    );
    assert!(!out.contains(NO_RAM), "{out}");
    // The blob's /memreserve/ (the firmware's spin-table page) is left out.
    assert!(
        out.lines()
            .any(|l| l == "usable0: base 0x1000 size 0x7ffff000"),
        "{out}"
    );
}

#[test]
#[ignore = "needs target/dtbs: run scripts/fetch-dtbs"]
fn a_bad_mem_argument_is_one_line_and_says_what_to_give() {
    let pi = blob("bcm2711-rpi-4-b.dtb");
    for bad in ["0", "0,0", "x,1", "0xffffffffffffffff,2"] {
        let (code, out, err) = run(&[pi.as_os_str(), "--mem".as_ref(), bad.as_ref()]);
        assert_eq!(code, 2, "--mem {bad}: {out}");
        assert!(
            err.starts_with("platform: --mem takes BASE,SIZE with SIZE > 0"),
            "--mem {bad}: {err}"
        );
    }
}
