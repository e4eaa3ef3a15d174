#include "gateway/transfer/transfer_service.h"

#include "gateway/consent/consent_mapping.h"
#include "gateway/crypto/tokenizer.h"
#include "gateway/log/log.h"
#include "gateway/transfer/transfer_audit.h"
#include "ledger-client/consortium/consent_registry.h"

namespace gw::transfer {
namespace {

namespace cs = ledger::consortium;
using fhir::JsonValue;
using rest::ApiResult;
using rest::error_result;

// The parameters named `name` of a Parameters resource.
std::vector<const JsonValue*> parameters_named(const JsonValue& p, std::string_view name) {
  std::vector<const JsonValue*> out;
  const JsonValue* list = p.find("parameter");
  if (list == nullptr || !list->is_array()) return out;
  for (const JsonValue& item : list->items()) {
    const JsonValue* n = item.find("name");
    if (n != nullptr && n->is_string() && n->text() == name) out.push_back(&item);
  }
  return out;
}

const JsonValue* one(const JsonValue& p, std::string_view name) {
  auto all = parameters_named(p, name);
  return all.size() == 1 ? all.front() : nullptr;
}

std::optional<std::string> string_value(const JsonValue* param) {
  if (param == nullptr) return std::nullopt;
  const JsonValue* v = param->find("valueString");
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->text();
}

std::optional<std::string> code_value(const JsonValue* param) {
  if (param == nullptr) return std::nullopt;
  if (const JsonValue* c = param->find("valueCode"); c != nullptr && c->is_string())
    return c->text();
  if (const JsonValue* c = param->find("valueCoding"); c != nullptr) {
    if (const JsonValue* code = c->find("code"); code != nullptr && code->is_string()) {
      return code->text();
    }
  }
  return std::nullopt;
}

struct IdentifierValue {
  std::string system, value;
};
std::optional<IdentifierValue> identifier_value(const JsonValue* param) {
  if (param == nullptr) return std::nullopt;
  const JsonValue* id = param->find("valueIdentifier");
  if (id == nullptr) return std::nullopt;
  const JsonValue* value = id->find("value");
  if (value == nullptr || !value->is_string() || value->text().empty()) return std::nullopt;
  const JsonValue* system = id->find("system");
  return IdentifierValue{system != nullptr && system->is_string() ? system->text() : "",
                         value->text()};
}

// What push and pull share: purpose, categories, reason, study. An error
// names the parameter.
struct Common {
  uint8_t purpose = 0;
  uint64_t categories = 0;
  std::string reason, study;
};
std::optional<ApiResult> read_common(const JsonValue& p, Common* out) {
  const std::optional<std::string> purpose = code_value(one(p, "purpose"));
  const std::optional<cs::Purpose> code = purpose ? cs::purpose_from_code(*purpose) : std::nullopt;
  if (!code) {
    return error_result(400, "invalid",
                        "parameter purpose: one v3 ActReason code (TREAT, ETREAT, HPAYMT, "
                        "HOPERAT, HRESCH, PUBHLTH, PATRQT, COC)");
  }
  out->purpose = static_cast<uint8_t>(*code);
  for (const JsonValue* c : parameters_named(p, "category")) {
    const std::optional<std::string> name = code_value(c);
    const auto category = name ? consent::category_from_code(*name) : std::nullopt;
    if (!category) return error_result(400, "invalid", "parameter category: not a record category");
    out->categories |= cs::category_bit(*category);
  }
  if (const JsonValue* r = one(p, "reason")) {
    auto text = string_value(r);
    if (!text || text->empty() || text->size() > 256) {
      return error_result(400, "invalid", "parameter reason: a valueString of 1 to 256 bytes");
    }
    out->reason = *text;
  }
  if (const JsonValue* s = one(p, "study")) {
    auto text = string_value(s);
    if (!text) return error_result(400, "invalid", "parameter study: a valueString");
    out->study = *text;
  }
  return std::nullopt;
}

JsonValue str(std::string s) { return JsonValue::make_string(std::move(s)); }

// Parameters {name: valueString} (then more parameters may be pushed).
JsonValue output(std::initializer_list<std::pair<const char*, JsonValue>> values) {
  JsonValue p = JsonValue::make_object();
  p.add("resourceType", str("Parameters"));
  JsonValue& list = p.add("parameter", JsonValue::make_array());
  for (const auto& [name, value] : values) {
    JsonValue& item = list.push(JsonValue::make_object());
    item.add("name", str(name));
    item.add("valueString", value);
  }
  return p;
}

}  // namespace

Result<std::unique_ptr<TransferService>> TransferService::start(
    TransferContext ctx, const std::string& transfers_path,
    std::optional<peering::PeerServerOptions> peering) {
  std::unique_ptr<TransferService> s(new TransferService());
  GW_ASSIGN_OR_RETURN(s->store_, TransferStore::open(transfers_path));
  s->ctx_ = std::make_unique<TransferContext>(std::move(ctx));
  s->ctx_->transfers = s->store_.get();
  s->sender_ = std::make_unique<TransferSender>(*s->ctx_);
  s->receiver_ = std::make_unique<TransferReceiver>(*s->ctx_);
  s->requester_ = std::make_unique<TransferRequester>(*s->ctx_);
  if (peering) {
    TransferService* self = s.get();
    consortium::ConsortiumView* view = s->ctx_->view;
    auto identify = [view](const peering::Fingerprint& fp) -> std::optional<peering::Account> {
      auto member = view->member_by_tls_fingerprint(fp);
      if (!member || !view->is_active(member->info.account)) return std::nullopt;
      return member->info.account;
    };
    std::vector<peering::PeerRoute> routes;
    routes.push_back({"POST", kDeliverPath, [self](const peering::PeerRequest& r) {
                        return self->receiver_->handle_delivery(r);
                      }});
    routes.push_back({"POST", kRequestPath, [self](const peering::PeerRequest& r) {
                        return handle_pull_request(*self->sender_, r);
                      }});
    s->server_ = std::make_unique<peering::PeerServer>();
    GW_RETURN_IF_ERROR(s->server_->start(*peering, identify, std::move(routes)));
  }
  s->sender_->start();
  s->requester_->start();
  return s;
}

TransferService::~TransferService() { stop(); }

void TransferService::stop() {
  if (server_) server_->stop();
  if (sender_) sender_->stop();
  if (requester_) requester_->stop();
}

uint16_t TransferService::peering_port() const { return server_ ? server_->port() : 0; }

std::vector<rest::CapabilityOperation> TransferService::operations() {
  return {
      {"transfer", "urn:gateway:OperationDefinition:transfer", "Patient",
       "Push this patient's records to a consortium member under its consent (Parameters: "
       "recipient, purpose, category*, reason, study); 202 with the transfer id, 422 with the "
       "refusal's reason code"},
      {"request-transfer", "urn:gateway:OperationDefinition:request-transfer", "",
       "Ask a member (the custodian) for a patient's records (Parameters: custodian, patient, "
       "purpose, category*, reason, study); 202 with the request id"},
  };
}

rest::ExtensionHandler TransferService::rest_extension() {
  return [this](const rest::ExtensionRequest& r) { return handle_rest(r); };
}

std::optional<ApiResult> TransferService::handle_rest(const rest::ExtensionRequest& r) {
  const auto& seg = r.segments;
  const bool push_op = seg.size() == 3 && seg[0] == "Patient" && seg[2] == "$transfer";
  const bool pull_op = seg.size() == 1 && seg[0] == "$request-transfer";
  if (!push_op && !pull_op) return std::nullopt;
  if (r.http.method != "POST") return error_result(405, "not-supported", "use POST");
  if (r.in_bundle) {
    return error_result(422, "not-supported", "transfers are not started from inside a Bundle");
  }
  if (r.body == nullptr || !r.body->is_object() || r.body->find("resourceType") == nullptr ||
      !r.body->find("resourceType")->is_string() ||
      r.body->find("resourceType")->text() != "Parameters") {
    return error_result(400, "structure", "the body must be a Parameters resource");
  }
  return push_op ? push(seg[1], r.body, r.http) : pull(r.body);
}

ApiResult TransferService::push(const std::string& patient_id, const JsonValue* p,
                                const rest::RestRequest& http) {
  Common common;
  if (auto error = read_common(*p, &common)) return std::move(*error);
  const std::optional<IdentifierValue> to = identifier_value(one(*p, "recipient"));
  if (!to)
    return error_result(400, "invalid",
                        "parameter recipient: the member's org_id (valueIdentifier)");
  auto member = ctx_->view->member_by_org_id(to->value);
  if (!member)
    return error_result(422, "business-rule", "parameter recipient: not a consortium member");
  TransferAsk ask;
  ask.recipient = member->info.account;
  ask.patient_id = patient_id;
  ask.purpose = common.purpose;
  ask.categories = common.categories;
  ask.emergency_reason = common.reason;
  ask.study_id = common.study;
  ask.asked_by = rest_caller_actor(http);
  auto decided = sender_->request(ask);
  if (!decided.ok() && decided.error().code() == StatusCode::kUnavailable) {
    return error_result(503, "transient", decided.error().message());
  }
  if (!decided.ok()) return error_result(400, "invalid", decided.error().message());
  if (decided->state == OutgoingState::kRefused) {
    return error_result(422, "business-rule",
                        "transfer " + std::to_string(decided->id) + " refused: " + decided->detail);
  }
  ApiResult result;
  result.status = 202;
  result.body = output({{"transfer", str(std::to_string(decided->id))}});
  JsonValue& list = *result.body->find_mutable("parameter");
  JsonValue& state = list.push(JsonValue::make_object());
  state.add("name", str("state"));
  state.add("valueCode", str(std::string(outgoing_state_name(decided->state))));
  return result;
}

ApiResult TransferService::pull(const JsonValue* p) {
  Common common;
  if (auto error = read_common(*p, &common)) return std::move(*error);
  const std::optional<IdentifierValue> custodian = identifier_value(one(*p, "custodian"));
  if (!custodian) {
    return error_result(400, "invalid",
                        "parameter custodian: the member's org_id (valueIdentifier)");
  }
  auto member = ctx_->view->member_by_org_id(custodian->value);
  if (!member)
    return error_result(422, "business-rule", "parameter custodian: not a consortium member");
  const std::optional<IdentifierValue> patient = identifier_value(one(*p, "patient"));
  if (!patient || patient->system.empty()) {
    return error_result(400, "invalid",
                        "parameter patient: one of the patient's identifiers, with its system "
                        "(valueIdentifier)");
  }
  auto token =
      crypto::token_bytes(ctx_->store->keys().patient_token(patient->system, patient->value));
  if (!token) return error_result(500, "exception", "the patient token could not be computed");
  PullAsk ask;
  ask.custodian = member->info.account;
  ask.patient_token = *token;
  ask.purpose = common.purpose;
  ask.categories = common.categories;
  ask.emergency_reason = common.reason;
  ask.study_id = common.study;
  auto stored = requester_->ask(ask);
  if (!stored.ok()) return error_result(400, "invalid", stored.error().message());
  ApiResult result;
  result.status = 202;
  result.body = output({{"request", str(std::to_string(stored->id))}});
  JsonValue& list = *result.body->find_mutable("parameter");
  JsonValue& state = list.push(JsonValue::make_object());
  state.add("name", str("state"));
  state.add("valueCode", str(std::string(request_state_name(stored->state))));
  return result;
}

}  // namespace gw::transfer
