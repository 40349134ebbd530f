// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The arm64 Image header: fields, old kernels, and what is refused.

use crate::image::{ImageError, ImageHeader, HEADER_LEN};
use std::string::ToString;
use std::vec::Vec;

/// A header with these fields, followed by `extra` bytes.
pub(super) fn image(text_offset: u64, image_size: u64, flags: u64, extra: usize) -> Vec<u8> {
    let mut h = std::vec![0u8; HEADER_LEN + extra];
    h[0..4].copy_from_slice(&0x1400_0010u32.to_le_bytes()); // b +0x40
    h[8..16].copy_from_slice(&text_offset.to_le_bytes());
    h[16..24].copy_from_slice(&image_size.to_le_bytes());
    h[24..32].copy_from_slice(&flags.to_le_bytes());
    h[56..60].copy_from_slice(b"ARM\x64");
    h
}

#[test]
fn reads_the_fields() {
    let k = image(0x8_0000, 0x1234_5000, 0b1010, 100);
    assert_eq!(
        ImageHeader::parse(&k),
        Ok(ImageHeader {
            text_offset: 0x8_0000,
            image_size: 0x1234_5000,
            flags: 0b1010
        })
    );
    // Exactly the header is enough.
    let k = image(0, 64, 0, 0);
    assert_eq!(ImageHeader::parse(&k).unwrap().text_offset, 0);
}

#[test]
fn effective_size_is_the_larger_of_image_size_and_file() {
    let h = ImageHeader::parse(&image(0, 0x3000, 0, 0)).unwrap();
    assert_eq!(h.effective_size(0x1000), 0x3000);
    assert_eq!(h.effective_size(0x4000), 0x4000);
    // image_size 0 (kernels before 3.17): the file size.
    let old = ImageHeader::parse(&image(0x8_0000, 0, 0, 0)).unwrap();
    assert_eq!((old.text_offset, old.image_size), (0x8_0000, 0));
    assert_eq!(old.effective_size(0x12_3456), 0x12_3456);
}

#[test]
fn too_short() {
    let k = image(0, 0, 0, 0);
    for len in [0, 1, 56, 63] {
        assert_eq!(
            ImageHeader::parse(&k[..len]),
            Err(ImageError::TooShort { len })
        );
    }
    assert_eq!(
        ImageError::TooShort { len: 63 }.to_string(),
        "not an arm64 Image: 63 bytes, shorter than the 64-byte header"
    );
}

#[test]
fn bad_magic() {
    for (at, v) in [(56, b'a'), (59, 0x65), (57, 0)] {
        let mut k = image(0, 0x1000, 0, 0);
        k[at] = v;
        assert_eq!(ImageHeader::parse(&k), Err(ImageError::BadMagic));
    }
    // An ELF file.
    let mut elf = std::vec![0u8; 128];
    elf[..4].copy_from_slice(b"\x7fELF");
    assert_eq!(ImageHeader::parse(&elf), Err(ImageError::BadMagic));
    let msg = ImageError::BadMagic.to_string();
    assert!(msg.starts_with("not an arm64 Image: no \"ARM\\x64\" magic at offset 56"));
}

#[test]
fn big_endian_is_refused() {
    for flags in [1, 0b1011, u64::MAX] {
        assert_eq!(
            ImageHeader::parse(&image(0, 0x1000, flags, 0)),
            Err(ImageError::BigEndian)
        );
    }
    assert!(!ImageError::BigEndian.to_string().contains('\n'));
}
