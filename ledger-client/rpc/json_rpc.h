// JSON-RPC 2.0 over HTTP(S) to an Ethereum node (geth, Besu, anvil): one
// persistent keep-alive connection, single calls and batches, every reply
// treated as hostile (size bounded while reading, a deadline over the whole
// exchange, shape checked before anything is returned).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/rpc/rpc_result.h"

namespace gw::ledger {

struct JsonRpcOptions {
  // http://host:port[/path] or https://...; userinfo becomes HTTP Basic
  // authentication. The URL never appears in failures or logs.
  std::string url{};
  std::chrono::milliseconds connect_timeout{3000};
  // Per request: sending it and receiving the whole response, however slowly
  // the node trickles it.
  std::chrono::milliseconds io_timeout{10000};
  // Larger bodies fail with kTooLarge; reading stops there.
  size_t max_response_bytes = 32u << 20;
  std::string ca_file{};  // https: trust anchors (empty: the system store)
  // Optional mutual TLS (Besu can require client certificates).
  std::string client_cert_file{}, client_key_file{};
  // Extra request headers, e.g. {"Authorization", "Bearer <jwt>"} for Besu.
  std::vector<std::pair<std::string, std::string>> headers{};
};

// params_json: the JSON array text of the parameters, "[]" if none.
struct RpcRequest {
  std::string method;
  std::string params_json;
};

class JsonRpcClient {
 public:
  // Checks the URL (scheme http or https, a host), the TLS files and the
  // limits; does not connect.
  static Result<std::unique_ptr<JsonRpcClient>> create(JsonRpcOptions options);
  ~JsonRpcClient();
  JsonRpcClient(const JsonRpcClient&) = delete;
  JsonRpcClient& operator=(const JsonRpcClient&) = delete;

  // One request; the raw JSON text of "result" ("\"0x1\"", "null", "{...}").
  // A JSON-RPC error reply is kRpcError with the node's code, message and
  // (hex) data.
  RpcResult<std::string> call(std::string_view method, std::string_view params_json);

  // One HTTP POST with a JSON array of requests (JSON-RPC 2.0 batch), results
  // in input order. Replies are matched by id (nodes may reorder them); a
  // missing or duplicated reply is kBadResponse for that entry; a transport
  // failure fails every entry. A single error object instead of an array (how
  // nodes refuse a whole batch, e.g. too many entries) fails every entry with
  // that error. An empty span sends nothing.
  std::vector<RpcResult<std::string>> batch(std::span<const RpcRequest> requests);

  // One persistent HTTP/1.1 connection is reused across calls. When the node
  // closed it while idle, the request is sent again once on a new connection,
  // but only if no byte of a response had arrived and the connection was a
  // reused one (a fresh connection failing is reported, not retried).
  uint64_t connections_opened() const;
  uint64_t requests_sent() const;  // HTTP requests written (a batch counts once)

  // Thread-safe: calls from several threads are serialized on one connection.

 private:
  struct Impl;
  explicit JsonRpcClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::ledger
