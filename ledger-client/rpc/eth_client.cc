#include "ledger-client/rpc/eth_client.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include "ledger-client/rpc/eth_json.h"
#include "ledger-client/rpc/json_util.h"
#include "ledger-client/tx/transaction.h"

namespace gw::ledger {
namespace {

using rpc_internal::data_hex;
using rpc_internal::quantity_hex;

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string block_param(const BlockRef& ref) {
  if (ref.number) return quoted(quantity_hex(*ref.number));
  switch (ref.tag) {
    case BlockTag::kLatest:
      return "\"latest\"";
    case BlockTag::kPending:
      return "\"pending\"";
    case BlockTag::kSafe:
      return "\"safe\"";
    case BlockTag::kFinalized:
      return "\"finalized\"";
    case BlockTag::kEarliest:
      return "\"earliest\"";
  }
  return "\"latest\"";
}

std::string call_object(const CallRequest& r) {
  std::string o = "{";
  auto add = [&](const char* key, const std::string& value) {
    if (o.size() > 1) o += ',';
    o += quoted(key) + ":" + value;
  };
  if (r.from) add("from", quoted(data_hex(*r.from)));
  if (r.to) add("to", quoted(data_hex(*r.to)));
  if (!r.data.empty()) add("data", quoted(data_hex(r.data)));
  if (!r.value.is_zero()) add("value", quoted(r.value.to_hex()));
  if (r.gas) add("gas", quoted(quantity_hex(*r.gas)));
  return o + "}";
}

// Adds the method name to a failure from a parser.
template <typename T>
RpcResult<T> named(RpcResult<T> r, std::string_view method) {
  if (r.ok()) return r;
  RpcFailure f = std::move(r).error();
  f.method = std::string(method);
  return f;
}

// Calls `method` and parses its result with `parse`.
template <typename Parse>
auto call_parsed(JsonRpcClient& rpc, std::string_view method, const std::string& params,
                 Parse parse) -> decltype(parse(std::string_view())) {
  auto raw = rpc.call(method, params);
  if (!raw.ok()) return std::move(raw).error();
  return named(parse(*raw), method);
}

// Sends `requests` as one batch and parses each reply with `parse`, in order.
template <typename Parse>
auto batch_parsed(JsonRpcClient& rpc, const std::vector<RpcRequest>& requests, Parse parse)
    -> std::vector<decltype(parse(std::string_view()))> {
  auto replies = rpc.batch(requests);
  std::vector<decltype(parse(std::string_view()))> out;
  out.reserve(replies.size());
  for (size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i].ok()) {
      out.push_back(std::move(replies[i]).error());
    } else {
      out.push_back(named(parse(*replies[i]), requests[i].method));
    }
  }
  return out;
}

RpcResult<Hash256> check_sent_hash(RpcResult<std::string> raw_result,
                                   std::span<const uint8_t> raw) {
  constexpr std::string_view kMethod = "eth_sendRawTransaction";
  if (!raw_result.ok()) return std::move(raw_result).error();
  auto hash = named(parse_hash_result(*raw_result, "result"), kMethod);
  if (!hash.ok()) return hash;
  if (*hash != transaction_hash(raw)) {
    RpcFailure f = RpcFailure::make(RpcFailure::Kind::kBadResponse,
                                    "node reported a hash other than the transaction's");
    f.method = std::string(kMethod);
    return f;
  }
  return hash;
}

// Lower case without spaces, underscores and hyphens: "Nonce too low",
// "NONCE_TOO_LOW" and "NonceTooLow" all become "noncetoolow".
std::string squashed(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == ' ' || c == '_' || c == '-') continue;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

bool contains(const std::string& hay, std::string_view needle) {
  return hay.find(needle) != std::string::npos;
}

}  // namespace

RpcResult<uint64_t> EthClient::chain_id() {
  return call_parsed(rpc_, "eth_chainId", "[]",
                     [](std::string_view j) { return parse_u64_result(j, "result"); });
}

RpcResult<uint64_t> EthClient::block_number() {
  return call_parsed(rpc_, "eth_blockNumber", "[]",
                     [](std::string_view j) { return parse_u64_result(j, "result"); });
}

RpcResult<std::optional<BlockHeader>> EthClient::block(BlockRef ref) {
  return call_parsed(rpc_, "eth_getBlockByNumber", "[" + block_param(ref) + ",false]", parse_block);
}

RpcResult<uint64_t> EthClient::transaction_count(const Address& account, BlockRef ref) {
  return call_parsed(rpc_, "eth_getTransactionCount",
                     "[" + quoted(data_hex(account)) + "," + block_param(ref) + "]",
                     [](std::string_view j) { return parse_u64_result(j, "result"); });
}

RpcResult<Uint256> EthClient::balance(const Address& account, BlockRef ref) {
  return call_parsed(rpc_, "eth_getBalance",
                     "[" + quoted(data_hex(account)) + "," + block_param(ref) + "]",
                     [](std::string_view j) { return parse_u256_result(j, "result"); });
}

RpcResult<Uint256> EthClient::gas_price() {
  return call_parsed(rpc_, "eth_gasPrice", "[]",
                     [](std::string_view j) { return parse_u256_result(j, "result"); });
}

RpcResult<Uint256> EthClient::max_priority_fee_per_gas() {
  return call_parsed(rpc_, "eth_maxPriorityFeePerGas", "[]",
                     [](std::string_view j) { return parse_u256_result(j, "result"); });
}

RpcResult<FeeHistory> EthClient::fee_history(uint64_t block_count, BlockRef newest,
                                             std::span<const double> percentiles) {
  std::string list = "[";
  for (size_t i = 0; i < percentiles.size(); ++i) {
    const double p = percentiles[i];
    // NaN or infinity would make the request invalid JSON.
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", std::isfinite(p) ? p : 0.0);
    if (i > 0) list += ',';
    list += buf;
  }
  list += "]";
  auto h = call_parsed(
      rpc_, "eth_feeHistory",
      "[" + quoted(quantity_hex(block_count)) + "," + block_param(newest) + "," + list + "]",
      parse_fee_history);
  if (!h.ok()) return h;
  if (!h->reward.empty() && !percentiles.empty() && h->reward[0].size() != percentiles.size()) {
    RpcFailure f = rpc_internal::bad_field("feeHistory.reward", "not one entry per percentile");
    f.method = "eth_feeHistory";
    return f;
  }
  if (h->reward.empty() && !percentiles.empty() && !h->gas_used_ratio.empty()) {
    RpcFailure f = rpc_internal::bad_field("feeHistory.reward", "missing");
    f.method = "eth_feeHistory";
    return f;
  }
  return h;
}

RpcResult<std::vector<uint8_t>> EthClient::get_code(const Address& account, BlockRef ref) {
  return call_parsed(rpc_, "eth_getCode",
                     "[" + quoted(data_hex(account)) + "," + block_param(ref) + "]",
                     [](std::string_view j) { return parse_data_result(j, "result"); });
}

RpcResult<std::vector<uint8_t>> EthClient::call(const CallRequest& request, BlockRef ref) {
  return call_parsed(rpc_, "eth_call", "[" + call_object(request) + "," + block_param(ref) + "]",
                     [](std::string_view j) { return parse_data_result(j, "result"); });
}

RpcResult<uint64_t> EthClient::estimate_gas(const CallRequest& request, BlockRef ref) {
  // Some nodes (older Besu) refuse a block argument here; "latest" is their
  // default anyway, so it is only sent when it says something else.
  const bool is_default = !ref.number && ref.tag == BlockTag::kLatest;
  std::string params =
      "[" + call_object(request) + (is_default ? "" : "," + block_param(ref)) + "]";
  return call_parsed(rpc_, "eth_estimateGas", params,
                     [](std::string_view j) { return parse_u64_result(j, "result"); });
}

RpcResult<Hash256> EthClient::send_raw_transaction(std::span<const uint8_t> raw) {
  return check_sent_hash(rpc_.call("eth_sendRawTransaction", "[" + quoted(data_hex(raw)) + "]"),
                         raw);
}

RpcResult<std::optional<Receipt>> EthClient::transaction_receipt(const Hash256& tx_hash) {
  return call_parsed(rpc_, "eth_getTransactionReceipt", "[" + quoted(data_hex(tx_hash)) + "]",
                     parse_receipt);
}

RpcResult<std::optional<TransactionInfo>> EthClient::transaction_by_hash(const Hash256& tx_hash) {
  return call_parsed(rpc_, "eth_getTransactionByHash", "[" + quoted(data_hex(tx_hash)) + "]",
                     parse_transaction);
}

RpcResult<std::vector<Log>> EthClient::get_logs(const LogFilter& filter) {
  std::string o = "{";
  if (filter.block_hash) {
    o += "\"blockHash\":" + quoted(data_hex(*filter.block_hash));
  } else {
    o += "\"fromBlock\":" + block_param(filter.from_block) +
         ",\"toBlock\":" + block_param(filter.to_block);
  }
  if (!filter.addresses.empty()) {
    o += ",\"address\":[";
    for (size_t i = 0; i < filter.addresses.size(); ++i)
      o += (i > 0 ? "," : "") + quoted(data_hex(filter.addresses[i]));
    o += "]";
  }
  if (!filter.topics.empty()) {
    o += ",\"topics\":[";
    for (size_t i = 0; i < filter.topics.size(); ++i) {
      if (i > 0) o += ',';
      if (!filter.topics[i]) {
        o += "null";
        continue;
      }
      o += '[';
      for (size_t j = 0; j < filter.topics[i]->size(); ++j)
        o += (j > 0 ? "," : "") + quoted(data_hex((*filter.topics[i])[j]));
      o += ']';
    }
    o += "]";
  }
  o += "}";
  return call_parsed(rpc_, "eth_getLogs", "[" + o + "]", parse_logs);
}

std::vector<RpcResult<Hash256>> EthClient::send_raw_transactions(
    std::span<const std::vector<uint8_t>> raws) {
  std::vector<RpcRequest> requests;
  requests.reserve(raws.size());
  for (const auto& raw : raws)
    requests.push_back({"eth_sendRawTransaction", "[" + quoted(data_hex(raw)) + "]"});
  auto replies = rpc_.batch(requests);
  std::vector<RpcResult<Hash256>> out;
  out.reserve(raws.size());
  for (size_t i = 0; i < raws.size(); ++i)
    out.push_back(check_sent_hash(std::move(replies[i]), raws[i]));
  return out;
}

std::vector<RpcResult<std::optional<Receipt>>> EthClient::transaction_receipts(
    std::span<const Hash256> hashes) {
  std::vector<RpcRequest> requests;
  requests.reserve(hashes.size());
  for (const auto& h : hashes)
    requests.push_back({"eth_getTransactionReceipt", "[" + quoted(data_hex(h)) + "]"});
  return batch_parsed(rpc_, requests, parse_receipt);
}

std::vector<RpcResult<std::vector<uint8_t>>> EthClient::calls(std::span<const CallRequest> requests,
                                                              BlockRef ref) {
  std::vector<RpcRequest> batch;
  batch.reserve(requests.size());
  for (const auto& r : requests)
    batch.push_back({"eth_call", "[" + call_object(r) + "," + block_param(ref) + "]"});
  return batch_parsed(rpc_, batch,
                      [](std::string_view j) { return parse_data_result(j, "result"); });
}

bool is_nonce_too_low(const RpcFailure& f) {
  if (f.kind != RpcFailure::Kind::kRpcError) return false;
  const std::string m = squashed(f.message);
  // geth/anvil "nonce too low", Besu "Nonce too low" / NONCE_TOO_LOW,
  // OpenEthereum "Transaction nonce is too low".
  return contains(m, "noncetoolow") || contains(m, "nonceistoolow");
}

bool is_already_known(const RpcFailure& f) {
  if (f.kind != RpcFailure::Kind::kRpcError) return false;
  const std::string m = squashed(f.message);
  // geth "already known", older geth "known transaction: <hash>", Besu "Known
  // transaction" / TRANSACTION_ALREADY_KNOWN, anvil "transaction already
  // imported", erigon "existing tx with same hash".
  if (contains(m, "alreadyknown") || contains(m, "alreadyimported") ||
      contains(m, "existingtxwithsamehash"))
    return true;
  const size_t at = m.find("knowntransaction");
  return at != std::string::npos && (at < 2 || m.compare(at - 2, 2, "un") != 0);
}

bool is_underpriced(const RpcFailure& f) {
  if (f.kind != RpcFailure::Kind::kRpcError) return false;
  const std::string m = squashed(f.message);
  // geth/anvil/Besu "(replacement) transaction underpriced", geth/anvil "max fee
  // per gas less than block base fee", Besu "Gas price below configured minimum
  // gas price" / "Gas price below current base fee", OpenEthereum "Transaction
  // gas price is too low".
  return contains(m, "underpriced") || contains(m, "maxfeepergaslessthanblockbasefee") ||
         contains(m, "feecaptoolow") || contains(m, "gaspricebelow") ||
         contains(m, "gaspriceistoolow") || contains(m, "gaspricesuppliedistoolow") ||
         contains(m, "gaspricetoolow");
}

}  // namespace gw::ledger
