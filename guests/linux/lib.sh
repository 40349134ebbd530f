# SPDX-License-Identifier: Apache-2.0 OR MIT
# shellcheck shell=bash
# Shared by the guests/linux scripts: paths, and installing what is missing.

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$GUEST_DIR/../.." && pwd)
OUT_DIR=$ROOT_DIR/build/linux
SRC_DIR=$OUT_DIR/src
KERNEL_TARBALL=/usr/src/linux-source-6.1.tar.xz

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# need_apt PKG...: install the Debian packages that are not installed yet.
need_apt() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null ||
		{ "${sudo[@]}" apt-get update -qq >/dev/null &&
		  "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
		die "apt-get install ${missing[*]} failed"
}

# unpack_kernel: unpack Debian's linux-source-6.1 into $SRC_DIR once (per
# package version), keeping pristine copies of the files our patch edits.
unpack_kernel() {
	need_apt linux-source-6.1
	local version marker
	version=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	marker=$SRC_DIR/.unpacked-$version
	[ -f "$marker" ] && return 0
	log "unpacking linux-source-6.1 $version into $SRC_DIR"
	rm -rf "$SRC_DIR" "$OUT_DIR/pristine" "$OUT_DIR/obj" "$OUT_DIR/dt"
	mkdir -p "$SRC_DIR"
	tar -xJf "$KERNEL_TARBALL" -C "$SRC_DIR" --strip-components=1
	local f
	for f in $(patched_files); do
		install -D -m 644 "$SRC_DIR/$f" "$OUT_DIR/pristine/$f"
	done
	touch "$marker"
}

# patched_files: the kernel files kernel/rvic-integration.patch edits.
patched_files() {
	sed -n 's|^+++ b/||p' "$GUEST_DIR/kernel/rvic-integration.patch"
}

# gen_init_cpio: path of the kernel's cpio writer, built on first use. It
# makes device nodes (/dev/console) without root and fixed timestamps.
gen_init_cpio() {
	local tool=$OUT_DIR/tools/gen_init_cpio
	if [ ! -x "$tool" ]; then
		unpack_kernel
		need_apt gcc libc6-dev
		mkdir -p "$(dirname "$tool")"
		gcc -O2 -o "$tool" "$SRC_DIR/usr/gen_init_cpio.c" ||
			die "cannot build gen_init_cpio"
	fi
	echo "$tool"
}

# install_if_changed SRC DST: copy only when the content differs, so make
# sees unchanged files as unchanged.
install_if_changed() {
	cmp -s "$1" "$2" || { mkdir -p "$(dirname "$2")" && cp "$1" "$2"; }
}
