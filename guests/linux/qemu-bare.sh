#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
#
# Boot build/linux/Image + initramfs.cpio.gz on bare QEMU (no hypervisor,
# the guest gets QEMU's GIC): the comparison run for the rVIC guest.
#
# Usage: guests/linux/qemu-bare.sh [--gic 2|3] [--exec SCRIPT] [--icount]
#                                  [--timeout SECONDS] [-- QEMU-ARGS...]
#   --gic 3      -M virt,gic-version=3 -cpu max (default)
#   --gic 2      -M virt,gic-version=2 -cpu cortex-a57
#   --exec FILE  append FILE as /exec.sh and boot with hyp.exec=1: the
#                guest runs it, prints HYP-EXEC-STATUS=<n> and powers off
#   --icount     -icount shift=0: deterministic, virtual time = instructions
# Without --exec the console is a shell on stdio; "exit" powers off.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

gic=3 exec_script="" icount=() timeout_s=0
while [ $# -gt 0 ]; do
	case "$1" in
	--gic) gic=$2; shift 2 ;;
	--exec) exec_script=$2; shift 2 ;;
	--icount) icount=(-icount shift=0); shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--) shift; break ;;
	*) die "unknown option $1 (see the header of $0)" ;;
	esac
done
case "$gic" in
3) machine=virt,gic-version=3 cpu=max ;;
2) machine=virt,gic-version=2 cpu=cortex-a57 ;;
*) die "--gic takes 2 or 3" ;;
esac

need_apt qemu-system-arm
for f in Image initramfs.cpio.gz; do
	[ -f "$OUT_DIR/$f" ] || die "no $OUT_DIR/$f: run build.sh and initramfs.sh"
done

initrd=$OUT_DIR/initramfs.cpio.gz
append="console=ttyAMA0"
if [ -n "$exec_script" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	"$GUEST_DIR/exec-cpio.sh" "$exec_script" "$tmp/exec.cpio.gz"
	cat "$initrd" "$tmp/exec.cpio.gz" >"$tmp/initrd.cpio.gz"
	initrd=$tmp/initrd.cpio.gz
	append="$append hyp.exec=1"
fi

cmd=(qemu-system-aarch64 -M "$machine" -cpu "$cpu" -smp 4 -m 512M
     -nographic "${icount[@]}" -kernel "$OUT_DIR/Image" -initrd "$initrd"
     -append "$append" "$@")
if [ "$timeout_s" -gt 0 ]; then
	timeout "$timeout_s" "${cmd[@]}"
else
	"${cmd[@]}"
fi
