#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
# Build the bare-metal EL1 guest guests/NAME (selftest: the conformance
# guest; bench: the benchmark guest) into build/NAME.bin (an arm64 Image the
# hypervisor boots as the guest kernel) and build/NAME.elf (symbols).
# guests/NAME/build.sh calls this.
# Installs nothing: it needs a Rust compiler with the standard library's
# source (rustup with rust-src, or Debian's rustc-web + cargo-web +
# rust-web-src) and aarch64-linux-gnu-ld/objcopy (binutils-aarch64-linux-gnu).
# CARGO_TARGET_DIR defaults to target/NAME of the repository.
set -euo pipefail
die() { echo "error: $*" >&2; exit 1; }
[[ $# == 1 && $1 =~ ^[a-z0-9-]+$ ]] || die "usage: guests/build-el1.sh NAME (a folder of guests/)"
NAME=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/guests/$NAME
[[ -f $HERE/Cargo.toml ]] || die "no guest crate at guests/$NAME"
TARGET=aarch64-unknown-none-softfloat

# The same two compiler routes as scripts/lib.sh, in the same order.
if command -v rustc >/dev/null && sysroot=$(cd "$HERE" && rustc --print sysroot 2>/dev/null) \
    && [[ -d "$sysroot/lib/rustlib/src/rust/library/core" ]]; then
    CARGO=cargo
    RUSTC_X=$(cd "$HERE" && (rustup which rustc 2>/dev/null || command -v rustc))
elif [[ -x /usr/bin/rustc && -x /usr/bin/cargo && -d /usr/lib/rustlib/src/rust/library/core ]]; then
    CARGO=/usr/bin/cargo
    RUSTC_X=/usr/bin/rustc
else
    die "no Rust compiler with the standard library source (rustup component add rust-src, or apt install rustc-web cargo-web rust-web-src)"
fi
for tool in aarch64-linux-gnu-ld aarch64-linux-gnu-objcopy; do
    command -v $tool >/dev/null || die "$tool is missing (apt install binutils-aarch64-linux-gnu)"
done

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target/$NAME}
# RUSTFLAGS replaces any rustflags from .cargo/config.toml files above this
# directory, so the image is built the same wherever the tree sits.
RUSTC="$RUSTC_X" RUSTC_BOOTSTRAP=1 \
RUSTFLAGS="-C relocation-model=pie -C force-frame-pointers=yes -C linker=aarch64-linux-gnu-ld" \
    "$CARGO" build -q --release --manifest-path "$HERE/Cargo.toml" --target $TARGET \
    -Zbuild-std=core,compiler_builtins -Zbuild-std-features=compiler-builtins-mem \
    || die "building guests/$NAME failed (see above)"
elf="$CARGO_TARGET_DIR/$TARGET/release/$NAME"
mkdir -p "$ROOT/build"
cp "$elf" "$ROOT/build/$NAME.elf"
aarch64-linux-gnu-objcopy -O binary "$elf" "$ROOT/build/$NAME.bin"
echo "$ROOT/build/$NAME.bin ($(stat -c %s "$ROOT/build/$NAME.bin") bytes)"
