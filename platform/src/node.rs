// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Nodes and properties of a validated [`Fdt`]: names, property lookup,
//! children, and the typed readings every binding uses (`compatible`,
//! `status`, `phandle`, cells, strings).

use crate::fdt::{align4, be32, cstr, Fdt, FDT_BEGIN_NODE, FDT_END_NODE, FDT_NOP, FDT_PROP};

/// One node: its name and where it starts in the structure block.
#[derive(Clone, Copy, Debug)]
pub struct Node<'a> {
    fdt: Fdt<'a>,
    offset: usize,
    name: &'a str,
}

/// One property: its name and raw big-endian value.
#[derive(Clone, Copy, Debug)]
pub struct Prop<'a> {
    pub name: &'a str,
    pub value: &'a [u8],
}

impl<'a> Node<'a> {
    /// The node whose `FDT_BEGIN_NODE` token is at `offset` (validated by
    /// [`Fdt::new`]).
    pub(crate) fn at(fdt: Fdt<'a>, offset: usize) -> Self {
        let name = fdt.structs.get(offset + 4..).and_then(cstr).unwrap_or("");
        Node { fdt, offset, name }
    }

    /// The node name with its unit address, e.g. `serial@7e215040` (`""`
    /// for the root).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// Where the node starts in the structure block: unique per node, so it
    /// serves as the node's identity.
    pub fn offset(&self) -> usize {
        self.offset
    }

    pub(crate) fn props_offset(&self) -> usize {
        align4(self.offset + 4 + self.name.len() + 1)
    }

    /// The node's properties, in blob order.
    pub fn props(&self) -> impl Iterator<Item = Prop<'a>> + 'a {
        let fdt = self.fdt;
        let mut pos = self.props_offset();
        core::iter::from_fn(move || loop {
            match be32(fdt.structs, pos)? {
                FDT_NOP => pos += 4,
                FDT_PROP => {
                    let len = be32(fdt.structs, pos + 4)? as usize;
                    let name = fdt.string_at(be32(fdt.structs, pos + 8)? as usize)?;
                    let value = fdt.structs.get(pos + 12..pos + 12 + len)?;
                    pos = align4(pos + 12 + len);
                    return Some(Prop { name, value });
                }
                _ => return None,
            }
        })
    }

    /// The property called `name`.
    pub fn prop(&self, name: &str) -> Option<Prop<'a>> {
        self.props().find(|p| p.name == name)
    }

    /// Whether the node has a property called `name` (of any length).
    pub fn has(&self, name: &str) -> bool {
        self.prop(name).is_some()
    }

    /// The direct children, in blob order.
    pub fn children(&self) -> impl Iterator<Item = Node<'a>> + 'a {
        let fdt = self.fdt;
        let mut pos = self.props_offset();
        core::iter::from_fn(move || loop {
            match be32(fdt.structs, pos)? {
                FDT_NOP => pos += 4,
                FDT_PROP => pos = align4(pos + 12 + be32(fdt.structs, pos + 4)? as usize),
                FDT_BEGIN_NODE => {
                    let child = Node::at(fdt, pos);
                    pos = skip_subtree(fdt, pos)?;
                    return Some(child);
                }
                _ => return None,
            }
        })
    }

    /// The direct child called exactly `name`.
    pub fn child(&self, name: &str) -> Option<Node<'a>> {
        self.children().find(|c| c.name == name)
    }

    /// The strings of `compatible`, most specific first.
    pub fn compatible(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.prop("compatible").into_iter().flat_map(|p| p.strs())
    }

    /// Whether `compatible` lists `c`.
    pub fn is_compatible(&self, c: &str) -> bool {
        self.compatible().any(|s| s == c)
    }

    /// `status` absent, `"okay"` or `"ok"`.
    pub fn is_available(&self) -> bool {
        matches!(
            self.prop("status").and_then(|p| p.str()),
            None | Some("okay") | Some("ok")
        )
    }

    /// `phandle`, or the older `linux,phandle`.
    pub fn phandle(&self) -> Option<u32> {
        self.prop("phandle")
            .or_else(|| self.prop("linux,phandle"))?
            .u32()
    }

    /// A one-cell property.
    pub fn u32_prop(&self, name: &str) -> Option<u32> {
        self.prop(name)?.u32()
    }

    /// A string property.
    pub fn str_prop(&self, name: &str) -> Option<&'a str> {
        self.prop(name)?.str()
    }
}

/// The offset just past the `FDT_END_NODE` that closes the node at `pos`.
fn skip_subtree(fdt: Fdt<'_>, mut pos: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match be32(fdt.structs, pos)? {
            FDT_BEGIN_NODE => {
                depth += 1;
                pos = Node::at(fdt, pos).props_offset();
            }
            FDT_PROP => pos = align4(pos + 12 + be32(fdt.structs, pos + 4)? as usize),
            FDT_NOP => pos += 4,
            FDT_END_NODE => {
                pos += 4;
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(pos);
                }
            }
            _ => return None,
        }
    }
}

impl<'a> Prop<'a> {
    /// The value as exactly one cell.
    pub fn u32(&self) -> Option<u32> {
        (self.value.len() == 4)
            .then(|| be32(self.value, 0))
            .flatten()
    }

    /// The value as one or two cells.
    pub fn u64(&self) -> Option<u64> {
        match self.value.len() {
            4 => self.u32().map(u64::from),
            8 => Some((u64::from(be32(self.value, 0)?) << 32) | u64::from(be32(self.value, 4)?)),
            _ => None,
        }
    }

    /// The value as one NUL-terminated UTF-8 string.
    pub fn str(&self) -> Option<&'a str> {
        let s = cstr(self.value)?;
        (s.len() + 1 == self.value.len()).then_some(s)
    }

    /// The value as a list of NUL-terminated strings; stops at the first
    /// one that is not valid UTF-8 or not terminated.
    pub fn strs(&self) -> impl Iterator<Item = &'a str> + 'a {
        let mut rest = self.value;
        core::iter::from_fn(move || {
            let s = cstr(rest)?;
            rest = &rest[s.len() + 1..];
            Some(s)
        })
    }

    /// The value as cells; `None` if its length is not a multiple of 4.
    pub fn cells(&self) -> Option<Cells<'a>> {
        self.value
            .len()
            .is_multiple_of(4)
            .then_some(Cells { bytes: self.value })
    }
}

/// A property value read as big-endian 32-bit cells.
#[derive(Clone, Copy, Debug)]
pub struct Cells<'a> {
    bytes: &'a [u8],
}

impl<'a> Cells<'a> {
    /// How many cells are left.
    pub fn len(&self) -> usize {
        self.bytes.len() / 4
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Takes the next `n` cells as one number. `None` if fewer than `n`
    /// are left, or if the number does not fit in 64 bits (cells beyond
    /// the last two must then be zero).
    pub fn take(&mut self, n: u32) -> Option<u64> {
        let len = (n as usize).checked_mul(4)?;
        let (head, tail) = (self.bytes.get(..len)?, self.bytes.get(len..)?);
        self.bytes = tail;
        let mut v: u64 = 0;
        for i in 0..len / 4 {
            let cell = u64::from(be32(head, 4 * i)?);
            if v >> 32 != 0 {
                return None;
            }
            v = (v << 32) | cell;
        }
        Some(v)
    }

    /// Takes the next cell.
    pub fn next_u32(&mut self) -> Option<u32> {
        let v = be32(self.bytes, 0)?;
        self.bytes = &self.bytes[4..];
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_take_joins_and_refuses_overflow() {
        let bytes = [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        let mut c = Cells { bytes: &bytes };
        assert_eq!(c.len(), 3);
        assert_eq!(c.take(2), Some(0x1_0000_0002));
        assert_eq!(c.take(0), Some(0));
        assert_eq!(c.take(2), None);
        let mut c = Cells { bytes: &bytes };
        assert_eq!(c.take(3), None, "0x1_00000002_00000003 does not fit");
        let zeros_first = [0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 6];
        let mut c = Cells {
            bytes: &zeros_first,
        };
        assert_eq!(c.take(3), Some(0x5_0000_0006));
        assert!(c.is_empty());
    }

    #[test]
    fn prop_readings() {
        let p = Prop {
            name: "x",
            value: b"ns16550a\0snps,dw-apb-uart\0",
        };
        assert_eq!(p.str(), None, "two strings are not one");
        let all: std::vec::Vec<&str> = p.strs().collect();
        assert_eq!(all, ["ns16550a", "snps,dw-apb-uart"]);
        let p = Prop {
            name: "x",
            value: &[0, 0, 0, 1, 0, 0, 0, 2],
        };
        assert_eq!(p.u32(), None);
        assert_eq!(p.u64(), Some(0x1_0000_0002));
        assert!(Prop {
            name: "x",
            value: &[1, 2, 3]
        }
        .cells()
        .is_none());
    }

    extern crate std;
}
