// Throwaway PKI for TLS tests: a CA, a server certificate for localhost /
// 127.0.0.1 and a client certificate signed by it, plus an unrelated CA with
// its own client certificate. EC P-256 keys, SHA-256 signatures, valid from
// an hour ago for a day. Generated with OpenSSL's C API (no openssl binary).
#pragma once

#include <map>
#include <string>
#include <vector>

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

struct TestClientCert {
  std::string cert, key;  // PEM files
};

// For tests with several clients of one CA: make_test_pki(dir, client_cns[0]),
// plus a certificate from its ca_cert for each CN (client-NNN.pem / .key),
// and one for `expired_cn` whose validity ended an hour ago (client-expired).
struct MultiClientPki {
  TestPki pki;
  std::map<std::string, TestClientCert> clients;  // by CN
  TestClientCert expired;
};
gw::Result<MultiClientPki> make_test_pki_for_clients(const std::string& dir,
                                                     const std::vector<std::string>& client_cns,
                                                     const std::string& expired_cn);

}  // namespace gw::testing
