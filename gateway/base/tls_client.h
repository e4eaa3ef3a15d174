// The one TLS client policy of the gateway's outbound HTTPS connections (FHIR
// forwarding, gateway/outbound; the ledger's JSON-RPC, ledger-client/rpc), so
// that the two cannot drift apart: the server is verified strictly against the
// configured CA (the system CAs when none is given), TLS 1.2 at least, no weak
// ciphers, an optional client certificate. Header-only: the CMake target
// gw_tls_client is an INTERFACE library that brings Poco::NetSSL with it, and
// only the two senders' .cc files include it (no Poco type in their headers).
#pragma once

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>

#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "gateway/base/status.h"

namespace gw {

// A client Context for the files given (cert and key both or neither; the
// caller has checked that they exist). The error starts with `what` ("ledger
// RPC") and names only Poco's exception class: its message may quote a file.
inline Result<Poco::Net::Context::Ptr> make_tls_client_context(const std::string& ca_file,
                                                               const std::string& cert_file,
                                                               const std::string& key_file,
                                                               std::string_view what) {
  static std::once_flag ssl_once;
  std::call_once(ssl_once, [] { Poco::Net::initializeSSL(); });
  Poco::Net::Context::Params params;
  params.caLocation = ca_file;
  params.loadDefaultCAs = ca_file.empty();
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.verificationDepth = 9;
  params.certificateFile = cert_file;
  params.privateKeyFile = key_file;
  params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
  try {
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    return context;
  } catch (const Poco::Exception& e) {
    return invalid_argument_error(std::string(what) + " TLS setup failed (" +
                                  std::string(e.name()) +
                                  "): check the CA, certificate and key files");
  }
}

// A URL's "user:password" split at the first ':' (no ':': the whole is the
// user, the password empty). For HTTP Basic; never logged.
inline std::pair<std::string, std::string> split_user_info(const std::string& info) {
  const size_t colon = info.find(':');
  return {info.substr(0, colon), colon == std::string::npos ? "" : info.substr(colon + 1)};
}

}  // namespace gw
