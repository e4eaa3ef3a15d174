// Internal to the MLLP server and client: their OpenSSL contexts, a socket BIO
// that never raises SIGPIPE, and OpenSSL's errors as text. Not part of the
// public API (server.h and client.h do not include OpenSSL).
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/mllp/client.h"
#include "adapters/mllp/server.h"
#include "gateway/base/status.h"

namespace gw::mllp::internal {

using Sha256 = std::array<unsigned char, 32>;

// "AB:CD:..." or "abcd..." (64 hex digits, colons between bytes allowed).
bool parse_sha256_fingerprint(std::string_view text, Sha256* out);

// OpenSSL's error queue as one line ("reason; reason"), which it clears;
// `fallback` when the queue is empty.
std::string tls_error_text(const char* fallback);

// Why an SSL call failed with SSL_get_error() == ssl_error, as one line:
// OpenSSL's reasons and, after a certificate was refused, the verification
// error ("certificate verify failed: certificate has expired"). Clears the
// error queue. Read errno-dependent state first: call right after the failure.
std::string ssl_failure_text(const SSL* ssl, int ssl_error);

// A new SSL object reading and writing `fd` (which stays the caller's to
// close) through a BIO that sends with MSG_NOSIGNAL: a peer that resets the
// connection makes a write fail with EPIPE instead of killing the process.
// nullptr when OpenSSL cannot allocate.
SSL* new_ssl_on_fd(SSL_CTX* ctx, int fd);

// The verified peer certificate of an established connection, as
// PeerInfo::cert_subject / cert_sha256; both empty when there is none.
void peer_certificate_identity(const SSL* ssl, std::string* subject, std::string* sha256);

// The server side: TLS 1.2+, OpenSSL's default ciphers, no compression, no
// renegotiation, client certificates per TlsServerOptions. Shared read-only by
// every loop of a server (SSL_new is thread safe on a context no one changes).
class ServerTls {
 public:
  // Reads the files. An error names the file and says what is wrong with it
  // (unreadable, not PEM, key not matching the certificate, bad pin).
  static gw::Result<std::unique_ptr<ServerTls>> create(const TlsServerOptions& options);
  ~ServerTls();
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;

  // A server-side SSL object for an accepted socket; nullptr on allocation failure.
  SSL* accept(int fd) const { return new_ssl_on_fd(ctx_, fd); }

 private:
  ServerTls() = default;
  static int verify_client(int preverify_ok, X509_STORE_CTX* store);

  SSL_CTX* ctx_ = nullptr;
  bool have_ca_ = false;
  std::vector<Sha256> pins_;
};

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// The client side: TLS 1.2+, the server's certificate verified against
// options.ca_file (else the system's trust store), an optional client
// certificate. The name check is per connection (see client.cc).
gw::Result<SslCtxPtr> make_client_context(const ClientTlsOptions& options);

}  // namespace gw::mllp::internal
