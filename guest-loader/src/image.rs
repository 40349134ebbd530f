// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The arm64 `Image` header (Linux `Documentation/arch/arm64/booting.rst`):
//! the 64 bytes at the start of a Linux kernel, and of this project's
//! bare-metal guests, that say where the image wants to sit in RAM and how
//! much room it needs.
//!
//! ```text
//! offset  0  u32 code0        offset 24  u64 flags (LE)
//! offset  4  u32 code1        offset 32  u64 res2, res3, res4
//! offset  8  u64 text_offset  offset 56  u32 magic "ARM\x64"
//! offset 16  u64 image_size   offset 60  u32 res5 (PE header offset)
//! ```

use core::fmt;

/// Length of the header.
pub const HEADER_LEN: usize = 64;
/// `"ARM\x64"`, little-endian at offset 56.
pub const MAGIC: [u8; 4] = *b"ARM\x64";
const MAGIC_OFFSET: usize = 56;
/// `flags` bit 0: the kernel is big-endian.
pub const FLAG_BIG_ENDIAN: u64 = 1;

/// What the loader needs from the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageHeader {
    /// Where the image goes, from a 2 MiB-aligned RAM base.
    pub text_offset: u64,
    /// Bytes the image needs from its load address, bss included; 0 if the
    /// header does not say (use the file size).
    pub image_size: u64,
    pub flags: u64,
}

/// Why a file is not a bootable arm64 `Image`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// Shorter than the 64-byte header.
    TooShort { len: usize },
    /// No `ARM\x64` at offset 56.
    BadMagic,
    /// `flags` bit 0 is set: a big-endian kernel.
    BigEndian,
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ImageError::TooShort { len } => write!(
                f,
                "not an arm64 Image: {len} bytes, shorter than the {HEADER_LEN}-byte header"
            ),
            ImageError::BadMagic => write!(
                f,
                "not an arm64 Image: no \"ARM\\x64\" magic at offset 56 (an ELF vmlinux or a compressed Image.gz?)"
            ),
            ImageError::BigEndian => write!(
                f,
                "arm64 Image is big-endian (flags bit 0): only little-endian guests are supported"
            ),
        }
    }
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut v = [0; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

impl ImageHeader {
    /// Reads the header at the start of `kernel`. `text_offset` is always
    /// read as little-endian: kernels before 3.17 (`image_size` 0) left its
    /// endianness unspecified, but a little-endian one holds 0x80000 either
    /// way, and a bare-metal guest with `image_size` 0 gets the offset it
    /// asked for. Big-endian kernels are refused (old ones cannot be told
    /// apart, having no flags, and will not boot).
    pub fn parse(kernel: &[u8]) -> Result<ImageHeader, ImageError> {
        let Some(h) = kernel.get(..HEADER_LEN) else {
            return Err(ImageError::TooShort { len: kernel.len() });
        };
        if h[MAGIC_OFFSET..MAGIC_OFFSET + 4] != MAGIC {
            return Err(ImageError::BadMagic);
        }
        let (image_size, flags) = (le64(h, 16), le64(h, 24));
        if flags & FLAG_BIG_ENDIAN != 0 {
            return Err(ImageError::BigEndian);
        }
        Ok(ImageHeader {
            text_offset: le64(h, 8),
            image_size,
            flags,
        })
    }

    /// Bytes the kernel occupies from its load address: the larger of
    /// `image_size` and the file's length.
    pub fn effective_size(&self, kernel_len: usize) -> u64 {
        self.image_size.max(kernel_len as u64)
    }
}
