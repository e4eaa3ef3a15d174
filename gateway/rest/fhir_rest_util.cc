#include "gateway/rest/fhir_rest_util.h"

#include <openssl/rand.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

namespace gw::rest {

using fhir::JsonValue;

JsonValue make_outcome(std::string_view severity, std::string_view code,
                       std::string_view diagnostics) {
  JsonValue oo = JsonValue::make_object();
  oo.add("resourceType", JsonValue::make_string("OperationOutcome"));
  JsonValue issue = JsonValue::make_object();
  issue.add("severity", JsonValue::make_string(std::string(severity)));
  issue.add("code", JsonValue::make_string(std::string(code)));
  if (!diagnostics.empty()) {
    issue.add("diagnostics", JsonValue::make_string(std::string(diagnostics)));
  }
  oo.add("issue", JsonValue::make_array()).push(std::move(issue));
  return oo;
}

ApiResult error_result(int status, std::string_view code, std::string_view diagnostics) {
  ApiResult r;
  r.status = status;
  r.body = make_outcome("error", code, diagnostics);
  return r;
}

bool is_valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string new_uuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    // OpenSSL's generator failed (not expected on Linux); fall back to the
    // OS source through std::random_device. Ids must be unique, not secret.
    std::random_device rd;
    for (auto& c : b) c = static_cast<unsigned char>(rd());
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static const char* kHex = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[b[i] >> 4];
    s += kHex[b[i] & 15];
  }
  return s;
}

namespace {
bool utc_tm(int64_t unix_ms, struct tm* out) {
  const time_t secs = static_cast<time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  return gmtime_r(&secs, out) != nullptr;
}
}  // namespace

std::string format_instant(int64_t unix_ms) {
  struct tm t {};
  if (!utc_tm(unix_ms, &t)) return "1970-01-01T00:00:00.000Z";
  int ms = static_cast<int>(unix_ms % 1000);
  if (ms < 0) ms += 1000;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ms);
  return buf;
}

std::string http_date(int64_t unix_ms) {
  struct tm t {};
  if (!utc_tm(unix_ms, &t)) return "Thu, 01 Jan 1970 00:00:00 GMT";
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[t.tm_wday % 7],
                t.tm_mday, kMonths[t.tm_mon % 12], t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
  return buf;
}

std::string weak_etag(int64_t version) { return "W/\"" + std::to_string(version) + "\""; }

std::optional<int64_t> parse_etag_version(std::string_view etag) {
  while (!etag.empty() && (etag.front() == ' ' || etag.front() == '\t')) etag.remove_prefix(1);
  while (!etag.empty() && (etag.back() == ' ' || etag.back() == '\t')) etag.remove_suffix(1);
  if (etag.substr(0, 2) == "W/") etag.remove_prefix(2);
  if (etag.size() < 3 || etag.front() != '"' || etag.back() != '"') return std::nullopt;
  etag = etag.substr(1, etag.size() - 2);
  if (etag.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : etag) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v <= 0) return std::nullopt;
  return v;
}

std::vector<std::pair<std::string, std::string>> resource_identifiers(const JsonValue& resource) {
  std::vector<std::pair<std::string, std::string>> out;
  const JsonValue* ids = resource.find("identifier");
  if (ids == nullptr) return out;
  auto take = [&out](const JsonValue& id) {
    const JsonValue* value = id.find("value");
    if (value == nullptr || !value->is_string() || value->text().empty()) return;
    const JsonValue* system = id.find("system");
    out.emplace_back(system != nullptr && system->is_string() ? system->text() : std::string(),
                     value->text());
  };
  if (ids->is_array()) {
    for (const JsonValue& id : ids->items()) take(id);
  } else if (ids->is_object()) {
    take(*ids);
  }
  return out;
}

void strip_server_meta(JsonValue* resource) {
  JsonValue* meta = resource->find_mutable("meta");
  if (meta == nullptr) return;
  meta->remove("versionId");
  meta->remove("lastUpdated");
  if (meta->empty()) resource->remove("meta");
}

JsonValue with_server_meta(const JsonValue& resource, int64_t version, int64_t updated_ms) {
  JsonValue meta = JsonValue::make_object();
  meta.add("versionId", JsonValue::make_string(std::to_string(version)));
  meta.add("lastUpdated", JsonValue::make_string(format_instant(updated_ms)));
  if (const JsonValue* old = resource.find("meta"); old != nullptr && old->is_object()) {
    for (const fhir::JsonMember& m : old->members()) {
      if (m.key != "versionId" && m.key != "lastUpdated") meta.add(m.key, m.value);
    }
  }
  JsonValue out = JsonValue::make_object();
  for (const char* first : {"resourceType", "id"}) {
    if (const JsonValue* v = resource.find(first)) out.add(first, *v);
  }
  out.add("meta", std::move(meta));
  for (const fhir::JsonMember& m : resource.members()) {
    if (m.key != "resourceType" && m.key != "id" && m.key != "meta") out.add(m.key, m.value);
  }
  return out;
}

std::optional<JsonValue> record_resource(const store::StoredRecord& record) {
  // Our own canonical output: bounded by its size, which may exceed what a
  // request may carry (a document with a large attachment).
  fhir::JsonResult<JsonValue> parsed =
      fhir::parse_json(record.resource_json, fhir::own_document_limits(record.resource_json.size()));
  if (!parsed.ok() || !parsed->is_object()) return std::nullopt;
  return with_server_meta(*parsed, record.version, record.updated_at_ms);
}

void set_resource_id(JsonValue* resource, const std::string& id) {
  if (JsonValue* existing = resource->find_mutable("id")) {
    *existing = JsonValue::make_string(id);
    return;
  }
  JsonValue out = JsonValue::make_object();
  if (const JsonValue* rt = resource->find("resourceType")) out.add("resourceType", *rt);
  out.add("id", JsonValue::make_string(id));
  for (const fhir::JsonMember& m : resource->members()) {
    if (m.key != "resourceType") out.add(m.key, m.value);
  }
  *resource = std::move(out);
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool percent_decode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      *out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      *out += ' ';
    } else {
      *out += c;
    }
  }
  return true;
}

bool parse_query(std::string_view query, QueryParams* out) {
  out->clear();
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    std::string name, value;
    if (!percent_decode(part.substr(0, eq), true, &name)) return false;
    if (eq != std::string_view::npos && !percent_decode(part.substr(eq + 1), true, &value)) {
      return false;
    }
    out->emplace_back(std::move(name), std::move(value));
  }
  return true;
}

gw::Result<std::vector<TokenValue>> parse_token_search(std::string_view text) {
  std::vector<TokenValue> out;
  std::string current;
  std::optional<std::string> system;
  auto finish = [&]() -> gw::Status {
    if (current.empty()) {
      return invalid_argument_error(system
                                        ? "token search by system only (system|) is not supported"
                                        : "empty token search value");
    }
    out.push_back({std::move(system), std::move(current)});
    system.reset();
    current.clear();
    return ok_status();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      current += text[++i];
    } else if (c == '|' && !system) {
      system = std::move(current);
      current.clear();
    } else if (c == ',') {
      GW_RETURN_IF_ERROR(finish());
    } else {
      current += c;
    }
  }
  GW_RETURN_IF_ERROR(finish());
  return out;
}

}  // namespace gw::rest
