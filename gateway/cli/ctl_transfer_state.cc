// gatewayctl transfer list | show: this gateway's transfers as its transfer
// store (<state_dir>/transfers.db) holds them, opened read-only so that it
// runs beside gatewayd (WAL) and needs no key: the store holds accounts,
// token prefixes, codes, counts, states and reasons, no PHI. Two things it
// does hold are kept off the screen: the emergency reason (free text from the
// requesting system) is only said to exist, and a patient token is shown by
// its first 6 bytes, enough to tell transfers of one patient apart.
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "gateway/anchoring/ledger_deployment.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/config/config.h"
#include "gateway/consent/consent_mapping.h"
#include "gateway/transfer/transfer_store.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::cli {
namespace {

namespace cs = ledger::consortium;
using fhir::JsonValue;
using transfer::IncomingTransfer;
using transfer::OutgoingTransfer;
using transfer::PullRequest;

constexpr size_t kTokenPrefixBytes = 6;

int state_usage() {
  std::fputs(ctl_usage("transfer").c_str(), stderr);
  return 2;
}

enum class Table { kOutgoing, kIncoming, kRequests };

struct Options {
  std::string config;
  Table table = Table::kOutgoing;
  bool json = false;
  uint64_t limit = 50;
  std::string sender;  // show --incoming: the sending member's account
  std::vector<std::string> positional;
};

std::string hex(std::span<const uint8_t> bytes) { return ledger::to_hex_0x(bytes); }
std::string token_prefix(const transfer::Hash256& token) {
  return hex(std::span<const uint8_t>(token.data(), kTokenPrefixBytes)) + "...";
}
std::string purpose_name(uint8_t purpose) {
  auto p = cs::purpose_from_byte(purpose);
  return p ? std::string(cs::purpose_code(*p)) : "purpose-" + std::to_string(purpose);
}
std::string time_text(int64_t ms) {
  if (ms <= 0) return "";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
// Category bits -> "laboratory,conditions"; "all" is not assumed: an empty
// mask prints as "-".
std::string categories_text(uint64_t bits) {
  std::string out;
  for (int i = 0; i < 64; ++i) {
    if ((bits & (uint64_t{1} << i)) == 0) continue;
    std::string_view code = consent::category_code(static_cast<cs::Category>(i));
    if (!out.empty()) out += ',';
    out += code.empty() ? "bit-" + std::to_string(i) : std::string(code);
  }
  return out.empty() ? "-" : out;
}
std::string labels_text(uint64_t bits) {
  std::string out;
  for (int i = 0; i < 64; ++i) {
    if ((bits & (uint64_t{1} << i)) == 0) continue;
    std::string_view code = cs::label_code(static_cast<cs::Label>(i));
    if (!out.empty()) out += ',';
    out += code.empty() ? "bit-" + std::to_string(i) : std::string(code);
  }
  return out.empty() ? "-" : out;
}

JsonValue s(std::string v) { return JsonValue::make_string(std::move(v)); }
JsonValue n(int64_t v) { return JsonValue::make_number(std::to_string(v)); }
JsonValue b(bool v) { return JsonValue::make_bool(v); }

JsonValue outgoing_json(const OutgoingTransfer& t) {
  JsonValue o = JsonValue::make_object();
  o.add("id", n(t.id));
  o.add("state", s(std::string(transfer::outgoing_state_name(t.state))));
  o.add("recipient", s(hex(t.request.recipient)));
  o.add("patient_token_prefix", s(token_prefix(t.request.patient_token)));
  o.add("purpose", s(purpose_name(t.request.purpose)));
  o.add("categories", s(categories_text(t.request.categories)));
  o.add("excluded_labels", s(labels_text(t.request.exclusions)));
  o.add("detail", s(t.detail));
  o.add("records", n(t.record_count));
  o.add("root", s(t.root ? hex(*t.root) : ""));
  o.add("tx_hash", s(t.tx_hash));
  o.add("emergency", b(t.request.emergency));
  o.add("emergency_reason_given", b(!t.request.emergency_reason.empty()));
  o.add("flagged_emergency", b(t.flagged_emergency));
  o.add("study", s(t.request.study_id));
  o.add("requester", s(t.request.requester ? hex(*t.request.requester) : ""));
  o.add("request_id", s(t.request.request_id));
  o.add("attempts", n(t.attempts));
  o.add("next_attempt", s(time_text(t.next_attempt_ms)));
  o.add("created", s(time_text(t.created_ms)));
  o.add("updated", s(time_text(t.updated_ms)));
  return o;
}

JsonValue incoming_json(const IncomingTransfer& t) {
  JsonValue o = JsonValue::make_object();
  o.add("sender", s(hex(t.sender)));
  o.add("transfer_id", n(static_cast<int64_t>(t.transfer_id)));
  o.add("state", s(t.state == transfer::IncomingState::kStored ? "stored" : "refused"));
  o.add("detail", s(t.detail));
  o.add("patient_token_prefix", s(token_prefix(t.patient_token)));
  o.add("purpose", s(purpose_name(t.purpose)));
  o.add("records", n(t.record_count));
  o.add("message_id", n(t.message_id));
  o.add("tx_hash", s(t.tx_hash));
  o.add("emergency", b(t.emergency));
  o.add("request_id", s(t.request_id ? std::to_string(*t.request_id) : ""));
  o.add("received", s(time_text(t.received_ms)));
  return o;
}

JsonValue request_json(const PullRequest& r) {
  JsonValue o = JsonValue::make_object();
  o.add("id", n(r.id));
  o.add("state", s(std::string(transfer::request_state_name(r.state))));
  o.add("custodian", s(hex(r.custodian)));
  o.add("patient_token_prefix", s(token_prefix(r.patient_token)));
  o.add("purpose", s(purpose_name(r.purpose)));
  o.add("categories", s(categories_text(r.categories)));
  o.add("emergency_reason_given", b(!r.emergency_reason.empty()));
  o.add("study", s(r.study_id));
  o.add("transfer_id", s(r.transfer_id ? std::to_string(*r.transfer_id) : ""));
  o.add("detail", s(r.detail));
  o.add("attempts", n(r.attempts));
  o.add("next_attempt", s(time_text(r.next_attempt_ms)));
  o.add("created", s(time_text(r.created_ms)));
  o.add("updated", s(time_text(r.updated_ms)));
  return o;
}

// show: every field, one "name: value" line each, in the JSON's order.
void print_fields(const JsonValue& o) {
  for (const auto& [key, value] : o.members()) {
    std::string text = value.is_string() ? value.text() : fhir::write_json(value);
    std::printf("%-24s %s\n", (key + ":").c_str(), text.empty() ? "-" : text.c_str());
  }
}

// list: one line per row, the fields an operator scans for; detail last
// (it may hold spaces).
void print_row(const JsonValue& o, std::initializer_list<const char*> keys) {
  std::string line;
  for (const char* key : keys) {
    const JsonValue* v = o.find(key);
    std::string text = v == nullptr ? "" : v->is_string() ? v->text() : fhir::write_json(*v);
    if (!line.empty()) line += "  ";
    line += text.empty() ? "-" : text;
  }
  std::printf("%s\n", line.c_str());
}

void print_json(const JsonValue& doc) {
  std::fputs((fhir::write_json(doc, /*pretty=*/true) + "\n").c_str(), stdout);
}

template <typename T, typename ToJson>
int print_list(const Result<std::vector<T>>& rows, ToJson to_json, bool json,
               std::initializer_list<const char*> keys, const char* what) {
  if (!rows.ok()) return ctl_fail(rows.error().message());
  JsonValue list = JsonValue::make_array();
  for (const T& row : *rows) list.push(to_json(row));
  if (json) {
    print_json(list);
    return 0;
  }
  std::string header;
  for (const char* key : keys) header += std::string(header.empty() ? "" : "  ") + key;
  std::printf("%s\n", header.c_str());
  for (const JsonValue& row : list.items()) print_row(row, keys);
  if (rows->empty()) std::printf("(no %s)\n", what);
  return 0;
}

int list(transfer::TransferStore& store, const Options& o) {
  const size_t limit = static_cast<size_t>(o.limit);
  switch (o.table) {
    case Table::kOutgoing:
      return print_list(store.list_outgoing(std::nullopt, limit), outgoing_json, o.json,
                        {"id", "state", "recipient", "purpose", "records", "emergency", "attempts",
                         "updated", "detail"},
                        "outgoing transfers");
    case Table::kIncoming:
      return print_list(store.list_incoming(limit), incoming_json, o.json,
                        {"sender", "transfer_id", "state", "purpose", "records", "emergency",
                         "received", "detail"},
                        "incoming transfers");
    case Table::kRequests:
      return print_list(
          store.list_requests(limit), request_json, o.json,
          {"id", "state", "custodian", "purpose", "transfer_id", "attempts", "updated", "detail"},
          "pull requests");
  }
  return 1;
}

int show(transfer::TransferStore& store, const Options& o) {
  uint64_t id = 0;
  if (!parse_decimal_arg(o.positional[0], 1, INT64_MAX, &id)) {
    return ctl_fail("ID must be a transfer or request number");
  }
  std::optional<JsonValue> doc;
  if (o.table == Table::kOutgoing) {
    auto t = store.outgoing(static_cast<int64_t>(id));
    if (!t.ok()) return ctl_fail(t.error().message());
    if (*t) doc = outgoing_json(**t);
  } else if (o.table == Table::kRequests) {
    auto r = store.request(static_cast<int64_t>(id));
    if (!r.ok()) return ctl_fail(r.error().message());
    if (*r) doc = request_json(**r);
  } else {
    auto sender = anchoring::parse_address(o.sender);
    if (!sender.ok()) return ctl_fail("--sender: " + sender.error().message());
    auto t = store.incoming(*sender, id);
    if (!t.ok()) return ctl_fail(t.error().message());
    if (*t) doc = incoming_json(**t);
  }
  if (!doc)
    return ctl_fail("no such " +
                    std::string(o.table == Table::kRequests   ? "pull request"
                                : o.table == Table::kIncoming ? "incoming transfer"
                                                              : "outgoing transfer") +
                    ": " + std::to_string(id));
  if (o.json) {
    print_json(*doc);
  } else {
    print_fields(*doc);
  }
  return 0;
}

bool parse(const std::vector<std::string>& args, Options* o) {
  bool incoming = false, requests = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--config" && has_value) {
      o->config = args[++i];
    } else if (a == "--json") {
      o->json = true;
    } else if (a == "--incoming") {
      incoming = true;
    } else if (a == "--requests" || a == "--request") {
      requests = true;
    } else if (a == "--sender" && has_value && args[0] == "show") {
      o->sender = args[++i];
    } else if (a == "--limit" && has_value && args[0] == "list") {
      if (!parse_decimal_arg(args[++i], 1, 10000, &o->limit)) {
        std::fputs("gatewayctl transfer: --limit needs a number from 1 to 10000\n", stderr);
        return false;
      }
    } else if (a.rfind("--", 0) == 0) {
      return false;
    } else {
      o->positional.push_back(a);
    }
  }
  if (incoming && requests) return false;
  o->table = incoming ? Table::kIncoming : requests ? Table::kRequests : Table::kOutgoing;
  if (o->config.empty()) return false;
  if (args[0] == "list") return o->positional.empty();
  // show: one id; an incoming transfer is known by its sender and the sender's id.
  return o->positional.size() == 1 && incoming == !o->sender.empty();
}

}  // namespace

int ctl_transfer_state(const std::vector<std::string>& args) {
  if (args.empty() || (args[0] != "list" && args[0] != "show")) return state_usage();
  Options o;
  if (!parse(args, &o)) return state_usage();
  auto cfg = config::load_config(o.config);
  if (!cfg) return ctl_fail("configuration error: " + cfg.error().message());
  auto store = transfer::TransferStore::open_read_only(cfg->transfers_path());
  if (!store.ok()) {
    if (store.error().code() == StatusCode::kNotFound) {
      return ctl_fail("no transfer store at " + cfg->transfers_path() +
                      " (has gatewayd run with transfers on?)");
    }
    return ctl_fail(store.error().message());
  }
  return args[0] == "list" ? list(**store, o) : show(**store, o);
}

}  // namespace gw::cli
