#include "gateway/admin/metrics.h"

#include <initializer_list>
#include <utility>

namespace gw::admin {
namespace {

// Label values: backslash, double quote and line feed are escaped.
std::string escape_label(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Writer {
 public:
  void family(const char* name, const char* type, const char* help) {
    name_ = name;
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    text_ += help;
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += ' ';
    text_ += type;
    text_ += '\n';
  }
  // One sample of the current family.
  void sample(std::initializer_list<std::pair<const char*, std::string>> labels, int64_t value) {
    text_ += name_;
    if (labels.size() != 0) {
      text_ += '{';
      bool first = true;
      for (const auto& [k, v] : labels) {
        if (!first) text_ += ',';
        first = false;
        text_ += k;
        text_ += "=\"";
        text_ += escape_label(v);
        text_ += '"';
      }
      text_ += '}';
    }
    text_ += ' ';
    text_ += std::to_string(value);
    text_ += '\n';
  }
  // One sample per channel, labelled with its name.
  template <typename Value>
  void per_channel(const std::vector<ChannelMetrics>& channels, Value value) {
    for (const auto& c : channels) sample({{"channel", c.name}}, static_cast<int64_t>(value(c)));
  }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
  const char* name_ = "";
};

int64_t i(uint64_t v) { return static_cast<int64_t>(v); }

}  // namespace

std::string render_metrics(const MetricsSnapshot& m) {
  Writer w;
  w.family("gatewayd_uptime_seconds", "gauge", "Seconds since gatewayd started.");
  w.sample({}, m.uptime_s);

  w.family("gatewayd_mllp_messages_total", "counter",
           "HL7 v2 messages answered per channel, by outcome (accepted: stored and "
           "acknowledged AA/CA; error: AE/CE; rejected: AR/CR; duplicate_conflict: AE/CE 205, "
           "the sender and MSH-10 of an accepted message with other content).");
  for (const auto& c : m.channels) {
    w.sample({{"channel", c.name}, {"outcome", "accepted"}}, i(c.ingest.accepted));
    w.sample({{"channel", c.name}, {"outcome", "duplicate"}}, i(c.ingest.duplicates));
    w.sample({{"channel", c.name}, {"outcome", "error"}}, i(c.ingest.errors));
    w.sample({{"channel", c.name}, {"outcome", "rejected"}}, i(c.ingest.rejected));
    w.sample({{"channel", c.name}, {"outcome", "duplicate_conflict"}},
             i(c.ingest.duplicate_conflicts));
  }
  w.family("gatewayd_mllp_mapping_failures_total", "counter",
           "Messages answered AE/CE because they could not be mapped to FHIR (also in "
           "outcome=\"error\").");
  w.per_channel(m.channels, [](const ChannelMetrics& c) { return c.ingest.mapping_failures; });
  w.family("gatewayd_mllp_sender_refused_total", "counter",
           "Messages answered AR/CR 207 because the channel's sender rules do not allow their "
           "MSH-3/MSH-4 on their connection (also in outcome=\"rejected\").");
  w.per_channel(m.channels, [](const ChannelMetrics& c) { return c.ingest.sender_refused; });
  w.family("gatewayd_mllp_stored_unmapped_total", "counter",
           "Messages of a type the mapper does not support, accepted and stored without FHIR "
           "records (unmapped_types = \"store\"; also in outcome=\"accepted\").");
  w.per_channel(m.channels, [](const ChannelMetrics& c) { return c.ingest.stored_unmapped; });
  w.family("gatewayd_mllp_store_failures_total", "counter",
           "Messages that could not be stored (answered with an error, never acknowledged AA).");
  w.per_channel(m.channels, [](const ChannelMetrics& c) { return c.ingest.store_failures; });
  w.family("gatewayd_mllp_connections_open", "gauge", "Open MLLP connections per channel.");
  w.per_channel(m.channels, [](const ChannelMetrics& c) { return c.server.connections_open; });
  w.family("gatewayd_mllp_connections_total", "counter",
           "MLLP connections per channel: accepted, refused (over max_connections), refused "
           "per address (over max_connections_per_address), closed for idleness, closed for a "
           "frame not finished within frame_timeout_s.");
  for (const auto& c : m.channels) {
    w.sample({{"channel", c.name}, {"event", "accepted"}}, i(c.server.connections_accepted));
    w.sample({{"channel", c.name}, {"event", "refused"}}, i(c.server.connections_refused));
    w.sample({{"channel", c.name}, {"event", "refused_per_address"}},
             i(c.server.connections_refused_per_address));
    w.sample({{"channel", c.name}, {"event", "idle_closed"}}, i(c.server.connections_idle_closed));
    w.sample({{"channel", c.name}, {"event", "frame_timeout"}},
             i(c.server.connections_frame_timeout));
  }
  w.family("gatewayd_mllp_tls_total", "counter",
           "MLLP over TLS per channel (tls = true): handshakes completed, handshakes failed "
           "(certificate refused or not pinned, plaintext or old-version peer, not finished within "
           "the frame or idle timeout) and TLS errors on established connections.");
  for (const auto& c : m.channels) {
    w.sample({{"channel", c.name}, {"event", "handshake"}}, i(c.server.tls_handshakes));
    w.sample({{"channel", c.name}, {"event", "handshake_failure"}},
             i(c.server.tls_handshake_failures));
    w.sample({{"channel", c.name}, {"event", "error"}}, i(c.server.tls_errors));
  }
  w.family("gatewayd_mllp_frames_oversized_total", "counter",
           "Frames over max_frame_bytes per channel.");
  w.per_channel(m.channels, [](const ChannelMetrics& c) { return c.server.frames_oversized; });
  w.family("gatewayd_mllp_bytes_skipped_total", "counter",
           "Bytes received outside MLLP frames per channel.");
  w.per_channel(m.channels, [](const ChannelMetrics& c) { return c.server.bytes_skipped; });
  w.family("gatewayd_mllp_input_buffered_bytes", "gauge",
           "Input held in memory for unfinished frames per channel (all channels together are "
           "bounded by gateway.max_buffered_bytes).");
  w.per_channel(m.channels, [](const ChannelMetrics& c) { return c.server.input_buffered_bytes; });
  w.family("gatewayd_mllp_reads_paused_total", "counter",
           "Reads refused per channel because gateway.max_buffered_bytes was reached (the "
           "connection waits; TCP flow control slows its sender).");
  w.per_channel(m.channels, [](const ChannelMetrics& c) { return c.server.reads_paused; });

  w.family("gatewayd_store_messages_total", "counter", "Store submissions by result.");
  w.sample({{"result", "stored"}}, i(m.store.stored));
  w.sample({{"result", "duplicate"}}, i(m.store.duplicates));
  w.sample({{"result", "duplicate_conflict"}}, i(m.store.conflicts));
  w.sample({{"result", "failed"}}, i(m.store.failed));
  w.family("gatewayd_store_queue_full_total", "counter",
           "Submissions refused because the commit queue was over max_queued_bytes.");
  w.sample({}, i(m.store.queue_full));
  w.family("gatewayd_store_commits_total", "counter",
           "SQLite transactions committed (messages per commit = stored / commits).");
  w.sample({}, i(m.store.transactions));
  w.family("gatewayd_store_checkpoints_total", "counter", "WAL checkpoints by result.");
  w.sample({{"result", "ok"}}, i(m.store.checkpoints));
  w.sample({{"result", "failed"}}, i(m.store.checkpoint_failures));
  w.family("gatewayd_store_syncs_total", "counter",
           "fdatasync calls on the WAL by the store's syncer, by result (messages per sync = "
           "stored / ok). A failed one failed every submission it was to cover.");
  w.sample({{"result", "ok"}}, i(m.store.syncs));
  w.sample({{"result", "failed"}}, i(m.store.sync_failures));
  w.family("gatewayd_store_sync_microseconds_total", "counter",
           "Time the syncer spent in fdatasync (mean latency = this / syncs).");
  w.sample({}, i(m.store.sync_us));

  w.family("gatewayd_record_batches_signed_total", "counter",
           "Record batches whose Merkle root the TPM signed since start.");
  w.sample({}, i(m.batches_signed));

  if (m.ledger) {
    const ledger::OutboxCounts& o = m.ledger->outbox;
    w.family("gatewayd_ledger_outbox_items", "gauge",
             "Items in the ledger outbox by state (queued and submitted are still open).");
    w.sample({{"state", "queued"}}, o.queued);
    w.sample({{"state", "submitted"}}, o.submitted);
    w.sample({{"state", "done"}}, o.done);
    w.sample({{"state", "refused"}}, o.refused);
    w.sample({{"state", "failed"}}, o.failed);
    w.family("gatewayd_ledger_pending_transactions", "gauge",
             "Ledger transactions signed and not yet final.");
    w.sample({}, o.pending_txs);
    w.family("gatewayd_ledger_oldest_open_item_age_seconds", "gauge",
             "How long the oldest queued or submitted outbox item has waited (0: none).");
    w.sample({}, m.ledger->oldest_open_age_s);
  }
  if (m.consortium_view) {
    const ConsortiumViewMetrics& v = *m.consortium_view;
    w.family("gatewayd_consortium_view_block", "gauge",
             "The consortium view's last applied block, and the chain's final block at its last "
             "pass.");
    w.sample({{"block", "applied"}}, i(v.applied_block));
    w.sample({{"block", "final"}}, i(v.final_block));
    w.family("gatewayd_consortium_view_lag_blocks", "gauge",
             "Final blocks the consortium view has not applied yet.");
    w.sample({}, i(v.lag_blocks));
    w.family("gatewayd_consortium_view_node_reachable", "gauge",
             "1 when the consortium view's last pass reached the node.");
    w.sample({}, v.node_reachable ? 1 : 0);
    w.family("gatewayd_consortium_view_last_sync_age_seconds", "gauge",
             "Seconds since the consortium view's last successful pass (-1: none since start).");
    w.sample({}, v.last_sync_age_s);
  }

  if (!m.outbound.empty()) {
    w.family("gatewayd_outbound_items", "gauge",
             "Forwarding queue per destination: queued (to be sent, or retried after a failure) "
             "and dead (refused by the destination; `gatewayctl outbound retry` requeues them).");
    for (const auto& o : m.outbound) {
      w.sample({{"destination", o.counts.destination}, {"state", "queued"}}, o.counts.queued);
      w.sample({{"destination", o.counts.destination}, {"state", "dead"}}, o.counts.dead);
    }
    w.family("gatewayd_outbound_sent_total", "counter",
             "Messages the destination confirmed (HTTP 2xx, ACK AA/CA).");
    for (const auto& o : m.outbound)
      w.sample({{"destination", o.counts.destination}}, o.counts.sent);
    w.family("gatewayd_outbound_skipped_total", "counter",
             "Messages with nothing to forward (a type stored without FHIR records).");
    for (const auto& o : m.outbound)
      w.sample({{"destination", o.counts.destination}}, o.counts.skipped);
    w.family("gatewayd_outbound_retries_total", "counter",
             "Failed attempts scheduled again (unreachable, timeout, 5xx, no ACK).");
    for (const auto& o : m.outbound)
      w.sample({{"destination", o.counts.destination}}, o.counts.retried);
    w.family("gatewayd_outbound_oldest_queued_age_seconds", "gauge",
             "How long the oldest queued item has waited (0: none): alert when it grows.");
    for (const auto& o : m.outbound)
      w.sample({{"destination", o.counts.destination}}, o.oldest_queued_age_s);
  }
  return w.take();
}

}  // namespace gw::admin
