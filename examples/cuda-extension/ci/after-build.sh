#!/bin/sh
# Run in each build job after cibuildwheel: the wheels were built with a
# deferred label (variant.json inside, plain name, so that cibuildwheel and
# auditwheel accept them); give them their label, then check them.
# Usage: sh ci/after-build.sh WHEELHOUSE
set -eu
wheelhouse="${1:-wheelhouse}"
varwheel relabel "$wheelhouse"
varwheel check "$wheelhouse"
