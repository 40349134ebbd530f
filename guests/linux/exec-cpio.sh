#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
#
# Wrap a shell script as /exec.sh in a gzipped cpio, to be appended to
# build/linux/initramfs.cpio.gz (cat initramfs.cpio.gz exec.cpio.gz > x).
# Booted with "hyp.exec=1" on the kernel command line, the guest's /init
# runs it, prints HYP-EXEC-STATUS=<exit status> and powers off.
#
# Usage: guests/linux/exec-cpio.sh SCRIPT OUT.cpio.gz
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 2 ] || die "usage: $0 SCRIPT OUT.cpio.gz"
script=$(realpath "$1")
[ -f "$script" ] || die "no such script: $1"
tool=$(gen_init_cpio)
printf 'file /exec.sh %s 0755 0 0\n' "$script" | "$tool" -t 0 - | gzip -9n >"$2"
