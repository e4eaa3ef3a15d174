#include "gateway/admin/attestation.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <cstdio>
#include <memory>

#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "gateway/keys/key_options.h"
#include "ledger-client/keccak/keccak.h"
#include "tpm/attest/quote.h"

namespace gw::admin {

namespace {

std::string base64(const std::vector<uint8_t>& b) {
  std::string out(sodium_base64_ENCODED_LEN(b.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), b.data(), b.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::string hex(const uint8_t* p, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.resize(n * 2);
  return out;
}

}  // namespace

Result<std::vector<uint8_t>> tls_public_key_der(const std::string& cert_file) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(cert_file.c_str(), "r"), std::fclose);
  if (!f) return not_found_error(cert_file + ": cannot open the TLS certificate");
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr),
                                              X509_free);
  if (!cert) return invalid_argument_error(cert_file + ": not a PEM certificate");
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(X509_get0_pubkey(cert.get()), &der);
  if (len <= 0) return invalid_argument_error(cert_file + ": cannot encode the public key");
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<ApplianceBinding> appliance_binding(keys::KeyStore& keys, const config::GatewayConfig& cfg,
                                           const std::vector<uint8_t>& nonce) {
  ApplianceBinding b;
  GW_ASSIGN_OR_RETURN(b.ledger_address, keys.ledger_address());
  if (cfg.https.enabled && !cfg.https.cert_file.empty()) {
    GW_ASSIGN_OR_RETURN(b.tls_public_key, tls_public_key_der(cfg.https.cert_file));
  }
  b.qualifying_data = tpm::appliance_qualifying_data(nonce, b.ledger_address, b.tls_public_key);
  return b;
}

std::string attestation_json(const keys::Attestation& a, const ApplianceBinding& b,
                             const std::vector<uint8_t>& nonce) {
  using fhir::JsonValue;
  JsonValue o = JsonValue::make_object();
  auto str = [&](const char* k, std::string v) { o.add(k, JsonValue::make_string(std::move(v))); };
  str("nonce", hex(nonce.data(), nonce.size()));
  str("ledger_address", "0x" + hex(b.ledger_address.data(), b.ledger_address.size()));
  str("tls_public_key", base64(b.tls_public_key));
  str("qualifying_data", hex(b.qualifying_data.data(), b.qualifying_data.size()));
  str("quote_message", base64(a.quote.message));
  str("quote_signature", base64(a.quote.signature));
  str("quote_pcrs", base64(a.quote.pcrs_file));
  std::string selection = a.quote.selection.bank + ":";
  for (size_t i = 0; i < a.quote.selection.pcrs.size(); ++i)
    selection += (i ? "," : "") + std::to_string(a.quote.selection.pcrs[i]);
  str("pcr_selection", selection);
  JsonValue values = JsonValue::make_object();
  for (size_t i = 0; i < a.quote.pcr_values.size() && i < a.quote.selection.pcrs.size(); ++i)
    values.add(
        std::to_string(a.quote.selection.pcrs[i]),
        JsonValue::make_string(hex(a.quote.pcr_values[i].data(), a.quote.pcr_values[i].size())));
  o.add("pcr_values", std::move(values));
  str("ak_public_pem", a.ak_public_pem);
  str("ak_public", base64(a.ak_public_area));
  str("ak_name", hex(a.ak_name.data(), a.ak_name.size()));
  if (!a.ek_certificate.empty()) str("ek_certificate", base64(a.ek_certificate));
  return fhir::write_json(o, true);
}

AdminAnswer admin_attestation(const config::GatewayConfig& cfg, const std::string& target) {
  auto fail = [](int status, const std::string& why) {
    using fhir::JsonValue;
    JsonValue o = JsonValue::make_object();
    o.add("error", JsonValue::make_string(why));
    return AdminAnswer{status, fhir::write_json(o, false)};
  };
  const std::string path = target.substr(0, target.find('?'));
  if (path != "/admin/attestation") return fail(404, "unknown admin resource");
  std::string nonce_hex;
  const size_t q = target.find('?');
  if (q != std::string::npos) {
    const std::string query = target.substr(q + 1);
    size_t pos = 0;
    while (pos <= query.size()) {
      size_t amp = query.find('&', pos);
      std::string item =
          query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      if (item.rfind("nonce=", 0) == 0) nonce_hex = item.substr(6);
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
  }
  const std::optional<std::vector<uint8_t>> parsed = ledger::from_hex(nonce_hex);
  if (!parsed || parsed->size() < 8 || parsed->size() > 64) {
    return fail(400, "nonce must be 8 to 64 bytes in hex: /admin/attestation?nonce=HEX");
  }
  const std::vector<uint8_t>& nonce = *parsed;
  auto opened = keys::open_key_store(keys::key_store_options(cfg));
  if (!opened.ok()) return fail(503, opened.error().message());
  std::unique_ptr<keys::KeyStore> keys = std::move(opened).value();
  if (keys->is_development_only())
    return fail(409, "the software key store (development only) cannot attest");
  auto binding = appliance_binding(*keys, cfg, nonce);
  if (!binding.ok()) return fail(503, binding.error().message());
  auto a = keys->attest(binding->qualifying_data, cfg.tpm.quote_pcrs);
  if (!a.ok()) return fail(503, a.error().message());
  return AdminAnswer{200, attestation_json(*a, *binding, nonce)};
}

}  // namespace gw::admin
