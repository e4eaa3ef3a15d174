// How a JSON-RPC exchange with an Ethereum node failed, and RpcResult<T>: a T
// or that failure. The outbox/submitter decides what to do next from the
// failure's kind (retry later, rebuild the transaction, give up), so the kinds
// are chosen by the caller's next step, not by where in our code they arose.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"

namespace gw::ledger {

struct RpcFailure {
  enum class Kind {
    kUnreachable,  // DNS, connection refused/reset, TLS handshake, connection lost
    kTimeout,      // connect_timeout or io_timeout elapsed
    kHttpStatus,   // an HTTP status that carries no JSON-RPC reply (429, 503, 401, ...)
    kBadResponse,  // not JSON, not a JSON-RPC reply, or a field of the wrong shape
    kTooLarge,     // the body exceeded max_response_bytes (reading stopped there)
    kRpcError,     // the node answered with a JSON-RPC error object
  };
  Kind kind = Kind::kUnreachable;
  int http_status = 0;  // kHttpStatus (and kBadResponse when the status was not 200)
  int64_t code = 0;     // kRpcError: the JSON-RPC error code
  // The node's message (kRpcError) or ours; control characters escaped and at
  // most 300 bytes (set it through set_message()).
  std::string message;
  // kRpcError: error.data when it is a 0x-hex string (revert data), else empty.
  std::vector<uint8_t> data;
  // The JSON-RPC method, for describe(); never the params (they may hold a
  // signed transaction or patient-derived call data).
  std::string method;

  // Connection refused/reset, timeouts, HTTP 429/502/503/504: worth retrying
  // unchanged later. Everything else needs a decision (or a fix) first.
  bool transient() const;
  // One log-safe line: "eth_sendRawTransaction: rpc error -32000: nonce too low".
  // Never the URL's userinfo or query, never request params.
  std::string describe() const;
  // Stores `text` as message: control characters and non-ASCII bytes escaped
  // (\xNN), cut at 300 bytes. Node messages are untrusted and end up in logs.
  void set_message(std::string_view text);

  // The failure as a Status, for callers that only report it: describe() as
  // the message; unreachable and transient HTTP statuses are kUnavailable, a
  // timeout kDeadlineExceeded, an oversized body kResourceExhausted, and a
  // node that answers but refuses or makes no sense kFailedPrecondition.
  Status to_status() const;

  static RpcFailure make(Kind kind, std::string_view message);
};

// Name of a kind for messages and test output: "unreachable", "timeout", ...
const char* rpc_failure_kind_name(RpcFailure::Kind kind);

// A T or an RpcFailure: the shared Result with the failure as its error
// payload, because for network calls the caller needs more than a message.
template <typename T>
using RpcResult = gw::Result<T, RpcFailure>;

}  // namespace gw::ledger
