// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The guest bundle: the one file the boot loader loads as the initrd, with
//! the guest's kernel, its optional initrd, its command line and the host
//! devices it is given.
//!
//! Format (little-endian): the magic `RVHGUEST`, a `u32` version (1), a
//! `u32` section count (at most [`MAX_SECTIONS`]), then one 24-byte entry
//! per section: `u32` kind, `u32` reserved (0), `u64` offset from the
//! bundle's start, `u64` size. Exactly one kernel section; at most one of
//! each kind; bootargs of at most [`BOOTARGS_MAX`] bytes; a device list of
//! at most [`DEVICES_MAX`] bytes naming at most [`MAX_NAMED`] devices. The
//! writer 8-byte aligns section data; the parser does not rely on it. This module owns the format: parsing is total (every input
//! gives a [`Bundle`] or a [`BundleError`], with checked arithmetic).

use alloc::vec::Vec;
use core::fmt;

/// The first 8 bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"RVHGUEST";
/// The format version this code reads and writes.
pub const VERSION: u32 = 1;
/// Most sections a bundle may list.
pub const MAX_SECTIONS: u32 = 8;
/// Longest bootargs section, in bytes: Linux on arm64 copies
/// `/chosen/bootargs` into a `COMMAND_LINE_SIZE` (2048) buffer with its
/// NUL and silently cuts anything longer, so 2047 is all a guest can take.
/// The limit also bounds the guest device tree the hypervisor builds on its
/// heap with these bytes in it.
pub const BOOTARGS_MAX: usize = 2047;
/// Longest device-list section, in bytes.
pub const DEVICES_MAX: usize = 1024;
/// Most devices a device list names.
pub const MAX_NAMED: usize = 32;
const HEADER_LEN: usize = 16;
const ENTRY_LEN: usize = 24;
/// Alignment of section data in bundles [`Bundle::write`] produces.
const DATA_ALIGN: usize = 8;

/// What a section holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Kind {
    /// An arm64 `Image` (see [`crate::image`]).
    Kernel = 1,
    /// The guest's initrd, handed over untouched.
    Initrd = 2,
    /// The guest's command line: UTF-8, no NUL.
    Bootargs = 3,
    /// The host devices the guest is given besides its console: UTF-8,
    /// one device per line (an absolute node path or an alias of the host
    /// device tree), no NUL, no empty line. Empty: none. Without this
    /// section the hypervisor gives its default set.
    Devices = 4,
}

impl Kind {
    fn from_u32(v: u32) -> Option<Kind> {
        match v {
            1 => Some(Kind::Kernel),
            2 => Some(Kind::Initrd),
            3 => Some(Kind::Bootargs),
            4 => Some(Kind::Devices),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Kernel => "kernel",
            Kind::Initrd => "initrd",
            Kind::Bootargs => "bootargs",
            Kind::Devices => "devices",
        }
    }
}

/// A parsed bundle: slices of the buffer it was parsed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bundle<'a> {
    pub kernel: &'a [u8],
    pub initrd: Option<&'a [u8]>,
    /// `""` if the bundle has no bootargs section.
    pub bootargs: &'a str,
    /// The device list, one per line; `None` without a devices section
    /// (the hypervisor's default set).
    pub devices: Option<&'a str>,
}

impl<'a> Bundle<'a> {
    /// The devices the list names, in order.
    pub fn named_devices(&self) -> impl Iterator<Item = &'a str> {
        self.devices.unwrap_or("").lines()
    }
}

/// Why a buffer is not a bundle. `section` is the 0-based index of the
/// entry in the section table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleError {
    /// The first 8 bytes are not `RVHGUEST` (or there are fewer than 8).
    BadMagic,
    /// The header or the section table runs past the end of the buffer.
    Truncated {
        need: usize,
        len: usize,
    },
    BadVersion(u32),
    TooManySections(u32),
    /// An entry's reserved word is not 0.
    ReservedNotZero {
        section: usize,
    },
    UnknownKind {
        section: usize,
        kind: u32,
    },
    DuplicateKind {
        section: usize,
        kind: Kind,
    },
    /// A section's bytes do not lie inside the bundle.
    OutOfBounds {
        section: usize,
        offset: u64,
        size: u64,
        len: usize,
    },
    NoKernel,
    /// The bootargs are not UTF-8; `at` is the first bad byte.
    BootargsNotUtf8 {
        at: usize,
    },
    /// The bootargs contain a NUL byte at `at`.
    BootargsNul {
        at: usize,
    },
    /// The bootargs are `len` bytes, more than [`BOOTARGS_MAX`].
    BootargsTooLong {
        len: usize,
    },
    /// The device list is `len` bytes, more than [`DEVICES_MAX`].
    DevicesTooLong {
        len: usize,
    },
    /// The device list names more than [`MAX_NAMED`] devices.
    TooManyDevices {
        count: usize,
    },
    /// The device list is not UTF-8 or holds a NUL, an empty line or a
    /// space; `at` is the first bad byte.
    BadDeviceList {
        at: usize,
    },
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = "guest bundle";
        match *self {
            BundleError::BadMagic => write!(f, "{head}: no RVHGUEST magic at its start"),
            BundleError::Truncated { need, len } => write!(
                f,
                "{head}: header and section table need {need} bytes but the bundle has {len}"
            ),
            BundleError::BadVersion(v) => {
                write!(f, "{head}: version {v} is not supported (need {VERSION})")
            }
            BundleError::TooManySections(n) => {
                write!(f, "{head}: {n} sections, at most {MAX_SECTIONS} allowed")
            }
            BundleError::ReservedNotZero { section } => {
                write!(f, "{head}: section {section}: reserved field is not 0")
            }
            BundleError::UnknownKind { section, kind } => write!(
                f,
                "{head}: section {section}: unknown kind {kind} (1 kernel, 2 initrd, 3 bootargs, 4 devices)"
            ),
            BundleError::DuplicateKind { section, kind } => write!(
                f,
                "{head}: section {section}: a second {} section",
                kind.name()
            ),
            BundleError::OutOfBounds {
                section,
                offset,
                size,
                len,
            } => write!(
                f,
                "{head}: section {section} ({size:#x} bytes at offset {offset:#x}) lies outside the bundle ({len:#x} bytes)"
            ),
            BundleError::NoKernel => write!(f, "{head}: no kernel section"),
            BundleError::BootargsNotUtf8 { at } => {
                write!(f, "{head}: bootargs are not UTF-8 (byte {at})")
            }
            BundleError::BootargsNul { at } => {
                write!(f, "{head}: bootargs contain a NUL byte (byte {at})")
            }
            BundleError::BootargsTooLong { len } => write!(
                f,
                "{head}: the bootargs are {len} bytes, more than the {BOOTARGS_MAX} a guest can take: shorten them (scripts/mkguest --append)"
            ),
            BundleError::DevicesTooLong { len } => write!(
                f,
                "{head}: the device list is {len} bytes, more than {DEVICES_MAX}: name fewer devices (scripts/mkguest --device)"
            ),
            BundleError::TooManyDevices { count } => write!(
                f,
                "{head}: the device list names {count} devices, more than {MAX_NAMED}: name fewer (scripts/mkguest --device)"
            ),
            BundleError::BadDeviceList { at } => write!(
                f,
                "{head}: the device list is not one node path or alias per line (byte {at}): rewrite it with scripts/mkguest --device"
            ),
        }
    }
}

fn le32(b: &[u8], at: usize) -> u32 {
    let mut v = [0; 4];
    v.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(v)
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut v = [0; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

impl<'a> Bundle<'a> {
    /// Parses a bundle. `bytes` is exactly the bundle (the initrd range the
    /// boot loader reported); a longer buffer is fine, sections are only
    /// checked against its end.
    pub fn parse(bytes: &'a [u8]) -> Result<Bundle<'a>, BundleError> {
        if bytes.get(..MAGIC.len()) != Some(&MAGIC[..]) {
            return Err(BundleError::BadMagic);
        }
        let truncated = |need| BundleError::Truncated {
            need,
            len: bytes.len(),
        };
        if bytes.len() < HEADER_LEN {
            return Err(truncated(HEADER_LEN));
        }
        let version = le32(bytes, 8);
        if version != VERSION {
            return Err(BundleError::BadVersion(version));
        }
        let count = le32(bytes, 12);
        if count > MAX_SECTIONS {
            return Err(BundleError::TooManySections(count));
        }
        // At most 16 + 8 * 24 bytes: no overflow.
        let table_end = HEADER_LEN + count as usize * ENTRY_LEN;
        if bytes.len() < table_end {
            return Err(truncated(table_end));
        }
        let mut found: [Option<&'a [u8]>; 4] = [None; 4];
        for section in 0..count as usize {
            let e = HEADER_LEN + section * ENTRY_LEN;
            let raw_kind = le32(bytes, e);
            let kind = Kind::from_u32(raw_kind).ok_or(BundleError::UnknownKind {
                section,
                kind: raw_kind,
            })?;
            if le32(bytes, e + 4) != 0 {
                return Err(BundleError::ReservedNotZero { section });
            }
            let (offset, size) = (le64(bytes, e + 8), le64(bytes, e + 16));
            let data = usize::try_from(offset)
                .ok()
                .zip(usize::try_from(size).ok())
                .and_then(|(o, s)| bytes.get(o..o.checked_add(s)?))
                .ok_or(BundleError::OutOfBounds {
                    section,
                    offset,
                    size,
                    len: bytes.len(),
                })?;
            let slot = &mut found[kind as usize - 1];
            if slot.is_some() {
                return Err(BundleError::DuplicateKind { section, kind });
            }
            *slot = Some(data);
        }
        let [kernel, initrd, bootargs, devices] = found;
        let kernel = kernel.ok_or(BundleError::NoKernel)?;
        let bootargs = match bootargs {
            None => "",
            Some(b) if b.len() > BOOTARGS_MAX => {
                return Err(BundleError::BootargsTooLong { len: b.len() })
            }
            Some(b) => {
                let s = core::str::from_utf8(b).map_err(|e| BundleError::BootargsNotUtf8 {
                    at: e.valid_up_to(),
                })?;
                if let Some(at) = b.iter().position(|&c| c == 0) {
                    return Err(BundleError::BootargsNul { at });
                }
                s
            }
        };
        let devices = devices.map(device_list).transpose()?;
        Ok(Bundle {
            kernel,
            initrd,
            bootargs,
            devices,
        })
    }

    /// Writes a bundle: the kernel, then the initrd (if any), then the
    /// bootargs (if not empty), then the device list (if given: `devices`
    /// joined by newlines), each 8-byte aligned. Sizes are not checked
    /// (tests write bundles the parser refuses): [`Bundle::parse`] the
    /// result to find out whether a hypervisor takes it.
    ///
    /// # Panics
    /// If `bootargs` contains a NUL byte (the format forbids it).
    pub fn write(kernel: &[u8], initrd: Option<&[u8]>, bootargs: &str) -> Vec<u8> {
        Bundle::write_with(kernel, initrd, bootargs, None)
    }

    /// [`Bundle::write`], with a device list if `devices` is `Some`.
    pub fn write_with(
        kernel: &[u8],
        initrd: Option<&[u8]>,
        bootargs: &str,
        devices: Option<&[&str]>,
    ) -> Vec<u8> {
        assert!(
            !bootargs.contains('\0'),
            "guest bundle bootargs may not contain NUL"
        );
        let mut sections: Vec<(Kind, &[u8])> = Vec::new();
        sections.push((Kind::Kernel, kernel));
        if let Some(initrd) = initrd {
            sections.push((Kind::Initrd, initrd));
        }
        if !bootargs.is_empty() {
            sections.push((Kind::Bootargs, bootargs.as_bytes()));
        }
        let list = devices.map(|d| d.join("\n"));
        if let Some(list) = &list {
            sections.push((Kind::Devices, list.as_bytes()));
        }
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
        let mut at = HEADER_LEN + sections.len() * ENTRY_LEN;
        for (kind, data) in &sections {
            out.extend_from_slice(&(*kind as u32).to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&(at as u64).to_le_bytes());
            out.extend_from_slice(&(data.len() as u64).to_le_bytes());
            at = (at + data.len()).next_multiple_of(DATA_ALIGN);
        }
        for (_, data) in &sections {
            out.extend_from_slice(data);
            out.resize(out.len().next_multiple_of(DATA_ALIGN), 0);
        }
        out
    }
}

/// Checks a device-list section: UTF-8, at most [`DEVICES_MAX`] bytes, at
/// most [`MAX_NAMED`] lines, none empty, no NUL or whitespace in a line.
fn device_list(b: &[u8]) -> Result<&str, BundleError> {
    if b.len() > DEVICES_MAX {
        return Err(BundleError::DevicesTooLong { len: b.len() });
    }
    let s = core::str::from_utf8(b).map_err(|e| BundleError::BadDeviceList {
        at: e.valid_up_to(),
    })?;
    let mut start = 0;
    let mut count = 0;
    for line in s.split('\n') {
        let bad = line
            .bytes()
            .position(|c| c == 0 || c.is_ascii_whitespace())
            .or(line.is_empty().then_some(0));
        if let (false, Some(at)) = (s.is_empty(), bad) {
            return Err(BundleError::BadDeviceList { at: start + at });
        }
        start += line.len() + 1;
        count += 1;
    }
    if count > MAX_NAMED {
        return Err(BundleError::TooManyDevices { count });
    }
    Ok(s)
}
