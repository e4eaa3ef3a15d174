#!/bin/sh
# Builds the gateway and runs a demonstration on loopback:
#  - shows the FHIR Bundle a sample ADT^A01 becomes (gatewayctl convert);
#  - starts gatewayd with a throw-away state directory, an MLLP channel and
#    the FHIR REST endpoint over HTTPS (a self-signed certificate made here);
#  - sends the sample HL7 v2 corpus through a real MLLP client (gatewayctl
#    send), shows the acknowledgements, resends to show duplicate detection;
#  - lists what was stored and exports the normalized FHIR records;
#  - talks FHIR REST to it with curl (metadata, create, search, read);
#  - asks the TPM for an attestation quote and checks it with tpm2_checkquote;
#  - runs a local consortium ledger (anvil), deploys the five consortium
#    contracts from the gateway's TPM-sealed ledger account (gatewayctl ledger
#    deploy) and shows the record batches anchored on it (gatewayctl ledger
#    status, the Anchored events read back over JSON-RPC);
#  - stops gatewayd cleanly.
#
# This is a demonstration on this machine only. The TPM is a SIMULATOR
# (swtpm on a loopback port), provisioned here with gatewayctl tpm provision
# and a throw-away consortium key; a real appliance uses /dev/tpmrm0. The
# store is encrypted at rest with the TPM-sealed record key. The ledger is
# anvil (from the pinned npm package) on a loopback port, a single-member
# consortium; production members run Besu QBFT or GoQuorum.
set -eu
cd "$(dirname "$0")/.."
./image/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGW_BUILD_BENCH=OFF >/dev/null
cmake --build build -j "$jobs" --target gatewayd gatewayctl

state=$(mktemp -d /tmp/gatewayd-demo.XXXXXX)
log="$state/gatewayd.log"
mkdir -p "$state/tls" "$state/swtpm"

# The TPM simulator: swtpm on a free loopback port pair (P for commands, P+1
# for its control channel).
port_free() { ! ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }
tpm_port=0
for _ in $(seq 1 50); do
  p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 ))
  if port_free "$p" && port_free $((p + 1)); then tpm_port=$p; break; fi
done
[ "$tpm_port" -ne 0 ] || { echo "demo: no free port for swtpm" >&2; exit 1; }
swtpm socket --tpm2 --server "type=tcp,bindaddr=127.0.0.1,port=$tpm_port" \
  --ctrl "type=tcp,bindaddr=127.0.0.1,port=$((tpm_port + 1))" --tpmstate "dir=$state/swtpm" \
  --flags not-need-init,startup-clear > "$state/swtpm/swtpm.log" 2>&1 &
swtpm_pid=$!
# The ledger: anvil (pinned in image/npm) on a free loopback port, its state in $state.
anvil_bin=image/npm/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
"$anvil_bin" --host 127.0.0.1 --port 0 --hardfork paris --state "$state/anvil-state.json" \
  > "$state/anvil.log" 2>&1 &
anvil_pid=$!
for _ in $(seq 1 100); do grep -q "Listening on" "$state/anvil.log" 2>/dev/null && break; sleep 0.1; done
rpc_url="http://$(sed -n 's/.*Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$state/anvil.log" | head -n1)"
[ "$rpc_url" != "http://" ] || { cat "$state/anvil.log"; echo "demo: anvil did not start" >&2; exit 1; }
rpc() { curl -sS -X POST -H 'Content-Type: application/json' \
  -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$rpc_url"; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$state/tls/server.key" -out "$state/tls/server.pem" 2>/dev/null
cat > "$state/gatewayd.toml" <<CONF
[gateway]
state_dir = "$state/state"
log_level = "info"

[keys]
store = "tpm"
consortium_id = "demo-consortium"
batch_interval_ms = 1000   # sign (and anchor) a record batch every second in the demo

[tpm]
tcti = "swtpm:host=127.0.0.1,port=$tpm_port"   # the simulator; production: device:/dev/tpmrm0

[https]
enabled = true
listen = "127.0.0.1:0"    # a free loopback port; the production default is 0.0.0.0:8443
cert_file = "$state/tls/server.pem"
key_file = "$state/tls/server.key"

[ledger]
enabled = true
rpc_url = "$rpc_url"             # anvil here; production: the members' Besu/GoQuorum node
confirmations = 1

[channel.demo]
listen = "127.0.0.1:0"    # a free loopback port; the production default is 0.0.0.0:2575
time_zone = "America/New_York"

[channel.demo.identifier_systems]
"GOODHEALTH" = "urn:oid:2.16.840.1.113883.3.999.1"
CONF

banner() { printf '\n== %s\n' "$*"; }

banner "TPM SIMULATOR: swtpm on 127.0.0.1:$tpm_port; provisioning keys (gatewayctl tpm provision)"
for _ in $(seq 1 50); do port_free "$tpm_port" || break; sleep 0.1; done
./build/gateway/gatewayctl tpm provision --config "$state/gatewayd.toml"
banner "importing a throw-away consortium key (gatewayctl tpm import-consortium-key)"
openssl rand -hex 32 > "$state/consortium.key"
./build/gateway/gatewayctl tpm import-consortium-key --config "$state/gatewayd.toml" "$state/consortium.key"
rm -f "$state/consortium.key"
banner "running gatewayctl tpm provision again: it says what exists and replaces nothing"
./build/gateway/gatewayctl tpm provision --config "$state/gatewayd.toml"

banner "LEDGER: anvil at $rpc_url; funding the gateway's ledger account and deploying the contracts"
account=$(./build/gateway/gatewayctl tpm provision --config "$state/gatewayd.toml" | sed -n 's/.*\(0x[0-9a-fA-F]\{40\}\).*/\1/p' | head -n1)
echo "gateway ledger account (TPM-sealed key): $account"
rpc anvil_setBalance "[\"$account\", \"0x56BC75E2D63100000\"]" > /dev/null  # 100 ETH of test money
echo "this gateway's member entry (gatewayctl ledger member-entry): account, batch-signing key hash"
echo "and X25519 payload public key from the TPM-backed key store, TLS fingerprint from [https] cert_file:"
./build/gateway/gatewayctl ledger member-entry --config "$state/gatewayd.toml" \
  --org-id urn:oid:2.16.840.1.113883.3.999 --name "Demo General Hospital" \
  --accreditation DEMO-ACCREDITATION-1 > "$state/founders.json"
cat "$state/founders.json"
./build/gateway/gatewayctl ledger deploy --config "$state/gatewayd.toml" --founders "$state/founders.json" --quorum 1

banner "what an ADT^A01 becomes: gatewayctl convert (first 40 lines of the transaction Bundle)"
./build/gateway/gatewayctl convert --config "$state/gatewayd.toml" tests/corpus/hl7/adt_a01.hl7 | head -n 40

banner "starting gatewayd (state in $state)"
./build/gateway/gatewayd --config "$state/gatewayd.toml" > "$log" 2>&1 &
pid=$!
trap 'kill "$pid" "$swtpm_pid" "$anvil_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q "event=ready" "$log" 2>/dev/null && break
  if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; exit 1; fi
  sleep 0.1
done
cat "$log"
port=$(sed -n 's/.*event=listening.*protocol=mllp.*address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)
https_port=$(sed -n 's/.*event=listening.*protocol=https.*address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)

banner "sending the sample corpus (tests/corpus/hl7) with gatewayctl send"
./build/gateway/gatewayctl send --to "127.0.0.1:$port" tests/corpus/hl7 || true

banner "one acknowledgement in full (gatewayctl send --show-acks): MSH swaps sender and receiver, MSA-2 echoes MSH-10"
./build/gateway/gatewayctl send --to "127.0.0.1:$port" --show-acks tests/corpus/hl7/adt_a03.hl7 || true

banner "sending it again: duplicates are recognised and get the same acknowledgements"
./build/gateway/gatewayctl send --to "127.0.0.1:$port" --summary tests/corpus/hl7 || true

banner "what was stored (gatewayctl messages list)"
./build/gateway/gatewayctl messages list --config "$state/gatewayd.toml"

banner "normalized FHIR records (gatewayctl records count / export --type Patient, first 3)"
./build/gateway/gatewayctl records count --config "$state/gatewayd.toml"
./build/gateway/gatewayctl records export --config "$state/gatewayd.toml" --type Patient | head -n 3

banner "encryption at rest: the patient names above are nowhere in the SQLite files"
for f in "$state/state/messages.db" "$state/state/messages.db-wal"; do
  [ -f "$f" ] || continue
  n=$(grep -c -a -e EVERYWOMAN -e MASSIE "$f" || true)
  echo "$(basename "$f"): $(stat -c %s "$f") bytes, lines containing EVERYWOMAN or MASSIE: $n"
done

base="https://127.0.0.1:$https_port"
curl_fhir() { curl -sS --cacert "$state/tls/server.pem" -H 'Accept: application/fhir+json' "$@"; echo; }
banner "FHIR REST over HTTPS: GET $base/metadata (first 300 bytes)"
curl_fhir -o "$state/metadata.json" "$base/metadata"; head -c 300 "$state/metadata.json"; echo " ..."
banner "FHIR REST: create a Patient, then search it by identifier"
curl_fhir -X POST -H 'Content-Type: application/fhir+json' "$base/Patient" \
  -d '{"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.840.1.113883.3.999.1","value":"DEMO-1"}],"name":[{"family":"Demo","given":["Dana"]}],"birthDate":"1990-04-01"}'
curl_fhir "$base/Patient?identifier=urn:oid:2.16.840.1.113883.3.999.1|DEMO-1"
banner "FHIR REST: an invalid resource is refused with an OperationOutcome (HTTP 422)"
curl_fhir -w 'HTTP %{http_code}\n' -X POST -H 'Content-Type: application/fhir+json' "$base/Patient" \
  -d '{"resourceType":"Patient","gender":"unknown-value","birthDate":"1990-13-45"}'

banner "attestation: a quote bound to a fresh nonce (gatewayctl tpm quote), checked with tpm2_checkquote"
nonce=$(openssl rand -hex 16)
./build/gateway/gatewayctl tpm quote --config "$state/gatewayd.toml" --nonce "$nonce" --out "$state/quote" | head -n 1
tpm2_checkquote -u "$state/quote/ak.pub" -m "$state/quote/quote.msg" -s "$state/quote/quote.sig" \
  -f "$state/quote/quote.pcrs" -g sha256 -q "$(cat "$state/quote/qualifying-data.hex")" > /dev/null \
  && echo "tpm2_checkquote: quote verified (signature, nonce binding, PCR digest)"

banner "LEDGER: record batches anchored on chain (TPM-signed Merkle roots; no patient data on chain)"
for _ in $(seq 1 300); do
  grep -q "event=ledger.anchored" "$log" 2>/dev/null && break
  sleep 0.1
done
sleep 2  # let the last batch of the run reach the ledger too
grep "event=ledger.anchored" "$log" | tail -n 3
rpc eth_getLogs '[{"fromBlock":"0x0","toBlock":"latest"}]' | \
  node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const r=JSON.parse(d).result;
    console.log(`${r.length} contract events on chain so far (member added, anchors, ...)`);})'
./build/gateway/gatewayctl ledger status --config "$state/gatewayd.toml" || true
echo "the consortium's members, quorum and policy (gatewayctl ledger members; changes: propose-*, approve):"
./build/gateway/gatewayctl ledger members --config "$state/gatewayd.toml" || true
echo "the outbox's newest items (gatewayctl ledger outbox; failed ones: gatewayctl ledger retry):"
./build/gateway/gatewayctl ledger outbox --config "$state/gatewayd.toml" --limit 4 || true
echo "the auditor's check (gatewayctl ledger verify, last lines): each batch's root rebuilt from the"
echo "stored commitments, its TPM signature, the registry's key hash, and the anchor on chain:"
./build/gateway/gatewayctl ledger verify --config "$state/gatewayd.toml" | tail -n 3 || true

banner "stopping gatewayd with SIGTERM"
kill -TERM "$pid"
wait "$pid" || true
kill "$swtpm_pid" "$anvil_pid" 2>/dev/null || true
trap - EXIT
tail -n 4 "$log"
banner "done; state kept in $state (delete it when finished)"
