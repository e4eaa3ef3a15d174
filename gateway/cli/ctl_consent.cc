// gatewayctl consent: a REST client of the running gatewayd's Consent
// endpoint (gateway/consent/consent_service.h). It never opens the key store
// or the state files: with swtpm only gatewayd may hold the TPM, and the
// endpoint is where the custody, overlap and ledger checks happen.
#include <Poco/URI.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/cli/ctl_rest_client.h"
#include "gateway/rest/fhir_rest_util.h"

namespace gw::cli {
namespace {

constexpr size_t kMaxConsentFileBytes = 1 << 20;  // as the endpoint's Consent limit

int consent_usage() {
  std::fputs(
      "usage: gatewayctl consent apply --url https://HOST:PORT [--ca FILE] [--cert FILE --key "
      "FILE] "
      "FILE.json\n"
      "       gatewayctl consent show --url URL [--ca FILE] [--cert FILE --key FILE] ID\n"
      "       gatewayctl consent list --url URL [--ca FILE] [--cert FILE --key FILE] "
      "--patient Patient/ID\n",
      stderr);
  return 2;
}

struct Options {
  RestTarget target;
  std::string patient;
  std::vector<std::string> positional;
};

bool parse(const std::vector<std::string>& args, Options* o) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool missing = false;
    if (take_rest_option(args, &i, &o->target, &missing)) {
      if (missing) return false;
    } else if (a == "--patient") {
      if (i + 1 >= args.size()) return false;
      o->patient = args[++i];
    } else if (a.rfind("--", 0) == 0) {
      return false;
    } else {
      o->positional.push_back(a);
    }
  }
  return rest_target_complete(o->target);
}

Result<RestReply> request(const Options& o, const std::string& method, const std::string& path,
                          const std::string& body) {
  return rest_request(o.target, method, path, body, "consent");
}

// One line per Consent: id, version, ledger state (and transaction or reason).
void print_consent(const fhir::JsonValue& c) {
  auto text = [](const fhir::JsonValue* v) { return v != nullptr ? v->text() : std::string(); };
  const fhir::JsonValue* meta = c.find("meta");
  std::string state, tx, reason;
  if (const fhir::JsonValue* ext = c.find("extension")) {
    for (const fhir::JsonValue& e : ext->items()) {
      if (text(e.find("url")) != "urn:gateway:consent:ledger-state") continue;
      if (const fhir::JsonValue* subs = e.find("extension")) {
        for (const fhir::JsonValue& s : subs->items()) {
          const std::string name = text(s.find("url"));
          const fhir::JsonValue* v = s.find("valueCode");
          if (v == nullptr) v = s.find("valueString");
          if (name == "state") state = text(v);
          if (name == "transaction") tx = text(v);
          if (name == "reason") reason = text(v);
        }
      }
    }
  }
  std::printf("Consent/%s version %s status %s ledger %s%s%s\n", text(c.find("id")).c_str(),
              meta != nullptr ? text(meta->find("versionId")).c_str() : "?",
              text(c.find("status")).c_str(), state.empty() ? "unknown" : state.c_str(),
              tx.empty() ? "" : (" transaction " + tx).c_str(),
              reason.empty() ? "" : (" reason: " + reason).c_str());
}

// Prints the answer: the Consent(s) with their ledger state, or the
// OperationOutcome's issues (element path and reason). 0 on 2xx.
int report(const RestReply& r) {
  auto parsed = fhir::parse_json(r.body);
  if (r.status >= 200 && r.status < 300 && parsed.ok()) {
    const fhir::JsonValue* type = parsed->find("resourceType");
    if (type != nullptr && type->text() == "Bundle") {
      const fhir::JsonValue* entries = parsed->find("entry");
      size_t n = 0;
      for (const fhir::JsonValue& e :
           entries != nullptr ? entries->items() : std::vector<fhir::JsonValue>{}) {
        if (const fhir::JsonValue* res = e.find("resource")) {
          print_consent(*res);
          ++n;
        }
      }
      std::printf("%zu Consent(s)\n", n);
    } else {
      print_consent(*parsed);
    }
    return 0;
  }
  print_rest_refusal(r);
  return 1;
}

}  // namespace

int ctl_consent(const std::vector<std::string>& args) {
  if (args.empty()) return consent_usage();
  Options o;
  if (!parse(args, &o)) return consent_usage();
  const std::string& verb = args[0];
  Result<RestReply> r = unavailable_error("");
  if (verb == "apply") {
    if (o.positional.size() != 1) return consent_usage();
    std::ifstream f(o.positional[0], std::ios::binary);
    if (!f) return ctl_fail("cannot read " + o.positional[0]);
    std::ostringstream content;
    content << f.rdbuf();
    const std::string body = content.str();
    if (body.size() > kMaxConsentFileBytes) return ctl_fail("the file is larger than 1 MiB");
    auto parsed = fhir::parse_json(body);
    if (!parsed.ok() || !parsed->is_object()) return ctl_fail("the file is not a JSON object");
    const fhir::JsonValue* id = parsed->find("id");
    if (id != nullptr && (!id->is_string() || !rest::is_valid_id(id->text()))) {
      return ctl_fail("the Consent's id is not a FHIR id");
    }
    if (id != nullptr) {
      r = request(o, "PUT", "/Consent/" + id->text(), body);
    } else {
      r = request(o, "POST", "/Consent", body);
    }
  } else if (verb == "show") {
    if (o.positional.size() != 1) return consent_usage();
    if (!rest::is_valid_id(o.positional[0])) return ctl_fail("ID is not a FHIR id");
    r = request(o, "GET", "/Consent/" + o.positional[0], "");
  } else if (verb == "list") {
    if (o.patient.empty() || !o.positional.empty()) return consent_usage();
    std::string encoded;
    Poco::URI::encode(o.patient, "&=+#?%", encoded);
    r = request(o, "GET", "/Consent?patient=" + encoded, "");
  } else {
    return consent_usage();
  }
  if (!r.ok()) return ctl_fail(r.error().message());
  return report(*r);
}

}  // namespace gw::cli
