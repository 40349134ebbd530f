// SPDX-License-Identifier: Apache-2.0 OR MIT
//! A flattened device tree writer (DTSpec v0.4, format version 17): nodes and
//! properties in order, names deduplicated in the strings block.

use alloc::vec::Vec;

const MAGIC: u32 = 0xd00d_feed;
const BEGIN_NODE: u32 = 1;
const END_NODE: u32 = 2;
const PROP: u32 = 3;
const END: u32 = 9;
const HEADER_SIZE: usize = 40;
/// The memory reservation block: one terminating (0, 0) entry.
const RSVMAP_SIZE: usize = 16;

/// Builds one device tree. Nodes must be closed in order; `finish` checks.
#[derive(Default)]
pub struct FdtWriter {
    structs: Vec<u8>,
    strings: Vec<u8>,
    depth: usize,
}

impl FdtWriter {
    pub fn new() -> FdtWriter {
        FdtWriter::default()
    }

    fn word(&mut self, v: u32) {
        self.structs.extend_from_slice(&v.to_be_bytes());
    }

    fn pad(&mut self) {
        while !self.structs.len().is_multiple_of(4) {
            self.structs.push(0);
        }
    }

    /// Open a node; the root is `""`.
    pub fn begin_node(&mut self, name: &str) {
        self.word(BEGIN_NODE);
        self.structs.extend_from_slice(name.as_bytes());
        self.structs.push(0);
        self.pad();
        self.depth += 1;
    }

    pub fn end_node(&mut self) {
        assert!(self.depth > 0, "end_node without begin_node");
        self.word(END_NODE);
        self.depth -= 1;
    }

    fn name_offset(&mut self, name: &str) -> u32 {
        let mut at = 0;
        for s in self.strings.split(|&b| b == 0) {
            if s == name.as_bytes() && at < self.strings.len() {
                return at as u32;
            }
            at += s.len() + 1;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        off
    }

    /// A property with raw bytes as its value.
    pub fn prop(&mut self, name: &str, value: &[u8]) {
        let off = self.name_offset(name);
        self.word(PROP);
        self.word(value.len() as u32);
        self.word(off);
        self.structs.extend_from_slice(value);
        self.pad();
    }

    pub fn prop_empty(&mut self, name: &str) {
        self.prop(name, &[]);
    }

    pub fn prop_u32(&mut self, name: &str, v: u32) {
        self.prop(name, &v.to_be_bytes());
    }

    pub fn prop_cells(&mut self, name: &str, cells: &[u32]) {
        let bytes: Vec<u8> = cells.iter().flat_map(|c| c.to_be_bytes()).collect();
        self.prop(name, &bytes);
    }

    /// 64-bit values as pairs of cells (for #address-cells = #size-cells = 2).
    pub fn prop_u64s(&mut self, name: &str, vals: &[u64]) {
        let bytes: Vec<u8> = vals.iter().flat_map(|c| c.to_be_bytes()).collect();
        self.prop(name, &bytes);
    }

    pub fn prop_str(&mut self, name: &str, s: &str) {
        self.prop_strs(name, &[s]);
    }

    /// A string list (`compatible = "a", "b"`).
    pub fn prop_strs(&mut self, name: &str, strs: &[&str]) {
        let mut bytes = Vec::new();
        for s in strs {
            bytes.extend_from_slice(s.as_bytes());
            bytes.push(0);
        }
        self.prop(name, &bytes);
    }

    /// Close the tree and lay out the blob.
    pub fn finish(mut self, boot_cpuid: u32) -> Vec<u8> {
        assert_eq!(self.depth, 0, "unclosed nodes");
        self.word(END);
        let off_rsv = HEADER_SIZE;
        let off_struct = off_rsv + RSVMAP_SIZE;
        let off_strings = off_struct + self.structs.len();
        let total = off_strings + self.strings.len();
        let mut out = Vec::with_capacity(total);
        for v in [
            MAGIC,
            total as u32,
            off_struct as u32,
            off_strings as u32,
            off_rsv as u32,
            17,
            16,
            boot_cpuid,
            self.strings.len() as u32,
            self.structs.len() as u32,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&[0; RSVMAP_SIZE]);
        out.extend_from_slice(&self.structs);
        out.extend_from_slice(&self.strings);
        out
    }
}
