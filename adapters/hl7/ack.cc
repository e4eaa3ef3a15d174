#include "adapters/hl7/ack.h"

namespace gw::hl7 {
namespace {

constexpr size_t kMaxEchoBytes = 1024;
constexpr size_t kMaxEchoDelimiters = 8;

bool IsOldErrForm(const Header& h) {
  // Only a version that parses and is before 2.5 gets the old ERR-1 form.
  return !h.version_id.empty() && h.version_at_least(2, 0) && !h.version_at_least(2, 5);
}

class AckWriter {
 public:
  explicit AckWriter(const Header& h) : d_(h.delimiters) {
    declared_ = !h.charset.empty() && lookup_charset(h.charset, &cs_);
    if (!declared_) cs_ = Charset::kUtf8;
  }
  bool declared() const { return declared_; }

  // Escaped text.
  void Text(std::string_view utf8) { append_escaped(utf8_to_charset(utf8, cs_), d_, &out_); }
  // Raw ER7 echoed: already escaped by its sender in these delimiters, but it
  // must not carry anything that ends a field or a segment, or MLLP bytes.
  void Raw(std::string_view er7) {
    if (er7.size() > kMaxEchoBytes) return;
    // MSH-3..6 are HD: a few components. A field with many delimiters is
    // junk (or hostile) and could trip the peer's own parser limits.
    size_t inner = 0;
    for (char c : er7) {
      inner += c == d_.component || c == d_.subcomponent || c == d_.repetition;
    }
    if (inner > kMaxEchoDelimiters) return;
    // Bytes invalid in the declared charset (often why the message is being
    // rejected) would make the ACK itself invalid: leave the field empty.
    if (declared_ && find_invalid_byte(er7, cs_) != std::string_view::npos) return;
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (char c : er7) {
      auto u = static_cast<unsigned char>(c);
      if (c == d_.field) {
        out_.append({d_.escape, 'F', d_.escape});
      } else if (u < 0x20 || u == 0x7F) {
        out_.append({d_.escape, 'X', kHex[u >> 4], kHex[u & 0xF], d_.escape});
      } else {
        out_.push_back(c);
      }
    }
  }
  void Field() { out_.push_back(d_.field); }
  void Comp() { out_.push_back(d_.component); }
  void Sub() { out_.push_back(d_.subcomponent); }
  void Literal(std::string_view s) { out_.append(s); }
  void EndSegment() {
    // Drop trailing empty fields.
    while (!out_.empty() && out_.back() == d_.field) out_.pop_back();
    out_.push_back('\r');
  }
  std::string Take() { return std::move(out_); }

 private:
  Delimiters d_;
  Charset cs_ = Charset::kUtf8;
  bool declared_ = false;  // MSH-18 names a supported charset: it is echoed
  std::string out_;
};

std::string Num(int n) { return n > 0 ? std::to_string(n) : std::string(); }

// Location components seg^seq^field[^rep^comp^sub]; with `trim`, trailing
// empty components are cut.
void WriteLocation(AckWriter& w, const ErrorLocation& where, int count, bool trim) {
  std::string parts[6] = {where.segment_id,     Num(where.segment_sequence),
                          Num(where.field),     Num(where.repetition),
                          Num(where.component), Num(where.subcomponent)};
  int last = count - 1;
  while (trim && last > 0 && parts[last].empty()) --last;
  for (int i = 0; i <= last; ++i) {
    if (i > 0) w.Comp();
    w.Text(parts[i]);
  }
}

std::string Detail(const Error& e) {
  std::string detail = e.detail;
  if (e.where.segment_id.empty() && e.where.segment_index > 0) {
    detail += " [at " + e.where.to_string() + "]";
  }
  return detail;
}

int ParseSmallInt(std::string_view s) {
  int v = 0;
  if (s.empty() || s.size() > 9) return 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

const char* ack_code_text(AckCode code) {
  switch (code) {
    case AckCode::kAA:
      return "AA";
    case AckCode::kAE:
      return "AE";
    case AckCode::kAR:
      return "AR";
    case AckCode::kCA:
      return "CA";
    case AckCode::kCE:
      return "CE";
    case AckCode::kCR:
      return "CR";
  }
  return "AR";
}

bool parse_ack_code(std::string_view text, AckCode* out) {
  static constexpr AckCode kAll[] = {AckCode::kAA, AckCode::kAE, AckCode::kAR,
                                     AckCode::kCA, AckCode::kCE, AckCode::kCR};
  for (AckCode c : kAll) {
    if (text == ack_code_text(c)) {
      *out = c;
      return true;
    }
  }
  return false;
}

namespace {

AckDecision Decide(const std::string& condition, Outcome outcome, bool enhanced_codes) {
  AckDecision d;
  switch (outcome) {
    case Outcome::kAccept:
      d.code = enhanced_codes ? AckCode::kCA : AckCode::kAA;
      break;
    case Outcome::kError:
      d.code = enhanced_codes ? AckCode::kCE : AckCode::kAE;
      break;
    case Outcome::kReject:
      d.code = enhanced_codes ? AckCode::kCR : AckCode::kAR;
      break;
  }
  if (condition == "NE") {
    d.send = false;
  } else if (condition == "ER") {
    d.send = outcome != Outcome::kAccept;
  } else if (condition == "SU") {
    d.send = outcome == Outcome::kAccept;
  } else {
    d.send = true;  // AL, empty, or unknown
  }
  return d;
}

}  // namespace

AckDecision decide_ack(const Header& h, Outcome outcome) noexcept {
  if (!h.enhanced_ack_mode()) return Decide("AL", outcome, false);
  return Decide(h.accept_ack_type, outcome, true);
}

AckDecision decide_application_ack(const Header& h, Outcome outcome) noexcept {
  if (!h.enhanced_ack_mode()) return Decide("AL", outcome, false);
  return Decide(h.application_ack_type, outcome, false);
}

std::string build_ack(const Header& in, AckCode code, const AckParams& p) noexcept {
  AckWriter w(in);
  const bool old_form = IsOldErrForm(in);
  w.Literal("MSH");
  w.Field();
  w.Literal(in.delimiters.encoding_characters());
  w.Field();
  w.Raw(p.sending_application.empty() ? in.receiving_application : p.sending_application);
  w.Field();
  w.Raw(p.sending_facility.empty() ? in.receiving_facility : p.sending_facility);
  w.Field();
  w.Raw(in.sending_application);
  w.Field();
  w.Raw(in.sending_facility);
  w.Field();
  w.Text(p.timestamp);
  w.Field();  // MSH-8 security
  w.Field();
  w.Literal("ACK");
  w.Comp();
  w.Text(in.trigger_event);
  w.Comp();
  w.Literal("ACK");
  w.Field();
  w.Text(p.control_id);
  w.Field();
  w.Text(in.processing_id);
  w.Field();
  w.Text(in.version_id.empty() ? std::string(kAssumedVersion) : in.version_id);
  // Echo MSH-18 only for a charset this ACK is really written in; an unknown
  // one (the usual reason for rejecting) would make the ACK unreadable too.
  if (w.declared()) {
    for (int f = 13; f <= 18; ++f) w.Field();
    w.Text(in.charset);
  }
  w.EndSegment();

  w.Literal("MSA");
  w.Field();
  w.Literal(ack_code_text(code));
  w.Field();
  w.Text(in.control_id);
  if (!in.version_at_least(2, 7)) {
    std::string text = p.text;
    if (text.empty() && old_form && !p.errors.empty()) text = p.errors.front().to_string();
    w.Field();
    w.Text(text);
  }
  w.EndSegment();

  for (const Error& e : p.errors) {
    std::string code_num = std::to_string(static_cast<int>(e.code));
    w.Literal("ERR");
    w.Field();
    if (old_form) {
      // ERR-1 ELD: segment id ^ sequence ^ field ^ CE(code & text & system)
      WriteLocation(w, e.where, 3, false);  // all three: the code follows
      w.Comp();
      w.Text(code_num);
      w.Sub();
      w.Text(error_code_text(e.code));
      w.Sub();
      w.Literal("HL70357");
    } else {
      w.Field();  // ERR-2 ERL
      if (!e.where.segment_id.empty()) WriteLocation(w, e.where, 6, true);
      w.Field();  // ERR-3 CWE
      w.Text(code_num);
      w.Comp();
      w.Text(error_code_text(e.code));
      w.Comp();
      w.Literal("HL70357");
      w.Field();  // ERR-4
      w.Literal(std::string(1, static_cast<char>(e.severity)));
      w.Field();  // ERR-5 application error code
      w.Field();  // ERR-6 application error parameter
      w.Field();  // ERR-7 diagnostic information
      w.Field();  // ERR-8 user message
      w.Text(Detail(e));
    }
    w.EndSegment();
  }
  return w.Take();
}

std::string build_ack_for_unparseable(std::string_view raw, AckCode code,
                                      const AckParams& p) noexcept {
  Header h;
  while (!raw.empty() && (raw.front() == '\r' || raw.front() == '\n')) raw.remove_prefix(1);
  size_t msh2_end = 0;
  Delimiters d;
  if (raw.substr(0, 3) == "MSH" && read_delimiters(raw.substr(0, 64), &d, &msh2_end)) {
    h.delimiters = d;
    // The first segment only, bounded: salvage needs the leading fields.
    std::string_view seg = raw.substr(0, std::min<size_t>(raw.size(), 1 << 16));
    seg = seg.substr(0, seg.find_first_of("\r\n"));
    std::vector<std::string_view> fields = {seg.substr(0, 3), seg.substr(3, 1)};
    size_t start = 4;
    for (size_t i = 4; i <= seg.size() && fields.size() <= 18; ++i) {
      if (i == seg.size() || seg[i] == d.field) {
        fields.push_back(seg.substr(start, i - start));
        start = i + 1;
      }
    }
    auto raw_field = [&](size_t n) { return n < fields.size() ? fields[n] : std::string_view(); };
    Charset cs = Charset::kLatin1;
    Element msh18(raw_field(18), Element::Level::kField, d, Charset::kLatin1);
    std::string charset = msh18.leaf().text_or_empty();
    if (!lookup_charset(charset, &cs)) {
      charset.clear();  // unknown: the ACK declares none and is written in UTF-8
      cs = is_valid_utf8(seg) ? Charset::kUtf8 : Charset::kLatin1;
    }
    auto text = [&](size_t n, int comp) {
      Element e(raw_field(n), Element::Level::kField, d, cs);
      return comp > 0 ? e.part(comp).leaf().text_or_empty() : e.leaf().text_or_empty();
    };
    h.sending_application = std::string(raw_field(3));
    h.sending_facility = std::string(raw_field(4));
    h.receiving_application = std::string(raw_field(5));
    h.receiving_facility = std::string(raw_field(6));
    h.trigger_event = text(9, 2);
    h.control_id = text(10, 0);
    h.processing_id = text(11, 1);
    h.version_id = text(12, 1);
    h.charset = charset;
  }
  return build_ack(h, code, p);
}

gw::Result<AckSummary> read_ack(std::string_view ack, const ParseOptions& options) noexcept {
  ParseOptions o = options;
  o.require_header_fields = false;
  o.check_escapes = false;
  // Only codes and control ids are read from a peer's answer: a stray control
  // byte in its free text must not make the answer unreadable (and the
  // message resent forever).
  o.refuse_control_characters = false;
  ParseResult r = parse(ack, o);
  if (!r.ok()) {
    std::string error = "ACK could not be parsed";
    if (!r.errors.empty()) error += ": " + r.errors.front().to_string();
    return invalid_argument_error(std::move(error));
  }
  const Message& m = *r.message;
  auto msa = m.find("MSA");
  if (!msa) return invalid_argument_error("ACK has no MSA segment");
  AckSummary s;
  s.code = msa->get(1);
  AckCode c;
  if (parse_ack_code(s.code, &c)) s.ack_code = c;
  s.control_id = msa->get(2);
  s.text = msa->get(3);
  s.message_control_id = m.header().control_id;
  for (SegmentView err : m.segments("ERR")) {
    Element erl = err.field(2);
    Element code = err.field(3);
    if (!erl.empty() || !code.empty()) {
      AckSummary::Err e;
      e.code = code.part(1).leaf().text_or_empty();
      e.text = code.part(2).leaf().text_or_empty();
      e.coding_system = code.part(3).leaf().text_or_empty();
      e.severity = err.get(4);
      e.diagnostic = err.get(7);
      e.user_message = err.get(8);
      e.where.segment_id = erl.part(1).leaf().text_or_empty();
      e.where.segment_sequence = ParseSmallInt(erl.part(2).leaf().text_or_empty());
      e.where.field = ParseSmallInt(erl.part(3).leaf().text_or_empty());
      e.where.repetition = ParseSmallInt(erl.part(4).leaf().text_or_empty());
      e.where.component = ParseSmallInt(erl.part(5).leaf().text_or_empty());
      e.where.subcomponent = ParseSmallInt(erl.part(6).leaf().text_or_empty());
      s.errors.push_back(std::move(e));
      continue;
    }
    Element eld_field = err.field(1);
    for (int i = 1; i <= eld_field.child_count(); ++i) {
      Element eld = eld_field.child(i);
      if (eld.empty()) continue;
      AckSummary::Err e;
      e.where.segment_id = eld.part(1).leaf().text_or_empty();
      e.where.segment_sequence = ParseSmallInt(eld.part(2).leaf().text_or_empty());
      e.where.field = ParseSmallInt(eld.part(3).leaf().text_or_empty());
      Element ce = eld.part(4);
      e.code = ce.part(1).text_or_empty();
      e.text = ce.part(2).text_or_empty();
      e.coding_system = ce.part(3).text_or_empty();
      s.errors.push_back(std::move(e));
    }
  }
  return s;
}

}  // namespace gw::hl7
