// Throwaway PKI for TLS tests: a CA, a server certificate for localhost /
// 127.0.0.1 and a client certificate signed by it, plus an unrelated CA with
// its own client certificate. EC P-256 keys, SHA-256 signatures, valid from
// an hour ago for a day. Generated with OpenSSL's C API (no openssl binary).
#pragma once

#include <string>

#include "gateway/base/status.h"

namespace gw::testing {

struct TestPki {
  std::string ca_cert;                              // PEM files under the directory given
  std::string server_cert, server_key;              // CN=localhost, SAN DNS:localhost, IP:127.0.0.1
  std::string client_cert, client_key;              // CN=<client_cn>, signed by ca_cert
  std::string other_ca_cert;                        // an unrelated CA
  std::string other_client_cert, other_client_key;  // signed by other_ca_cert
};

// Writes the files into `dir` (which must exist) and returns their paths.
gw::Result<TestPki> make_test_pki(const std::string& dir, const std::string& client_cn);

}  // namespace gw::testing
