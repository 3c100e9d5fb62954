#!/usr/bin/env bash
# Build .device/site.tar.xz: the Python packages a lent GPU machine needs for the GPU tests and
# benches (bench/device/check.sh unpacks it there).
#
# The device machine has Python 3.12 with a CUDA build of torch and a large scientific stack,
# and no package registry, so what it lacks travels with the working tree, 64 MiB at most in all
# (the tree itself is ~13 MiB). bench/device/requirements.py says what: our pinned versions,
# less what is large and on the image already. The cp312 wheels come to ~70 MiB; installed
# into one folder, ~280 MiB; as one xz archive of that folder, ~40 MiB.
#
#   bash bench/device/bundle.sh     # here, after `make deps-dev` (about 2 minutes)
#   then a device run with carry [".device"] and the command `bash bench/device/check.sh`
#
# PYVER / BUNDLE build it for another Python into another file: with PYVER=3.11.7 the same
# bundle runs check.sh here on the CPU (see check.sh), which shows it lacks nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=.venv/bin/python
PYVER=${PYVER:-3.12.3} # the device's (KINDS.md in the device tool)
BUNDLE=${BUNDLE:-.device/site.tar.xz}
PLATFORMS=()
for tag in manylinux1 manylinux2014 manylinux_2_17 manylinux_2_24 manylinux_2_27 \
    manylinux_2_28 manylinux_2_31 manylinux_2_34 manylinux_2_35; do
    PLATFORMS+=(--platform "${tag}_x86_64")
done
FOR_PYVER=(--only-binary=:all: --python-version "$PYVER" --implementation cp "${PLATFORMS[@]}")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/wheels" "$work/site" "$(dirname "$BUNDLE")"

"$PY" bench/device/requirements.py "$PYVER" >"$work/requirements.txt"
# Wheels for that Python where they are published; what exists only as an sdist is pure
# Python and is built here into a py3-none-any wheel.
missing=()
while read -r requirement; do
    "$PY" -m pip download -q --no-deps "${FOR_PYVER[@]}" -d "$work/wheels" "$requirement" \
        2>>"$work/download.log" || missing+=("$requirement")
done <"$work/requirements.txt"
# py-spy (a static binary) for check.sh's profile stage.
"$PY" -m pip download -q --no-deps "${FOR_PYVER[@]}" -d "$work/wheels" py-spy==0.4.3
if ((${#missing[@]})); then
    echo "built here (no wheel on PyPI): ${missing[*]}"
    "$PY" -m pip wheel -q --no-deps -w "$work/wheels" "${missing[@]}"
fi

"$PY" -m pip install -q --no-index --no-deps --no-compile "${FOR_PYVER[@]}" \
    --target "$work/site" "$work/wheels"/*.whl

# sae-lens imports wandb at import time for its training config; the GPU checks never log to
# it, and its wheel (a Go binary inside) would take a third of the limit. A stub stands in.
mkdir -p "$work/site/wandb"
echo '"""Stand-in for wandb on the device machine: sae-lens imports it; nothing logs to it."""' \
    >"$work/site/wandb/__init__.py"

tar -C "$work" -cf - site | xz -6 -T0 >"$BUNDLE"
echo "$BUNDLE: $(wc -l <"$work/requirements.txt") packages," \
    "$(du -sm "$work/site" | cut -f1) MiB unpacked, $(du -m "$BUNDLE" | cut -f1) MiB"
