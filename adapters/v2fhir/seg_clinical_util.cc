// Helpers of the order/immunization/scheduling/document mappers (clinical.h).
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "adapters/v2fhir/adt.h"
#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/ids.h"

namespace gw::v2fhir {

using fhir::JsonValue;

bool message_is(const MappingContext& ctx, std::string_view code) {
  return trim(ctx.message().header().message_code) == code;
}

EntryRef last_of_type(MappingContext& ctx, std::string_view type) {
  const auto& entries = ctx.entries();
  for (size_t i = entries.size(); i > 0; --i) {
    if (entries[i - 1].type == type) return static_cast<EntryRef>(i - 1);
  }
  return kNoEntry;
}

// The PL Location hierarchy of the ADT mappers (adt.h), so that PV1-3, AIL-3
// and RXA-27 naming one place give the same entries.
EntryRef location_from_pl_field(MappingContext& ctx, const Seg& seg, int field) {
  return location_hierarchy_from_pl(ctx, seg, field);
}

EntryRef organization_from_cwe(MappingContext& ctx, const Seg& seg, int field) {
  hl7::Element e = seg.at(field, 1);
  if (!e.has_value()) return kNoEntry;
  IssueLocation loc = MappingContext::location(seg, field);
  auto cwe = hl7::read_cwe(e);
  if (!cwe.ok()) {
    ctx.warning(loc, "invalid coded value");
    return kNoEntry;
  }
  std::string code = trim(cwe->identifier), name = trim(cwe->text),
              system_name = trim(cwe->coding_system);
  if (code.empty() && name.empty()) return kNoEntry;
  JsonValue org = JsonValue::make_object();
  org.add("resourceType", JsonValue::make_string("Organization"));
  std::string key = "name|" + name;
  if (!code.empty()) {
    std::string system = coding_system_uri(ctx, system_name);
    if (system.empty()) {
      ctx.warning(loc,
                  system_name.empty() ? "code without coding system" : "unknown coding system");
      system = ctx.sender_urn() +
               ":codesystem:" + urn_escape(system_name.empty() ? "unknown" : system_name);
    }
    JsonValue id = JsonValue::make_object();
    id.add("system", JsonValue::make_string(system));
    id.add("value", JsonValue::make_string(code));
    org.add("identifier", JsonValue::make_array()).push(std::move(id));
    key = system + "|" + code;
  }
  if (!name.empty()) org.add("name", JsonValue::make_string(name));
  return ctx.add("Organization", key, std::move(org));
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
long days_from_civil(long y, long m, long d) {
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(long z, long* y, long* m, long* d) {
  z += 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const long doe = z - era * 146097;
  const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp + (mp < 10 ? 3 : -9);
  *y = yoe + era * 400 + (*m <= 2);
}

bool digits(std::string_view s, size_t pos, size_t n, long* out) {
  if (pos + n > s.size()) return false;
  long v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::string add_minutes(std::string_view s, long minutes) {
  if (minutes < 0 || minutes > 525600) return {};
  // YYYY-MM-DDThh:mm:ss[.f+](Z|+hh:mm|-hh:mm), as fhir_time() writes it.
  long y, mo, d, h, mi, sec;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
    return {};
  if (!digits(s, 0, 4, &y) || !digits(s, 5, 2, &mo) || !digits(s, 8, 2, &d) ||
      !digits(s, 11, 2, &h) || !digits(s, 14, 2, &mi) || !digits(s, 17, 2, &sec)) {
    return {};
  }
  size_t pos = 19;
  std::string_view fraction;
  if (pos < s.size() && s[pos] == '.') {
    size_t end = pos + 1;
    while (end < s.size() && s[end] >= '0' && s[end] <= '9') ++end;
    fraction = s.substr(pos, end - pos);
    pos = end;
  }
  std::string_view offset = s.substr(pos);
  if (offset != "Z" &&
      !(offset.size() == 6 && (offset[0] == '+' || offset[0] == '-') && offset[3] == ':'))
    return {};
  // Local wall time + minutes; the offset stays that of the start (the end is
  // the same instant whichever offset it is written with).
  long total = (days_from_civil(y, mo, d) * 24 + h) * 60 + mi + minutes;
  long day = total >= 0 ? total / 1440 : (total - 1439) / 1440;
  long rem = total - day * 1440;
  long ny, nm, nd;
  civil_from_days(day, &ny, &nm, &nd);
  if (ny < 1 || ny > 9999) return {};
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04ld-%02ld-%02ldT%02ld:%02ld:%02ld", ny, nm, nd, rem / 60,
                rem % 60, sec);
  return std::string(buf) + std::string(fraction) + std::string(offset);
}

long duration_minutes(std::string_view number, std::string_view units) {
  std::string n = trim(number);
  if (n.empty() || n.size() > 6) return -1;
  long v = 0;
  for (char c : n) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  std::string u = trim(units);
  if (u == "MIN" || u == "min" || u == "M" || u.empty())
    return v;  // SCH-10/AIx units: ANSI "MIN", UCUM "min"
  if (u == "H" || u == "h" || u == "HR") return v * 60;
  if (u == "D" || u == "d") return v * 1440;
  if (u == "S" || u == "s") return v % 60 == 0 ? v / 60 : -1;
  return -1;
}

std::string base64_encode(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool is_base64(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/';
    if (c == '=') {
      if (i + 2 < s.size()) return false;  // padding only in the last two places
      ++pad;
    } else if (!alnum || pad > 0) {
      return false;
    }
  }
  return pad <= 2;
}

}  // namespace gw::v2fhir

namespace gw::v2fhir {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// ED-2 type of data (table 0191) and ED-3 subtype (table 0291) -> MIME type.
std::string mime_type(std::string_view type, std::string_view subtype) {
  std::string sub;
  for (char c : subtype)
    sub.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  static constexpr std::pair<std::string_view, std::string_view> kSubtypes[] = {
      {"pdf", "application/pdf"}, {"rtf", "application/rtf"}, {"html", "text/html"},
      {"xml", "application/xml"}, {"jpeg", "image/jpeg"},     {"png", "image/png"},
      {"tiff", "image/tiff"},     {"gif", "image/gif"},       {"dicom", "application/dicom"}};
  for (const auto& [name, mime] : kSubtypes) {
    if (sub == name) return std::string(mime);
  }
  if (type == "TEXT" || type == "TX") return "text/plain";
  return "application/octet-stream";
}

}  // namespace

JsonValue attachment_from_ed(MappingContext& ctx, const hl7::Element& ed,
                             const IssueLocation& loc) {
  std::string type = trim(ed.part(2).text_or_empty()), subtype = trim(ed.part(3).text_or_empty());
  std::string encoding = trim(ed.part(4).text_or_empty());
  std::string data = trim(ed.part(5).text_or_empty());
  if (data.empty()) {
    ctx.warning(loc, "encapsulated data missing");
    return {};
  }
  JsonValue a = JsonValue::make_object();
  std::string bytes64;
  bool as_sent = false;  // data kept as received text, not decoded
  if (encoding == "Base64") {
    if (is_base64(data)) {
      bytes64 = std::move(data);
    } else {
      ctx.warning(loc, "encapsulated data is not base64: kept as received text");
      as_sent = true;
    }
  } else if (encoding == "Hex") {
    std::string raw;
    raw.reserve(data.size() / 2);
    bool ok = data.size() % 2 == 0;
    for (size_t i = 0; ok && i < data.size(); i += 2) {
      int hi = hex_value(data[i]), lo = hex_value(data[i + 1]);
      ok = hi >= 0 && lo >= 0;
      raw.push_back(static_cast<char>(hi * 16 + lo));
    }
    if (ok) {
      bytes64 = base64_encode(raw);
    } else {
      ctx.warning(loc, "encapsulated data is not hexadecimal: kept as received text");
      as_sent = true;
    }
  } else if (encoding == "A" || encoding.empty()) {
    bytes64 = base64_encode(data);
  } else {
    ctx.warning(loc, "encapsulated data encoding not supported: kept as received text");
    as_sent = true;
  }
  if (as_sent) {
    // Nothing is lost: the text as received, labelled as such.
    a.add("contentType", JsonValue::make_string("text/plain"));
    a.add("data", JsonValue::make_string(base64_encode(data)));
    return a;
  }
  a.add("contentType", JsonValue::make_string(mime_type(type, subtype)));
  a.add("data", JsonValue::make_string(std::move(bytes64)));
  return a;
}

JsonValue attachment_from_rp(MappingContext& ctx, const hl7::Element& rp,
                             const IssueLocation& loc) {
  // RP: pointer ^ application id (HD) ^ type of data ^ subtype.
  std::string pointer = trim(rp.part(1).text_or_empty());
  if (pointer.empty()) {
    ctx.warning(loc, "reference pointer missing");
    return {};
  }
  JsonValue a = JsonValue::make_object();
  std::string type = trim(rp.part(3).text_or_empty()), subtype = trim(rp.part(4).text_or_empty());
  if (!type.empty() || !subtype.empty())
    a.add("contentType", JsonValue::make_string(mime_type(type, subtype)));
  std::string app = trim(rp.part(2).part(1).text_or_empty());
  if (app.empty()) app = trim(rp.part(2).part(2).text_or_empty());
  // A pointer is a URL when it says so; otherwise it only means something to
  // the application that holds it, which the title names.
  a.add("url", JsonValue::make_string(pointer));
  if (!app.empty()) a.add("title", JsonValue::make_string(app));
  return a;
}

}  // namespace gw::v2fhir
