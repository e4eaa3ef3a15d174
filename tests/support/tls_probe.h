// A bare OpenSSL client for the TLS tests of our servers (MLLP listener, FHIR
// REST endpoint): what a peer we do not control can offer.
#pragma once

#include <cstdint>
#include <string>

namespace gw::testing {

// Connects to 127.0.0.1:port and runs one handshake limited to protocol
// versions [min_version, max_version] (TLS1_VERSION ...), offering the old
// ones that OpenSSL's default security level would not, and verifying the
// server against `ca_file`. True if the handshake completes.
bool handshake_with_versions(uint16_t port, const std::string& ca_file, int min_version,
                             int max_version);

// The protocol versions the server completes a handshake with, from three
// clients: one offering TLS 1.0 and 1.1 ("TLS1.0-1.1"), one TLS 1.2 only, one
// TLS 1.3 only; the accepted ones space-separated ("TLS1.2 TLS1.3" from a
// server that follows our TLS 1.2+ rule).
std::string accepted_tls_versions(uint16_t port, const std::string& ca_file);

}  // namespace gw::testing
