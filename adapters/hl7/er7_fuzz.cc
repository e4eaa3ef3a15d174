// Fuzz target for the ER7 parser, batch splitter, ACK builder and ACK reader.
// Parses the input, walks every segment/field/repetition/component/
// subcomponent, decodes each leaf and runs the typed readers, then builds an
// ACK (normal or for unparseable input) and reads it back. The invariants
// checked are the ones callers rely on: a built ACK always parses and echoes
// MSH-10, decoded text is valid UTF-8 without control characters, and no
// output grows without bound.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/hl7/ack.h"
#include "adapters/hl7/batch.h"
#include "adapters/hl7/er7.h"
#include "adapters/hl7/types.h"

namespace {

using namespace gw::hl7;

// Like assert, but also in release builds, and says which invariant broke.
#define CHECK_INVARIANT(cond)                                                     \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "invariant failed at line %d: %s\n", __LINE__, #cond); \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

void Walk(const Message& m) {
  for (SegmentView s : m.segments()) {
    (void)s.sequence();
    for (int f = 1; f <= s.field_count() + 1; ++f) {
      Element field = s.field(f);
      int reps = 0;
      for (Element rep : field.children()) {
        ++reps;
        CHECK_INVARIANT(rep.raw() == field.child(reps).raw());
        (void)read_cx(rep);
        (void)read_xpn(rep);
        (void)read_cwe(rep);
        (void)read_xad(rep);
        (void)read_xtn(rep);
        (void)read_timestamp(rep);
        for (Element comp : rep.children()) {
          (void)read_hd(comp);
          for (Element leaf : comp.children()) {
            std::string text = leaf.text_or_empty();
            CHECK_INVARIANT(is_valid_utf8(text));
            // A parsed message holds no control character, raw or decoded
            // (ParseOptions::refuse_control_characters is on by default).
            CHECK_INVARIANT(find_control_character(text, Charset::kUtf8) == std::string_view::npos);
            // Output is a small constant multiple of the input.
            CHECK_INVARIANT(text.size() <= 16 * leaf.raw().size() + 16);
            Result<std::string> strict = leaf.text(true);
            if (strict.ok()) CHECK_INVARIANT(is_valid_utf8(*strict));
            (void)read_number(leaf);
          }
        }
      }
      CHECK_INVARIANT(reps == field.child_count());
    }
  }
  (void)m.get("PID-5.1");
  (void)m.get("OBX(2)-5(1).1.1");
  (void)m.repetition_count("PID-3");
  (void)m.count("OBX");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ParseOptions o;
  o.limits.max_message_bytes = 1 << 16;
  o.limits.max_fields_per_segment = 64;
  o.limits.max_repetitions_per_field = 64;
  o.limits.max_components = 32;
  o.limits.max_subcomponents = 32;
  ParseResult r = parse(in, o);
  if (r.message) Walk(*r.message);

  AckParams p;
  p.control_id = "FUZZ-1";
  p.timestamp = "20240101000000";
  p.errors = r.errors;
  std::string ack;
  if (r.header) {
    ack = build_ack(*r.header, r.ok() ? AckCode::kAA : AckCode::kAE, p);
    (void)decide_ack(*r.header, r.ok() ? Outcome::kAccept : Outcome::kError);
  } else {
    ack = build_ack_for_unparseable(in, AckCode::kAR, p);
  }
  // The ACK we send must always be a well-formed message that the peer (and
  // we) can read, whatever the input was.
  auto summary = read_ack(ack);
  CHECK_INVARIANT(summary.ok());
  CHECK_INVARIANT(summary->message_control_id == "FUZZ-1");
  CHECK_INVARIANT(ack.find('\x1C') == std::string::npos && ack.find('\x0B') == std::string::npos);
  if (r.header) {
    bool printable_ascii = true;
    for (char c : r.header->control_id) printable_ascii &= c >= 0x20 && c < 0x7F;
    if (printable_ascii) CHECK_INVARIANT(summary->control_id == r.header->control_id);
  }

  (void)read_ack(in);
  Limits bl;
  bl.max_batch_messages = 64;
  BatchFile f = split_batch(in, bl);
  for (const Batch& b : f.batches) {
    for (std::string_view m : b.messages) CHECK_INVARIANT(m.size() <= in.size());
  }
  return 0;
}
