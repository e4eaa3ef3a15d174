// ConsortiumView's passes over the chain: cursor check, chunked eth_getLogs,
// one SQLite transaction per chunk, then the in-memory merge.
#include <algorithm>
#include <cctype>

#include "gateway/base/clock.h"
#include "gateway/consortium/consortium_view.h"
#include "gateway/log/log.h"
#include "ledger-client/consortium/events.h"

namespace gw::consortium {
namespace {

// The node refused a log query for its size: worth asking again for fewer
// blocks. Nodes word it differently (geth/Infura "query returned more than
// 10000 results", Alchemy "Log response size exceeded", Besu/Nethermind
// "exceeds ... limit", block range limits); a body over our response limit
// is the same problem seen from our side.
bool too_many_results(const ledger::RpcFailure& f) {
  if (f.kind == ledger::RpcFailure::Kind::kTooLarge) return true;
  if (f.kind != ledger::RpcFailure::Kind::kRpcError) return false;
  if (f.code == -32005) return true;  // "limit exceeded" (EIP-1474)
  std::string m = f.message;
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* needle :
       {"more than", "too many", "exceed", "too large", "block range", "range limit"}) {
    if (m.find(needle) != std::string::npos) return true;
  }
  return false;
}

bool unreachable(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

}  // namespace

Status ConsortiumView::poll_once() {
  std::lock_guard<std::mutex> g(poll_mu_);
  Status s = poll_locked();
  note_poll(s);
  return s;
}

void ConsortiumView::note_poll(const Status& s) {
  bool was_reachable;
  std::string previous_error;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    was_reachable = status_.node_reachable;
    previous_error = status_.last_error;
    status_.node_reachable = s.ok() || !unreachable(s);
    status_.last_error = s.ok() ? std::string() : s.message();
    if (s.ok()) status_.last_sync_ms = now_ms();
  }
  // One line per change, not one per poll: an outage must not flood the log.
  if (!s.ok() && unreachable(s) && (was_reachable || previous_error.empty())) {
    log::warn("consortium_view.unreachable",
              {{"detail", s.message() + "; the view is delayed until the node answers"}});
  } else if (!s.ok() && !unreachable(s) && s.message() != previous_error) {
    log::error("consortium_view.error", {{"detail", s.message()}});
  } else if (s.ok() && !previous_error.empty()) {
    log::info("consortium_view.recovered", {});
  }
}

Status ConsortiumView::poll_locked() {
  auto head = eth_->block_number();
  if (!head) return head.error().to_status();
  const uint64_t confirmations = std::max<uint32_t>(options_.confirmations, 1);
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    status_.head = *head;
    status_.final_block = *head + 1 >= confirmations ? *head + 1 - confirmations : 0;
    status_.lag_blocks = status_.final_block > status_.applied_block
                             ? status_.final_block - status_.applied_block
                             : 0;
  }
  GW_RETURN_IF_ERROR(check_cursor());
  if (*head + 1 < confirmations) return ok_status();  // no final block yet
  const uint64_t final_block = *head + 1 - confirmations;
  uint64_t next = cursor_.started ? cursor_.block + 1 : options_.identity.deployment_block;
  while (next <= final_block) {
    {
      std::lock_guard<std::mutex> w(wake_mu_);
      if (stop_) return ok_status();
    }
    const uint64_t to = std::min(final_block, next + chunk_ - 1);
    Status s = apply_range(next, to);
    if (s.code() == StatusCode::kResourceExhausted && to > next) {
      chunk_ = std::max<uint64_t>(1, (to - next + 1) / 2);
      continue;
    }
    GW_RETURN_IF_ERROR(s);
    next = to + 1;
    chunk_ = std::min(options_.max_blocks_per_query, chunk_ * 2);
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  status_.caught_up = cursor_.started && cursor_.block >= final_block;
  return ok_status();
}

// The node must still have the block the view last applied; if not, the
// chain was reset (a new devnet, a restored node) or reorganised deeper than
// the confirmations, and everything the view holds may be gone.
Status ConsortiumView::check_cursor() {
  if (!cursor_.started) return ok_status();
  auto block = eth_->block(ledger::BlockRef::at(cursor_.block));
  if (!block) return block.error().to_status();
  if (block->has_value() && (*block)->hash == cursor_.hash) return ok_status();
  log::warn("consortium_view.chain_reset",
            {{"block", std::to_string(cursor_.block)},
             {"detail", block->has_value() ? "the node has another block at this height"
                                           : "the node does not have this block"},
             {"action", "rebuilding the view from the deployment block " +
                            std::to_string(options_.identity.deployment_block)}});
  GW_RETURN_IF_ERROR(store_->clear());
  cursor_ = ViewCursor{};
  std::unique_lock<std::shared_mutex> lock(mu_);
  state_ = ViewState{};
  status_.started = false;
  status_.applied_block = 0;
  status_.caught_up = false;
  return ok_status();
}

// Registry and consent registry logs all matter; of the transfer log only
// those from or to this gateway (two queries, since eth_getLogs ORs within a
// topic position, not across positions).
Result<std::vector<ledger::Log>> ConsortiumView::fetch_logs(uint64_t from, uint64_t to) {
  const ViewScope& scope = options_.identity.scope;
  std::vector<ledger::LogFilter> filters(3);
  filters[0].addresses = {scope.registry, scope.consents};
  std::vector<ledger::Hash256> transfer_topics = {
      *ledger::consortium::event_topic0("TransferRecorded"),
      *ledger::consortium::event_topic0("TransferRefused")};
  ledger::Hash256 self{};
  std::copy(scope.self.begin(), scope.self.end(), self.begin() + 12);
  filters[1].addresses = {scope.transfer_log};
  filters[1].topics = {transfer_topics, std::vector<ledger::Hash256>{self}};
  filters[2].addresses = {scope.transfer_log};
  filters[2].topics = {transfer_topics, std::nullopt, std::vector<ledger::Hash256>{self}};
  std::vector<ledger::Log> logs;
  for (auto& f : filters) {
    f.from_block = ledger::BlockRef::at(from);
    f.to_block = ledger::BlockRef::at(to);
    auto part = eth_->get_logs(f);
    {
      std::unique_lock<std::shared_mutex> lock(mu_);
      ++status_.log_queries;
    }
    if (!part) {
      if (too_many_results(part.error()))
        return resource_exhausted_error("eth_getLogs: too many results for blocks " +
                                        std::to_string(from) + "-" + std::to_string(to));
      return part.error().to_status();
    }
    for (auto& log : *part) {
      if (log.block_number < from || log.block_number > to)
        return failed_precondition_error("eth_getLogs: the node returned a log outside the range");
      logs.push_back(std::move(log));
    }
  }
  // Chain order; a transfer from this gateway to itself matches two queries.
  std::sort(logs.begin(), logs.end(), [](const ledger::Log& a, const ledger::Log& b) {
    return std::tie(a.block_number, a.log_index) < std::tie(b.block_number, b.log_index);
  });
  logs.erase(std::unique(logs.begin(), logs.end(),
                         [](const ledger::Log& a, const ledger::Log& b) {
                           return a.block_number == b.block_number && a.log_index == b.log_index;
                         }),
             logs.end());
  return logs;
}

Status ConsortiumView::apply_range(uint64_t from, uint64_t to) {
  GW_ASSIGN_OR_RETURN(std::vector<ledger::Log> logs, fetch_logs(from, to));
  auto end = eth_->block(ledger::BlockRef::at(to));
  if (!end) return end.error().to_status();
  if (!end->has_value())
    return unavailable_error("eth_getBlockByNumber: the node no longer has block " +
                             std::to_string(to));
  ViewDelta delta;
  // The follower is the only writer of state_, so reading it here without
  // the lock races with nothing.
  for (const ledger::Log& log : logs) {
    if (log.block_number == to && log.block_hash != (*end)->hash)
      return unavailable_error("block " + std::to_string(to) +
                               " changed while it was read; reading it again");
    GW_RETURN_IF_ERROR(apply_log(state_, options_.identity.scope, log, delta));
  }
  const ViewCursor next{true, to, (*end)->hash};
  GW_RETURN_IF_ERROR(store_->commit(delta, next));
  cursor_ = next;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    merge(state_, std::move(delta));
    status_.started = true;
    status_.applied_block = to;
    status_.lag_blocks = status_.final_block > to ? status_.final_block - to : 0;
  }
  wake_cv_.notify_all();  // wait_for_block
  return ok_status();
}

}  // namespace gw::consortium
