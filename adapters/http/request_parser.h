// Streaming HTTP/1.1 request decoder (RFC 9112), independent of sockets so it
// can be unit tested and fuzzed. Feed it a connection's bytes as they arrive;
// it reports a request once its head and body are complete.
//
// Every peer is hostile. What it accepts, and what it answers otherwise:
//  - Request line: method a token, origin-form target ("/..." of visible
//    ASCII), HTTP/1.0 or HTTP/1.1 (another HTTP/x.y: 505), at most
//    max_request_line bytes (414). Up to 4 empty lines before it are skipped.
//  - Headers: at most max_header_bytes in all (431) and max_headers lines
//    (431); names are tokens followed directly by ':'; values hold no control
//    characters but HTAB (so no NUL, CR or LF); obs-fold (a line starting
//    with SP/HTAB) is refused; HTTP/1.1 needs exactly one Host. Lines end in
//    CRLF or a bare LF; a bare CR is refused.
//  - Body: Content-Length (digits only; repeated values must agree) or
//    Transfer-Encoding: chunked (chunk-size lines of at most max_chunk_line
//    bytes, extensions ignored; trailers skipped, at most max_header_bytes).
//    Both, or a transfer coding other than chunked, is request smuggling:
//    400. A body longer than max_body_bytes is refused (413) as soon as that
//    is known: at the head for Content-Length, during the chunks otherwise.
//  - Expect: 100-continue reports kContinue once the head is accepted (so the
//    server can send "100 Continue"); any other expectation: 417.
// Any error is final: the parser reports it and takes no further input (the
// server answers and closes). Memory held is bounded by the limits above:
// the head (max_header_bytes) and the body (max_body_bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw::http {

struct ParserLimits {
  size_t max_request_line = 8 * 1024;
  size_t max_header_bytes = 32 * 1024;  // request line and headers, CRLFs included
  size_t max_headers = 100;
  size_t max_body_bytes = size_t{16} << 20;
  size_t max_chunk_line = 1024;
};

struct Request {
  std::string method;     // as sent (methods are case-sensitive): "GET"
  std::string target;     // origin-form: "/Patient?name=x"
  int version_minor = 1;  // HTTP/1.<minor>: 0 or 1
  // In arrival order; names lower-cased, values without surrounding spaces.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;        // de-chunked
  bool keep_alive = true;  // HTTP/1.1 without "Connection: close", or 1.0 with "keep-alive"
  bool expect_continue = false;
  // Non-zero: the server refused this request after its head (413: the body
  // is too large) and calls the handler only so that the refusal is logged
  // and audited like an answer; the handler answers with this status, and
  // the connection closes. `refused_reason` says why; the body is empty.
  int refused_status = 0;
  std::string refused_reason;

  // The first header of that (lower-case) name, or nullptr.
  const std::string* header(std::string_view lower_name) const;
};

class RequestParser {
 public:
  enum class Event {
    kNeedMore,  // everything was consumed; feed more
    kContinue,  // the head asks "Expect: 100-continue" and the body may be sent
    kRequest,   // a complete request: take_request()
    kError,     // error_status() / error_reason(); nothing more is consumed
  };
  struct Step {
    Event event;
    size_t consumed;  // bytes of the input used up to and including the event
  };

  explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

  // Consumes input up to the next event (feed the rest again). After
  // kRequest the parser is ready for the next (pipelined) request.
  Step feed(std::string_view data);
  Request take_request();
  // After kError with error_status() 413: the refused request's head
  // (method, target, headers), for the server's report of the refusal.
  Request take_refused_head() { return take_request(); }

  int error_status() const { return error_status_; }
  const std::string& error_reason() const { return error_reason_; }

  // Where the current request is: nothing of it received yet, inside the
  // head, or inside the body (after a complete head).
  bool in_head() const { return state_ == State::kHead; }
  bool in_body() const { return state_ >= State::kBody && state_ <= State::kTrailer; }
  bool started() const { return state_ != State::kStart; }
  // Bytes held: the head so far, the body so far.
  size_t buffered_bytes() const { return head_.size() + request_.body.size(); }

 private:
  enum class State {
    kStart,      // before a request's first byte
    kHead,       // collecting the head into head_
    kBody,       // Content-Length body
    kChunkSize,  // collecting a chunk-size line into line_
    kChunkData,  // chunk_left_ bytes of data
    kChunkCrlf,  // the CRLF after a chunk's data (line_)
    kTrailer,    // trailer lines (line_), skipped
    kError,
  };

  Step fail(int status, std::string reason, size_t consumed);
  // Parses head_ (complete): false after fail().
  bool parse_head();
  bool parse_request_line(std::string_view line);
  bool parse_header_line(std::string_view line);
  // The head is done: sets up the body; returns the event to report.
  Event head_done();

  ParserLimits limits_;
  State state_ = State::kStart;
  std::string head_;
  size_t scan_from_ = 0;    // head_: where to look for the end next
  size_t empty_lines_ = 0;  // skipped before the request line
  std::string line_;        // chunk-size, chunk CRLF and trailer lines
  size_t trailer_bytes_ = 0;
  uint64_t body_left_ = 0;   // kBody
  uint64_t chunk_left_ = 0;  // kChunkData
  bool chunked_ = false;
  bool have_length_ = false;
  Request request_;
  int error_status_ = 0;
  std::string error_reason_;
};

// The reason phrase of a status code ("Not Found"); "Unknown" otherwise.
const char* reason_phrase(int status);

}  // namespace gw::http
