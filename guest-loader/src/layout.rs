// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Where the kernel, the device tree and the initrd go in guest RAM (the
//! arm64 boot protocol): the kernel at RAM base + `text_offset`, the device
//! tree in the top 2 MiB, the initrd just below it, 4 KiB aligned. All
//! addresses are IPAs; all arithmetic is checked.

use crate::image::ImageHeader;
use core::fmt;

/// Guest RAM base and size must be multiples of this.
pub const RAM_ALIGN: u64 = 2 << 20;
/// The largest tree a guest can be given (Linux's `MAX_FDT_SIZE` on
/// arm64), and the size of its region at the top of RAM.
pub const DTB_MAX: usize = 2 << 20;
const DTB_REGION: u64 = DTB_MAX as u64;
/// Alignment of the initrd's start.
pub const INITRD_ALIGN: u64 = 4 << 10;

/// Where everything goes (IPAs). `kernel + kernel_size <= dtb`, and an
/// initrd lies between the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The kernel's load address, which is also its entry point.
    pub kernel: u64,
    /// Bytes reserved for the kernel: the larger of the header's
    /// `image_size` and the file length.
    pub kernel_size: u64,
    /// The device tree: the start of the top [`DTB_MAX`] bytes of RAM.
    pub dtb: u64,
    /// The initrd as `(IPA, size)`, the form [`crate::GuestDesc`] takes.
    pub initrd: Option<(u64, u64)>,
}

/// Why a guest does not fit its RAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// RAM base or size is not a multiple of [`RAM_ALIGN`], or the size is 0.
    RamMisaligned { base: u64, size: u64 },
    /// RAM runs past the top of the 64-bit address space.
    RamOutOfRange { base: u64, size: u64 },
    /// The kernel would reach into the device tree's region (or beyond).
    KernelTooBig { kernel_end: u128, dtb: u64 },
    /// The initrd does not fit between the kernel's end and the tree.
    InitrdTooBig {
        size: usize,
        kernel_end: u64,
        dtb: u64,
    },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LayoutError::RamMisaligned { base, size } => write!(
                f,
                "guest RAM {size:#x} bytes at {base:#x}: base and size must be non-zero multiples of 2 MiB"
            ),
            LayoutError::RamOutOfRange { base, size } => write!(
                f,
                "guest RAM {size:#x} bytes at {base:#x} runs past the top of the address space"
            ),
            LayoutError::KernelTooBig { kernel_end, dtb } => write!(
                f,
                "guest kernel would end at {kernel_end:#x}, past the device tree at {dtb:#x}: give the guest more RAM"
            ),
            LayoutError::InitrdTooBig {
                size,
                kernel_end,
                dtb,
            } => write!(
                f,
                "guest initrd ({size:#x} bytes) does not fit between the kernel's end {kernel_end:#x} and the device tree at {dtb:#x}: give the guest more RAM"
            ),
        }
    }
}

impl Layout {
    /// Plans guest RAM `[ram_base, ram_base + ram_size)` for a kernel of
    /// `kernel_len` bytes with header `header`, and an initrd of
    /// `initrd_len` bytes if there is one.
    pub fn plan(
        ram_base: u64,
        ram_size: u64,
        header: &ImageHeader,
        kernel_len: usize,
        initrd_len: Option<usize>,
    ) -> Result<Layout, LayoutError> {
        let (base, size) = (ram_base, ram_size);
        if size == 0 || !base.is_multiple_of(RAM_ALIGN) || !size.is_multiple_of(RAM_ALIGN) {
            return Err(LayoutError::RamMisaligned { base, size });
        }
        let ram_end = base
            .checked_add(size)
            .ok_or(LayoutError::RamOutOfRange { base, size })?;
        // size >= RAM_ALIGN == DTB_REGION.
        let dtb = ram_end - DTB_REGION;
        let kernel_size = header.effective_size(kernel_len);
        let wide_end = u128::from(base) + u128::from(header.text_offset) + u128::from(kernel_size);
        if wide_end > u128::from(dtb) {
            return Err(LayoutError::KernelTooBig {
                kernel_end: wide_end,
                dtb,
            });
        }
        // Both fit below `dtb` now.
        let kernel = base + header.text_offset;
        let kernel_end = kernel + kernel_size;
        let initrd = match initrd_len {
            None => None,
            Some(len) => {
                let too_big = LayoutError::InitrdTooBig {
                    size: len,
                    kernel_end,
                    dtb,
                };
                let start = u64::try_from(len)
                    .ok()
                    .and_then(|l| dtb.checked_sub(l))
                    .map(|s| s & !(INITRD_ALIGN - 1))
                    .filter(|&s| s >= kernel_end)
                    .ok_or(too_big)?;
                Some((start, len as u64))
            }
        };
        Ok(Layout {
            kernel,
            kernel_size,
            dtb,
            initrd,
        })
    }
}
