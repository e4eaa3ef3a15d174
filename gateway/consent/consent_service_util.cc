#include "gateway/consent/consent_service_util.h"

#include "gateway/consent/consent_service.h"

namespace gw::consent {

using fhir::JsonValue;

rest::ApiResult path_error(int status, std::string_view code, std::string_view path,
                           std::string_view diagnostics) {
  JsonValue outcome = rest::make_outcome("error", code, diagnostics);
  if (JsonValue* issues = outcome.find_mutable("issue");
      issues != nullptr && !issues->items().empty()) {
    JsonValue expression = JsonValue::make_array();
    expression.push(JsonValue::make_string(std::string(path)));
    issues->mutable_items()[0].add("expression", std::move(expression));
  }
  rest::ApiResult r;
  r.status = status;
  r.body = std::move(outcome);
  return r;
}

rest::ApiResult consent_error_result(const ConsentError& error) {
  if (error.kind == ConsentErrorKind::kInvalid) {
    return path_error(400, "structure", error.path, error.reason);
  }
  return path_error(422, "not-supported", error.path, error.reason);
}

void drop_ledger_state(JsonValue* consent) {
  JsonValue* ext = consent->find_mutable("extension");
  if (ext == nullptr || !ext->is_array()) return;
  std::vector<JsonValue>& items = ext->mutable_items();
  std::erase_if(items, [](const JsonValue& e) {
    const JsonValue* url = e.find("url");
    return url != nullptr && url->is_string() && url->text() == kLedgerStateUrl;
  });
  if (items.empty()) consent->remove("extension");
}

void add_ledger_state(JsonValue* consent, JsonValue state_extension) {
  JsonValue* ext = consent->find_mutable("extension");
  if (ext == nullptr || !ext->is_array()) {
    consent->add("extension", JsonValue::make_array());
    ext = consent->find_mutable("extension");
  }
  ext->push(std::move(state_extension));
}

JsonValue make_ledger_state(std::string_view state, std::string_view transaction,
                            std::string_view reason) {
  JsonValue ext = JsonValue::make_object();
  ext.add("url", JsonValue::make_string(std::string(kLedgerStateUrl)));
  JsonValue& subs = ext.add("extension", JsonValue::make_array());
  auto sub = [&](const char* url, const char* value_key, std::string_view value) {
    JsonValue s = JsonValue::make_object();
    s.add("url", JsonValue::make_string(url));
    s.add(value_key, JsonValue::make_string(std::string(value)));
    subs.push(std::move(s));
  };
  sub("state", "valueCode", state);
  if (!transaction.empty()) sub("transaction", "valueString", transaction);
  if (!reason.empty()) sub("reason", "valueString", reason);
  return ext;
}

void add_note(JsonValue* state_extension, std::string_view note) {
  JsonValue* subs = state_extension->find_mutable("extension");
  if (subs == nullptr) return;
  JsonValue s = JsonValue::make_object();
  s.add("url", JsonValue::make_string("note"));
  s.add("valueString", JsonValue::make_string(std::string(note)));
  subs->push(std::move(s));
}

}  // namespace gw::consent
