# shellcheck shell=sh disable=SC2154  # the variables are demo.sh's
# Sourced by image/demo.sh once Hospital A runs with the sample traffic:
# starts Hospital B, records a consent at A for B, and has B pull the
# patient's records from A. Uses demo.sh's variables and functions ($a, $b,
# $ctl, $state, start_gateway, curl_fhir, json, rpc, banner, ...).

patient_system=urn:oid:2.16.840.1.113883.3.999.1   # GOODHEALTH's MRNs (identifier_systems)
patient_mrn=100001                                 # EVE EVERYWOMAN of the sample corpus

banner "SECOND GATEWAY: starting Hospital B's gatewayd (state in $b, member-to-member API on 127.0.0.1:$peer_b)"
start_gateway b "$b"
base_b="https://127.0.0.1:$https_b"
# Hospital B's EHR interface (its client ehr, by B's client certificate).
curl_b() {
  curl -sS --cacert "$b/tls/server.pem" --cert "$b/clients/ehr.pem" --key "$b/clients/ehr.key" \
    -H 'Accept: application/fhir+json' "$@"
  echo
}
# Saves what GET URL answers into FILE, asked by the EHR interface of the
# hospital whose folder is DIR.
fetch() {  # DIR FILE URL
  curl -sS --cacert "$1/tls/server.pem" --cert "$1/clients/ehr.pem" --key "$1/clients/ehr.key" \
    -H 'Accept: application/fhir+json' -o "$2" "$3"
}

banner "Hospital A: one more visit of sample patient MRN $patient_mrn, with a psychiatric diagnosis (ICD-10 F41.1)"
# A diagnosis in F20-F99 gets the PSY label (gateway/labels), and so does
# the Encounter that refers to it. The PID is the sample A01's, whole: an ADT
# message's PID is the patient's current demographics.
printf '%s\r' \
  'MSH|^~\&|EPICADT|GOODHEALTH|GWINBOUND|REGIONAL-GW|20240402091500-0500||ADT^A01^ADT_A01|DEMO-PSY-1|P|2.5.1' \
  'EVN|A01|20240402091500-0500' \
  "$(tr '\r' '\n' < tests/corpus/hl7/adt_a01.hl7 | grep '^PID|')" \
  'PV1|1|O|BEHAV^201^A^GOODHEALTH||||1234567890^ATTEND^ALICE^^^DR^MD^^^^^^NPI|||PSY||||||||V-DEMO-PSY-1' \
  'DG1|1||F41.1^Generalized anxiety disorder^I10||20240402|F' > "$state/psy_visit.hl7"
"$ctl" send --to "127.0.0.1:$mllp_a" --summary "$state/psy_visit.hl7" || true
# The corpus names this MRN in two senders' messages (GOODHEALTH's ADT,
# EASTCLINIC's scheduling): two Patient records with one identifier. The
# Consent names GOODHEALTH's (the one with every identifier of the A01) by
# reference; an identifier matching two Patients would be refused as ambiguous.
fetch "$a" "$state/patients-a.json" "$base/Patient?identifier=$patient_system|$patient_mrn"
echo "Hospital A's Patient records with MRN $patient_mrn: $(json \
  'r.entry.map(e => e.resource.id).join(" ")' < "$state/patients-a.json")"
patient_a=$(json 'r.entry.map(e => e.resource).sort((x, y) =>
  (y.identifier || []).length - (x.identifier || []).length)[0].id' < "$state/patients-a.json")
echo "Hospital A's Conditions labelled PSY (meta.security): $("$ctl" records export \
  --config "$a/gatewayd.toml" --type Condition | grep -c '"code":"PSY"' || true)"

banner "CONSENT: POST $base/Consent: Hospital B may receive this patient's records for treatment (TREAT), except PSY"
cat > "$state/consent.json" <<JSON
{"resourceType": "Consent", "status": "active",
 "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                       "code": "patient-privacy"}]},
 "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
 "patient": {"reference": "Patient/$patient_a"},
 "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                            "code": "OPTIN"}]},
 "provision": {"type": "permit",
   "actor": [{"role": {"coding": [{"system":
                "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
              "reference": {"identifier": {"system": "urn:ietf:rfc:3986", "value": "$org_b"}}}],
   "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}],
   "provision": [{"type": "deny", "securityLabel": [
     {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"}]}]}}
JSON
cat "$state/consent.json"
curl_fhir -o "$state/consent-reply.json" -w 'HTTP %{http_code}\n' -X POST \
  -H 'Content-Type: application/fhir+json' --data-binary @"$state/consent.json" "$base/Consent"
consent_id=$(json 'r.id || ""' < "$state/consent-reply.json")
[ -n "$consent_id" ] || { cat "$state/consent-reply.json"; echo "demo: the Consent was refused" >&2; exit 1; }
ledger_state() { json '(r.extension||[]).filter(e => e.url.endsWith("ledger-state"))
  .flatMap(e => e.extension).map(s => s.url + "=" + (s.valueCode || s.valueString)).join(" ")'; }
echo "Consent/$consent_id stored; its ledger state in the answer: $(ledger_state < "$state/consent-reply.json")"
echo "GET $base/Consent/$consent_id until the grant is on chain:"
for _ in $(seq 1 60); do
  fetch "$a" "$state/consent-now.json" "$base/Consent/$consent_id"
  now=$(ledger_state < "$state/consent-now.json")
  case "$now" in state=pending*) sleep 1 ;; *) break ;; esac
done
echo "  $now"
case "$now" in state=recorded*) ;; *) echo "demo: the consent was not recorded" >&2; exit 1 ;; esac
# Transfers are decided from A's consent cache, which takes a grant once its
# block is final ([ledger] confirmations = 1: one block on top of it; anvil
# mines one a second here) and the cache has polled ([ledger] view_poll_ms =
# 200). GET /Consent says "recorded" as soon as the transaction is mined.
consent_block=$(rpc eth_getTransactionReceipt "[\"${now##*transaction=}\"]" |
  json 'parseInt(r.result.blockNumber, 16)')
head_block() { rpc eth_blockNumber '[]' | json 'parseInt(r.result, 16)'; }
for _ in $(seq 1 300); do [ "$(head_block)" -gt "$consent_block" ] && break; sleep 0.1; done
[ "$(head_block)" -gt "$consent_block" ] ||
  { echo "demo: no block on top of the grant's block $consent_block in 30 s" >&2; exit 1; }
sleep 1
echo "the grant is in block $consent_block, final now (head $(head_block)); A's consent cache has polled since"

banner "TRANSFER: Hospital B asks Hospital A for the patient (POST $base_b/\$request-transfer, TREAT)"
cat > "$state/pull.json" <<JSON
{"resourceType": "Parameters", "parameter": [
  {"name": "custodian", "valueIdentifier": {"system": "urn:ietf:rfc:3986", "value": "$org_a"}},
  {"name": "purpose", "valueCode": "TREAT"},
  {"name": "patient", "valueIdentifier": {"system": "$patient_system", "value": "$patient_mrn"}}]}
JSON
curl_b -w '\nHTTP %{http_code}' -X POST -H 'Content-Type: application/fhir+json' \
  --data-binary @"$state/pull.json" "$base_b/\$request-transfer"
for _ in $(seq 1 600); do
  grep -q -e "event=transfer.received " -e "event=transfer.received_refused" \
    -e "event=transfer.refused" "$b/gatewayd.log" "$a/gatewayd.log" && break
  sleep 0.1
done
echo "Hospital A (custodian): the pull decided from the consent, the records filtered (PSY ones"
echo "dropped), recorded on the ledger before delivery, sealed to B's payload key, delivered:"
grep -e "event=transfer\." -e "event=peer.call" "$a/gatewayd.log" || true
echo "Hospital B (recipient): the answer, the TransferRecorded event checked on chain, the"
echo "commitments recomputed, everything stored atomically with a Provenance:"
grep -e "event=transfer\." -e "event=peer.call" "$b/gatewayd.log" || true
grep -q "event=transfer.received " "$b/gatewayd.log" ||
  { echo "demo: Hospital B did not receive the transfer" >&2; exit 1; }
transfer=$(sed -n 's/.*event=transfer\.received .*transfer=\(0x[0-9a-fA-F]*\/[0-9]*\).*/\1/p' \
  "$b/gatewayd.log" | head -n1)

banner "Hospital B's FHIR API: GET $base_b/Patient?identifier=$patient_system|$patient_mrn"
fetch "$b" "$state/patients-b.json" "$base_b/Patient?identifier=$patient_system|$patient_mrn"
json 'r.entry.map(e => e.resource).map(p => `Patient/${p.id}: ${p.name[0].family}, ` +
  `${p.name[0].given.join(" ")}, born ${p.birthDate}, identifiers ` +
  p.identifier.map(i => i.value).join(" ")).join("\n")' < "$state/patients-b.json"
fetch "$a" "$state/patient-at-a.json" "$base/Patient/$patient_a"
fetch "$b" "$state/patient-at-b.json" "$base_b/Patient/$patient_a"
node -e 'const fs = require("fs"); const [a, b] = process.argv.slice(1, 3).map(f => {
    const r = JSON.parse(fs.readFileSync(f)); delete r.meta.versionId; delete r.meta.lastUpdated;
    if (Object.keys(r.meta).length === 0) delete r.meta; return JSON.stringify(r); });
  console.log(`Patient/${process.argv[3]} at B is ${a === b ? "byte for byte the one at A" : "NOT the one at A"}` +
    " (apart from what each server adds when serving: meta.versionId, lastUpdated)");' \
  "$state/patient-at-a.json" "$state/patient-at-b.json" "$patient_a"
psy_b=$("$ctl" records export --config "$b/gatewayd.toml" --type Condition | grep -c '"code":"PSY"' || true)
echo "Hospital B's Conditions labelled PSY: $psy_b$([ "$psy_b" = 0 ] && echo " (the consent excluded them)")"
provenance=$(printf 'gw-transfer|%s' "$transfer" | sha256sum | cut -d' ' -f1)
banner "Hospital B's FHIR API: GET $base_b/Provenance/$provenance (transfer $transfer)"
curl_b "$base_b/Provenance/$provenance" |
  json '({resourceType: r.resourceType, id: r.id, recorded: r.recorded, reason: r.reason,
          agent: r.agent, entity: r.entity, target: r.target.length + " records: " +
          JSON.stringify(r.target.map(t => t.reference.split("/")[0])
            .reduce((m, t) => (m[t] = (m[t] || 0) + 1, m), {}))})'

banner "LEDGER: the TransferRecorded event, read back from anvil over JSON-RPC (eth_getLogs)"
transfer_log=$(json 'r.contracts.TransferLog' < "$a/state/ledger/consortium.json")
topic0=$(node -e 'console.log("0x"+require("./image/npm/node_modules/js-sha3").keccak256(
  "TransferRecorded(address,address,bytes32,uint256,bytes32,uint8,uint8,bytes32,uint32)"))')
rpc eth_getLogs "[{\"fromBlock\":\"0x0\",\"toBlock\":\"latest\",\"address\":\"$transfer_log\",\"topics\":[\"$topic0\"]}]" |
  json 'r.result.map(l => { const w = i => l.data.slice(2 + 64 * i, 66 + 64 * i);
    const addr = t => "0x" + t.slice(26); return {
      event: "TransferRecorded", block: parseInt(l.blockNumber, 16), tx: l.transactionHash,
      from: addr(l.topics[1]), to: addr(l.topics[2]),
      patientToken: l.topics[3].slice(0, 10) + "... (a keyed hash of an identifier, no PHI)",
      transferId: BigInt("0x" + w(0)).toString(), commitment: "0x" + w(1),
      purpose: ["TREAT", "ETREAT"][parseInt(w(2), 16)] || parseInt(w(2), 16),
      flags: parseInt(w(3), 16) + " (1: the commitment is a Merkle root; 2 would be emergency access)",
      consentVersion: parseInt(w(5), 16)}; })'
echo "(from = Hospital A $account_a, to = Hospital B $account_b)"
