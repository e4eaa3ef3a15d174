#include "gateway/auditview/audit_search.h"

#include <algorithm>
#include <chrono>
#include <span>
#include <string>

#include "gateway/auditview/audit_event.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::auditview {
namespace {

using audit::Actor;
using audit::ActorKind;
using audit::PatientToken;

constexpr int64_t kMsPerDay = 86'400'000;

// Reads exactly `n` digits at *pos; false if they are not all there.
bool digits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

int64_t days_from_civil(int y, unsigned m, unsigned d) {
  namespace chr = std::chrono;
  return chr::sys_days(chr::year(y) / chr::month(m) / chr::day(d)).time_since_epoch().count();
}

bool valid_day(int y, unsigned m, unsigned d) {
  namespace chr = std::chrono;
  return (chr::year(y) / chr::month(m) / chr::day(d)).ok();
}

// An unsigned decimal of at most `max_digits` digits.
std::optional<int64_t> parse_unsigned(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Parameter names are quoted in errors only when they look like one.
bool is_reportable_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '-';
  });
}

Result<PatientToken> parse_token(std::string_view text) {
  std::string_view hex = text;
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
  std::optional<std::vector<uint8_t>> bytes;
  if (hex.size() == 64) bytes = ledger::from_hex(hex);
  if (!bytes || bytes->size() != 32) {
    return invalid_argument_error("patient.identifier: a token is 0x and 64 hex digits");
  }
  PatientToken token;
  std::copy(bytes->begin(), bytes->end(), token.begin());
  return token;
}

// What the filters accumulate while the parameters are read.
struct Filters {
  std::optional<PatientToken> patient;
  std::optional<Actor> actor;
  bool contradiction = false;

  void narrow_patient(const PatientToken& t) {
    if (patient && *patient != t) contradiction = true;
    patient = t;
  }
  void narrow_actor(const Actor& a) {
    if (actor && !(*actor == a)) contradiction = true;
    actor = a;
  }
};

Status read_patient(std::string_view value, const PatientResolver& resolve, Filters* f) {
  std::string_view id = value;
  if (id.starts_with("Patient/")) id.remove_prefix(8);
  if (!rest::is_valid_id(id)) return invalid_argument_error("patient: expected Patient/ID or ID");
  if (!resolve) {
    return failed_precondition_error("patient: search by Patient id is not configured here");
  }
  if (std::optional<PatientToken> token = resolve(id)) {
    f->narrow_patient(*token);
  } else {
    f->contradiction = true;  // no such patient: nothing can match
  }
  return ok_status();
}

Status read_patient_identifier(std::string_view value, Filters* f) {
  auto alternatives = rest::parse_token_search(value);
  if (!alternatives.ok()) return invalid_argument_error("patient.identifier: malformed token");
  if (alternatives->size() != 1) {
    return unimplemented_error("patient.identifier: alternatives are not supported");
  }
  const rest::TokenValue& t = alternatives->front();
  if (t.system && *t.system != kPatientTokenSystem) {
    return unimplemented_error("patient.identifier: only consortium tokens (system " +
                               std::string(kPatientTokenSystem) + ") are searchable");
  }
  GW_ASSIGN_OR_RETURN(PatientToken token, parse_token(t.value));
  f->narrow_patient(token);
  return ok_status();
}

Status read_agent(std::string_view value, Filters* f) {
  auto actor = Actor::parse(value);
  // A bare client name ("ehr") is the client's.
  if (!actor.ok() && value.find(':') == std::string_view::npos) {
    actor = Actor::parse("client:" + std::string(value));
  }
  if (!actor.ok()) {
    return invalid_argument_error(
        "agent: expected client:NAME, NAME, operator, member:0x<40 hex> or anonymous");
  }
  f->narrow_actor(*actor);
  return ok_status();
}

}  // namespace

Result<TimeInterval> parse_date_value(std::string_view s) {
  const auto bad = [] {
    return invalid_argument_error(
        "date: expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff][Z|+hh:mm]");
  };
  size_t pos = 0;
  int year = 0, month = 1, day = 1;
  if (!digits(s, &pos, 4, &year) || year < 1) return bad();
  if (pos == s.size()) {
    return TimeInterval{days_from_civil(year, 1, 1) * kMsPerDay,
                        days_from_civil(year + 1, 1, 1) * kMsPerDay};
  }
  if (!expect(s, &pos, '-') || !digits(s, &pos, 2, &month) || month < 1 || month > 12) {
    return bad();
  }
  if (pos == s.size()) {
    const int next_year = month == 12 ? year + 1 : year;
    const unsigned next_month = month == 12 ? 1 : month + 1;
    return TimeInterval{days_from_civil(year, month, 1) * kMsPerDay,
                        days_from_civil(next_year, next_month, 1) * kMsPerDay};
  }
  if (!expect(s, &pos, '-') || !digits(s, &pos, 2, &day) || !valid_day(year, month, day)) {
    return bad();
  }
  const int64_t day_ms = days_from_civil(year, month, day) * kMsPerDay;
  if (pos == s.size()) return TimeInterval{day_ms, day_ms + kMsPerDay};

  int hour = 0, minute = 0, second = 0;
  if (!expect(s, &pos, 'T') || !digits(s, &pos, 2, &hour) || hour > 23 || !expect(s, &pos, ':') ||
      !digits(s, &pos, 2, &minute) || minute > 59 || !expect(s, &pos, ':') ||
      !digits(s, &pos, 2, &second) || second > 59) {
    return bad();
  }
  // A fraction narrows the interval to its precision (below 1 ms: 1 ms).
  int64_t fraction_ms = 0, width_ms = 1000;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t n = 0;
    int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 3) fraction_ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      if (++n > 9) return bad();
    }
    if (n == 0) return bad();
    width_ms = n >= 3 ? 1 : (n == 1 ? 100 : 10);
  }
  int64_t offset_ms = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      const int sign = s[pos] == '-' ? -1 : 1;
      ++pos;
      int oh = 0, om = 0;
      if (!digits(s, &pos, 2, &oh) || !expect(s, &pos, ':') || !digits(s, &pos, 2, &om) ||
          oh > 14 || om > 59 || (oh == 14 && om != 0)) {
        return bad();
      }
      offset_ms = sign * (int64_t{oh} * 3'600'000 + int64_t{om} * 60'000);
    }
  }
  if (pos != s.size()) return bad();
  const int64_t from = day_ms + int64_t{hour} * 3'600'000 + int64_t{minute} * 60'000 +
                       int64_t{second} * 1000 + fraction_ms - offset_ms;
  return TimeInterval{from, from + width_ms};
}

Status apply_date_param(std::string_view value, int64_t* from_ms, int64_t* to_ms) {
  std::string_view prefix = "eq";
  if (value.size() >= 2 && value[0] >= 'a' && value[0] <= 'z') {
    prefix = value.substr(0, 2);
    value.remove_prefix(2);
  }
  GW_ASSIGN_OR_RETURN(TimeInterval t, parse_date_value(value));
  if (prefix == "eq") {
    *from_ms = std::max(*from_ms, t.from_ms);
    *to_ms = std::min(*to_ms, t.to_ms);
  } else if (prefix == "ge") {
    *from_ms = std::max(*from_ms, t.from_ms);
  } else if (prefix == "gt") {
    *from_ms = std::max(*from_ms, t.to_ms);
  } else if (prefix == "le") {
    *to_ms = std::min(*to_ms, t.to_ms);
  } else if (prefix == "lt") {
    *to_ms = std::min(*to_ms, t.from_ms);
  } else if (prefix == "ne" || prefix == "sa" || prefix == "eb" || prefix == "ap") {
    return unimplemented_error("date: only the prefixes eq, ge, gt, le and lt are supported");
  } else {
    return invalid_argument_error("date: unknown prefix");
  }
  return ok_status();
}

Result<AuditEventSearch> parse_audit_event_search(const rest::QueryParams& params,
                                                  const PatientResolver& resolve,
                                                  const SearchOptions& options) {
  if (params.size() > kMaxSearchParams) {
    return invalid_argument_error("too many search parameters (at most " +
                                  std::to_string(kMaxSearchParams) + ")");
  }
  AuditEventSearch out;
  const size_t max_count = std::clamp<size_t>(options.max_count, 1, audit::kMaxQueryLimit);
  out.count = std::min(options.default_count, max_count);
  Filters filters;
  int64_t from_ms = INT64_MIN, to_ms = INT64_MAX;
  for (const auto& [name, value] : params) {
    if (name == "_format" || name == "_pretty") continue;
    const bool known = name == "patient" || name == "patient.identifier" || name == "date" ||
                       name == "agent" || name == "_count" || name == "_after";
    if (!known) {
      if (options.lenient) continue;
      return unimplemented_error(
          (is_reportable_name(name) ? "unknown search parameter '" + name + "'"
                                    : std::string("unknown search parameter (name not shown)")) +
          "; AuditEvent takes patient, patient.identifier, date, agent, _count and _after");
    }
    if (value.size() > kMaxSearchValueBytes) {
      return invalid_argument_error(name + ": value too long");
    }
    if (value.empty()) continue;  // FHIR: a parameter without a value is ignored
    if (value.find(',') != std::string::npos) {
      return unimplemented_error(name + ": alternatives (a,b) are not supported");
    }
    if (name == "_count") {
      const std::optional<int64_t> n = parse_unsigned(value, 9);
      if (!n) return invalid_argument_error("_count: expected a number");
      out.count = std::min(static_cast<size_t>(*n), max_count);
      continue;
    }
    if (name == "_after") {
      const std::optional<int64_t> seq = parse_unsigned(value, 18);
      if (!seq) return invalid_argument_error("_after: expected an entry number");
      out.query.after_seq = *seq;
      continue;
    }
    if (name == "patient") {
      GW_RETURN_IF_ERROR(read_patient(value, resolve, &filters));
    } else if (name == "patient.identifier") {
      GW_RETURN_IF_ERROR(read_patient_identifier(value, &filters));
    } else if (name == "date") {
      GW_RETURN_IF_ERROR(apply_date_param(value, &from_ms, &to_ms));
    } else {
      GW_RETURN_IF_ERROR(read_agent(value, &filters));
    }
    out.used.emplace_back(name, value);
  }
  out.used.emplace_back("_count", std::to_string(out.count));
  out.query.patient = filters.patient;
  out.query.actor = filters.actor;
  out.query.from_ms = from_ms;
  out.query.to_ms = to_ms;
  out.query.limit = std::max<size_t>(out.count, 1);
  out.matches_nothing = filters.contradiction || from_ms >= to_ms || out.count == 0;
  return out;
}

}  // namespace gw::auditview
