// gatewayctl records: the normalized FHIR records in the store.
//
//   records export --config FILE [--since TIME] [--until TIME] [--message ID] [--type TYPE]
//   records count --config FILE
//
// export writes NDJSON to stdout: one resource per line, each record version
// written in [since, until) (or by message ID), in write order, with its
// meta.versionId and meta.lastUpdated. This is PHI: it goes to stdout only,
// for an operator who is entitled to it; nothing is logged. Each export is
// one entry of the audit trail (actor operator, action export, the type
// asked for, the outcome, the count): the audit log is opened before the
// first record is written, so an export that cannot be audited writes none.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "fhir/json/write.h"
#include "gateway/audit/audit_log.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/config/config.h"
#include "gateway/keys/key_options.h"
#include "gateway/rest/fhir_rest_util.h"

namespace gw::cli {

namespace {

std::string records_usage() { return ctl_usage("records"); }

// A FHIR resource type's shape ([A-Z][A-Za-z]{0,63}); what --type may name.
bool looks_like_resource_type(const std::string& type) {
  if (type.empty() || type.size() > 64 || type[0] < 'A' || type[0] > 'Z') return false;
  for (char c : type) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

// The export's entry: no PHI (the type asked for, a count, a reason code).
audit::AuditEntry export_entry(const std::string& type, size_t exported, audit::OutcomeKind kind,
                               std::string_view reason) {
  audit::AuditEntry e;
  e.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  e.actor = audit::Actor{audit::ActorKind::kOperator, ""};
  e.action = audit::Action::kExport;
  e.resource_type = type;  // "" for every type
  e.outcome = audit::Outcome{kind, 0, std::string(reason)};
  e.detail = std::to_string(exported) + " record versions";
  return e;
}

}  // namespace

// YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM|-HH:MM]] -> Unix ms; false if malformed.
bool parse_time_arg(const std::string& s, int64_t* ms) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return false;
  size_t pos = 10;
  int offset_min = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T') return false;
    int consumed = 0;
    if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d%n", &h, &mi, &consumed) != 2 || consumed != 5)
      return false;
    pos += 1 + 5;
    if (pos < s.size() && s[pos] == ':') {
      if (std::sscanf(s.c_str() + pos + 1, "%2d%n", &sec, &consumed) != 1 || consumed != 2)
        return false;
      pos += 3;
    }
    if (pos < s.size()) {
      if (s[pos] == 'Z' && pos + 1 == s.size()) {
        ++pos;
      } else if ((s[pos] == '+' || s[pos] == '-') && s.size() == pos + 6 && s[pos + 3] == ':') {
        int oh = 0, om = 0;
        if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return false;
        offset_min = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
        pos = s.size();
      } else {
        return false;
      }
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const time_t t = timegm(&tm);
  *ms = (static_cast<int64_t>(t) - offset_min * 60) * 1000;
  return true;
}

int ctl_records(const std::vector<std::string>& args) {
  if (args.empty() || (args[0] != "export" && args[0] != "count")) {
    std::fputs(records_usage().c_str(), stderr);
    return 2;
  }
  std::string config_path, type;
  store::RecordQuery q;
  for (size_t i = 1; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    if (args[i] == "--config" && has_value) {
      config_path = args[++i];
    } else if ((args[i] == "--since" || args[i] == "--until") && has_value) {
      int64_t ms = 0;
      if (!parse_time_arg(args[i + 1], &ms)) {
        std::fprintf(stderr, "gatewayctl records: %s: not a time (%s)\n", args[i].c_str(),
                     "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z");
        return 2;
      }
      (args[i] == "--since" ? q.since_ms : q.until_ms) = ms;
      ++i;
    } else if (args[i] == "--message" && has_value) {
      uint64_t id = 0;
      if (!parse_decimal_arg(args[i + 1], 1, INT64_MAX, &id)) {
        std::fprintf(stderr, "gatewayctl records: --message needs a message id (a number)\n");
        return 2;
      }
      q.message_id = static_cast<int64_t>(id);
      ++i;
    } else if (args[i] == "--type" && has_value) {
      type = args[++i];
      if (!looks_like_resource_type(type)) {
        std::fprintf(stderr, "gatewayctl records: --type needs a FHIR resource type\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "gatewayctl records: unknown argument '%s'\n%s", args[i].c_str(),
                   records_usage().c_str());
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "gatewayctl records: --config FILE is required\n");
    return 2;
  }
  config::GatewayConfig cfg;
  keys::LoadedKeys loaded;
  auto store = open_store_for_ctl(config_path, &cfg, &loaded);
  if (!store) return 1;
  if (args[0] == "count") {
    const int64_t n = store->count_records();
    if (n < 0) {
      std::fprintf(stderr, "gatewayctl records: could not read the store\n");
      return 1;
    }
    std::printf("records %lld\n", static_cast<long long>(n));
    return 0;
  }
  loaded.key_store.reset();  // the working keys are loaded; free the TPM for others
  auto audit_keys =
      audit::AuditKeys::create(loaded.working.record_key, loaded.working.record_key_id);
  if (!audit_keys.ok()) {
    std::fprintf(stderr, "gatewayctl records: %s\n", audit_keys.error().message().c_str());
    return 1;
  }
  audit::AuditLogOptions aopts;
  aopts.batch_max_entries = cfg.audit.batch_max_entries;
  aopts.batch_max_age_ms = cfg.audit.batch_max_age.count();
  auto log = audit::AuditLog::open(cfg.audit_path(), *audit_keys, aopts);
  if (!log.ok()) {
    std::fprintf(stderr,
                 "gatewayctl records: the audit trail cannot be opened, nothing exported: %s\n",
                 log.error().message().c_str());
    return 1;
  }
  auto audited = [&](size_t count, audit::OutcomeKind kind, std::string_view reason) {
    auto w = (*log)->append(export_entry(type, count, kind, reason));
    if (!w.ok()) {
      std::fprintf(stderr,
                   "gatewayctl records: the export's audit entry could not be written: %s\n",
                   w.error().message().c_str());
    }
    return w.ok();
  };
  size_t exported = 0;
  q.limit = 500;
  for (;;) {
    std::vector<store::StoredRecord> rows = store->list_records(q);
    if (rows.empty()) break;
    for (const store::StoredRecord& r : rows) {
      q.after_seq = r.seq;
      if (!type.empty() && r.resource_type != type) continue;
      // The same form as a REST read of this version.
      std::optional<fhir::JsonValue> resource = rest::record_resource(r);
      if (!resource) {
        std::fprintf(stderr, "gatewayctl records: record %lld could not be read back\n",
                     static_cast<long long>(r.seq));
        std::fflush(stdout);
        audited(exported, audit::OutcomeKind::kFailed, "unreadable-record");
        return 1;
      }
      std::string line = fhir::write_json(*resource);
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), stdout);
      ++exported;
    }
  }
  std::fflush(stdout);
  if (!audited(exported, audit::OutcomeKind::kSuccess, "")) return 1;
  std::fprintf(stderr, "exported %zu record versions\n", exported);
  return 0;
}

}  // namespace gw::cli
