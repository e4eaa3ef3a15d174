// Internal to gateway/peering: one request on a connection whose TLS
// handshake is done and whose caller is identified (or not): refusals,
// routing, the bounded body, the handler. peer_server.cc owns the connection
// (its deadlines, the response, the log line); this file owns the rules of a
// request, in the order the header of peer_server.h gives.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "gateway/peering/deadline_reaper.h"
#include "gateway/peering/peer_server.h"

namespace gw::peering::internal {

// What one call did, for its response and its log line.
struct Call {
  std::string route = "-";  // the matched route's prefix (never the path)
  std::string allow;        // for a 405: the methods the path accepts
  size_t bytes_in = 0;
  bool close = false;  // the connection must not be reused
};

// `routes` longest prefix first. `peer`: the caller's member account, or
// nullopt (403). `watch` is restarted for the body (body_timeout) and cleared
// while the handler runs. Never throws for what the peer sends; a handler's
// exception becomes a 500.
PeerResponse dispatch(Poco::Net::HTTPServerRequest& req, const std::vector<PeerRoute>& routes,
                      size_t max_body_bytes, std::chrono::milliseconds body_timeout,
                      const std::optional<Account>& peer, const Fingerprint& fp, Watch& watch,
                      Call* call);

}  // namespace gw::peering::internal
