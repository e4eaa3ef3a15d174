#include "adapters/http/request_parser.h"

#include <algorithm>
#include <cstring>

namespace gw::http {
namespace {

// Bytes of CR/LF tolerated before a request line (RFC 9112 2.2: a server
// SHOULD ignore at least one empty line there; clients add one after a POST).
constexpr size_t kMaxLeadingNewlineBytes = 8;

bool is_tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only, at most 19 of them (fits in uint64_t); false otherwise. A
// longer run of digits sets *too_big instead (the body is then too large).
bool parse_length(std::string_view s, uint64_t* out, bool* too_big) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  size_t skip = 0;
  while (skip + 1 < s.size() && s[skip] == '0') ++skip;
  s.remove_prefix(skip);
  if (s.size() > 19) {
    *too_big = true;
    return true;
  }
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  *out = v;
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Strips the line's CR (CRLF or bare LF endings); false if a CR remains.
bool strip_cr(std::string_view* line) {
  if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
  return line->find('\r') == std::string_view::npos;
}

}  // namespace

const std::string* Request::header(std::string_view lower_name) const {
  for (const auto& h : headers) {
    if (h.first == lower_name) return &h.second;
  }
  return nullptr;
}

RequestParser::Step RequestParser::fail(int status, std::string reason, size_t consumed) {
  state_ = State::kError;
  error_status_ = status;
  error_reason_ = std::move(reason);
  std::string().swap(head_);
  std::string().swap(line_);
  std::string().swap(request_.body);
  return {Event::kError, consumed};
}

Request RequestParser::take_request() {
  Request r = std::move(request_);
  request_ = Request{};
  return r;
}

RequestParser::Step RequestParser::feed(std::string_view data) {
  size_t used = 0;
  // Appends input to line_ up to and including '\n'. True when the line is
  // complete; false when the input ran out (or line_ passed `max`: check).
  auto take_line = [&](size_t max) {
    const char* p = data.data() + used;
    const size_t left = data.size() - used;
    const void* nl = std::memchr(p, '\n', left);
    const size_t n = nl ? static_cast<size_t>(static_cast<const char*>(nl) - p) + 1 : left;
    const size_t room = max + 1 > line_.size() ? max + 1 - line_.size() : 0;
    const size_t take = std::min(n, room);
    line_.append(p, take);
    used += take;
    return nl != nullptr && take == n;
  };

  for (;;) {
    switch (state_) {
      case State::kError:
        return {Event::kError, used};

      case State::kStart: {
        if (used == data.size()) return {Event::kNeedMore, used};
        const char c = data[used];
        if (c == '\r' || c == '\n') {
          if (++empty_lines_ > kMaxLeadingNewlineBytes) {
            return fail(400, "empty lines before the request line", used + 1);
          }
          ++used;
          continue;
        }
        empty_lines_ = 0;
        request_ = Request{};
        head_.clear();
        scan_from_ = 0;
        state_ = State::kHead;
        continue;
      }

      case State::kHead: {
        if (used == data.size()) return {Event::kNeedMore, used};
        const size_t room = limits_.max_header_bytes - head_.size();
        const size_t appended = std::min(data.size() - used, room);
        head_.append(data.data() + used, appended);
        used += appended;
        // The head ends at an empty line: "\n\n" or "\n\r\n".
        size_t end = std::string::npos;
        for (size_t i = scan_from_; i < head_.size(); ++i) {
          if (head_[i] != '\n') continue;
          if (i + 1 < head_.size() && head_[i + 1] == '\n') {
            end = i + 2;
            break;
          }
          if (i + 2 < head_.size() && head_[i + 1] == '\r' && head_[i + 2] == '\n') {
            end = i + 3;
            break;
          }
        }
        if (end == std::string::npos) {
          scan_from_ = head_.size() >= 2 ? head_.size() - 2 : 0;
          const size_t first_nl = head_.find('\n');
          if ((first_nl == std::string::npos ? head_.size() : first_nl) >
              limits_.max_request_line) {
            return fail(414, "request line too long", used);
          }
          if (head_.size() >= limits_.max_header_bytes) {
            return fail(431, "request head too large", used);
          }
          continue;  // used == data.size() now
        }
        // Give back what followed the head (body, next request).
        used -= head_.size() - end;
        head_.resize(end);
        if (!parse_head()) return {Event::kError, used};
        std::string().swap(head_);
        const Event e = head_done();
        if (e == Event::kError) return {Event::kError, used};
        if (e != Event::kNeedMore) return {e, used};
        continue;
      }

      case State::kBody: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(data.size() - used, body_left_));
        request_.body.append(data.data() + used, n);
        used += n;
        body_left_ -= n;
        if (body_left_ == 0) {
          state_ = State::kStart;
          return {Event::kRequest, used};
        }
        return {Event::kNeedMore, used};
      }

      case State::kChunkSize: {
        if (used == data.size()) return {Event::kNeedMore, used};
        const bool complete = take_line(limits_.max_chunk_line);
        if (line_.size() > limits_.max_chunk_line) {
          return fail(400, "chunk-size line too long", used);
        }
        if (!complete) return {Event::kNeedMore, used};
        std::string_view line(line_);
        line.remove_suffix(1);  // '\n'
        if (!strip_cr(&line)) return fail(400, "bare CR in a chunk-size line", used);
        size_t digits = 0;
        uint64_t size = 0;
        bool too_big = false;
        for (; digits < line.size(); ++digits) {
          const int d = hex_digit(line[digits]);
          if (d < 0) break;
          if (size > (uint64_t{1} << 59)) too_big = true;
          size = size * 16 + static_cast<uint64_t>(d);
        }
        if (digits == 0) return fail(400, "bad chunk size", used);
        std::string_view ext = trim_ows(line.substr(digits));
        if (!ext.empty() && ext.front() != ';') return fail(400, "bad chunk size", used);
        for (unsigned char c : ext) {
          if ((c < 0x20 && c != '\t') || c == 0x7f) return fail(400, "bad chunk extension", used);
        }
        line_.clear();
        if (size == 0) {
          trailer_bytes_ = 0;
          state_ = State::kTrailer;
          continue;
        }
        if (too_big || size > limits_.max_body_bytes - request_.body.size()) {
          return fail(413, "request body too large", used);
        }
        chunk_left_ = size;
        state_ = State::kChunkData;
        continue;
      }

      case State::kChunkData: {
        if (used == data.size()) return {Event::kNeedMore, used};
        const size_t n = static_cast<size_t>(std::min<uint64_t>(data.size() - used, chunk_left_));
        request_.body.append(data.data() + used, n);
        used += n;
        chunk_left_ -= n;
        if (chunk_left_ == 0) state_ = State::kChunkCrlf;
        continue;
      }

      case State::kChunkCrlf: {
        if (used == data.size()) return {Event::kNeedMore, used};
        const bool complete = take_line(1);
        if (line_.size() > 2 || (line_.size() == 2 && line_ != "\r\n") ||
            (line_.size() == 1 && line_ != "\r" && line_ != "\n")) {
          return fail(400, "chunk data not followed by CRLF", used);
        }
        if (!complete) return {Event::kNeedMore, used};
        line_.clear();
        state_ = State::kChunkSize;
        continue;
      }

      case State::kTrailer: {
        if (used == data.size()) return {Event::kNeedMore, used};
        const size_t before = line_.size();
        const bool complete = take_line(limits_.max_header_bytes);
        trailer_bytes_ += line_.size() - before;
        if (trailer_bytes_ > limits_.max_header_bytes) {
          return fail(431, "trailer section too large", used);
        }
        if (!complete) return {Event::kNeedMore, used};
        std::string_view line(line_);
        line.remove_suffix(1);
        if (!strip_cr(&line)) return fail(400, "bare CR in a trailer", used);
        const bool last = line.empty();
        line_.clear();
        if (last) {
          std::string().swap(line_);
          state_ = State::kStart;
          return {Event::kRequest, used};
        }
        continue;  // trailer fields are not used: skipped
      }
    }
  }
}

bool RequestParser::parse_head() {
  std::string_view rest(head_);
  bool first = true;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');  // the head ends in '\n'
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (first && line.size() > limits_.max_request_line) {
      fail(414, "request line too long", 0);
      return false;
    }
    if (!strip_cr(&line)) {
      fail(400, "bare CR in the request head", 0);
      return false;
    }
    if (first) {
      if (!parse_request_line(line)) return false;
      first = false;
      continue;
    }
    if (line.empty()) break;  // the end of the head
    if (!parse_header_line(line)) return false;
  }
  return true;
}

bool RequestParser::parse_request_line(std::string_view line) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    fail(400, "malformed request line", 0);
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) {
    fail(400, "malformed method", 0);
    return false;
  }
  if (target.empty() || target.front() != '/') {
    fail(400, "the request target must be a path (origin-form)", 0);
    return false;
  }
  for (unsigned char c : target) {
    if (c <= 0x20 || c >= 0x7f) {
      fail(400, "malformed request target", 0);
      return false;
    }
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[5] < '0' ||
      version[5] > '9' || version[6] != '.' || version[7] < '0' || version[7] > '9') {
    fail(400, "malformed HTTP version", 0);
    return false;
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    fail(505, "only HTTP/1.0 and HTTP/1.1 are served", 0);
    return false;
  }
  request_.method.assign(method);
  request_.target.assign(target);
  request_.version_minor = version[7] - '0';
  return true;
}

bool RequestParser::parse_header_line(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') {
    fail(400, "obsolete line folding is not accepted", 0);
    return false;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    fail(400, "malformed header field", 0);
    return false;
  }
  const std::string_view value = trim_ows(line.substr(colon + 1));
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      fail(400, "control character in a header value", 0);
      return false;
    }
  }
  if (request_.headers.size() >= limits_.max_headers) {
    fail(431, "too many header fields", 0);
    return false;
  }
  request_.headers.emplace_back(lower(line.substr(0, colon)), std::string(value));
  return true;
}

RequestParser::Event RequestParser::head_done() {
  Request& r = request_;
  size_t hosts = 0;
  bool have_te = false;
  std::string te;
  have_length_ = false;
  bool length_too_big = false;
  uint64_t length = 0;
  bool saw_close = false, saw_keep_alive = false;
  r.expect_continue = false;
  for (const auto& [name, value] : r.headers) {
    if (name == "host") {
      ++hosts;
    } else if (name == "transfer-encoding") {
      if (have_te) te += ",";
      te += value;
      have_te = true;
    } else if (name == "content-length") {
      uint64_t v = 0;
      bool too_big = false;
      if (!parse_length(value, &v, &too_big)) {
        fail(400, "malformed Content-Length", 0);
        return Event::kError;
      }
      if (have_length_ && (too_big != length_too_big || v != length)) {
        fail(400, "conflicting Content-Length values", 0);
        return Event::kError;
      }
      have_length_ = true;
      length = v;
      length_too_big = too_big;
    } else if (name == "connection") {
      std::string_view rest(value);
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const std::string opt = lower(trim_ows(rest.substr(0, comma)));
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
        if (opt == "close") saw_close = true;
        if (opt == "keep-alive") saw_keep_alive = true;
      }
    } else if (name == "expect") {
      if (lower(value) != "100-continue") {
        fail(417, "unsupported expectation", 0);
        return Event::kError;
      }
      r.expect_continue = r.version_minor == 1;
    }
  }
  // A "close" anywhere wins; HTTP/1.0 closes unless asked to keep alive.
  r.keep_alive = !saw_close && (r.version_minor == 1 || saw_keep_alive);
  if (hosts > 1 || (hosts == 0 && r.version_minor == 1)) {
    fail(400, "HTTP/1.1 needs exactly one Host header", 0);
    return Event::kError;
  }
  if (have_te) {
    if (have_length_) {
      fail(400, "both Content-Length and Transfer-Encoding", 0);
      return Event::kError;
    }
    if (r.version_minor == 0 || lower(trim_ows(te)) != "chunked") {
      fail(400, "only the chunked transfer coding is accepted", 0);
      return Event::kError;
    }
  }
  if (have_length_ && (length_too_big || length > limits_.max_body_bytes)) {
    fail(413, "request body too large", 0);
    return Event::kError;
  }
  chunked_ = have_te;
  const bool has_body = chunked_ || length > 0;
  if (chunked_) {
    line_.clear();
    state_ = State::kChunkSize;
  } else if (length > 0) {
    body_left_ = length;
    // Not the declared length: memory follows the bytes that actually come.
    r.body.reserve(static_cast<size_t>(std::min<uint64_t>(length, 64 * 1024)));
    state_ = State::kBody;
  } else {
    state_ = State::kStart;
    return Event::kRequest;
  }
  if (r.expect_continue && has_body) return Event::kContinue;
  return Event::kNeedMore;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace gw::http
