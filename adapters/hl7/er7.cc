#include "adapters/hl7/er7.h"

#include <algorithm>
#include <cstring>

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
    case Level::kField:
      return d_.repetition;
    case Level::kRepetition:
      return d_.component;
    case Level::kComponent:
      return d_.subcomponent;
    case Level::kSubcomponent:
      return 0;
  }
  return 0;
}

int Element::child_count() const {
  if (raw_.empty()) return 0;
  char sep = child_delimiter();
  if (verbatim_ || sep == 0) return 1;
  return 1 + static_cast<int>(std::count(raw_.begin(), raw_.end(), sep));
}

namespace {

// Offset of the next `c` in s at or after `from`, or s.size(). Most elements
// are a few bytes long, where a plain loop beats a call to memchr.
size_t FindFrom(std::string_view s, char c, size_t from) {
  if (s.size() - from < 32) {
    while (from < s.size() && s[from] != c) ++from;
    return from;
  }
  const void* hit = std::memchr(s.data() + from, c, s.size() - from);
  return hit ? static_cast<size_t>(static_cast<const char*>(hit) - s.data()) : s.size();
}

}  // namespace

Element Element::child(int i) const {
  if (i < 1 || raw_.empty()) return Element();
  char sep = child_delimiter();
  if (verbatim_ || sep == 0) return i == 1 ? *this : Element();
  auto next_level = static_cast<Level>(static_cast<int>(level_) + 1);
  size_t start = 0;
  for (int k = 1; k < i; ++k) {
    size_t hit = FindFrom(raw_, sep, start);
    if (hit == raw_.size()) return Element();
    start = hit + 1;
  }
  size_t end = FindFrom(raw_, sep, start);
  return Element(raw_.substr(start, end - start), next_level, d_, charset_);
}

Element::Children::iterator::iterator(const Element* parent, bool done)
    : parent_(parent), done_(done) {
  if (done_) return;
  const Element& p = *parent_;
  if (p.verbatim_ || p.child_delimiter() == 0) {
    current_ = p;  // a leaf's only child is itself
    last_ = true;
    return;
  }
  current_ = Element(std::string_view(), static_cast<Level>(static_cast<int>(p.level_) + 1), p.d_,
                     p.charset_);
  Advance();
}

void Element::Children::iterator::Advance() {
  if (last_) {
    done_ = true;
    return;
  }
  // Only the view changes from child to child.
  const std::string_view raw = parent_->raw_;
  const size_t end = FindFrom(raw, parent_->child_delimiter(), next_);
  current_.raw_ = raw.substr(next_, end - next_);
  last_ = end == raw.size();
  next_ = end + 1;
}

Element Element::part(int i) const {
  switch (level_) {
    case Level::kField:
      return child(1).child(i);
    case Level::kRepetition:
    case Level::kComponent:
      return child(i);
    case Level::kSubcomponent:
      return i == 1 ? *this : Element();
  }
  return Element();
}

void Element::parts(Element* out, int n) const {
  for (int i = 0; i < n; ++i) out[i] = Element();
  if (n < 1) return;
  if (level_ == Level::kSubcomponent) {
    out[0] = *this;
    return;
  }
  // The element whose children the parts are (as in part()).
  const Element base = level_ == Level::kField ? child(1) : *this;
  if (base.raw_.empty()) return;
  const char sep = base.child_delimiter();
  if (base.verbatim_ || sep == 0) {
    out[0] = base;
    return;
  }
  const auto next_level = static_cast<Level>(static_cast<int>(base.level_) + 1);
  const std::string_view raw = base.raw_;
  size_t start = 0;
  for (int i = 0; i < n; ++i) {
    const size_t end = FindFrom(raw, sep, start);
    out[i] = Element(raw.substr(start, end - start), next_level, base.d_, base.charset_);
    if (end == raw.size()) return;
    start = end + 1;
  }
}

Element Element::leaf() const {
  if (level_ == Level::kSubcomponent || verbatim_) return *this;
  // The first leaf ends at the first separator of any lower level, so one
  // pass finds it (this is the hot path of every defaulted get()).
  const char rep = level_ == Level::kField ? d_.repetition : d_.subcomponent;
  const char comp = level_ == Level::kComponent ? d_.subcomponent : d_.component;
  const char sub = d_.subcomponent;
  size_t end = 0;
  while (end < raw_.size() && raw_[end] != rep && raw_[end] != comp && raw_[end] != sub) ++end;
  return Element(raw_.substr(0, end), Level::kSubcomponent, d_, charset_);
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
    return Error{
        ErrorCode::kDataType, {}, "ISO 2022 character set escape (\\C or \\M) not supported"};
  }
  if (issues & kControlChar) {
    return Error{ErrorCode::kDataType, {}, "escape sequence decodes to a control character"};
  }
  if (strict && (issues & kMalformedEscape)) {
    return Error{ErrorCode::kDataType, {}, "malformed escape sequence"};
  }
  if (strict && (issues & kInvalidBytes)) {
    return Error{ErrorCode::kDataType, {}, "escaped bytes not valid in the message character set"};
  }
  return out;
}

namespace {

// True when `raw` decodes to itself: no escape character, and only ASCII or
// valid UTF-8 in a UTF-8 message.
bool DecodesToItself(std::string_view raw, char escape, Charset cs) {
  bool high = false;
  for (char c : raw) {
    if (c == escape) return false;
    high |= static_cast<unsigned char>(c) >= 0x80;
  }
  // Elements can be built from unvalidated text (and the header is read
  // before validation), so 8-bit UTF-8 is checked, not assumed.
  return !high || (cs == Charset::kUtf8 && is_valid_utf8(raw));
}

}  // namespace

std::string Element::text_or_empty() const {
  if (state() != ValueState::kValue) return std::string();
  if (raw_.size() <= 64 && DecodesToItself(raw_, verbatim_ ? '\0' : d_.escape, charset_)) {
    return std::string(raw_);
  }
  std::string out;
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
  return Error{ErrorCode::kApplicationInternalError,
               {},
               "malformed path (expected SEG[(n)][-F[(r)][.C[.S]]])"};
}

}  // namespace

Result<Path> Path::parse(std::string_view s) {
  Path p;
  if (s.size() < 3 || !is_valid_segment_id(s.substr(0, 3))) return PathError();
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
  const Delimiters& d = msg_->delims_;
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
  GW_ASSIGN_OR_RETURN(Path p, Path::parse(path));
  if (p.field < 1) return PathError();
  return element(p);
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

}  // namespace gw::hl7
