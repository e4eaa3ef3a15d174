#include "adapters/mllp/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace gw::mllp::internal {
namespace {

// ---- a socket BIO that sends with MSG_NOSIGNAL
//
// OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE when the
// peer has reset the connection; the library must not depend on every program
// that links it (tests, gatewayctl) ignoring that signal.

int fd_of(BIO* b) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b))); }

int bio_write(BIO* b, const char* data, int len) {
  BIO_clear_retry_flags(b);
  ssize_t n;
  do {
    n = ::send(fd_of(b), data, static_cast<size_t>(len), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) BIO_set_retry_write(b);
  return static_cast<int>(n);
}

int bio_read(BIO* b, char* out, int len) {
  BIO_clear_retry_flags(b);
  ssize_t n;
  do {
    n = ::recv(fd_of(b), out, static_cast<size_t>(len), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) BIO_set_retry_read(b);
  // OpenSSL tells a peer's EOF from an error by BIO_eof (BIO_CTRL_EOF below).
  if (n == 0) BIO_set_flags(b, BIO_FLAGS_IN_EOF);
  return static_cast<int>(n);
}

long bio_ctrl(BIO* b, int cmd, long num, void* ptr) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing is buffered here
    case BIO_CTRL_EOF:
      return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    case BIO_C_GET_FD:
      if (ptr != nullptr) *static_cast<int*>(ptr) = fd_of(b);
      return fd_of(b);
    default:
      return 0;  // kTLS, datagram and the rest: not supported
  }
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

int bio_destroy(BIO*) { return 1; }  // the descriptor belongs to the caller

BIO_METHOD* nosignal_socket_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "mllp socket");
    if (m == nullptr) return m;
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    BIO_meth_set_destroy(m, bio_destroy);
    return m;
  }();
  return method;
}

// An unreadable file gets the system's reason rather than OpenSSL's "no start line".
gw::Status check_readable(const std::string& path, const char* what) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return invalid_argument_error(std::string("TLS ") + what + " file " + path +
                                  ": cannot be read (" + std::strerror(errno) + ")");
  }
  std::fclose(f);
  return ok_status();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Settings both sides share.
void harden(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // MLLP frames its messages, so a peer closing without close_notify cannot
  // truncate one unnoticed: treat that as an ordinary EOF rather than an error.
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Partial writes and a buffer that may move between retries: the server's
  // output buffer grows (and is compacted) while a write waits. Buffers are
  // released while idle: thousands of held connections cost little.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
}

int no_password(char*, int, int, void*) { return -1; }

gw::Status load_certificate_and_key(SSL_CTX* ctx, const std::string& cert_file,
                                    const std::string& key_file) {
  GW_RETURN_IF_ERROR(check_readable(cert_file, "certificate"));
  GW_RETURN_IF_ERROR(check_readable(key_file, "key"));
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return invalid_argument_error("TLS certificate file " + cert_file +
                                  ": not a usable PEM certificate (" +
                                  tls_error_text("unknown error") + ")");
  }
  // Read here rather than by SSL_CTX_use_PrivateKey_file, whose default
  // password callback would prompt on the terminal for an encrypted key.
  EVP_PKEY* key = nullptr;
  if (std::FILE* f = std::fopen(key_file.c_str(), "rb")) {
    key = PEM_read_PrivateKey(f, nullptr, no_password, nullptr);
    std::fclose(f);
  }
  if (key == nullptr) {
    return invalid_argument_error("TLS key file " + key_file +
                                  ": not a usable PEM private key, unencrypted (" +
                                  tls_error_text("unknown error") + ")");
  }
  const int used = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (used != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return invalid_argument_error("TLS key file " + key_file +
                                  " does not match the certificate in " + cert_file);
  }
  return ok_status();
}

gw::Status load_ca(SSL_CTX* ctx, const std::string& ca_file) {
  GW_RETURN_IF_ERROR(check_readable(ca_file, "CA"));
  ERR_clear_error();
  if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    return invalid_argument_error("TLS CA file " + ca_file + ": no usable PEM certificate (" +
                                  tls_error_text("unknown error") + ")");
  }
  return ok_status();
}

}  // namespace

void peer_certificate_identity(const SSL* ssl, std::string* subject, std::string* sha256) {
  subject->clear();
  sha256->clear();
  X509* cert = SSL_get_peer_certificate(ssl);  // a reference we must free
  if (cert == nullptr) return;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) {
      static const char kHex[] = "0123456789abcdef";
      for (unsigned int i = 0; i < md_len; ++i) {
        *sha256 += kHex[md[i] >> 4];
        *sha256 += kHex[md[i] & 15];
      }
    }
    if (BIO* bio = BIO_new(BIO_s_mem())) {
      if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
        char* data = nullptr;
        const long n = BIO_get_mem_data(bio, &data);
        if (n > 0 && n <= 4096) subject->assign(data, static_cast<size_t>(n));
      }
      BIO_free(bio);
    }
  }
  X509_free(cert);
}

bool parse_sha256_fingerprint(std::string_view text, Sha256* out) {
  Sha256 bytes{};
  size_t n = 0;
  for (size_t i = 0; i < text.size();) {
    if (n == bytes.size() || i + 1 >= text.size()) return false;
    const int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes[n++] = static_cast<unsigned char>(hi * 16 + lo);
    i += 2;
    if (i < text.size() && text[i] == ':') {
      ++i;
      if (i == text.size()) return false;  // no trailing colon
    }
  }
  if (n != bytes.size()) return false;
  *out = bytes;
  return true;
}

std::string tls_error_text(const char* fallback) {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    std::string r = reason != nullptr ? reason : "error " + std::to_string(ERR_GET_REASON(e));
    if (out.find(r) != std::string::npos) continue;
    out += (out.empty() ? "" : "; ") + r;
  }
  return out.empty() ? fallback : out;
}

std::string ssl_failure_text(const SSL* ssl, int ssl_error) {
  const int saved_errno = errno;
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return "connection closed by peer";
  std::string text = tls_error_text("");
  if (text.empty()) {
    if (ssl_error == SSL_ERROR_SYSCALL) {
      text = saved_errno != 0 ? std::strerror(saved_errno) : "connection closed by peer";
    } else {
      text = "protocol error";
    }
  }
  const long verify = SSL_get_verify_result(ssl);
  if (verify == X509_V_ERR_APPLICATION_VERIFICATION) {
    text += ": certificate not among the pinned fingerprints";
  } else if (verify != X509_V_OK && text.find("certificate verify failed") != std::string::npos) {
    text += std::string(": ") + X509_verify_cert_error_string(verify);
  }
  return text;
}

SSL* new_ssl_on_fd(SSL_CTX* ctx, int fd) {
  BIO_METHOD* method = nosignal_socket_method();
  if (method == nullptr) return nullptr;
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio == nullptr) {
    SSL_free(ssl);
    return nullptr;
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  SSL_set_bio(ssl, bio, bio);  // one BIO both ways; the SSL owns it
  return ssl;
}

// ---------------------------------------------------------------- ServerTls

gw::Result<std::unique_ptr<ServerTls>> ServerTls::create(const TlsServerOptions& o) {
  if (o.cert_file.empty() || o.key_file.empty()) {
    return invalid_argument_error("TLS needs a certificate file and a key file");
  }
  std::unique_ptr<ServerTls> tls(new ServerTls);
  for (size_t i = 0; i < o.client_cert_sha256.size(); ++i) {
    Sha256 pin;
    if (!parse_sha256_fingerprint(o.client_cert_sha256[i], &pin)) {
      return invalid_argument_error("TLS client certificate pin #" + std::to_string(i + 1) +
                                    " is not a SHA-256 fingerprint (64 hex digits)");
    }
    tls->pins_.push_back(pin);
  }
  ERR_clear_error();
  tls->ctx_ = SSL_CTX_new(TLS_server_method());
  if (tls->ctx_ == nullptr) {
    return resource_exhausted_error("TLS: " + tls_error_text("cannot create a context"));
  }
  SSL_CTX* ctx = tls->ctx_;
  harden(ctx);
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  GW_RETURN_IF_ERROR(load_certificate_and_key(ctx, o.cert_file, o.key_file));
  if (!o.client_ca_file.empty()) {
    GW_RETURN_IF_ERROR(load_ca(ctx, o.client_ca_file));
    // The CertificateRequest names the acceptable issuers.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx, names);
    }
    ERR_clear_error();
    tls->have_ca_ = true;
  }
  if (tls->have_ca_ || !tls->pins_.empty()) {
    const int fail_without = o.client_cert_optional ? 0 : SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | fail_without, verify_client);
  }
  if (!o.cipher_list.empty() && SSL_CTX_set_cipher_list(ctx, o.cipher_list.c_str()) != 1) {
    return invalid_argument_error("TLS cipher list '" + o.cipher_list + "' selects no cipher (" +
                                  tls_error_text("unknown error") + ")");
  }
  // Needed for session resumption when client certificates are verified.
  static const unsigned char kSessionContext[] = "gw-mllp";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_app_data(ctx, tls.get());
  return tls;
}

ServerTls::~ServerTls() { SSL_CTX_free(ctx_); }

int ServerTls::verify_client(int preverify_ok, X509_STORE_CTX* store) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const auto* self = ssl != nullptr
                         ? static_cast<const ServerTls*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)))
                         : nullptr;
  if (self == nullptr) return 0;
  const int depth = X509_STORE_CTX_get_error_depth(store);
  if (self->have_ca_) {
    if (preverify_ok == 0) return 0;
  } else if (depth > 0) {
    return 1;  // no CA: the chain above the pinned leaf does not matter
  } else if (preverify_ok == 0) {
    // No CA: the pin says who the peer is, so an unknown or untrusted issuer
    // is expected; anything else (expired, not yet valid...) still refuses.
    switch (X509_STORE_CTX_get_error(store)) {
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      case X509_V_ERR_CERT_UNTRUSTED:
        break;
      default:
        return 0;
    }
  }
  if (depth > 0 || self->pins_.empty()) return 1;
  X509* cert = X509_STORE_CTX_get_current_cert(store);
  Sha256 digest{};
  unsigned int len = 0;
  if (cert == nullptr || X509_digest(cert, EVP_sha256(), digest.data(), &len) != 1 ||
      len != digest.size()) {
    return 0;
  }
  for (const Sha256& pin : self->pins_)
    if (pin == digest) return 1;
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

// ---------------------------------------------------------------- client

gw::Result<SslCtxPtr> make_client_context(const ClientTlsOptions& o) {
  if (o.cert_file.empty() != o.key_file.empty()) {
    return invalid_argument_error("TLS client certificate and key go together: give both or none");
  }
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return resource_exhausted_error("TLS: " + tls_error_text("cannot create a context"));
  harden(ctx.get());
  if (!o.ca_file.empty()) {
    GW_RETURN_IF_ERROR(load_ca(ctx.get(), o.ca_file));
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    return unavailable_error("TLS: cannot load the system's trust store (" +
                             tls_error_text("unknown error") + ")");
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!o.cert_file.empty()) {
    GW_RETURN_IF_ERROR(load_certificate_and_key(ctx.get(), o.cert_file, o.key_file));
  }
  return ctx;
}

}  // namespace gw::mllp::internal
