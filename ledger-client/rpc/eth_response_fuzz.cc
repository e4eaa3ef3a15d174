// Fuzz target for the typed eth_ result parsers (eth_json.h) on arbitrary
// text: receipts, logs, blocks, transactions, fee histories and scalars. The
// whole input is handed to every parser. Beyond memory safety it checks the
// shapes the parsers promise (fee history n / n + 1 / n rows, at most four
// topics per log, bounded failure messages).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ledger-client/rpc/eth_json.h"

namespace {

using namespace gw::ledger;

void check(bool ok) {
  if (!ok) std::abort();
}

template <typename T>
void check_failure(const RpcResult<T>& r) {
  if (r.ok()) return;
  check(r.error().kind == RpcFailure::Kind::kBadResponse);
  check(r.error().message.size() <= 300);
  check(!r.error().describe().empty());
}

void check_logs(const std::vector<Log>& logs) {
  for (const Log& l : logs) check(l.topics.size() <= 4);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto receipt = parse_receipt(text);
  check_failure(receipt);
  if (receipt.ok() && receipt->has_value()) check_logs((*receipt)->logs);

  auto logs = parse_logs(text);
  check_failure(logs);
  if (logs.ok()) check_logs(*logs);

  check_failure(parse_block(text));
  check_failure(parse_transaction(text));

  auto history = parse_fee_history(text);
  check_failure(history);
  if (history.ok()) {
    const size_t n = history->gas_used_ratio.size();
    check(history->base_fee_per_gas.size() == n + 1);
    check(history->reward.empty() || history->reward.size() == n);
    for (double r : history->gas_used_ratio) check(r >= 0.0 && r <= 1.0);
  }

  check_failure(parse_u64_result(text, "result"));
  check_failure(parse_u256_result(text, "result"));
  check_failure(parse_data_result(text, "result"));
  check_failure(parse_hash_result(text, "result"));
  return 0;
}
