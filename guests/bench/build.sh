#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
# Build the benchmark guest into build/bench.bin (an arm64 Image the
# hypervisor boots as the guest kernel) and build/bench.elf (symbols).
# The build itself is guests/build-el1.sh's, shared with guests/selftest.
set -euo pipefail
[[ $# == 0 ]] || { echo "usage: guests/bench/build.sh (no arguments)" >&2; exit 1; }
exec bash "$(dirname "$0")/../build-el1.sh" bench
