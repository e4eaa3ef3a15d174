#include "ledger-client/rpc/eth_json.h"

#include <string>

#include "ledger-client/rpc/json_util.h"

namespace gw::ledger {
namespace {

using rpc_internal::bad_field;
using rpc_internal::Json;
using rpc_internal::JsonDoc;
using rpc_internal::member;

// A failure to return, or nullopt to go on.
using Check = std::optional<RpcFailure>;
#define GW_RPC_RETURN_IF_FAILED(expr)                       \
  do {                                                      \
    if (Check failed_ = (expr)) return std::move(*failed_); \
  } while (0)

std::string field_path(std::string_view path, const char* key) {
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

std::string index_path(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

// The member `key`; a failure naming it when absent.
Check require(const Json& obj, std::string_view path, const char* key, const Json** out) {
  *out = member(obj, key);
  if (*out == nullptr) return bad_field(field_path(path, key), "missing");
  return std::nullopt;
}

Check read_u64(const Json& v, std::string_view path, uint64_t* out) {
  auto x = rpc_internal::read_u64(v);
  if (!x) return bad_field(path, "not a 64-bit hex quantity");
  *out = *x;
  return std::nullopt;
}

Check read_u256(const Json& v, std::string_view path, Uint256* out) {
  auto x = rpc_internal::read_u256(v);
  if (!x) return bad_field(path, "not a 256-bit hex quantity");
  *out = *x;
  return std::nullopt;
}

Check read_hash(const Json& v, std::string_view path, Hash256* out) {
  auto x = rpc_internal::read_hash(v);
  if (!x) return bad_field(path, "not a 32-byte hex hash");
  *out = *x;
  return std::nullopt;
}

Check read_address(const Json& v, std::string_view path, Address* out) {
  auto x = rpc_internal::read_address(v);
  if (!x) return bad_field(path, "not a 20-byte hex address");
  *out = *x;
  return std::nullopt;
}

Check read_data(const Json& v, std::string_view path, std::vector<uint8_t>* out) {
  auto x = rpc_internal::read_data(v);
  if (!x) return bad_field(path, "not 0x-hex data");
  *out = std::move(*x);
  return std::nullopt;
}

// obj.key through one of the readers above.
template <typename T, typename Reader>
Check field(const Json& obj, std::string_view path, const char* key, T* out, Reader reader) {
  const Json* v = nullptr;
  GW_RPC_RETURN_IF_FAILED(require(obj, path, key, &v));
  return reader(*v, field_path(path, key), out);
}

// obj.key when present and not null; `out` is left alone otherwise.
template <typename T, typename Reader>
Check optional_field(const Json& obj, std::string_view path, const char* key, std::optional<T>* out,
                     Reader reader) {
  const Json* v = member(obj, key);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  T value{};
  GW_RPC_RETURN_IF_FAILED(reader(*v, field_path(path, key), &value));
  *out = std::move(value);
  return std::nullopt;
}

Check parse_text(std::string_view json, JsonDoc& doc) {
  if (auto err = rpc_internal::parse_json(json, doc)) {
    return RpcFailure::make(RpcFailure::Kind::kBadResponse, *err);
  }
  return std::nullopt;
}

Check read_log(const Json& v, std::string_view path, Log* out) {
  if (!v.IsObject()) return bad_field(path, "not an object");
  GW_RPC_RETURN_IF_FAILED(field(v, path, "address", &out->address, read_address));
  const Json* topics = nullptr;
  GW_RPC_RETURN_IF_FAILED(require(v, path, "topics", &topics));
  const std::string topics_path = field_path(path, "topics");
  if (!topics->IsArray()) return bad_field(topics_path, "not an array");
  // LOG0..LOG4: more than four topics is not something an EVM produces.
  if (topics->Size() > 4) return bad_field(topics_path, "more than 4 topics");
  out->topics.resize(topics->Size());
  for (rapidjson::SizeType i = 0; i < topics->Size(); ++i)
    GW_RPC_RETURN_IF_FAILED(read_hash((*topics)[i], index_path(topics_path, i), &out->topics[i]));
  GW_RPC_RETURN_IF_FAILED(field(v, path, "data", &out->data, read_data));
  GW_RPC_RETURN_IF_FAILED(field(v, path, "blockNumber", &out->block_number, read_u64));
  GW_RPC_RETURN_IF_FAILED(field(v, path, "blockHash", &out->block_hash, read_hash));
  GW_RPC_RETURN_IF_FAILED(field(v, path, "transactionHash", &out->transaction_hash, read_hash));
  GW_RPC_RETURN_IF_FAILED(field(v, path, "transactionIndex", &out->transaction_index, read_u64));
  GW_RPC_RETURN_IF_FAILED(field(v, path, "logIndex", &out->log_index, read_u64));
  out->removed = false;
  if (const Json* removed = member(v, "removed"); removed != nullptr && !removed->IsNull()) {
    if (!removed->IsBool()) return bad_field(field_path(path, "removed"), "not a boolean");
    out->removed = removed->GetBool();
  }
  return std::nullopt;
}

Check read_logs(const Json& v, std::string_view path, std::vector<Log>* out) {
  if (!v.IsArray()) return bad_field(path, "not an array");
  out->resize(v.Size());
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
    GW_RPC_RETURN_IF_FAILED(read_log(v[i], index_path(path, i), &(*out)[i]));
  return std::nullopt;
}

template <typename T, typename Reader>
RpcResult<T> parse_scalar(std::string_view json, std::string_view field_name, Reader reader) {
  JsonDoc doc;
  GW_RPC_RETURN_IF_FAILED(parse_text(json, doc));
  T out{};
  GW_RPC_RETURN_IF_FAILED(reader(doc, field_name, &out));
  return out;
}

}  // namespace

RpcResult<uint64_t> parse_u64_result(std::string_view json, std::string_view field_name) {
  return parse_scalar<uint64_t>(json, field_name, read_u64);
}

RpcResult<Uint256> parse_u256_result(std::string_view json, std::string_view field_name) {
  return parse_scalar<Uint256>(json, field_name, read_u256);
}

RpcResult<std::vector<uint8_t>> parse_data_result(std::string_view json,
                                                  std::string_view field_name) {
  return parse_scalar<std::vector<uint8_t>>(json, field_name, read_data);
}

RpcResult<Hash256> parse_hash_result(std::string_view json, std::string_view field_name) {
  return parse_scalar<Hash256>(json, field_name, read_hash);
}

RpcResult<std::optional<Receipt>> parse_receipt(std::string_view json) {
  JsonDoc doc;
  GW_RPC_RETURN_IF_FAILED(parse_text(json, doc));
  if (doc.IsNull()) return std::optional<Receipt>();
  constexpr std::string_view p = "receipt";
  if (!doc.IsObject()) return bad_field(p, "not an object or null");
  const Json* number = member(doc, "blockNumber");
  if (number == nullptr || number->IsNull()) return std::optional<Receipt>();
  Receipt r;
  GW_RPC_RETURN_IF_FAILED(read_u64(*number, "receipt.blockNumber", &r.block_number));
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "transactionHash", &r.transaction_hash, read_hash));
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "blockHash", &r.block_hash, read_hash));
  uint64_t status = 0;
  // Pre-Byzantium receipts carry a state root instead; the consortium chain is
  // post-London, so a receipt without status is refused rather than guessed.
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "status", &status, read_u64));
  if (status > 1) return bad_field("receipt.status", "neither 0x0 nor 0x1");
  r.success = status == 1;
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "gasUsed", &r.gas_used, read_u64));
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "cumulativeGasUsed", &r.cumulative_gas_used, read_u64));
  std::optional<Uint256> price;
  GW_RPC_RETURN_IF_FAILED(optional_field(doc, p, "effectiveGasPrice", &price, read_u256));
  r.effective_gas_price = price.value_or(Uint256());
  GW_RPC_RETURN_IF_FAILED(
      optional_field(doc, p, "contractAddress", &r.contract_address, read_address));
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "from", &r.from, read_address));
  GW_RPC_RETURN_IF_FAILED(optional_field(doc, p, "to", &r.to, read_address));
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "logs", &r.logs, read_logs));
  return std::optional<Receipt>(std::move(r));
}

RpcResult<std::optional<TransactionInfo>> parse_transaction(std::string_view json) {
  JsonDoc doc;
  GW_RPC_RETURN_IF_FAILED(parse_text(json, doc));
  if (doc.IsNull()) return std::optional<TransactionInfo>();
  constexpr std::string_view p = "transaction";
  if (!doc.IsObject()) return bad_field(p, "not an object or null");
  TransactionInfo t;
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "hash", &t.hash, read_hash));
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "nonce", &t.nonce, read_u64));
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "from", &t.from, read_address));
  GW_RPC_RETURN_IF_FAILED(optional_field(doc, p, "blockNumber", &t.block_number, read_u64));
  return std::optional<TransactionInfo>(std::move(t));
}

RpcResult<std::optional<BlockHeader>> parse_block(std::string_view json) {
  JsonDoc doc;
  GW_RPC_RETURN_IF_FAILED(parse_text(json, doc));
  if (doc.IsNull()) return std::optional<BlockHeader>();
  constexpr std::string_view p = "block";
  if (!doc.IsObject()) return bad_field(p, "not an object or null");
  BlockHeader b;
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "number", &b.number, read_u64));
  std::optional<Hash256> hash;  // null for a pending block
  GW_RPC_RETURN_IF_FAILED(optional_field(doc, p, "hash", &hash, read_hash));
  b.hash = hash.value_or(Hash256{});
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "parentHash", &b.parent_hash, read_hash));
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "timestamp", &b.timestamp, read_u64));
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "gasLimit", &b.gas_limit, read_u64));
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "gasUsed", &b.gas_used, read_u64));
  GW_RPC_RETURN_IF_FAILED(optional_field(doc, p, "baseFeePerGas", &b.base_fee_per_gas, read_u256));
  return std::optional<BlockHeader>(std::move(b));
}

RpcResult<FeeHistory> parse_fee_history(std::string_view json) {
  JsonDoc doc;
  GW_RPC_RETURN_IF_FAILED(parse_text(json, doc));
  constexpr std::string_view p = "feeHistory";
  if (!doc.IsObject()) return bad_field(p, "not an object");
  FeeHistory h;
  GW_RPC_RETURN_IF_FAILED(field(doc, p, "oldestBlock", &h.oldest_block, read_u64));
  const Json* ratios = nullptr;
  GW_RPC_RETURN_IF_FAILED(require(doc, p, "gasUsedRatio", &ratios));
  if (!ratios->IsArray()) return bad_field("feeHistory.gasUsedRatio", "not an array");
  for (rapidjson::SizeType i = 0; i < ratios->Size(); ++i) {
    const Json& r = (*ratios)[i];
    // A ratio is gas used / gas limit; anything outside [0, 1] is not one.
    if (!r.IsNumber() || !(r.GetDouble() >= 0.0 && r.GetDouble() <= 1.0))
      return bad_field(index_path("feeHistory.gasUsedRatio", i), "not a ratio in [0, 1]");
    h.gas_used_ratio.push_back(r.GetDouble());
  }
  const size_t n = h.gas_used_ratio.size();
  const Json* base = nullptr;
  GW_RPC_RETURN_IF_FAILED(require(doc, p, "baseFeePerGas", &base));
  if (!base->IsArray() || base->Size() != n + 1)
    return bad_field("feeHistory.baseFeePerGas", "not an array of one entry per block plus one");
  h.base_fee_per_gas.resize(n + 1);
  for (rapidjson::SizeType i = 0; i <= n; ++i)
    GW_RPC_RETURN_IF_FAILED(
        read_u256((*base)[i], index_path("feeHistory.baseFeePerGas", i), &h.base_fee_per_gas[i]));
  const Json* reward = member(doc, "reward");
  if (reward != nullptr && !reward->IsNull()) {
    if (!reward->IsArray() || reward->Size() != n)
      return bad_field("feeHistory.reward", "not an array of one row per block");
    h.reward.resize(n);
    for (rapidjson::SizeType i = 0; i < n; ++i) {
      const Json& row = (*reward)[i];
      const std::string row_path = index_path("feeHistory.reward", i);
      if (!row.IsArray()) return bad_field(row_path, "not an array");
      if (i > 0 && row.Size() != h.reward[0].size())
        return bad_field(row_path, "rows of different lengths");
      h.reward[i].resize(row.Size());
      for (rapidjson::SizeType j = 0; j < row.Size(); ++j)
        GW_RPC_RETURN_IF_FAILED(read_u256(row[j], index_path(row_path, j), &h.reward[i][j]));
    }
  }
  return h;
}

RpcResult<std::vector<Log>> parse_logs(std::string_view json) {
  JsonDoc doc;
  GW_RPC_RETURN_IF_FAILED(parse_text(json, doc));
  std::vector<Log> logs;
  GW_RPC_RETURN_IF_FAILED(read_logs(doc, "logs", &logs));
  return logs;
}

}  // namespace gw::ledger
