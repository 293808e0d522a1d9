#!/bin/sh
# Quickstart, in two parts.
#
# 1. Existing wheels: turn one plain wheel into a variant family (x86-64-v3
#    with the default hash label, x86-64-v4 labelled "v4", and the null
#    variant), write the index file uv needs beside them, show what was made,
#    and ask which wheel an installer would take here (and on an x86-64-v3
#    machine).
# 2. From source: build hello_ext/ (a C extension whose build-backend is
#    varwheel.build, wrapping setuptools) as the null variant, an x86-64-v3
#    variant and an x86-64-v4 variant with `python -m build`, index them, ask
#    which one this machine gets, and run that one: it prints the
#    instruction-set macros it was compiled with.
#
# usage: demo.sh [OUT [BUILT]]    (defaults: dist-variants and dist-built, here)
#
# Needs varwheel installed (pip install /path/to/varwheel); installs `build`
# into the current environment if `python -m build` is missing.  varwheel is
# offered to the isolated builds from a local wheelhouse (PIP_FIND_LINKS), so
# nothing but the inner backend (setuptools) comes from the package index.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
out="${1:-dist-variants}"
built="${2:-dist-built}"
python="${PYTHON:-python3}"

echo "== 1. existing wheels -> variants (varwheel make-variant)"
rm -rf "$out"
wheel=hello_variants-1.0-py3-none-any.whl

varwheel make-variant -f "$wheel" -o "$out" --pyproject-toml pyproject.toml -p 'x86_64 :: level :: v3'
varwheel make-variant -f "$wheel" -o "$out" --pyproject-toml pyproject.toml --variant-label v4
varwheel make-variant -f "$wheel" -o "$out" --pyproject-toml pyproject.toml --null-variant
varwheel index "$out"

for w in "$out"/*.whl; do
    echo
    varwheel show "$w"
done
echo
echo "index file:"
cat "$out"/hello_variants-1.0-variants.json

echo
echo "this machine:"
varwheel detect
echo
varwheel select hello_variants --find-links "$out" --explain
echo
echo "on an x86-64-v3 machine:"
varwheel select hello_variants --find-links "$out" --no-detect --assume 'x86_64 :: level :: v3'

echo
echo "== 2. source -> compiled variants (build-backend = \"varwheel.build\", hello_ext/)"
if [ "$(uname -m)" != x86_64 ]; then
    echo "skipped: hello_ext's variants are x86-64 levels (-march=x86-64-v3/v4), this machine is $(uname -m)"
    exit 0
fi
if ! "$python" -m build --version >/dev/null 2>&1; then
    echo "installing build (for python -m build)"
    "$python" -m pip install -q build
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/varwheel-quickstart.XXXXXX")
trap 'rm -rf "$work"' EXIT

# varwheel is not on the package index the isolated build environments use:
# offer it from a local wheelhouse (README.md, "varwheel in isolated builds").
# The wheel is built from a copy of the source, so that pip's build/ folder
# stays out of the checkout.
echo "\$ pip wheel --no-deps -w WHEELHOUSE $root"
mkdir "$work/varwheel-src"
cp -R "$root/pyproject.toml" "$root/README.md" "$root/backend" "$work/varwheel-src/"
"$python" -m pip wheel -q --no-deps -w "$work/wheelhouse" "$work/varwheel-src"
PIP_FIND_LINKS="$work/wheelhouse${PIP_FIND_LINKS:+ $PIP_FIND_LINKS}"
export PIP_FIND_LINKS

# Build from a copy, so that build/ and *.egg-info stay out of the checkout.
cp -R hello_ext "$work/hello_ext"
rm -rf "$built"
mkdir -p "$built"
build() {
    echo "\$ PIP_FIND_LINKS=WHEELHOUSE python -m build -w hello_ext $*"
    if ! "$python" -m build -w -o "$built" "$work/hello_ext" "$@" >"$work/build.log" 2>&1; then
        cat "$work/build.log"
        exit 1
    fi
    grep -E '^varwheel: (building|forwarded|warning)|^Successfully built' "$work/build.log" || true
}
build -Cnull-variant
build -Cvariant=x86_64::level::v3
build -Cvariant=x86_64::level::v4 -Cvariant-label=v4
varwheel index "$built"
echo
ls "$built"

echo
varwheel select hello_ext --find-links "$built" --explain
chosen=$(varwheel select hello_ext --find-links "$built")

# Run the chosen wheel: unpacked onto PYTHONPATH (any machine), and installed
# by uv when uv is here (uv chooses for itself, from the same folder).
echo
"$python" -m zipfile -e "$chosen" "$work/chosen"
report='import hello_ext; print("hello_ext %s was compiled with: %s" % (hello_ext.label(), " ".join(hello_ext.macros())))'
(cd "$work/chosen" && PYTHONPATH="$work/chosen" "$python" -c "$report")
if command -v uv >/dev/null 2>&1; then
    export UV_CACHE_DIR="$work/uv-cache"
    uv venv -q --python "$python" "$work/venv"
    uv pip install -q --preview-features wheel-variants --python "$work/venv/bin/python" \
        --no-index --find-links "$built" hello_ext
    printf 'installed by uv: '
    (cd "$work" && "$work/venv/bin/python" -c "$report")
fi
