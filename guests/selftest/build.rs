// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Links the guest image for the bare-metal target: this crate's linker
//! script and a position-independent executable that boot.S relocates.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let script = std::path::Path::new(&dir).join("linker.ld");
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
    println!("cargo:rerun-if-changed=src/arch/boot.S");
    println!("cargo:rerun-if-changed=src/arch/vectors.S");
}
