// gatewayctl messages: what the store holds, for operators. Prints metadata
// only (ids, channel, sender, control id, type, status, error codes and
// locations), never message content.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "gateway/cli/ctl_commands.h"
#include "gateway/config/config.h"
#include "gateway/store/message_store.h"

namespace gw::cli {
namespace {

std::string iso_time(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// Keeps the table aligned: long values are cut with a marker.
std::string fit(const std::string& s, size_t width) {
  return s.size() <= width ? s : s.substr(0, width - 1) + "~";
}

}  // namespace

int ctl_messages(const std::vector<std::string>& args) {
  if (args.empty() || (args[0] != "list" && args[0] != "count")) {
    std::fprintf(stderr,
                 "usage: gatewayctl messages list|count --config FILE [--limit N] [--after ID] "
                 "[--rejected]\n");
    return 2;
  }
  std::string config_path;
  size_t limit = 100;
  int64_t after = 0;
  bool rejected_only = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i] == "--limit" && i + 1 < args.size()) {
      uint64_t n = 0;
      if (!parse_decimal_arg(args[++i], 1, 1'000'000'000, &n)) {
        std::fprintf(stderr, "gatewayctl messages: --limit needs a number from 1 to 1000000000\n");
        return 2;
      }
      limit = static_cast<size_t>(n);
    } else if (args[i] == "--after" && i + 1 < args.size()) {
      uint64_t id = 0;
      if (!parse_decimal_arg(args[++i], 0, INT64_MAX, &id)) {
        std::fprintf(stderr, "gatewayctl messages: --after needs a message id (a number)\n");
        return 2;
      }
      after = static_cast<int64_t>(id);
    } else if (args[i] == "--rejected") {
      rejected_only = true;
    } else {
      std::fprintf(stderr, "gatewayctl messages: unknown argument '%s'\n", args[i].c_str());
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "gatewayctl messages: --config FILE is required\n");
    return 2;
  }
  auto store = open_store_for_ctl(config_path);
  if (!store) return 1;
  if (args[0] == "count") {
    std::printf("accepted %lld\nrejected %lld\n",
                static_cast<long long>(store->count(store::MessageStatus::kAccepted)),
                static_cast<long long>(store->count(store::MessageStatus::kRejected)));
    return 0;
  }
  std::printf("%-6s %-20s %-10s %-8s %-28s %-20s %-10s %6s %4s  %s\n", "ID", "RECEIVED", "CHANNEL",
              "STATUS", "SENDER", "CONTROL ID", "TYPE", "BYTES", "DUPS", "ERROR");
  size_t shown = 0;
  while (shown < limit) {
    auto rows = store->list(after, std::min<size_t>(limit - shown, 500));
    if (rows.empty()) break;
    for (const auto& r : rows) {
      after = r.id;
      if (rejected_only && r.status != store::MessageStatus::kRejected) continue;
      std::printf("%-6lld %-20s %-10s %-8s %-28s %-20s %-10s %6lld %4lld  %s\n",
                  static_cast<long long>(r.id), iso_time(r.received_at_ms).c_str(),
                  fit(r.channel, 10).c_str(), store::to_string(r.status), fit(r.sender, 28).c_str(),
                  fit(r.control_id, 20).c_str(), fit(r.message_type, 10).c_str(),
                  static_cast<long long>(r.raw_bytes), static_cast<long long>(r.duplicates_seen),
                  r.error.c_str());
      ++shown;
    }
  }
  std::printf("(%zu shown; %lld accepted and %lld rejected in the store)\n", shown,
              static_cast<long long>(store->count(store::MessageStatus::kAccepted)),
              static_cast<long long>(store->count(store::MessageStatus::kRejected)));
  return 0;
}

}  // namespace gw::cli
