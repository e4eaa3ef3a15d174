#include "gateway/transfer/sender.h"

#include <sodium.h>

#include <algorithm>

#include "fhir/json/json.h"
#include "gateway/base/clock.h"
#include "gateway/crypto/tokenizer.h"
#include "gateway/log/log.h"
#include "gateway/pipeline/tokenize.h"
#include "gateway/transfer/record_selection.h"
#include "gateway/transfer/research.h"
#include "ledger-client/consortium/transfer_log.h"
#include "ledger-client/outbox/item_codec.h"

namespace gw::transfer {
namespace {

namespace cs = ledger::consortium;

// Every category bit scope.h defines: "all the grant allows" is then the
// grant's own mask.
constexpr uint64_t kAllCategories = (uint64_t{1} << 17) - 1;
constexpr size_t kMaxReasonBytes = 256;

bool valid_study_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

// Of several refusals, the one that says most about why: an explicit deny or
// revocation over a lapse over no consent at all.
int refusal_rank(cs::Decision d) {
  switch (d) {
    case cs::Decision::kDenied:
      return 5;
    case cs::Decision::kRevoked:
      return 4;
    case cs::Decision::kExpired:
      return 3;
    case cs::Decision::kNotYetValid:
      return 2;
    default:
      return 1;
  }
}

std::string account_hex(const Address& a) { return ledger::to_hex_0x(a); }

}  // namespace

int64_t TransferSender::now() const {
  return ctx_.options.now_ms ? ctx_.options.now_ms() : now_ms();
}

Result<OutgoingTransfer> TransferSender::request(const TransferAsk& ask) {
  if (ask.patient_id.has_value() == ask.patient_token.has_value()) {
    return invalid_argument_error("name the patient by a stored Patient id or by token, not both");
  }
  if (ask.purpose >= 32) return invalid_argument_error("purpose: not a purpose code");
  if (ask.purpose == kPurposeHresch && !valid_study_id(ask.study_id)) {
    return invalid_argument_error("study: research transfers name a study ([A-Za-z0-9.-]{1,64})");
  }
  if (ask.emergency_reason.size() > kMaxReasonBytes) {
    return invalid_argument_error("reason: at most 256 bytes");
  }
  if (ask.requester) {
    GW_ASSIGN_OR_RETURN(auto existing,
                        ctx_.transfers->outgoing_by_request(*ask.requester, ask.request_id));
    if (existing) return std::move(*existing);
  }
  OutgoingRequest r;
  r.recipient = ask.recipient;
  r.purpose = ask.purpose;
  r.emergency_reason = ask.emergency_reason;
  r.study_id = ask.study_id;
  r.requester = ask.requester;
  r.request_id = ask.request_id;
  if (ask.patient_token) r.patient_token = *ask.patient_token;
  const int64_t at = now();
  auto refuse = [&](std::string_view reason) -> Result<OutgoingTransfer> {
    GW_ASSIGN_OR_RETURN(const int64_t id, ctx_.transfers->create_refused(r, reason, at));
    log::info("transfer.refused", {{"transfer", std::to_string(id)},
                                   {"to", account_hex(r.recipient)},
                                   {"reason", std::string(reason)}});
    GW_ASSIGN_OR_RETURN(auto stored, ctx_.transfers->outgoing(id));
    if (!stored) return internal_error("a stored transfer vanished");
    return std::move(*stored);
  };
  if (ask.recipient == ctx_.self) return refuse("SELF_TRANSFER");
  if (!ctx_.view->is_active(ask.recipient)) return refuse("RECIPIENT_NOT_ACTIVE");

  // The tokens the patient is known by: a grant under any of them counts.
  std::vector<Hash256> tokens;
  if (ask.patient_id) {
    auto patient = ctx_.store->read_record("Patient", *ask.patient_id);
    if (!patient) return refuse("UNKNOWN_PATIENT");
    tokens = pipeline::stored_patient_tokens(ctx_.store->keys(), *patient);
    if (tokens.empty()) return refuse("PATIENT_HAS_NO_TOKEN");
  } else {
    // The requester knows the patient by one identifier; a grant may stand
    // under the token of another of the patient's identifiers.
    tokens.push_back(*ask.patient_token);
    const auto patients = ctx_.store->patients_with_token(crypto::token_text(*ask.patient_token));
    if (patients.empty()) return refuse("UNKNOWN_PATIENT");
    for (const std::string& id : patients) {
      if (auto patient = ctx_.store->read_record("Patient", id)) {
        for (const Hash256& t : pipeline::stored_patient_tokens(ctx_.store->keys(), *patient)) {
          if (std::find(tokens.begin(), tokens.end(), t) == tokens.end()) tokens.push_back(t);
        }
      }
    }
  }
  const uint64_t now_s = static_cast<uint64_t>(at / 1000);
  std::optional<consortium::CheckResult> permit, emergency;
  cs::Decision worst = cs::Decision::kNoConsent;
  auto decide = [&] {
    permit.reset();
    emergency.reset();
    worst = cs::Decision::kNoConsent;
    for (const Hash256& token : tokens) {
      consortium::CheckResult c = ctx_.view->check(token, ask.recipient, ask.purpose, now_s);
      if (c.decision == cs::Decision::kPermit) {
        permit = c;
        r.patient_token = token;
        return;
      }
      if (c.emergency && !emergency) {
        emergency = c;
        r.patient_token = token;
      }
      if (refusal_rank(c.decision) > refusal_rank(worst)) worst = c.decision;
    }
  };
  decide();
  if (!permit) {
    // The view follows the chain a poll behind: a grant final a moment ago
    // may not be in it yet. Before refusing, catch up once (bounded).
    if (ctx_.view->refresh(std::chrono::steady_clock::now() + ctx_.options.refusal_refresh).ok()) {
      decide();
    }
  }
  const uint64_t asked = ask.categories != 0 ? ask.categories : kAllCategories;
  if (permit) {
    r.categories = permit->categories & asked;
    r.exclusions = permit->exclusions;
    if (r.categories == 0) return refuse("OUT_OF_SCOPE");
  } else if (emergency) {
    // Break the glass: the emergency policy lets ETREAT through without a
    // grant (never against a deny). The requesting clinician's system must
    // say why; the chain flags the transfer and the trail keeps the reason.
    if (ask.emergency_reason.empty()) return refuse("EMERGENCY_REASON_REQUIRED");
    r.emergency = true;
    r.categories = asked;
    r.exclusions = 0;
  } else {
    return refuse(cs::decision_name(worst));
  }
  GW_ASSIGN_OR_RETURN(const int64_t id, ctx_.transfers->create_outgoing(r, at));
  log::info("transfer.accepted", {{"transfer", std::to_string(id)},
                                  {"to", account_hex(r.recipient)},
                                  {"purpose", std::to_string(r.purpose)},
                                  {"emergency", r.emergency ? "true" : "false"}});
  worker_.poke();
  GW_ASSIGN_OR_RETURN(auto stored, ctx_.transfers->outgoing(id));
  if (!stored) return internal_error("a stored transfer vanished");
  return std::move(*stored);
}

void TransferSender::finish(OutgoingTransfer& t, OutgoingState state, const std::string& detail) {
  Status s = ctx_.transfers->finish_outgoing(t.id, state, detail, now());
  if (!s.ok()) {
    log::warn("transfer.store_failed",
              {{"transfer", std::to_string(t.id)}, {"error", s.message()}});
    return;
  }
  t.state = state;
  t.detail = detail;
  log::info(state == OutgoingState::kDelivered ? "transfer.delivered" : "transfer.finished",
            {{"transfer", std::to_string(t.id)},
             {"to", account_hex(t.request.recipient)},
             {"state", std::string(outgoing_state_name(state))},
             {"detail", detail}});
}

void TransferSender::retry_later(OutgoingTransfer& t, const std::string& reason) {
  int64_t delay = ctx_.options.retry_initial.count();
  for (int i = 0; i < t.attempts && delay < ctx_.options.retry_max.count(); ++i) delay *= 2;
  delay = std::min<int64_t>(delay, ctx_.options.retry_max.count());
  const int64_t at = now();
  if (ctx_.transfers->delay_outgoing(t.id, reason, at + delay, at).ok()) {
    t.next_attempt_ms = at + delay;
    ++t.attempts;
  }
  log::info("transfer.retry", {{"transfer", std::to_string(t.id)},
                               {"state", std::string(outgoing_state_name(t.state))},
                               {"in_ms", std::to_string(delay)},
                               {"reason", reason}});
}

bool TransferSender::prepare(OutgoingTransfer& t) {
  const OutgoingRequest& r = t.request;
  const std::vector<std::string> patients =
      ctx_.store->patients_with_token(crypto::token_text(r.patient_token));
  SelectionScope scope;
  scope.categories = r.categories;
  scope.exclusions = r.exclusions;
  scope.max_records = ctx_.options.limits.max_records;
  auto selected = select_records(*ctx_.store, patients, scope);
  if (!selected.ok()) {
    const StatusCode code = selected.error().code();
    if (code == StatusCode::kNotFound || code == StatusCode::kFailedPrecondition ||
        code == StatusCode::kResourceExhausted) {
      finish(t, OutgoingState::kRefused,
             code == StatusCode::kResourceExhausted ? "TOO_MANY_RECORDS" : "NO_RECORDS_IN_SCOPE");
    } else {
      retry_later(t, "selecting records: " + selected.error().message());
    }
    return true;
  }
  Payload payload;
  payload.transfer = {ctx_.self, r.recipient, static_cast<uint64_t>(t.id), r.patient_token,
                      r.purpose};
  payload.emergency_reason = r.emergency_reason;
  if (r.purpose == kPurposeHresch) {
    auto research =
        deidentify_for_study(*selected, r.study_id, r.patient_token, *ctx_.study_root_key, now());
    if (!research.ok()) {
      finish(t, OutgoingState::kFailed, "de-identification: " + research.error().message());
      return true;
    }
    *selected = std::move(research).value();
  }
  payload.records = std::move(selected->records);
  payload.root = selected->root;
  auto recipient = ctx_.view->member(r.recipient);
  auto me = ctx_.view->member(ctx_.self);
  if (!recipient || !me) {
    retry_later(t, "the consortium view does not know this gateway or the recipient yet");
    return true;
  }
  // Seal with the key the registry lists for us (the recipient checks the
  // box against it), which after a rotation may be an older generation.
  const keys::PayloadKey* mine = ctx_.payload_keys->find(me->info.encryption_key);
  if (mine == nullptr) {
    retry_later(t,
                "this gateway's registered payload key is not in its key store "
                "(rotated without a rekey, or another gateway's entry)");
    return true;
  }
  auto sealed = seal(payload, mine->private_key, recipient->info.encryption_key);
  if (!sealed.ok()) {
    finish(t, OutgoingState::kFailed, "sealing: " + sealed.error().message());
    return true;
  }
  const int64_t count = static_cast<int64_t>(payload.records.size());
  if (Status s = ctx_.transfers->set_prepared(t.id, payload.root, count, sealed->bytes, now());
      !s.ok()) {
    retry_later(t, s.message());
    return true;
  }
  t.state = OutgoingState::kPrepared;
  t.root = payload.root;
  t.record_count = count;
  t.envelope = std::move(sealed->bytes);
  log::info("transfer.prepared",
            {{"transfer", std::to_string(t.id)},
             {"records", std::to_string(count)},
             {"out_of_scope", std::to_string(selected->out_of_scope)},
             {"excluded_by_label", std::to_string(selected->excluded_by_label)},
             {"references_removed", std::to_string(selected->references_removed)}});
  return true;
}

bool TransferSender::enqueue(OutgoingTransfer& t) {
  cs::TransferInput in;
  in.id = ledger::Uint256::from_u64(static_cast<uint64_t>(t.id));
  in.to = t.request.recipient;
  in.patient_token = t.request.patient_token;
  in.commitment = *t.root;
  in.purpose = static_cast<cs::Purpose>(t.request.purpose);
  in.flags = cs::kFlagBatchRoot;
  auto body = ledger::encode_transfer_body(in);
  if (!body.ok()) {
    finish(t, OutgoingState::kFailed, "ledger entry: " + body.error().message());
    return true;
  }
  auto seqs = ctx_.outbox->enqueue(
      {{ledger::ItemKind::kTransfer, std::move(body).value(), ledger::transfer_key(in)}});
  if (!seqs.ok() || seqs->size() != 1) {
    retry_later(t,
                "ledger outbox: " + (seqs.ok() ? std::string("no item") : seqs.error().message()));
    return true;
  }
  if (Status s = ctx_.transfers->set_recording(t.id, seqs->front(), now()); !s.ok()) {
    retry_later(t, s.message());
    return true;
  }
  t.state = OutgoingState::kRecording;
  t.outbox_seq = seqs->front();
  return true;
}

bool TransferSender::check_recorded(OutgoingTransfer& t) {
  auto item = ctx_.outbox->item(*t.outbox_seq);
  if (!item.ok() || !item->has_value()) return false;  // pruned items never belong to open rows
  const ledger::OutboxItem& it = **item;
  switch (it.state) {
    case ledger::ItemState::kQueued:
    case ledger::ItemState::kSubmitted:
      return false;
    case ledger::ItemState::kRefused: {
      // "refused: NO_CONSENT": the contract's own reason code.
      std::string reason = it.outcome;
      if (reason.rfind("refused: ", 0) == 0) reason.erase(0, 9);
      finish(t, OutgoingState::kRefused, reason);
      return true;
    }
    case ledger::ItemState::kFailed:
      finish(t, OutgoingState::kFailed, "ledger: " + it.outcome);
      return true;
    case ledger::ItemState::kDone:
      break;
  }
  auto entry = ctx_.view->recorded_transfer(ctx_.self,
                                            ledger::Uint256::from_u64(static_cast<uint64_t>(t.id)));
  if (!entry) return false;  // final in the outbox; the view follows shortly
  const std::string tx = ledger::to_hex_0x(entry->tx_hash);
  const bool emergency = (entry->flags & cs::kFlagEmergency) != 0;
  if (Status s = ctx_.transfers->set_recorded(t.id, tx, emergency, now()); !s.ok()) {
    retry_later(t, s.message());
    return true;
  }
  t.state = OutgoingState::kRecorded;
  t.tx_hash = tx;
  t.flagged_emergency = emergency;
  t.attempts = 0;
  log::info("transfer.recorded", {{"transfer", std::to_string(t.id)},
                                  {"tx", tx},
                                  {"emergency", emergency ? "true" : "false"}});
  return true;
}

// The recipient opens a payload against the keys the registry holds when it
// arrives. If this gateway or the recipient was rekeyed since the payload was
// sealed, the same payload (same records, same root: the ledger entry commits
// to the records, not to the envelope) is sealed again with today's keys.
Status TransferSender::reseal_if_rekeyed(OutgoingTransfer& t,
                                         const consortium::MemberEntry& recipient) {
  GW_ASSIGN_OR_RETURN(const SealedEnvelope envelope,
                      read_envelope(t.envelope, ctx_.options.limits));
  auto me = ctx_.view->member(ctx_.self);
  if (!me) return unavailable_error("the consortium view does not know this gateway yet");
  if (envelope.sender_key == me->info.encryption_key &&
      envelope.recipient_key == recipient.info.encryption_key) {
    return ok_status();
  }
  const keys::PayloadKey* sealed_with = ctx_.payload_keys->find(envelope.sender_key);
  const keys::PayloadKey* mine = ctx_.payload_keys->find(me->info.encryption_key);
  if (sealed_with == nullptr || mine == nullptr) {
    return failed_precondition_error(
        "this gateway's registered payload key, or the one the payload was sealed with, is not "
        "in its key store");
  }
  GW_ASSIGN_OR_RETURN(const Payload payload,
                      open_as_sender(envelope, sealed_with->private_key, ctx_.options.limits));
  GW_ASSIGN_OR_RETURN(SealedEnvelope again,
                      seal(payload, mine->private_key, recipient.info.encryption_key));
  GW_RETURN_IF_ERROR(ctx_.transfers->replace_envelope(t.id, again.bytes, now()));
  t.envelope = std::move(again.bytes);
  log::info("transfer.resealed", {{"transfer", std::to_string(t.id)}});
  return ok_status();
}

bool TransferSender::deliver(OutgoingTransfer& t) {
  const Address& to = t.request.recipient;
  auto member = ctx_.view->member(to);
  if (!member || !ctx_.view->is_active(to)) {
    finish(t, OutgoingState::kFailed, "RECIPIENT_NOT_ACTIVE");
    return true;
  }
  auto url = ctx_.peer_urls.find(to);
  if (url == ctx_.peer_urls.end()) {
    retry_later(t, "no [peers] address for " + account_hex(to));
    return true;
  }
  if (ctx_.peers == nullptr) {
    retry_later(t, "the member-to-member API is not configured ([peering])");
    return true;
  }
  if (Status s = reseal_if_rekeyed(t, *member); !s.ok()) {
    retry_later(t, s.message());
    return true;
  }
  auto reply =
      ctx_.peers->post(url->second, kDeliverPath, member->info.tls_fingerprint, t.envelope);
  if (reply.ok()) {
    finish(t, OutgoingState::kDelivered, "");
    return true;
  }
  const peering::PeerError& e = reply.error();
  // Views of the registry that lag behind a rekey (ours or the recipient's)
  // are no refusal: the recipient not knowing our certificate, or our
  // payload key, yet. The next attempt reseals if our view has moved on.
  const bool registry_lag = (e.http_status == 403 && e.code == "unknown-peer") ||
                            (e.http_status == 409 && e.code == "SENDER_KEY_MISMATCH");
  if (e.status.code() == StatusCode::kFailedPrecondition && !registry_lag) {
    // The recipient checked and refused: retrying the same bytes cannot help.
    finish(
        t, OutgoingState::kFailed,
        "recipient refused: " + e.code + (e.reason.empty() ? "" : ": " + e.reason.substr(0, 200)));
    return true;
  }
  retry_later(t, e.status.message());
  return true;
}

bool TransferSender::advance(OutgoingTransfer& t) {
  switch (t.state) {
    case OutgoingState::kPreparing:
      return prepare(t);
    case OutgoingState::kPrepared:
      return enqueue(t);
    case OutgoingState::kRecording:
      return check_recorded(t);
    case OutgoingState::kRecorded:
      return deliver(t);
    default:
      return false;
  }
}

size_t TransferSender::step() {
  auto due = ctx_.transfers->due_outgoing(now(), 256);
  if (!due.ok()) {
    log::warn("transfer.store_failed", {{"error", due.error().message()}});
    return 0;
  }
  size_t changed = 0;
  for (OutgoingTransfer& t : *due) {
    // Go as far as possible now; stop at a wait (outbox, view) or a delay.
    for (int guard = 0; guard < 8 && !is_final(t.state); ++guard) {
      const OutgoingState before = t.state;
      const int64_t next = t.next_attempt_ms;
      if (!advance(t)) break;
      if (t.state != before) ++changed;
      if (t.state == before || t.next_attempt_ms != next) break;
    }
  }
  return changed;
}

void TransferSender::start() {
  worker_.start([this] { step(); }, ctx_.options.poll);
}

void TransferSender::stop() { worker_.stop(); }

}  // namespace gw::transfer
