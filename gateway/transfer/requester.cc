#include "gateway/transfer/requester.h"

#include <charconv>

#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "gateway/base/clock.h"
#include "gateway/log/log.h"

namespace gw::transfer {
namespace {

using fhir::JsonValue;

JsonValue str(std::string s) { return JsonValue::make_string(std::move(s)); }

std::optional<uint64_t> parse_u64(const JsonValue* v) {
  if (v == nullptr || !v->is_string()) return std::nullopt;
  const std::string& t = v->text();
  uint64_t out = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (ec != std::errc() || end != t.data() + t.size() || t.empty()) return std::nullopt;
  return out;
}

const std::string* text_of(const JsonValue& doc, std::string_view key) {
  const JsonValue* v = doc.find(key);
  return v != nullptr && v->is_string() ? &v->text() : nullptr;
}

}  // namespace

Result<PullRequest> TransferRequester::ask(const PullAsk& a) {
  if (a.custodian == ctx_.self) {
    return invalid_argument_error("custodian: this gateway holds the patient's records itself");
  }
  if (a.purpose >= 32) return invalid_argument_error("purpose: not a purpose code");
  if (a.emergency_reason.size() > 256) return invalid_argument_error("reason: at most 256 bytes");
  PullRequest r;
  r.custodian = a.custodian;
  r.patient_token = a.patient_token;
  r.purpose = a.purpose;
  r.categories = a.categories;
  r.emergency_reason = a.emergency_reason;
  r.study_id = a.study_id;
  const int64_t at = ctx_.options.now_ms ? ctx_.options.now_ms() : now_ms();
  GW_ASSIGN_OR_RETURN(const int64_t id, ctx_.transfers->create_request(r, at));
  worker_.poke();
  GW_ASSIGN_OR_RETURN(auto stored, ctx_.transfers->request(id));
  if (!stored) return internal_error("a stored transfer vanished");
  return std::move(*stored);
}

void TransferRequester::send(const PullRequest& r) {
  const int64_t at = ctx_.options.now_ms ? ctx_.options.now_ms() : now_ms();
  auto later = [&](const std::string& reason) {
    int64_t delay = ctx_.options.retry_initial.count();
    for (int i = 0; i < r.attempts && delay < ctx_.options.retry_max.count(); ++i) delay *= 2;
    delay = std::min<int64_t>(delay, ctx_.options.retry_max.count());
    (void)ctx_.transfers->delay_request(r.id, reason, at + delay, at);
    log::info(
        "transfer.request_retry",
        {{"request", std::to_string(r.id)}, {"in_ms", std::to_string(delay)}, {"reason", reason}});
  };
  auto member = ctx_.view->member(r.custodian);
  auto url = ctx_.peer_urls.find(r.custodian);
  if (!member) return later("the custodian is not a member known to the consortium view");
  if (url == ctx_.peer_urls.end()) {
    return later("no [peers] address for " + ledger::to_hex_0x(r.custodian));
  }
  if (ctx_.peers == nullptr) return later("the member-to-member API is not configured ([peering])");
  JsonValue body = JsonValue::make_object();
  body.add("request_id", str(std::to_string(r.id)));
  body.add("patient_token", str(ledger::to_hex_0x(r.patient_token)));
  body.add("purpose", str(std::to_string(r.purpose)));
  body.add("categories", str(std::to_string(r.categories)));
  if (!r.emergency_reason.empty()) body.add("emergency_reason", str(r.emergency_reason));
  if (!r.study_id.empty()) body.add("study_id", str(r.study_id));
  auto reply = ctx_.peers->post(url->second, kRequestPath, member->info.tls_fingerprint,
                                fhir::write_json(body));
  if (!reply.ok()) {
    const peering::PeerError& e = reply.error();
    if (e.status.code() == StatusCode::kFailedPrecondition) {
      (void)ctx_.transfers->update_request(
          r.id, RequestState::kRefused, std::nullopt,
          e.code + (e.reason.empty() ? "" : ": " + e.reason.substr(0, 200)), at);
      return;
    }
    return later(e.status.message());
  }
  auto parsed = fhir::parse_json(reply->body);
  const std::optional<uint64_t> transfer =
      parsed.ok() ? parse_u64(parsed.value().find("transfer_id")) : std::nullopt;
  const std::string* state = parsed.ok() ? text_of(parsed.value(), "state") : nullptr;
  if (!transfer || state == nullptr) return later("the custodian's answer is malformed");
  const std::string* reason = text_of(parsed.value(), "reason");
  const bool refused = *state == "refused";
  (void)ctx_.transfers->update_request(
      r.id, refused ? RequestState::kRefused : RequestState::kAccepted, *transfer,
      reason != nullptr ? reason->substr(0, 200) : "", at);
  log::info("transfer.request_answered", {{"request", std::to_string(r.id)},
                                          {"custodian", ledger::to_hex_0x(r.custodian)},
                                          {"transfer", std::to_string(*transfer)},
                                          {"state", *state}});
}

size_t TransferRequester::step() {
  const int64_t at = ctx_.options.now_ms ? ctx_.options.now_ms() : now_ms();
  auto due = ctx_.transfers->due_requests(at, 64);
  if (!due.ok()) return 0;
  for (const PullRequest& r : *due) send(r);
  return due->size();
}

void TransferRequester::start() {
  worker_.start([this] { step(); }, ctx_.options.poll * 5);
}

void TransferRequester::stop() { worker_.stop(); }

peering::PeerResponse handle_pull_request(TransferSender& sender,
                                          const peering::PeerRequest& request) {
  fhir::JsonParseOptions limits;
  limits.max_input_bytes = 16 * 1024;
  limits.max_depth = 4;
  auto parsed = fhir::parse_json(request.body, limits);
  if (!parsed.ok() || !parsed.value().is_object()) {
    return peering::peer_error(400, "MALFORMED", "the request is not a JSON object");
  }
  const JsonValue& doc = parsed.value();
  TransferAsk ask;
  ask.recipient = request.peer;
  ask.requester = request.peer;
  const std::string* request_id = text_of(doc, "request_id");
  const std::string* token = text_of(doc, "patient_token");
  const std::optional<uint64_t> purpose = parse_u64(doc.find("purpose"));
  const std::optional<uint64_t> categories = parse_u64(doc.find("categories"));
  auto token_bytes = token != nullptr ? ledger::from_hex(*token) : std::nullopt;
  if (request_id == nullptr || request_id->empty() || request_id->size() > 64 || !token_bytes ||
      token_bytes->size() != 32 || !purpose || *purpose >= 32 || !categories) {
    return peering::peer_error(400, "MALFORMED",
                               "request_id, patient_token, purpose and categories are required");
  }
  ask.request_id = *request_id;
  Hash256 t{};
  std::copy(token_bytes->begin(), token_bytes->end(), t.begin());
  ask.patient_token = t;
  ask.purpose = static_cast<uint8_t>(*purpose);
  ask.categories = *categories;
  if (const std::string* reason = text_of(doc, "emergency_reason")) ask.emergency_reason = *reason;
  if (const std::string* study = text_of(doc, "study_id")) ask.study_id = *study;
  auto decided = sender.request(ask);
  if (!decided.ok() && decided.error().code() == StatusCode::kUnavailable) {
    // The audit trail could not take the decision's entry: ask again later.
    return peering::peer_error(503, "BUSY", decided.error().message());
  }
  if (!decided.ok()) return peering::peer_error(400, "MALFORMED", decided.error().message());
  JsonValue answer = JsonValue::make_object();
  answer.add("transfer_id", str(std::to_string(decided->id)));
  const bool refused = decided->state == OutgoingState::kRefused;
  answer.add("state", str(refused ? "refused" : "accepted"));
  if (refused) answer.add("reason", str(decided->detail));
  return {200, fhir::write_json(answer)};
}

}  // namespace gw::transfer
