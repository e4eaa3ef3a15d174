// Transport-independent model of one FHIR REST exchange. The HTTPS server
// (rest_server.h) fills a RestRequest from Poco's request and sends back the
// RestResponse; FhirApi (fhir_api.h) maps one to the other. Keeping Poco out
// of the FHIR logic lets batch entries reuse it.
#pragma once

#include <string>
#include <utility>
#include <vector>

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
};

struct RestResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
  std::string body;                                          // FHIR JSON, or empty
  std::string content_type = "application/fhir+json; charset=utf-8";
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
