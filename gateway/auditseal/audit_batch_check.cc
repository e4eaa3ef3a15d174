#include "gateway/auditseal/audit_batch_check.h"

#include <variant>

#include "ledger-client/consortium/audit_anchor.h"

namespace gw::auditseal {

namespace cs = ledger::consortium;

namespace {

// Batches are checked in order and anchored many per transaction, so a few
// recent blocks' events cover the next batches; older ones are dropped.
constexpr size_t kCachedBlocks = 16;

std::string range(const audit::AuditBatch& b) {
  return "seqs " + std::to_string(b.first_seq) + "-" + std::to_string(b.last_seq);
}

}  // namespace

Result<std::unique_ptr<AuditBatchChecker>> AuditBatchChecker::create(
    const std::string& batch_key_pem, int64_t last_signed_id, std::optional<AnchorLedger> ledger) {
  GW_ASSIGN_OR_RETURN(auto verifier, anchoring::BatchSignatureVerifier::from_pem(batch_key_pem));
  if (ledger && ledger->eth == nullptr) return invalid_argument_error("anchor ledger: no client");
  return std::unique_ptr<AuditBatchChecker>(
      new AuditBatchChecker(std::move(verifier), last_signed_id, ledger));
}

std::optional<cs::AnchorRecord> AuditBatchChecker::anchor_record(const audit::AuditBatch& b) {
  if (!ledger_ || !ledger_problem_.empty()) return std::nullopt;
  ledger::CallRequest call;
  call.to = ledger_->anchors;
  call.data = cs::anchor_of(ledger_->member, b.root);
  auto reply = ledger_->eth->call(call, ledger::BlockRef{});
  if (!reply) {
    ledger_problem_ = "anchorOf: " + reply.error().describe();
    return std::nullopt;
  }
  auto record = cs::decode_anchor_of(*reply);
  if (!record) {
    ledger_problem_ = "anchorOf: " + record.error().message();
    return std::nullopt;
  }
  return *record;
}

Result<std::optional<cs::Anchored>> AuditBatchChecker::anchored_event(uint64_t block,
                                                                      const ledger::Hash256& root) {
  auto cached = events_by_block_.find(block);
  if (cached == events_by_block_.end()) {
    ledger::Hash256 member_topic{};
    std::copy(ledger_->member.begin(), ledger_->member.end(), member_topic.begin() + 12);
    ledger::LogFilter f;
    f.addresses = {ledger_->anchors};
    f.topics = {std::vector<ledger::Hash256>{*cs::event_topic0("Anchored")},
                std::vector<ledger::Hash256>{member_topic}};
    f.from_block = ledger::BlockRef::at(block);
    f.to_block = ledger::BlockRef::at(block);
    auto logs = ledger_->eth->get_logs(f);
    if (!logs) return logs.error().to_status().with_context("eth_getLogs");
    std::vector<cs::Anchored> events;
    for (const ledger::Log& l : *logs) {
      if (l.removed || l.address != ledger_->anchors) continue;
      auto e = cs::decode_event(l.topics, l.data);
      if (!e || !e->has_value()) continue;
      if (const auto* a = std::get_if<cs::Anchored>(&**e); a && a->member == ledger_->member)
        events.push_back(*a);
    }
    if (events_by_block_.size() >= kCachedBlocks) events_by_block_.clear();
    cached = events_by_block_.emplace(block, std::move(events)).first;
  }
  for (const cs::Anchored& a : cached->second)
    if (a.root == root) return std::optional<cs::Anchored>(a);
  return std::optional<cs::Anchored>();
}

Status AuditBatchChecker::check_anchor(const audit::AuditBatch& b) {
  const bool is_signed = !b.signature.empty();
  std::optional<cs::AnchorRecord> record = anchor_record(b);
  if (!record) {
    ++tally_.anchors_not_checked;
    return ok_status();
  }
  if (record->anchored_at == 0) {
    if (!b.anchor_tx.empty())
      return data_loss_error("the file says transaction " + b.anchor_tx +
                             " anchored it, but the ledger holds no anchor of its root by this "
                             "member");
    ++tally_.not_anchored_yet;
    return ok_status();
  }
  if (!is_signed)
    return data_loss_error("it is not signed, but the ledger holds its anchor (block " +
                           std::to_string(record->block_number) + "): its signature was removed");
  if (record->kind != static_cast<uint8_t>(cs::AnchorKind::kAudit))
    return data_loss_error("the ledger holds its root as kind " + std::to_string(record->kind) +
                           ", not as an audit batch");
  auto event = anchored_event(record->block_number, b.root);
  if (!event) {
    ledger_problem_ = event.error().message();
    ++tally_.anchors_not_checked;
    return ok_status();
  }
  if (!event->has_value())
    return data_loss_error("its Anchored event in block " + std::to_string(record->block_number) +
                           " was not found");
  const cs::Anchored& e = **event;
  if (e.kind != static_cast<uint8_t>(cs::AnchorKind::kAudit))
    return data_loss_error("the ledger's Anchored event has kind " + std::to_string(e.kind) +
                           ", not audit");
  if (e.first_seq != static_cast<uint64_t>(b.first_seq) ||
      e.last_seq != static_cast<uint64_t>(b.last_seq))
    return data_loss_error("the ledger anchored its root for seqs " + std::to_string(e.first_seq) +
                           "-" + std::to_string(e.last_seq) + ", the file says " +
                           std::to_string(b.first_seq) + "-" + std::to_string(b.last_seq));
  if (e.signature != b.signature)
    return data_loss_error("the signature on the ledger differs from the file's");
  ++tally_.anchored;
  return ok_status();
}

Status AuditBatchChecker::check(const audit::AuditBatch& b) {
  ++tally_.batches;
  if (b.signature.empty()) {
    if (b.id <= last_signed_id_)
      return data_loss_error("not signed, though the newer batch " +
                             std::to_string(last_signed_id_) +
                             " is (batches are signed in order): its signature was removed");
    if (!b.anchor_tx.empty())
      return data_loss_error("not signed, though the file says transaction " + b.anchor_tx +
                             " anchored it: its signature was removed");
  } else if (!verifier_.verify(b.root, b.signature)) {
    return data_loss_error("the signature over its root (" + ledger::to_hex_0x(b.root) + ", " +
                           range(b) + ") does not verify with the batch-signing key");
  }
  if (ledger_) {
    GW_RETURN_IF_ERROR(check_anchor(b));
  } else {
    ++tally_.anchors_not_checked;
  }
  if (b.signature.empty()) {
    ++tally_.not_signed_yet;
  } else {
    ++tally_.signature_ok;
  }
  return ok_status();
}

}  // namespace gw::auditseal
