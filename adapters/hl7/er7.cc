#include "adapters/hl7/er7.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace gw::hl7 {

// ---------------------------------------------------------------------------
// Header

bool Header::version_at_least(int major, int minor) const {
  std::string_view v = version_id;
  int parts[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    if (v.empty() || v.front() < '0' || v.front() > '9') return false;
    int n = 0;
    while (!v.empty() && v.front() >= '0' && v.front() <= '9' && n < 1000) {
      n = n * 10 + (v.front() - '0');
      v.remove_prefix(1);
    }
    parts[k] = n;
    if (k == 0) {
      if (v.empty() || v.front() != '.') return false;
      v.remove_prefix(1);
    }
  }
  return parts[0] > major || (parts[0] == major && parts[1] >= minor);
}

// ---------------------------------------------------------------------------
// Element

ValueState Element::state() const {
  if (raw_.empty()) return ValueState::kAbsent;
  if (raw_ == "\"\"") return ValueState::kNull;
  return ValueState::kValue;
}

char Element::child_delimiter() const {
  switch (level_) {
    case Level::kField: return d_.repetition;
    case Level::kRepetition: return d_.component;
    case Level::kComponent: return d_.subcomponent;
    case Level::kSubcomponent: return 0;
  }
  return 0;
}

int Element::child_count() const {
  if (raw_.empty()) return 0;
  char sep = child_delimiter();
  if (verbatim_ || sep == 0) return 1;
  return 1 + static_cast<int>(std::count(raw_.begin(), raw_.end(), sep));
}

Element Element::child(int i) const {
  if (i < 1 || raw_.empty()) return Element();
  char sep = child_delimiter();
  if (verbatim_ || sep == 0) return i == 1 ? *this : Element();
  auto next_level = static_cast<Level>(static_cast<int>(level_) + 1);
  size_t start = 0;
  for (int k = 1; k < i; ++k) {
    const void* hit = std::memchr(raw_.data() + start, sep, raw_.size() - start);
    if (hit == nullptr) return Element();
    start = static_cast<size_t>(static_cast<const char*>(hit) - raw_.data()) + 1;
  }
  const void* hit = std::memchr(raw_.data() + start, sep, raw_.size() - start);
  size_t end = hit ? static_cast<size_t>(static_cast<const char*>(hit) - raw_.data()) : raw_.size();
  return Element(raw_.substr(start, end - start), next_level, d_, charset_);
}

Element Element::part(int i) const {
  switch (level_) {
    case Level::kField: return child(1).child(i);
    case Level::kRepetition:
    case Level::kComponent: return child(i);
    case Level::kSubcomponent: return i == 1 ? *this : Element();
  }
  return Element();
}

Element Element::leaf() const {
  Element e = *this;
  while (e.level_ != Level::kSubcomponent && !e.verbatim_ && !e.raw_.empty()) e = e.child(1);
  return e;
}

Result<std::string> Element::text(bool strict) const {
  std::string out;
  if (state() != ValueState::kValue) return out;
  if (verbatim_) {
    append_as_utf8(raw_, charset_, &out);
    return out;
  }
  unsigned issues = decode_text(raw_, d_, charset_, &out);
  if (issues & kUnsupportedEscape) {
    return Error{ErrorCode::kDataType, {}, "ISO 2022 character set escape (\\C or \\M) not supported"};
  }
  if (strict && (issues & kMalformedEscape)) {
    return Error{ErrorCode::kDataType, {}, "malformed escape sequence"};
  }
  if (strict && (issues & kInvalidBytes)) {
    return Error{ErrorCode::kDataType, {}, "escaped bytes not valid in the message character set"};
  }
  return out;
}

std::string Element::text_or_empty() const {
  std::string out;
  if (state() != ValueState::kValue) return out;
  if (verbatim_) {
    append_as_utf8(raw_, charset_, &out);
  } else {
    decode_text(raw_, d_, charset_, &out);
  }
  return out;
}

Value Element::value() const {
  Value v;
  v.state = state();
  if (v.state == ValueState::kValue) v.text = text_or_empty();
  return v;
}

// ---------------------------------------------------------------------------
// Path

namespace {

bool IsIdChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

bool IsSegmentId(std::string_view id) {
  return id.size() == 3 && id[0] >= 'A' && id[0] <= 'Z' && IsIdChar(id[1]) && IsIdChar(id[2]);
}

// Reads 1..9 digits forming a number >= 1.
bool ReadIndex(std::string_view* s, int* out) {
  int n = 0;
  size_t digits = 0;
  while (!s->empty() && s->front() >= '0' && s->front() <= '9') {
    if (++digits > 9) return false;
    n = n * 10 + (s->front() - '0');
    s->remove_prefix(1);
  }
  if (digits == 0 || n < 1) return false;
  *out = n;
  return true;
}

bool ReadParenIndex(std::string_view* s, int* out) {
  if (s->empty() || s->front() != '(') return true;  // optional
  s->remove_prefix(1);
  if (!ReadIndex(s, out)) return false;
  if (s->empty() || s->front() != ')') return false;
  s->remove_prefix(1);
  return true;
}

Error PathError() {
  return Error{ErrorCode::kApplicationInternalError, {},
               "malformed path (expected SEG[(n)][-F[(r)][.C[.S]]])"};
}

}  // namespace

Result<Path> Path::parse(std::string_view s) {
  Path p;
  if (s.size() < 3 || !IsSegmentId(s.substr(0, 3))) return PathError();
  std::memcpy(p.segment, s.data(), 3);
  s.remove_prefix(3);
  if (!ReadParenIndex(&s, &p.occurrence)) return PathError();
  if (s.empty()) return p;
  if (s.front() != '-') return PathError();
  s.remove_prefix(1);
  if (!ReadIndex(&s, &p.field)) return PathError();
  if (!ReadParenIndex(&s, &p.repetition)) return PathError();
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    if (!ReadIndex(&s, &p.component)) return PathError();
    if (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
      if (!ReadIndex(&s, &p.subcomponent)) return PathError();
    }
  }
  if (!s.empty()) return PathError();
  return p;
}

// ---------------------------------------------------------------------------
// SegmentView

std::string_view SegmentView::id() const {
  const auto& s = msg_->segments_[index_];
  uint32_t id_end = s.sep_count > 0 ? msg_->seps_[s.first_sep] : s.end;
  return msg_->text_.substr(s.begin, id_end - s.begin);
}

int SegmentView::sequence() const {
  std::string_view mine = id();
  int n = 0;
  for (size_t i = 0; i <= index_; ++i) {
    if (SegmentView(msg_, i).id() == mine) ++n;
  }
  return n;
}

int SegmentView::field_count() const {
  const auto& s = msg_->segments_[index_];
  return static_cast<int>(s.sep_count) + (s.header_like ? 1 : 0);
}

std::string_view SegmentView::raw() const {
  const auto& s = msg_->segments_[index_];
  return msg_->text_.substr(s.begin, s.end - s.begin);
}

Element SegmentView::field(int n) const {
  const auto& s = msg_->segments_[index_];
  const Delimiters& d = msg_->header_.delimiters;
  Charset cs = msg_->charset_;
  if (n < 1) return Element();
  uint32_t k = static_cast<uint32_t>(n);
  if (s.header_like) {
    if (n == 1) {
      return Element(msg_->text_.substr(s.begin + 3, 1), Element::Level::kField, d, cs, true);
    }
    k = static_cast<uint32_t>(n - 1);
  }
  if (k > s.sep_count) return Element();
  uint32_t start = msg_->seps_[s.first_sep + k - 1] + 1;
  uint32_t end = k < s.sep_count ? msg_->seps_[s.first_sep + k] : s.end;
  return Element(msg_->text_.substr(start, end - start), Element::Level::kField, d, cs,
                 s.header_like && k == 1);
}

Element SegmentView::at(int f, int rep, int comp, int sub) const {
  Element e = field(f);
  if (rep > 0) {
    e = e.child(rep);
  } else if (comp > 0 || sub > 0) {
    e = e.child(1);
  }
  if (comp > 0) {
    e = e.child(comp);
  } else if (sub > 0) {
    e = e.child(1);
  }
  if (sub > 0) e = e.child(sub);
  return e;
}

std::string SegmentView::get(int f, int rep, int comp, int sub) const {
  return at(f, rep, comp, sub).leaf().text_or_empty();
}

Value SegmentView::value(int f, int rep, int comp, int sub) const {
  return at(f, rep, comp, sub).leaf().value();
}

// ---------------------------------------------------------------------------
// Message

SegmentView Message::segment(size_t index) const { return SegmentView(this, index); }

std::optional<SegmentView> Message::find(std::string_view id, int occurrence) const {
  int seen = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    SegmentView s(this, i);
    if (s.id() == id && ++seen == occurrence) return s;
  }
  return std::nullopt;
}

int Message::count(std::string_view id) const {
  int n = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (SegmentView(this, i).id() == id) ++n;
  }
  return n;
}

std::vector<SegmentView> Message::segments(std::string_view id) const {
  std::vector<SegmentView> out;
  for (size_t i = 0; i < segments_.size(); ++i) {
    SegmentView s(this, i);
    if (s.id() == id) out.push_back(s);
  }
  return out;
}

std::vector<SegmentView> Message::segments() const {
  std::vector<SegmentView> out;
  out.reserve(segments_.size());
  for (size_t i = 0; i < segments_.size(); ++i) out.push_back(SegmentView(this, i));
  return out;
}

Element Message::element(const Path& p) const {
  auto seg = find(std::string_view(p.segment, 3), p.occurrence);
  if (!seg || p.field < 1) return Element();
  return seg->at(p.field, p.repetition, p.component, p.subcomponent);
}

Result<Element> Message::element(std::string_view path) const {
  Result<Path> p = Path::parse(path);
  if (!p.ok()) return p.error();
  if (p->field < 1) return PathError();
  return element(*p);
}

Result<Value> Message::value(std::string_view path) const {
  Result<Path> p = Path::parse(path);
  if (!p.ok()) return p.error();
  if (p->field < 1) return PathError();
  Element e = element(*p).leaf();
  Value v;
  v.state = e.state();
  if (v.state != ValueState::kValue) return v;
  Result<std::string> text = e.text();
  if (!text.ok()) {
    Error err = text.error();
    err.where.segment_id = std::string(p->segment, 3);
    err.where.segment_sequence = p->occurrence;
    err.where.field = p->field;
    err.where.repetition = p->repetition;
    err.where.component = p->component;
    err.where.subcomponent = p->subcomponent;
    return err;
  }
  v.text = std::move(text).value();
  return v;
}

std::string Message::get(std::string_view path) const {
  Result<Path> p = Path::parse(path);
  if (!p.ok() || p->field < 1) return std::string();
  return element(*p).leaf().text_or_empty();
}

std::string_view Message::raw(std::string_view path) const {
  Result<Path> p = Path::parse(path);
  if (!p.ok()) return std::string_view();
  if (p->field == 0) {
    auto seg = find(std::string_view(p->segment, 3), p->occurrence);
    return seg ? seg->raw() : std::string_view();
  }
  return element(*p).raw();
}

bool Message::is_null(std::string_view path) const {
  Result<Path> p = Path::parse(path);
  return p.ok() && p->field > 0 && element(*p).leaf().is_null();
}

bool Message::is_present(std::string_view path) const {
  Result<Path> p = Path::parse(path);
  return p.ok() && p->field > 0 && element(*p).leaf().has_value();
}

int Message::repetition_count(std::string_view path) const {
  Result<Path> p = Path::parse(path);
  if (!p.ok() || p->field < 1) return 0;
  auto seg = find(std::string_view(p->segment, 3), p->occurrence);
  return seg ? seg->field(p->field).child_count() : 0;
}

// ---------------------------------------------------------------------------
// Parser

namespace {

constexpr size_t kMaxOffset = std::numeric_limits<uint32_t>::max() - 1;

bool IsHeaderLikeId(std::string_view id) { return id == "MSH" || id == "FHS" || id == "BHS"; }

}  // namespace

class Parser {
 public:
  Parser(std::string_view in, const ParseOptions& o) : in_(in), opt_(o), lim_(o.limits) {}
  ParseResult Run();

 private:
  enum Class : uint8_t { kOrd = 0, kTerm, kFld, kRep, kCmp, kSub, kEsc, kHigh };

  void BuildTable();
  // Scans the segment starting at pos_ (bounded by n), appending it to msg_
  // and advancing pos_ past its terminator. Returns false on a limit error.
  bool ScanSegment(size_t n);
  void ReadHeader();
  void CheckCharset();
  void CheckRequired();
  void CheckEscapes();

  // Location of segment seg_index whose id is `id`; the id is reported only
  // when it cannot be content (see is_reportable_segment_id).
  ErrorLocation Locate(size_t seg_index, std::string_view id, int field = 0, int rep = 0,
                       int comp = 0, int sub = 0) const;
  ErrorLocation Locate(size_t seg_index, int field = 0, int rep = 0, int comp = 0,
                       int sub = 0) const {
    return Locate(seg_index, msg_.segment(seg_index).id(), field, rep, comp, sub);
  }
  void Add(std::vector<Error>* list, bool* capped, Error e);
  void AddError(Error e) { Add(&result_.errors, &errors_capped_, std::move(e)); }
  void AddWarning(Error e) { Add(&result_.warnings, &warnings_capped_, std::move(e)); }

  std::string_view in_;
  const ParseOptions& opt_;
  const Limits& lim_;
  ParseResult result_;
  Message msg_;
  uint8_t cls_[256];
  size_t pos_ = 0;
  bool has_high_ = false;
  bool errors_capped_ = false;
  bool warnings_capped_ = false;
};

ErrorLocation Parser::Locate(size_t seg_index, std::string_view id, int field, int rep, int comp,
                             int sub) const {
  ErrorLocation w;
  w.segment_index = static_cast<int>(seg_index + 1);
  if (is_reportable_segment_id(id)) {
    w.segment_id = std::string(id);
    int seq = 1;
    for (size_t i = 0; i < seg_index && i < msg_.segments_.size(); ++i) {
      if (msg_.segment(i).id() == id) ++seq;
    }
    w.segment_sequence = seq;
  }
  w.field = field;
  w.repetition = rep;
  w.component = comp;
  w.subcomponent = sub;
  return w;
}

void Parser::Add(std::vector<Error>* list, bool* capped, Error e) {
  if (*capped) return;
  if (list->size() + 1 >= std::max<size_t>(lim_.max_errors, 1)) {
    *capped = true;
    list->push_back(
        Error{e.code, {}, "error limit reached; further problems not reported", e.severity});
    return;
  }
  list->push_back(std::move(e));
}

void Parser::BuildTable() {
  const Delimiters& d = msg_.header_.delimiters;
  std::memset(cls_, kOrd, 128);
  std::memset(cls_ + 128, kHigh, 128);
  cls_[static_cast<uint8_t>('\r')] = kTerm;
  cls_[static_cast<uint8_t>('\n')] = kTerm;
  cls_[static_cast<uint8_t>(d.field)] = kFld;
  cls_[static_cast<uint8_t>(d.repetition)] = kRep;
  cls_[static_cast<uint8_t>(d.component)] = kCmp;
  cls_[static_cast<uint8_t>(d.subcomponent)] = kSub;
  cls_[static_cast<uint8_t>(d.escape)] = kEsc;
}

bool Parser::ScanSegment(size_t n) {
  const auto* p = reinterpret_cast<const uint8_t*>(in_.data());
  const auto field_sep = static_cast<uint8_t>(msg_.header_.delimiters.field);
  const size_t seg_index = msg_.segments_.size();
  const size_t begin = pos_;

  // The id, for error locations, before anything is recorded.
  size_t id_end = begin;
  while (id_end < n && id_end - begin < 4 && cls_[p[id_end]] != kFld &&
         cls_[p[id_end]] != kTerm) {
    ++id_end;
  }
  const std::string_view id = in_.substr(begin, id_end - begin);
  auto limit_error = [&](int field, const char* what) {
    AddError(Error{ErrorCode::kValueTooLong, Locate(seg_index, id, field), what});
    return false;
  };
  if (seg_index >= lim_.max_segments) return limit_error(0, "more segments than max_segments");

  Message::SegmentIndex seg{static_cast<uint32_t>(begin), 0,
                            static_cast<uint32_t>(msg_.seps_.size()), 0, false, false, false};
  size_t i = begin;
  // MSH, FHS and BHS: field 1 is the separator itself and field 2 (the
  // encoding characters) is not split on the characters it declares.
  if (n - i >= 4 && p[i + 3] == field_sep && IsHeaderLikeId(in_.substr(i, 3))) {
    seg.header_like = true;
    msg_.seps_.push_back(static_cast<uint32_t>(i + 3));
    i += 4;
    while (i < n && p[i] != field_sep && cls_[p[i]] != kTerm) ++i;
  }
  // One counter per nesting level for the element being scanned.
  size_t fields = msg_.seps_.size() - seg.first_sep;
  size_t reps = 1, comps = 1, subs = 1;
  size_t field_start = seg.header_like ? begin + 4 : begin;
  const uint8_t* cls = cls_;
  for (;;) {
    while (i < n && cls[p[i]] == kOrd) ++i;
    if (i >= n) break;
    const uint8_t c = cls[p[i]];
    if (c == kTerm) break;
    switch (c) {
      case kFld:
        if (i - field_start > lim_.max_field_bytes) {
          return limit_error(static_cast<int>(fields), "field longer than max_field_bytes");
        }
        if (++fields > lim_.max_fields_per_segment) {
          return limit_error(0, "more fields than max_fields_per_segment");
        }
        msg_.seps_.push_back(static_cast<uint32_t>(i));
        field_start = i + 1;
        reps = comps = subs = 1;
        break;
      case kRep:
        if (++reps > lim_.max_repetitions_per_field) {
          return limit_error(static_cast<int>(fields),
                             "more repetitions than max_repetitions_per_field");
        }
        comps = subs = 1;
        break;
      case kCmp:
        if (++comps > lim_.max_components) {
          return limit_error(static_cast<int>(fields), "more components than max_components");
        }
        subs = 1;
        break;
      case kSub:
        if (++subs > lim_.max_subcomponents) {
          return limit_error(static_cast<int>(fields),
                             "more subcomponents than max_subcomponents");
        }
        break;
      case kEsc:
        seg.has_escape = true;
        break;
      default:  // kHigh
        seg.has_high = true;
        break;
    }
    ++i;
  }
  if (i - field_start > lim_.max_field_bytes) {
    return limit_error(static_cast<int>(fields), "field longer than max_field_bytes");
  }
  has_high_ |= seg.has_high;
  seg.end = static_cast<uint32_t>(i);
  seg.sep_count = static_cast<uint32_t>(msg_.seps_.size() - seg.first_sep);
  msg_.segments_.push_back(seg);

  SegmentView view = msg_.segment(seg_index);
  std::string_view real_id = view.id();
  if (!IsSegmentId(real_id)) {
    AddError(Error{ErrorCode::kSegmentSequence, Locate(seg_index, real_id),
                   "invalid segment identifier"});
  } else if (seg_index > 0 && (IsHeaderLikeId(real_id) || real_id == "BTS" || real_id == "FTS")) {
    AddError(Error{ErrorCode::kSegmentSequence, Locate(seg_index, real_id),
                   "header or batch segment inside a message (use split_batch for batches)"});
  }
  while (i < n && cls_[p[i]] == kTerm) ++i;  // terminator and blank lines
  pos_ = i;
  return true;
}

void Parser::ReadHeader() {
  Header& h = msg_.header_;
  SegmentView msh = msg_.segment(0);
  // MSH-18 first, so the other fields decode in the right charset.
  Element msh18 = msh.at(18, 1, 1, 1);
  h.charset = msh18.text_or_empty();  // ASCII-only names; anything else is unknown
  Charset cs = Charset::kLatin1;
  bool declared = !h.charset.empty();
  if (declared) {
    if (!lookup_charset(h.charset, &cs)) {
      AddError(Error{ErrorCode::kTableValueNotFound, Locate(0, 18),
                     "unknown or unsupported character set in MSH-18"});
      cs = Charset::kLatin1;  // lossless for reading the rest of the header
    }
  } else {
    switch (opt_.default_charset) {
      case DefaultCharset::kAscii: cs = Charset::kAscii; break;
      case DefaultCharset::kLatin1: cs = Charset::kLatin1; break;
      case DefaultCharset::kUtf8: cs = Charset::kUtf8; break;
      case DefaultCharset::kUtf8OrLatin1:
        cs = !has_high_ || is_valid_utf8(in_.substr(0, msg_.segments_.back().end))
                 ? Charset::kUtf8
                 : Charset::kLatin1;
        break;
    }
  }
  msg_.charset_ = cs;

  auto hd = [&](int field, HD* out) {
    Element f = msh.field(field);
    out->namespace_id = f.part(1).text_or_empty();
    out->universal_id = f.part(2).text_or_empty();
    out->universal_id_type = f.part(3).text_or_empty();
    return std::string(f.raw());
  };
  h.sending_application = hd(3, &h.sending_application_hd);
  h.sending_facility = hd(4, &h.sending_facility_hd);
  h.receiving_application = hd(5, &h.receiving_application_hd);
  h.receiving_facility = hd(6, &h.receiving_facility_hd);
  h.timestamp = msh.get(7);
  h.message_code = msh.get(9, 1, 1);
  h.trigger_event = msh.get(9, 1, 2);
  h.message_structure = msh.get(9, 1, 3);
  h.control_id = msh.get(10);
  h.processing_id = msh.get(11, 1, 1);
  h.version_id = msh.get(12, 1, 1);
  h.sequence_number = msh.get(13);
  h.accept_ack_type = msh.get(15);
  h.application_ack_type = msh.get(16);
}

void Parser::CheckCharset() {
  Charset cs = msg_.charset_;
  if (!has_high_ || (cs != Charset::kAscii && cs != Charset::kUtf8)) return;
  for (size_t s = 0; s < msg_.segments_.size(); ++s) {
    if (!msg_.segments_[s].has_high) continue;
    SegmentView seg = msg_.segment(s);
    for (int f = 1; f <= seg.field_count(); ++f) {
      Element field = seg.field(f);
      size_t bad = find_invalid_byte(field.raw(), cs);
      if (bad == std::string_view::npos) continue;
      // Locate the repetition, component and subcomponent of the bad byte.
      const Delimiters& d = msg_.header_.delimiters;
      int rep = 1, comp = 1, sub = 1;
      for (size_t k = 0; k < bad; ++k) {
        char c = field.raw()[k];
        if (c == d.repetition) {
          ++rep;
          comp = sub = 1;
        } else if (c == d.component) {
          ++comp;
          sub = 1;
        } else if (c == d.subcomponent) {
          ++sub;
        }
      }
      AddError(Error{ErrorCode::kDataType, Locate(s, f, rep, comp, sub),
                     cs == Charset::kAscii
                         ? "byte outside ASCII; MSH-18 does not declare an 8-bit character set"
                         : "invalid UTF-8 sequence for the character set in MSH-18"});
    }
  }
  // The segment ids themselves: a non-ASCII byte there is reported as an
  // invalid segment identifier already.
}

void Parser::CheckRequired() {
  if (!opt_.require_header_fields) return;
  const Header& h = msg_.header_;
  auto need = [&](bool present, int field, int comp) {
    if (!present) {
      AddError(Error{ErrorCode::kRequiredFieldMissing, Locate(0, field, 0, comp),
                     "required MSH field is empty"});
    }
  };
  need(!h.message_code.empty(), 9, 1);
  need(!h.control_id.empty(), 10, 0);
  need(!h.processing_id.empty(), 11, 1);
  need(!h.version_id.empty(), 12, 1);
}

void Parser::CheckEscapes() {
  if (!opt_.check_escapes) return;
  const Delimiters& d = msg_.header_.delimiters;
  for (size_t s = 0; s < msg_.segments_.size(); ++s) {
    if (!msg_.segments_[s].has_escape) continue;
    SegmentView seg = msg_.segment(s);
    int first = msg_.segments_[s].header_like ? 3 : 1;  // MSH-1/-2 are verbatim
    for (int f = first; f <= seg.field_count(); ++f) {
      Element field = seg.field(f);
      if (field.raw().find(d.escape) == std::string_view::npos) continue;
      for (int r = 1; r <= field.child_count(); ++r) {
        Element rep = field.child(r);
        for (int c = 1; c <= rep.child_count(); ++c) {
          Element comp = rep.child(c);
          for (int sc = 1; sc <= comp.child_count(); ++sc) {
            unsigned issues = check_escapes(comp.child(sc).raw(), d, msg_.charset_);
            if (issues == kEscapeOk) continue;
            const char* what = (issues & kUnsupportedEscape)
                                   ? "ISO 2022 character set escape (\\C or \\M) not supported"
                               : (issues & kMalformedEscape)
                                   ? "malformed escape sequence kept as literal text"
                                   : "escaped bytes not valid in the message character set";
            bool as_error = opt_.strict_escapes;
            Error e{ErrorCode::kDataType, Locate(s, f, r, c, sc), what,
                    as_error ? Severity::kError : Severity::kWarning};
            if (as_error) {
              AddError(std::move(e));
            } else {
              AddWarning(std::move(e));
            }
          }
        }
      }
    }
  }
}

ParseResult Parser::Run() {
  size_t start = 0;
  while (start < in_.size() && (in_[start] == '\r' || in_[start] == '\n')) ++start;
  std::string_view body = in_.substr(start);
  if (body.size() < 3 || body.substr(0, 3) != "MSH") {
    ErrorLocation w;
    w.segment_index = 1;
    result_.errors.push_back(Error{ErrorCode::kSegmentSequence, w, "message does not start with MSH"});
    return std::move(result_);
  }
  Delimiters d;
  size_t msh2_end = 0;
  if (!read_delimiters(body, &d, &msh2_end)) {
    ErrorLocation w;
    w.segment_id = "MSH";
    w.segment_sequence = 1;
    w.segment_index = 1;
    w.field = 2;
    result_.errors.push_back(
        Error{ErrorCode::kDataType, w,
              "invalid delimiters in MSH-1/MSH-2 (need 4 or 5 distinct non-alphanumeric "
              "printable characters)"});
    return std::move(result_);
  }
  msg_.header_.delimiters = d;
  msg_.text_ = in_;
  BuildTable();
  pos_ = start;

  const size_t max_bytes = std::min(lim_.max_message_bytes, kMaxOffset);
  const bool oversize = in_.size() > max_bytes;
  const size_t n = std::min(in_.size(), max_bytes);
  msg_.seps_.reserve(std::min<size_t>(n / 8 + 16, 1 << 16));
  msg_.segments_.reserve(std::min<size_t>(n / 64 + 4, 1 << 12));

  bool scanned_all = true;
  while (pos_ < n) {
    if (!ScanSegment(n)) {
      scanned_all = false;
      break;
    }
    if (oversize) break;  // only the MSH is read, for the header
  }
  if (oversize) {
    AddError(Error{ErrorCode::kValueTooLong, ErrorLocation{},
                   "message longer than max_message_bytes"});
  }
  if (!msg_.segments_.empty()) {
    ReadHeader();
    result_.header = msg_.header_;
  }
  if (!scanned_all || oversize) return std::move(result_);

  CheckCharset();
  CheckRequired();
  CheckEscapes();
  if (result_.errors.empty()) result_.message = std::move(msg_);
  return std::move(result_);
}

ParseResult parse(std::string_view er7, const ParseOptions& options) noexcept {
  Parser parser(er7, options);
  return parser.Run();
}

}  // namespace gw::hl7
