// Internal to gateway/peering: the TLS policy of the member-to-member API.
//
// Members trust each other by certificate pinning, not by a CA: each member's
// certificate fingerprint is on chain (ProviderRegistry), and certificates
// may be self-signed. So neither side verifies a chain or a host name;
// instead each side computes the SHA-256 of the other's DER certificate after
// the handshake and compares it with the registry's (server: any active
// member's; client: the one member it means to call). A handshake without a
// certificate from the other side fails. TLS 1.2 at least, no weak ciphers,
// no renegotiation. gateway/base/tls_client.h (the policy of connections to
// servers that have a CA) is not used here: it verifies chains strictly.
#pragma once

#include <Poco/Net/Context.h>

#include <string>

#include "gateway/base/status.h"
#include "gateway/peering/peer_types.h"

typedef struct x509_st X509;

namespace gw::peering::internal {

// SHA-256 of the certificate's DER encoding.
Fingerprint certificate_fingerprint(const X509* cert);

// The server side: presents cert_file/key_file, requires a client certificate
// of any issuer. The error names the files and OpenSSL's reason (no secrets).
Result<Poco::Net::Context::Ptr> make_server_context(const std::string& cert_file,
                                                    const std::string& key_file);
// The client side: presents cert_file/key_file, accepts any server
// certificate for the caller to pin.
Result<Poco::Net::Context::Ptr> make_client_context(const std::string& cert_file,
                                                    const std::string& key_file);

}  // namespace gw::peering::internal
