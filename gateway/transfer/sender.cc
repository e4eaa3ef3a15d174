#include "gateway/transfer/sender.h"

#include <sodium.h>

#include <algorithm>
#include <map>

#include "fhir/json/json.h"
#include "gateway/base/clock.h"
#include "gateway/crypto/tokenizer.h"
#include "gateway/log/log.h"
#include "gateway/pipeline/tokenize.h"
#include "gateway/transfer/parallel.h"
#include "gateway/transfer/record_selection.h"
#include "gateway/transfer/research.h"
#include "gateway/transfer/transfer_audit.h"
#include "ledger-client/consortium/transfer_log.h"
#include "ledger-client/outbox/item_codec.h"

namespace gw::transfer {
namespace {

namespace cs = ledger::consortium;

// Every category bit scope.h defines: "all the grant allows" is then the
// grant's own mask.
constexpr uint64_t kAllCategories = (uint64_t{1} << 17) - 1;
constexpr size_t kMaxReasonBytes = 256;
// Who asked for the transfers in flight, at most this many (then the entries
// name the member, as after a restart).
constexpr size_t kMaxAskedBy = 10000;

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
    // An emergency request refused is an emergency access refused; another
    // member's pull refused is a transfer refused (a push's refusal is the
    // REST layer's entry of the $transfer request).
    const audit::Outcome outcome{audit::OutcomeKind::kRefused, 0, std::string(reason)};
    if (ask.purpose == kPurposeEtreat) {
      GW_RETURN_IF_ERROR(audit_emergency(ask, r, outcome, at));
    } else if (ask.requester) {
      GW_RETURN_IF_ERROR(audit_pull_refused(ask, outcome, at));
    }
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
  // Break the glass: the entry is durable before the transfer exists.
  if (r.emergency) {
    GW_RETURN_IF_ERROR(
        audit_emergency(ask, r, audit::Outcome{audit::OutcomeKind::kSuccess, 0, ""}, at));
  }
  GW_ASSIGN_OR_RETURN(const int64_t id, ctx_.transfers->create_outgoing(r, at));
  if (ask.asked_by) {
    std::lock_guard lock(asked_mu_);
    if (asked_by_.size() < kMaxAskedBy) asked_by_[id] = *ask.asked_by;
  }
  log::info("transfer.accepted", {{"transfer", std::to_string(id)},
                                  {"to", account_hex(r.recipient)},
                                  {"purpose", std::to_string(r.purpose)},
                                  {"emergency", r.emergency ? "true" : "false"}});
  pipeline_worker_.poke();
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
  {
    std::lock_guard lock(asked_mu_);
    asked_by_.erase(t.id);  // its entries are written
  }
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

// What building one transfer's payload came to. Built on several threads
// without writing anything; the round then writes every outcome in one commit.
struct TransferSender::Built {
  enum class Outcome { kSealed, kFinished, kRetry };
  Outcome outcome = Outcome::kRetry;
  OutgoingState final_state = OutgoingState::kFailed;
  std::string detail;  // finished: why; retry: the reason
  Hash256 root{};
  int64_t count = 0;
  std::string envelope;
  size_t out_of_scope = 0, excluded_by_label = 0, references_removed = 0;
};

TransferSender::Built TransferSender::build(const OutgoingTransfer& t) const {
  Built b;
  auto finished = [&](OutgoingState state, std::string detail) {
    b.outcome = Built::Outcome::kFinished;
    b.final_state = state;
    b.detail = std::move(detail);
    return std::move(b);
  };
  auto retry = [&](std::string reason) {
    b.outcome = Built::Outcome::kRetry;
    b.detail = std::move(reason);
    return std::move(b);
  };
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
      return finished(OutgoingState::kRefused, code == StatusCode::kResourceExhausted
                                                   ? "TOO_MANY_RECORDS"
                                                   : "NO_RECORDS_IN_SCOPE");
    }
    return retry("selecting records: " + selected.error().message());
  }
  // Nothing leaves for a peer that a power failure could still take back
  // (a record committed but not yet synced, message_store.h).
  if (Status durable = ctx_.store->wait_durable(); !durable.ok()) {
    return retry("waiting for the store's sync: " + durable.message());
  }
  Payload payload;
  payload.transfer = {ctx_.self, r.recipient, static_cast<uint64_t>(t.id), r.patient_token,
                      r.purpose};
  payload.emergency_reason = r.emergency_reason;
  if (r.purpose == kPurposeHresch) {
    auto research =
        deidentify_for_study(*selected, r.study_id, r.patient_token, *ctx_.study_root_key, now());
    if (!research.ok()) {
      return finished(OutgoingState::kFailed, "de-identification: " + research.error().message());
    }
    *selected = std::move(research).value();
  }
  payload.records = std::move(selected->records);
  payload.root = selected->root;
  auto recipient = ctx_.view->member(r.recipient);
  auto me = ctx_.view->member(ctx_.self);
  if (!recipient || !me) {
    return retry("the consortium view does not know this gateway or the recipient yet");
  }
  // Seal with the key the registry lists for us (the recipient checks the
  // box against it), which after a rotation may be an older generation.
  const keys::PayloadKey* mine = ctx_.payload_keys->find(me->info.encryption_key);
  if (mine == nullptr) {
    return retry(
        "this gateway's registered payload key is not in its key store "
        "(rotated without a rekey, or another gateway's entry)");
  }
  auto sealed = seal(payload, mine->private_key, recipient->info.encryption_key);
  if (!sealed.ok()) return finished(OutgoingState::kFailed, "sealing: " + sealed.error().message());
  b.outcome = Built::Outcome::kSealed;
  b.root = payload.root;
  b.count = static_cast<int64_t>(payload.records.size());
  b.envelope = std::move(sealed->bytes);
  b.out_of_scope = selected->out_of_scope;
  b.excluded_by_label = selected->excluded_by_label;
  b.references_removed = selected->references_removed;
  return b;
}

void TransferSender::apply_built(OutgoingTransfer& t, Built& b) {
  switch (b.outcome) {
    case Built::Outcome::kFinished:
      finish(t, b.final_state, b.detail);
      return;
    case Built::Outcome::kRetry:
      retry_later(t, b.detail);
      return;
    case Built::Outcome::kSealed:
      break;
  }
  if (Status s = ctx_.transfers->set_prepared(t.id, b.root, b.count, b.envelope, now()); !s.ok()) {
    retry_later(t, s.message());
    return;
  }
  t.state = OutgoingState::kPrepared;
  t.root = b.root;
  t.record_count = b.count;
  t.envelope = std::move(b.envelope);
  log::info("transfer.prepared", {{"transfer", std::to_string(t.id)},
                                  {"records", std::to_string(b.count)},
                                  {"out_of_scope", std::to_string(b.out_of_scope)},
                                  {"excluded_by_label", std::to_string(b.excluded_by_label)},
                                  {"references_removed", std::to_string(b.references_removed)}});
}

// Every prepared transfer's TransferLog entry goes into the outbox in one
// transaction, so that the outbox can batch them into few ledger
// transactions. The outbox is idempotent by transfer key: a round that
// crashes between the two commits enqueues the same entries again next time.
void TransferSender::enqueue(const std::vector<OutgoingTransfer*>& prepared) {
  std::vector<ledger::OutboxStore::NewItem> items;
  std::vector<OutgoingTransfer*> queued;
  for (OutgoingTransfer* t : prepared) {
    cs::TransferInput in;
    in.id = ledger::Uint256::from_u64(static_cast<uint64_t>(t->id));
    in.to = t->request.recipient;
    in.patient_token = t->request.patient_token;
    in.commitment = *t->root;
    in.purpose = static_cast<cs::Purpose>(t->request.purpose);
    in.flags = cs::kFlagBatchRoot;
    auto body = ledger::encode_transfer_body(in);
    if (!body.ok()) {
      finish(*t, OutgoingState::kFailed, "ledger entry: " + body.error().message());
      continue;
    }
    items.push_back(
        {ledger::ItemKind::kTransfer, std::move(body).value(), ledger::transfer_key(in)});
    queued.push_back(t);
  }
  if (items.empty()) return;
  auto seqs = ctx_.outbox->enqueue(items);
  if (!seqs.ok() || seqs->size() != items.size()) {
    const std::string reason = "ledger outbox: " + (seqs.ok() ? std::string("not every item queued")
                                                              : seqs.error().message());
    for (OutgoingTransfer* t : queued) retry_later(*t, reason);
    return;
  }
  for (size_t i = 0; i < queued.size(); ++i) {
    OutgoingTransfer& t = *queued[i];
    if (Status s = ctx_.transfers->set_recording(t.id, (*seqs)[i], now()); !s.ok()) {
      retry_later(t, s.message());
      continue;
    }
    t.state = OutgoingState::kRecording;
    t.outbox_seq = (*seqs)[i];
  }
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
  auto me = ctx_.view->member(ctx_.self);
  if (!me) return unavailable_error("the consortium view does not know this gateway yet");
  if (sealed_with_keys(t.envelope, me->info.encryption_key, recipient.info.encryption_key)) {
    return ok_status();  // the usual case, without decoding the whole envelope
  }
  GW_ASSIGN_OR_RETURN(const SealedEnvelope envelope,
                      read_envelope(t.envelope, ctx_.options.limits));
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

// What one delivery attempt came to; written, with the round's others, in
// one commit.
struct TransferSender::Attempt {
  enum class Outcome { kDelivered, kFinished, kRetry };
  Outcome outcome = Outcome::kRetry;
  std::string detail;
};

TransferSender::Attempt TransferSender::attempt_delivery(OutgoingTransfer& t,
                                                         Unreachable& unreachable) {
  Attempt a;
  auto retry = [&](std::string reason) {
    a.detail = std::move(reason);
    return std::move(a);
  };
  const Address& to = t.request.recipient;
  auto member = ctx_.view->member(to);
  if (!member || !ctx_.view->is_active(to)) {
    a.outcome = Attempt::Outcome::kFinished;
    a.detail = "RECIPIENT_NOT_ACTIVE";
    return a;
  }
  auto url = ctx_.peer_urls.find(to);
  if (url == ctx_.peer_urls.end()) return retry("no [peers] address for " + account_hex(to));
  if (ctx_.peers == nullptr) {
    return retry("the member-to-member API is not configured ([peering])");
  }
  if (unreachable.contains(to)) {
    // Another delivery of this round found it down: do not queue every
    // transfer behind the same timeout (the back-off grows for all of them,
    // as if each had found it down).
    return retry("the recipient did not answer another delivery of this round");
  }
  if (Status s = reseal_if_rekeyed(t, *member); !s.ok()) return retry(s.message());
  auto reply =
      ctx_.peers->post(url->second, kDeliverPath, member->info.tls_fingerprint, t.envelope);
  if (reply.ok()) {
    a.outcome = Attempt::Outcome::kDelivered;
    return a;
  }
  const peering::PeerError& e = reply.error();
  // Views of the registry that lag behind a rekey (ours or the recipient's)
  // are no refusal: the recipient not knowing our certificate, or our
  // payload key, yet. The next attempt reseals if our view has moved on.
  const bool registry_lag = (e.http_status == 403 && e.code == "unknown-peer") ||
                            (e.http_status == 409 && e.code == "SENDER_KEY_MISMATCH");
  if (e.status.code() == StatusCode::kFailedPrecondition && !registry_lag) {
    // The recipient checked and refused: retrying the same bytes cannot help.
    a.outcome = Attempt::Outcome::kFinished;
    a.detail =
        "recipient refused: " + e.code + (e.reason.empty() ? "" : ": " + e.reason.substr(0, 200));
    return a;
  }
  if (e.http_status == 0 && e.status.code() == StatusCode::kUnavailable) unreachable.add(to);
  return retry(e.status.message());
}

void TransferSender::apply_attempt(OutgoingTransfer& t, const Attempt& a) {
  switch (a.outcome) {
    case Attempt::Outcome::kDelivered:
      finish(t, OutgoingState::kDelivered, "");
      return;
    case Attempt::Outcome::kFinished:
      finish(t, OutgoingState::kFailed, a.detail);
      return;
    case Attempt::Outcome::kRetry:
      retry_later(t, a.detail);
      return;
  }
}

namespace {
size_t count_changed(const std::vector<OutgoingTransfer>& after,
                     const std::vector<OutgoingState>& before) {
  size_t n = 0;
  for (size_t i = 0; i < after.size(); ++i) n += after[i].state != before[i] ? 1 : 0;
  return n;
}
std::vector<OutgoingState> states_of(const std::vector<OutgoingTransfer>& ts) {
  std::vector<OutgoingState> out;
  out.reserve(ts.size());
  for (const OutgoingTransfer& t : ts) out.push_back(t.state);
  return out;
}
}  // namespace

// One round of the custodian's pipeline: builds every due transfer that is
// preparing (in parallel), records each round's state changes in one commit,
// queues every prepared one for the ledger at once, and notes those the
// ledger has recorded. set_prepared is durable (its commit returned) before
// anything goes into the outbox: the root on chain must be the root of a
// stored payload.
size_t TransferSender::pipeline_round() {
  auto due = ctx_.transfers->due_outgoing(now(), ctx_.options.round_size, OutgoingState::kPreparing,
                                          OutgoingState::kRecording);
  if (!due.ok()) {
    log::warn("transfer.store_failed", {{"error", due.error().message()}});
    return 0;
  }
  std::vector<OutgoingTransfer>& ts = *due;
  const std::vector<OutgoingState> before = states_of(ts);
  auto committed = [&](const std::function<void()>& body) {
    Status s = ctx_.transfers->in_one_commit(body);
    if (!s.ok()) log::warn("transfer.store_failed", {{"error", s.message()}});
    return s.ok();
  };

  std::vector<OutgoingTransfer*> preparing, prepared, recording;
  for (OutgoingTransfer& t : ts) {
    if (t.state == OutgoingState::kPreparing) preparing.push_back(&t);
    if (t.state == OutgoingState::kPrepared) prepared.push_back(&t);
    if (t.state == OutgoingState::kRecording) recording.push_back(&t);
  }
  if (!preparing.empty()) {
    std::vector<Built> built(preparing.size());
    parallel_for(preparing.size(), ctx_.options.build_threads,
                 [&](size_t i) { built[i] = build(*preparing[i]); });
    if (!committed([&] {
          for (size_t i = 0; i < preparing.size(); ++i) apply_built(*preparing[i], built[i]);
        })) {
      return 0;  // nothing of it durable: the next round starts over from the store
    }
    for (OutgoingTransfer* t : preparing) {
      if (t->state == OutgoingState::kPrepared) prepared.push_back(t);
    }
  }
  if (!prepared.empty() && !committed([&] { enqueue(prepared); })) return 0;
  bool recorded = false;
  if (!recording.empty()) {
    committed([&] {
      for (OutgoingTransfer* t : recording) {
        if (check_recorded(*t) && t->state == OutgoingState::kRecorded) recorded = true;
      }
    });
  }
  if (recorded) delivery_worker_.poke();
  return count_changed(ts, before);
}

// One round of deliveries: every recorded transfer that is due, several at
// once, their outcomes in one commit. A crash before that commit delivers
// them again, and the recipient answers "stored" to what it has.
size_t TransferSender::delivery_round() {
  auto due = ctx_.transfers->due_outgoing(now(), ctx_.options.round_size, OutgoingState::kRecorded,
                                          OutgoingState::kRecorded);
  if (!due.ok()) {
    log::warn("transfer.store_failed", {{"error", due.error().message()}});
    return 0;
  }
  std::vector<OutgoingTransfer>& ts = *due;
  if (ts.empty()) return 0;
  const std::vector<OutgoingState> before = states_of(ts);
  // Lanes: each works through its share of one recipient's transfers in
  // turn, at most delivery_per_peer lanes per recipient (a member's listener
  // admits only a few connections at once from one address before they are
  // identified), all lanes at once up to delivery_threads.
  std::map<Address, std::vector<size_t>> by_recipient;
  for (size_t i = 0; i < ts.size(); ++i) by_recipient[ts[i].request.recipient].push_back(i);
  std::vector<std::vector<size_t>> lanes;
  for (auto& [recipient, indexes] : by_recipient) {
    const size_t n = std::max<size_t>(1, std::min(ctx_.options.delivery_per_peer, indexes.size()));
    const size_t first = lanes.size();
    lanes.resize(first + n);
    for (size_t k = 0; k < indexes.size(); ++k) lanes[first + k % n].push_back(indexes[k]);
  }
  Unreachable unreachable;
  std::vector<Attempt> attempts(ts.size());
  parallel_for(lanes.size(), ctx_.options.delivery_threads, [&](size_t lane) {
    for (size_t i : lanes[lane]) attempts[i] = attempt_delivery(ts[i], unreachable);
  });
  audit_delivered(ts, attempts);
  Status s = ctx_.transfers->in_one_commit([&] {
    for (size_t i = 0; i < ts.size(); ++i) apply_attempt(ts[i], attempts[i]);
  });
  if (!s.ok()) {
    log::warn("transfer.store_failed", {{"error", s.message()}});
    return 0;
  }
  return count_changed(ts, before);
}

// Every delivery of the round the recipient accepted gets its transfer-sent
// entry, all in one audit commit, before the round marks them delivered; if
// that commit fails they are retried (the recipient answers "stored" again).
void TransferSender::audit_delivered(std::vector<OutgoingTransfer>& ts,
                                     std::vector<Attempt>& attempts) {
  std::vector<const OutgoingTransfer*> delivered;
  for (size_t i = 0; i < ts.size(); ++i) {
    if (attempts[i].outcome == Attempt::Outcome::kDelivered) delivered.push_back(&ts[i]);
  }
  if (audit_sent(delivered).ok()) return;
  for (Attempt& a : attempts) {
    if (a.outcome != Attempt::Outcome::kDelivered) continue;
    a.outcome = Attempt::Outcome::kRetry;
    a.detail = "the audit trail cannot take the entry now";
  }
}

size_t TransferSender::step() { return pipeline_round() + delivery_round(); }

void TransferSender::start() {
  pipeline_worker_.start([this] { pipeline_round(); }, ctx_.options.poll);
  delivery_worker_.start([this] { delivery_round(); }, ctx_.options.poll);
}

void TransferSender::stop() {
  pipeline_worker_.stop();
  delivery_worker_.stop();
}

}  // namespace gw::transfer
