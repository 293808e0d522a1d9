#!/bin/sh
# Quickstart: turn one plain wheel into a variant family (x86-64-v3 with the
# default hash label, x86-64-v4 labelled "v4", and the null variant), write the
# index file uv needs beside them, show what was made, and ask which wheel an
# installer would take here (and on an x86-64-v3 machine).
set -eu
cd "$(dirname "$0")"
out="${1:-dist-variants}"
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
