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

# need_qemu: qemu-system-aarch64 9.0 or newer (every QEMU test runs on
# it: the raspi4b machine, the cortex-a55 model and the debug
# communications channel registers came after 7.2). On
# Debian 12, whose own QEMU is 7.2, that is qemu-system-arm from the
# backports suite, on the same mirror as the machine's Debian entry.
need_qemu() {
    qemu_is_new_enough && return 0
    command -v apt-get >/dev/null ||
        die "QEMU 9.0 or newer is needed (qemu-system-aarch64): install it with your package manager"
    local sudo="" codename
    [[ $(id -u) == 0 ]] || sudo=sudo
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [[ -n $codename ]] || die "QEMU 9.0 or newer is needed and /etc/os-release names no Debian release: install it by hand"
    if ! apt-cache policy 2>/dev/null | grep -q " $codename-backports/"; then
        local entry
        entry=$(debian_backports_entry "$codename") ||
            die "QEMU 9.0 or newer is needed, and no Debian '$codename' entry in /etc/apt/sources.list* to derive $codename-backports from: add the backports suite and run again"
        note "adding $codename-backports to apt's sources (for QEMU 10)"
        echo "$entry" | $sudo tee "/etc/apt/sources.list.d/$codename-backports.list" >/dev/null
        $sudo apt-get update -q >/dev/null || die "apt-get update failed after adding $codename-backports"
    fi
    note "installing qemu-system-arm from $codename-backports (apt)"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -t "$codename-backports" qemu-system-arm >/dev/null ||
        die "apt-get install -t $codename-backports qemu-system-arm failed"
    qemu_is_new_enough || die "qemu-system-aarch64 is still older than 9.0 after installing from $codename-backports"
}

# qemu_is_new_enough: qemu-system-aarch64 is there and at least 9.0.
qemu_is_new_enough() {
    local v
    v=$(qemu-system-aarch64 --version 2>/dev/null | sed -n '1s/^QEMU emulator version \([0-9]*\)\..*/\1/p')
    [[ -n $v ]] && ((v >= 9))
}

# debian_backports_entry CODENAME: a one-line apt source for
# CODENAME-backports main, on the mirror (and with the keyring) of the
# machine's own entry for CODENAME, one-line or deb822.
debian_backports_entry() {
    local codename=$1 f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] || continue
        awk -v c="$codename" '$1 == "deb" { i = 2; opt = ""
            if ($2 ~ /^\[/) { opt = $2; i = 3; while ($(i - 1) !~ /\]$/) { opt = opt " " $i; i++ } }
            if ($(i + 1) == c) { print "deb " (opt == "" ? "" : opt " ") $i " " c "-backports main"; exit 0 } }' "$f" |
            grep . && return 0
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        awk -v c="$codename" 'function flush() {
                if (deb && uri != "" && (" " suites " ") ~ (" " c " ")) {
                    print "deb " (key == "" ? "" : "[signed-by=" key "] ") uri " " c "-backports main"; found = 1; exit 0 }
                deb = 0; uri = ""; suites = ""; key = "" }
            /^[ \t]*$/ { flush(); next }
            /^Types:/ { deb = ($0 ~ /[ \t]deb([ \t]|$)/) }
            /^URIs:/ { uri = $2 }
            /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
            /^Signed-By:/ { key = $2 }
            END { if (!found) flush() }' "$f" | head -n 1 | grep . && return 0
    done
    return 1
}

# build_selftest: the conformance guest, into build/selftest.bin.
build_selftest() {
    pick_cross_toolchain
    RUSTC="$RUSTC_X" CARGO_X="$CARGO_X" BUILD="$BUILD" bash "$ROOT/guests/selftest/build.sh" \
        || die "building the conformance guest failed (see above)"
}

# build_bench: the benchmark guest, into build/bench.bin.
build_bench() {
    pick_cross_toolchain
    bash "$ROOT/guests/bench/build.sh" || die "building the benchmark guest failed (see above)"
}

# clippy_bench: lint the benchmark guest for its bare-metal target (with
# the conformance guest's arch and console modules it includes).
clippy_bench() {
    pick_cross_toolchain
    local path=$PATH
    if [[ $CARGO_X == /usr/bin/cargo ]]; then
        need_pkgs /usr/bin/clippy-driver:rust-web-clippy
        path=/usr/bin:$PATH
    fi
    (cd "$ROOT/guests/bench" && PATH=$path RUSTC="$RUSTC_X" RUSTC_BOOTSTRAP=1 \
        CARGO_TARGET_DIR="$ROOT/target/bench" RUSTFLAGS="-C relocation-model=pie -C force-frame-pointers=yes -C linker=aarch64-linux-gnu-ld" \
        "$CARGO_X" clippy -q --release --target $TARGET \
        -Zbuild-std=core,compiler_builtins -Zbuild-std-features=compiler-builtins-mem \
        -- -D warnings -D clippy::undocumented_unsafe_blocks)
}
