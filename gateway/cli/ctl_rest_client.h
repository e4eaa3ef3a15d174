// The HTTPS client the gatewayctl commands that talk to a running gatewayd's
// FHIR API share (consent, transfer): the --url / --ca / --cert / --key
// options, one bounded request, and the OperationOutcome printed as issues.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"

namespace gw::cli {

struct RestTarget {
  std::string url;  // https://HOST:PORT[/base]
  std::string ca, cert, key;
};

// If args[*i] is one of --url, --ca, --cert, --key, stores its value, moves
// *i past it and returns true; *missing_value is set when the value is absent.
bool take_rest_option(const std::vector<std::string>& args, size_t* i, RestTarget* target,
                      bool* missing_value);
// --url given, and --cert and --key both or neither.
bool rest_target_complete(const RestTarget& target);

struct RestReply {
  int status = 0;
  std::string body;
};

// One request to gatewayd at target.url + path (JSON body when not empty),
// 30 s timeout, the answer bounded to 16 MiB. Errors: invalid-argument for a
// bad --url, unavailable when gatewayd cannot be reached (no PHI: only the
// exception's name). `what` names the client in TLS errors.
Result<RestReply> rest_request(const RestTarget& target, const std::string& method,
                               const std::string& path, const std::string& body,
                               std::string_view what);

// "gatewayctl: gatewayd answered STATUS" and each issue of the answer's
// OperationOutcome ("  EXPRESSION: DIAGNOSTICS") to stderr.
void print_rest_refusal(const RestReply& reply);

}  // namespace gw::cli
