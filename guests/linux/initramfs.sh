#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
#
# Build the guest initramfs: build/linux/initramfs.cpio.gz, made of
# Debian's arm64 busybox-static and our rootfs/init.
#
# The .deb is fetched with apt-get download into build/linux/apt, using a
# private package list and cache so the machine's apt state is untouched.
# The archive is written by the kernel's gen_init_cpio (device nodes without
# root, fixed timestamps: the same inputs give the same bytes). Idempotent:
# nothing is redone when the inputs are unchanged.
#
# Usage: guests/linux/initramfs.sh [-f]    (-f: rebuild even if up to date)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=0
[ "${1:-}" = "-f" ] && force=1

OUT=$OUT_DIR/initramfs.cpio.gz
APT_DIR=$OUT_DIR/apt
APT_OPTS=(-qq -o APT::Architecture=arm64 -o APT::Architectures=arm64
	  -o Dir::State="$APT_DIR" -o Dir::State::Lists="$APT_DIR/lists"
	  -o Dir::State::status="$APT_DIR/status" -o Dir::Cache="$APT_DIR/cache"
	  -o Debug::NoLocking=1)
[ "$(id -u)" -ne 0 ] || APT_OPTS+=(-o APT::Sandbox::User=root)

need_apt gzip dpkg gcc-aarch64-linux-gnu

# Fetch busybox-static for arm64 once.
deb=$(find "$APT_DIR/debs" -name 'busybox-static_*_arm64.deb' 2>/dev/null | sort | tail -n 1 || true)
if [ -z "$deb" ]; then
	log "fetching busybox-static (arm64) with a private apt state in $APT_DIR"
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" \
		 "$APT_DIR/debs"
	touch "$APT_DIR/status"
	apt-get "${APT_OPTS[@]}" update || die "apt-get update (arm64) failed"
	(cd "$APT_DIR/debs" && apt-get "${APT_OPTS[@]}" download busybox-static) ||
		die "apt-get download busybox-static failed"
	deb=$(find "$APT_DIR/debs" -name 'busybox-static_*_arm64.deb' | sort | tail -n 1)
	[ -n "$deb" ] || die "no busybox-static arm64 package downloaded"
fi

stamp=$OUT.stamp
hash=$(cat "$GUEST_DIR/initramfs.sh" "$GUEST_DIR/lib.sh" \
	   "$GUEST_DIR/rootfs/init" "$GUEST_DIR/rootfs/etc/inittab" \
	   "$GUEST_DIR/rootfs/pingpong.c" "$deb" | sha256sum | cut -d' ' -f1)
if [ $force -eq 0 ] && [ -f "$OUT" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
	log "up to date: $OUT"
	exit 0
fi

tool=$(gen_init_cpio)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/deb"
busybox=$tmp/deb/bin/busybox
[ -f "$busybox" ] || die "$deb has no bin/busybox"
# ELF e_machine (offset 18) must be 0xb7, AArch64
[ "$(od -An -tx1 -j18 -N2 "$busybox" | tr -d ' ')" = "b700" ] ||
	die "$busybox is not an AArch64 binary"

# The cross-CPU wake-up benchmark: freestanding, no libc (rootfs/pingpong.c).
aarch64-linux-gnu-gcc -O2 -static -nostdlib -ffreestanding -fno-stack-protector \
	-fno-tree-loop-distribute-patterns -Wall -Wextra -Werror \
	-o "$tmp/pingpong" "$GUEST_DIR/rootfs/pingpong.c" ||
	die "building rootfs/pingpong.c failed"

cat >"$tmp/list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /bin 0755 0 0
dir /sbin 0755 0 0
dir /usr 0755 0 0
dir /usr/bin 0755 0 0
dir /usr/sbin 0755 0 0
dir /etc 0755 0 0
dir /proc 0555 0 0
dir /sys 0555 0 0
dir /tmp 1777 0 0
dir /root 0700 0 0
dir /mnt 0755 0 0
file /bin/busybox $busybox 0755 0 0
slink /bin/sh busybox 0777 0 0
file /init $GUEST_DIR/rootfs/init 0755 0 0
file /etc/inittab $GUEST_DIR/rootfs/etc/inittab 0644 0 0
file /bin/pingpong $tmp/pingpong 0755 0 0
LIST
"$tool" -t 0 "$tmp/list" | gzip -9n >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$hash" >"$stamp"
log "built $OUT ($(stat -c %s "$OUT") bytes, $(basename "$deb"))"
