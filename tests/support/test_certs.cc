#include "tests/support/test_certs.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <utility>

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
// Valid from `not_before_s` to `not_after_s` seconds from now (an hour ago for a day unless
// asked otherwise).
gw::Result<Cert> make_cert(EVP_PKEY* key, const std::string& cn, Role role, X509* issuer,
                           EVP_PKEY* issuer_key, long serial, long not_before_s = -3600,
                           long not_after_s = 24 * 3600) {
  Cert cert(X509_new());
  if (!cert) return internal_error(ssl_error("X509_new"));
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_s);
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
  if (!ok) return internal_error(ssl_error("X509 extension"));
  if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    return internal_error(ssl_error("X509_sign"));
  }
  return cert;
}

gw::Status write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return internal_error("cannot write " + path);
  const bool ok = cert != nullptr
                      ? PEM_write_X509(f, cert) == 1
                      : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  if (!ok) return internal_error(ssl_error("PEM write"));
  return ok_status();
}

gw::Result<Key> new_key() {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return internal_error(ssl_error("EVP_PKEY_Q_keygen"));
  return key;
}

// A client certificate for `cn` from (ca, ca_key), written to <dir>/<stem>.pem and .key.
gw::Result<TestClientCert> issue_client(const std::string& dir, const std::string& stem,
                                        const std::string& cn, X509* ca, EVP_PKEY* ca_key,
                                        long serial, long not_before_s, long not_after_s) {
  GW_ASSIGN_OR_RETURN(Key key, new_key());
  GW_ASSIGN_OR_RETURN(Cert cert, make_cert(key.get(), cn, Role::kClient, ca, ca_key, serial,
                                           not_before_s, not_after_s));
  TestClientCert out{dir + "/" + stem + ".pem", dir + "/" + stem + ".key"};
  GW_RETURN_IF_ERROR(write_pem(out.cert, cert.get(), nullptr));
  GW_RETURN_IF_ERROR(write_pem(out.key, nullptr, key.get()));
  return out;
}

// make_test_pki's files, keeping the CA's key for more certificates.
gw::Result<TestPki> make_pki(const std::string& dir, const std::string& client_cn, Key* ca_key_out,
                             Cert* ca_out) {
  GW_ASSIGN_OR_RETURN(Key ca_key, new_key());
  GW_ASSIGN_OR_RETURN(Key server_key, new_key());
  GW_ASSIGN_OR_RETURN(Key client_key, new_key());
  GW_ASSIGN_OR_RETURN(Key other_key, new_key());
  GW_ASSIGN_OR_RETURN(Key other_client_key, new_key());
  GW_ASSIGN_OR_RETURN(Cert ca,
                      make_cert(ca_key.get(), "gateway test CA", Role::kCa, nullptr, nullptr, 1));
  GW_ASSIGN_OR_RETURN(Cert server, make_cert(server_key.get(), "localhost", Role::kServer, ca.get(),
                                             ca_key.get(), 2));
  GW_ASSIGN_OR_RETURN(Cert client, make_cert(client_key.get(), client_cn, Role::kClient, ca.get(),
                                             ca_key.get(), 3));
  GW_ASSIGN_OR_RETURN(Cert other,
                      make_cert(other_key.get(), "unrelated CA", Role::kCa, nullptr, nullptr, 4));
  GW_ASSIGN_OR_RETURN(Cert other_client, make_cert(other_client_key.get(), client_cn, Role::kClient,
                                                   other.get(), other_key.get(), 5));

  TestPki out;
  out.ca_cert = dir + "/ca.pem";
  out.server_cert = dir + "/server.pem";
  out.server_key = dir + "/server.key";
  out.client_cert = dir + "/client.pem";
  out.client_key = dir + "/client.key";
  out.other_ca_cert = dir + "/other-ca.pem";
  out.other_client_cert = dir + "/other-client.pem";
  out.other_client_key = dir + "/other-client.key";
  GW_RETURN_IF_ERROR(write_pem(out.ca_cert, ca.get(), nullptr));
  GW_RETURN_IF_ERROR(write_pem(out.server_cert, server.get(), nullptr));
  GW_RETURN_IF_ERROR(write_pem(out.server_key, nullptr, server_key.get()));
  GW_RETURN_IF_ERROR(write_pem(out.client_cert, client.get(), nullptr));
  GW_RETURN_IF_ERROR(write_pem(out.client_key, nullptr, client_key.get()));
  GW_RETURN_IF_ERROR(write_pem(out.other_ca_cert, other.get(), nullptr));
  GW_RETURN_IF_ERROR(write_pem(out.other_client_cert, other_client.get(), nullptr));
  GW_RETURN_IF_ERROR(write_pem(out.other_client_key, nullptr, other_client_key.get()));
  *ca_key_out = std::move(ca_key);
  *ca_out = std::move(ca);
  return out;
}

}  // namespace

gw::Result<TestPki> make_test_pki(const std::string& dir, const std::string& client_cn) {
  Key ca_key;
  Cert ca;
  return make_pki(dir, client_cn, &ca_key, &ca);
}

gw::Result<MultiClientPki> make_test_pki_for_clients(const std::string& dir,
                                                     const std::vector<std::string>& client_cns,
                                                     const std::string& expired_cn) {
  if (client_cns.empty()) return invalid_argument_error("at least one client CN is needed");
  Key ca_key;
  Cert ca;
  MultiClientPki out;
  GW_ASSIGN_OR_RETURN(out.pki, make_pki(dir, client_cns.front(), &ca_key, &ca));
  long serial = 100;
  for (const std::string& cn : client_cns) {
    GW_ASSIGN_OR_RETURN(TestClientCert c,
                        issue_client(dir, "client-" + std::to_string(serial), cn, ca.get(),
                                     ca_key.get(), serial, -3600, 24 * 3600));
    out.clients.emplace(cn, std::move(c));
    ++serial;
  }
  // Valid for a day that ended an hour ago.
  GW_ASSIGN_OR_RETURN(out.expired, issue_client(dir, "client-expired", expired_cn, ca.get(),
                                                ca_key.get(), serial, -25 * 3600, -3600));
  return out;
}

}  // namespace gw::testing
