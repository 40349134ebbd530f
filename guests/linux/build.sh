#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
#
# Build the guest kernel: build/linux/Image.
#
# Debian's linux-source-6.1 + our rVIC/rVID drivers (drivers/, include/,
# kernel/rvic-integration.patch), configured as allnoconfig + config.fragment,
# cross-compiled with gcc-aarch64-linux-gnu. Idempotent: a second run with
# the same inputs does nothing. Installs what it needs with apt.
#
# Usage: guests/linux/build.sh [-f]    (-f: build even if up to date)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=0
[ "${1:-}" = "-f" ] && force=1

OBJ_DIR=$OUT_DIR/obj
FRAGMENT=$GUEST_DIR/config.fragment
PATCH=$GUEST_DIR/kernel/rvic-integration.patch
# Our files copied into the tree, as "source-in-guests/linux tree-path"
OVERLAY=(
	"drivers/irqchip/irq-rvic.c drivers/irqchip/irq-rvic.c"
	"drivers/irqchip/irq-rvid.c drivers/irqchip/irq-rvid.c"
	"include/linux/irqchip/arm-rvic.h include/linux/irqchip/arm-rvic.h"
	"drivers/misc/ipi_storm.c drivers/misc/ipi_storm.c"
)
MAKE=(make -C "$SRC_DIR" O="$OBJ_DIR" ARCH=arm64
      CROSS_COMPILE=aarch64-linux-gnu- -j"$(nproc)")

inputs_hash() {
	local entry
	{
		dpkg-query -W -f='${Version}\n' linux-source-6.1 2>/dev/null || true
		cat "$GUEST_DIR/build.sh" "$GUEST_DIR/lib.sh" "$FRAGMENT" "$PATCH"
		for entry in "${OVERLAY[@]}"; do
			cat "$GUEST_DIR/${entry%% *}"
		done
	} | sha256sum | cut -d' ' -f1
}

stamp=$OUT_DIR/Image.stamp
hash=$(inputs_hash)
if [ $force -eq 0 ] && [ -f "$OUT_DIR/Image" ] && [ -f "$stamp" ] &&
   [ "$(cat "$stamp")" = "$hash" ]; then
	log "up to date: $OUT_DIR/Image"
	exit 0
fi

need_apt linux-source-6.1 gcc-aarch64-linux-gnu gcc libc6-dev make flex \
	bison bc libssl-dev libelf-dev cpio xz-utils python3
unpack_kernel

# Overlay our sources and the patched files, touching only what changed.
for entry in "${OVERLAY[@]}"; do
	install_if_changed "$GUEST_DIR/${entry%% *}" "$SRC_DIR/${entry##* }"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in $(patched_files); do
	# A file the patch has just started to edit is still as unpacked.
	[ -f "$OUT_DIR/pristine/$f" ] ||
		install -D -m 644 "$SRC_DIR/$f" "$OUT_DIR/pristine/$f"
	install -D -m 644 "$OUT_DIR/pristine/$f" "$tmp/$f"
done
patch -s -p1 -d "$tmp" --no-backup-if-mismatch < "$PATCH" ||
	die "kernel/rvic-integration.patch does not apply"
for f in $(patched_files); do
	install_if_changed "$tmp/$f" "$SRC_DIR/$f"
done

# Configure: allnoconfig with the fragment's values forced, then check
# that every value in the fragment made it (Kconfig drops what it cannot
# satisfy without a word).
mkdir -p "$OBJ_DIR"
log "configuring (allnoconfig + config.fragment)"
"${MAKE[@]}" KCONFIG_ALLCONFIG="$FRAGMENT" allnoconfig >"$OUT_DIR/config.log" 2>&1 ||
	{ cat "$OUT_DIR/config.log" >&2; die "configuration failed"; }
missing=()
while IFS= read -r line; do
	case "$line" in CONFIG_*=*) ;; *) continue ;; esac
	grep -qxF "$line" "$OBJ_DIR/.config" || missing+=("$line")
done < "$FRAGMENT"
[ ${#missing[@]} -eq 0 ] || die "not in .config: ${missing[*]}"

# Build, printing one line per 200 build steps plus any other output
# (warnings, errors). The full log is in build/linux/build.log.
log "building Image with -j$(nproc) (log: $OUT_DIR/build.log)"
start=$(date +%s)
if ! "${MAKE[@]}" Image 2>&1 | tee "$OUT_DIR/build.log" | awk '
	/^  [A-Z0-9_]+ +/ { n++; if (n % 200 == 0) { print "  ... " n " steps, at " $2; fflush() } next }
	/^make(\[[0-9]+\])?: (Entering|Leaving) directory/ { next }
	{ print; fflush() }
	END { print "  ... " n " steps" }' >&2; then
	die "kernel build failed (see $OUT_DIR/build.log)"
fi

cp "$OBJ_DIR/arch/arm64/boot/Image" "$OUT_DIR/Image"
echo "$hash" > "$stamp"
log "built $OUT_DIR/Image ($(stat -c %s "$OUT_DIR/Image") bytes) in $(( $(date +%s) - start )) s"
