// The /admin/metrics text: every family has HELP and TYPE lines, samples carry
// the snapshot's numbers with their labels, label values are escaped, and the
// ledger families appear only when the ledger is on.
#include "gateway/admin/metrics.h"

#include <gtest/gtest.h>

#include <sstream>

namespace gw::admin {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

MetricsSnapshot sample_snapshot() {
  MetricsSnapshot m;
  ChannelMetrics adt;
  adt.name = "adt";
  adt.ingest.accepted = 120;
  adt.ingest.duplicates = 3;
  adt.ingest.errors = 2;
  adt.ingest.mapping_failures = 1;
  adt.ingest.duplicate_conflicts = 6;
  adt.ingest.sender_refused = 8;
  adt.server.connections_open = 4;
  adt.server.connections_refused = 7;
  adt.server.connections_refused_per_address = 6;
  adt.server.reads_paused = 12;
  adt.server.input_buffered_bytes = 65536;
  m.channels.push_back(adt);
  ChannelMetrics odd;
  odd.name = "lab \"east\"\\1";
  odd.ingest.rejected = 5;
  m.channels.push_back(odd);
  m.store.stored = 118;
  m.store.transactions = 40;
  m.store.checkpoint_failures = 1;
  m.store.syncs = 30;
  m.store.sync_failures = 2;
  m.store.sync_us = 4500;
  m.batches_signed = 9;
  m.uptime_s = 61;
  return m;
}

TEST(MetricsTest, RendersEveryFamilyWithItsSamples) {
  const std::string text = render_metrics(sample_snapshot());
  EXPECT_TRUE(has_line(text, "# TYPE gatewayd_mllp_messages_total counter")) << text;
  EXPECT_TRUE(
      has_line(text, "gatewayd_mllp_messages_total{channel=\"adt\",outcome=\"accepted\"} 120"));
  EXPECT_TRUE(
      has_line(text, "gatewayd_mllp_messages_total{channel=\"adt\",outcome=\"duplicate\"} 3"));
  EXPECT_TRUE(has_line(
      text, "gatewayd_mllp_messages_total{channel=\"adt\",outcome=\"duplicate_conflict\"} 6"));
  EXPECT_TRUE(has_line(text, "gatewayd_mllp_mapping_failures_total{channel=\"adt\"} 1"));
  EXPECT_TRUE(has_line(text, "gatewayd_mllp_sender_refused_total{channel=\"adt\"} 8"));
  EXPECT_TRUE(has_line(text, "gatewayd_mllp_connections_open{channel=\"adt\"} 4"));
  EXPECT_TRUE(
      has_line(text, "gatewayd_mllp_connections_total{channel=\"adt\",event=\"refused\"} 7"));
  EXPECT_TRUE(has_line(
      text, "gatewayd_mllp_connections_total{channel=\"adt\",event=\"refused_per_address\"} 6"));
  EXPECT_TRUE(has_line(text, "gatewayd_mllp_reads_paused_total{channel=\"adt\"} 12"));
  EXPECT_TRUE(has_line(text, "# TYPE gatewayd_mllp_input_buffered_bytes gauge"));
  EXPECT_TRUE(has_line(text, "gatewayd_mllp_input_buffered_bytes{channel=\"adt\"} 65536"));
  EXPECT_TRUE(has_line(text, "gatewayd_store_messages_total{result=\"stored\"} 118"));
  EXPECT_TRUE(has_line(text, "gatewayd_store_commits_total 40"));
  EXPECT_TRUE(has_line(text, "gatewayd_store_syncs_total{result=\"ok\"} 30")) << text;
  EXPECT_TRUE(has_line(text, "gatewayd_store_syncs_total{result=\"failed\"} 2"));
  EXPECT_TRUE(has_line(text, "gatewayd_store_sync_microseconds_total 4500"));
  EXPECT_TRUE(has_line(text, "gatewayd_store_checkpoints_total{result=\"failed\"} 1"));
  EXPECT_TRUE(has_line(text, "gatewayd_record_batches_signed_total 9"));
  EXPECT_TRUE(has_line(text, "gatewayd_uptime_seconds 61"));
  // Escaped label values: backslash and quote.
  EXPECT_TRUE(has_line(
      text,
      "gatewayd_mllp_messages_total{channel=\"lab \\\"east\\\"\\\\1\",outcome=\"rejected\"} 5"))
      << text;
  // No ledger: no ledger families.
  EXPECT_EQ(text.find("gatewayd_ledger_"), std::string::npos);
  // Every sample's family was declared: each metric name has one TYPE line.
  std::istringstream in(text);
  std::string declared;
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("# TYPE ", 0) == 0) {
      declared = l.substr(7, l.find(' ', 7) - 7);
    } else if (l.rfind("# HELP ", 0) != 0) {
      EXPECT_EQ(l.rfind(declared, 0), 0u) << l;
    }
  }
}

TEST(MetricsTest, LedgerBacklogAndLag) {
  MetricsSnapshot m = sample_snapshot();
  LedgerMetrics l;
  l.outbox.queued = 12;
  l.outbox.done = 900;
  l.outbox.failed = 1;
  l.outbox.pending_txs = 2;
  l.oldest_open_age_s = 75;
  m.ledger = l;
  const std::string text = render_metrics(m);
  EXPECT_TRUE(has_line(text, "gatewayd_ledger_outbox_items{state=\"queued\"} 12")) << text;
  EXPECT_TRUE(has_line(text, "gatewayd_ledger_outbox_items{state=\"done\"} 900"));
  EXPECT_TRUE(has_line(text, "gatewayd_ledger_outbox_items{state=\"failed\"} 1"));
  EXPECT_TRUE(has_line(text, "gatewayd_ledger_pending_transactions 2"));
  EXPECT_TRUE(has_line(text, "gatewayd_ledger_oldest_open_item_age_seconds 75"));
}

TEST(MetricsTest, ConsortiumViewLag) {
  MetricsSnapshot m = sample_snapshot();
  EXPECT_EQ(render_metrics(m).find("gatewayd_consortium_view"), std::string::npos);
  m.consortium_view = ConsortiumViewMetrics{120, 125, 5, false, 42};
  const std::string text = render_metrics(m);
  EXPECT_TRUE(has_line(text, "gatewayd_consortium_view_block{block=\"applied\"} 120")) << text;
  EXPECT_TRUE(has_line(text, "gatewayd_consortium_view_block{block=\"final\"} 125"));
  EXPECT_TRUE(has_line(text, "gatewayd_consortium_view_lag_blocks 5"));
  EXPECT_TRUE(has_line(text, "gatewayd_consortium_view_node_reachable 0"));
  EXPECT_TRUE(has_line(text, "gatewayd_consortium_view_last_sync_age_seconds 42"));
}

TEST(MetricsTest, OutboundQueuesPerDestination) {
  MetricsSnapshot m;
  EXPECT_EQ(render_metrics(m).find("gatewayd_outbound_"), std::string::npos)
      << "no forwarding: no outbound families";
  OutboundMetrics o;
  o.counts.destination = "adt/fhir";
  o.counts.queued = 7;
  o.counts.dead = 2;
  o.counts.sent = 1500;
  o.counts.skipped = 3;
  o.counts.retried = 40;
  o.oldest_queued_age_s = 95;
  m.outbound.push_back(o);
  const std::string text = render_metrics(m);
  EXPECT_TRUE(
      has_line(text, "gatewayd_outbound_items{destination=\"adt/fhir\",state=\"queued\"} 7"))
      << text;
  EXPECT_TRUE(has_line(text, "gatewayd_outbound_items{destination=\"adt/fhir\",state=\"dead\"} 2"));
  EXPECT_TRUE(has_line(text, "gatewayd_outbound_sent_total{destination=\"adt/fhir\"} 1500"));
  EXPECT_TRUE(has_line(text, "gatewayd_outbound_skipped_total{destination=\"adt/fhir\"} 3"));
  EXPECT_TRUE(has_line(text, "gatewayd_outbound_retries_total{destination=\"adt/fhir\"} 40"));
  EXPECT_TRUE(
      has_line(text, "gatewayd_outbound_oldest_queued_age_seconds{destination=\"adt/fhir\"} 95"));
}

TEST(MetricsTest, MllpTlsCountersPerChannel) {
  MetricsSnapshot m;
  ChannelMetrics hie;
  hie.name = "hie";
  hie.server.tls_handshakes = 12;
  hie.server.tls_handshake_failures = 3;
  hie.server.tls_errors = 1;
  m.channels.push_back(hie);
  const std::string text = render_metrics(m);
  EXPECT_TRUE(has_line(text, "# TYPE gatewayd_mllp_tls_total counter")) << text;
  EXPECT_TRUE(has_line(text, "gatewayd_mllp_tls_total{channel=\"hie\",event=\"handshake\"} 12"));
  EXPECT_TRUE(
      has_line(text, "gatewayd_mllp_tls_total{channel=\"hie\",event=\"handshake_failure\"} 3"));
  EXPECT_TRUE(has_line(text, "gatewayd_mllp_tls_total{channel=\"hie\",event=\"error\"} 1"));
}

}  // namespace
}  // namespace gw::admin
