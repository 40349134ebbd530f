# SPDX-License-Identifier: Apache-2.0 OR MIT
# Shared helpers for the scripts in this folder. Sourced, not run.

set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build"
TARGET=aarch64-unknown-none-softfloat

die() { echo "error: $*" >&2; exit 1; }
note() { echo "==> $*" >&2; }

# need_pkgs CMD:PACKAGE ... : install the Debian packages whose command is
# missing. Quiet when everything is present.
need_pkgs() {
    local missing=()
    for pair in "$@"; do
        local cmd=${pair%%:*} pkg=${pair#*:}
        if [[ $cmd == /* ]]; then [[ -e $cmd ]] || missing+=("$pkg")
        else command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg"); fi
    done
    ((${#missing[@]})) || return 0
    command -v apt-get >/dev/null || die "missing ${missing[*]}: install them with your package manager"
    local sudo=""
    [[ $(id -u) == 0 ]] || sudo=sudo
    note "installing ${missing[*]} (apt)"
    if [[ ! -f "$BUILD/.apt-updated" ]] || ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; then
        $sudo apt-get update -q >/dev/null || die "apt-get update failed"
        mkdir -p "$BUILD" && touch "$BUILD/.apt-updated"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
            || die "apt-get install ${missing[*]} failed"
    fi
}

# The compiler for the EL2 image must have the standard library's source
# (the image is built with -Zbuild-std). Two routes, in this order:
#   1. rustup with the rust-src component (a developer's usual set-up);
#   2. Debian's rustc-web + cargo-web + rust-web-src (offline machines).
# Sets CARGO_X and exports RUSTC for the aarch64 build.
pick_cross_toolchain() {
    local sysroot
    if command -v rustc >/dev/null && sysroot=$(rustc --print sysroot 2>/dev/null) \
        && [[ -d "$sysroot/lib/rustlib/src/rust/library/core" ]]; then
        CARGO_X=cargo
        RUSTC_X=$(rustup which rustc 2>/dev/null || command -v rustc)
    else
        need_pkgs /usr/bin/rustc:rustc-web /usr/bin/cargo:cargo-web \
            /usr/lib/rustlib/src/rust/library/core:rust-web-src
        CARGO_X=/usr/bin/cargo
        RUSTC_X=/usr/bin/rustc
    fi
    need_pkgs aarch64-linux-gnu-ld:binutils-aarch64-linux-gnu
}

# build_hyp: build the EL2 image into build/hyp.bin (and build/hyp.elf).
build_hyp() {
    pick_cross_toolchain
    mkdir -p "$BUILD"
    (cd "$ROOT" && RUSTC="$RUSTC_X" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$ROOT/target/cross" \
        "$CARGO_X" build -q --release -p hyp --target $TARGET \
        -Zbuild-std=core,alloc,compiler_builtins -Zbuild-std-features=compiler-builtins-mem) \
        || die "building the hypervisor failed (see above)"
    local elf="$ROOT/target/cross/$TARGET/release/hyp"
    if [[ ! -f "$BUILD/hyp.bin" || "$elf" -nt "$BUILD/hyp.bin" ]]; then
        cp "$elf" "$BUILD/hyp.elf"
        aarch64-linux-gnu-objcopy -O binary "$elf" "$BUILD/hyp.bin"
    fi
}

# clippy_hyp: lint the EL2 crate for its own target (it is not a default
# member, so the host clippy run does not see it). Every unsafe block must
# say why it is sound.
clippy_hyp() {
    pick_cross_toolchain
    local path=$PATH
    if [[ $CARGO_X == /usr/bin/cargo ]]; then
        need_pkgs /usr/bin/clippy-driver:rust-web-clippy
        path=/usr/bin:$PATH # Debian's cargo-clippy, not rustup's proxy
    fi
    (cd "$ROOT" && PATH=$path RUSTC="$RUSTC_X" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$ROOT/target/cross" \
        "$CARGO_X" clippy -q -p hyp --target $TARGET \
        -Zbuild-std=core,alloc,compiler_builtins -Zbuild-std-features=compiler-builtins-mem \
        -- -D warnings -D clippy::undocumented_unsafe_blocks)
}

need_qemu() {
    need_pkgs qemu-system-aarch64:qemu-system-arm
}

# build_selftest: the conformance guest, into build/selftest.bin.
build_selftest() {
    pick_cross_toolchain
    RUSTC="$RUSTC_X" CARGO_X="$CARGO_X" BUILD="$BUILD" bash "$ROOT/guests/selftest/build.sh" \
        || die "building the conformance guest failed (see above)"
}
