// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Links an EL1 guest image for the bare-metal target: the linker script
//! beside this file and a position-independent executable that boot.S
//! relocates. The benchmark guest (guests/bench) uses this build script
//! too (`build = "../selftest/build.rs"`), so paths are taken from where
//! this file is, not from the crate being built.

use std::path::Path;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let here = Path::new(&dir).join(file!());
    let here = here.parent().unwrap();
    let script = here.join("linker.ld");
    if std::env::var("TARGET")
        .unwrap()
        .starts_with("aarch64-unknown-none")
    {
        println!("cargo:rustc-link-arg-bins=-T{}", script.display());
        for arg in ["-pie", "--no-dynamic-linker", "-z", "notext"] {
            println!("cargo:rustc-link-arg-bins={arg}");
        }
    }
    println!("cargo:rerun-if-changed={}", script.display());
    for f in ["boot.S", "vectors.S"] {
        let p = here.join("src/arch").join(f);
        println!("cargo:rerun-if-changed={}", p.display());
    }
}
