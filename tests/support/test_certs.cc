#include "tests/support/test_certs.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

namespace gw::testing {

namespace {

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter>;
using Cert = std::unique_ptr<X509, Deleter>;

std::string ssl_error(const char* what) {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return std::string(what) + ": " + buf;
}

bool add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1;
}

enum class Role { kCa, kServer, kClient };

// A certificate for `key` named `cn`, signed by (issuer, issuer_key); self-signed if issuer is
// null.
Cert make_cert(EVP_PKEY* key, const std::string& cn, Role role, X509* issuer, EVP_PKEY* issuer_key,
               long serial, std::string* error) {
  Cert cert(X509_new());
  if (!cert) {
    *error = ssl_error("X509_new");
    return nullptr;
  }
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("gateway tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  bool ok = add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr)
    ok = ok && add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid");
  switch (role) {
    case Role::kCa:
      ok = ok && add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE") &&
           add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case Role::kServer:
      ok = ok && add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE") &&
           add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature") &&
           add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth") &&
           add_ext(cert.get(), signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
      break;
    case Role::kClient:
      ok = ok && add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE") &&
           add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature") &&
           add_ext(cert.get(), signer, NID_ext_key_usage, "clientAuth");
      break;
  }
  if (!ok) {
    *error = ssl_error("X509 extension");
    return nullptr;
  }
  if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    *error = ssl_error("X509_sign");
    return nullptr;
  }
  return cert;
}

bool write_pem(const std::string& path, X509* cert, EVP_PKEY* key, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    *error = "cannot write " + path;
    return false;
  }
  const bool ok = cert != nullptr
                      ? PEM_write_X509(f, cert) == 1
                      : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  if (!ok) *error = ssl_error("PEM write");
  return ok;
}

Key new_key(std::string* error) {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) *error = ssl_error("EVP_PKEY_Q_keygen");
  return key;
}

bool write_test_pki(const std::string& dir, const std::string& client_cn, TestPki* out,
                    std::string* error) {
  Key ca_key = new_key(error), server_key = new_key(error), client_key = new_key(error),
      other_key = new_key(error), other_client_key = new_key(error);
  if (!ca_key || !server_key || !client_key || !other_key || !other_client_key) return false;
  Cert ca = make_cert(ca_key.get(), "gateway test CA", Role::kCa, nullptr, nullptr, 1, error);
  if (!ca) return false;
  Cert server =
      make_cert(server_key.get(), "localhost", Role::kServer, ca.get(), ca_key.get(), 2, error);
  Cert client =
      make_cert(client_key.get(), client_cn, Role::kClient, ca.get(), ca_key.get(), 3, error);
  Cert other = make_cert(other_key.get(), "unrelated CA", Role::kCa, nullptr, nullptr, 4, error);
  if (!server || !client || !other) return false;
  Cert other_client = make_cert(other_client_key.get(), client_cn, Role::kClient, other.get(),
                                other_key.get(), 5, error);
  if (!other_client) return false;

  out->ca_cert = dir + "/ca.pem";
  out->server_cert = dir + "/server.pem";
  out->server_key = dir + "/server.key";
  out->client_cert = dir + "/client.pem";
  out->client_key = dir + "/client.key";
  out->other_ca_cert = dir + "/other-ca.pem";
  out->other_client_cert = dir + "/other-client.pem";
  out->other_client_key = dir + "/other-client.key";
  return write_pem(out->ca_cert, ca.get(), nullptr, error) &&
         write_pem(out->server_cert, server.get(), nullptr, error) &&
         write_pem(out->server_key, nullptr, server_key.get(), error) &&
         write_pem(out->client_cert, client.get(), nullptr, error) &&
         write_pem(out->client_key, nullptr, client_key.get(), error) &&
         write_pem(out->other_ca_cert, other.get(), nullptr, error) &&
         write_pem(out->other_client_cert, other_client.get(), nullptr, error) &&
         write_pem(out->other_client_key, nullptr, other_client_key.get(), error);
}

}  // namespace

gw::Result<TestPki> make_test_pki(const std::string& dir, const std::string& client_cn) {
  TestPki pki;
  std::string error;
  if (!write_test_pki(dir, client_cn, &pki, &error)) return internal_error(error);
  return pki;
}

}  // namespace gw::testing
