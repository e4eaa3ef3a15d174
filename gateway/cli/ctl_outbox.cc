// gatewayctl ledger outbox | retry: what this gateway's ledger outbox holds,
// and the operator's retry of items that failed.
//
//   ledger outbox --config FILE [--state S] [--kind K] [--limit N]
//       The newest items first (default 50): sequence number, kind, state,
//       attempts, block, transaction, idempotency key and outcome (the decoded
//       revert reason of a failed item, the refusal reason of a refused one).
//   ledger retry --config FILE (--item SEQ | --all-failed)
//       Puts failed items back in the queue. Refused items are not retried: a
//       refusal is the contract's decision (no consent, ...), not a fault.
//
// Both read or write the outbox file only (no key store, no node), so they run
// beside gatewayd: its submitter takes a requeued item in its next round, and
// the item's idempotency key keeps it from reaching the chain twice.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config/config.h"
#include "gateway/cli/ctl_commands.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/outbox/outbox_store.h"

namespace gw::cli {

namespace {

using ledger::ItemKind;
using ledger::ItemState;

std::optional<ItemState> parse_state(const std::string& text) {
  for (ItemState s : {ItemState::kQueued, ItemState::kSubmitted, ItemState::kDone,
                      ItemState::kRefused, ItemState::kFailed})
    if (text == ledger::item_state_name(s)) return s;
  return std::nullopt;
}

std::optional<ItemKind> parse_kind(const std::string& text) {
  for (ItemKind k :
       {ItemKind::kTransfer, ItemKind::kAnchor, ItemKind::kConsentGrant, ItemKind::kCall})
    if (text == ledger::item_kind_name(k)) return k;
  return std::nullopt;
}

// Keys are either text the gateway chose ("deploy:AuditAnchor") or binary
// (transfer ids, batch roots): text when every byte is printable.
std::string show_key(const std::vector<uint8_t>& key) {
  if (key.empty()) return "-";
  bool printable = true;
  for (uint8_t b : key) printable = printable && b >= 0x21 && b <= 0x7e;
  if (printable) return std::string(key.begin(), key.end());
  return "0x" + ledger::to_hex(key);
}

int list(ledger::OutboxStore& outbox, std::optional<ItemState> state, std::optional<ItemKind> kind,
         uint64_t limit) {
  auto items = outbox.latest(state, kind, static_cast<size_t>(limit));
  if (!items) return ctl_fail(items.error());
  std::printf("%-8s %-8s %-9s %-8s %-9s %-66s %s\n", "SEQ", "KIND", "STATE", "ATTEMPTS", "BLOCK",
              "TX", "KEY / OUTCOME");
  for (const ledger::OutboxItem& it : *items) {
    const std::string block = it.block_number ? std::to_string(*it.block_number) : "-";
    const std::string tx = it.tx_hash ? "0x" + ledger::to_hex(*it.tx_hash) : "-";
    std::printf("%-8lld %-8s %-9s %-8d %-9s %-66s %s%s%s\n", static_cast<long long>(it.seq),
                std::string(ledger::item_kind_name(it.kind)).c_str(),
                std::string(ledger::item_state_name(it.state)).c_str(), it.attempts, block.c_str(),
                tx.c_str(), show_key(it.key).c_str(), it.outcome.empty() ? "" : " / ",
                it.outcome.c_str());
  }
  if (items->empty()) std::printf("(no items)\n");
  return 0;
}

int retry(ledger::OutboxStore& outbox, std::optional<int64_t> seq) {
  if (seq) {
    auto item = outbox.item(*seq);
    if (!item) return ctl_fail(item.error());
    if (!item->has_value()) return ctl_fail("the outbox has no item " + std::to_string(*seq));
    if ((*item)->state != ItemState::kFailed) {
      return ctl_fail(
          "item " + std::to_string(*seq) + " is " +
          std::string(ledger::item_state_name((*item)->state)) +
          ", not failed: only failed items are retried" +
          ((*item)->state == ItemState::kRefused ? " (a refusal is the contract's decision)" : ""));
    }
  }
  auto n = outbox.requeue_failed(seq);
  if (!n) return ctl_fail(n.error());
  std::printf("requeued %lld failed item%s\n", static_cast<long long>(*n), *n == 1 ? "" : "s");
  return 0;
}

}  // namespace

int ctl_ledger_outbox(const std::vector<std::string>& args) {
  const std::string sub = args.at(0);
  std::string config_path;
  std::optional<ItemState> state;
  std::optional<ItemKind> kind;
  std::optional<int64_t> seq;
  uint64_t limit = 50;
  bool all_failed = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    const bool listing = sub == "outbox";
    if (args[i] == "--config" && has_value) {
      config_path = args[++i];
    } else if (args[i] == "--state" && has_value && listing) {
      if (!(state = parse_state(args[++i])))
        return ctl_fail("--state: one of queued, submitted, done, refused, failed");
    } else if (args[i] == "--kind" && has_value && listing) {
      if (!(kind = parse_kind(args[++i])))
        return ctl_fail("--kind: one of transfer, anchor, grant, call");
    } else if (args[i] == "--limit" && has_value && listing) {
      if (!parse_decimal_arg(args[++i], 1, 1000000, &limit))
        return ctl_fail("--limit: 1 to 1000000");
    } else if (args[i] == "--item" && has_value && !listing) {
      uint64_t v = 0;
      if (!parse_decimal_arg(args[++i], 1, INT64_MAX, &v))
        return ctl_fail("--item: a sequence number");
      seq = static_cast<int64_t>(v);
    } else if (args[i] == "--all-failed" && !listing) {
      all_failed = true;
    } else {
      return ledger_usage();
    }
  }
  if (config_path.empty()) return ledger_usage();
  if (sub == "retry" && seq.has_value() == all_failed) return ledger_usage();
  auto cfg = config::load_config(config_path);
  if (!cfg) return ctl_fail("configuration error: " + cfg.error().message());
  // Opening would create an empty outbox; an absent one is worth saying.
  if (!std::filesystem::exists(cfg->ledger.outbox))
    return ctl_fail("no outbox at " + cfg->ledger.outbox +
                    " ([ledger] outbox): nothing was sent yet");
  auto outbox = ledger::OutboxStore::open(cfg->ledger.outbox);
  if (!outbox) return ctl_fail(outbox.error());
  return sub == "outbox" ? list(**outbox, state, kind, limit) : retry(**outbox, seq);
}

}  // namespace gw::cli
