#include "gateway/peering/peer_dispatch.h"

#include <Poco/Exception.h>

#include <algorithm>

namespace gw::peering::internal {

namespace {

// A refused request's body is read and dropped up to this much before the
// connection closes: closing with unread input makes the kernel reset the
// connection, and the client could then lose our answer. Never handed on.
constexpr size_t kDrainBytes = size_t{1} << 20;

void discard(std::istream& in, size_t limit) {
  char buf[16384];
  size_t n = 0;
  while (in && n < limit) {
    in.read(buf, static_cast<std::streamsize>(std::min(sizeof buf, limit - n)));
    if (in.gcount() == 0) break;
    n += static_cast<size_t>(in.gcount());
  }
}

enum class BodyRead { kComplete, kTooLarge, kBroken };

// Reads the body into *body, at most `max` bytes. kBroken: the stream failed
// (a timeout or a reset inside Poco's stream buffer sets badbit; istream does
// not throw) or ended before its Content-Length: never hand that on.
BodyRead read_body(std::istream& in, size_t max, int64_t content_length, std::string* body) {
  char buf[16384];
  while (in) {
    in.read(buf, sizeof buf);
    const size_t n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    if (body->size() + n > max) return BodyRead::kTooLarge;
    body->append(buf, n);
  }
  if (in.bad()) return BodyRead::kBroken;
  if (content_length >= 0 && body->size() != static_cast<uint64_t>(content_length))
    return BodyRead::kBroken;
  return BodyRead::kComplete;
}

bool prefix_matches(const std::string& prefix, const std::string& path) {
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || prefix.ends_with('/') || path[prefix.size()] == '/';
}

}  // namespace

PeerResponse dispatch(Poco::Net::HTTPServerRequest& req, const std::vector<PeerRoute>& routes,
                      size_t max_body_bytes, std::chrono::milliseconds body_timeout,
                      const std::optional<Account>& peer, const Fingerprint& fp, Watch& watch,
                      Call* call) {
  const bool has_body =
      req.getChunkedTransferEncoding() || (req.hasContentLength() && req.getContentLength64() > 0);
  auto refuse = [&](PeerResponse r) {
    // Not reading the rest of a body means the connection cannot be reused.
    if (has_body) {
      discard(req.stream(), kDrainBytes);
      call->close = true;
    }
    return r;
  };
  if (!peer) {
    call->close = true;
    return refuse(
        peer_error(403, "unknown-peer",
                   "the client certificate (sha256 " + to_hex(fp) + ") is not an active member's"));
  }
  const std::string& uri = req.getURI();
  const size_t q = uri.find('?');
  PeerRequest r;
  r.peer = *peer;
  r.fingerprint = fp;
  r.method = req.getMethod();
  r.path = uri.substr(0, q);
  r.query = q == std::string::npos ? "" : uri.substr(q + 1);
  // Handlers see the raw path; dot segments and empty segments, which could
  // make a path mean something other than its route prefix, are refused.
  if (!r.path.starts_with('/') || r.path.find("//") != std::string::npos ||
      r.path.find("/./") != std::string::npos || r.path.find("/../") != std::string::npos ||
      r.path.ends_with("/.") || r.path.ends_with("/..")) {
    return refuse(peer_error(400, "bad-request", "the request target must be a plain path"));
  }
  const PeerRoute* match = nullptr;
  std::string allowed;
  for (const PeerRoute& route_entry : routes) {
    if (!prefix_matches(route_entry.path_prefix, r.path)) continue;
    if (route_entry.method == r.method) {
      match = &route_entry;
      break;
    }
    if (allowed.find(route_entry.method) == std::string::npos)
      allowed += (allowed.empty() ? "" : ", ") + route_entry.method;
  }
  if (match == nullptr && allowed.empty()) {
    return refuse(peer_error(404, "not-found", "no such endpoint"));
  }
  if (match == nullptr) {
    call->allow = allowed;
    return refuse(peer_error(405, "method-not-allowed", "allowed: " + allowed));
  }
  call->route = match->path_prefix;
  const size_t max = max_body_bytes;
  if (req.hasContentLength() && req.getContentLength64() > static_cast<int64_t>(max)) {
    return refuse(
        peer_error(413, "too-large", "request body over " + std::to_string(max) + " bytes"));
  }
  if (!req.hasContentLength() && !req.getChunkedTransferEncoding() &&
      (r.method == "POST" || r.method == "PUT")) {
    // Without a length the body would end only when the client closes.
    call->close = true;
    return peer_error(411, "length-required", "send Content-Length or chunked encoding");
  }
  watch.restart(body_timeout);
  BodyRead read = BodyRead::kBroken;
  try {
    read = read_body(req.stream(), max, req.hasContentLength() ? req.getContentLength64() : -1,
                     &r.body);
  } catch (const Poco::Exception&) {
    read = BodyRead::kBroken;
  }
  call->bytes_in = r.body.size();
  if (read == BodyRead::kTooLarge) {
    return refuse(
        peer_error(413, "too-large", "request body over " + std::to_string(max) + " bytes"));
  }
  if (read == BodyRead::kBroken || watch.fired()) {
    // Most likely nobody is left to read this answer; it is logged.
    call->close = true;
    return peer_error(408, "incomplete-body", "request body not received completely in time");
  }
  // The handler's own time is not bounded here: it is our code, and may wait
  // for the store or the ledger.
  watch.clear();
  try {
    return match->handler(r);
  } catch (...) {
    return peer_error(500, "internal", "the request could not be handled");
  }
}

}  // namespace gw::peering::internal
