#include "gateway/cli/ctl_rest_client.h"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/URI.h>

#include <cstdio>

#include "fhir/json/json.h"
#include "gateway/base/tls_client.h"

namespace gw::cli {
namespace {
constexpr size_t kMaxResponseBytes = size_t{16} << 20;  // e.g. a patient's list of Consents
}  // namespace

bool take_rest_option(const std::vector<std::string>& args, size_t* i, RestTarget* target,
                      bool* missing_value) {
  const std::string& a = args[*i];
  std::string* out = a == "--url"    ? &target->url
                     : a == "--ca"   ? &target->ca
                     : a == "--cert" ? &target->cert
                     : a == "--key"  ? &target->key
                                     : nullptr;
  if (out == nullptr) return false;
  if (*i + 1 >= args.size()) {
    *missing_value = true;
    return true;
  }
  *out = args[++*i];
  return true;
}

bool rest_target_complete(const RestTarget& target) {
  return !target.url.empty() && target.cert.empty() == target.key.empty();
}

Result<RestReply> rest_request(const RestTarget& target, const std::string& method,
                               const std::string& path, const std::string& body,
                               std::string_view what) {
  Poco::URI uri;
  try {
    uri = Poco::URI(target.url);
  } catch (const Poco::Exception&) {
    return invalid_argument_error("--url is not a URL");
  }
  if (uri.getScheme() != "https" || uri.getHost().empty()) {
    return invalid_argument_error("--url must be https://HOST:PORT");
  }
  GW_ASSIGN_OR_RETURN(Poco::Net::Context::Ptr context,
                      make_tls_client_context(target.ca, target.cert, target.key, what));
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
    RestReply r;
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

void print_rest_refusal(const RestReply& reply) {
  std::fprintf(stderr, "gatewayctl: gatewayd answered %d\n", reply.status);
  auto parsed = fhir::parse_json(reply.body);
  if (!parsed.ok()) return;
  const fhir::JsonValue* issues = parsed->find("issue");
  if (issues == nullptr) return;
  for (const fhir::JsonValue& i : issues->items()) {
    const fhir::JsonValue* expr = i.find("expression");
    const fhir::JsonValue* diag = i.find("diagnostics");
    std::fprintf(stderr, "  %s: %s\n",
                 expr != nullptr && !expr->items().empty() ? expr->items()[0].text().c_str() : "-",
                 diag != nullptr ? diag->text().c_str() : "");
  }
}

}  // namespace gw::cli
