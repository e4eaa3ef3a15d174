#include "gateway/audit/audit_entry.h"

#include <array>

namespace gw::audit {
namespace {

constexpr std::string_view kMagic = "GWAE";
constexpr uint8_t kVersion = 1;

constexpr std::array<std::string_view, kMaxAction + 1> kActionNames = {"",
                                                                       "read",
                                                                       "vread",
                                                                       "search",
                                                                       "create",
                                                                       "update",
                                                                       "delete",
                                                                       "transaction-entry",
                                                                       "export",
                                                                       "consent-change",
                                                                       "transfer-sent",
                                                                       "transfer-received",
                                                                       "transfer-refused",
                                                                       "emergency-access",
                                                                       "admin",
                                                                       "attestation",
                                                                       "config-load",
                                                                       "auth-failure",
                                                                       "operation"};

bool printable(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

Status check_text(std::string_view field, std::string_view value, size_t max) {
  if (value.size() > max) {
    return invalid_argument_error("audit entry: " + std::string(field) + " is longer than " +
                                  std::to_string(max) + " bytes");
  }
  if (!printable(value)) {
    return invalid_argument_error("audit entry: " + std::string(field) + " is not printable ASCII");
  }
  return ok_status();
}

bool client_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

bool hex_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

Status check_actor(const Actor& a) {
  switch (a.kind) {
    case ActorKind::kOperator:
    case ActorKind::kAnonymous:
      if (!a.id.empty()) return invalid_argument_error("audit entry: this actor kind has no id");
      return ok_status();
    case ActorKind::kClient:
      if (a.id.empty() || a.id.size() > kMaxActorIdBytes) {
        return invalid_argument_error("audit entry: a client name is 1 to 64 characters");
      }
      for (char c : a.id) {
        if (!client_name_char(c)) {
          return invalid_argument_error("audit entry: a client name is [A-Za-z0-9._-]");
        }
      }
      return ok_status();
    case ActorKind::kMember:
      if (a.id.size() != 42 || a.id[0] != '0' || a.id[1] != 'x') {
        return invalid_argument_error("audit entry: a member is 0x and 40 hex digits");
      }
      for (size_t i = 2; i < a.id.size(); ++i) {
        if (!hex_char(a.id[i])) {
          return invalid_argument_error("audit entry: a member is 0x and 40 hex digits");
        }
      }
      return ok_status();
  }
  return invalid_argument_error("audit entry: unknown actor kind");
}

void put_u16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}
void put_text(std::string& out, std::string_view s) {
  put_u16(out, static_cast<uint16_t>(s.size()));  // validate() bounds every field far below 2^16
  out += s;
}

// Reads with explicit bounds: every length is checked against what is left.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool u8(uint8_t* v) {
    if (b_.size() < 1) return false;
    *v = static_cast<uint8_t>(b_[0]);
    b_.remove_prefix(1);
    return true;
  }
  bool u16(uint16_t* v) {
    if (b_.size() < 2) return false;
    *v = static_cast<uint16_t>((static_cast<uint8_t>(b_[0]) << 8) | static_cast<uint8_t>(b_[1]));
    b_.remove_prefix(2);
    return true;
  }
  bool i64(int64_t* v) {
    if (b_.size() < 8) return false;
    uint64_t u = 0;
    for (int i = 0; i < 8; ++i) u = (u << 8) | static_cast<uint8_t>(b_[i]);
    *v = static_cast<int64_t>(u);
    b_.remove_prefix(8);
    return true;
  }
  bool bytes(size_t n, std::string_view* out) {
    if (b_.size() < n) return false;
    *out = b_.substr(0, n);
    b_.remove_prefix(n);
    return true;
  }
  bool text(std::string* out) {
    uint16_t n;
    std::string_view v;
    if (!u16(&n) || !bytes(n, &v)) return false;
    out->assign(v);
    return true;
  }
  bool done() const { return b_.empty(); }

 private:
  std::string_view b_;
};

}  // namespace

std::string Actor::to_string() const {
  switch (kind) {
    case ActorKind::kClient:
      return "client:" + id;
    case ActorKind::kOperator:
      return "operator";
    case ActorKind::kMember:
      return "member:" + id;
    case ActorKind::kAnonymous:
      return "anonymous";
  }
  return "unknown";
}

Result<Actor> Actor::parse(std::string_view text) {
  Actor a;
  if (text == "operator") {
    a.kind = ActorKind::kOperator;
  } else if (text == "anonymous") {
    a.kind = ActorKind::kAnonymous;
  } else if (text.starts_with("client:")) {
    a.kind = ActorKind::kClient;
    a.id = text.substr(7);
  } else if (text.starts_with("member:")) {
    a.kind = ActorKind::kMember;
    a.id = text.substr(7);
  } else {
    return invalid_argument_error("audit: who is client:NAME, member:0x..., operator or anonymous");
  }
  GW_RETURN_IF_ERROR(check_actor(a));
  return a;
}

std::string_view action_name(Action action) {
  const auto i = static_cast<uint8_t>(action);
  return i >= 1 && i <= kMaxAction ? kActionNames[i] : std::string_view("unknown");
}

std::optional<Action> parse_action(std::string_view name) {
  for (uint8_t i = 1; i <= kMaxAction; ++i) {
    if (kActionNames[i] == name) return static_cast<Action>(i);
  }
  return std::nullopt;
}

std::string_view outcome_name(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kSuccess:
      return "success";
    case OutcomeKind::kRefused:
      return "refused";
    case OutcomeKind::kFailed:
      return "failed";
  }
  return "unknown";
}

Status validate(const AuditEntry& e) {
  // Years 1970..9999: keeps age arithmetic on entry times free of overflow.
  if (e.time_ms < 0 || e.time_ms >= 253'402'300'800'000) {
    return invalid_argument_error("audit entry: time is outside 1970..9999");
  }
  GW_RETURN_IF_ERROR(check_actor(e.actor));
  const auto action = static_cast<uint8_t>(e.action);
  if (action < 1 || action > kMaxAction) {
    return invalid_argument_error("audit entry: unknown action");
  }
  const auto outcome = static_cast<uint8_t>(e.outcome.kind);
  if (outcome < 1 || outcome > 3) return invalid_argument_error("audit entry: unknown outcome");
  if (e.outcome.http_status != 0 && (e.outcome.http_status < 100 || e.outcome.http_status > 599)) {
    return invalid_argument_error("audit entry: HTTP status is 0 or 100..599");
  }
  GW_RETURN_IF_ERROR(check_text("source", e.source, kMaxSourceBytes));
  GW_RETURN_IF_ERROR(check_text("resource type", e.resource_type, kMaxResourceTypeBytes));
  GW_RETURN_IF_ERROR(check_text("resource id", e.resource_id, kMaxResourceIdBytes));
  GW_RETURN_IF_ERROR(check_text("purpose", e.purpose, kMaxPurposeBytes));
  GW_RETURN_IF_ERROR(check_text("reason", e.outcome.reason, kMaxReasonBytes));
  GW_RETURN_IF_ERROR(check_text("detail", e.detail, kMaxDetailBytes));
  return ok_status();
}

std::string encode(const AuditEntry& e) {
  std::string out;
  out.reserve(128 + e.detail.size());
  out += kMagic;
  out += static_cast<char>(kVersion);
  const auto t = static_cast<uint64_t>(e.time_ms);
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((t >> shift) & 0xff);
  out += static_cast<char>(e.actor.kind);
  put_text(out, e.actor.id);
  put_text(out, e.source);
  out += static_cast<char>(e.action);
  put_text(out, e.resource_type);
  put_text(out, e.resource_id);
  out += static_cast<char>(e.patient.has_value() ? 1 : 0);
  if (e.patient) out.append(reinterpret_cast<const char*>(e.patient->data()), e.patient->size());
  put_text(out, e.purpose);
  out += static_cast<char>(e.outcome.kind);
  put_u16(out, static_cast<uint16_t>(e.outcome.http_status));
  put_text(out, e.outcome.reason);
  put_text(out, e.detail);
  return out;
}

Result<AuditEntry> decode(std::string_view bytes) {
  auto bad = [](std::string_view why) {
    return invalid_argument_error("audit entry encoding: " + std::string(why));
  };
  if (bytes.size() > kMaxEncodedEntryBytes) return bad("too long");
  Reader r(bytes);
  std::string_view magic;
  uint8_t version = 0, kind = 0, action = 0, flag = 0, outcome = 0;
  uint16_t status = 0;
  AuditEntry e;
  if (!r.bytes(4, &magic) || magic != kMagic) return bad("bad magic");
  if (!r.u8(&version) || version != kVersion) return bad("unknown version");
  if (!r.i64(&e.time_ms) || !r.u8(&kind) || !r.text(&e.actor.id) || !r.text(&e.source) ||
      !r.u8(&action) || !r.text(&e.resource_type) || !r.text(&e.resource_id) || !r.u8(&flag)) {
    return bad("truncated");
  }
  if (kind < 1 || kind > 4) return bad("unknown actor kind");
  e.actor.kind = static_cast<ActorKind>(kind);
  e.action = static_cast<Action>(action);
  if (flag > 1) return bad("bad patient flag");
  if (flag == 1) {
    std::string_view token;
    if (!r.bytes(32, &token)) return bad("truncated");
    e.patient.emplace();
    std::copy(token.begin(), token.end(), reinterpret_cast<char*>(e.patient->data()));
  }
  if (!r.text(&e.purpose) || !r.u8(&outcome) || !r.u16(&status) || !r.text(&e.outcome.reason) ||
      !r.text(&e.detail)) {
    return bad("truncated");
  }
  if (!r.done()) return bad("trailing bytes");
  e.outcome.kind = static_cast<OutcomeKind>(outcome);
  e.outcome.http_status = status;
  if (Status s = validate(e); !s.ok()) return bad(s.message());
  return e;
}

}  // namespace gw::audit
