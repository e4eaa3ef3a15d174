// gatewayctl consent: a REST client of the running gatewayd's Consent
// endpoint (gateway/consent/consent_service.h). It never opens the key store
// or the state files: with swtpm only gatewayd may hold the TPM, and the
// endpoint is where the custody, overlap and ledger checks happen.
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "gateway/base/tls_client.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/rest/fhir_rest_util.h"

namespace gw::cli {
namespace {

constexpr size_t kMaxConsentFileBytes = 1 << 20;        // as the endpoint's Consent limit
constexpr size_t kMaxResponseBytes = size_t{16} << 20;  // a patient's list of Consents

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
  std::string url, ca, cert, key, patient;
  std::vector<std::string> positional;
};

bool parse(const std::vector<std::string>& args, Options* o) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    bool ok = true;
    if (a == "--url")
      ok = value(&o->url);
    else if (a == "--ca")
      ok = value(&o->ca);
    else if (a == "--cert")
      ok = value(&o->cert);
    else if (a == "--key")
      ok = value(&o->key);
    else if (a == "--patient")
      ok = value(&o->patient);
    else if (a.rfind("--", 0) == 0)
      return false;
    else
      o->positional.push_back(a);
    if (!ok) return false;
  }
  return !o->url.empty() && o->cert.empty() == o->key.empty();
}

struct Reply {
  int status = 0;
  std::string body;
};

Result<Reply> request(const Options& o, const std::string& method, const std::string& path,
                      const std::string& body) {
  Poco::URI uri;
  try {
    uri = Poco::URI(o.url);
  } catch (const Poco::Exception&) {
    return invalid_argument_error("--url is not a URL");
  }
  if (uri.getScheme() != "https" || uri.getHost().empty()) {
    return invalid_argument_error("--url must be https://HOST:PORT");
  }
  GW_ASSIGN_OR_RETURN(Poco::Net::Context::Ptr context,
                      make_tls_client_context(o.ca, o.cert, o.key, "consent"));
  try {
    Poco::Net::HTTPSClientSession session(uri.getHost(), uri.getPort(), context);
    session.setTimeout(Poco::Timespan(30, 0));
    std::string base = uri.getPath();
    if (!base.empty() && base.back() == '/') base.pop_back();
    Poco::Net::HTTPRequest req(method, base + path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Accept", "application/fhir+json");
    if (!body.empty()) {
      req.setContentType("application/fhir+json");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::ostream& out = session.sendRequest(req);
    out << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    Reply r;
    r.status = static_cast<int>(resp.getStatus());
    char buf[8192];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      r.body.append(buf, static_cast<size_t>(in.gcount()));
      if (r.body.size() > kMaxResponseBytes) {
        return resource_exhausted_error("the response is larger than 16 MiB");
      }
    }
    return r;
  } catch (const Poco::Exception& e) {
    return unavailable_error(std::string("cannot reach gatewayd (") + e.name() + ")");
  }
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
int report(const Reply& r) {
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
  std::fprintf(stderr, "gatewayctl: gatewayd answered %d\n", r.status);
  if (parsed.ok()) {
    if (const fhir::JsonValue* issues = parsed->find("issue")) {
      for (const fhir::JsonValue& i : issues->items()) {
        const fhir::JsonValue* expr = i.find("expression");
        const fhir::JsonValue* diag = i.find("diagnostics");
        std::fprintf(
            stderr, "  %s: %s\n",
            expr != nullptr && !expr->items().empty() ? expr->items()[0].text().c_str() : "-",
            diag != nullptr ? diag->text().c_str() : "");
      }
    }
  }
  return 1;
}

}  // namespace

int ctl_consent(const std::vector<std::string>& args) {
  if (args.empty()) return consent_usage();
  Options o;
  if (!parse(args, &o)) return consent_usage();
  const std::string& verb = args[0];
  Result<Reply> r = unavailable_error("");
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
