#include "adapters/hl7/types.h"

#include <cstdio>
#include <optional>

namespace gw::hl7 {
namespace {

Error DataError(const char* what) { return Error{ErrorCode::kDataType, {}, what}; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Reads exactly `n` digits.
bool Digits(std::string_view* s, size_t n, int* out) {
  if (s->size() < n) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!IsDigit((*s)[i])) return false;
    v = v * 10 + ((*s)[i] - '0');
  }
  s->remove_prefix(n);
  *out = v;
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Decodes leaves and remembers the first decoding error, so the composite
// readers below stay flat.
class TextReader {
 public:
  std::string operator()(const Element& e) {
    Result<std::string> r = e.leaf().text();
    if (r.ok()) return std::move(r).value();
    if (!error_) error_ = r.error();
    return std::string();
  }
  const std::optional<Error>& error() const { return error_; }

 private:
  std::optional<Error> error_;
};

template <typename T>
Result<T> Finish(const TextReader& r, T value) {
  if (r.error()) return *r.error();
  return value;
}

// The first N parts of an element, split in one pass (Element::parts).
template <int N>
struct Parts {
  explicit Parts(const Element& e) { e.parts(p, N); }
  const Element& operator()(int i) const { return p[i - 1]; }
  Element p[N];
};

HD ReadHdParts(const Element& e, TextReader& t) {
  const Parts<3> part(e);
  HD hd;
  hd.namespace_id = t(part(1));
  hd.universal_id = t(part(2));
  hd.universal_id_type = t(part(3));
  return hd;
}

// Resolves a path and runs a reader, locating any error at the path.
template <typename T>
Result<T> ReadAt(const Message& m, std::string_view path, Result<T> (*read)(const Element&)) {
  Result<Path> p = Path::parse(path);
  if (!p.ok()) return p.error();
  if (p->field < 1) {
    return Error{ErrorCode::kApplicationInternalError, {}, "path must name a field"};
  }
  Result<T> r = read(m.element(*p));
  if (r.ok()) return r;
  Error e = r.error();
  e.where.segment_id = std::string(p->segment, 3);
  e.where.segment_sequence = p->occurrence;
  e.where.field = p->field;
  e.where.repetition = p->repetition;
  e.where.component = p->component;
  e.where.subcomponent = p->subcomponent;
  return e;
}

}  // namespace

// ---- DTM -------------------------------------------------------------------

Result<Timestamp> parse_timestamp(std::string_view s) {
  s = TrimSpaces(s);
  Timestamp t;
  if (s.empty() || s == "\"\"") return t;
  if (s.size() > 40) return DataError("timestamp too long");
  // Split off the offset: the first '+' or '-' (none may appear earlier).
  size_t sign = s.find_first_of("+-");
  std::string_view offset;
  if (sign != std::string_view::npos) {
    offset = s.substr(sign);
    s = s.substr(0, sign);
  }
  if (!Digits(&s, 4, &t.year)) return DataError("invalid timestamp year");
  t.precision = Precision::kYear;
  int* parts[] = {&t.month, &t.day, &t.hour, &t.minute, &t.second};
  static constexpr Precision kNext[] = {Precision::kMonth, Precision::kDay, Precision::kHour,
                                        Precision::kMinute, Precision::kSecond};
  for (int k = 0; k < 5 && !s.empty() && s.front() != '.'; ++k) {
    if (!Digits(&s, 2, parts[k])) return DataError("invalid timestamp digits");
    t.precision = kNext[k];
  }
  if (!s.empty()) {
    if (s.front() != '.' || t.precision != Precision::kSecond) {
      return DataError("invalid timestamp fraction");
    }
    s.remove_prefix(1);
    if (s.empty() || s.size() > 9) return DataError("invalid timestamp fraction");
    for (char c : s) {
      if (!IsDigit(c)) return DataError("invalid timestamp fraction");
    }
    t.fraction = std::string(s);
    t.precision = Precision::kFraction;
  }
  if (t.precision >= Precision::kMonth && (t.month < 1 || t.month > 12)) {
    return DataError("timestamp month out of range");
  }
  if (t.precision >= Precision::kDay && (t.day < 1 || t.day > DaysInMonth(t.year, t.month))) {
    return DataError("timestamp day out of range");
  }
  if (t.hour > 23 || t.minute > 59 || t.second > 59) {
    return DataError("timestamp time out of range");
  }
  if (!offset.empty()) {
    int sign_value = offset.front() == '-' ? -1 : 1;
    offset.remove_prefix(1);
    int hh = 0, mm = 0;
    if (offset.size() != 4 || !Digits(&offset, 2, &hh) || !Digits(&offset, 2, &mm) || mm > 59 ||
        hh > 14 || (sign_value < 0 && hh > 12)) {
      return DataError("invalid timestamp offset");
    }
    t.has_offset = true;
    t.offset_minutes = sign_value * (hh * 60 + mm);
  }
  return t;
}

std::string Timestamp::to_iso8601() const {
  if (precision == Precision::kNone) return std::string();
  char buf[64];
  int n = 0;
  auto put = [&](const char* fmt, int v) {
    n += std::snprintf(buf + n, sizeof(buf) - static_cast<size_t>(n), fmt, v);
  };
  put("%04d", year);
  if (precision >= Precision::kMonth) put("-%02d", month);
  if (precision >= Precision::kDay) put("-%02d", day);
  if (precision >= Precision::kHour) put("T%02d", hour);
  if (precision >= Precision::kMinute) put(":%02d", minute);
  if (precision >= Precision::kSecond) put(":%02d", second);
  std::string out(buf, static_cast<size_t>(n));
  if (precision == Precision::kFraction) out += "." + fraction;
  if (has_offset && precision >= Precision::kHour) {
    int m = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    std::snprintf(buf, sizeof(buf), "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', m / 60, m % 60);
    out += buf;
  }
  return out;
}

Result<Timestamp> read_timestamp(const Element& e) {
  GW_ASSIGN_OR_RETURN(std::string text, e.part(1).leaf().text());
  return parse_timestamp(text);
}

Result<Timestamp> read_timestamp(const Message& m, std::string_view path) {
  return ReadAt<Timestamp>(m, path, &read_timestamp);
}

// ---- NM --------------------------------------------------------------------

Result<Number> parse_number(std::string_view s) {
  s = TrimSpaces(s);
  Number n;
  if (s.empty() || s == "\"\"") return n;
  if (s.size() > 64) return DataError("numeric value too long");
  size_t i = 0;
  if (s[0] == '+' || s[0] == '-') ++i;
  int digits = 0, points = 0;
  for (; i < s.size(); ++i) {
    if (IsDigit(s[i])) {
      ++digits;
    } else if (s[i] == '.' && ++points == 1) {
    } else {
      return DataError("invalid numeric value");
    }
  }
  if (digits == 0) return DataError("invalid numeric value");
  n.text = std::string(s);
  return n;
}

std::string Number::fhir_decimal() const {
  if (text.empty()) return std::string();
  std::string_view s = text;
  std::string out;
  if (s.front() == '-') out.push_back('-');
  if (s.front() == '+' || s.front() == '-') s.remove_prefix(1);
  size_t point = s.find('.');
  std::string_view int_part = s.substr(0, point);
  std::string_view frac =
      point == std::string_view::npos ? std::string_view() : s.substr(point + 1);
  while (int_part.size() > 1 && int_part.front() == '0') int_part.remove_prefix(1);
  if (int_part.empty()) int_part = "0";
  out += int_part;
  if (!frac.empty()) {
    out.push_back('.');
    out += frac;
  }
  return out;
}

Result<Number> read_number(const Element& e) {
  GW_ASSIGN_OR_RETURN(std::string text, e.leaf().text());
  return parse_number(text);
}

Result<Number> read_number(const Message& m, std::string_view path) {
  return ReadAt<Number>(m, path, &read_number);
}

// ---- Composites ------------------------------------------------------------

Result<HD> read_hd(const Element& e) {
  TextReader t;
  HD hd = ReadHdParts(e, t);
  return Finish(t, std::move(hd));
}

Result<CX> read_cx(const Element& e) {
  TextReader t;
  const Parts<6> part(e);
  CX cx;
  cx.id = t(part(1));
  cx.check_digit = t(part(2));
  cx.check_digit_scheme = t(part(3));
  cx.assigning_authority = ReadHdParts(part(4), t);
  cx.identifier_type = t(part(5));
  cx.assigning_facility = ReadHdParts(part(6), t);
  return Finish(t, std::move(cx));
}

Result<XPN> read_xpn(const Element& e) {
  TextReader t;
  const Parts<7> part(e);
  XPN x;
  x.family = t(part(1).part(1));
  x.given = t(part(2));
  x.middle = t(part(3));
  x.suffix = t(part(4));
  x.prefix = t(part(5));
  x.degree = t(part(6));
  x.name_type = t(part(7));
  return Finish(t, std::move(x));
}

Result<CWE> read_cwe(const Element& e) {
  TextReader t;
  const Parts<9> part(e);
  CWE c;
  c.identifier = t(part(1));
  c.text = t(part(2));
  c.coding_system = t(part(3));
  c.alternate_identifier = t(part(4));
  c.alternate_text = t(part(5));
  c.alternate_coding_system = t(part(6));
  c.coding_system_version = t(part(7));
  c.alternate_coding_system_version = t(part(8));
  c.original_text = t(part(9));
  return Finish(t, std::move(c));
}

Result<XAD> read_xad(const Element& e) {
  TextReader t;
  const Parts<9> part(e);
  XAD a;
  a.street = t(part(1).part(1));
  a.other_designation = t(part(2));
  a.city = t(part(3));
  a.state = t(part(4));
  a.postal_code = t(part(5));
  a.country = t(part(6));
  a.address_type = t(part(7));
  a.other_geographic = t(part(8));
  a.county = t(part(9));
  return Finish(t, std::move(a));
}

Result<XTN> read_xtn(const Element& e) {
  TextReader t;
  const Parts<9> part(e);
  XTN x;
  x.formatted = t(part(1));
  x.use_code = t(part(2));
  x.equipment_type = t(part(3));
  x.email = t(part(4));
  x.country_code = t(part(5));
  x.area_code = t(part(6));
  x.local_number = t(part(7));
  x.extension = t(part(8));
  x.any_text = t(part(9));
  return Finish(t, std::move(x));
}

Result<HD> read_hd(const Message& m, std::string_view p) { return ReadAt<HD>(m, p, &read_hd); }
Result<CX> read_cx(const Message& m, std::string_view p) { return ReadAt<CX>(m, p, &read_cx); }
Result<XPN> read_xpn(const Message& m, std::string_view p) { return ReadAt<XPN>(m, p, &read_xpn); }
Result<CWE> read_cwe(const Message& m, std::string_view p) { return ReadAt<CWE>(m, p, &read_cwe); }
Result<XAD> read_xad(const Message& m, std::string_view p) { return ReadAt<XAD>(m, p, &read_xad); }
Result<XTN> read_xtn(const Message& m, std::string_view p) { return ReadAt<XTN>(m, p, &read_xtn); }

}  // namespace gw::hl7
