#!/bin/sh
# Run once, on the wheels of every build job gathered in one folder:
#  1. the null variant's wheels again under their plain name, for pip and
#     other installers without variant support;
#  2. {name}-{version}-variants.json, without which uv ignores the variants;
#  3. a strict check of everything (RECORD hashes, labels, the index file);
#  4. index.html, so that the folder works as a --find-links URL when served
#     as static files (GitHub Pages lists no folders).
# Usage: sh ci/publish.sh DIST
set -eu
dist="${1:-dist}"
for wheel in "$dist"/*-null.whl; do
    [ -e "$wheel" ] || continue
    varwheel unmake-variant -f "$wheel" -o "$dist"
done
varwheel index "$dist"
varwheel check --strict "$dist"
{
    echo '<!DOCTYPE html><html><head><meta charset="utf-8"><title>wheels</title></head><body>'
    for file in "$dist"/*.whl "$dist"/*-variants.json; do
        name=$(basename "$file")
        echo "<a href=\"$name\">$name</a><br>"
    done
    echo '</body></html>'
} > "$dist/index.html"
