// gatewayd configuration: a strict subset of TOML, so that integration
// engineers can edit it with any TOML-aware editor, and so that every mistake
// is reported with the file, line and key rather than silently ignored.
//
//   [gateway]            state_dir, log_level, shutdown_grace_ms, io_threads, pipeline_threads,
//                        max_buffered_bytes
//   [https]              the FHIR REST endpoint: enabled, listen, cert_file, key_file,
//                        client_ca_file, base_url, max_body_bytes, threads,
//                        allow_anonymous, token_lifetime_s, assertion_leeway_s
//   [store]              max_batch, max_queued_bytes
//   [keys]               store ("tpm" | "software"), consortium_id, batch_records,
//                        batch_interval_ms
//   [tpm]                tcti, primary_handle, seal_pcrs, quote_pcrs, injected_latency_ms
//   [ledger]             the consortium ledger (absent: off): enabled, rpc_url, chain_id,
//                        deployment, outbox, confirmations, max_transfers_per_tx,
//                        max_in_flight, resubmit_after_ms, tx_type, max_fee_gwei,
//                        min_priority_fee_wei, request_timeout_ms, ca_file,
//                        anchor_record_batches, outbox_retention_days
//   [labels]             sensitivity labels: defaults (the shipped rules), and one key
//                        per v3 ActCode label (ETH, SUD = ETH, HIV, PSY, MH, SDV, SEX,
//                        STD, GDIS, SICKLE, PSYTHPN) = array of code patterns
//                        (gateway/labels/label_rules.h)
//   [peering]            the member-to-member API: enabled, listen, max_body_bytes, threads,
//                        cert_file, key_file; forward_fhir and its companions (as a
//                        channel's): where received transfers go
//   [peers]              "0xACCOUNT" = "https://HOST[:PORT]": where each member's API is
//   [audit]              the audit trail: retention_days, batch_max_entries, batch_max_age_s
//   [client.NAME]        one table per client of the FHIR REST API: cert_subject,
//                        cert_sha256, jwks_file (its ways in), scopes, roles
//   [channel.NAME]       one table per inbound channel (protocol = "mllp"), with
//                        its v2-to-FHIR settings time_zone and z_segments and
//                        MLLP over TLS (tls, tls_cert_file, tls_key_file,
//                        tls_client_ca_file, tls_client_cert_sha256)
//   [channel.NAME.identifier_systems]  "AUTHORITY" = "system URI"
//   [channel.NAME.coding_systems]      "V2 CODING SYSTEM" = "system URI"
//   [channel.NAME.code_map]            "V2SYSTEM|CODE" = "SYSTEM-URI|CODE[|DISPLAY]"
//   [channel.NAME.z_rules]             "ZXX-N" = "ResourceType|EXTENSION-URL|VALUE-TYPE"
//   [channel.NAME.sender.RULE]         which senders (applications, facilities) may
//                                      arrive from which connections (addresses,
//                                      cert_sha256, cert_subjects)
//   (a mapping table or sender rule must follow its channel's table)
//
// Supported syntax: comments (#), [table] and [table.sub] headers, key =
// value with bare or "quoted" keys, values that are "basic strings",
// integers, true/false, and flat arrays of strings. Anything else is an error
// naming the line.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/v2fhir/mapping_config.h"
#include "gateway/base/status.h"
#include "gateway/config/cidr.h"
#include "gateway/labels/label_rules.h"

namespace gw::config {

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string to_string() const;
};

// One [channel.NAME.sender.RULE] table: these senders may arrive on these
// connections (gateway/pipeline/sender_rules.h decides). A message matches
// the rule when its MSH-3.1 is in `applications` and its MSH-4.1 in
// `facilities` (an empty list: any) and its connection meets every
// connection criterion given: the peer address in one of `addresses`, and,
// when certificates are named, a TLS client certificate with one of the
// `cert_sha256` fingerprints or `cert_subjects`. At least one connection
// criterion is required.
struct SenderRuleConfig {
  std::string name;  // RULE
  int line = 0;      // of its table header
  std::vector<std::string> applications, facilities;
  std::vector<Cidr> addresses;
  std::vector<std::string> address_texts;  // as written, for messages
  std::vector<std::string> cert_sha256;    // 64 lower-case hex digits each
  std::vector<std::string> cert_subjects;  // RFC 2253, as OpenSSL prints them
};

struct ChannelConfig {
  std::string name;
  std::string protocol = "mllp";
  HostPort listen{"0.0.0.0", 2575};
  // MLLP over TLS. With tls, tls_cert_file and tls_key_file (PEM) are
  // required; tls_client_ca_file makes clients present a certificate it
  // signed (mutual TLS), tls_client_cert_sha256 accepts only the client
  // certificates with these SHA-256 fingerprints (after the CA check if
  // both are set). The tls_* keys are refused without tls = true.
  bool tls = false;
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;
  std::vector<std::string> tls_client_cert_sha256;
  size_t max_frame_bytes = 1 << 20;
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds frame_timeout{std::chrono::minutes(1)};
  size_t max_connections = 4096;
  size_t max_in_flight_per_connection = 64;
  // One client address may hold at most this many of the channel's
  // connections at a time (0: no cap), so that it cannot take them all.
  size_t max_connections_per_address = 64;
  size_t max_segments = 10000;
  size_t max_fields_per_segment = 1000;
  // MSH-11 values accepted; others are rejected with AR/CR (HL7 table 0357 code 202).
  std::vector<std::string> processing_ids{"P", "T", "D"};
  // Charset assumed when MSH-18 is empty: "auto" (UTF-8, else ISO 8859/1),
  // "ASCII", "8859/1" or "UNICODE UTF-8".
  std::string default_charset = "auto";
  // How this channel's messages become FHIR (time zone, identifier systems,
  // code translations, Z-segment rules).
  v2fhir::MappingConfig mapping;
  // Message types the mapper does not support: "error" answers AE/CE (200)
  // and keeps them in the error queue; "store" accepts and stores them as
  // received, without FHIR records (a feed mixing, say, ADT and DFT).
  std::string unmapped_types = "error";
  // Sender allow-list; empty: any sender from any connection. With rules, a
  // message no rule allows is answered AR/CR 207 and kept in the error queue.
  std::vector<SenderRuleConfig> senders;

  // Forwarding (gateway/outbound): where this channel's accepted messages go
  // next, each destination with its own durable queue; never on the
  // acknowledgement path.
  // FHIR server base URL, "https://HOST[:PORT][/PATH]": one transaction
  // Bundle per message. May carry user:password (HTTP Basic), so it is never
  // logged. Empty: no FHIR forwarding.
  std::string forward_fhir;
  std::string forward_fhir_ca_file;  // trust anchors (empty: the system store)
  std::string forward_fhir_client_cert_file, forward_fhir_client_key_file;  // mutual TLS
  std::string forward_fhir_bearer_token_file;  // "Authorization: Bearer <token>"
  // "conditional": the Bundle as mapped (conditional updates on business
  // identifiers); "by_id": PUT Type/<deterministic id> (servers without
  // conditional writes in transactions, e.g. another gatewayd).
  std::string forward_fhir_requests = "conditional";
  // MLLP receiver: the message as received, confirmed by its ACK. Port 0: none.
  HostPort forward_mllp{"", 0};
  // MLLP over TLS to it; the server certificate must verify against
  // forward_mllp_ca_file (empty: the system store) and name the host.
  bool forward_mllp_tls = false;
  std::string forward_mllp_ca_file;
  std::string forward_mllp_client_cert_file, forward_mllp_client_key_file;  // mutual TLS
  std::chrono::milliseconds forward_timeout{30000};  // connect, send, each answer
  // Failed attempts are retried after forward_retry_initial, doubling up to
  // forward_retry_max.
  std::chrono::milliseconds forward_retry_initial{1000};
  std::chrono::milliseconds forward_retry_max{300000};
  bool forwards() const { return !forward_fhir.empty() || forward_mllp.port != 0; }
};

// The FHIR REST endpoint. Served only when enabled; then it needs a
// certificate and key (PEM). With client_ca_file, clients must present a
// certificate it signed (mutual TLS).
struct HttpsConfig {
  bool enabled = false;
  HostPort listen{"0.0.0.0", 8443};
  std::string cert_file, key_file, client_ca_file;
  // The endpoint's public base URL, for Location headers and Bundle fullUrls
  // (e.g. "https://gateway.hospital.example:8443"); empty: from listen.
  std::string base_url;
  size_t max_body_bytes = 16u << 20;
  int threads = 4;
  // Deadlines and the connection cap of the listener (issue 18): the TLS
  // handshake and a request's head, its body after the head, a keep-alive
  // connection without a request; connections open at once.
  int header_timeout_s = 10;
  int body_timeout_s = 60;
  int idle_timeout_s = 30;
  size_t max_connections = 1024;
  size_t max_connections_per_address = 64;
  // Every request but GET /metadata (and the token endpoint and the SMART
  // configuration) must come from a [client.NAME] unless this is set: for
  // development only; every start logs a loud warning.
  bool allow_anonymous = false;
  // Access tokens issued by POST /auth/token (SMART Backend Services) live
  // this long (60..3600 s).
  int token_lifetime_s = 300;
  // Clock skew allowed on a client assertion's exp/iat/nbf (0..300 s).
  int assertion_leeway_s = 60;
};

// One client of the FHIR REST API ([client.NAME]): how it proves who it is
// and what it may do. At least one way in: a client certificate (cert_subject
// and/or cert_sha256; needs [https] client_ca_file) or a JWKS file (SMART
// Backend Services, POST /auth/token with a private_key_jwt assertion).
struct ClientConfig {
  std::string name;  // [A-Za-z0-9._-]{1,64}; the audit trail's "client:NAME"
  int line = 0;      // line of its [client.NAME] header
  // The client certificate's subject, RFC 2253 (as `openssl x509 -noout
  // -subject -nameopt RFC2253` prints it, without "subject="), e.g.
  // "CN=lab-interface,O=General Hospital". Empty: not matched by subject.
  std::string cert_subject;
  // SHA-256 fingerprints of accepted client certificates, normalized to 64
  // lower-case hex digits (the file may use colons and either case). With
  // cert_subject too, both must match.
  std::vector<std::string> cert_sha256;
  // The client's public keys (a JWKS file, gateway/auth/jwks.h); absolute.
  std::string jwks_file;
  // SMART App Launch v2 system scopes (gateway/auth/scope.h) and roles
  // ("admin", "auditor"); checked with auth::make_client_grant at parse time.
  std::vector<std::string> scopes;
  std::vector<std::string> roles;
};

// The audit trail (gateway/audit): <state_dir>/audit.db.
struct AuditConfig {
  // Entries are kept at least this long (HIPAA's six years by default);
  // batches not yet anchored are never pruned.
  uint32_t retention_days = 2190;
  // A batch (signed by the TPM, anchored on the ledger) closes at this many
  // entries or when its first entry is this old.
  size_t batch_max_entries = 1024;
  std::chrono::milliseconds batch_max_age{60000};
};

// The member-to-member API (gateway/peering): its own listener, mutual TLS,
// callers admitted by their certificate's fingerprint in the consortium's
// ProviderRegistry. The certificate is this gateway's registered one, so by
// default the [https] pair (what `gatewayctl ledger member-entry`
// fingerprints); parse_config fills cert_file and key_file from [https] when
// they are not set here.
struct PeeringConfig {
  bool enabled = false;
  HostPort listen{"0.0.0.0", 8444};
  size_t max_body_bytes = size_t{64} << 20;
  int threads = 8;
  std::string cert_file, key_file;
  // Received transfers forwarded to this hospital's own FHIR server: each
  // stored transfer as one transaction Bundle of its records and their
  // Provenance, through the durable outbound queue (gateway/outbound). The
  // keys and their meaning are a channel's (ChannelConfig); empty: none.
  std::string forward_fhir;
  std::string forward_fhir_ca_file;
  std::string forward_fhir_client_cert_file, forward_fhir_client_key_file;
  std::string forward_fhir_bearer_token_file;
  std::string forward_fhir_requests = "conditional";
  std::chrono::milliseconds forward_timeout{30000};
  std::chrono::milliseconds forward_retry_initial{1000};
  std::chrono::milliseconds forward_retry_max{300000};
};

// Where the long-lived secrets live and how they are used.
struct KeysConfig {
  // "tpm": sealed under the TPM (production). "software": a key file in the
  // state directory, for development only; it must be chosen explicitly, every
  // start logs a loud warning, and attestation refuses.
  std::string store = "tpm";
  // The consortium's identifier: part of the tokenization key's derivation, so
  // every member must configure the same value.
  std::string consortium_id;
  // Records are signed in batches: every batch_records records or
  // batch_interval, whichever comes first.
  size_t batch_records = 1000;
  std::chrono::milliseconds batch_interval{5000};
};

struct TpmConfig {
  // TSS2 TCTI configuration: "device:/dev/tpmrm0" in production,
  // "swtpm:host=127.0.0.1,port=N" for the simulator.
  std::string tcti = "device:/dev/tpmrm0";
  uint32_t primary_handle = 0x81000001;
  // PCRs (sha256 bank) the sealed secrets are bound to; empty: not bound.
  std::vector<int> seal_pcrs;
  // PCRs an attestation quote covers.
  std::vector<int> quote_pcrs{0, 1, 2, 3, 4, 5, 6, 7};
  // Test mode only: sleep this long before every TPM command.
  std::chrono::milliseconds injected_latency{0};
};

// The consortium ledger: where its node is, which deployment of the
// consortium contracts this gateway uses, and how its outbox submits. The
// ledger is off the acknowledgement path: an unreachable node only delays
// anchoring (the outbox queues).
struct LedgerConfig {
  bool enabled = false;
  // http://... or https://...; may carry user:password (HTTP Basic), so it is
  // never logged. Required when enabled.
  std::string rpc_url;
  // 0: accept the node's; otherwise gatewayd refuses a node reporting another.
  uint64_t chain_id = 0;
  // Empty in the file: <state_dir>/ledger/consortium.json and
  // <state_dir>/ledger/outbox.db (filled in by parse_config).
  std::string deployment, outbox;
  uint32_t confirmations = 1;
  size_t max_transfers_per_tx = 100;
  size_t max_in_flight = 8;
  std::chrono::milliseconds resubmit_after{30000};
  std::string tx_type = "auto";  // "auto" | "eip1559" | "legacy"
  uint64_t max_fee_gwei = 1000;
  uint64_t min_priority_fee_wei = 0;
  std::chrono::milliseconds request_timeout{10000};
  std::string ca_file;  // https trust anchors; empty: the system store
  bool anchor_record_batches = true;
  // Final transfers, anchors and grants older than this leave the outbox.
  uint32_t outbox_retention_days = 30;
  // How often the consortium view (gateway/consortium) asks the node for
  // new final blocks.
  std::chrono::milliseconds view_poll{1000};
};

// Sensitivity labels put in meta.security of every record written
// (gateway/labels): the shipped default rules unless defaults = false, plus
// the configured ones, in file order. Each pattern was checked by the parser.
struct LabelsConfig {
  bool defaults = true;
  std::vector<labels::RuleSpec> rules;
};

struct GatewayConfig {
  std::string source;  // file path, for messages
  std::string state_dir = "/var/lib/gatewayd";
  std::string log_level = "info";  // debug | info | warn | error
  std::chrono::milliseconds shutdown_grace{10000};
  int io_threads = 1;
  // Threads that parse, map, label and tokenize inbound messages for every
  // channel (gateway/pipeline/work_pool.h); 0: one per CPU.
  int pipeline_threads = 0;
  // Input held in memory by all MLLP connections of all channels together
  // (mllp::InputBudget): reading pauses beyond it. 128 MiB: 128 frames of the
  // default 1 MiB at once, well above an interface engine's concurrency,
  // and a fixed bound (with the allowances in adapters/mllp/server.h) where
  // the per-connection limits alone allow 4 GiB per channel. At least twice
  // the largest channel's max_frame_bytes.
  uint64_t max_buffered_bytes = uint64_t{128} << 20;
  HttpsConfig https;
  KeysConfig keys;
  int keys_line = 0;  // line of [keys], 0 if absent (for start-up messages)
  TpmConfig tpm;
  LedgerConfig ledger;
  int ledger_line = 0;  // line of [ledger], 0 if absent
  LabelsConfig labels;
  PeeringConfig peering;
  // [peers]: member account ("0x" + 40 lower-case hex digits) -> base URL
  // ("https://HOST[:PORT]", port 8444 when absent). The ProviderRegistry holds
  // no endpoint URL on purpose: an address is a fact of the local network
  // that changes without a governance vote, while what makes the endpoint
  // trustworthy (its certificate fingerprint, the member's keys) is on chain.
  std::map<std::string, std::string> peers;
  // [client.NAME], in file order.
  std::vector<ClientConfig> clients;
  AuditConfig audit;
  size_t store_max_batch = 1024;
  uint64_t store_max_queued_bytes = uint64_t{256} << 20;
  std::vector<ChannelConfig> channels;

  // The message store, <state_dir>/messages.db: gatewayd, its batch signer
  // and the gatewayctl commands that read the store all open this file.
  std::string message_store_path() const;
  // The outbound queue, <state_dir>/outbound.db, beside the message store
  // (gateway/outbound/outbound_queue.h).
  std::string outbound_queue_path() const;
  // <state_dir>/transfers.db: transfers to and from other members (gateway/transfer).
  std::string transfers_path() const;
  // <state_dir>/audit.db: the audit trail (gateway/audit/audit_log.h).
  std::string audit_path() const;
  // <state_dir>/auth.db: seen assertion jtis and issued access tokens
  // (gateway/auth/jti_store.h, token_store.h).
  std::string auth_path() const;
};

// Parses and validates. An error (invalid-argument) has one line of the form
// "FILE:LINE: message naming the key" as its message.
gw::Result<GatewayConfig> parse_config(const std::string& text, const std::string& source_name);
// Reads and parses the file; not-found with "PATH: cannot open configuration
// file" when it cannot be read.
gw::Result<GatewayConfig> load_config(const std::string& path);

// Every key the parser accepts, as "TABLE.KEY" ("gateway.state_dir",
// "channel.NAME.listen"), and each channel mapping table as
// "channel.NAME.SUB" (its keys are data). Taken from the tables the parser
// dispatches on, so documentation can be checked against it.
std::vector<std::string> known_keys();

}  // namespace gw::config
