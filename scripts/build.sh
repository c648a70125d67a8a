#!/usr/bin/env bash
# Configures and builds onvm into build/ (binaries in build/bin/).
# Warnings are errors in CI (CI=true). Extra arguments go to cmake.
#
# The quality gates (scripts/sanitize.sh, scripts/fuzz.sh) build through this
# script too, so that CI's warnings-as-errors applies to every build:
#   ONVM_BUILD_DIR=DIR      build directory (default build)
#   ONVM_BUILD_TARGETS="T…" build only these ninja targets (default: all)
#   CC, CXX                 compilers, read by cmake on a fresh directory only
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${ONVM_BUILD_DIR:-build}"
read -r -a targets <<<"${ONVM_BUILD_TARGETS:-}"

cmake_args=(-S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [[ "${CI:-}" == true ]]; then
  cmake_args+=(-DONVM_WERROR=ON)
fi

echo "build: cmake ${cmake_args[*]} $*"
cmake "${cmake_args[@]}" "$@"
echo "build: ninja -C $dir ${targets[*]}"
ninja -C "$dir" "${targets[@]}"
