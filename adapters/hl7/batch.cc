#include "adapters/hl7/batch.h"

#include <cstring>

namespace gw::hl7 {
namespace {

// Splits one envelope segment into fields indexed by HL7 field number
// (fields[0] is the id). For FHS/BHS, field 1 is the separator and field 2
// the encoding characters. At most `max_fields` fields are kept.
std::vector<std::string_view> SplitFields(std::string_view line, char sep, bool header_like,
                                          size_t max_fields) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  size_t i = 0;
  if (header_like && line.size() >= 4) {
    fields.push_back(line.substr(0, 3));
    fields.push_back(line.substr(3, 1));
    start = 4;
    i = 4;
  }
  for (; i <= line.size() && fields.size() <= max_fields; ++i) {
    if (i == line.size() || line[i] == sep) {
      fields.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  return fields;
}

class Splitter {
 public:
  Splitter(std::string_view data, const Limits& limits) : data_(data), lim_(limits) {}
  BatchFile Run();

 private:
  // `offset`: where the line starts (a message before it ends there);
  // `content`: where its segment starts (after a byte-order mark).
  void Line(std::string_view id, std::string_view line, size_t offset, size_t content);
  void CloseMessage(size_t end);
  Batch& CurrentBatch();
  BatchHeader ReadHeader(std::string_view line);
  BatchTrailer ReadTrailer(std::string_view id, std::string_view line);
  ErrorLocation Where(std::string_view id, int field = 0) const;
  void Fail(ErrorCode code, std::string_view id, int field, const char* what);
  Element Field(const std::vector<std::string_view>& f, size_t n) const {
    return n < f.size() ? Element(f[n], Element::Level::kField, delims_, charset_) : Element();
  }

  std::string_view data_;
  const Limits& lim_;
  BatchFile out_;
  Delimiters delims_;
  Charset charset_ = Charset::kUtf8;
  int line_no_ = 0;
  int seq_[5] = {0, 0, 0, 0, 0};  // occurrences of FHS, BHS, BTS, FTS, MSH
  size_t message_start_ = std::string_view::npos;
  size_t message_total_ = 0;
  int explicit_batches_ = 0;
  bool batch_open_ = false;  // a BHS without its BTS yet
  bool stop_ = false;
};

ErrorLocation Splitter::Where(std::string_view id, int field) const {
  ErrorLocation w;
  w.segment_index = line_no_;
  w.field = field;
  static constexpr std::string_view kIds[] = {"FHS", "BHS", "BTS", "FTS", "MSH"};
  for (int k = 0; k < 5; ++k) {
    if (id == kIds[k]) {
      w.segment_id = std::string(id);
      w.segment_sequence = seq_[k];
    }
  }
  return w;
}

void Splitter::Fail(ErrorCode code, std::string_view id, int field, const char* what) {
  if (out_.errors.size() >= std::max<size_t>(lim_.max_errors, 1)) return;
  out_.errors.push_back(Error{code, Where(id, field), what});
}

Batch& Splitter::CurrentBatch() {
  if (out_.batches.empty() || out_.batches.back().trailer) {
    if (!out_.batches.empty()) {
      Fail(ErrorCode::kSegmentSequence, "MSH", 0, "message after BTS without a new BHS");
    }
    out_.batches.emplace_back();
  }
  return out_.batches.back();
}

// MLLP frame bytes (start VT, end FS): a file captured from an MLLP stream
// keeps them around every message.
bool is_frame_byte(char c) { return c == '\x0B' || c == '\x1C'; }

void Splitter::CloseMessage(size_t end) {
  if (message_start_ == std::string_view::npos) return;
  // The message ends with its last segment (and that segment's terminator):
  // frame bytes and blank lines between it and the next message are not part
  // of it.
  size_t last = end;
  while (last > message_start_ &&
         (data_[last - 1] == '\r' || data_[last - 1] == '\n' || is_frame_byte(data_[last - 1])))
    --last;
  if (last < end && (data_[last] == '\r' || data_[last] == '\n')) ++last;
  CurrentBatch().messages.push_back(data_.substr(message_start_, last - message_start_));
  message_start_ = std::string_view::npos;
}

BatchHeader Splitter::ReadHeader(std::string_view line) {
  BatchHeader h;
  h.segment_id = std::string(line.substr(0, 3));
  size_t msh2_end = 0;
  if (!read_delimiters(line, &h.delimiters, &msh2_end)) {
    Fail(ErrorCode::kDataType, h.segment_id, 2, "invalid delimiters in batch header");
    h.delimiters = Delimiters();
  }
  delims_ = h.delimiters;
  auto f = SplitFields(line, delims_.field, true, lim_.max_fields_per_segment);
  auto raw = [&](size_t n) { return n < f.size() ? std::string(f[n]) : std::string(); };
  h.sending_application = raw(3);
  h.sending_facility = raw(4);
  h.receiving_application = raw(5);
  h.receiving_facility = raw(6);
  h.creation_time = Field(f, 7).leaf().text_or_empty();
  h.security = Field(f, 8).leaf().text_or_empty();
  h.name_id_type = Field(f, 9).leaf().text_or_empty();
  h.comment = Field(f, 10).leaf().text_or_empty();
  h.control_id = Field(f, 11).leaf().text_or_empty();
  h.reference_control_id = Field(f, 12).leaf().text_or_empty();
  return h;
}

BatchTrailer Splitter::ReadTrailer(std::string_view id, std::string_view line) {
  BatchTrailer t;
  t.segment_id = std::string(id);
  auto f = SplitFields(line, delims_.field, false, lim_.max_fields_per_segment);
  std::string count = Field(f, 1).leaf().text_or_empty();
  t.comment = Field(f, 2).leaf().text_or_empty();
  std::string_view c = count;
  while (!c.empty() && c.front() == ' ') c.remove_prefix(1);
  while (!c.empty() && c.back() == ' ') c.remove_suffix(1);
  if (!c.empty()) {
    long v = 0;
    bool ok = c.size() <= 15;
    for (char ch : c) {
      if (ch < '0' || ch > '9') ok = false;
      if (ok) v = v * 10 + (ch - '0');
    }
    if (ok) {
      t.count = v;
    } else {
      Fail(ErrorCode::kDataType, id, 1, "count is not a non-negative integer");
    }
  }
  return t;
}

void Splitter::Line(std::string_view id, std::string_view line, size_t offset, size_t content) {
  const bool after_fts = out_.file_trailer.has_value();
  if (id == "MSH") {
    ++seq_[4];
    CloseMessage(offset);
    if (after_fts) Fail(ErrorCode::kSegmentSequence, id, 0, "message after FTS");
    if (++message_total_ > lim_.max_batch_messages) {
      Fail(ErrorCode::kValueTooLong, id, 0, "more messages than max_batch_messages");
      stop_ = true;
      return;
    }
    CurrentBatch();
    message_start_ = content;
  } else if (id == "FHS") {
    ++seq_[0];
    CloseMessage(offset);
    if (line_no_ != 1 || out_.file_header) {
      Fail(ErrorCode::kSegmentSequence, id, 0, "FHS is not the first segment of the file");
    }
    if (!out_.file_header) out_.file_header = ReadHeader(line);
  } else if (id == "BHS") {
    ++seq_[1];
    CloseMessage(offset);
    if (batch_open_) Fail(ErrorCode::kSegmentSequence, id, 0, "BHS before the previous BTS");
    if (after_fts) Fail(ErrorCode::kSegmentSequence, id, 0, "BHS after FTS");
    Batch b;
    b.header = ReadHeader(line);
    out_.batches.push_back(std::move(b));
    ++explicit_batches_;
    batch_open_ = true;
  } else if (id == "BTS") {
    ++seq_[2];
    CloseMessage(offset);
    if (!batch_open_) Fail(ErrorCode::kSegmentSequence, id, 0, "BTS without BHS");
    BatchTrailer t = ReadTrailer(id, line);
    if (out_.batches.empty() || out_.batches.back().trailer) out_.batches.emplace_back();
    Batch& b = out_.batches.back();
    if (t.count && static_cast<size_t>(*t.count) != b.messages.size()) {
      Fail(ErrorCode::kDataType, id, 1, "BTS-1 does not match the number of messages in the batch");
    }
    b.trailer = std::move(t);
    batch_open_ = false;
  } else if (id == "FTS") {
    ++seq_[3];
    CloseMessage(offset);
    if (batch_open_) {
      Fail(ErrorCode::kSegmentSequence, id, 0, "FTS before the BTS of the last batch");
      batch_open_ = false;
    }
    if (!out_.file_header) Fail(ErrorCode::kSegmentSequence, id, 0, "FTS without FHS");
    if (after_fts) Fail(ErrorCode::kSegmentSequence, id, 0, "second FTS");
    BatchTrailer t = ReadTrailer(id, line);
    if (t.count) {
      long expected = explicit_batches_;
      bool match = *t.count == expected || (expected == 0 && *t.count <= 1);
      if (!match) {
        Fail(ErrorCode::kDataType, id, 1, "FTS-1 does not match the number of batches in the file");
      }
    }
    if (!after_fts) out_.file_trailer = std::move(t);
  } else if (message_start_ == std::string_view::npos) {
    // Only structure is reported: the line may be a fragment of content.
    ErrorLocation w;
    w.segment_index = line_no_;
    if (out_.errors.size() < std::max<size_t>(lim_.max_errors, 1)) {
      out_.errors.push_back(Error{ErrorCode::kSegmentSequence, w, "segment outside any message"});
    }
  }
}

BatchFile Splitter::Run() {
  if (data_.size() > lim_.max_batch_bytes) {
    out_.errors.push_back(
        Error{ErrorCode::kValueTooLong, {}, "batch file longer than max_batch_bytes"});
    return std::move(out_);
  }
  charset_ = is_valid_utf8(data_) ? Charset::kUtf8 : Charset::kLatin1;
  size_t pos = 0;
  bool framing_noted = false;
  while (pos < data_.size() && !stop_) {
    if (data_[pos] == '\r' || data_[pos] == '\n') {
      ++pos;
      continue;
    }
    if (is_frame_byte(data_[pos])) {
      if (!framing_noted && out_.notes.size() < std::max<size_t>(lim_.max_errors, 1)) {
        ErrorLocation w;
        w.segment_index = line_no_ + 1;
        out_.notes.push_back(Error{ErrorCode::kMessageAccepted, w, "MLLP frame bytes skipped",
                                   Severity::kInformation});
      }
      framing_noted = true;
      ++pos;
      continue;
    }
    size_t end = pos;
    while (end < data_.size() && data_[end] != '\r' && data_[end] != '\n' &&
           !is_frame_byte(data_[end]))
      ++end;
    ++line_no_;
    const size_t line_start = pos;
    if (has_utf8_bom(data_.substr(pos, end - pos))) {
      // At the start of the file, or of a file concatenated onto another.
      pos += kUtf8Bom.size();
      ErrorLocation w;
      w.segment_index = line_no_;
      if (out_.notes.size() < std::max<size_t>(lim_.max_errors, 1)) {
        out_.notes.push_back(Error{ErrorCode::kMessageAccepted, w, "UTF-8 byte-order mark skipped",
                                   Severity::kInformation});
      }
    }
    std::string_view line = data_.substr(pos, end - pos);
    Line(line.substr(0, 3), line, line_start, pos);
    pos = end;
  }
  if (stop_) return std::move(out_);
  CloseMessage(data_.size());
  if (batch_open_) Fail(ErrorCode::kSegmentSequence, "", 0, "batch without BTS");
  if (out_.file_header && !out_.file_trailer) {
    Fail(ErrorCode::kSegmentSequence, "", 0, "file without FTS");
  }
  return std::move(out_);
}

}  // namespace

size_t BatchFile::message_count() const {
  size_t n = 0;
  for (const Batch& b : batches) n += b.messages.size();
  return n;
}

BatchFile split_batch(std::string_view data, const Limits& limits) noexcept {
  return Splitter(data, limits).Run();
}

ParsedBatch parse_batch(std::string_view data, const ParseOptions& options) noexcept {
  ParsedBatch out;
  out.file = split_batch(data, options.limits);
  out.messages.reserve(out.file.message_count());
  for (const Batch& b : out.file.batches) {
    for (std::string_view m : b.messages) out.messages.push_back(parse(m, options));
  }
  return out;
}

}  // namespace gw::hl7
