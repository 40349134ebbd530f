// SPDX-License-Identifier: Apache-2.0 OR MIT
//! What the boot loader hands the hypervisor through `/chosen`: the options
//! in `bootargs` and the guest bundle as the initrd, which `usable` must
//! leave out; and the raw `compatible` of each device, which a guest's
//! device tree copies. On a synthetic tree (`tests/dts/chosen.dts`) and on
//! the tree QEMU itself writes when given `-initrd` and `-append`.

mod common;

use common::{dts, dts_with, err, ok};
use platform::{discover_at, Platform, Range};
use std::path::PathBuf;
use std::process::Command;

fn usable(p: &Platform<'_>) -> Vec<Range> {
    p.usable.iter().copied().collect()
}

const INITRD: Range = Range::new(0x4800_0000, 0x12_3456);

#[test]
fn bootargs_and_64_bit_initrd_are_read_and_the_initrd_is_not_usable() {
    let dtb = dts("chosen");
    let p = ok(&dtb);
    assert_eq!(p.bootargs, "rvhyp.delivery=lr rvhyp.guest_mem=256");
    assert_eq!(p.initrd, Some(INITRD));
    assert_eq!(
        usable(&p),
        [
            Range::new(0x4000_0000, 0x800_0000),
            Range::new(INITRD.end(), 0x8000_0000 - INITRD.end()),
        ]
    );
    // The blob and the initrd are both carved out when the blob's address
    // is known too.
    let p = discover_at(&dtb, Some(0x4000_0000)).unwrap();
    let dtb_end = 0x4000_0000 + dtb.len() as u64;
    assert_eq!(
        usable(&p),
        [
            Range::new(dtb_end, 0x4800_0000 - dtb_end),
            Range::new(INITRD.end(), 0x8000_0000 - INITRD.end()),
        ]
    );
}

#[test]
fn initrd_bounds_may_be_32_bit_values() {
    let dtb = dts_with(
        "chosen",
        "/ { chosen { linux,initrd-start = <0x48000000>; linux,initrd-end = <0x48123456>; }; };",
    );
    assert_eq!(ok(&dtb).initrd, Some(INITRD));
    // Mixed widths are each read on their own.
    let dtb = dts_with(
        "chosen",
        "/ { chosen { linux,initrd-start = <0x48000000>; linux,initrd-end = <0x0 0x48123456>; }; };",
    );
    assert_eq!(ok(&dtb).initrd, Some(INITRD));
}

#[test]
fn no_chosen_no_bootargs_no_initrd() {
    let dtb = dts_with("chosen", "/ { /delete-node/ chosen; };");
    let p = ok(&dtb);
    assert_eq!((p.bootargs, p.initrd), ("", None));
    assert_eq!(usable(&p), [Range::new(0x4000_0000, 0x4000_0000)]);
    let dtb = dts_with(
        "chosen",
        "/ { chosen { /delete-property/ bootargs; /delete-property/ linux,initrd-start; /delete-property/ linux,initrd-end; }; };",
    );
    let p = ok(&dtb);
    assert_eq!((p.bootargs, p.initrd), ("", None));
    // An empty bootargs, either "" or with no value at all.
    for empty in ["bootargs = \"\";", "bootargs;"] {
        let dtb = dts_with("chosen", &format!("/ {{ chosen {{ {empty} }}; }};"));
        assert_eq!(ok(&dtb).bootargs, "", "{empty}");
    }
}

#[test]
fn empty_initrd_is_none_and_carves_nothing() {
    let dtb = dts_with(
        "chosen",
        "/ { chosen { linux,initrd-end = <0x0 0x48000000>; }; };",
    );
    let p = ok(&dtb);
    assert_eq!(p.initrd, None);
    assert_eq!(usable(&p), [Range::new(0x4000_0000, 0x4000_0000)]);
}

#[test]
fn malformed_chosen_properties_are_errors() {
    let cases = [
        (
            "/ { chosen { /delete-property/ linux,initrd-end; }; };",
            "chosen: no linux,initrd-end property",
        ),
        (
            "/ { chosen { /delete-property/ linux,initrd-start; }; };",
            "chosen: no linux,initrd-start property",
        ),
        (
            "/ { chosen { linux,initrd-end = <0x0 0x47ffffff>; }; };",
            "chosen: property linux,initrd-end is below linux,initrd-start",
        ),
        (
            "/ { chosen { linux,initrd-start = [48 00 00]; }; };",
            "chosen: property linux,initrd-start is not a 32- or 64-bit value",
        ),
        (
            "/ { chosen { linux,initrd-end = <0x0 0x0 0x48123456>; }; };",
            "chosen: property linux,initrd-end is not a 32- or 64-bit value",
        ),
        (
            "/ { chosen { bootargs = <0x61626364>; }; };",
            "chosen: property bootargs is not one NUL-terminated UTF-8 string",
        ),
        (
            "/ { chosen { bootargs = \"a\", \"b\"; }; };",
            "chosen: property bootargs is not one NUL-terminated UTF-8 string",
        ),
        (
            "/ { chosen { bootargs = [ff 00]; }; };",
            "chosen: property bootargs is not one NUL-terminated UTF-8 string",
        ),
    ];
    for (extra, want) in cases {
        let dtb = dts_with("chosen", extra);
        assert_eq!(err(&dtb).1, want, "{extra}");
    }
}

#[test]
fn devices_carry_their_raw_compatible() {
    let dtb = dts("chosen");
    let p = ok(&dtb);
    let found: Vec<(&str, &str, &[u8])> = p
        .devices
        .iter()
        .map(|d| (d.name, d.compatible, d.compatibles))
        .collect();
    assert_eq!(
        found,
        [
            (
                "pl011@9000000",
                "arm,pl011",
                &b"arm,pl011\0arm,primecell\0"[..]
            ),
            ("virtio_mmio@a000000", "virtio,mmio", &b"virtio,mmio\0"[..]),
            ("nameless@b000000", "", &b""[..]),
        ]
    );
}

/// Runs QEMU's `dumpdtb` with a dummy kernel (QEMU loads an initrd only
/// with a kernel; any file will do for a dump), an initrd of `initrd_len`
/// bytes and `-append`, and returns the blob.
fn qemu_dtb_with_initrd(initrd_len: usize, append: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("platform-chosen");
    std::fs::create_dir_all(&dir).unwrap();
    let (kernel, initrd, dtb) = (
        dir.join("kernel.bin"),
        dir.join("initrd.bin"),
        dir.join("virt.dtb"),
    );
    std::fs::write(&kernel, [0u8; 64]).unwrap();
    std::fs::write(&initrd, vec![0x5a; initrd_len]).unwrap();
    let _ = std::fs::remove_file(&dtb);
    let out = Command::new("qemu-system-aarch64")
        .arg("-M")
        .arg(format!(
            "virt,virtualization=on,gic-version=3,dumpdtb={}",
            dtb.display()
        ))
        .args(["-cpu", "max", "-smp", "2", "-m", "1G", "-display", "none"])
        .arg("-kernel")
        .arg(&kernel)
        .arg("-initrd")
        .arg(&initrd)
        .args(["-append", append])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run qemu-system-aarch64 ({e}): install it with `apt-get install qemu-system-arm`")
        });
    assert!(
        out.status.success(),
        "qemu-system-aarch64 dumpdtb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&dtb).unwrap()
}

#[test]
#[ignore = "runs qemu-system-aarch64 (scripts/test runs it)"]
fn qemu_virt_with_initrd_and_append() {
    let len = 0x1_2345;
    let dtb = qemu_dtb_with_initrd(len, "rvhyp.delivery=lr rvhyp.wfi=native");
    let p = discover_at(&dtb, Some(0x4000_0000)).unwrap();
    assert_eq!(p.bootargs, "rvhyp.delivery=lr rvhyp.wfi=native");
    let initrd = p.initrd.expect("QEMU wrote linux,initrd-start/end");
    assert_eq!(initrd.size, len as u64);
    let ram = p.memory[0];
    assert!(ram.contains(initrd.base) && ram.contains(initrd.end() - 1));
    assert!(p.usable.iter().all(|u| !u.overlaps(&initrd)));
    // Only the blob and the initrd are missing from RAM.
    let usable_bytes: u64 = p.usable.iter().map(|r| r.size).sum();
    assert_eq!(usable_bytes, ram.size - dtb.len() as u64 - initrd.size);
    let pl011 = p
        .devices
        .iter()
        .find(|d| d.name == "pl011@9000000")
        .unwrap();
    assert_eq!(pl011.compatibles, b"arm,pl011\0arm,primecell\0");
}
