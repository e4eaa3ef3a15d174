// The gateway daemon: reads the configuration, opens keys, store, batch
// signer and ledger, starts the MLLP channels and the HTTPS server, and waits
// for a stop signal; on SIGTERM/SIGINT it closes the listeners, lets
// in-flight messages finish committing and be acknowledged, then closes the
// store.
#include "gateway/app/daemon.h"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/mllp/fd_limit.h"
#include "adapters/mllp/input_budget.h"
#include "adapters/mllp/server.h"
#include "gateway/admin/admin_api.h"
#include "gateway/admin/metrics.h"
#include "gateway/anchoring/batch_signer.h"
#include "gateway/anchoring/ledger_service.h"
#include "gateway/app/access_setup.h"
#include "gateway/app/audit_endpoints.h"
#include "gateway/app/consent_endpoint.h"
#include "gateway/app/version.h"
#include "gateway/audit/audit_entry.h"
#include "gateway/auditseal/audit_sealer.h"
#include "gateway/auditview/audit_event_extension.h"
#include "gateway/base/clock.h"
#include "gateway/base/sqlite.h"
#include "gateway/config/config.h"
#include "gateway/consortium/consortium_view.h"
#include "gateway/keys/key_options.h"
#include "gateway/labels/label_rules.h"
#include "gateway/log/log.h"
#include "gateway/outbound/outbound_service.h"
#include "gateway/pipeline/channel_options.h"
#include "gateway/pipeline/mllp_ingest.h"
#include "gateway/rest/patient_tokens.h"
#include "gateway/rest/rest_server.h"
#include "gateway/store/message_store.h"
#include "gateway/transfer/receiver.h"
#include "gateway/transfer/transfer_service.h"

namespace gw::app {
namespace {

constexpr const char* kAnonymousWarning =
    "DEVELOPMENT ONLY: [https] allow_anonymous = true: anyone who reaches the HTTPS port can read "
    "and change every record. Never use this with real patient data; declare [client.NAME] "
    "tables instead.";

constexpr const char* kUsage =
    "usage: gatewayd --config FILE [--check]\n"
    "       gatewayd --version\n"
    "\n"
    "Runs the HL7 FHIR gateway in the foreground. --check validates the\n"
    "configuration and exits (0 when valid).\n";

struct Channel {
  std::unique_ptr<gw::pipeline::MllpIngest> ingest;
  std::unique_ptr<gw::mllp::Server> server;
};

bool ensure_state_dir(const std::string& dir, std::string* error) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return true;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    *error = "cannot create state_dir " + dir + ": " + ec.message();
    return false;
  }
  // The state directory holds patient data: only the service account may read it.
  ::chmod(dir.c_str(), 0700);
  return true;
}

void log_stats(const std::vector<Channel>& channels, const gw::store::MessageStore& store,
               gw::anchoring::LedgerService* ledger, gw::outbound::OutboundService* outbound) {
  for (const auto& c : channels) {
    auto s = c.ingest->stats();
    auto n = c.server->stats();
    // Computed ahead: the key list below stays one aligned column.
    const std::string per_address = std::to_string(n.connections_refused_per_address);
    gw::log::info("stats", {{"channel", c.ingest->channel()},
                            {"accepted", std::to_string(s.accepted)},
                            {"duplicates", std::to_string(s.duplicates)},
                            {"duplicate_conflicts", std::to_string(s.duplicate_conflicts)},
                            {"sender_refused", std::to_string(s.sender_refused)},
                            {"errors", std::to_string(s.errors)},
                            {"rejected", std::to_string(s.rejected)},
                            {"store_failures", std::to_string(s.store_failures)},
                            {"stored_unmapped", std::to_string(s.stored_unmapped)},
                            {"connections_open", std::to_string(n.connections_open)},
                            {"frame_timeouts", std::to_string(n.connections_frame_timeout)},
                            {"bytes_skipped", std::to_string(n.bytes_skipped)},
                            {"refused_per_address", per_address},
                            {"reads_paused", std::to_string(n.reads_paused)},
                            {"input_buffered_bytes", std::to_string(n.input_buffered_bytes)},
                            {"tls_handshake_failures", std::to_string(n.tls_handshake_failures)}});
  }
  auto st = store.stats();
  gw::log::info("stats.store", {{"stored", std::to_string(st.stored)},
                                {"duplicates", std::to_string(st.duplicates)},
                                {"failed", std::to_string(st.failed)},
                                {"queue_full", std::to_string(st.queue_full)},
                                {"transactions", std::to_string(st.transactions)},
                                {"syncs", std::to_string(st.syncs)},
                                {"sync_failures", std::to_string(st.sync_failures)},
                                {"sync_us", std::to_string(st.sync_us)},
                                {"checkpoints", std::to_string(st.checkpoints)},
                                {"checkpoint_failures", std::to_string(st.checkpoint_failures)}});
  if (ledger != nullptr) ledger->log_stats();
  if (outbound != nullptr) outbound->log_stats();
}

// A FHIR destination's options from a channel's or [peering]'s forward_fhir
// keys (the same fields in both).
template <typename C>
gw::outbound::FhirForwarderOptions fhir_forwarder_options(const C& c,
                                                          gw::store::MessageStore* store) {
  gw::outbound::FhirForwarderOptions fo;
  fo.url = c.forward_fhir;
  fo.ca_file = c.forward_fhir_ca_file;
  fo.client_cert_file = c.forward_fhir_client_cert_file;
  fo.client_key_file = c.forward_fhir_client_key_file;
  fo.bearer_token_file = c.forward_fhir_bearer_token_file;
  fo.style = c.forward_fhir_requests == "by_id" ? gw::outbound::FhirRequestStyle::kById
                                                : gw::outbound::FhirRequestStyle::kConditional;
  fo.timeout = c.forward_timeout;
  fo.store = store;
  return fo;
}

// One destination per forwarding key of each channel ([channel.NAME]
// forward_fhir, forward_mllp), each with the channel's parse and mapping
// options so that what is forwarded is what was stored; and [peering]
// forward_fhir for received transfers (the "peer" channel of the store), sent
// as the records they stored. `store` (not owned) gives FHIR destinations the
// merged versions of partial resources and a transfer's records.
gw::Result<std::vector<gw::outbound::DestinationSpec>> forwarding_destinations(
    const gw::config::GatewayConfig& cfg, gw::store::MessageStore* store) {
  std::vector<gw::outbound::DestinationSpec> out;
  for (const auto& c : cfg.channels) {
    if (!c.forward_fhir.empty()) {
      const gw::pipeline::IngestOptions io = gw::pipeline::ingest_options(c);
      gw::outbound::FhirForwarderOptions fo = fhir_forwarder_options(c, store);
      fo.parse = io.parse;
      fo.mapping = io.mapping;
      auto forwarder = gw::outbound::make_fhir_forwarder(std::move(fo));
      if (!forwarder.ok())
        return forwarder.error().with_context("channel." + c.name + ".forward_fhir");
      out.push_back({c.name + "/fhir", c.name, std::move(forwarder).value(),
                     c.forward_retry_initial, c.forward_retry_max});
    }
    if (c.forward_mllp.port != 0) {
      gw::outbound::MllpForwarderOptions mo{c.forward_mllp.host, c.forward_mllp.port,
                                            c.forward_timeout, std::nullopt};
      if (c.forward_mllp_tls)
        mo.tls = gw::mllp::ClientTlsOptions{c.forward_mllp_ca_file, c.forward_mllp_client_cert_file,
                                            c.forward_mllp_client_key_file, ""};
      out.push_back({c.name + "/mllp", c.name, gw::outbound::make_mllp_forwarder(std::move(mo)),
                     c.forward_retry_initial, c.forward_retry_max});
    }
  }
  if (const gw::config::PeeringConfig& p = cfg.peering; !p.forward_fhir.empty()) {
    gw::outbound::FhirForwarderOptions fo = fhir_forwarder_options(p, store);
    fo.source = gw::outbound::FhirSource::kStoredRecords;
    auto forwarder = gw::outbound::make_fhir_forwarder(std::move(fo));
    if (!forwarder.ok()) return forwarder.error().with_context("peering.forward_fhir");
    // The queue's key names the store's channel of received transfers.
    out.push_back({std::string(gw::transfer::kPeerChannel) + "/fhir", gw::transfer::kPeerChannel,
                   std::move(forwarder).value(), p.forward_retry_initial, p.forward_retry_max});
  }
  return out;
}

// What /admin/metrics serves; every source is safe to read from the HTTPS
// threads while the gateway runs.
gw::admin::MetricsSnapshot metrics_snapshot(const std::vector<Channel>& channels,
                                            const gw::store::MessageStore& store,
                                            const gw::anchoring::BatchSigner& batch_signer,
                                            gw::anchoring::LedgerService* ledger,
                                            gw::outbound::OutboundService* outbound,
                                            std::chrono::steady_clock::time_point started) {
  gw::admin::MetricsSnapshot m;
  for (const auto& c : channels)
    m.channels.push_back({c.ingest->channel(), c.ingest->stats(), c.server->stats()});
  m.store = store.stats();
  m.batches_signed = batch_signer.batches_signed();
  if (ledger != nullptr) {
    if (auto counts = ledger->outbox_counts(); counts)
      m.ledger = gw::admin::LedgerMetrics{*counts, gw::anchoring::oldest_open_age_s(*counts)};
  }
  if (outbound != nullptr) {
    if (auto counts = outbound->counts(); counts) {
      const int64_t now = gw::now_ms();
      for (const auto& c : *counts)
        m.outbound.push_back({c, c.oldest_queued_ms == 0
                                     ? 0
                                     : std::max<int64_t>(0, (now - c.oldest_queued_ms) / 1000)});
    }
  }
  m.uptime_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
          .count();
  return m;
}

}  // namespace

int run_gatewayd(int argc, char** argv) {
  const auto started_at = std::chrono::steady_clock::now();
  sqlite::configure_process();  // before any store, log or queue opens SQLite
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.starts_with("--config=")) {
      config_path = a.substr(9);
    } else if (a == "--check") {
      check_only = true;
    } else if (a == "--version") {
      std::printf("gatewayd %s\n", gw::app::kVersion);
      return 0;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "gatewayd: unknown argument '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "gatewayd: --config FILE is required\n%s", kUsage);
    return 2;
  }

  std::string error;
  auto cfg = gw::config::load_config(config_path);
  if (!cfg) {
    std::fprintf(stderr, "gatewayd: configuration error: %s\n", cfg.error().message().c_str());
    return 1;
  }
  // Compiled once; every writer thread shares them (immutable).
  auto compiled_labels = gw::labels::LabelRules::compile(cfg->labels.defaults, cfg->labels.rules);
  if (!compiled_labels.ok()) {
    std::fprintf(stderr, "gatewayd: configuration error: %s: labels: %s\n", config_path.c_str(),
                 compiled_labels.error().message().c_str());
    return 1;
  }
  const std::shared_ptr<const gw::labels::LabelRules> label_rules = *compiled_labels;
  if (check_only) {
    // The channels' TLS files too: a wrong path or a key that does not match
    // its certificate would otherwise only show at start.
    for (const auto& c : cfg->channels) {
      if (!c.tls) continue;
      if (gw::Status tls = gw::mllp::check_tls_options(*gw::pipeline::server_options(c, 1).tls);
          !tls.ok()) {
        std::fprintf(stderr, "gatewayd: configuration error: %s: channel.%s: %s\n",
                     config_path.c_str(), c.name.c_str(), tls.message().c_str());
        return 1;
      }
    }
    std::printf("%s: configuration is valid (%zu channel%s)\n", config_path.c_str(),
                cfg->channels.size(), cfg->channels.size() == 1 ? "" : "s");
    return 0;
  }
  gw::log::Level level;
  gw::log::parse_level(cfg->log_level, &level);
  gw::log::set_level(level);

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  gw::log::info("starting", {{"version", gw::app::kVersion}, {"config", config_path}});
  gw::log::info("labels", {{"rules", std::to_string(label_rules->rule_count())},
                           {"defaults", cfg->labels.defaults ? "true" : "false"}});

  size_t wanted_fds = 64;
  for (const auto& c : cfg->channels) wanted_fds += c.max_connections + 16;
  if (gw::Status fds = gw::mllp::raise_fd_limit(wanted_fds); !fds.ok()) {
    gw::log::warn("fd_limit", {{"detail", fds.message()}});
  }

  if (!ensure_state_dir(cfg->state_dir, &error)) {
    gw::log::error("startup_failed", {{"detail", error}});
    return 1;
  }
  // Keys first: without them nothing can be stored, and a missing TPM, sealed
  // object or PCR match must stop the start with a message saying which.
  if (cfg->keys.store == "software") {
    gw::log::warn("keys.software_store", {{"detail", gw::keys::kSoftwareKeyStoreWarning}});
  }
  const auto keys_started = std::chrono::steady_clock::now();
  auto keys = gw::keys::load_keys(*cfg);
  if (!keys.ok()) {
    gw::log::error("startup_failed", {{"detail", keys.error().message()}});
    return 1;
  }
  gw::log::info("keys.loaded",
                {{"store", keys->key_store->kind()},
                 {"ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - keys_started)
                                           .count())}});
  // Access control and the audit trail before any listener: nothing is
  // served that cannot be checked and recorded.
  auto access = gw::app::start_access(*cfg, keys->working);
  if (!access.ok()) {
    gw::log::error("startup_failed", {{"detail", access.error().message()}});
    return 1;
  }
  if (cfg->https.enabled && cfg->https.allow_anonymous) {
    gw::log::warn("https.anonymous_allowed", {{"detail", kAnonymousWarning}});
  }
  {
    gw::audit::AuditEntry loaded;
    loaded.time_ms = gw::now_ms();
    loaded.actor = gw::audit::Actor{gw::audit::ActorKind::kOperator, ""};
    loaded.action = gw::audit::Action::kConfigLoad;
    loaded.detail = "gatewayd started; clients: " + std::to_string(cfg->clients.size()) +
                    (cfg->https.allow_anonymous ? "; anonymous access allowed" : "");
    if (auto w = access->audit->append(loaded); !w.ok()) {
      gw::log::error("startup_failed", {{"detail", w.status().message()}});
      return 1;
    }
  }
  // The working keys are in locked memory now; the TPM is not needed per
  // message. Release it, so operator tools (and tests on swtpm, which serves
  // one connection at a time) can reach it while gatewayd runs.
  keys->key_store.reset();
  gw::store::StoreOptions sopts;
  sopts.path = cfg->message_store_path();
  sopts.keys = keys->store_keys;
  sopts.max_batch = cfg->store_max_batch;
  sopts.max_queued_bytes = cfg->store_max_queued_bytes;
  sopts.warning = [](const std::string& detail) {
    gw::log::warn("store.warning", {{"detail", detail}});
  };
  auto opened = gw::store::MessageStore::open(sopts);
  if (!opened.ok()) {
    gw::log::error("startup_failed", {{"detail", opened.error().message()}});
    return 1;
  }
  std::unique_ptr<gw::store::MessageStore> store = std::move(opened).value();
  gw::log::info("store.open",
                {{"path", sopts.path}, {"count", std::to_string(store->count(std::nullopt))}});

  // Batch signing: the only runtime use of the TPM, off the message path.
  gw::anchoring::BatchSignerOptions bo;
  bo.db_path = sopts.path;
  bo.keys = gw::keys::key_store_options(*cfg);
  bo.batch_records = cfg->keys.batch_records;
  bo.interval = cfg->keys.batch_interval;
  bo.wait_durable = [s = store.get()] { return s->wait_durable(); };
  auto created_signer = gw::anchoring::BatchSigner::create(bo);
  if (!created_signer.ok()) {
    gw::log::error("startup_failed", {{"detail", created_signer.error().message()}});
    return 1;
  }
  std::unique_ptr<gw::anchoring::BatchSigner> batch_signer = std::move(created_signer).value();
  batch_signer->start();

  // The consortium ledger: anchoring and the outbox run on their own threads,
  // off the acknowledgement path. A node that does not answer delays only
  // the ledger; a wrong node or deployment stops the start.
  std::unique_ptr<gw::anchoring::LedgerService> ledger;
  std::unique_ptr<gw::consortium::ConsortiumView> consortium_view;
  if (cfg->ledger.enabled) {
    auto started = gw::anchoring::LedgerService::start(*cfg, keys->working.ledger_key, sopts.path);
    if (!started) {
      gw::log::error("startup_failed", {{"detail", started.error().message()}});
      return 1;
    }
    ledger = std::move(*started);
    // What the chain says about members and consents, followed on its own
    // thread; a node that does not answer only delays it.
    auto view =
        gw::consortium::ConsortiumView::start(*cfg, ledger->deployment(), ledger->address());
    if (!view) {
      gw::log::error("startup_failed", {{"detail", view.error().message()}});
      return 1;
    }
    consortium_view = std::move(*view);
  } else if (cfg->ledger_line != 0) {
    gw::log::info("ledger.disabled", {{"detail", "[ledger] enabled = false"}});
  }  // The audit trail's batches: signed by the TPM batch key, anchored with
  // the kind audit when the ledger is on, pruned after [audit] retention_days.
  gw::auditseal::AuditSealer audit_sealer(*access->audit, gw::keys::key_store_options(*cfg),
                                          ledger ? ledger->outbox() : nullptr,
                                          gw::auditseal::sealer_options(cfg->audit));
  audit_sealer.start();

  // Transfers to and from other members (gateway/transfer): consent-checked
  // from the consortium view, recorded through the ledger outbox, delivered
  // over the member-to-member API ([peering]). They need the ledger.
  std::unique_ptr<gw::peering::PeerClient> peer_client;
  std::unique_ptr<gw::transfer::TransferService> transfers;
  if (ledger) {
    gw::transfer::TransferContext tc;
    tc.self = ledger->address();
    tc.store = store.get();
    tc.view = consortium_view.get();
    tc.outbox = ledger->outbox();
    tc.payload_keys = &keys->working.payload_keys;
    tc.study_root_key = &keys->working.record_key;
    tc.audit = access->audit;
    std::optional<gw::peering::PeerServerOptions> listener;
    if (cfg->peering.enabled) {
      gw::peering::PeerClientOptions pco;
      pco.cert_file = cfg->peering.cert_file;
      pco.key_file = cfg->peering.key_file;
      auto client = gw::peering::PeerClient::create(pco);
      if (!client.ok()) {
        gw::log::error("startup_failed",
                       {{"channel", "peering"}, {"detail", client.error().message()}});
        return 1;
      }
      peer_client = std::move(client).value();
      tc.peers = peer_client.get();
      for (const auto& [account, url] : cfg->peers) {
        gw::peering::Account a{};
        if (gw::peering::parse_account(account, &a)) tc.peer_urls[a] = url;
      }
      gw::peering::PeerServerOptions po;
      po.host = cfg->peering.listen.host;
      po.port = cfg->peering.listen.port;
      po.cert_file = cfg->peering.cert_file;
      po.key_file = cfg->peering.key_file;
      po.max_body_bytes = cfg->peering.max_body_bytes;
      po.threads = cfg->peering.threads;
      po.shutdown_grace = cfg->shutdown_grace;
      tc.options.limits.max_envelope_bytes = cfg->peering.max_body_bytes;
      listener = po;
    }
    auto started =
        gw::transfer::TransferService::start(std::move(tc), cfg->transfers_path(), listener);
    if (!started.ok()) {
      gw::log::error("startup_failed",
                     {{"channel", "peering"}, {"detail", started.error().message()}});
      return 1;
    }
    transfers = std::move(started).value();
    if (listener) {
      gw::config::HostPort actual{cfg->peering.listen.host, transfers->peering_port()};
      gw::log::info(
          "listening",
          {{"channel", "peering"}, {"protocol", "https"}, {"address", actual.to_string()}});
    }
  }

  // Forwarding: its queue is derived from the store (outbound_queue.h), so it
  // starts before the channels accept anything and reads what they store.
  std::unique_ptr<gw::outbound::OutboundService> outbound;
  {
    auto destinations = forwarding_destinations(*cfg, store.get());
    if (!destinations.ok()) {
      gw::log::error("startup_failed", {{"detail", destinations.error().message()}});
      return 1;
    }
    if (!destinations->empty()) {
      gw::outbound::OutboundOptions oo;
      oo.queue_path = cfg->outbound_queue_path();
      const size_t count = destinations->size();
      auto started =
          gw::outbound::OutboundService::start(oo, store.get(), std::move(*destinations));
      if (!started.ok()) {
        gw::log::error("startup_failed", {{"detail", started.error().message()}});
        return 1;
      }
      outbound = std::move(started).value();
      gw::log::info("outbound.started",
                    {{"queue", oo.queue_path}, {"destinations", std::to_string(count)}});
    }
  }

  // The threads that map every channel's messages; declared before the
  // channels so that it outlives their handlers.
  auto pipeline_workers = std::make_shared<gw::pipeline::WorkPool>(
      static_cast<size_t>(cfg->pipeline_threads), static_cast<size_t>(cfg->max_buffered_bytes));
  std::vector<Channel> channels;
  // One bound on the input held by every channel's connections together.
  auto input_budget = std::make_shared<gw::mllp::InputBudget>(cfg->max_buffered_bytes);
  for (const auto& c : cfg->channels) {
    gw::pipeline::IngestOptions io = gw::pipeline::ingest_options(c);
    io.labels = label_rules;
    io.workers = pipeline_workers;
    Channel ch;
    ch.ingest = std::make_unique<gw::pipeline::MllpIngest>(io, store.get());

    gw::mllp::ServerOptions so = gw::pipeline::server_options(c, cfg->io_threads);
    so.input_budget = input_budget;
    // Peer address and OpenSSL's reason only; the server rate-limits these.
    so.on_tls_failure = [channel = c.name](const gw::mllp::TlsFailure& f) {
      gw::log::warn("mllp.tls_failure",
                    {{"channel", channel},
                     {"peer", f.address},
                     {"connection", std::to_string(f.connection_id)},
                     {"phase", f.during_handshake ? "handshake" : "established"},
                     {"reason", f.reason},
                     {"suppressed", std::to_string(f.suppressed)}});
    };
    auto server = gw::mllp::Server::create(so, ch.ingest.get());
    if (!server.ok()) {
      gw::log::error("startup_failed", {{"channel", c.name}, {"detail", server.error().message()}});
      for (auto& started : channels) started.server->stop(std::chrono::milliseconds(0));
      return 1;
    }
    ch.server = std::move(server).value();
    channels.push_back(std::move(ch));
  }
  for (size_t i = 0; i < channels.size(); ++i) {
    channels[i].server->start();
    const gw::config::ChannelConfig& c = cfg->channels[i];
    gw::config::HostPort actual{c.listen.host, channels[i].server->port()};
    gw::log::info("listening", {{"channel", c.name},
                                {"protocol", c.tls ? "mllp+tls" : "mllp"},
                                {"address", actual.to_string()}});
    // Reachable from the network with no sender rules: whoever reaches the
    // port may send as any sender. Allowed (a feed behind its own firewall
    // needs no rules), but said once at start, where the operator looks.
    const std::string& host = c.listen.host;
    const bool loopback = host == "localhost" || host == "::1" || host.starts_with("127.");
    if (c.senders.empty() && !loopback) {
      gw::log::warn("mllp.no_sender_rules",
                    {{"channel", c.name},
                     {"address", actual.to_string()},
                     {"detail",
                      "any host that reaches this port may send as any MSH-3/MSH-4; bind senders "
                      "to their connections with [channel." +
                          c.name + ".sender.RULE] tables"}});
    }
  }
  // ---- Consents (gateway/consent): FHIR Consent in, grants through the
  // ledger outbox. Always served with the FHIR API, so that no Consent is
  // stored without the ledger knowing it; writes need [ledger].
  gw::app::ConsentEndpoint consents;
  if (cfg->https.enabled) {
    auto started = gw::app::start_consent_endpoint(
        *cfg, store.get(), keys->store_keys, ledger.get(), consortium_view.get(), access->audit);
    if (!started.ok()) {
      gw::log::error("startup_failed", {{"detail", started.error().message()}});
      return 1;
    }
    consents = std::move(started).value();
  }
  // ---- end of consents

  std::unique_ptr<gw::rest::FhirRestServer> rest;
  if (cfg->https.enabled) {
    gw::rest::RestOptions ro;
    ro.host = cfg->https.listen.host;
    ro.port = cfg->https.listen.port;
    ro.cert_file = cfg->https.cert_file;
    ro.key_file = cfg->https.key_file;
    ro.client_ca_file = cfg->https.client_ca_file;
    ro.base_url = cfg->https.base_url;
    ro.max_body_bytes = cfg->https.max_body_bytes;
    ro.threads = cfg->https.threads;
    ro.header_timeout_s = cfg->https.header_timeout_s;
    ro.body_timeout_s = cfg->https.body_timeout_s;
    ro.idle_timeout_s = cfg->https.idle_timeout_s;
    ro.max_connections = cfg->https.max_connections;
    ro.max_connections_per_address = cfg->https.max_connections_per_address;
    ro.input_budget = input_budget;
    ro.shutdown_grace_ms = static_cast<int>(cfg->shutdown_grace.count());
    ro.clients = access->clients;
    ro.allow_anonymous = cfg->https.allow_anonymous;
    ro.tokens = access->tokens;
    ro.jtis = access->jtis;
    ro.assertion_leeway_s = cfg->https.assertion_leeway_s;
    ro.audit = access->audit;
    ro.labels = label_rules;
    if (transfers) {
      ro.extensions.push_back(transfers->rest_extension());
      ro.operations = gw::transfer::TransferService::operations();
    }
    ro.extensions.push_back(consents.service->extension());
    {
      gw::auditview::AuditEventViewOptions view;
      view.base_url = cfg->https.base_url;
      if (view.base_url.empty() && cfg->https.listen.port != 0) {
        view.base_url = "https://" + cfg->https.listen.to_string();
      }
      view.context.base_url = view.base_url;
      auto patient_tokens = std::make_shared<gw::rest::PatientTokens>(store.get());
      view.resolve_patient = [patient_tokens](std::string_view id) {
        return patient_tokens->token_of(id);
      };
      ro.extensions.push_back(gw::auditview::make_audit_event_extension(access->audit, view));
      ro.extensions.push_back(
          gw::app::make_access_report_extension(store.get(), access->audit, "this gateway"));
      ro.operations.push_back(gw::app::access_report_operation());
    }
    ro.own_write_types.push_back("Consent");
    const gw::config::GatewayConfig& config = *cfg;
    gw::admin::AdminSources admin_sources;
    admin_sources.config = &config;
    admin_sources.metrics = [&] {
      gw::admin::MetricsSnapshot m = metrics_snapshot(channels, *store, *batch_signer, ledger.get(),
                                                      outbound.get(), started_at);
      if (consortium_view) {
        const gw::consortium::ViewStatus v = consortium_view->status();
        m.consortium_view = gw::admin::ConsortiumViewMetrics{
            v.applied_block, v.final_block, v.lag_blocks, v.node_reachable,
            v.last_sync_ms == 0 ? -1
                                : std::max<int64_t>(0, (gw::now_ms() - v.last_sync_ms) / 1000)};
      }
      return m;
    };
    ro.admin_handler = [admin_sources](const gw::rest::RestRequest& r) {
      return gw::admin::handle_admin_request(admin_sources, r);
    };
    ro.on_request = [](const std::string& method, const std::string& type, int status,
                       const std::string& peer) {
      if (status >= 500) {
        gw::log::warn("https.request", {{"method", method},
                                        {"type", type},
                                        {"status", std::to_string(status)},
                                        {"peer", peer}});
      } else if (gw::log::enabled(gw::log::Level::kDebug)) {
        gw::log::debug("https.request", {{"method", method},
                                         {"type", type},
                                         {"status", std::to_string(status)},
                                         {"peer", peer}});
      }
    };
    rest = std::make_unique<gw::rest::FhirRestServer>(ro, store.get());
    if (gw::Status started = rest->start(); !started.ok()) {
      gw::log::error("startup_failed", {{"channel", "https"}, {"detail", started.message()}});
      for (auto& c : channels) c.server->stop(std::chrono::milliseconds(0));
      return 1;
    }
    gw::config::HostPort actual{cfg->https.listen.host, rest->port()};
    gw::log::info("listening",
                  {{"channel", "fhir"}, {"protocol", "https"}, {"address", actual.to_string()}});
  } else {
    gw::log::info("https.disabled",
                  {{"detail", "FHIR REST endpoint not served ([https] enabled = false)"}});
  }
  gw::log::info("ready");

  // Wait for a stop signal, logging counters once a minute.
  auto last_stats = std::chrono::steady_clock::now();
  for (;;) {
    timespec ts{5, 0};
    int sig = sigtimedwait(&stop_signals, nullptr, &ts);
    if (sig == SIGTERM || sig == SIGINT) {
      gw::log::info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      break;
    }
    if (sig == SIGHUP)
      gw::log::warn("sighup_ignored",
                    {{"detail", "reload is not supported; restart to apply configuration"}});
    if (std::chrono::steady_clock::now() - last_stats >= std::chrono::minutes(1)) {
      log_stats(channels, *store, ledger.get(), outbound.get());
      if (consortium_view) consortium_view->log_stats();
      last_stats = std::chrono::steady_clock::now();
    }
  }

  // Stop accepting and reading; in-flight frames finish committing and get
  // their acknowledgements within the grace period.
  if (rest) rest->stop();
  if (transfers) transfers->stop();
  for (auto& c : channels) c.server->stop(cfg->shutdown_grace);
  // What is still queued stays in outbound.db for the next start.
  if (outbound) outbound->stop();
  store->close();
  batch_signer->stop();  // signs what the last commits added
  if (consortium_view) {
    consortium_view->stop();
    consortium_view->log_stats();
  }
  audit_sealer.stop();         // seals what the last answers added
  if (ledger) ledger->stop();  // enqueues the last batches' anchors, stops the submitter
  log_stats(channels, *store, ledger.get(), outbound.get());
  gw::log::info("stopped");
  return 0;
}
}  // namespace gw::app
