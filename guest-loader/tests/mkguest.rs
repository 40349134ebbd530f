// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The `mkguest` host tool, run as a program: the bundles it writes parse
//! back, and every mistake on its command line or in its inputs is one line
//! on stderr with the documented exit status.

use guest_loader::bundle::BOOTARGS_MAX;
use guest_loader::Bundle;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory for one test's files.
fn dir(test: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("mkguest")
        .join(test);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A 4 KiB arm64 Image: the header, then filler.
fn image() -> Vec<u8> {
    let mut k = vec![0xa5u8; 4096];
    k[..64].fill(0);
    k[8..16].copy_from_slice(&0x8_0000u64.to_le_bytes());
    k[16..24].copy_from_slice(&0x2_0000u64.to_le_bytes());
    k[56..60].copy_from_slice(b"ARM\x64");
    k
}

fn mkguest(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mkguest"))
        .args(args)
        .output()
        .unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Exit status and the single stderr line.
fn fails(out: &Output) -> (i32, String) {
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
    assert!(out.stdout.is_empty());
    (out.status.code().unwrap(), err.trim_end().to_string())
}

#[test]
fn writes_a_bundle_that_parses_back() {
    let d = dir("full");
    let (k, i, o) = (d.join("Image"), d.join("rd.cpio"), d.join("out.guest"));
    std::fs::write(&k, image()).unwrap();
    std::fs::write(&i, b"070701 initramfs").unwrap();
    let out = mkguest(&[
        "--kernel",
        p(&k),
        "--initrd",
        p(&i),
        "--append",
        "console=ttyAMA0 rdinit=/init",
        "-o",
        p(&o),
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    let bytes = std::fs::read(&o).unwrap();
    let b = Bundle::parse(&bytes).unwrap();
    assert_eq!(b.kernel, &image()[..]);
    assert_eq!(b.initrd, Some(&b"070701 initramfs"[..]));
    assert_eq!(b.bootargs, "console=ttyAMA0 rdinit=/init");
    assert_eq!(bytes, Bundle::write(&image(), b.initrd, b.bootargs));
}

#[test]
fn kernel_alone_in_any_flag_order() {
    let d = dir("alone");
    let (k, o) = (d.join("Image"), d.join("out.guest"));
    std::fs::write(&k, image()).unwrap();
    assert!(mkguest(&["-o", p(&o), "--kernel", p(&k)]).status.success());
    let bytes = std::fs::read(&o).unwrap();
    let b = Bundle::parse(&bytes).unwrap();
    assert_eq!((b.initrd, b.bootargs), (None, ""));
}

#[test]
fn missing_files_are_one_line_errors() {
    let d = dir("missing");
    let (k, o) = (d.join("Image"), d.join("out.guest"));
    std::fs::write(&k, image()).unwrap();
    let nope = d.join("nope");
    let (code, msg) = fails(&mkguest(&["--kernel", p(&nope), "-o", p(&o)]));
    assert_eq!(code, 1);
    assert!(
        msg.starts_with(&format!("mkguest: cannot read kernel {}: ", p(&nope))),
        "{msg}"
    );
    let (code, msg) = fails(&mkguest(&[
        "--kernel",
        p(&k),
        "--initrd",
        p(&nope),
        "-o",
        p(&o),
    ]));
    assert_eq!(code, 1);
    assert!(msg.starts_with("mkguest: cannot read initrd "), "{msg}");
    let (code, msg) = fails(&mkguest(&[
        "--kernel",
        p(&k),
        "-o",
        p(&d.join("no/such/dir/out")),
    ]));
    assert_eq!(code, 1);
    assert!(msg.starts_with("mkguest: cannot write "), "{msg}");
    assert!(!o.exists());
}

#[test]
fn a_kernel_that_is_not_an_arm64_image_is_refused() {
    let d = dir("notimage");
    let (k, o) = (d.join("vmlinux"), d.join("out.guest"));
    let mut elf = vec![0u8; 256];
    elf[..4].copy_from_slice(b"\x7fELF");
    std::fs::write(&k, &elf).unwrap();
    let (code, msg) = fails(&mkguest(&["--kernel", p(&k), "-o", p(&o)]));
    assert_eq!(code, 1);
    assert!(
        msg.starts_with(&format!(
            "mkguest: {}: not an arm64 Image: no \"ARM\\x64\" magic",
            p(&k)
        )),
        "{msg}"
    );
    std::fs::write(&k, b"short").unwrap();
    let (_, msg) = fails(&mkguest(&["--kernel", p(&k), "-o", p(&o)]));
    assert!(
        msg.ends_with("5 bytes, shorter than the 64-byte header"),
        "{msg}"
    );
    assert!(!o.exists());
}

/// What the hypervisor would refuse is refused here, with its line.
#[test]
fn bootargs_over_the_limit_are_refused_as_at_boot() {
    let d = dir("bootargs");
    let (k, o) = (d.join("Image"), d.join("out.guest"));
    std::fs::write(&k, image()).unwrap();
    let longest = "x".repeat(BOOTARGS_MAX);
    let out = mkguest(&["--kernel", p(&k), "--append", &longest, "-o", p(&o)]);
    assert!(out.status.success(), "{out:?}");
    let bytes = std::fs::read(&o).unwrap();
    assert_eq!(Bundle::parse(&bytes).unwrap().bootargs, longest);
    std::fs::remove_file(&o).unwrap();

    let long = "x".repeat(BOOTARGS_MAX + 1);
    let (code, msg) = fails(&mkguest(&[
        "--kernel",
        p(&k),
        "--append",
        &long,
        "-o",
        p(&o),
    ]));
    assert_eq!(code, 1);
    let bundle = Bundle::write(&image(), None, &long);
    let at_boot = Bundle::parse(&bundle).unwrap_err().to_string();
    assert_eq!(msg, format!("mkguest: {at_boot}"));
    assert!(
        msg.starts_with("mkguest: guest bundle: the bootargs are 2048 bytes, more than the 2047"),
        "{msg}"
    );
    assert!(!o.exists());
}

#[test]
fn command_line_mistakes_exit_2() {
    let cases: [(&[&str], &str); 6] = [
        (&["--bogus"], "unknown argument '--bogus'"),
        (&["--kernel", "k"], "no -o OUT"),
        (&["-o", "out"], "no --kernel"),
        (&["--kernel"], "--kernel needs a value"),
        (
            &["--kernel", "a", "--kernel", "b", "-o", "o"],
            "--kernel given twice",
        ),
        (&[], "no --kernel"),
    ];
    for (args, want) in cases {
        let (code, msg) = fails(&mkguest(args));
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(
            msg,
            format!("mkguest: {want} (usage: mkguest --kernel FILE [--initrd FILE] [--append ARGS] [--device PATH-or-ALIAS|none]... -o OUT)"),
            "{args:?}"
        );
    }
    let out = mkguest(&["--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("usage: mkguest"));
}

#[test]
fn devices_are_listed_in_order_and_none_gives_an_empty_list() {
    let d = dir("devices");
    let (k, o) = (d.join("Image"), d.join("out.guest"));
    std::fs::write(&k, image()).unwrap();
    let kernel = p(&k).to_string();
    let run = |extra: &[&str]| {
        let mut args = vec!["--kernel", &kernel, "-o", p(&o)];
        args.extend_from_slice(extra);
        let out = mkguest(&args);
        assert!(out.status.success(), "{out:?}");
        std::fs::read(&o).unwrap()
    };
    let b = run(&["--device", "/pl031@9010000", "--device", "serial1"]);
    let parsed = Bundle::parse(&b).unwrap();
    assert_eq!(parsed.devices, Some("/pl031@9010000\nserial1"));
    let named: Vec<&str> = parsed.named_devices().collect();
    assert_eq!(named, ["/pl031@9010000", "serial1"]);
    let b = run(&["--device", "none"]);
    let parsed = Bundle::parse(&b).unwrap();
    assert_eq!(parsed.devices, Some(""));
    assert_eq!(parsed.named_devices().count(), 0);
    let b = run(&[]);
    assert_eq!(Bundle::parse(&b).unwrap().devices, None);
    for bad in ["", "two words"] {
        let out = mkguest(&["--kernel", &kernel, "-o", p(&o), "--device", bad]);
        let (code, line) = fails(&out);
        assert_eq!(code, 2);
        assert!(
            line.contains("is not a device-tree node path or alias"),
            "{line}"
        );
    }
    let many: Vec<String> = (0..33).map(|i| format!("/dev@{i:x}")).collect();
    let mut args = vec!["--kernel", &kernel, "-o", p(&o)];
    for m in &many {
        args.extend_from_slice(&["--device", m]);
    }
    let (code, line) = fails(&mkguest(&args));
    assert_eq!(code, 1);
    assert!(line.contains("names 33 devices, more than 32"), "{line}");
}
