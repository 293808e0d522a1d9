#!/bin/sh
# Demo: make three per-CUDA builds of mypkg (fixture wheels), repackage them
# into one variant family, then let uv pick one under pretend GPU drivers.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:-$here/demo-out}"
rm -rf "$work"
mkdir -p "$work"
cd "$work"

python "$here/make_demo_inputs.py" in
python "$here/repackage.py" --config "$here/variants.toml" \
    --flavor cu126=in/cu126 --flavor cu129=in/cu129 --flavor null=in/cpu \
    --plain null -o dist

# No GPU needed: the nvidia provider built into uv can be told what to pretend.
for pretend in "12.8 9.0" "12.9 9.0" "12.5 9.0"; do
    set -- $pretend
    rm -rf venv
    uv venv -q venv
    NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION=$1 NV_VARIANT_PROVIDER_FORCE_SM_ARCH=$2 \
        uv pip install -q --python venv/bin/python --preview-features wheel-variants \
        --no-index --find-links dist mypkg
    echo "driver $1, compute capability $2 -> $(venv/bin/python -c 'import mypkg; print(mypkg.FLAVOR)')"
done
