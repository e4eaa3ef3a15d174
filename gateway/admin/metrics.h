// gatewayd's counters in the Prometheus text exposition format (version
// 0.0.4), served at /admin/metrics to the admin API's mutual-TLS clients, so
// a hospital's monitoring scrapes what `event=stats` logs once a minute:
// messages per channel and outcome, connections, store commits and
// checkpoints, signed record batches, the ledger outbox's backlog and lag,
// and each forwarding destination's queue.
// Labels carry channel names and states only, never message content.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapters/mllp/server.h"
#include "gateway/outbound/outbound_queue.h"
#include "gateway/pipeline/mllp_ingest.h"
#include "gateway/store/message_store.h"
#include "ledger-client/outbox/outbox_store.h"

namespace gw::admin {

struct ChannelMetrics {
  std::string name;
  pipeline::IngestStats ingest;
  mllp::ServerStats server;
};

struct LedgerMetrics {
  ledger::OutboxCounts outbox;
  int64_t oldest_open_age_s = 0;  // 0 when nothing is open
};

// How far the consortium view (gateway/consortium) trails the chain.
struct ConsortiumViewMetrics {
  uint64_t applied_block = 0, final_block = 0, lag_blocks = 0;
  bool node_reachable = false;
  int64_t last_sync_age_s = -1;  // -1: no pass has succeeded since start
};

// One forwarding destination ("<channel>/fhir", "<channel>/mllp").
struct OutboundMetrics {
  outbound::DestinationCounts counts;
  int64_t oldest_queued_age_s = 0;  // 0 when nothing is queued
};

struct MetricsSnapshot {
  std::vector<ChannelMetrics> channels;
  store::StoreStats store;
  uint64_t batches_signed = 0;
  std::optional<LedgerMetrics> ledger;                   // absent: [ledger] not enabled
  std::optional<ConsortiumViewMetrics> consortium_view;  // absent: [ledger] not enabled
  std::vector<OutboundMetrics> outbound;                 // empty: no channel forwards
  int64_t uptime_s = 0;
};

// The exposition text: one HELP and TYPE line per metric family, then its
// samples; label values escaped as the format requires.
std::string render_metrics(const MetricsSnapshot& snapshot);

}  // namespace gw::admin
