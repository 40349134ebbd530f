#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
# Smoke test of the conformance guest itself, without the hypervisor: boot
# build/selftest.bin straight on QEMU's virt board at EL1 with the guest
# device tree in smoke/guest.dts (2 vCPUs). QEMU answers every rVIC/rVID
# call NOT_SUPPORTED, so those checks fail; what is checked here is the
# guest's plumbing: boot and relocation, MMU, device tree, PSCI start/stop
# of vCPUs, the mailbox, the random burst, the abort handler and the
# report, ending in SYSTEM_OFF. Needs qemu-system-aarch64 and dtc.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
die() { echo "smoke: $*" >&2; exit 1; }
for tool in qemu-system-aarch64 dtc; do
    command -v $tool >/dev/null || die "$tool is missing"
done
"$HERE/build.sh" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dtc -q -I dts -O dtb -o "$tmp/guest.dtb" "$HERE/smoke/guest.dts"
timeout 120 qemu-system-aarch64 -M virt -cpu max -smp 2 -m 512M -nographic -no-reboot \
    -kernel "$ROOT/build/selftest.bin" -dtb "$tmp/guest.dtb" </dev/null | tr -d '\r' >"$tmp/out" \
    || die "QEMU did not power off by itself (timeout or error)"

expect() { grep -qE "$1" "$tmp/out" || { cat "$tmp/out" >&2; die "no line matching: $1"; }; }
expect '^# 2 vCPU\(s\), MPIDRs 0x0 0x1; RAM 0x40000000 \+ 0x20000000; console 0x9000000$'
expect '^ok [0-9]+ - device tree: the virtual timer is rVIC INTID 27, level'
expect '^ok [0-9]+ - device tree: the PL031 is rVID input 1, level'
expect '^ok [0-9]+ - PSCI VERSION\(\) answers 65537'
expect '^ok [0-9]+ - PSCI CPU_ON\(0x1, 0x[0-9a-f]+, 0x1\) answers -4'
expect '^not ok [0-9]+ - CPU_OFF/CPU_ON cycle 3 of vCPU 1: .*its rVIC ENABLE answered NOT_SUPPORTED$'
expect '^ok [0-9]+ - 2000 random calls on each of 2 vCPUs at once: every vCPU comes back$'
expect '^ok [0-9]+ - a load from IPA 0x60000000 \(the end of guest RAM\) is a synchronous external abort at EL1$'
expect '^not ok [0-9]+ - .* by SMC #0 answers like HVC.*: SMC #0 is undefined at EL1'
! grep -qE 'unexpected|panic' "$tmp/out" || { cat "$tmp/out" >&2; die "the guest faulted"; }
last=$(tail -n 1 "$tmp/out")
[[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]] || die "last line is not the summary: $last"
lines=$(grep -cE '^(not )?ok [0-9]+ - ' "$tmp/out")
(( BASH_REMATCH[1] + BASH_REMATCH[2] == lines )) || die "the summary does not count the $lines check lines"
echo "smoke: ok ($lines checks ran without a hypervisor; $last)"
