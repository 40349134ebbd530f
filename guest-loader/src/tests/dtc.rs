// SPDX-License-Identifier: Apache-2.0 OR MIT
//! `dtc` as a second opinion on generated trees: it decompiles the blob and
//! runs its checks (interrupt and clock specifiers against their
//! providers' cell counts, unit addresses against `reg`, ...), printing a
//! warning for each problem.

use crate::fdt_writer::FdtWriter;
use std::io::Write;
use std::process::{Command, Stdio};
use std::string::String;

/// Decompiles `dtb` with `dtc -I dtb -O dts`: the source and what dtc
/// printed on stderr (its warnings).
pub(super) fn decompile(dtb: &[u8]) -> (String, String) {
    let mut child = Command::new("dtc")
        .args(["-I", "dtb", "-O", "dts", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run dtc ({e}): install it with `apt-get install device-tree-compiler`")
        });
    child.stdin.take().unwrap().write_all(dtb).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "dtc failed: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

/// The check the guest tree test relies on does catch a broken tree: an
/// interrupt specifier that does not match its controller's cell count.
#[test]
fn dtc_warns_about_a_broken_tree() {
    let mut w = FdtWriter::new();
    w.begin_node("");
    w.prop_u32("#address-cells", 2);
    w.prop_u32("#size-cells", 2);
    w.prop_u32("interrupt-parent", 1);
    w.begin_node("intc");
    w.prop_empty("interrupt-controller");
    w.prop_u32("#interrupt-cells", 2);
    w.prop_u32("phandle", 1);
    w.end_node();
    w.begin_node("dev@1000");
    w.prop_u64s("reg", &[0x1000, 0x100]);
    w.prop_cells("interrupts", &[1, 2, 3]);
    w.end_node();
    w.end_node();
    let (_, warnings) = decompile(&w.finish(0));
    assert!(warnings.contains("interrupts"), "{warnings}");
}
