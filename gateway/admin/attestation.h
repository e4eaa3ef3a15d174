// What binds an attestation quote to this appliance: the qualifying data
// SHA-256(nonce || ledger account address (20 bytes) || TLS public key
// (SubjectPublicKeyInfo DER of [https] cert_file; empty if HTTPS is off)).
// A verifier recomputes it from the nonce it chose, the address `gatewayctl
// tpm provision` printed, and the server certificate it sees in the TLS
// handshake (tpm/README.md, "Attestation, for the security team").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/config/config.h"
#include "gateway/keys/key_store.h"

namespace gw::admin {

// SubjectPublicKeyInfo DER of the first certificate in a PEM file.
Result<std::vector<uint8_t>> tls_public_key_der(const std::string& cert_file);

struct ApplianceBinding {
  std::array<uint8_t, 20> ledger_address{};
  std::vector<uint8_t> tls_public_key;  // DER; empty when HTTPS is off
  std::array<uint8_t, 32> qualifying_data{};
};

Result<ApplianceBinding> appliance_binding(keys::KeyStore& keys, const config::GatewayConfig& cfg,
                                           const std::vector<uint8_t>& nonce);

// The attestation as one JSON document (the admin endpoint's answer): every
// binary field base64, plus the PCR selection and values in hex.
std::string attestation_json(const keys::Attestation& a, const ApplianceBinding& b,
                             const std::vector<uint8_t>& nonce);

// GET /admin/attestation?nonce=HEX (the admin API; mutual TLS is checked by
// the HTTPS server): opens the key store, quotes, and answers the JSON above.
// Status 400 for a bad nonce, 409 when the key store cannot attest (software
// store), 503 when the TPM fails; the body is then {"error": "..."}.
struct AdminAnswer {
  int status = 200;
  std::string json;
};
AdminAnswer admin_attestation(const config::GatewayConfig& cfg, const std::string& target);

}  // namespace gw::admin
