#!/bin/sh
# Builds the benchmarks (Release) and runs them; every figure is printed as JSON.
#   tests/bench.sh              all benchmarks
#   tests/bench.sh parse        HL7 v2 parser throughput only (one core)
#   tests/bench.sh ingest       MLLP end to end with durable acknowledgements only
#   tests/bench.sh fhir         v2 -> validated canonical FHIR, FHIR validation (one core)
#   tests/bench.sh ledger       transfers/s and gas through the C++ ledger client against anvil
#   tests/bench.sh transfer     transfers between two real gatewayds (+ swtpm, anvil) and the
#                               consent check; extra arguments go to transfer_bench
#                               (--transfers N, --clients C)
#   tests/bench.sh peering      sequential member calls, a new TLS connection each vs kept alive
#   tests/bench.sh rest         FHIR reads before access control, with mutual TLS + audit, with
#                               a Bearer token + audit; extra arguments go to rest_read_bench
#                               (--seconds S, --clients 1,4,16,64, --patients P)
#   tests/bench.sh pipeline     issue 19's table: the real gatewayd (swtpm, default configuration)
#                               under the seeded generator's mixed traffic at 1/16/64/256 blocking
#                               connections beside a do-nothing MLLP responder, one-core parse /
#                               normalize / crypto, pwrite and fsync per message (strace -c),
#                               growth; extra arguments go to pipeline_bench (--seconds S,
#                               --connections 1,16,64,256, --stored 0,50000 -- e.g.
#                               --stored 0,1000000,5000000 for the long growth run --, --seed N,
#                               --strace-messages N)
# The machine and its load matter: note both when you quote a figure.
set -eu
cd "$(dirname "$0")/.."
./image/install-deps.sh
what=${1:-all}
[ $# -gt 0 ] && shift
jobs=$(nproc 2>/dev/null || echo 2)
if [ "$what" != transfer ] && [ "$what" != peering ] && [ "$what" != rest ] &&
   [ "$what" != pipeline ]; then
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DGW_BUILD_TESTS=OFF -DGW_BUILD_BENCH=ON >/dev/null
  cmake --build build-bench -j "$jobs" >/dev/null
fi

if [ "$what" = all ] || [ "$what" = parse ]; then
  echo "== er7_bench (HL7 v2 parse throughput, one core)" >&2
  taskset -c 0 ./build-bench/adapters/er7_bench --benchmark_format=json --benchmark_min_time=1
fi
if [ "$what" = all ] || [ "$what" = store ]; then
  echo "== message_store_bench (SQLite group commit)" >&2
  ./build-bench/gateway/message_store_bench --benchmark_format=json
fi
if [ "$what" = all ] || [ "$what" = ingest ]; then
  echo "== ingest_bench (MLLP end to end, durable acknowledgements)" >&2
  ./build-bench/gateway/ingest_bench --seconds 10 --connections 1,16,64
fi
if [ "$what" = all ] || [ "$what" = fhir ]; then
  echo "== normalize_bench (HL7 v2 -> validated canonical FHIR records, one core)" >&2
  taskset -c 0 ./build-bench/gateway/normalize_bench --benchmark_format=json --benchmark_min_time=1
  echo "== fhir_validate_bench (FHIR R4 validation, one core)" >&2
  taskset -c 0 ./build-bench/fhir/fhir_validate_bench --benchmark_format=json --benchmark_min_time=1
fi
if [ "$what" = all ] || [ "$what" = ledger ]; then
  echo "== outbox_bench (transfers recorded per second against anvil, gas per transfer and grant)" >&2
  ./build-bench/ledger-client/outbox_bench
fi
if [ "$what" = all ] || [ "$what" = transfer ]; then
  # transfer_bench reuses the integration tests' fixture (test support
  # library), so it builds in its own Release dir with tests on, and only
  # the targets it runs: build-bench stays a tests-off build.
  cmake -S . -B build-bench-transfer -G Ninja -DCMAKE_BUILD_TYPE=Release -DGW_BUILD_TESTS=ON -DGW_BUILD_BENCH=ON >/dev/null
  cmake --build build-bench-transfer -j "$jobs" --target transfer_bench consortium_view_bench >/dev/null
  echo "== consortium_view_bench (consent check from the cache, ns per check)" >&2
  ./build-bench-transfer/gateway/consortium_view_bench --benchmark_format=json
  echo "== transfer_bench (pushes A -> B between two gatewayds, one JSON object)" >&2
  ./build-bench-transfer/tests/transfer_bench "$@"
fi
if [ "$what" = all ] || [ "$what" = peering ]; then
  # Uses the peering tests' PKI helpers (test support), so it builds where
  # transfer_bench does.
  cmake -S . -B build-bench-transfer -G Ninja -DCMAKE_BUILD_TYPE=Release -DGW_BUILD_TESTS=ON -DGW_BUILD_BENCH=ON >/dev/null
  cmake --build build-bench-transfer -j "$jobs" --target peer_client_bench >/dev/null
  echo "== peer_client_bench (sequential member calls: max_idle=0 a handshake each, 4 kept alive)" >&2
  ./build-bench-transfer/tests/peer_client_bench --benchmark_format=json --benchmark_min_time=2
fi
if [ "$what" = all ] || [ "$what" = rest ]; then
  # Uses the REST tests' PKI helpers (test support), so tests are on; its own
  # dir, and only its target.
  cmake -S . -B build-bench-rest -G Ninja -DCMAKE_BUILD_TYPE=Release -DGW_BUILD_TESTS=ON -DGW_BUILD_BENCH=ON >/dev/null
  cmake --build build-bench-rest -j "$jobs" --target rest_read_bench >/dev/null
  echo "== rest_read_bench (FHIR reads: before / mutual TLS + audit / Bearer token + audit)" >&2
  ./build-bench-rest/tests/rest_read_bench "$@"
fi
if [ "$what" = all ] || [ "$what" = pipeline ]; then
  # Runs the real gatewayd through the integration tests' fixture (test
  # support library: swtpm, provisioning), so it builds where transfer_bench
  # does, only its targets.
  cmake -S . -B build-bench-transfer -G Ninja -DCMAKE_BUILD_TYPE=Release -DGW_BUILD_TESTS=ON -DGW_BUILD_BENCH=ON >/dev/null
  cmake --build build-bench-transfer -j "$jobs" --target pipeline_bench pipeline_micro_bench gatewayd gatewayctl >/dev/null
  micro=$(mktemp)
  trap 'rm -f "$micro"' EXIT
  echo "== pipeline_micro_bench (parse, normalize, crypto on the generated corpus, one core)" >&2
  taskset -c 0 ./build-bench-transfer/tests/pipeline_micro_bench >"$micro"
  echo "== pipeline_bench (gatewayd vs a do-nothing responder; JSON, then one table)" >&2
  uptime >&2
  ./build-bench-transfer/tests/pipeline_bench --micro-json "$micro" "$@"
fi
