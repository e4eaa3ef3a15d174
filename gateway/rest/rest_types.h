// Transport-independent model of one FHIR REST exchange. The HTTPS server
// (rest_server.h) fills a RestRequest from Poco's request and sends back the
// RestResponse; FhirApi (fhir_api.h) maps one to the other. Keeping Poco out
// of the FHIR logic lets batch entries reuse it.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/audit/audit_entry.h"
#include "gateway/auth/client_grant.h"

namespace gw::rest {

struct RestRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // request-target as received: "/Patient?identifier=a%7Cb"
  // Headers FhirApi looks at; empty when absent.
  std::string content_type, accept, if_match, if_none_exist, prefer;
  std::string body;
  std::string peer;                   // "10.1.2.3:51234"
  std::string sender;                 // "https", or the client certificate's CN with mutual TLS
  bool client_authenticated = false;  // a client certificate passed mutual TLS
  // What the caller may do (gateway/auth), set by the HTTPS server once it
  // knows who asks. Null: nothing but the open interactions (/metadata).
  std::shared_ptr<const auth::ClientGrant> grant;
};

// One entry of the audit trail as the FHIR API describes it; the HTTPS
// server adds who, when, from where, and the patients' consortium tokens.
struct AccessNote {
  audit::Action action = audit::Action::kRead;
  std::string resource_type, resource_id;
  // Ids of the Patients whose compartment the records read or written are in.
  std::vector<std::string> patient_ids;
  int status = 0;
  std::string reason;  // the OperationOutcome's issue code, or "scope", "role"
};

struct RestResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
  std::string body;                                          // FHIR JSON, or empty
  std::string content_type = "application/fhir+json; charset=utf-8";
  std::vector<AccessNote> accessed;  // for the audit trail, in order
  // The token endpoint's view of who asked and why it refused (the caller is
  // not authenticated by then); empty otherwise.
  std::string audit_client, audit_detail;
  // An answer that is no access to anything (a token issued, the SMART
  // configuration): no entry. Refusals are always recorded.
  bool nothing_to_audit = false;
  void set_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
  const std::string* header(const std::string& name) const {
    for (const auto& h : headers)
      if (h.first == name) return &h.second;
    return nullptr;
  }
};

}  // namespace gw::rest
