#include "gateway/peering/peer_tls.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetSSL.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <filesystem>
#include <mutex>

namespace gw::peering::internal {

namespace {

// Chains are not verified: the certificate is pinned after the handshake
// (see the header). Without this callback OpenSSL would refuse a
// self-signed client certificate before we could look at it.
int accept_any_chain(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

Result<Poco::Net::Context::Ptr> make_context(Poco::Net::Context::Usage usage,
                                             const std::string& cert_file,
                                             const std::string& key_file) {
  for (const std::string* f : {&cert_file, &key_file}) {
    if (f->empty()) return invalid_argument_error("peering: cert_file and key_file are required");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*f, ec))
      return not_found_error("peering: cannot read " + *f);
  }
  static std::once_flag ssl_once;
  std::call_once(ssl_once, [] { Poco::Net::initializeSSL(); });
  Poco::Net::Context::Params p;
  p.certificateFile = cert_file;
  p.privateKeyFile = key_file;
  p.loadDefaultCAs = false;
  // Poco's own verification stays off (it would check chains and, for
  // servers, host names); OpenSSL is told below what we need.
  p.verificationMode = Poco::Net::Context::VERIFY_NONE;
  p.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:!SHA1";
  try {
    Poco::Net::Context::Ptr context = new Poco::Net::Context(usage, p);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    context->enableExtendedCertificateVerification(false);
    SSL_CTX* ctx = context->sslContext();
    // Renegotiation would let a connection change certificates after it was
    // identified, and costs the server a handshake at the client's whim.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    if (usage == Poco::Net::Context::TLS_SERVER_USE) {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_chain);
      static const unsigned char kSessionContext[] = "gw-peering";
      SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    }
    return context;
  } catch (const Poco::Exception& e) {
    // Poco's message names the file and OpenSSL's reason; no key material.
    return invalid_argument_error("peering: TLS setup failed: " + e.displayText());
  }
}

}  // namespace

Fingerprint certificate_fingerprint(const X509* cert) {
  Fingerprint out{};
  unsigned int len = 0;
  if (cert == nullptr || X509_digest(cert, EVP_sha256(), out.data(), &len) != 1 ||
      len != out.size()) {
    return Fingerprint{};  // all zero: no member has it (validate_member refuses zero keys)
  }
  return out;
}

Result<Poco::Net::Context::Ptr> make_server_context(const std::string& cert_file,
                                                    const std::string& key_file) {
  return make_context(Poco::Net::Context::TLS_SERVER_USE, cert_file, key_file);
}

Result<Poco::Net::Context::Ptr> make_client_context(const std::string& cert_file,
                                                    const std::string& key_file) {
  return make_context(Poco::Net::Context::TLS_CLIENT_USE, cert_file, key_file);
}

}  // namespace gw::peering::internal
