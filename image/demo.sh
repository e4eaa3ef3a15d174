#!/bin/sh
# Builds the gateway and runs a demonstration on loopback with two member
# gateways, "Hospital A" and "Hospital B", each with its own TPM simulator,
# state directory, TLS certificate and member-to-member (peering) port:
#  - provisions both (gatewayctl tpm provision, one shared consortium key),
#    runs a local consortium ledger (anvil) and deploys the five consortium
#    contracts with both hospitals as founders (quorum 2) from their own
#    `gatewayctl ledger member-entry` lines;
#  - shows the FHIR Bundle a sample ADT^A01 becomes (gatewayctl convert);
#  - starts Hospital A's gatewayd with an MLLP channel and the FHIR REST
#    endpoint over HTTPS, sends the sample HL7 v2 corpus through a real MLLP
#    client (gatewayctl send), shows the acknowledgements, resends to show
#    duplicate detection, lists and exports what was stored;
#  - shows the FHIR API's access control with curl: each hospital has a
#    client CA (client_ca_file) and clients in [client.NAME]: ehr (client
#    certificate, system/*.cruds), secops (admin role), auditor (auditor
#    role), registry (SMART Backend Services with a P-384 JWKS,
#    system/Patient.rs). No certificate: 401 with WWW-Authenticate; ehr
#    creates, searches and reads; a certificate from another CA fails the
#    TLS handshake; roles are not scopes (403 naming what is missing); the
#    registry signs an ES384 client assertion, gets an access token from
#    POST /auth/token and reads with it, its replayed assertion is refused,
#    its read-only token's POST is 403;
#  - asks the TPM for an attestation quote and checks it with tpm2_checkquote;
#  - shows the record batches anchored on the ledger (gatewayctl ledger
#    status, members, outbox, verify);
#  - starts Hospital B; a FHIR Consent POSTed to A grants B treatment access
#    (TREAT) to a sample patient, excluding psychiatric records (PSY), and is
#    recorded on the ledger; B pulls the patient from A ($request-transfer);
#    A records the transfer on the ledger, filters and seals the records to
#    B, B verifies and stores them; B's FHIR API then serves the Patient and
#    the Provenance naming the transfer, and the TransferRecorded event is
#    read back from the ledger over JSON-RPC;
#  - the audit trail as A's privacy officer sees it: GET /AuditEvent by
#    patient and by client (IHE BALP AuditEvents), the patient's access
#    report (GET /Patient/{id}/$access-report, a PDF, through pdftotext);
#  - stops both gateways cleanly, then checks A's audit trail end to end
#    (gatewayctl audit verify: chain, TPM signatures, ledger anchors) and
#    writes the access report from the console (gatewayctl audit report).
#
# This is a demonstration on this machine only. The TPMs are SIMULATORS
# (swtpm on loopback ports), provisioned here with gatewayctl tpm provision
# and a throw-away consortium key; a real appliance uses /dev/tpmrm0. The
# stores are encrypted at rest with the TPM-sealed record keys. The ledger is
# anvil (from the pinned npm package) on a loopback port, mining a block a
# second, a two-member consortium whose members both run here; production
# members run Besu QBFT or GoQuorum, each hospital its own node and gateway
# on its own network.
#
# Environment: GW_DEMO_BUILD_DIR (default ./build) and GW_DEMO_JOBS (default
# nproc) choose the build directory and the parallel build jobs.
set -eu
cd "$(dirname "$0")/.."
./image/install-deps.sh

build=${GW_DEMO_BUILD_DIR:-build}
jobs=${GW_DEMO_JOBS:-$(nproc 2>/dev/null || echo 2)}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGW_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target gatewayd gatewayctl
ctl="$build/gateway/gatewayctl"
gatewayd="$build/gateway/gatewayd"

state=$(mktemp -d /tmp/gatewayd-demo.XXXXXX)
a="$state/hospital-a"
b="$state/hospital-b"
mkdir -p "$a/tls" "$a/swtpm" "$b/tls" "$b/swtpm"

# Every process started here is stopped on any exit (error, Ctrl-C, end).
pids=""
stop_all() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  for p in $pids; do wait "$p" 2>/dev/null || true; done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# Sets variable $1 to a free loopback port P (P+1 free too when $2 = pair)
# that was not handed out before. Ports come from below the kernel's
# ephemeral range, which outgoing connections and port-0 listeners draw from:
# a port there that is free now may be some connection's a moment later.
taken=""
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "$ephemeral_low" -gt 12000 ] || ephemeral_low=32768
port_free() { ! ss -tanH "sport = :$1" 2>/dev/null | grep -q .; }
pick_port() {
  for _ in $(seq 1 50); do
    p=$(( 10000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % (ephemeral_low - 10001) ))
    case " $taken " in *" $p "* | *" $((p + 1)) "*) continue ;; esac
    if port_free "$p" && { [ "${2:-}" != pair ] || port_free $((p + 1)); }; then
      taken="$taken $p $((p + 1))"; eval "$1=$p"; return 0
    fi
  done
  echo "demo: no free loopback port" >&2; exit 1
}

# The TPM simulators: swtpm on a free loopback port pair each (P for
# commands, P+1 for its control channel).
start_swtpm() {  # DIR PORT
  swtpm socket --tpm2 --server "type=tcp,bindaddr=127.0.0.1,port=$2" \
    --ctrl "type=tcp,bindaddr=127.0.0.1,port=$(($2 + 1))" --tpmstate "dir=$1/swtpm" \
    --flags not-need-init,startup-clear > "$1/swtpm/swtpm.log" 2>&1 &
  pids="$pids $!"
  for _ in $(seq 1 50); do port_free "$2" || break; sleep 0.1; done
}
tpm_a="" tpm_b="" peer_a="" peer_b=""   # set by pick_port
pick_port tpm_a pair; start_swtpm "$a" "$tpm_a"
pick_port tpm_b pair; start_swtpm "$b" "$tpm_b"
pick_port peer_a; pick_port peer_b

# The ledger: anvil (pinned in image/npm) on a free loopback port, its state in $state.
anvil_bin=image/npm/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
# A block every second, as a consortium chain has a block period (QBFT:
# a few seconds): a grant counts once a block is on top of it, and anvil by
# itself would mine only when a transaction comes.
"$anvil_bin" --host 127.0.0.1 --port 0 --hardfork paris --block-time 1 \
  --state "$state/anvil-state.json" \
  > "$state/anvil.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 1 100); do grep -q "Listening on" "$state/anvil.log" 2>/dev/null && break; sleep 0.1; done
rpc_url="http://$(sed -n 's/.*Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$state/anvil.log" | head -n1)"
[ "$rpc_url" != "http://" ] || { cat "$state/anvil.log"; echo "demo: anvil did not start" >&2; exit 1; }
rpc() { curl -sS -X POST -H 'Content-Type: application/json' \
  -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$rpc_url"; }

# Each hospital's clients of its FHIR API, made with openssl as the server's
# certificate is: a client CA ([https] client_ca_file) and certificates it
# issues to the EHR interface, the security operations team and the privacy
# officer; and the registry's P-384 key with the public JWKS gatewayd reads
# (SMART Backend Services: it asks POST /auth/token for access tokens).
make_clients() {  # DIR ORGANIZATION
  c="$1/clients"
  mkdir -p "$c"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/O=$2/CN=$2 client CA" -keyout "$c/ca.key" -out "$c/ca.pem" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
    > "$c/client.ext"
  for who in ehr secops auditor; do
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -subj "/O=$2/CN=$who" -keyout "$c/$who.key" -out "$c/$who.csr" 2>/dev/null
    openssl x509 -req -in "$c/$who.csr" -CA "$c/ca.pem" -CAkey "$c/ca.key" -CAcreateserial \
      -days 2 -extfile "$c/client.ext" -out "$c/$who.pem" 2>/dev/null
  done
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$c/registry.key" 2>/dev/null
  # The JWKS holds the public half only; kid is its RFC 7638 thumbprint.
  node -e 'const c = require("crypto"), fs = require("fs");
    const j = c.createPublicKey(fs.readFileSync(process.argv[1])).export({format: "jwk"});
    const kid = c.createHash("sha256").update(JSON.stringify({crv: j.crv, kty: j.kty, x: j.x, y: j.y}))
      .digest("base64url");
    fs.writeFileSync(process.argv[2], JSON.stringify({keys: [{...j, kid, alg: "ES384", use: "sig"}]}, null, 1));' \
    "$c/registry.key" "$c/registry.jwks.json"
}
# What [client.NAME] cert_subject and cert_sha256 take, as the operator guide shows.
subject_of() { openssl x509 -noout -subject -nameopt RFC2253 -in "$1" | sed 's/^subject=//'; }
sha256_of() { openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/^.*=//'; }

# Each hospital's configuration: its own TPM, state, certificate, clients and
# peering port. [peers] is added once both ledger accounts are known.
write_config() {  # DIR TPM_PORT PEERING_PORT ORGANIZATION
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$1/tls/server.key" -out "$1/tls/server.pem" 2>/dev/null
  make_clients "$1" "$4"
  cat > "$1/gatewayd.toml" <<CONF
[gateway]
state_dir = "$1/state"
log_level = "info"

[keys]
store = "tpm"
consortium_id = "demo-consortium"
batch_interval_ms = 1000   # sign (and anchor) a record batch every second in the demo

[tpm]
tcti = "swtpm:host=127.0.0.1,port=$2"   # the simulator; production: device:/dev/tpmrm0

[https]
enabled = true
listen = "127.0.0.1:0"    # a free loopback port; the production default is 0.0.0.0:8443
cert_file = "$1/tls/server.pem"
key_file = "$1/tls/server.key"
client_ca_file = "$1/clients/ca.pem"   # clients with a certificate from this CA: mutual TLS
# No allow_anonymous: every request but GET /metadata comes from a [client.NAME] below.

# The FHIR API's clients; NAME is the client_id and the name in the audit trail.
[client.ehr]                       # the EHR interface: every record interaction, by certificate
cert_subject = "$(subject_of "$1/clients/ehr.pem")"
scopes = ["system/*.cruds"]

[client.secops]                    # security operations: /admin/ (metrics, attestation), no records
cert_subject = "$(subject_of "$1/clients/secops.pem")"
cert_sha256 = ["$(sha256_of "$1/clients/secops.pem")"]   # pinned: this certificate only
roles = ["admin"]

[client.auditor]                   # the privacy officer: the audit trail (AuditEvent, access reports)
cert_subject = "$(subject_of "$1/clients/auditor.pem")"
roles = ["auditor"]

[client.registry]                  # a disease registry: SMART Backend Services, read and search Patients
jwks_file = "$1/clients/registry.jwks.json"
scopes = ["system/Patient.rs"]

[audit]
batch_max_age_s = 1       # seal (TPM-sign and anchor) the audit trail every second in the demo; default 60

[ledger]
enabled = true
rpc_url = "$rpc_url"             # anvil here; production: the members' Besu/GoQuorum node
confirmations = 1
view_poll_ms = 200                # how often the consortium view (consents, members) polls; default 1000

[peering]
enabled = true            # the member-to-member API (mutual TLS, members' certificates only)
listen = "127.0.0.1:$3"   # the production default is 0.0.0.0:8444

[channel.demo]
listen = "127.0.0.1:0"    # a free loopback port; the production default is 0.0.0.0:2575
time_zone = "America/New_York"

[channel.demo.identifier_systems]
"GOODHEALTH" = "urn:oid:2.16.840.1.113883.3.999.1"

# Sender rules: which MSH-3/MSH-4 may arrive from which connections. The demo
# sends every sample from this machine; production has one table per sending
# system, e.g. applications = ["EPICADT"], addresses = ["10.20.0.0/24"].
[channel.demo.sender.this-machine]
addresses = ["127.0.0.1", "::1"]
CONF
}
write_config "$a" "$tpm_a" "$peer_a" "Demo General Hospital"
write_config "$b" "$tpm_b" "$peer_b" "Demo County Hospital"

banner() { printf '\n== %s\n' "$*"; }
# Prints what the JavaScript expression $1 makes of the JSON on stdin (r).
json() { node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const r=JSON.parse(d);
  const v=new Function("r","return ("+process.argv[1]+")")(r);
  console.log(typeof v==="string"?v:JSON.stringify(v,null,1));})' "$1"; }

banner "TPM SIMULATORS: swtpm on 127.0.0.1:$tpm_a (Hospital A) and 127.0.0.1:$tpm_b (Hospital B)"
echo "provisioning Hospital A's keys (gatewayctl tpm provision):"
"$ctl" tpm provision --config "$a/gatewayd.toml"
banner "importing a throw-away consortium key (gatewayctl tpm import-consortium-key; B gets the same one)"
openssl rand -hex 32 > "$state/consortium.key"
"$ctl" tpm import-consortium-key --config "$a/gatewayd.toml" "$state/consortium.key"
banner "running gatewayctl tpm provision again: it says what exists and replaces nothing"
"$ctl" tpm provision --config "$a/gatewayd.toml"
banner "Hospital B: its own keys in its own TPM, and the consortium's shared key"
"$ctl" tpm provision --config "$b/gatewayd.toml" | grep -e "ledger account" -e "payload public key"
"$ctl" tpm import-consortium-key --config "$b/gatewayd.toml" "$state/consortium.key"
rm -f "$state/consortium.key"

banner "LEDGER: anvil at $rpc_url; funding both ledger accounts and deploying the contracts"
account_of() { "$ctl" tpm provision --config "$1/gatewayd.toml" | sed -n 's/.*\(0x[0-9a-fA-F]\{40\}\).*/\1/p' | head -n1; }
account_a=$(account_of "$a")
account_b=$(account_of "$b")
echo "Hospital A ledger account (TPM-sealed key): $account_a"
echo "Hospital B ledger account (TPM-sealed key): $account_b"
for acct in "$account_a" "$account_b"; do
  rpc anvil_setBalance "[\"$acct\", \"0x56BC75E2D63100000\"]" > /dev/null  # 100 ETH of test money
done
# Each names the other's member-to-member API.
printf '\n[peers]\n"%s" = "https://127.0.0.1:%s"\n' "$account_b" "$peer_b" >> "$a/gatewayd.toml"
printf '\n[peers]\n"%s" = "https://127.0.0.1:%s"\n' "$account_a" "$peer_a" >> "$b/gatewayd.toml"
org_a=urn:oid:2.16.840.1.113883.3.999
org_b=urn:oid:2.16.840.1.113883.3.998
echo "each gateway's member entry (gatewayctl ledger member-entry): account, batch-signing key hash"
echo "and X25519 payload public key from the TPM-backed key store, TLS fingerprint from [https] cert_file;"
echo "the two entries together are the founders:"
"$ctl" ledger member-entry --config "$a/gatewayd.toml" --org-id "$org_a" \
  --name "Demo General Hospital (A)" --accreditation DEMO-ACCREDITATION-1 > "$state/member-a.json"
"$ctl" ledger member-entry --config "$b/gatewayd.toml" --org-id "$org_b" \
  --name "Demo County Hospital (B)" --accreditation DEMO-ACCREDITATION-2 > "$state/member-b.json"
node -e 'const fs=require("fs");const m=process.argv.slice(1).flatMap(f=>JSON.parse(fs.readFileSync(f)));
  console.log(JSON.stringify(m,null,2));' "$state/member-a.json" "$state/member-b.json" > "$state/founders.json"
cat "$state/founders.json"
"$ctl" ledger deploy --config "$a/gatewayd.toml" --founders "$state/founders.json" --quorum 2
# Hospital B joins the same deployment (the file names the contracts).
mkdir -p "$b/state/ledger"
cp "$a/state/ledger/consortium.json" "$b/state/ledger/consortium.json"

banner "what an ADT^A01 becomes: gatewayctl convert (first 40 lines of the transaction Bundle)"
"$ctl" convert --config "$a/gatewayd.toml" tests/corpus/hl7/adt_a01.hl7 | head -n 40

# Starts a gateway; sets $pid_X, $mllp_X and $https_X for NAME X.
pid_a="" mllp_a="" https_a="" pid_b="" https_b=""
start_gateway() {  # NAME DIR
  "$gatewayd" --config "$2/gatewayd.toml" > "$2/gatewayd.log" 2>&1 &
  p=$!
  pids="$pids $p"
  for _ in $(seq 1 100); do
    grep -q "event=ready" "$2/gatewayd.log" 2>/dev/null && break
    if ! kill -0 "$p" 2>/dev/null; then cat "$2/gatewayd.log"; exit 1; fi
    sleep 0.1
  done
  cat "$2/gatewayd.log"
  eval "pid_$1=$p"
  eval "mllp_$1=$(sed -n 's/.*event=listening.*protocol=mllp.*address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$2/gatewayd.log" | head -n1)"
  eval "https_$1=$(sed -n 's/.*event=listening.*channel=fhir.*address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$2/gatewayd.log" | head -n1)"
}

banner "starting Hospital A's gatewayd (state in $a)"
start_gateway a "$a"
port=$mllp_a
log="$a/gatewayd.log"

banner "sending the sample corpus (tests/corpus/hl7) with gatewayctl send"
"$ctl" send --to "127.0.0.1:$port" tests/corpus/hl7 || true

banner "one acknowledgement in full (gatewayctl send --show-acks): MSH swaps sender and receiver, MSA-2 echoes MSH-10"
"$ctl" send --to "127.0.0.1:$port" --show-acks tests/corpus/hl7/adt_a03.hl7 || true

banner "sending it again: duplicates are recognised and get the same acknowledgements"
"$ctl" send --to "127.0.0.1:$port" --summary tests/corpus/hl7 || true

banner "what was stored (gatewayctl messages list)"
"$ctl" messages list --config "$a/gatewayd.toml"

banner "normalized FHIR records (gatewayctl records count / export --type Patient, first 3)"
"$ctl" records count --config "$a/gatewayd.toml"
"$ctl" records export --config "$a/gatewayd.toml" --type Patient | head -n 3

banner "encryption at rest: the patient names above are nowhere in the SQLite files"
for f in "$a/state/messages.db" "$a/state/messages.db-wal"; do
  [ -f "$f" ] || continue
  n=$(grep -c -a -e EVERYWOMAN -e MASSIE "$f" || true)
  echo "$(basename "$f"): $(stat -c %s "$f") bytes, lines containing EVERYWOMAN or MASSIE: $n"
done

base="https://127.0.0.1:$https_a"
# Hospital A's EHR interface: its client certificate (client ehr, system/*.cruds).
curl_fhir() {
  curl -sS --cacert "$a/tls/server.pem" --cert "$a/clients/ehr.pem" --key "$a/clients/ehr.key" \
    -H 'Accept: application/fhir+json' "$@"
  echo
}
banner "FHIR REST over HTTPS: GET $base/metadata, open to all (first 300 bytes)"
curl -sS --cacert "$a/tls/server.pem" -o "$state/metadata.json" "$base/metadata"
head -c 300 "$state/metadata.json"; echo " ..."
# shellcheck source=image/demo_access.sh
. ./image/demo_access.sh

banner "attestation: a quote bound to a fresh nonce (gatewayctl tpm quote), checked with tpm2_checkquote"
nonce=$(openssl rand -hex 16)
"$ctl" tpm quote --config "$a/gatewayd.toml" --nonce "$nonce" --out "$state/quote" | head -n 1
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
  json '`${r.result.length} contract events on chain so far (members added, anchors, ...)`'
"$ctl" ledger status --config "$a/gatewayd.toml" || true
echo "the consortium's members, quorum and policy (gatewayctl ledger members; changes: propose-*, approve):"
"$ctl" ledger members --config "$a/gatewayd.toml" || true
echo "the outbox's newest items (gatewayctl ledger outbox; failed ones: gatewayctl ledger retry):"
"$ctl" ledger outbox --config "$a/gatewayd.toml" --limit 4 || true
echo "the auditor's check (gatewayctl ledger verify, last lines): each batch's root rebuilt from the"
echo "stored commitments, its TPM signature, the registry's key hash, and the anchor on chain:"
"$ctl" ledger verify --config "$a/gatewayd.toml" | tail -n 3 || true

# shellcheck source=image/demo_transfer.sh
. ./image/demo_transfer.sh
# shellcheck source=image/demo_audit.sh
. ./image/demo_audit.sh

banner "stopping both gateways with SIGTERM"
for p in "$pid_b" "$pid_a"; do kill -TERM "$p"; wait "$p" || true; done
audit_offline
stop_all
trap - EXIT
for d in "$a" "$b"; do echo "$(basename "$d"):"; tail -n 4 "$d/gatewayd.log"; done
banner "done; state kept in $state (delete it when finished)"
