// gatewayctl outbound status | list | retry: the forwarding queue
// (<state_dir>/outbound.db) of the gatewayd configured by --config.
//
//   outbound status --config FILE
//       Per destination: queued and dead items, sent, skipped and retried
//       counts, how long the oldest queued item has waited, and why the item
//       at the head last failed (what an operator needs when a queue grows).
//   outbound list --config FILE [--dead] [--limit N]
//       Items in queue order (default 50): sequence number, destination, the
//       message's store id and MSH-10, state, attempts, last error.
//   outbound retry --config FILE [--destination NAME] [--item SEQ]
//       Puts dead letters (all, one destination's, or one) back in the queue,
//       in their original place.
//
// They read or write the queue file only, so they run beside gatewayd: its
// senders take a requeued item in their next round. No message content is
// shown (the queue holds none).
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gateway/base/clock.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/config/config.h"
#include "gateway/outbound/outbound_queue.h"

namespace gw::cli {
namespace {

int outbound_usage() {
  std::fputs(ctl_usage("outbound").c_str(), stderr);
  return 2;
}

int status(outbound::OutboundQueue& q) {
  auto counts = q.counts();
  if (!counts) return ctl_fail(counts.error().message());
  auto queued = q.list(outbound::ItemState::kQueued, 1'000'000);
  if (!queued) return ctl_fail(queued.error().message());
  std::printf("%-24s %8s %6s %10s %8s %8s %10s  %s\n", "DESTINATION", "QUEUED", "DEAD", "SENT",
              "SKIPPED", "RETRIED", "OLDEST_S", "HEAD'S LAST ERROR");
  const int64_t now = now_ms();
  for (const outbound::DestinationCounts& c : *counts) {
    std::string head_error;
    for (const outbound::QueueItem& it : *queued)
      if (it.destination == c.destination) {
        head_error = it.last_error;
        break;
      }
    std::printf(
        "%-24s %8lld %6lld %10lld %8lld %8lld %10lld  %s\n", c.destination.c_str(),
        static_cast<long long>(c.queued), static_cast<long long>(c.dead),
        static_cast<long long>(c.sent), static_cast<long long>(c.skipped),
        static_cast<long long>(c.retried),
        static_cast<long long>(c.oldest_queued_ms == 0 ? 0 : (now - c.oldest_queued_ms) / 1000),
        head_error.empty() ? "-" : head_error.c_str());
  }
  if (counts->empty()) std::printf("(nothing forwarded yet)\n");
  return 0;
}

int list(outbound::OutboundQueue& q, bool dead_only, uint64_t limit) {
  auto items = q.list(dead_only ? std::optional(outbound::ItemState::kDead) : std::nullopt,
                      static_cast<size_t>(limit));
  if (!items) return ctl_fail(items.error().message());
  std::printf("%-8s %-24s %-10s %-22s %-7s %-8s %s\n", "SEQ", "DESTINATION", "MESSAGE",
              "CONTROL_ID", "STATE", "ATTEMPTS", "LAST ERROR");
  for (const outbound::QueueItem& it : *items)
    std::printf("%-8lld %-24s %-10lld %-22s %-7s %-8d %s\n", static_cast<long long>(it.seq),
                it.destination.c_str(), static_cast<long long>(it.message_id),
                it.control_id.c_str(), outbound::item_state_name(it.state), it.attempts,
                it.last_error.empty() ? "-" : it.last_error.c_str());
  if (items->empty()) std::printf("(no items)\n");
  return 0;
}

}  // namespace

int ctl_outbound(const std::vector<std::string>& args) {
  if (args.empty()) return outbound_usage();
  const std::string sub = args[0];
  if (sub != "status" && sub != "list" && sub != "retry") return outbound_usage();
  std::string config_path;
  std::optional<std::string> destination;
  std::optional<int64_t> seq;
  uint64_t limit = 50;
  bool dead_only = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    if (args[i] == "--config" && has_value) {
      config_path = args[++i];
    } else if (args[i] == "--dead" && sub == "list") {
      dead_only = true;
    } else if (args[i] == "--limit" && has_value && sub == "list") {
      if (!parse_decimal_arg(args[++i], 1, 1000000, &limit))
        return ctl_fail("--limit: 1 to 1000000");
    } else if (args[i] == "--destination" && has_value && sub == "retry") {
      destination = args[++i];
    } else if (args[i] == "--item" && has_value && sub == "retry") {
      uint64_t v = 0;
      if (!parse_decimal_arg(args[++i], 1, INT64_MAX, &v))
        return ctl_fail("--item: a sequence number");
      seq = static_cast<int64_t>(v);
    } else {
      return outbound_usage();
    }
  }
  if (config_path.empty()) return outbound_usage();
  auto cfg = config::load_config(config_path);
  if (!cfg) return ctl_fail("configuration error: " + cfg.error().message());
  const std::string path = cfg->outbound_queue_path();
  // Opening would create an empty queue; an absent one is worth saying.
  if (!std::filesystem::exists(path))
    return ctl_fail("no outbound queue at " + path +
                    ": no channel has forwarded yet (forward_fhir, forward_mllp)");
  auto q = outbound::OutboundQueue::open(path);
  if (!q) return ctl_fail(q.error().message());
  if (sub == "status") return status(**q);
  if (sub == "list") return list(**q, dead_only, limit);
  auto n = (*q)->requeue_dead(destination, seq);
  if (!n) return ctl_fail(n.error().message());
  std::printf("requeued %lld dead letter%s\n", static_cast<long long>(*n), *n == 1 ? "" : "s");
  return 0;
}

}  // namespace gw::cli
