// GET /metadata: the CapabilityStatement. It lists exactly what FhirApi
// implements (fhir_api.h): every concrete resource type the validator knows,
// each with read, vread, create, update and search-type by identifier, and
// the transaction and batch system interactions.
#include "fhir/defs/definitions.h"
#include "fhir/validate/validator.h"
#include "gateway/app/version.h"
#include "gateway/rest/fhir_api.h"

namespace gw::rest {

using fhir::JsonValue;

namespace {

JsonValue str(const std::string& s) { return JsonValue::make_string(s); }

JsonValue interactions(std::initializer_list<const char*> codes) {
  JsonValue list = JsonValue::make_array();
  for (const char* code : codes) {
    list.push(JsonValue::make_object()).add("code", str(code));
  }
  return list;
}

JsonValue resource_capability(std::string_view type) {
  JsonValue r = JsonValue::make_object();
  r.add("type", str(std::string(type)));
  r.add("interaction", interactions({"read", "vread", "update", "create", "search-type"}));
  r.add("versioning", str("versioned-update"));      // If-Match is honoured
  r.add("readHistory", JsonValue::make_bool(true));  // vread of older versions
  r.add("updateCreate", JsonValue::make_bool(true));
  r.add("conditionalCreate", JsonValue::make_bool(true));
  r.add("conditionalRead", str("not-supported"));
  r.add("conditionalUpdate", JsonValue::make_bool(true));
  r.add("conditionalDelete", str("not-supported"));
  JsonValue param = JsonValue::make_object();
  param.add("name", str("identifier"));
  param.add("type", str("token"));
  r.add("searchParam", JsonValue::make_array()).push(std::move(param));
  return r;
}

}  // namespace

namespace {
JsonValue operation_entry(const CapabilityOperation& op) {
  JsonValue o = JsonValue::make_object();
  o.add("name", str(op.name));
  o.add("definition", str(op.definition));
  if (!op.documentation.empty()) o.add("documentation", str(op.documentation));
  return o;
}
}  // namespace

fhir::JsonValue build_capability_statement(const std::string& base_url, int64_t date_ms,
                                           const std::vector<CapabilityOperation>& operations) {
  JsonValue cs = JsonValue::make_object();
  cs.add("resourceType", str("CapabilityStatement"));
  cs.add("status", str("active"));
  cs.add("date", str(format_instant(date_ms)));
  cs.add("kind", str("instance"));
  JsonValue& software = cs.add("software", JsonValue::make_object());
  software.add("name", str("hl7-fhir-gateway"));
  software.add("version", str(gw::app::kVersion));
  JsonValue& impl = cs.add("implementation", JsonValue::make_object());
  impl.add("description", str("HL7 FHIR interoperability gateway, FHIR R4 REST inbound"));
  if (!base_url.empty()) impl.add("url", str(base_url));
  cs.add("fhirVersion", str("4.0.1"));
  cs.add("format", JsonValue::make_array()).push(str("json"));

  JsonValue rest = JsonValue::make_object();
  rest.add("mode", str("server"));
  rest.add("documentation",
           str("Transactions accept POST (with or without ifNoneExist), PUT Type/id and "
               "conditional PUT Type?identifier= entries (not GET or DELETE); batches accept POST, "
               "PUT and GET entries. Search supports only the "
               "identifier parameter, matched against the resource's top-level identifier "
               "element: system|value, |value (no system) or value (any system), "
               "comma-separated alternatives (at most 100); no other parameter, modifier or "
               "search without parameters. No delete, patch, history or XML."));
  // Who may connect, and how (open to anyone: a client reads this first).
  JsonValue& security = rest.add("security", JsonValue::make_object());
  JsonValue& uris =
      security.add("extension", JsonValue::make_array()).push(JsonValue::make_object());
  uris.add("url", str("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"));
  JsonValue& token = uris.add("extension", JsonValue::make_array()).push(JsonValue::make_object());
  token.add("url", str("token"));
  token.add("valueUri", str(base_url + "/auth/token"));
  JsonValue& services = security.add("service", JsonValue::make_array());
  for (const char* code : {"SMART-on-FHIR", "Certificates"}) {
    JsonValue& coding = services.push(JsonValue::make_object())
                            .add("coding", JsonValue::make_array())
                            .push(JsonValue::make_object());
    coding.add("system", str("http://terminology.hl7.org/CodeSystem/restful-security-service"));
    coding.add("code", str(code));
  }
  security.add("description",
               str("Every interaction but this CapabilityStatement needs a configured client: "
                   "mutual TLS (a client certificate from the configured CA, matched by subject "
                   "or SHA-256 fingerprint) or SMART Backend Services (POST /auth/token, "
                   "client_credentials with a private_key_jwt assertion, ES384 or RS384; "
                   "/.well-known/smart-configuration). Each interaction is checked against the "
                   "client's SMART v2 system scopes; AuditEvent and $access-report need the "
                   "auditor role. Every access is recorded in the audit trail."));
  JsonValue& resources = rest.add("resource", JsonValue::make_array());
  for (const fhir::defs::TypeDef& t : fhir::defs::definitions().types()) {
    // SubscriptionStatus comes from R4B with the pinned definitions package;
    // R4's ResourceType value set (CapabilityStatement.rest.resource.type)
    // does not have it, so listing it would make the statement invalid.
    if (t.kind == fhir::defs::TypeKind::kResource && fhir::is_resource_type(t.name) &&
        t.name != "SubscriptionStatus") {
      JsonValue& r = resources.push(resource_capability(t.name));
      for (const CapabilityOperation& op : operations) {
        if (op.resource_type == t.name) {
          if (r.find("operation") == nullptr) r.add("operation", JsonValue::make_array());
          r.find_mutable("operation")->push(operation_entry(op));
        }
      }
    }
  }
  rest.add("interaction", interactions({"transaction", "batch"}));
  for (const CapabilityOperation& op : operations) {
    if (op.resource_type.empty()) {
      if (rest.find("operation") == nullptr) rest.add("operation", JsonValue::make_array());
      rest.find_mutable("operation")->push(operation_entry(op));
    }
  }
  cs.add("rest", JsonValue::make_array()).push(std::move(rest));
  return cs;
}

ApiResult FhirApi::metadata() const {
  ApiResult r;
  r.body = capability_;
  return r;
}

}  // namespace gw::rest
