#!/usr/bin/env bash
# Configures and builds onvm into build/ (binaries in build/bin/).
# Warnings are errors in CI (CI=true). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake_args=(-S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [[ "${CI:-}" == true ]]; then
  cmake_args+=(-DONVM_WERROR=ON)
fi

echo "build: cmake ${cmake_args[*]} $*"
cmake "${cmake_args[@]}" "$@"
echo "build: ninja -C build"
ninja -C build
