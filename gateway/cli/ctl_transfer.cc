// gatewayctl transfer send | request: REST clients of the running gatewayd's
// transfer operations (gateway/transfer/transfer_service.h). Like consent,
// they open no key store or state file: the custodian's checks (membership,
// consent, emergency policy) are gatewayd's, and the command prints its
// answer. list | show read the transfer store (ctl_transfer_state.cc).
#include <cstdio>
#include <string>
#include <vector>

#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/cli/ctl_rest_client.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/rest/fhir_rest_util.h"

namespace gw::cli {
namespace {

using fhir::JsonValue;

constexpr size_t kMaxReasonBytes = 256;  // as the operation's limit on `reason`
constexpr size_t kMaxCategories = 64;

int transfer_usage() {
  std::fputs(ctl_usage("transfer").c_str(), stderr);
  return 2;
}

struct Options {
  RestTarget target;
  std::string patient, to, from, patient_identifier, purpose, reason, study;
  std::vector<std::string> categories;
  std::vector<std::string> positional;
};

bool parse(const std::vector<std::string>& args, Options* o) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool missing = false;
    if (take_rest_option(args, &i, &o->target, &missing)) {
      if (missing) return false;
      continue;
    }
    std::string* out = a == "--patient"              ? &o->patient
                       : a == "--to"                 ? &o->to
                       : a == "--from"               ? &o->from
                       : a == "--patient-identifier" ? &o->patient_identifier
                       : a == "--purpose"            ? &o->purpose
                       : a == "--reason"             ? &o->reason
                       : a == "--study"              ? &o->study
                                                     : nullptr;
    if (a == "--category") {
      if (i + 1 >= args.size()) return false;
      o->categories.push_back(args[++i]);
    } else if (out != nullptr) {
      if (i + 1 >= args.size() || !out->empty()) return false;  // given twice: ambiguous
      *out = args[++i];
    } else {
      o->positional.push_back(a);  // none is expected: a usage error below
    }
  }
  return rest_target_complete(o->target) && o->positional.empty() && !o->purpose.empty();
}

JsonValue str(std::string s) { return JsonValue::make_string(std::move(s)); }

void add_param(JsonValue& list, const char* name, const char* type, JsonValue value) {
  JsonValue& p = list.push(JsonValue::make_object());
  p.add("name", str(name));
  p.add(type, std::move(value));
}

JsonValue identifier(const std::string& system, const std::string& value) {
  JsonValue id = JsonValue::make_object();
  if (!system.empty()) id.add("system", str(system));
  id.add("value", str(value));
  return id;
}

// The Parameters both operations share (purpose, category, reason, study),
// after the ones given in `first`. The server checks every code; this only
// refuses what could never be sent.
Result<std::string> parameters(const Options& o, JsonValue first) {
  if (o.reason.size() > kMaxReasonBytes) {
    return invalid_argument_error("--reason is longer than 256 bytes");
  }
  if (o.categories.size() > kMaxCategories) return invalid_argument_error("too many --category");
  JsonValue doc = JsonValue::make_object();
  doc.add("resourceType", str("Parameters"));
  JsonValue& list = doc.add("parameter", std::move(first));
  add_param(list, "purpose", "valueCode", str(o.purpose));
  for (const std::string& c : o.categories) add_param(list, "category", "valueCode", str(c));
  if (!o.reason.empty()) add_param(list, "reason", "valueString", str(o.reason));
  if (!o.study.empty()) add_param(list, "study", "valueString", str(o.study));
  return fhir::write_json(doc);
}

// The answer's Parameters: "transfer" / "request" (valueString) and "state"
// (valueCode).
std::string output_value(const JsonValue& p, std::string_view name) {
  const JsonValue* list = p.find("parameter");
  if (list == nullptr || !list->is_array()) return "";
  for (const JsonValue& item : list->items()) {
    const JsonValue* n = item.find("name");
    if (n == nullptr || !n->is_string() || n->text() != name) continue;
    for (const char* type : {"valueString", "valueCode"}) {
      if (const JsonValue* v = item.find(type); v != nullptr && v->is_string()) return v->text();
    }
  }
  return "";
}

// 2xx with the id and state: prints "KIND ID state STATE", exit 0. Anything
// else (a refusal: 422 names the transfer and the reason) goes to stderr, exit 1.
int report(const Result<RestReply>& r, std::string_view kind) {
  if (!r.ok()) return ctl_fail(r.error().message());
  if (r->status >= 200 && r->status < 300) {
    auto parsed = fhir::parse_json(r->body);
    const std::string id = parsed.ok() ? output_value(*parsed, kind) : "";
    if (id.empty()) return ctl_fail("gatewayd's answer names no " + std::string(kind));
    std::printf("%.*s %s state %s\n", static_cast<int>(kind.size()), kind.data(), id.c_str(),
                output_value(*parsed, "state").c_str());
    return 0;
  }
  print_rest_refusal(*r);
  return 1;
}

int send(const Options& o) {
  if (o.patient.empty() || o.to.empty() || !o.from.empty() || !o.patient_identifier.empty()) {
    return transfer_usage();
  }
  std::string id = o.patient;
  if (id.rfind("Patient/", 0) == 0) id = id.substr(8);
  if (!rest::is_valid_id(id)) return ctl_fail("--patient is not Patient/ID with a FHIR id");
  JsonValue first = JsonValue::make_array();
  add_param(first, "recipient", "valueIdentifier", identifier("", o.to));
  auto body = parameters(o, std::move(first));
  if (!body.ok()) return ctl_fail(body.error().message());
  return report(rest_request(o.target, "POST", "/Patient/" + id + "/$transfer", *body, "transfer"),
                "transfer");
}

int request(const Options& o) {
  if (o.from.empty() || o.patient_identifier.empty() || !o.patient.empty() || !o.to.empty()) {
    return transfer_usage();
  }
  const size_t bar = o.patient_identifier.find('|');
  if (bar == std::string::npos || bar == 0 || bar + 1 == o.patient_identifier.size()) {
    return ctl_fail("--patient-identifier must be SYSTEM|VALUE");
  }
  JsonValue first = JsonValue::make_array();
  add_param(first, "custodian", "valueIdentifier", identifier("", o.from));
  add_param(first, "patient", "valueIdentifier",
            identifier(o.patient_identifier.substr(0, bar), o.patient_identifier.substr(bar + 1)));
  auto body = parameters(o, std::move(first));
  if (!body.ok()) return ctl_fail(body.error().message());
  return report(rest_request(o.target, "POST", "/$request-transfer", *body, "transfer"), "request");
}

}  // namespace

int ctl_transfer(const std::vector<std::string>& args) {
  if (args.empty()) return transfer_usage();
  Options o;
  if (args[0] == "send") {
    if (!parse(args, &o)) return transfer_usage();
    return send(o);
  }
  if (args[0] == "request") {
    if (!parse(args, &o)) return transfer_usage();
    return request(o);
  }
  return transfer_usage();
}

}  // namespace gw::cli
