#include "gateway/consent/consent_fhir_read.h"

#include <algorithm>
#include <utility>

namespace gw::consent::internal {

ConsentError invalid(std::string path, std::string reason) {
  return ConsentError{ConsentErrorKind::kInvalid, std::move(path), std::move(reason)};
}

ConsentError not_expressible(std::string path, std::string reason) {
  return ConsentError{ConsentErrorKind::kNotExpressible, std::move(path), std::move(reason)};
}

std::string child(const std::string& path, std::string_view name) {
  std::string out = path;
  out += '.';
  out += fhir::is_reportable_json_key(name) ? name : std::string_view("*");
  return out;
}

std::string item(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

Check check_object(const JsonValue& v, const std::string& path,
                   std::span<const std::string_view> known) {
  if (!v.is_object()) return invalid(path, "expected a JSON object");
  if (v.members().empty()) return invalid(path, "an empty object is not valid FHIR");
  for (const fhir::JsonMember& m : v.members()) {
    std::string_view name = m.key;
    if (name == "modifierExtension") {
      return not_expressible(child(path, name),
                             "modifier extensions change the meaning in ways the gateway does "
                             "not know; remove it or use a separate Consent");
    }
    if (name.size() > 1 && name.front() == '_') name.remove_prefix(1);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return invalid(child(path, m.key), "not an element of this FHIR R4 type");
    }
  }
  return std::nullopt;
}

Check check_array(const JsonValue& v, const std::string& path, size_t max, std::string_view what) {
  if (!v.is_array()) return invalid(path, "expected a JSON array");
  if (v.items().empty()) return invalid(path, "an empty array is not valid FHIR");
  if (v.items().size() > max) {
    return not_expressible(
        path, "more than " + std::to_string(max) + " " + std::string(what) + "; split the Consent");
  }
  return std::nullopt;
}

ConsentResult<std::string_view> read_string(const JsonValue& v, const std::string& path,
                                            size_t max_bytes) {
  if (!v.is_string()) return invalid(path, "expected a JSON string");
  if (v.text().empty()) return invalid(path, "an empty string is not valid FHIR");
  if (v.text().size() > max_bytes) {
    return not_expressible(path, "longer than " + std::to_string(max_bytes) + " bytes");
  }
  return std::string_view(v.text());
}

ConsentResult<CodingView> read_coding(const JsonValue& v, const std::string& path) {
  GW_CONSENT_CHECK(check_object(
      v, path, {"id", "extension", "system", "version", "code", "display", "userSelected"}));
  CodingView out;
  if (const JsonValue* s = v.find("system")) {
    GW_ASSIGN_OR_RETURN(out.system, read_string(*s, child(path, "system")));
  }
  if (const JsonValue* c = v.find("code")) {
    GW_ASSIGN_OR_RETURN(out.code, read_string(*c, child(path, "code")));
  }
  return out;
}

ConsentResult<std::vector<CodingView>> read_concept(const JsonValue& v, const std::string& path) {
  GW_CONSENT_CHECK(check_object(v, path, {"id", "extension", "coding", "text"}));
  std::vector<CodingView> out;
  if (const JsonValue* codings = v.find("coding")) {
    const std::string cpath = child(path, "coding");
    GW_CONSENT_CHECK(check_array(*codings, cpath, kMaxCodings, "codings"));
    for (size_t i = 0; i < codings->items().size(); ++i) {
      GW_ASSIGN_OR_RETURN(CodingView c, read_coding(codings->items()[i], item(cpath, i)));
      out.push_back(c);
    }
  }
  return out;
}

ConsentResult<IdentifierView> read_identifier(const JsonValue& v, const std::string& path) {
  GW_CONSENT_CHECK(check_object(
      v, path, {"id", "extension", "use", "type", "system", "value", "period", "assigner"}));
  IdentifierView out;
  if (const JsonValue* s = v.find("system")) {
    GW_ASSIGN_OR_RETURN(out.system, read_string(*s, child(path, "system"), kMaxIdentifierBytes));
  }
  const JsonValue* value = v.find("value");
  if (value == nullptr) {
    return not_expressible(path, "an identifier without a value identifies nothing");
  }
  GW_ASSIGN_OR_RETURN(out.value, read_string(*value, child(path, "value"), kMaxIdentifierBytes));
  return out;
}

ConsentResult<ReferenceView> read_reference(const JsonValue& v, const std::string& path) {
  GW_CONSENT_CHECK(
      check_object(v, path, {"id", "extension", "reference", "type", "identifier", "display"}));
  ReferenceView out;
  if (const JsonValue* r = v.find("reference")) {
    GW_ASSIGN_OR_RETURN(out.reference, read_string(*r, child(path, "reference")));
  }
  if (const JsonValue* t = v.find("type")) {
    GW_ASSIGN_OR_RETURN(out.type, read_string(*t, child(path, "type")));
  }
  if (const JsonValue* id = v.find("identifier")) {
    GW_ASSIGN_OR_RETURN(out.identifier, read_identifier(*id, child(path, "identifier")));
  }
  return out;
}

namespace {

// Reads exactly `n` digits at text[*pos]; -1 if they are not there.
int digits(std::string_view text, size_t* pos, size_t n) {
  if (*pos + n > text.size()) return -1;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  return v;
}

bool take(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

std::optional<int64_t> partial_form(bool* partial) {
  *partial = true;
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> datetime_bound(std::string_view text, bool is_end, bool* partial) {
  *partial = false;
  size_t pos = 0;
  const int year = digits(text, &pos, 4);
  if (year < 1) return std::nullopt;
  if (pos == text.size()) return partial_form(partial);
  if (!take(text, &pos, '-')) return std::nullopt;
  const int month = digits(text, &pos, 2);
  if (month < 1 || month > 12) return std::nullopt;
  if (pos == text.size()) return partial_form(partial);
  if (!take(text, &pos, '-')) return std::nullopt;
  const int day = digits(text, &pos, 2);
  if (day < 1 || day > days_in_month(year, month)) return std::nullopt;
  if (pos == text.size()) return partial_form(partial);
  if (!take(text, &pos, 'T')) return std::nullopt;
  const int hour = digits(text, &pos, 2);
  if (hour < 0 || hour > 23 || !take(text, &pos, ':')) return std::nullopt;
  const int minute = digits(text, &pos, 2);
  if (minute < 0 || minute > 59 || !take(text, &pos, ':')) return std::nullopt;
  // 60 (a leap second) is valid FHIR but has no Unix time: refused as malformed
  // rather than moved to a neighbouring second.
  const int second = digits(text, &pos, 2);
  if (second < 0 || second > 59) return std::nullopt;
  bool fraction = false;
  if (take(text, &pos, '.')) {
    const size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (text[pos] != '0') fraction = true;
      ++pos;
    }
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  int64_t offset = 0;
  if (!take(text, &pos, 'Z')) {
    int sign = 0;
    if (take(text, &pos, '+'))
      sign = 1;
    else if (take(text, &pos, '-'))
      sign = -1;
    else
      return std::nullopt;  // a time without a zone is not a FHIR dateTime
    const int oh = digits(text, &pos, 2);
    if (oh < 0 || !take(text, &pos, ':')) return std::nullopt;
    const int om = digits(text, &pos, 2);
    if (om < 0 || om > 59 || oh * 60 + om > 14 * 60) return std::nullopt;
    offset = sign * (oh * 3600 + om * 60);
  }
  if (pos != text.size()) return std::nullopt;
  const int64_t utc =
      days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  // An end includes every instant of its last second; a start begins at the
  // first whole second at or after it (the chain compares whole seconds).
  if (is_end) return utc + 1;
  return fraction ? utc + 1 : utc;
}

ConsentResult<ValidityWindow> read_period(const JsonValue& v, const std::string& path) {
  GW_CONSENT_CHECK(check_object(v, path, {"id", "extension", "start", "end"}));
  std::optional<int64_t> bounds[2];  // start, end as read (before clamping)
  for (const bool is_end : {false, true}) {
    const char* name = is_end ? "end" : "start";
    const JsonValue* e = v.find(name);
    if (e == nullptr) continue;
    const std::string epath = child(path, name);
    GW_ASSIGN_OR_RETURN(std::string_view text, read_string(*e, epath, 64));
    bool partial = false;
    bounds[is_end] = datetime_bound(text, is_end, &partial);
    if (!bounds[is_end] && partial) {
      return not_expressible(epath,
                             "a date without a time and time zone is no single instant; give a "
                             "dateTime such as 2025-01-01T00:00:00+01:00");
    }
    if (!bounds[is_end]) return invalid(epath, "not a FHIR dateTime (or a leap second)");
  }
  if (bounds[0] && bounds[1] && *bounds[1] <= *bounds[0]) {
    return invalid(path, "the period ends before it starts (or holds no whole second)");
  }
  // Before 1970 a start means "from the beginning"; an end there has passed,
  // which the caller refuses by comparing with now.
  constexpr int64_t kMax = static_cast<int64_t>(ledger::consortium::kOpenEnded);
  ValidityWindow out;
  if (bounds[0]) out.from = static_cast<uint64_t>(std::clamp<int64_t>(*bounds[0], 0, kMax));
  if (bounds[1]) out.until = static_cast<uint64_t>(std::clamp<int64_t>(*bounds[1], 0, kMax));
  return out;
}

}  // namespace gw::consent::internal
