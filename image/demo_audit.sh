# shellcheck shell=sh disable=SC2154  # the variables are demo.sh's
# Sourced by image/demo.sh after the transfer: Hospital A's audit trail as its
# privacy officer (client auditor, role auditor) reviews it over the FHIR API
# while gatewayd runs; audit_offline, once gatewayd has stopped (swtpm serves
# one client, and gatewayctl needs the record key from the TPM), checks the
# trail end to end and writes the patient's access report with gatewayctl.
# Uses demo.sh's and demo_access.sh's variables and functions ($a, $base,
# $ctl, $state, $patient_a, curl_as, json, banner, ...).

# One line per AuditEvent of the searchset Bundle on stdin.
audit_lines() {
  json '(r.entry || []).map(e => e.resource).map(ev => [ev.id, ev.recorded,
    ev.agent[0].who.display, ev.subtype[ev.subtype.length - 1].code,
    (ev.entity || []).map(x => x.what && x.what.reference || (x.what && x.what.type) || x.name || "")
      .filter(Boolean).join(" ") || "-",
    ev.outcome === "0" ? "success" : "outcome " + ev.outcome + " (" + (ev.outcomeDesc || "") + ")"]
    .join("  ")).join("\n") || "(no entries)"'
}

today=$(date -u +%F)
banner "AUDIT TRAIL: GET $base/AuditEvent?patient=Patient/$patient_a&date=ge$today, as the privacy officer (client auditor)"
curl_as auditor "$base/AuditEvent?patient=Patient/$patient_a&date=ge$today&_count=100" \
  > "$state/audit-patient.json"
echo "the searchset Bundle of IHE BALP AuditEvents, its first event in full (first 40 lines):"
json 'r.entry[0].resource' < "$state/audit-patient.json" | head -n 40
echo "every event about this patient today (seq, time, who, action, what, outcome):"
audit_lines < "$state/audit-patient.json"

banner "GET $base/AuditEvent?agent=registry: everything the registry did, refusals included"
curl_as auditor "$base/AuditEvent?agent=registry" | audit_lines

banner "GET $base/Patient/$patient_a/\$access-report?from=$today: the patient's access report (PDF), as the auditor"
curl_as auditor -o "$state/access-report.pdf" -w 'HTTP %{http_code}, %{size_download} bytes, %{content_type}\n' \
  "$base/Patient/$patient_a/\$access-report?from=$today"
echo "pdftotext access-report.pdf - | head -n 20 (it names the patient: it is PHI, for the patient):"
pdftotext -layout "$state/access-report.pdf" - | head -n 20

# Run once gatewayd has stopped, with swtpm and anvil still up.
audit_offline() {
  banner "gatewayctl audit verify: the hash chain, every batch's Merkle root, TPM signature and ledger anchor"
  "$ctl" audit verify --config "$a/gatewayd.toml"
  banner "gatewayctl audit report: the same report from the appliance's console (audited as the operator's export)"
  "$ctl" audit report --config "$a/gatewayd.toml" --patient "$patient_a" \
    --from "$(date -u -d yesterday +%F)" --to "$today" --out "$state/access-report-ctl.pdf"
  echo "its last page: how the list is proven complete (the last anchored batch):"
  pdftotext -layout "$state/access-report-ctl.pdf" - | sed -n '/proven complete/,$p' | head -n 14
}
