// SPDX-License-Identifier: Apache-2.0 OR MIT
//! The flattened device tree blob: header, memory reservation map and one
//! validating pass over the structure block.
//!
//! [`Fdt::new`] checks everything later reads rely on (bounds, token order,
//! UTF-8 names, property name offsets, nesting depth), so the node and
//! property iterators in [`crate::node`] cannot fail afterwards: if they ever
//! met something unexpected they would end early rather than panic.

use crate::error::Error;
use crate::node::Node;
use crate::range::Range;

/// The FDT magic number, big-endian at offset 0.
pub const FDT_MAGIC: u32 = 0xd00d_feed;
/// Largest blob accepted: 2 MiB, Linux's limit on arm64 (`MAX_FDT_SIZE`).
pub const MAX_DTB_SIZE: usize = 2 << 20;
/// Deepest node nesting accepted (the root is depth 1). Real trees stay
/// under 8; the walk in [`crate::walk`] recurses once per level.
pub const MAX_DEPTH: usize = 16;

const HEADER_LEN: usize = 40;
pub(crate) const FDT_BEGIN_NODE: u32 = 1;
pub(crate) const FDT_END_NODE: u32 = 2;
pub(crate) const FDT_PROP: u32 = 3;
pub(crate) const FDT_NOP: u32 = 4;
pub(crate) const FDT_END: u32 = 9;

/// Reads the big-endian `u32` at `off`, if it is inside `bytes`.
pub(crate) fn be32(bytes: &[u8], off: usize) -> Option<u32> {
    let b = bytes.get(off..off.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be64(bytes: &[u8], off: usize) -> Option<u64> {
    Some((u64::from(be32(bytes, off)?) << 32) | u64::from(be32(bytes, off + 4)?))
}

/// Rounds up to the 4-byte token alignment.
pub(crate) const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// The blob's `totalsize`, read from its first 8 bytes, if they start with
/// the FDT magic and the size is plausible (header size up to
/// [`MAX_DTB_SIZE`]). The hypervisor reads these 8 bytes at the address in
/// x0 to know how long a slice to make.
pub fn dtb_size(header: &[u8; 8]) -> Option<usize> {
    if be32(header, 0)? != FDT_MAGIC {
        return None;
    }
    let size = usize::try_from(be32(header, 4)?).ok()?;
    (HEADER_LEN..=MAX_DTB_SIZE).contains(&size).then_some(size)
}

/// A validated device tree blob.
#[derive(Clone, Copy, Debug)]
pub struct Fdt<'a> {
    total: usize,
    rsvmap: &'a [u8],
    pub(crate) structs: &'a [u8],
    pub(crate) strings: &'a [u8],
}

fn malformed<'a>(what: &'static str, offset: usize) -> Error<'a> {
    Error::Malformed { what, offset }
}

impl<'a> Fdt<'a> {
    /// Checks the header and the whole structure block. `dtb` may be longer
    /// than the blob's `totalsize`; the rest is ignored.
    pub fn new(dtb: &'a [u8]) -> Result<Self, Error<'a>> {
        let field = |i: usize| be32(dtb, 4 * i).ok_or(malformed("header is truncated", 0));
        if field(0)? != FDT_MAGIC {
            return Err(malformed("no FDT magic 0xd00dfeed", 0));
        }
        let total = field(1)? as usize;
        if total < HEADER_LEN || total > dtb.len() || total > MAX_DTB_SIZE {
            return Err(malformed(
                "totalsize is smaller than the header, larger than the buffer or over 2 MiB",
                4,
            ));
        }
        let blob = &dtb[..total];
        let (off_struct, off_strings, off_rsvmap) =
            (field(2)? as usize, field(3)? as usize, field(4)? as usize);
        let (version, last_comp) = (field(5)?, field(6)?);
        if version < 17 || last_comp > 17 {
            return Err(Error::BadVersion { version, last_comp });
        }
        let (size_strings, size_struct) = (field(8)? as usize, field(9)? as usize);
        let section = |off: usize, size: usize, what| {
            off.checked_add(size)
                .and_then(|end| blob.get(off..end))
                .ok_or(malformed(what, 0))
        };
        let structs = section(
            off_struct,
            size_struct,
            "structure block lies outside the blob",
        )?;
        let strings = section(
            off_strings,
            size_strings,
            "strings block lies outside the blob",
        )?;
        let rsvmap = blob
            .get(off_rsvmap..)
            .ok_or(malformed("reservation map lies outside the blob", 16))?;
        if !off_struct.is_multiple_of(4) || !off_rsvmap.is_multiple_of(8) {
            return Err(malformed(
                "structure block or reservation map is misaligned",
                8,
            ));
        }
        let fdt = Fdt {
            total,
            rsvmap,
            structs,
            strings,
        };
        fdt.check_reservations(off_rsvmap)?;
        fdt.check_structure(off_struct)?;
        Ok(fdt)
    }

    /// The blob's `totalsize`.
    pub fn total_size(&self) -> usize {
        self.total
    }

    /// The root node.
    pub fn root(&self) -> Node<'a> {
        // `check_structure` found a root BEGIN_NODE after any NOPs.
        let mut pos = 0;
        while be32(self.structs, pos) == Some(FDT_NOP) {
            pos += 4;
        }
        Node::at(*self, pos)
    }

    /// The `/memreserve/` entries, in blob order (empty ones included).
    pub fn reservations(&self) -> impl Iterator<Item = Range> + 'a {
        let map = self.rsvmap;
        (0..)
            .map(move |i| (be64(map, 16 * i), be64(map, 16 * i + 8)))
            .map_while(|pair| match pair {
                (Some(base), Some(size)) if (base, size) != (0, 0) => Some(Range::new(base, size)),
                _ => None,
            })
    }

    /// Every node, in blob order (depth-first), without ancestry.
    pub fn nodes(&self) -> impl Iterator<Item = Node<'a>> + 'a {
        let fdt = *self;
        let mut pos = 0;
        core::iter::from_fn(move || loop {
            let token = be32(fdt.structs, pos)?;
            match token {
                FDT_BEGIN_NODE => {
                    let node = Node::at(fdt, pos);
                    pos = node.props_offset();
                    return Some(node);
                }
                FDT_PROP => {
                    let len = be32(fdt.structs, pos + 4)? as usize;
                    pos += 12 + align4(len);
                }
                FDT_END_NODE | FDT_NOP => pos += 4,
                _ => return None,
            }
        })
    }

    /// The NUL-terminated string at `off` in the strings block.
    pub(crate) fn string_at(&self, off: usize) -> Option<&'a str> {
        cstr(self.strings.get(off..)?)
    }

    fn check_reservations(&self, base: usize) -> Result<(), Error<'a>> {
        let mut i = 0;
        loop {
            match (be64(self.rsvmap, i), be64(self.rsvmap, i + 8)) {
                (Some(0), Some(0)) => return Ok(()),
                (Some(_), Some(_)) => i += 16,
                _ => {
                    return Err(malformed(
                        "reservation map has no terminating entry",
                        base + i,
                    ))
                }
            }
        }
    }

    fn check_structure(&self, base: usize) -> Result<(), Error<'a>> {
        let s = self.structs;
        let bad = |what, pos: usize| malformed(what, base + pos);
        let mut pos = 0;
        let mut depth = 0usize;
        let mut root_done = false;
        // Set when a child ends: the parent may not have properties after it.
        let mut after_child = false;
        loop {
            let token = be32(s, pos).ok_or(bad("structure block ends without FDT_END", pos))?;
            match token {
                FDT_NOP => pos += 4,
                FDT_BEGIN_NODE => {
                    if root_done {
                        return Err(bad("a second root node", pos));
                    }
                    let name = s.get(pos + 4..).and_then(cstr);
                    let name =
                        name.ok_or(bad("node name is not a NUL-terminated UTF-8 string", pos))?;
                    if depth == 0 && !name.is_empty() {
                        return Err(bad("root node has a name", pos));
                    }
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(Error::TooDeep {
                            node: name,
                            limit: MAX_DEPTH,
                        });
                    }
                    pos = align4(pos + 4 + name.len() + 1);
                    after_child = false;
                }
                FDT_PROP => {
                    let len = be32(s, pos + 4).ok_or(bad("truncated property", pos))? as usize;
                    let nameoff = be32(s, pos + 8).ok_or(bad("truncated property", pos))? as usize;
                    if depth == 0 || after_child {
                        return Err(bad("property outside a node or after a subnode", pos));
                    }
                    self.string_at(nameoff)
                        .ok_or(bad("property name offset is not a valid string", pos))?;
                    let end = (pos + 12).checked_add(len).filter(|&e| e <= s.len());
                    pos = align4(
                        end.ok_or(bad("property value runs past the structure block", pos))?,
                    );
                }
                FDT_END_NODE => {
                    depth = depth
                        .checked_sub(1)
                        .ok_or(bad("FDT_END_NODE without a node", pos))?;
                    root_done = depth == 0;
                    after_child = true;
                    pos += 4;
                }
                FDT_END if root_done => return Ok(()),
                FDT_END => return Err(bad("FDT_END inside a node or before the root", pos)),
                _ => return Err(bad("unknown structure token", pos)),
            }
        }
    }
}

/// The UTF-8 string before the first NUL in `bytes`.
pub(crate) fn cstr(bytes: &[u8]) -> Option<&str> {
    let len = bytes.iter().position(|&b| b == 0)?;
    core::str::from_utf8(&bytes[..len]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtb_size_reads_totalsize_behind_magic() {
        assert_eq!(
            dtb_size(&[0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0x10, 0]),
            Some(0x1000)
        );
        assert_eq!(dtb_size(&[0xd0, 0x0d, 0xfe, 0xee, 0, 0, 0x10, 0]), None);
        assert_eq!(dtb_size(&[0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 8]), None);
        assert_eq!(dtb_size(&[0xd0, 0x0d, 0xfe, 0xed, 0, 0x40, 0, 0]), None);
    }

    #[test]
    fn rejects_garbage_and_truncation() {
        assert!(matches!(Fdt::new(&[0; 8]), Err(Error::Malformed { .. })));
        assert!(matches!(
            Fdt::new(&[0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 0x40]),
            Err(Error::Malformed { .. })
        ));
    }
}
