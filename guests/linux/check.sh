#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
#
# Static checks of the Linux guest side; exits non-zero on any finding:
#  1. checkpatch.pl --strict on the rVIC/rVID drivers and their header, and
#     on the IPI storm test
#     (0 errors, 0 warnings, 0 checks required);
#  2. dt-doc-validate on bindings/arm,rvic.yaml and arm,rvid.yaml, placed
#     where the kernel keeps them (interrupt-controller/);
#  3. the bindings' examples and bindings/example-guest.dts compiled with
#     dtc (no warnings allowed) and validated with dt-validate against the
#     kernel 6.1 bindings plus ours.
# Installs what it needs quietly: apt linux-source-6.1 and
# device-tree-compiler, pip dtschema (in a venv under build/linux/venv).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_apt linux-source-6.1 device-tree-compiler perl python3-venv xz-utils
unpack_kernel

# The dtschema release these checks were written against
DTSCHEMA=dtschema==2026.9
VENV=$OUT_DIR/venv
if ! "$VENV/bin/pip" show -q dtschema 2>/dev/null ||
   [ "$("$VENV/bin/pip" show dtschema | sed -n 's/^Version: //p')" != "${DTSCHEMA#*==}" ]; then
	log "installing $DTSCHEMA into $VENV"
	[ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q "$DTSCHEMA" || die "pip install $DTSCHEMA failed"
fi

findings=0
finding() {
	log "FINDING: $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/    /' >&2
	findings=$((findings + 1))
}

# 1. Kernel coding style
for f in drivers/irqchip/irq-rvic.c drivers/irqchip/irq-rvid.c \
	 include/linux/irqchip/arm-rvic.h drivers/misc/ipi_storm.c; do
	out=$(perl "$SRC_DIR/scripts/checkpatch.pl" --strict --no-tree -f \
		"$GUEST_DIR/$f" 2>&1) || true
	if grep -q '^total: 0 errors, 0 warnings, 0 checks' <<<"$out"; then
		log "checkpatch --strict $f: clean"
	else
		finding "checkpatch --strict $f" "$out"
	fi
done

# 2. Bindings, staged in a copy of the kernel's bindings tree
DT_DIR=$OUT_DIR/dt
STAGE=$DT_DIR/bindings
if [ ! -d "$STAGE" ]; then
	mkdir -p "$DT_DIR"
	cp -r "$SRC_DIR/Documentation/devicetree/bindings" "$STAGE.tmp"
	mv "$STAGE.tmp" "$STAGE"
fi
ours=()
for f in "$GUEST_DIR"/bindings/*.yaml; do
	install_if_changed "$f" "$STAGE/interrupt-controller/$(basename "$f")"
	ours+=("$STAGE/interrupt-controller/$(basename "$f")")
done
for f in "${ours[@]}"; do
	out=$("$VENV/bin/dt-doc-validate" -u "$STAGE" "$f" 2>&1) || true
	if [ -z "$out" ]; then
		log "dt-doc-validate $(basename "$f"): clean"
	else
		finding "dt-doc-validate $(basename "$f")" "$out"
	fi
done

# Processed schema of every binding, rebuilt when ours or dtschema change.
# The kernel 6.1 bindings carry warnings of their own under a newer
# dtschema; only those naming our files count.
schema=$DT_DIR/processed-schema.json
key=$( { "$VENV/bin/pip" show dtschema | grep '^Version'; cat "${ours[@]}"; } |
	sha256sum | cut -d' ' -f1)
if [ ! -f "$schema" ] || [ "$(cat "$schema.stamp" 2>/dev/null)" != "$key" ]; then
	log "processing binding schemas (about a minute)"
	"$VENV/bin/dt-mk-schema" -j "$STAGE" >"$schema.tmp" 2>"$DT_DIR/mk-schema.log" ||
		die "dt-mk-schema failed (see $DT_DIR/mk-schema.log)"
	mv "$schema.tmp" "$schema"
	echo "$key" >"$schema.stamp"
fi
out=$(grep -F -e 'arm,rvic' -e 'arm,rvid' "$DT_DIR/mk-schema.log" || true)
[ -z "$out" ] || finding "dt-mk-schema on our bindings" "$out"

# 3. Device trees: dtc must be silent, dt-validate must be silent.
validate_dts() { # NAME DTS [DTC-ARGS...]
	local name=$1 dts=$2 dtb=$DT_DIR/$1.dtb out
	shift 2
	if ! out=$(dtc -I dts -O dtb "$@" -o "$dtb" "$dts" 2>&1) ||
	   [ -n "$out" ]; then
		finding "dtc $name" "$out"
		return
	fi
	out=$("$VENV/bin/dt-validate" -m -s "$schema" "$dtb" 2>&1) || true
	if [ -z "$out" ]; then
		log "dt-validate $name: clean"
	else
		finding "dt-validate $name" "$out"
	fi
}
for f in "${ours[@]}"; do
	name=example-$(basename "$f" .yaml)
	"$VENV/bin/dt-extract-example" "$f" >"$DT_DIR/$name.dts"
	# The dtc flags of the kernel's dt_binding_check, whose example
	# wrapper (fake interrupt parent, address cells) trips the others.
	validate_dts "$name" "$DT_DIR/$name.dts" \
		-Wno-avoid_unnecessary_addr_size -Wno-graph_child_address \
		-Wno-interrupt_provider -Wno-unique_unit_address \
		-Wunique_unit_address_if_enabled
done
validate_dts example-guest "$GUEST_DIR/bindings/example-guest.dts"

if [ $findings -ne 0 ]; then
	log "$findings finding(s)"
	exit 1
fi
log "all checks clean"
