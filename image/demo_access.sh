# shellcheck shell=sh disable=SC2154  # the variables are demo.sh's
# Sourced by image/demo.sh once Hospital A serves HTTPS: the FHIR API's access
# control, as its clients see it. Hospital A's clients ($a/clients, made by
# make_clients) are ehr (certificate, system/*.cruds), secops (certificate,
# admin), auditor (certificate, auditor) and registry (SMART Backend Services,
# system/Patient.rs). Uses demo.sh's variables and functions ($a, $b, $base,
# $state, banner, json, curl_fhir, ...). Sets $demo_patient.

# curl towards Hospital A with no client certificate, or as client $1.
curl_anon() { curl -sS --cacert "$a/tls/server.pem" -H 'Accept: application/fhir+json' "$@"; }
curl_as() {  # CLIENT curl-arguments...
  who=$1
  shift
  curl_anon --cert "$a/clients/$who.pem" --key "$a/clients/$who.key" "$@"
}
# Sends a request (curl's arguments) and prints the HTTP status, the
# WWW-Authenticate header if any, and the OperationOutcome's issue or OAuth
# error (any other body: its first 200 bytes).
answer() {
  rm -f "$state/answer.body" "$state/answer.headers"
  if ! code=$("$@" -o "$state/answer.body" -D "$state/answer.headers" -w '%{http_code}' 2> "$state/answer.err"); then
    echo "  no HTTP answer: $(head -n 1 "$state/answer.err")"
    return 0
  fi
  echo "  HTTP $code"
  grep -i '^www-authenticate:' "$state/answer.headers" | sed 's/^/  /' | tr -d '\r' || true
  [ -s "$state/answer.body" ] || return 0
  json 'r.resourceType === "OperationOutcome" ? r.issue.map(i =>
      `  OperationOutcome: ${i.severity} ${i.code}: ${i.diagnostics}`).join("\n")
    : r.error ? `  ${r.error}: ${r.error_description}`
    : "  " + JSON.stringify(r).slice(0, 200)' < "$state/answer.body"
}

banner "ACCESS CONTROL: default deny. GET $base/Patient?identifier=... without a client certificate"
answer curl_anon "$base/Patient?identifier=urn:oid:2.16.840.1.113883.3.999.1|DEMO-1"
echo "(GET /metadata, GET /.well-known/smart-configuration and POST /auth/token are the only open doors)"

banner "the EHR interface (client ehr: certificate $(subject_of "$a/clients/ehr.pem"), system/*.cruds)"
echo "create a Patient, then search it by identifier and read it:"
curl_as ehr -o "$state/created.json" -w 'HTTP %{http_code}\n' -X POST \
  -H 'Content-Type: application/fhir+json' "$base/Patient" \
  -d '{"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.840.1.113883.3.999.1","value":"DEMO-1"}],"name":[{"family":"Demo","given":["Dana"]}],"birthDate":"1990-04-01"}'
cat "$state/created.json"; echo
demo_patient=$(json 'r.id' < "$state/created.json")
curl_as ehr "$base/Patient?identifier=urn:oid:2.16.840.1.113883.3.999.1|DEMO-1"; echo
curl_as ehr -w '\nHTTP %{http_code}\n' "$base/Patient/$demo_patient"
echo "an invalid resource is refused with the validator's OperationOutcome (HTTP 422):"
curl_as ehr -w '\nHTTP %{http_code}\n' -X POST -H 'Content-Type: application/fhir+json' "$base/Patient" \
  -d '{"resourceType":"Patient","gender":"unknown-value","birthDate":"1990-13-45"}'

banner "a certificate from another CA (Hospital B's EHR certificate, presented to A): OpenSSL refuses it"
answer curl_anon --cert "$b/clients/ehr.pem" --key "$b/clients/ehr.key" "$base/Patient/$demo_patient"
echo "(the chain is checked against client_ca_file in the TLS handshake, before any HTTP: no request"
echo " is read, so none is audited; a certificate from the right CA that no [client.NAME] names gets 401)"

banner "roles: secops (admin) reads /admin/metrics but no records; ehr has no role"
curl_as secops "$base/admin/metrics" | grep -e '^gatewayd_uptime_seconds' -e '^gatewayd_store_commits_total' | head -n 3
echo "secops GET /Patient/$demo_patient:"
answer curl_as secops "$base/Patient/$demo_patient"
echo "ehr GET /admin/metrics:"
answer curl_as ehr "$base/admin/metrics"
echo "ehr GET /AuditEvent (the audit trail is the auditor's):"
answer curl_as ehr "$base/AuditEvent?patient=Patient/$demo_patient"

banner "SMART BACKEND SERVICES: the registry (P-384 key, its public JWKS in [client.registry] jwks_file)"
registry_kid=$(json 'r.keys[0].kid' < "$a/clients/registry.jwks.json")
echo "the JWKS gatewayd reads (public key only, kid = RFC 7638 thumbprint):"
cat "$a/clients/registry.jwks.json"; echo
echo "GET $base/.well-known/smart-configuration (token endpoint, auth method and algorithms):"
curl_anon "$base/.well-known/smart-configuration" | json '({token_endpoint: r.token_endpoint,
  token_endpoint_auth_methods_supported: r.token_endpoint_auth_methods_supported,
  token_endpoint_auth_signing_alg_values_supported: r.token_endpoint_auth_signing_alg_values_supported})'
token_url=$(curl_anon "$base/.well-known/smart-configuration" | json 'r.token_endpoint')
# A client assertion (RFC 7523): iss = sub = client_id, aud = the token
# endpoint, a fresh jti, exp within 5 minutes, signed ES384 (r||s, not DER).
assertion() {  # KEY CLIENT_ID AUDIENCE KID
  node -e 'const c = require("crypto"), fs = require("fs");
    const [key, iss, aud, kid] = process.argv.slice(1);
    const b64 = o => Buffer.from(JSON.stringify(o)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const input = b64({alg: "ES384", typ: "JWT", kid}) + "." +
      b64({iss, sub: iss, aud, iat: now, exp: now + 120, jti: c.randomUUID()});
    const sig = c.sign("sha384", Buffer.from(input),
      {key: c.createPrivateKey(fs.readFileSync(key)), dsaEncoding: "ieee-p1363"});
    console.log(input + "." + sig.toString("base64url"));' "$@"
}
signed=$(assertion "$a/clients/registry.key" registry "$token_url" "$registry_kid")
echo "the assertion's claims: $(echo "$signed" | cut -d. -f2 | node -e 'let d="";
  process.stdin.on("data", c => d += c).on("end", () =>
    console.log(Buffer.from(d.trim(), "base64url").toString()))')"
token_request() {  # ASSERTION [curl-arguments...]
  jwt=$1
  shift
  curl_anon "$token_url" "$@" \
    --data-urlencode grant_type=client_credentials --data-urlencode 'scope=system/Patient.cruds' \
    --data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
    --data-urlencode "client_assertion=$jwt"
}
echo "POST $token_url asking for system/Patient.cruds (it is configured for system/Patient.rs):"
token_request "$signed" > "$state/token.json"
json '({...r, access_token: r.access_token.slice(0, 8) + "... (opaque, stored only as a hash)"})' \
  < "$state/token.json"
access_token=$(json 'r.access_token' < "$state/token.json")
echo "the same assertion again (replay of its jti):"
answer token_request "$signed"
echo "GET /Patient/$demo_patient with Authorization: Bearer <the token>:"
curl_anon -H "Authorization: Bearer $access_token" -w '\nHTTP %{http_code}\n' "$base/Patient/$demo_patient"
echo "POST /Patient with the read-only token:"
answer curl_anon -H "Authorization: Bearer $access_token" -X POST \
  -H 'Content-Type: application/fhir+json' "$base/Patient" -d '{"resourceType":"Patient"}'
echo "a token gatewayd never issued:"
answer curl_anon -H "Authorization: Bearer not-a-token-this-gateway-issued" "$base/Patient/$demo_patient"
echo "(every answer above, refusals included, is in the audit trail before it is sent)"
