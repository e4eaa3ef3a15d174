// Fuzz target for the HTTP request parser. Input: one control byte (limits
// and split pattern) then the byte stream. Checks, beyond memory safety, that
// the events do not depend on how the stream is split into reads, that the
// memory held stays within the limits, and that every request it reports is
// well formed (origin-form target, no control bytes in header values).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "adapters/http/request_parser.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::vector<std::string> run(std::string_view in, size_t step, const gw::http::ParserLimits& l) {
  using gw::http::RequestParser;
  RequestParser p(l);
  std::vector<std::string> events;
  size_t pos = 0;
  while (pos < in.size()) {
    const size_t n = step == 0 ? in.size() - pos : std::min(step, in.size() - pos);
    std::string_view piece = in.substr(pos, n);
    for (;;) {
      RequestParser::Step s = p.feed(piece);
      check(s.consumed <= piece.size());
      piece.remove_prefix(s.consumed);
      check(p.buffered_bytes() <= l.max_header_bytes + l.max_body_bytes + l.max_chunk_line + 2);
      if (s.event == RequestParser::Event::kRequest) {
        gw::http::Request r = p.take_request();
        check(!r.target.empty() && r.target[0] == '/');
        check(r.body.size() <= l.max_body_bytes);
        check(r.headers.size() <= l.max_headers);
        for (const auto& [name, value] : r.headers) {
          for (unsigned char c : value) check(c >= 0x20 || c == '\t');
        }
        std::string e = "R" + r.method + " " + r.target + " " + r.body;
        for (const auto& [name, value] : r.headers) e += "|" + name + ":" + value;
        events.push_back(std::move(e));
      } else if (s.event == RequestParser::Event::kContinue) {
        events.push_back("C");
      } else if (s.event == RequestParser::Event::kError) {
        events.push_back("E" + std::to_string(p.error_status()));
        return events;
      } else {
        check(piece.empty());
        break;
      }
    }
    pos += n;
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  gw::http::ParserLimits l;
  l.max_header_bytes = 64 + (data[0] & 0x0f) * 40;
  l.max_request_line = 32 + (data[0] & 0x0f) * 20;
  l.max_headers = 1 + (data[0] & 0x07);
  l.max_body_bytes = (data[0] >> 4) * 17;
  l.max_chunk_line = 16;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::vector<std::string> whole = run(in, 0, l);
  check(run(in, 1, l) == whole);
  check(run(in, 1 + (data[0] % 7), l) == whole);
  return 0;
}
