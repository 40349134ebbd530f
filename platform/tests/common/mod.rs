// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Helpers shared by the integration tests: compiling device tree sources
//! with `dtc`, reading the board blobs `scripts/fetch-dtbs` fetched, and
//! running discovery expecting success or a one-line error.
// Each test file uses its own subset of these.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn run_dtc(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = match Command::new("dtc")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            panic!("cannot run dtc ({e}): install it with `apt-get install device-tree-compiler`")
        }
    };
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dtc {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Compiles device tree source text to a blob.
pub fn dtc(source: &str) -> Vec<u8> {
    run_dtc(&["-q", "-I", "dts", "-O", "dtb", "-"], source.as_bytes())
}

/// The source of `platform/tests/dts/NAME.dts`.
pub fn dts_source(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/dts")
        .join(format!("{name}.dts"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `platform/tests/dts/NAME.dts`, compiled.
pub fn dts(name: &str) -> Vec<u8> {
    dtc(&dts_source(name))
}

/// `platform/tests/dts/NAME.dts` with `extra` appended (later nodes and
/// properties override earlier ones), compiled.
pub fn dts_with(name: &str, extra: &str) -> Vec<u8> {
    dtc(&format!("{}\n{extra}\n", dts_source(name)))
}

/// A blob decompiled, `extra` source appended, and compiled again: how the
/// tests add what a boot loader would (a memory node) or break a tree.
pub fn amend(dtb: &[u8], extra: &str) -> Vec<u8> {
    let source = run_dtc(&["-q", "-I", "dtb", "-O", "dts", "-"], dtb);
    let mut source = String::from_utf8(source).unwrap();
    source.push('\n');
    source.push_str(extra);
    dtc(&source)
}

/// `target/dtbs/NAME`, fetched by `scripts/fetch-dtbs`.
pub fn board(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/dtbs")
        .join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: run scripts/fetch-dtbs first", path.display()))
}

/// Discovery that must succeed (the blob's address is not known).
pub fn ok(dtb: &[u8]) -> platform::Platform<'_> {
    platform::discover_at(dtb, None).unwrap_or_else(|e| panic!("discovery failed: {e}"))
}

/// Discovery that must fail: the error, checked to be one line.
pub fn err(dtb: &[u8]) -> (platform::Error<'_>, String) {
    let e = platform::discover_at(dtb, None).expect_err("discovery should fail");
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "{msg}");
    (e, msg)
}
