#!/bin/sh
# Builds everything the tests need and runs the whole suite with ctest, twice:
# a normal optimized build (build/) and an AddressSanitizer + UndefinedBehavior-
# Sanitizer build (build-asan/) in which gatewayd itself runs instrumented
# under the integration tests.
#   tests/run.sh            both builds, every test
#   tests/run.sh --quick    the normal build only
# ctest labels, by what a test needs besides its own process (a test declares
# it in a `// test-needs:` line at its top; see gw_test_labels in the root
# CMakeLists.txt):
#   unit         temporary files, loopback sockets, at most a fork of itself
#                or a short-lived system tool (openssl, curl)
#   swtpm        starts swtpm (and tpm2-tools where a test plays the verifier)
#   anvil        starts anvil
#   integration  runs the gatewayd / gatewayctl binaries, or the node checks
#   fuzz         replays a fuzz target's seed corpus
#   soak         runs for SOAK_SECONDS (default 60; hostile_soak_test)
# A test may carry several (a gatewayd test: integration swtpm). To run a part
# by hand, in build/: `ctest -L unit` (no swtpm, anvil or gatewayd), or
# `ctest -LE 'swtpm|anvil'` (where neither tool is installed).
set -eu
cd "$(dirname "$0")/.."
./image/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
run_suite() {  # build-dir, extra cmake args...
  dir=$1
  shift
  echo "== tests/run.sh: building in $dir"
  cmake -S . -B "$dir" -G Ninja -DGW_BUILD_BENCH=OFF "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  echo "== tests/run.sh: ctest in $dir"
  (cd "$dir" && ctest -j "$jobs" --output-on-failure --timeout 600)
}

# Compilation is most of a run's time, so both builds keep only the debug
# information a failure report needs (file and line: -g1 / line tables), and
# the sanitizer build uses clang, which compiles instrumented code about a
# third faster than g++ and checks the code with a second compiler's warnings.
# A developer's own build (cmake -B build) keeps full -g.
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
if [ "${1:-}" != "--quick" ]; then
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DGW_SANITIZE=ON -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only
fi
echo "== tests/run.sh: all tests passed"
