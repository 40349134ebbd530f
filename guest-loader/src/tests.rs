// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Host tests: the FDT writer here, each module in `tests/`.

mod assign;
mod bundle;
mod desc;
mod dtc;
mod guest_dt;
mod image;
mod layout;

use crate::fdt_writer::FdtWriter;

#[test]
fn writer_output_parses_back() {
    let mut w = FdtWriter::new();
    w.begin_node("");
    w.prop_u32("#address-cells", 2);
    w.prop_u32("#size-cells", 2);
    w.prop_str("compatible", "linux,dummy-virt");
    w.begin_node("memory@40000000");
    w.prop_str("device_type", "memory");
    w.prop_u64s("reg", &[0x4000_0000, 0x2000_0000]);
    w.end_node();
    w.begin_node("chosen");
    w.prop_str("bootargs", "console=ttyAMA0");
    w.prop_empty("ranges");
    w.end_node();
    w.end_node();
    let blob = w.finish(0);
    let fdt = fdt::Fdt::new(&blob).expect("valid FDT");
    let mem = fdt.memory().regions().next().unwrap();
    assert_eq!(mem.starting_address as usize, 0x4000_0000);
    assert_eq!(mem.size, Some(0x2000_0000));
    assert_eq!(fdt.chosen().bootargs(), Some("console=ttyAMA0"));
    let root = fdt.find_node("/").unwrap();
    assert_eq!(root.compatible().unwrap().first(), "linux,dummy-virt");
    // "#address-cells" and "#size-cells" share no bytes, but each name is
    // stored once however often it is used.
    let strings = &blob[u32::from_be_bytes(blob[12..16].try_into().unwrap()) as usize..];
    let count = |n: &[u8]| strings.windows(n.len()).filter(|w| *w == n).count();
    assert_eq!(count(b"#size-cells\0"), 1);
}

#[test]
#[should_panic(expected = "unclosed nodes")]
fn unclosed_node_is_refused() {
    let mut w = FdtWriter::new();
    w.begin_node("");
    let _ = w.finish(0);
}
