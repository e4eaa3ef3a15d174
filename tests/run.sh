#!/bin/sh
# Builds everything the tests need and runs the whole suite with ctest.
#   tests/run.sh            normal build in build/, all tests
#   tests/run.sh --asan     also builds in build-asan/ with ASan+UBSan and runs the unit tests there
set -eu
cd "$(dirname "$0")/.."
./image/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGW_BUILD_BENCH=OFF >/dev/null
cmake --build build -j "$jobs"
(cd build && ctest -j "$jobs" --output-on-failure --timeout 600)

if [ "${1:-}" = "--asan" ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DGW_SANITIZE=ON -DGW_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j "$jobs"
  (cd build-asan && ctest -j "$jobs" -L unit --output-on-failure --timeout 600)
fi
