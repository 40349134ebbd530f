// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The bundle format: round trips through the writer, hand-built bundles
//! the writer would not produce, every error, and no panics on corruption.

use crate::bundle::{Bundle, BundleError, Kind, BOOTARGS_MAX, MAX_SECTIONS};
use std::string::ToString;
use std::vec::Vec;

/// A bundle built by hand: `entries` are (kind, reserved, offset, size).
fn raw(version: u32, entries: &[(u32, u32, u64, u64)], data: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"RVHGUEST");
    b.extend_from_slice(&version.to_le_bytes());
    b.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for &(kind, reserved, offset, size) in entries {
        b.extend_from_slice(&kind.to_le_bytes());
        b.extend_from_slice(&reserved.to_le_bytes());
        b.extend_from_slice(&offset.to_le_bytes());
        b.extend_from_slice(&size.to_le_bytes());
    }
    b.extend_from_slice(data);
    b
}

fn err(bytes: &[u8]) -> BundleError {
    let e = Bundle::parse(bytes).expect_err("should be refused");
    let msg = e.to_string();
    assert!(
        !msg.contains('\n') && msg.starts_with("guest bundle: "),
        "{msg}"
    );
    e
}

/// Offsets of (kind, offset, size) in a written bundle's table.
fn table(b: &[u8]) -> Vec<(u32, u64, u64)> {
    let n = u32::from_le_bytes(b[12..16].try_into().unwrap()) as usize;
    (0..n)
        .map(|i| {
            let e = &b[16 + 24 * i..16 + 24 * (i + 1)];
            (
                u32::from_le_bytes(e[0..4].try_into().unwrap()),
                u64::from_le_bytes(e[8..16].try_into().unwrap()),
                u64::from_le_bytes(e[16..24].try_into().unwrap()),
            )
        })
        .collect()
}

#[test]
fn round_trip_with_everything() {
    let kernel: Vec<u8> = (0..1001u32).map(|i| i as u8).collect();
    let initrd = [7u8; 13];
    let b = Bundle::write(&kernel, Some(&initrd), "console=ttyAMA0 rdinit=/init");
    let parsed = Bundle::parse(&b).unwrap();
    assert_eq!(parsed.kernel, &kernel[..]);
    assert_eq!(parsed.initrd, Some(&initrd[..]));
    assert_eq!(parsed.bootargs, "console=ttyAMA0 rdinit=/init");
    assert_eq!(&b[..16], b"RVHGUEST\x01\0\0\0\x03\0\0\0");
    // Kernel, initrd, bootargs; data 8-byte aligned right after the table.
    assert_eq!(table(&b), [(1, 88, 1001), (2, 1096, 13), (3, 1112, 28)]);
    assert_eq!(b.len(), 1144);
}

#[test]
fn round_trip_kernel_only_and_empty_parts() {
    let b = Bundle::write(b"IMAGE", None, "");
    assert_eq!(table(&b), [(1, 40, 5)]);
    let p = Bundle::parse(&b).unwrap();
    assert_eq!((p.kernel, p.initrd, p.bootargs), (&b"IMAGE"[..], None, ""));
    // An empty initrd is still an initrd section.
    let b = Bundle::write(b"IMAGE", Some(&[]), "");
    let p = Bundle::parse(&b).unwrap();
    assert_eq!(p.initrd, Some(&[][..]));
    // Multi-byte UTF-8 survives.
    let b = Bundle::write(b"K", None, "x=é✓");
    assert_eq!(Bundle::parse(&b).unwrap().bootargs, "x=é✓");
}

#[test]
#[should_panic(expected = "may not contain NUL")]
fn writer_refuses_nul_in_bootargs() {
    let _ = Bundle::write(b"K", None, "a\0b");
}

#[test]
fn parser_takes_any_order_unaligned_and_trailing_bytes() {
    // Bootargs first, then kernel, at odd offsets; a longer buffer.
    let data = b"abcKERNELxyz";
    let b = raw(1, &[(3, 0, 64, 3), (1, 0, 67, 6)], data);
    let mut longer = b.clone();
    longer.extend_from_slice(&[0xee; 5]);
    for buf in [&b, &longer] {
        let p = Bundle::parse(buf).unwrap();
        assert_eq!(
            (p.kernel, p.initrd, p.bootargs),
            (&b"KERNEL"[..], None, "abc")
        );
    }
    // Sections may overlap each other or the table: the parser only
    // hands out slices.
    let b = raw(1, &[(1, 0, 0, 8), (2, 0, 4, 8)], &[]);
    let p = Bundle::parse(&b).unwrap();
    assert_eq!(p.kernel, b"RVHGUEST");
    assert_eq!(p.initrd, Some(&b"UEST\x01\0\0\0"[..]));
    // A section may end exactly at the end of the buffer, or be empty there.
    let b = raw(1, &[(1, 0, 64, 2), (2, 0, 66, 0)], b"KK");
    let p = Bundle::parse(&b).unwrap();
    assert_eq!((p.kernel, p.initrd), (&b"KK"[..], Some(&[][..])));
}

#[test]
fn bad_magic() {
    assert_eq!(err(b""), BundleError::BadMagic);
    assert_eq!(err(b"RVHGUES"), BundleError::BadMagic);
    assert_eq!(err(b"rvhguest\x01\0\0\0\0\0\0\0"), BundleError::BadMagic);
    let mut b = Bundle::write(b"K", None, "");
    b[0] = b'X';
    assert_eq!(err(&b), BundleError::BadMagic);
    assert_eq!(
        BundleError::BadMagic.to_string(),
        "guest bundle: no RVHGUEST magic at its start"
    );
}

#[test]
fn truncated_header_or_table() {
    assert_eq!(
        err(b"RVHGUEST\x01\0\0"),
        BundleError::Truncated { need: 16, len: 11 }
    );
    let b = Bundle::write(b"K", Some(b"I"), "");
    // Cut inside the second table entry.
    assert_eq!(err(&b[..50]), BundleError::Truncated { need: 64, len: 50 });
    assert_eq!(
        err(&b[..50]).to_string(),
        "guest bundle: header and section table need 64 bytes but the bundle has 50"
    );
}

#[test]
fn wrong_version() {
    for v in [0, 2, u32::MAX] {
        assert_eq!(err(&raw(v, &[], &[])), BundleError::BadVersion(v));
    }
    assert_eq!(
        BundleError::BadVersion(2).to_string(),
        "guest bundle: version 2 is not supported (need 1)"
    );
}

#[test]
fn too_many_sections() {
    // Eight entries pass the count check (and fail on the duplicate).
    let entries = [(1, 0, 0, 0); MAX_SECTIONS as usize];
    assert_eq!(
        err(&raw(1, &entries, &[])),
        BundleError::DuplicateKind {
            section: 1,
            kind: Kind::Kernel
        }
    );
    let entries = [(1, 0, 0, 0); 9];
    assert_eq!(err(&raw(1, &entries, &[])), BundleError::TooManySections(9));
    // A huge count is refused before the table is looked at.
    let mut b = raw(1, &[], &[]);
    b[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(err(&b), BundleError::TooManySections(u32::MAX));
    assert_eq!(
        BundleError::TooManySections(9).to_string(),
        "guest bundle: 9 sections, at most 8 allowed"
    );
}

#[test]
fn section_out_of_bounds_without_overflow() {
    let data = [0u8; 8];
    let len = 16 + 24 + 8;
    let cases = [
        (40, 9),       // one byte past the end
        (49, 0),       // empty, but starting past the end
        (0, 49),       // from the start, one byte too long
        (u64::MAX, 1), // offset + size overflows
        (1, u64::MAX), // size alone overflows the sum
        (u64::MAX, u64::MAX),
    ];
    for (offset, size) in cases {
        let b = raw(1, &[(1, 0, offset, size)], &data);
        assert_eq!(b.len(), len);
        assert_eq!(
            err(&b),
            BundleError::OutOfBounds {
                section: 0,
                offset,
                size,
                len
            },
            "{offset:#x} {size:#x}"
        );
    }
    let b = raw(1, &[(1, 0, 64, 2), (2, 0, 64, 9)], &data);
    assert_eq!(
        err(&b).to_string(),
        "guest bundle: section 1 (0x9 bytes at offset 0x40) lies outside the bundle (0x48 bytes)"
    );
}

#[test]
fn duplicate_kind() {
    let b = raw(1, &[(1, 0, 0, 1), (2, 0, 0, 1), (1, 0, 0, 1)], &[]);
    assert_eq!(
        err(&b),
        BundleError::DuplicateKind {
            section: 2,
            kind: Kind::Kernel
        }
    );
    let b = raw(1, &[(1, 0, 0, 1), (3, 0, 0, 1), (3, 0, 0, 1)], &[]);
    assert_eq!(
        err(&b).to_string(),
        "guest bundle: section 2: a second bootargs section"
    );
    let b = raw(1, &[(2, 0, 0, 1), (2, 0, 0, 1), (1, 0, 0, 1)], &[]);
    assert_eq!(
        err(&b),
        BundleError::DuplicateKind {
            section: 1,
            kind: Kind::Initrd
        }
    );
}

#[test]
fn unknown_kind_and_reserved_field() {
    for kind in [0, 5, u32::MAX] {
        let b = raw(1, &[(1, 0, 0, 1), (kind, 0, 0, 1)], &[]);
        assert_eq!(err(&b), BundleError::UnknownKind { section: 1, kind });
    }
    assert_eq!(
        BundleError::UnknownKind {
            section: 1,
            kind: 5
        }
        .to_string(),
        "guest bundle: section 1: unknown kind 5 (1 kernel, 2 initrd, 3 bootargs, 4 devices)"
    );
    let b = raw(1, &[(1, 1, 0, 1)], &[]);
    assert_eq!(err(&b), BundleError::ReservedNotZero { section: 0 });
}

#[test]
fn no_kernel() {
    assert_eq!(err(&raw(1, &[], &[])), BundleError::NoKernel);
    let b = raw(1, &[(2, 0, 0, 4), (3, 0, 0, 4)], &[]);
    assert_eq!(err(&b), BundleError::NoKernel);
    assert_eq!(err(&b).to_string(), "guest bundle: no kernel section");
}

#[test]
fn bootargs_must_be_utf8_without_nul() {
    let data = b"ok\xff\xfe";
    let b = raw(1, &[(1, 0, 0, 1), (3, 0, 64, 4)], data);
    assert_eq!(err(&b), BundleError::BootargsNotUtf8 { at: 2 });
    // A UTF-8 sequence cut short at the end of the section.
    let b = raw(1, &[(1, 0, 0, 1), (3, 0, 64, 2)], "aé".as_bytes());
    assert_eq!(err(&b), BundleError::BootargsNotUtf8 { at: 1 });
    let b = raw(1, &[(1, 0, 0, 1), (3, 0, 64, 3)], b"a\0b");
    assert_eq!(err(&b), BundleError::BootargsNul { at: 1 });
    assert_eq!(
        err(&b).to_string(),
        "guest bundle: bootargs contain a NUL byte (byte 1)"
    );
    assert_eq!(
        BundleError::BootargsNotUtf8 { at: 2 }.to_string(),
        "guest bundle: bootargs are not UTF-8 (byte 2)"
    );
}

#[test]
fn bootargs_at_most_bootargs_max_bytes() {
    let longest = "x".repeat(BOOTARGS_MAX);
    let b = Bundle::write(b"kernel", None, &longest);
    assert_eq!(Bundle::parse(&b).unwrap().bootargs, longest);
    let b = Bundle::write(b"kernel", None, &"x".repeat(BOOTARGS_MAX + 1));
    assert_eq!(
        err(&b),
        BundleError::BootargsTooLong {
            len: BOOTARGS_MAX + 1
        }
    );
    let b = Bundle::write(b"kernel", None, &"y".repeat(70_000));
    assert_eq!(
        err(&b).to_string(),
        "guest bundle: the bootargs are 70000 bytes, more than the 2047 a guest can take: shorten them (scripts/mkguest --append)"
    );
}

/// Every prefix and every single-byte change of a valid bundle parses or
/// is refused; nothing panics, and a parsed bundle's slices lie inside it.
#[test]
fn corruption_never_panics() {
    let b = Bundle::write(&[0x11; 40], Some(&[0x22; 17]), "quiet");
    let check = |buf: &[u8]| {
        if let Ok(p) = Bundle::parse(buf) {
            let range = buf.as_ptr_range();
            for s in [Some(p.kernel), p.initrd, Some(p.bootargs.as_bytes())]
                .into_iter()
                .flatten()
            {
                let r = s.as_ptr_range();
                assert!(s.is_empty() || (range.start <= r.start && r.end <= range.end));
            }
        }
    };
    for n in 0..=b.len() {
        check(&b[..n]);
    }
    let mut refused = 0;
    for i in 0..b.len() {
        for v in [0x00, 0x01, 0x7f, 0x80, 0xff, b[i] ^ 0x08] {
            let mut c = b.clone();
            c[i] = v;
            check(&c);
            refused += usize::from(Bundle::parse(&c).is_err());
        }
    }
    // Changing the header or table is mostly refused.
    assert!(refused > 300, "{refused}");
}

#[test]
fn device_lists_round_trip_and_bad_ones_are_refused() {
    use crate::bundle::{DEVICES_MAX, MAX_NAMED};
    let kernel = [0u8; 64];
    let b = Bundle::write_with(&kernel, None, "", Some(&["/a@1", "serial0"]));
    let p = Bundle::parse(&b).unwrap();
    assert_eq!(p.devices, Some("/a@1\nserial0"));
    assert_eq!(p.named_devices().collect::<Vec<_>>(), ["/a@1", "serial0"]);
    let p_empty = Bundle::write_with(&kernel, None, "", Some(&[]));
    assert_eq!(Bundle::parse(&p_empty).unwrap().devices, Some(""));
    assert_eq!(
        Bundle::parse(&Bundle::write(&kernel, None, ""))
            .unwrap()
            .devices,
        None
    );
    // Hand-built lists the writer would not produce.
    let with_list = |list: &[u8]| {
        raw(
            1,
            &[(1, 0, 64, 64), (4, 0, 128, list.len() as u64)],
            &[&[0u8; 64][..], list].concat(),
        )
    };
    for (list, at) in [
        (&b"/a@1\n\nb"[..], 5),
        (b"/a@1\n", 5),
        (b"/a @1", 2),
        (b"/a\0", 2),
        (b"/a\xff", 2),
    ] {
        assert_eq!(
            err(&with_list(list)),
            BundleError::BadDeviceList { at },
            "{list:?}"
        );
    }
    let long = std::vec![b'a'; DEVICES_MAX + 1];
    assert_eq!(
        err(&with_list(&long)),
        BundleError::DevicesTooLong {
            len: DEVICES_MAX + 1
        }
    );
    let many: Vec<std::string::String> = (0..=MAX_NAMED).map(|i| i.to_string()).collect();
    assert_eq!(
        err(&with_list(many.join("\n").as_bytes())),
        BundleError::TooManyDevices {
            count: MAX_NAMED + 1
        }
    );
    let most = many[..MAX_NAMED].join("\n");
    assert_eq!(
        Bundle::parse(&with_list(most.as_bytes()))
            .unwrap()
            .named_devices()
            .count(),
        MAX_NAMED
    );
}
