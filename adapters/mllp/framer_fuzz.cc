// Fuzz target for the MLLP framer. Input: two control bytes (frame limit and
// split pattern) then the byte stream. Checks, beyond memory safety, that
// the events do not depend on how the stream is split into reads or on a
// visitor stopping after each event, and that buffering stays bounded.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "adapters/mllp/framer.h"

namespace {

struct Recorder {
  std::vector<std::string> events;
  bool stop_each = false;
  bool on_frame(std::string&& p) {
    events.push_back("F" + p);
    return !stop_each;
  }
  bool on_oversized(std::string&& head) {
    events.push_back("O" + head);
    return !stop_each;
  }
};

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // Limits from 1 byte to 8 KiB, so both the small-limit head rule and the
  // 4 KiB head are reached.
  const size_t max = 1 + (static_cast<size_t>(data[0]) * 37) % 8192;
  const uint8_t pattern = data[1];
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);

  gw::mllp::Framer whole(max);
  Recorder a;
  check(whole.feed(in, a) == in.size());
  check(whole.buffered_bytes() <= max);

  gw::mllp::Framer split(max);
  Recorder b;
  size_t step = 1 + pattern % 13;
  for (size_t off = 0; off < in.size();) {
    size_t n = std::min(in.size() - off, step);
    check(split.feed(in.substr(off, n), b) == n);
    check(split.buffered_bytes() <= max);
    off += n;
    step = 1 + (step * 7 + pattern) % 31;
  }

  gw::mllp::Framer stopping(max);
  Recorder c;
  c.stop_each = true;
  for (size_t off = 0; off < in.size();) {
    size_t used = stopping.feed(in.substr(off), c);
    check(used > 0 && used <= in.size() - off);
    off += used;
  }

  check(a.events == b.events && a.events == c.events);
  check(whole.bytes_skipped() == split.bytes_skipped());
  check(whole.bytes_skipped() == stopping.bytes_skipped());
  check(whole.in_frame() == split.in_frame());
  for (const std::string& e : a.events) {
    if (e[0] == 'O')
      check(e.size() - 1 == std::min(gw::mllp::Framer::kOversizedHeadBytes, max + 1));
    if (e[0] == 'F') check(e.size() - 1 <= max);
  }
  return 0;
}
