// HL7 v2 ER7 ("pipe and hat") parser.
//
//   ParseResult r = gw::hl7::parse(frame_payload);
//   if (!r.ok()) { /* r.errors: located, content-free; r.header if MSH was readable */ }
//   const Message& m = *r.message;
//   std::string family = m.get("PID-5.1");           // decoded UTF-8
//   for (SegmentView obx : m.segments("OBX")) { ... obx.get(5) ... }
//
// Zero copy: a Message keeps string_views into the buffer given to parse().
// That buffer must outlive the Message (and every Element, SegmentView and
// raw view taken from it) and must not be modified or moved meanwhile. Only
// the Header is owned (shared, immutable), so it may be kept after the buffer
// is gone. Copying a Message copies its index, not the text.
//
// parse() indexes segment and field boundaries in one pass over the bytes and
// enforces every Limit in that pass; repetitions, components and
// subcomponents are split lazily on access. Decoding (escapes, MSH-18 charset
// to UTF-8) happens on access. Character set validity is checked at parse
// time, so a successfully parsed Message only holds bytes valid in its charset.
//
// Costs for mapping code: field(n) is O(1); find(), count(), segments(id),
// paths with a segment occurrence and SegmentView::sequence() are linear in
// the number of segments; Element::child(i) is linear in the element's size,
// so loop with children() (one pass) rather than child(1..n).
//
// Nothing here throws on any input: problems are Error values. The only
// exception possible is std::bad_alloc; the entry points (parse, split_batch,
// parse_batch, build_ack*, read_ack) are noexcept, so it terminates there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/hl7/charset.h"
#include "adapters/hl7/error.h"
#include "adapters/hl7/escape.h"

namespace gw::hl7 {

// Bounds on everything the sender controls. Exceeding any of them is an Error
// (code kValueTooLong) and parsing stops: memory use is bounded by the limits,
// never by the input.
struct Limits {
  size_t max_message_bytes = 1 << 20;  // hard ceiling 4 GiB - 1 (offsets are 32-bit)
  size_t max_segments = 10000;
  size_t max_fields_per_segment = 1000;
  size_t max_field_bytes = 1 << 20;  // one field, all repetitions
  size_t max_repetitions_per_field = 1000;
  size_t max_components = 100;     // per repetition
  size_t max_subcomponents = 100;  // per component
  size_t max_errors = 50;          // errors/warnings beyond this are summarized in one entry
  // Batch files (split_batch / parse_batch).
  size_t max_batch_bytes = 64 << 20;
  size_t max_batch_messages = 100000;
};

// How to read a message whose MSH-18 is empty.
enum class DefaultCharset : unsigned char {
  kUtf8OrLatin1,  // UTF-8 if every byte sequence is valid UTF-8, else ISO 8859-1.
                  // Real feeds often send 8-bit Latin-1 without declaring it;
                  // valid UTF-8 is almost never accidental Latin-1.
  kAscii,         // strict: bytes >= 0x80 are errors
  kLatin1,
  kUtf8,  // strict: invalid UTF-8 is an error
};

// The UTF-8 byte-order mark. parse() and split_batch() skip one where a
// message, a file or a line starts, with an information-level note.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
inline bool has_utf8_bom(std::string_view s) { return s.substr(0, 3) == kUtf8Bom; }

struct ParseOptions {
  Limits limits;
  DefaultCharset default_charset = DefaultCharset::kUtf8OrLatin1;
  // MSH-9.1, MSH-10, MSH-11.1 and MSH-12.1 must be valued (error 101).
  bool require_header_fields = true;
  // Report malformed and ISO 2022 escape sequences found anywhere in the
  // message (as warnings, or as errors when strict_escapes is set). Costs a
  // scan of the fields that contain the escape character.
  bool check_escapes = true;
  bool strict_escapes = false;
  // Control characters in a field (see find_control_character in charset.h),
  // raw or decoded from \X, are errors (kDataType, located, never the text).
  // Only for reading a peer's ACK leniently is this turned off.
  bool refuse_control_characters = true;
};

// HD: hierarchic designator.
struct HD {
  std::string namespace_id, universal_id, universal_id_type;
};

// Owned copy of the MSH fields the pipeline and the ACK builder need. Unless
// noted, strings are decoded UTF-8 (escapes resolved).
struct Header {
  Delimiters delimiters;
  // Raw ER7 text of MSH-3..6 exactly as received (all components, escapes
  // intact), so that an ACK built with the same delimiters can echo them.
  std::string sending_application, sending_facility;
  std::string receiving_application, receiving_facility;
  // The same fields decoded.
  HD sending_application_hd, sending_facility_hd;
  HD receiving_application_hd, receiving_facility_hd;
  std::string timestamp;             // MSH-7.1 (DTM text)
  std::string message_code;          // MSH-9.1  "ADT"
  std::string trigger_event;         // MSH-9.2  "A01"
  std::string message_structure;     // MSH-9.3  "ADT_A01"
  std::string control_id;            // MSH-10
  std::string processing_id;         // MSH-11.1 "P", "D", "T"
  std::string version_id;            // MSH-12.1 "2.5.1" (empty: kAssumedVersion)
  std::string sequence_number;       // MSH-13
  std::string accept_ack_type;       // MSH-15 "AL", "NE", "ER", "SU" or empty
  std::string application_ack_type;  // MSH-16
  std::string charset;               // MSH-18 first repetition as declared (may be empty)

  // True when MSH-15 or MSH-16 is valued (enhanced acknowledgement mode).
  bool enhanced_ack_mode() const {
    return !accept_ack_type.empty() || !application_ack_type.empty();
  }
  // Compares MSH-12.1 ("2.5.1") with major.minor; false if it does not parse.
  bool version_at_least(int major, int minor) const;
};

// The version a message without MSH-12 is read as (with a warning), and its
// acknowledgement states. MSH-12 is required, but some senders leave it empty
// and everything else in such a message is readable: refusing it would lose
// a message for a field that changes nothing in how it is read here.
inline constexpr std::string_view kAssumedVersion = "2.5.1";

enum class ValueState : unsigned char {
  kAbsent,  // not present or empty: the sender says nothing
  kNull,    // "" : the sender says "delete / no value"
  kValue,
};

struct Value {
  ValueState state = ValueState::kAbsent;
  std::string text;  // decoded UTF-8; empty unless state == kValue

  bool has_value() const { return state == ValueState::kValue; }
  bool is_null() const { return state == ValueState::kNull; }
};

// A view of one element of a message: a field (all its repetitions), one
// repetition, a component or a subcomponent. Cheap to copy. An Element may be
// absent (a missing field or component); every accessor works on absent
// elements and returns empty results.
class Element {
 public:
  enum class Level : unsigned char { kField, kRepetition, kComponent, kSubcomponent };

  Element() = default;  // absent
  Element(std::string_view raw, Level level, const Delimiters& d, Charset charset,
          bool verbatim = false)
      : raw_(raw), d_(d), level_(level), charset_(charset), verbatim_(verbatim) {}

  // The ER7 text, escapes and inner delimiters intact; empty when absent.
  std::string_view raw() const { return raw_; }
  Level level() const { return level_; }
  const Delimiters& delimiters() const { return d_; }
  Charset charset() const { return charset_; }

  ValueState state() const;
  bool empty() const { return raw_.empty(); }
  bool is_null() const { return state() == ValueState::kNull; }
  bool has_value() const { return state() == ValueState::kValue; }

  // Decoded UTF-8 of this whole element (inner delimiters are kept as-is, so
  // call it on leaves). Error kDataType if it holds ISO 2022 escapes
  // (\C, \M), which cannot be converted faithfully, or \X bytes that decode
  // to a control character; with strict, also for malformed escapes and \X
  // bytes invalid in the charset.
  Result<std::string> text(bool strict = false) const;
  // Decoded text, or "" when absent/null. Undecodable escape sequences are
  // kept verbatim and invalid bytes become U+FFFD. For display and logging of
  // mapped values, not for validation.
  std::string text_or_empty() const;
  Value value() const;  // state + text_or_empty()

  // Sub-elements one level down: the repetitions of a field, the components
  // of a repetition, the subcomponents of a component. 1-based; out of range
  // gives an absent Element. child_count() is 0 for an empty element.
  int child_count() const;
  Element child(int i) const;  // O(i): use children() to loop

  // All children in order, split lazily in one linear pass:
  //   for (Element rep : field.children()) for (Element c : rep.children()) ...
  // An empty element has no children.
  class Children;
  Children children() const;

  // Component i in the sense of composite data types: for a field that is a
  // component of its first repetition, for a repetition a component, for a
  // component a subcomponent (e.g. CX.4 is an HD in subcomponents), for a
  // subcomponent only part(1), itself.
  Element part(int i) const;
  // out[0..n) = part(1)..part(n), in one pass over the element (part(i)
  // scans from the start): for readers of a whole data type (CWE, XPN).
  void parts(Element* out, int n) const;

  // Descends through first children to a leaf (subcomponent). Used for
  // defaulting: "PID-5" means PID-5(1).1.1 when decoded.
  Element leaf() const;

 private:
  char child_delimiter() const;

  std::string_view raw_;
  Delimiters d_;
  Level level_ = Level::kField;
  Charset charset_ = Charset::kAscii;
  bool verbatim_ = false;  // MSH-1 and MSH-2: never split or unescaped
};

class Element::Children {
 public:
  class iterator {
   public:
    const Element& operator*() const { return current_; }
    iterator& operator++() {
      Advance();
      return *this;
    }
    bool operator!=(const iterator& o) const { return done_ != o.done_; }
    bool operator==(const iterator& o) const { return done_ == o.done_; }

   private:
    friend class Children;
    iterator(const Element* parent, bool done);
    void Advance();
    const Element* parent_;
    Element current_;
    size_t next_ = 0;  // offset of the next child's first byte
    bool done_;
    bool last_ = false;  // current_ was the final child
  };

  iterator begin() const { return iterator(&parent_, parent_.raw().empty()); }
  iterator end() const { return iterator(&parent_, true); }

 private:
  friend class Element;
  explicit Children(const Element& parent) : parent_(parent) {}
  Element parent_;
};

inline Element::Children Element::children() const { return Children(*this); }

// "PID-5.1", "PID-3(2).4.1", "OBX(3)-5", "MSH-9.2", "PID" (segment only).
// Occurrence and repetition are 1-based; an unspecified level is 0.
struct Path {
  char segment[4] = {0, 0, 0, 0};
  int occurrence = 1;
  int field = 0;
  int repetition = 0;
  int component = 0;
  int subcomponent = 0;

  // Errors never include the path text (it is not content, but keeping all
  // error strings content-free is simpler to audit).
  static Result<Path> parse(std::string_view text);
};

class Message;

// One segment of a Message. Cheap to copy; valid while the Message is.
class SegmentView {
 public:
  std::string_view id() const;
  size_t index() const { return index_; }  // 0-based position in the message
  int sequence() const;                    // 1-based occurrence of id() (O(index))
  // Number of the last field present (MSH counts MSH-1). 0 for "NTE".
  int field_count() const;
  std::string_view raw() const;  // the segment text without its terminator

  // Field n (1-based). For MSH, FHS and BHS, field 1 is the field separator
  // and field 2 the encoding characters, both verbatim.
  Element field(int n) const;
  // The element at field[(rep)][.comp[.sub]] with the same meaning as a Path:
  // 0 = unspecified, giving the whole element at the deepest specified level.
  Element at(int field, int rep = 0, int comp = 0, int sub = 0) const;
  // Decoded like Message::get: unspecified levels default to the first.
  std::string get(int field, int rep = 0, int comp = 0, int sub = 0) const;
  Value value(int field, int rep = 0, int comp = 0, int sub = 0) const;

 private:
  friend class Message;
  SegmentView(const Message* m, size_t i) : msg_(m), index_(i) {}
  const Message* msg_;
  size_t index_;
};

class Message {
 public:
  const Header& header() const { return *header_; }
  // The same Header, shared with ParseResult::header (immutable).
  const std::shared_ptr<const Header>& shared_header() const { return header_; }
  const Delimiters& delimiters() const { return delims_; }
  // The effective charset: MSH-18, or the ParseOptions default when empty.
  Charset charset() const { return charset_; }
  std::string_view text() const { return text_; }

  size_t segment_count() const { return segments_.size(); }
  SegmentView segment(size_t index) const;  // precondition: index < segment_count()
  std::optional<SegmentView> find(std::string_view id, int occurrence = 1) const;
  int count(std::string_view id) const;
  std::vector<SegmentView> segments(std::string_view id) const;
  std::vector<SegmentView> segments() const;

  // The element a path names (deepest specified level), absent if the
  // message does not have it. Error only for a malformed path.
  Result<Element> element(std::string_view path) const;
  Element element(const Path& path) const;

  // Decoded UTF-8 value; unspecified repetition/component/subcomponent mean
  // the first ("PID-5" is PID-5(1).1.1, as in HAPI's Terser). Error for a
  // malformed path or an undecodable value (see Element::text()).
  Result<Value> value(std::string_view path) const;
  // Convenience: decoded text, "" when absent, null or the path is malformed.
  std::string get(std::string_view path) const;
  // Raw ER7 of the element (escapes intact); empty when absent or malformed
  // path. "PID" alone gives the whole segment.
  std::string_view raw(std::string_view path) const;
  bool is_null(std::string_view path) const;
  bool is_present(std::string_view path) const;  // has a value (not absent, not null)
  // Repetitions of the field a path names ("PID-3"); 0 when empty/absent.
  int repetition_count(std::string_view path) const;

 private:
  friend class SegmentView;
  friend class Parser;
  Message() = default;  // only parse() makes Messages (header_ is never null)

  struct SegmentIndex {
    uint32_t begin;      // offset of the segment id
    uint32_t end;        // offset of the terminator (or end of text)
    uint32_t first_sep;  // index into seps_ of the first field separator
    uint32_t sep_count;  // number of field separators
    bool header_like;    // MSH/FHS/BHS: field 1 is the separator itself
    bool has_escape;     // holds the escape character
    bool has_high;       // holds a byte >= 0x80
    bool has_control;    // holds a C0 control other than TAB, CR and LF, or DEL
  };

  std::string_view text_;
  std::shared_ptr<const Header> header_;
  Delimiters delims_;
  Charset charset_ = Charset::kAscii;
  std::vector<SegmentIndex> segments_;
  std::vector<uint32_t> seps_;  // offsets of field separators, segment by segment
};

struct ParseResult {
  // Set only when errors is empty.
  std::optional<Message> message;
  // Set whenever the MSH segment could be read, even if the rest failed, so
  // that an ACK (AE/AR) can be addressed correctly. Shared (not copied) with
  // message->header(); use it like an optional: if (r.header) r.header->...
  std::shared_ptr<const Header> header;
  std::vector<Error> errors;
  std::vector<Error> warnings;  // severity W: malformed escapes kept as text, etc.

  bool ok() const { return message.has_value() && errors.empty(); }
};

// Parses one message. Leading CR/LF are skipped; segments may end with CR, LF
// or CR LF. The message must start with MSH and hold no further MSH, FHS or
// BHS (use split_batch for files). See the file comment for the buffer
// lifetime contract. noexcept: allocation failure terminates.
ParseResult parse(std::string_view er7, const ParseOptions& options = {}) noexcept;

}  // namespace gw::hl7
