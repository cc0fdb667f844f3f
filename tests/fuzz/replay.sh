#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs each fuzz target of BUILD_DIR (built without libFuzzer) once over its corpus in
# tests/fuzz/corpus/TARGET; fails on the first target that crashes or a sanitizer stops.
#   tests/fuzz/replay.sh BUILD_DIR
set -eu
build=$1
corpus=$(dirname "$0")/corpus
for dir in "$corpus"/*/; do
	target=$(basename "$dir")
	"$build/tests/fuzz/dpike-fuzz-$target" "$dir"
done
