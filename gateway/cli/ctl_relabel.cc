// gatewayctl records relabel --config FILE
//
// Applies the configuration's current [labels] rules to the latest version of
// every stored record, and writes a new version of each record that gains a
// label (labels are only added: gateway/labels/labeler.h). Two passes over
// the store: the first learns every record's own labels (so that a
// DiagnosticReport can take its results' labels whatever the order), the
// second labels and writes, in submissions of kBatch records, each checked
// against the version it was computed from. Prints counts only, never content.
// A second run finds nothing to change.
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include "fhir/json/json.h"
#include "gateway/base/clock.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/config/config.h"
#include "gateway/labels/labeler.h"
#include "gateway/labels/record_scope.h"
#include "gateway/pipeline/tokenize.h"

namespace gw::cli {

namespace {

constexpr size_t kPage = 500;   // rows read at a time
constexpr size_t kBatch = 200;  // records written per submission

struct Latest {
  int64_t seq = 0;
  uint64_t labels = 0;  // own labels: from its codes and its meta.security
};

// Writes `writes` as one submission: new versions only if every record is
// still at the version it was read at.
bool submit(store::MessageStore* store, std::vector<store::RecordWrite> writes) {
  store::InboundMessage m;
  m.channel = "gatewayctl";
  m.message_type = "records relabel";
  m.peer = "local";
  m.status = store::MessageStatus::kAccepted;
  m.raw = "gatewayctl records relabel";
  m.received_at_ms = now_ms();
  m.records = std::move(writes);
  pipeline::tokenize(store->keys(), &m.records);
  store::CommitResult c = store->submit_sync(std::move(m));
  if (c.kind == store::CommitResult::Kind::kStored) return true;
  std::fprintf(stderr, "gatewayctl records relabel: %s%s\n",
               c.kind == store::CommitResult::Kind::kConflict
                   ? "a record changed while relabeling (is gatewayd running?): "
                   : "could not write: ",
               c.error.c_str());
  return false;
}

}  // namespace

int ctl_records_relabel(const std::vector<std::string>& args) {
  std::string config_path;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else {
      std::fprintf(stderr, "gatewayctl records relabel: unknown argument '%s'\n%s", args[i].c_str(),
                   ctl_usage("records").c_str());
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "gatewayctl records relabel: --config FILE is required\n");
    return 2;
  }
  auto cfg = config::load_config(config_path);
  if (!cfg) return ctl_fail("configuration error: " + cfg.error().message());
  auto rules = labels::LabelRules::compile(cfg->labels.defaults, cfg->labels.rules);
  if (!rules.ok()) return ctl_fail("labels: " + rules.error().message());
  auto store = open_store_for_ctl(config_path);
  if (!store) return 1;

  // Pass 1: the latest version of every record, and its own labels.
  std::unordered_map<std::string, Latest> latest;
  store::RecordQuery q;
  q.limit = kPage;
  for (;;) {
    std::vector<store::StoredRecord> rows = store->list_records(q);
    if (rows.empty()) break;
    for (const store::StoredRecord& r : rows) {
      q.after_seq = r.seq;
      auto parsed =
          fhir::parse_json(r.resource_json, fhir::own_document_limits(r.resource_json.size()));
      if (!parsed.ok())
        return ctl_fail("records relabel: record version " + std::to_string(r.seq) +
                        " could not be read: " + parsed.error().to_string());
      latest[r.resource_type + "/" + r.resource_id] = {
          r.seq, labels::direct_label_bits(**rules, *parsed) | labels::record_label_bits(*parsed)};
    }
  }
  const labels::OutsideLabels outside = [&latest](std::string_view type_and_id) -> uint64_t {
    auto it = latest.find(std::string(type_and_id));
    return it == latest.end() ? 0 : it->second.labels;
  };

  // Pass 2: label the latest versions; write those that change.
  size_t examined = 0, relabeled = 0;
  std::vector<store::RecordWrite> batch;
  std::vector<std::string> before;
  auto flush = [&]() -> bool {
    if (batch.empty()) return true;
    gw::Status s = labels::label_records(**rules, &batch, outside);
    if (!s.ok()) {
      std::fprintf(stderr, "gatewayctl records relabel: %s\n", s.message().c_str());
      return false;
    }
    std::vector<store::RecordWrite> changed;
    for (size_t i = 0; i < batch.size(); ++i)
      if (batch[i].resource_json != before[i]) changed.push_back(std::move(batch[i]));
    batch.clear();
    before.clear();
    if (changed.empty()) return true;
    const size_t n = changed.size();
    if (!submit(store.get(), std::move(changed))) return false;
    relabeled += n;
    return true;
  };
  q = store::RecordQuery{};
  q.limit = kPage;
  for (;;) {
    std::vector<store::StoredRecord> rows = store->list_records(q);
    if (rows.empty()) break;
    for (store::StoredRecord& r : rows) {
      q.after_seq = r.seq;
      auto it = latest.find(r.resource_type + "/" + r.resource_id);
      if (it == latest.end() || it->second.seq != r.seq) continue;  // an older version
      ++examined;
      store::RecordWrite w;
      w.resource_type = std::move(r.resource_type);
      w.resource_id = std::move(r.resource_id);
      w.resource_json = std::move(r.resource_json);
      w.expected_version = r.version;
      before.push_back(w.resource_json);
      batch.push_back(std::move(w));
      if (batch.size() == kBatch && !flush()) return 1;
    }
  }
  if (!flush()) return 1;
  store->close();
  std::printf("examined %zu records, relabeled %zu\n", examined, relabeled);
  return 0;
}

}  // namespace gw::cli
