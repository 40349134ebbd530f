// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Placement in guest RAM: the usual case, exact fits, one byte too many,
//! and inputs that would overflow.

use super::image::image;
use crate::image::ImageHeader;
use crate::layout::{Layout, LayoutError, DTB_MAX};
use std::string::ToString;

const MIB: u64 = 1 << 20;
const RAM: u64 = 0x4000_0000;
const SIZE: u64 = 512 * MIB;
const DTB_REGION: u64 = DTB_MAX as u64;
const DTB: u64 = RAM + SIZE - DTB_REGION;

fn header(text_offset: u64, image_size: u64) -> ImageHeader {
    ImageHeader::parse(&image(text_offset, image_size, 0, 0)).unwrap()
}

fn plan(h: &ImageHeader, kernel_len: usize, initrd: Option<usize>) -> Result<Layout, LayoutError> {
    Layout::plan(RAM, SIZE, h, kernel_len, initrd)
}

/// `(kernel, kernel_size, dtb)`.
fn placed(l: &Layout) -> (u64, u64, u64) {
    (l.kernel, l.kernel_size, l.dtb)
}

#[test]
fn usual_linux_guest() {
    let h = header(0, 12 * MIB);
    let l = plan(&h, 10 * MIB as usize, Some(5000)).unwrap();
    assert_eq!(placed(&l), (RAM, 12 * MIB, 0x5fe0_0000));
    // 0x5fe00000 - 5000 = 0x5fdfec78, rounded down to 4 KiB.
    assert_eq!(l.initrd, Some((0x5fdf_e000, 5000)));
    // No initrd.
    assert_eq!(plan(&h, 100, None).unwrap().initrd, None);
    // An empty one sits at the tree.
    assert_eq!(plan(&h, 100, Some(0)).unwrap().initrd, Some((DTB, 0)));
}

#[test]
fn text_offset_and_effective_size() {
    let l = plan(&header(0x8_0000, 0x1000), 0x5000, None).unwrap();
    assert_eq!(placed(&l), (RAM + 0x8_0000, 0x5000, DTB));
    let l = plan(&header(0x8_0000, 0x9000), 0x5000, None).unwrap();
    assert_eq!(placed(&l), (RAM + 0x8_0000, 0x9000, DTB));
    // image_size 0: the file length.
    let l = plan(&header(0, 0), 0x5000, None).unwrap();
    assert_eq!(placed(&l), (RAM, 0x5000, DTB));
}

#[test]
fn kernel_up_to_the_tree_fits_one_byte_more_does_not() {
    let room = (DTB - RAM) as usize;
    let h = header(0, 0);
    let l = plan(&h, room, None).unwrap();
    assert_eq!(l.kernel + l.kernel_size, DTB);
    let e = plan(&h, room + 1, None).unwrap_err();
    assert_eq!(
        e,
        LayoutError::KernelTooBig {
            kernel_end: u128::from(DTB) + 1,
            dtb: DTB
        }
    );
    assert_eq!(
        e.to_string(),
        "guest kernel would end at 0x5fe00001, past the device tree at 0x5fe00000: give the guest more RAM"
    );
    // image_size decides when it is the larger.
    let h = header(0x10_0000, DTB - RAM - 0x10_0000 + 1);
    assert!(matches!(
        plan(&h, 64, None),
        Err(LayoutError::KernelTooBig { .. })
    ));
    // No kernel fits in RAM that is all device tree.
    assert!(matches!(
        Layout::plan(RAM, DTB_REGION, &header(0, 0), 64, None),
        Err(LayoutError::KernelTooBig { .. })
    ));
}

#[test]
fn initrd_fills_the_gap_exactly_or_is_refused() {
    // Kernel ends 4 KiB aligned, 8 KiB below the tree.
    let h = header(0, 0);
    let kernel = (DTB - RAM - 0x2000) as usize;
    let l = plan(&h, kernel, Some(0x2000)).unwrap();
    assert_eq!(l.initrd, Some((DTB - 0x2000, 0x2000)));
    let e = plan(&h, kernel, Some(0x2001)).unwrap_err();
    assert_eq!(
        e,
        LayoutError::InitrdTooBig {
            size: 0x2001,
            kernel_end: DTB - 0x2000,
            dtb: DTB
        }
    );
    assert!(!e.to_string().contains('\n'));
    // Kernel ends 1 byte into a page: 8191 bytes of room, but an initrd
    // of 8191 bytes would start 4 KiB aligned below the kernel's end.
    let kernel = (DTB - RAM - 0x1fff) as usize;
    assert_eq!(
        plan(&h, kernel, Some(0x1000)).unwrap().initrd,
        Some((DTB - 0x1000, 0x1000))
    );
    assert!(matches!(
        plan(&h, kernel, Some(0x1fff)),
        Err(LayoutError::InitrdTooBig { .. })
    ));
    // Absurd sizes are refused, not wrapped.
    assert!(matches!(
        plan(&h, 64, Some(usize::MAX)),
        Err(LayoutError::InitrdTooBig { .. })
    ));
}

#[test]
fn ram_must_be_2_mib_aligned_and_inside_the_address_space() {
    let h = header(0, 0);
    for (base, size) in [(RAM + 0x1000, SIZE), (RAM, SIZE - 0x1000), (RAM, 0)] {
        assert_eq!(
            Layout::plan(base, size, &h, 64, None),
            Err(LayoutError::RamMisaligned { base, size })
        );
    }
    let base = u64::MAX - 2 * MIB + 1;
    assert_eq!(
        Layout::plan(base, 4 * MIB, &h, 64, None),
        Err(LayoutError::RamOutOfRange {
            base,
            size: 4 * MIB
        })
    );
    // RAM ending just below the top of the address space works.
    let base = u64::MAX - 8 * MIB + 1;
    let l = Layout::plan(base, 6 * MIB, &h, 64, Some(10)).unwrap();
    assert_eq!(l.dtb, base + 4 * MIB);
    assert_eq!(l.initrd, Some((base + 4 * MIB - 0x1000, 10)));
    assert_eq!(
        LayoutError::RamMisaligned { base: 1, size: 2 }.to_string(),
        "guest RAM 0x2 bytes at 0x1: base and size must be non-zero multiples of 2 MiB"
    );
}

#[test]
fn huge_text_offset_does_not_overflow() {
    let h = header(u64::MAX, 1);
    assert_eq!(
        plan(&h, 64, None),
        Err(LayoutError::KernelTooBig {
            kernel_end: u128::from(RAM) + u128::from(u64::MAX) + 64,
            dtb: DTB
        })
    );
}
