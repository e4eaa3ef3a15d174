#include "tests/support/tls_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace gw::testing {

bool handshake_with_versions(uint16_t port, const std::string& ca_file, int min_version,
                             int max_version) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, min_version);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");  // let the client offer old versions
  SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    ok = SSL_connect(ssl) == 1;
    if (ok) SSL_shutdown(ssl);
    SSL_free(ssl);
  }
  if (fd >= 0) ::close(fd);
  SSL_CTX_free(ctx);
  return ok;
}

std::string accepted_tls_versions(uint16_t port, const std::string& ca_file) {
  struct Probe {
    const char* name;
    int min_version, max_version;
  };
  static constexpr Probe kProbes[] = {{"TLS1.0-1.1", TLS1_VERSION, TLS1_1_VERSION},
                                      {"TLS1.2", TLS1_2_VERSION, TLS1_2_VERSION},
                                      {"TLS1.3", TLS1_3_VERSION, TLS1_3_VERSION}};
  std::string accepted;
  for (const Probe& p : kProbes) {
    if (!handshake_with_versions(port, ca_file, p.min_version, p.max_version)) continue;
    if (!accepted.empty()) accepted += ' ';
    accepted += p.name;
  }
  return accepted;
}

}  // namespace gw::testing
