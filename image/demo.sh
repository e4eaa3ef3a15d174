#!/bin/sh
# Builds the gateway and runs a demonstration on loopback: starts gatewayd
# with a throw-away state directory, sends the sample HL7 v2 corpus through a
# real MLLP client (gatewayctl send), shows the acknowledgements and what was
# stored, resends to show duplicate detection, then stops gatewayd cleanly.
#
# This is a demonstration on this machine only. There is no TPM, ledger or
# encryption at rest yet (later issues add them with swtpm and anvil); the
# demo's store holds the synthetic sample messages in plaintext.
set -eu
cd "$(dirname "$0")/.."
./image/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGW_BUILD_BENCH=OFF >/dev/null
cmake --build build -j "$jobs" --target gatewayd gatewayctl

state=$(mktemp -d /tmp/gatewayd-demo.XXXXXX)
log="$state/gatewayd.log"
cat > "$state/gatewayd.toml" <<CONF
[gateway]
state_dir = "$state/state"
log_level = "info"

[channel.demo]
listen = "127.0.0.1:0"    # a free loopback port; the production default is 0.0.0.0:2575
CONF

banner() { printf '\n== %s\n' "$*"; }

banner "starting gatewayd (state in $state)"
./build/gateway/gatewayd --config "$state/gatewayd.toml" > "$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q "event=ready" "$log" 2>/dev/null && break
  if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; exit 1; fi
  sleep 0.1
done
cat "$log"
port=$(sed -n 's/.*event=listening.*address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)

banner "sending the sample corpus (tests/corpus/hl7) with gatewayctl send"
./build/gateway/gatewayctl send --to "127.0.0.1:$port" tests/corpus/hl7 || true

banner "one acknowledgement in full (gatewayctl send --show-acks): MSH swaps sender and receiver, MSA-2 echoes MSH-10"
./build/gateway/gatewayctl send --to "127.0.0.1:$port" --show-acks tests/corpus/hl7/adt_a03.hl7 || true

banner "sending it again: duplicates are recognised and get the same acknowledgements"
./build/gateway/gatewayctl send --to "127.0.0.1:$port" --summary tests/corpus/hl7 || true

banner "what was stored (gatewayctl messages list)"
./build/gateway/gatewayctl messages list --config "$state/gatewayd.toml"

banner "stopping gatewayd with SIGTERM"
kill -TERM "$pid"
wait "$pid" || true
trap - EXIT
tail -n 4 "$log"
banner "done; state kept in $state (delete it when finished)"
