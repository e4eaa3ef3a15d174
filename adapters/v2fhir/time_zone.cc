#include "adapters/v2fhir/time_zone.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>

namespace gw::v2fhir {
namespace {

constexpr size_t kMaxTzifBytes = 1 << 20;
constexpr size_t kMaxTransitions = 10000;

int days_in_month(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Day of month of the w-th (5 = last) weekday d (0 = Sunday) of month m.
int rule_day(int y, int m, int w, int d) {
  int first_weekday =
      static_cast<int>(((days_from_civil(y, m, 1) % 7) + 11) % 7);  // 1970-01-01 = Thursday (4)
  int day = 1 + (d - first_weekday + 7) % 7 + (w - 1) * 7;
  while (day > days_in_month(y, m)) day -= 7;
  return day;
}

int year_of(int64_t utc) {
  int64_t days = utc >= 0 ? utc / 86400 : -((-utc + 86399) / 86400);
  // Civil from days (Howard Hinnant's algorithm), year only.
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return static_cast<int>(m <= 2 ? y + 1 : y);
}

int rule_offset(const TimeZone::Rule& r, int64_t utc) {
  if (!r.has_dst) return r.std_offset;
  int y = year_of(utc);
  int64_t start =
      days_from_civil(y, r.start_month, rule_day(y, r.start_month, r.start_week, r.start_weekday)) *
          86400 +
      r.start_time - r.std_offset;
  int64_t end =
      days_from_civil(y, r.end_month, rule_day(y, r.end_month, r.end_week, r.end_weekday)) * 86400 +
      r.end_time - r.dst_offset;
  bool dst = start < end ? (utc >= start && utc < end) : !(utc >= end && utc < start);
  return dst ? r.dst_offset : r.std_offset;
}

// ---- POSIX TZ string (TZif footer) -----------------------------------------

bool parse_tz_name(std::string_view& s) {
  if (!s.empty() && s[0] == '<') {
    size_t close = s.find('>');
    if (close == std::string_view::npos) return false;
    s.remove_prefix(close + 1);
    return true;
  }
  size_t n = 0;
  while (n < s.size() && ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z'))) ++n;
  if (n < 3) return false;
  s.remove_prefix(n);
  return true;
}

// [+-]hh[:mm[:ss]] -> seconds (sign as written).
bool parse_tz_time(std::string_view& s, int* seconds) {
  int sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  int parts[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    if (i > 0) {
      if (s.empty() || s[0] != ':') break;
      s.remove_prefix(1);
    }
    int v = 0, digits = 0;
    while (!s.empty() && s[0] >= '0' && s[0] <= '9' && digits < 3) {
      v = v * 10 + (s[0] - '0');
      s.remove_prefix(1);
      ++digits;
    }
    if (digits == 0) return false;
    parts[i] = v;
  }
  *seconds = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}

bool parse_int(std::string_view& s, int* out) {
  int v = 0, digits = 0;
  while (!s.empty() && s[0] >= '0' && s[0] <= '9' && digits < 3) {
    v = v * 10 + (s[0] - '0');
    s.remove_prefix(1);
    ++digits;
  }
  *out = v;
  return digits > 0;
}

// Only the Mm.w.d form is supported (what every current zone uses).
bool parse_rule_date(std::string_view& s, int* month, int* week, int* weekday, int* time) {
  if (s.empty() || s[0] != 'M') return false;
  s.remove_prefix(1);
  if (!parse_int(s, month) || s.empty() || s[0] != '.') return false;
  s.remove_prefix(1);
  if (!parse_int(s, week) || s.empty() || s[0] != '.') return false;
  s.remove_prefix(1);
  if (!parse_int(s, weekday)) return false;
  if (*month < 1 || *month > 12 || *week < 1 || *week > 5 || *weekday > 6) return false;
  *time = 7200;
  if (!s.empty() && s[0] == '/') {
    s.remove_prefix(1);
    if (!parse_tz_time(s, time)) return false;
  }
  return true;
}

TimeZone::Rule parse_posix_tz(std::string_view s) {
  TimeZone::Rule r;
  int off = 0;
  if (!parse_tz_name(s) || !parse_tz_time(s, &off)) return r;
  r.std_offset = -off;  // POSIX offsets are west of UTC
  if (s.empty()) {
    r.valid = true;
    return r;
  }
  if (!parse_tz_name(s)) return r;
  r.has_dst = true;
  r.dst_offset = r.std_offset + 3600;
  if (!s.empty() && s[0] != ',') {
    if (!parse_tz_time(s, &off)) return r;
    r.dst_offset = -off;
  }
  if (s.empty() || s[0] != ',') return r;
  s.remove_prefix(1);
  if (!parse_rule_date(s, &r.start_month, &r.start_week, &r.start_weekday, &r.start_time)) return r;
  if (s.empty() || s[0] != ',') return r;
  s.remove_prefix(1);
  if (!parse_rule_date(s, &r.end_month, &r.end_week, &r.end_weekday, &r.end_time)) return r;
  r.valid = s.empty();
  return r;
}

// ---- TZif -------------------------------------------------------------------

uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
int64_t be64(const unsigned char* p) {
  return static_cast<int64_t>((uint64_t{be32(p)} << 32) | be32(p + 4));
}

struct Counts {
  uint32_t isut, isstd, leap, time, type, chars;
};

bool read_counts(const std::string& data, size_t at, Counts* c) {
  if (data.size() < at + 44 || data.compare(at, 4, "TZif") != 0) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data() + at + 20);
  *c = {be32(p), be32(p + 4), be32(p + 8), be32(p + 12), be32(p + 16), be32(p + 20)};
  return c->time <= kMaxTransitions && c->type >= 1 && c->type <= 256 && c->chars <= 4096 &&
         c->leap <= 1000 && c->isut <= 256 && c->isstd <= 256;
}

size_t block_size(const Counts& c, int time_bytes) {
  return size_t{c.time} * time_bytes + c.time + size_t{c.type} * 6 + c.chars +
         size_t{c.leap} * (time_bytes + 4) + c.isstd + c.isut;
}

bool parse_tzif(const std::string& data, TimeZone* tz) {
  Counts c{};
  if (!read_counts(data, 0, &c)) return false;
  char version = data[4];
  size_t at = 44;
  int time_bytes = 4;
  if (version >= '2') {  // skip the 32-bit block, use the 64-bit one
    at += block_size(c, 4);
    if (!read_counts(data, at, &c)) return false;
    at += 44;
    time_bytes = 8;
  }
  if (data.size() < at + block_size(c, time_bytes)) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data() + at);
  const unsigned char* idx = p + size_t{c.time} * time_bytes;
  const unsigned char* types = idx + c.time;
  std::vector<int> type_offsets(c.type);
  std::vector<bool> type_dst(c.type);
  for (uint32_t i = 0; i < c.type; ++i) {
    type_offsets[i] = static_cast<int32_t>(be32(types + i * 6));
    type_dst[i] = types[i * 6 + 4] != 0;
    if (type_offsets[i] < -86400 || type_offsets[i] > 86400) return false;
  }
  for (uint32_t i = 0; i < c.time; ++i) {
    int64_t t = time_bytes == 8 ? be64(p + i * 8) : static_cast<int32_t>(be32(p + i * 4));
    if (idx[i] >= c.type) return false;
    if (!tz->transitions.empty() && t <= tz->transitions.back()) return false;
    tz->transitions.push_back(t);
    tz->offsets_after.push_back(type_offsets[idx[i]]);
  }
  // RFC 8536: local time type 0 applies before the first transition.
  tz->initial_offset = type_offsets[0];
  if (version >= '2') {
    size_t footer = at + block_size(c, time_bytes);
    if (footer < data.size() && data[footer] == '\n') {
      size_t end = data.find('\n', footer + 1);
      if (end != std::string::npos) {
        tz->footer = parse_posix_tz(std::string_view(data).substr(footer + 1, end - footer - 1));
      }
    }
  }
  return true;
}

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '/' ||
      name.find("..") != std::string_view::npos) {
    return false;
  }
  for (char ch : name) {
    bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '/' || ch == '_' || ch == '-' || ch == '+';
    if (!ok) return false;
  }
  return true;
}

// "+01:00", "-0530", "Z" -> seconds.
bool parse_fixed_offset(std::string_view s, int* seconds) {
  if (s == "Z" || s == "UTC" || s == "Etc/UTC") {
    *seconds = 0;
    return true;
  }
  if (s.size() != 6 && s.size() != 5) return false;
  if (s[0] != '+' && s[0] != '-') return false;
  std::string digits;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == ':' && i == 3 && s.size() == 6) continue;
    if (s[i] < '0' || s[i] > '9') return false;
    digits.push_back(s[i]);
  }
  if (digits.size() != 4) return false;
  int h = (digits[0] - '0') * 10 + (digits[1] - '0');
  int m = (digits[2] - '0') * 10 + (digits[3] - '0');
  if (h > 14 || m > 59) return false;
  *seconds = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
  return true;
}

}  // namespace

int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int TimeZone::offset_at_utc(int64_t utc) const {
  if (transitions.empty()) return (footer.valid ? rule_offset(footer, utc) : initial_offset) / 60;
  if (utc < transitions.front()) return initial_offset / 60;
  if (utc >= transitions.back() && footer.valid) return rule_offset(footer, utc) / 60;
  auto it = std::upper_bound(transitions.begin(), transitions.end(), utc);
  return offsets_after[(it - transitions.begin()) - 1] / 60;
}

int TimeZone::offset_for_local(int year, int month, int day, int hour, int minute,
                               int second) const {
  int64_t local = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  // The offsets in effect a day before and after bracket any transition near
  // this local time (no zone changes offset twice within two days).
  int before = offset_at_utc(local - 86400);
  int after = offset_at_utc(local + 86400);
  for (int candidate : {before, after}) {
    if (offset_at_utc(local - candidate * 60) == candidate) return candidate;
  }
  return before;  // skipped local time: read it with the offset before the gap
}

gw::Result<std::shared_ptr<const TimeZone>> find_time_zone(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(name);
    if (it != cache.end()) return it->second;
  }
  auto tz = std::make_shared<TimeZone>();
  int fixed = 0;
  if (parse_fixed_offset(name, &fixed)) {
    tz->initial_offset = fixed;
  } else {
    if (!valid_zone_name(name)) {
      return invalid_argument_error(
          "time zone is neither a fixed offset (+hh:mm) nor an IANA zone name");
    }
    std::ifstream in("/usr/share/zoneinfo/" + std::string(name), std::ios::binary);
    std::string data;
    if (in) {
      data.resize(kMaxTzifBytes + 1);
      in.read(data.data(), static_cast<std::streamsize>(data.size()));
      data.resize(static_cast<size_t>(in.gcount()));
    }
    if (data.empty() || data.size() > kMaxTzifBytes) {
      return not_found_error("time zone not found under /usr/share/zoneinfo");
    }
    if (!parse_tzif(data, tz.get())) return data_loss_error("time zone file is not valid TZif");
  }
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() < 1000) cache.emplace(std::string(name), tz);
  return std::shared_ptr<const TimeZone>(std::move(tz));
}

}  // namespace gw::v2fhir
