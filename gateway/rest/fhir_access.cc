// FhirApi's access control and audit notes: every routed request is checked
// against the caller's grant (gateway/auth/policy.h) before anything serves
// it, and every answer carries the notes the HTTPS server turns into audit
// entries.
#include <set>

#include "fhir/validate/validator.h"
#include "gateway/rest/access.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/store/compartment.h"

namespace gw::rest {

using fhir::JsonValue;

namespace {

ApiResult refusal(const Status& st) {
  if (st.code() == StatusCode::kPermissionDenied) {
    // The policy's messages name only known types, operations and roles.
    return error_result(403, "forbidden", st.message());
  }
  return error_result(400, "not-supported", st.message());
}

const std::string* text_member(const JsonValue& v, std::string_view key) {
  const JsonValue* m = v.find(key);
  return m != nullptr && m->is_string() ? &m->text() : nullptr;
}

// The patients a resource returned or written is about.
void add_compartment(const JsonValue& resource, std::set<std::string>* patients) {
  const std::string* type = text_member(resource, "resourceType");
  const std::string* id = text_member(resource, "id");
  if (type == nullptr || id == nullptr) return;
  for (std::string& p : store::patient_compartment_ids(*type, *id, resource)) {
    if (is_valid_id(p)) patients->insert(std::move(p));
  }
}

constexpr size_t kMaxNotedPatients = 1000;

std::string issue_code(const ApiResult& r) {
  if (!r.body || r.status < 400) return "";
  const JsonValue* issues = r.body->find("issue");
  if (issues == nullptr || !issues->is_array() || issues->items().empty()) return "";
  const std::string* code = text_member(issues->items()[0], "code");
  return code != nullptr && code->size() <= 64 ? *code : "";
}

}  // namespace

std::optional<ApiResult> FhirApi::check_access(const RestRequest& request,
                                               const auth::AccessRequest& access,
                                               const std::vector<std::string>& seg) const {
  if (auth::is_open(access.interaction)) return std::nullopt;
  if (request.grant == nullptr) {
    return error_result(401, "login", "authentication required");
  }
  Status st = auth::authorize(*request.grant, access);
  if (st.ok() && access.interaction == auth::Interaction::kUpdate && !access.conditional &&
      seg.size() == 2) {
    // Update-as-create needs c: asked of the store only for a client that
    // lacks it (no delete exists, so an id found now still exists at the write).
    auth::AccessRequest creating = access;
    creating.creates = true;
    if (Status c = auth::authorize(*request.grant, creating); !c.ok()) {
      if (!store_->read_record(seg[0], seg[1], 0)) st = c;
    }
  }
  if (st.ok()) return std::nullopt;
  return refusal(st);
}

std::optional<ApiResult> FhirApi::check_create(
    const std::shared_ptr<const auth::ClientGrant>& grant,
    const auth::AccessRequest& access) const {
  if (grant == nullptr) return error_result(401, "login", "authentication required");
  auth::AccessRequest creating = access;
  creating.creates = true;
  Status st = auth::authorize(*grant, creating);
  if (st.ok()) return std::nullopt;
  return refusal(st);
}

void FhirApi::note_access(const std::optional<auth::AccessRequest>& access,
                          const std::vector<std::string>& seg, ApiResult* r) {
  if (!r->accessed.empty()) return;  // bundles note each entry themselves
  AccessNote n;
  n.action = access ? audit_action(*access) : audit::Action::kRead;
  if (!seg.empty() && fhir::is_resource_type(seg[0])) n.resource_type = seg[0];
  if (seg.size() >= 2 && is_valid_id(seg[1])) n.resource_id = seg[1];
  if (!r->audit_id.empty()) n.resource_id = r->audit_id;
  std::set<std::string> patients(r->audit_patients.begin(), r->audit_patients.end());
  if (r->body && r->status < 400) {
    const std::string* type = text_member(*r->body, "resourceType");
    if (type != nullptr && *type == "Bundle") {
      if (const JsonValue* entries = r->body->find("entry"); entries && entries->is_array()) {
        for (const JsonValue& e : entries->items()) {
          if (patients.size() >= kMaxNotedPatients) break;
          if (const JsonValue* res = e.find("resource"); res && res->is_object()) {
            add_compartment(*res, &patients);
          }
        }
      }
    } else if (type != nullptr && *type != "OperationOutcome") {
      add_compartment(*r->body, &patients);
      if (n.resource_id.empty()) {
        if (const std::string* id = text_member(*r->body, "id"); id && is_valid_id(*id)) {
          n.resource_id = *id;
        }
      }
    }
  }
  if (n.resource_type == "Patient" && !n.resource_id.empty() && r->status < 400) {
    patients.insert(n.resource_id);
  }
  n.patient_ids.assign(patients.begin(), patients.end());
  n.status = r->status;
  n.reason = issue_code(*r);
  r->accessed.push_back(std::move(n));
}

}  // namespace gw::rest
