// The single pass that indexes a message: segment and field boundaries,
// limits, then header, charset, required-field and escape checks.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>

#include "adapters/hl7/er7.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gw::hl7 {

namespace {

constexpr size_t kMaxOffset = std::numeric_limits<uint32_t>::max() - 1;

bool IsHeaderLikeId(std::string_view id) { return id == "MSH" || id == "FHS" || id == "BHS"; }

}  // namespace

class Parser {
 public:
  Parser(std::string_view in, const ParseOptions& o) : in_(in), opt_(o), lim_(o.limits) {}
  ParseResult Run();

 private:
  enum Class : uint8_t { kOrd = 0, kTerm, kFld, kRep, kCmp, kSub, kEsc, kHigh, kCtl };

  // Per-segment counters, one per nesting level of the element being
  // scanned, checked against the limits as each separator is seen.
  struct Counters {
    size_t fields, reps = 1, comps = 1, subs = 1;
    size_t field_start;
  };

  void BuildTable();
  // Scans the segment starting at pos_ (bounded by n), appending it to msg_
  // and advancing pos_ past its terminator. Returns false on a limit error.
  bool ScanSegment(size_t n);
  // Accounts for the separator of class c at offset i. Returns the limit
  // broken (a static description) or nullptr.
  const char* Separator(uint8_t c, size_t i, Counters& k);
  void ReadHeader();
  void CheckCharset();
  void CheckRequired();
  void CheckControls();
  void CheckEscapes();

  // Location of segment seg_index whose id is `id`; the id is reported only
  // when it cannot be content (see is_reportable_segment_id).
  ErrorLocation Locate(size_t seg_index, std::string_view id, int field = 0, int rep = 0,
                       int comp = 0, int sub = 0) const;
  ErrorLocation Locate(size_t seg_index, int field = 0, int rep = 0, int comp = 0,
                       int sub = 0) const {
    return Locate(seg_index, msg_.segment(seg_index).id(), field, rep, comp, sub);
  }
  // Location of the leaf of field `field` (raw text `raw`) holding byte `at`.
  ErrorLocation LocateIn(size_t seg_index, int field, std::string_view raw, size_t at) const;
  void Add(std::vector<Error>* list, bool* capped, Error e);
  void AddError(Error e) { Add(&result_.errors, &errors_capped_, std::move(e)); }
  void AddWarning(Error e) { Add(&result_.warnings, &warnings_capped_, std::move(e)); }

  std::string_view in_;
  const ParseOptions& opt_;
  const Limits& lim_;
  ParseResult result_;
  Message msg_;
  // Built in place in its shared allocation, then shared with msg_ and result_.
  std::shared_ptr<Header> header_ = std::make_shared<Header>();
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

ErrorLocation Parser::LocateIn(size_t seg_index, int field, std::string_view raw, size_t at) const {
  const Delimiters& d = msg_.delims_;
  int rep = 1, comp = 1, sub = 1;
  for (size_t k = 0; k < at && k < raw.size(); ++k) {
    if (raw[k] == d.repetition) {
      ++rep;
      comp = sub = 1;
    } else if (raw[k] == d.component) {
      ++comp;
      sub = 1;
    } else if (raw[k] == d.subcomponent) {
      ++sub;
    }
  }
  return Locate(seg_index, field, rep, comp, sub);
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
  const Delimiters& d = msg_.delims_;
  std::memset(cls_, kOrd, 128);
  std::memset(cls_ + 128, kHigh, 128);
  for (int c = 0; c < 0x20; ++c) cls_[c] = kCtl;
  cls_[0x7F] = kCtl;
  cls_[static_cast<uint8_t>('\t')] = kOrd;  // text (FHIR strings allow it)
  cls_[static_cast<uint8_t>('\r')] = kTerm;
  cls_[static_cast<uint8_t>('\n')] = kTerm;
  cls_[static_cast<uint8_t>(d.field)] = kFld;
  cls_[static_cast<uint8_t>(d.repetition)] = kRep;
  cls_[static_cast<uint8_t>(d.component)] = kCmp;
  cls_[static_cast<uint8_t>(d.subcomponent)] = kSub;
  cls_[static_cast<uint8_t>(d.escape)] = kEsc;
}

__attribute__((always_inline)) inline const char* Parser::Separator(uint8_t c, size_t i,
                                                                    Counters& k) {
  switch (c) {
    case kFld:
      if (i - k.field_start > lim_.max_field_bytes) return "field longer than max_field_bytes";
      if (++k.fields > lim_.max_fields_per_segment) {
        k.fields = 0;  // the error names the segment, not a field
        return "more fields than max_fields_per_segment";
      }
      msg_.seps_.push_back(static_cast<uint32_t>(i));
      k.field_start = i + 1;
      k.reps = k.comps = k.subs = 1;
      return nullptr;
    case kRep:
      if (++k.reps > lim_.max_repetitions_per_field) {
        return "more repetitions than max_repetitions_per_field";
      }
      k.comps = k.subs = 1;
      return nullptr;
    case kCmp:
      if (++k.comps > lim_.max_components) return "more components than max_components";
      k.subs = 1;
      return nullptr;
    default:  // kSub
      if (++k.subs > lim_.max_subcomponents) return "more subcomponents than max_subcomponents";
      return nullptr;
  }
}

bool Parser::ScanSegment(size_t n) {
  const auto* p = reinterpret_cast<const uint8_t*>(in_.data());
  const Delimiters& d = msg_.delims_;
  const auto field_sep = static_cast<uint8_t>(d.field);
  const size_t seg_index = msg_.segments_.size();
  const size_t begin = pos_;

  // The id, for error locations, before anything is recorded.
  size_t id_end = begin;
  while (id_end < n && id_end - begin < 4 && cls_[p[id_end]] != kFld && cls_[p[id_end]] != kTerm) {
    ++id_end;
  }
  const std::string_view id = in_.substr(begin, id_end - begin);
  if (seg_index >= lim_.max_segments) {
    AddError(
        Error{ErrorCode::kValueTooLong, Locate(seg_index, id), "more segments than max_segments"});
    return false;
  }

  Message::SegmentIndex seg{static_cast<uint32_t>(begin),
                            0,
                            static_cast<uint32_t>(msg_.seps_.size()),
                            0,
                            false,
                            false,
                            false,
                            false};
  size_t i = begin;
  // MSH, FHS and BHS: field 1 is the separator itself and field 2 (the
  // encoding characters) is not split on the characters it declares.
  if (n - i >= 4 && p[i + 3] == field_sep && IsHeaderLikeId(in_.substr(i, 3))) {
    seg.header_like = true;
    msg_.seps_.push_back(static_cast<uint32_t>(i + 3));
    i += 4;
    while (i < n && p[i] != field_sep && cls_[p[i]] != kTerm) ++i;
  }
  Counters k;
  k.fields = msg_.seps_.size() - seg.first_sep;
  k.field_start = seg.header_like ? begin + 4 : begin;
  const char* broken = nullptr;
  const uint8_t* cls = cls_;
  bool escape = false, high = false, control = false;

#if defined(__SSE2__)
  // 16 bytes at a time: a bitmask of the separators and terminators, walked
  // bit by bit (HL7 has a separator every few bytes), while escape and 8-bit
  // bytes only set flags.
  const __m128i v_fld = _mm_set1_epi8(static_cast<char>(d.field));
  const __m128i v_rep = _mm_set1_epi8(static_cast<char>(d.repetition));
  const __m128i v_cmp = _mm_set1_epi8(static_cast<char>(d.component));
  const __m128i v_sub = _mm_set1_epi8(static_cast<char>(d.subcomponent));
  const __m128i v_esc = _mm_set1_epi8(static_cast<char>(d.escape));
  const __m128i v_cr = _mm_set1_epi8('\r');
  const __m128i v_lf = _mm_set1_epi8('\n');
  const __m128i v_1f = _mm_set1_epi8(0x1F);
  const __m128i v_tab = _mm_set1_epi8('\t');
  const __m128i v_del = _mm_set1_epi8(0x7F);
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i seps =
        _mm_or_si128(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, v_fld), _mm_cmpeq_epi8(v, v_rep)),
                                  _mm_or_si128(_mm_cmpeq_epi8(v, v_cmp), _mm_cmpeq_epi8(v, v_sub))),
                     _mm_or_si128(_mm_cmpeq_epi8(v, v_cr), _mm_cmpeq_epi8(v, v_lf)));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(seps));
    unsigned esc_mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, v_esc)));
    unsigned high_mask = static_cast<unsigned>(_mm_movemask_epi8(v));
    // Bytes <= 0x1F (unsigned) other than TAB, and DEL. CR and LF are in it
    // too, but only bits before the terminator are used.
    const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, v_1f), v);
    unsigned ctl_mask = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, v_tab), low), _mm_cmpeq_epi8(v, v_del))));
    while (mask != 0) {
      const unsigned bit = static_cast<unsigned>(__builtin_ctz(mask));
      const size_t j = i + bit;
      const uint8_t c = cls[p[j]];
      if (c == kTerm) {
        const unsigned before = (1u << bit) - 1;
        escape |= (esc_mask & before) != 0;
        high |= (high_mask & before) != 0;
        control |= (ctl_mask & before) != 0;
        i = j;
        goto done;
      }
      broken = Separator(c, j, k);
      if (broken != nullptr) goto done;
      mask &= mask - 1;
    }
    escape |= esc_mask != 0;
    high |= high_mask != 0;
    control |= ctl_mask != 0;
    i += 16;
  }
#endif
  for (; i < n; ++i) {
    const uint8_t c = cls[p[i]];
    if (c == kOrd) continue;
    if (c == kTerm) break;
    if (c == kEsc) {
      escape = true;
    } else if (c == kHigh) {
      high = true;
    } else if (c == kCtl) {
      control = true;
    } else {
      broken = Separator(c, i, k);
      if (broken != nullptr) break;
    }
  }
done:
  if (broken == nullptr && i - k.field_start > lim_.max_field_bytes) {
    broken = "field longer than max_field_bytes";
  }
  if (broken != nullptr) {
    AddError(
        Error{ErrorCode::kValueTooLong, Locate(seg_index, id, static_cast<int>(k.fields)), broken});
    return false;
  }
  seg.has_escape = escape;
  seg.has_high = high;
  seg.has_control = control;
  has_high_ |= high;
  seg.end = static_cast<uint32_t>(i);
  seg.sep_count = static_cast<uint32_t>(msg_.seps_.size() - seg.first_sep);
  msg_.segments_.push_back(seg);

  std::string_view real_id = msg_.segment(seg_index).id();
  if (!is_valid_segment_id(real_id)) {
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
  Header& h = *header_;
  h.delimiters = msg_.delims_;
  SegmentView msh = msg_.segment(0);
  // MSH-18 first, so the other fields decode in the right charset.
  h.charset = msh.at(18, 1, 1, 1).text_or_empty();  // names are ASCII; others are unknown
  Charset cs = Charset::kLatin1;
  if (!h.charset.empty()) {
    if (!lookup_charset(h.charset, &cs)) {
      AddError(Error{ErrorCode::kTableValueNotFound, Locate(0, 18),
                     "unknown or unsupported character set in MSH-18"});
      cs = Charset::kLatin1;  // lossless for reading the rest of the header
    }
  } else {
    switch (opt_.default_charset) {
      case DefaultCharset::kAscii:
        cs = Charset::kAscii;
        break;
      case DefaultCharset::kLatin1:
        cs = Charset::kLatin1;
        break;
      case DefaultCharset::kUtf8:
        cs = Charset::kUtf8;
        break;
      case DefaultCharset::kUtf8OrLatin1:
        cs = !has_high_ || is_valid_utf8(in_.substr(0, msg_.segments_.back().end))
                 ? Charset::kUtf8
                 : Charset::kLatin1;
        break;
    }
  }
  msg_.charset_ = cs;

  // One pass per field: the leaves of the first repetition's first three
  // components (this runs for every message, so it avoids re-splitting).
  const Delimiters& d = msg_.delims_;
  auto first_leaves = [&](std::string_view raw, Element out[3]) {
    size_t start = 0;
    for (int c = 0; c < 3; ++c) {
      size_t end = start;
      while (end < raw.size() && raw[end] != d.component && raw[end] != d.subcomponent &&
             raw[end] != d.repetition) {
        ++end;
      }
      out[c] = Element(raw.substr(start, end - start), Element::Level::kSubcomponent, d, cs);
      // Skip the rest of this component; stop at the end of the repetition.
      while (end < raw.size() && raw[end] != d.component && raw[end] != d.repetition) ++end;
      if (end >= raw.size() || raw[end] == d.repetition) {
        for (int r = c + 1; r < 3; ++r) out[r] = Element();
        return;
      }
      start = end + 1;
    }
  };
  Element leaves[3];
  auto hd = [&](int field, HD* out) {
    std::string_view raw = msh.field(field).raw();
    first_leaves(raw, leaves);
    out->namespace_id = leaves[0].text_or_empty();
    out->universal_id = leaves[1].text_or_empty();
    out->universal_id_type = leaves[2].text_or_empty();
    return std::string(raw);
  };
  h.sending_application = hd(3, &h.sending_application_hd);
  h.sending_facility = hd(4, &h.sending_facility_hd);
  h.receiving_application = hd(5, &h.receiving_application_hd);
  h.receiving_facility = hd(6, &h.receiving_facility_hd);
  h.timestamp = msh.get(7);
  first_leaves(msh.field(9).raw(), leaves);
  h.message_code = leaves[0].text_or_empty();
  h.trigger_event = leaves[1].text_or_empty();
  h.message_structure = leaves[2].text_or_empty();
  h.control_id = msh.get(10);
  h.processing_id = msh.get(11);
  h.version_id = msh.get(12);
  h.sequence_number = msh.get(13);
  h.accept_ack_type = msh.get(15);
  h.application_ack_type = msh.get(16);
}

void Parser::CheckCharset() {
  const Charset cs = msg_.charset_;
  if (!has_high_) return;
  if (cs == Charset::kLatin1 || cs == Charset::kLatin9 || cs == Charset::kWindows1252) {
    // Every byte is valid here, so a sender that writes UTF-8 under an 8-bit
    // declaration gets mangled names ("Ã«" for "ë") and no error. Text that
    // is valid UTF-8 with multi-byte sequences is almost never 8-bit text.
    if (is_valid_utf8(in_.substr(0, msg_.segments_.back().end))) {
      AddWarning(Error{ErrorCode::kDataType, Locate(0, 18, 0, 1),
                       "MSH-18 declares an 8-bit character set but the text is valid UTF-8; "
                       "read as declared",
                       Severity::kWarning});
    }
    if (cs != Charset::kWindows1252) return;
  }
  for (size_t s = 0; s < msg_.segments_.size(); ++s) {
    if (!msg_.segments_[s].has_high) continue;
    SegmentView seg = msg_.segment(s);
    // A non-ASCII byte in the id is already an invalid segment identifier.
    for (int f = 1; f <= seg.field_count(); ++f) {
      std::string_view raw = seg.field(f).raw();
      size_t bad = find_invalid_byte(raw, cs);
      if (bad == std::string_view::npos) continue;
      AddError(Error{ErrorCode::kDataType, LocateIn(s, f, raw, bad),
                     cs == Charset::kAscii
                         ? "byte outside ASCII; MSH-18 does not declare an 8-bit character set"
                     : cs == Charset::kWindows1252
                         ? "byte undefined in the character set in MSH-18 (CP1252)"
                         : "invalid UTF-8 sequence for the character set in MSH-18"});
    }
  }
}

void Parser::CheckRequired() {
  if (!opt_.require_header_fields) return;
  const Header& h = *header_;
  auto need = [&](bool present, int field, int comp) {
    if (!present) {
      AddError(Error{ErrorCode::kRequiredFieldMissing, Locate(0, field, 0, comp),
                     "required MSH field is empty"});
    }
  };
  need(!h.message_code.empty(), 9, 1);
  need(!h.control_id.empty(), 10, 0);
  need(!h.processing_id.empty(), 11, 1);
  if (h.version_id.empty()) {
    AddWarning(Error{ErrorCode::kRequiredFieldMissing, Locate(0, 12, 0, 1),
                     "required MSH field is empty; read as HL7 v" + std::string(kAssumedVersion),
                     Severity::kWarning});
  }
}

// Control characters written as bytes. C0 and DEL were flagged per segment
// by the scan; C1 controls depend on the charset, so segments with 8-bit
// bytes are looked at too when the charset has them. One error per field,
// at the first one. Decoded ones (\X00\) are CheckEscapes' part.
void Parser::CheckControls() {
  if (!opt_.refuse_control_characters) return;
  const Charset cs = msg_.charset_;
  const bool c1 = cs == Charset::kLatin1 || cs == Charset::kLatin9 || cs == Charset::kUtf8;
  for (size_t s = 0; s < msg_.segments_.size(); ++s) {
    const Message::SegmentIndex& index = msg_.segments_[s];
    if (!index.has_control && !(c1 && index.has_high)) continue;
    SegmentView seg = msg_.segment(s);
    // A control in the segment id is already an invalid segment identifier.
    for (int f = 1; f <= seg.field_count(); ++f) {
      std::string_view raw = seg.field(f).raw();
      size_t at = find_control_character(raw, cs);
      if (at == std::string_view::npos) continue;
      AddError(Error{ErrorCode::kDataType, LocateIn(s, f, raw, at),
                     static_cast<unsigned char>(raw[at]) >= 0x80
                         ? "C1 control character (U+0080-U+009F) in the value; a sender writing "
                           "Windows-1252 must declare it in MSH-18"
                         : "control character in the value (only TAB is allowed; line breaks "
                           "are written \\.br\\ or \\X0A\\)"});
    }
  }
}

void Parser::CheckEscapes() {
  if (!opt_.check_escapes && !opt_.refuse_control_characters) return;
  const Delimiters& d = msg_.delims_;
  for (size_t s = 0; s < msg_.segments_.size(); ++s) {
    if (!msg_.segments_[s].has_escape) continue;
    SegmentView seg = msg_.segment(s);
    const int first = msg_.segments_[s].header_like ? 3 : 1;  // MSH-1/-2 are verbatim
    for (int f = first; f <= seg.field_count(); ++f) {
      std::string_view raw = seg.field(f).raw();
      if (raw.find(d.escape) == std::string_view::npos) continue;
      // One linear pass over the field, leaf by leaf (escapes are decoded
      // per leaf, after splitting).
      int rep = 1, comp = 1, sub = 1;
      size_t start = 0;
      for (size_t k = 0; k <= raw.size(); ++k) {
        const bool end = k == raw.size();
        const char c = end ? '\0' : raw[k];
        if (!end && c != d.repetition && c != d.component && c != d.subcomponent) continue;
        std::string_view leaf = raw.substr(start, k - start);
        unsigned issues = check_escapes(leaf, d, msg_.charset_);
        if ((issues & kControlChar) && opt_.refuse_control_characters) {
          AddError(Error{ErrorCode::kDataType, Locate(s, f, rep, comp, sub),
                         "escape sequence decodes to a control character"});
        }
        issues &= opt_.check_escapes ? ~unsigned{kControlChar} : 0u;
        if (issues != kEscapeOk) {
          const char* what = (issues & kUnsupportedEscape)
                                 ? "ISO 2022 character set escape (\\C or \\M) not supported"
                             : (issues & kMalformedEscape)
                                 ? "malformed escape sequence kept as literal text"
                                 : "escaped bytes not valid in the message character set";
          const bool as_error = opt_.strict_escapes;
          Error e{ErrorCode::kDataType, Locate(s, f, rep, comp, sub), what,
                  as_error ? Severity::kError : Severity::kWarning};
          if (as_error) {
            AddError(std::move(e));
          } else {
            AddWarning(std::move(e));
          }
        }
        start = k + 1;
        if (c == d.repetition) {
          ++rep;
          comp = sub = 1;
        } else if (c == d.component) {
          ++comp;
          sub = 1;
        } else {
          ++sub;
        }
      }
    }
  }
}

ParseResult Parser::Run() {
  size_t start = 0;
  while (start < in_.size() && (in_[start] == '\r' || in_[start] == '\n')) ++start;
  if (has_utf8_bom(in_.substr(start))) {
    // Files saved by Windows editors and some interface engines start with
    // a UTF-8 byte-order mark; it is not content, so it is skipped (noted).
    in_ = in_.substr(start + kUtf8Bom.size());
    start = 0;
    while (start < in_.size() && (in_[start] == '\r' || in_[start] == '\n')) ++start;
    AddWarning(Error{ErrorCode::kMessageAccepted, ErrorLocation{}, "UTF-8 byte-order mark skipped",
                     Severity::kInformation});
  }
  std::string_view body = in_.substr(start);
  if (body.size() < 3 || body.substr(0, 3) != "MSH") {
    ErrorLocation w;
    w.segment_index = 1;
    result_.errors.push_back(
        Error{ErrorCode::kSegmentSequence, w, "message does not start with MSH"});
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
  msg_.delims_ = d;
  msg_.text_ = in_;
  BuildTable();
  pos_ = start;

  const size_t max_bytes = std::min(lim_.max_message_bytes, kMaxOffset);
  const bool oversize = in_.size() > max_bytes;
  const size_t n = std::min(in_.size(), max_bytes);
  // Typical HL7 has a field separator every ~8 bytes and a segment every ~80.
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
    AddError(
        Error{ErrorCode::kValueTooLong, ErrorLocation{}, "message longer than max_message_bytes"});
  }
  if (!msg_.segments_.empty()) ReadHeader();
  if (scanned_all && !oversize) {
    CheckCharset();
    CheckRequired();
    CheckControls();
    CheckEscapes();
  }
  if (!msg_.segments_.empty()) {
    result_.header = header_;
    msg_.header_ = std::move(header_);
  }
  if (scanned_all && !oversize && result_.errors.empty()) result_.message = std::move(msg_);
  return std::move(result_);
}

ParseResult parse(std::string_view er7, const ParseOptions& options) noexcept {
  Parser parser(er7, options);
  return parser.Run();
}

}  // namespace gw::hl7
