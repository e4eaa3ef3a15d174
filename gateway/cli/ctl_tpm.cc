// gatewayctl tpm: provisioning the appliance's keys.
//
//   tpm provision --config FILE
//       Creates what is missing (storage primary, sealed record, ledger and
//       X25519 payload keys, attestation and batch-signing keys) and says what
//       already existed. Safe to re-run; never replaces a secret.
//   tpm rotate-payload-key --config FILE
//       Creates the next payload key generation and prints its public key and
//       the steps that publish it; older generations stay usable.
//   tpm import-consortium-key --config FILE [--replace] KEYFILE
//       Imports the consortium tokenization key (32 bytes, or 64 hex digits)
//       under this TPM's primary. Afterwards KEYFILE is not needed on this
//       machine: delete it (the TPM blob is useless elsewhere).
//   tpm ek --config FILE --out DIR
//       The endorsement key (public key, name, certificate where the TPM has one)
//       and the attestation key's public key and name, for the security team.
//   tpm certify-ak --config FILE --credential FILE --out FILE
//       ActivateCredential of a tpm2_makecredential file made for the EK and the
//       AK name; writes the recovered secret.
//   tpm quote --config FILE --nonce HEX --out DIR
//       A quote over [tpm] quote_pcrs with qualifying data SHA-256(nonce ||
//       ledger address || TLS public key), in the files tpm2_checkquote reads.
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/admin/attestation.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/keys/key_files.h"
#include "gateway/keys/key_options.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::cli {

using admin::appliance_binding;
namespace {

// Files gatewayctl hands out (0600, written atomically, like key files).
bool write_bytes(const std::string& path, std::span<const uint8_t> bytes) {
  return keys::write_file_atomically(path, bytes).ok();
}

int usage() {
  std::fputs(ctl_usage("tpm").c_str(), stderr);
  return 2;
}

std::unique_ptr<keys::KeyStore> open_store(const std::string& config_path,
                                           std::optional<config::GatewayConfig>* loaded = nullptr) {
  std::string error;
  auto cfg = config::load_config(config_path);
  if (!cfg) {
    std::fprintf(stderr, "gatewayctl: configuration error: %s\n", cfg.error().message().c_str());
    return nullptr;
  }
  if (loaded != nullptr) *loaded = *cfg;
  if (cfg->keys.store == "software")
    std::fprintf(stderr, "WARNING: %s\n", keys::kSoftwareKeyStoreWarning);
  auto store = keys::open_key_store(keys::key_store_options(*cfg));
  if (!store.ok()) {
    std::fprintf(stderr, "gatewayctl: %s\n", store.error().message().c_str());
    return nullptr;
  }
  return std::move(store).value();
}

}  // namespace

int ctl_tpm(const std::vector<std::string>& args) {
  if (args.empty()) return usage();
  const std::string sub = args[0];
  std::string config_path, key_file, out_path, nonce_hex, credential_path;
  bool replace = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i] == "--out" && i + 1 < args.size()) {
      out_path = args[++i];
    } else if (args[i] == "--nonce" && i + 1 < args.size() && sub == "quote") {
      nonce_hex = args[++i];
    } else if (args[i] == "--credential" && i + 1 < args.size() && sub == "certify-ak") {
      credential_path = args[++i];
    } else if (args[i] == "--replace" && sub == "import-consortium-key") {
      replace = true;
    } else if (!args[i].starts_with("--") && sub == "import-consortium-key" && key_file.empty()) {
      key_file = args[i];
    } else {
      return usage();
    }
  }
  if (config_path.empty()) return usage();

  if (sub == "provision") {
    auto store = open_store(config_path);
    if (!store) return 1;
    auto report = store->provision();
    if (!report.ok()) {
      std::fprintf(stderr, "gatewayctl: provisioning failed: %s\n",
                   report.error().message().c_str());
      return 1;
    }
    for (const auto& line : report->lines) std::printf("%s\n", line.c_str());
    if (!report->ledger_address.empty())
      std::printf("ledger account: %s\n", report->ledger_address.c_str());
    std::printf("payload public key (X25519, generation %u): %s\n", report->payload_key.generation,
                keys::payload_public_key_hex(report->payload_key.public_key).c_str());
    return 0;
  }
  if (sub == "rotate-payload-key") {
    auto store = open_store(config_path);
    if (!store) return 1;
    auto rotated = store->rotate_payload_key();
    if (!rotated.ok()) {
      std::fprintf(stderr, "gatewayctl: rotation failed: %s\n", rotated.error().message().c_str());
      return 1;
    }
    const uint32_t g = rotated->generation;
    std::printf(
        "payload key %u (X25519) created; generations 1 to %u are kept\n"
        "payload public key (X25519, generation %u): %s\n"
        "next:\n"
        "  1. restart gatewayd: it loads every generation at start\n"
        "  2. gatewayctl ledger member-entry --config %s --org-id ID --name NAME > rekey.json\n"
        "  3. gatewayctl ledger propose-rekey --config %s --member rekey.json, and the other\n"
        "     members approve it\n"
        "Until the rekey executes, peers keep sealing transfers to the older key the registry\n"
        "lists, which keeps working; transfers recorded to any generation still open.\n",
        g, g, g, keys::payload_public_key_hex(rotated->public_key).c_str(), config_path.c_str(),
        config_path.c_str());
    return 0;
  }
  if (sub == "import-consortium-key") {
    if (key_file.empty()) return usage();
    auto store = open_store(config_path);
    if (!store) return 1;
    auto key = keys::read_consortium_key_file(key_file);
    if (!key.ok()) {
      std::fprintf(stderr, "gatewayctl: %s\n", key.error().message().c_str());
      return 1;
    }
    if (gw::Status s = store->import_consortium_key(key->view(), replace); !s.ok()) {
      std::fprintf(stderr, "gatewayctl: import failed: %s\n", s.message().c_str());
      return 1;
    }
    std::printf(
        "consortium key imported into the %s key store; %s is no longer needed on this "
        "machine: delete it\n",
        store->kind(), key_file.c_str());
    return 0;
  }
  if (sub == "ek") {
    if (out_path.empty()) return usage();
    auto store = open_store(config_path);
    if (!store) return 1;
    auto ek = store->endorsement();
    if (!ek.ok()) {
      std::fprintf(stderr, "gatewayctl: %s\n", ek.error().message().c_str());
      return 1;
    }
    auto ak = store->attestation_key();
    if (!ak.ok()) {
      std::fprintf(stderr, "gatewayctl: %s\n", ak.error().message().c_str());
      return 1;
    }
    if (Status s = tpm::write_endorsement_files(*ek, out_path); !s.ok()) {
      std::fprintf(stderr, "gatewayctl: %s\n", s.message().c_str());
      return 1;
    }
    const std::string ak_hex = ledger::to_hex(ak->name);
    const std::vector<uint8_t> pem(ak->public_pem.begin(), ak->public_pem.end());
    const std::vector<uint8_t> hex_bytes(ak_hex.begin(), ak_hex.end());
    if (!write_bytes(out_path + "/ak.pub.pem", pem) ||
        !write_bytes(out_path + "/ak.pub", ak->public_area) ||
        !write_bytes(out_path + "/ak.name", ak->name) ||
        !write_bytes(out_path + "/ak.name.hex", hex_bytes)) {
      std::fprintf(stderr, "gatewayctl: cannot write into %s\n", out_path.c_str());
      return 1;
    }
    std::printf("EK (%s) and AK written to %s%s\nAK name: %s\n", ek->algorithm.c_str(),
                out_path.c_str(),
                ek->certificate.empty() ? " (this TPM has no EK certificate)" : "", ak_hex.c_str());
    return 0;
  }
  if (sub == "certify-ak") {
    if (out_path.empty() || credential_path.empty()) return usage();
    auto credential = keys::read_small_file(credential_path, 64 * 1024);
    if (!credential.ok()) {
      std::fprintf(stderr, "gatewayctl: credential file: %s\n",
                   credential.error().message().c_str());
      return 1;
    }
    auto store = open_store(config_path);
    if (!store) return 1;
    auto secret = store->activate_credential(*credential);
    if (!secret.ok() || !write_bytes(out_path, *secret)) {
      std::fprintf(
          stderr, "gatewayctl: certify-ak failed: %s\n",
          secret.ok() ? ("cannot write " + out_path).c_str() : secret.error().message().c_str());
      return 1;
    }
    std::printf("credential activated: the secret is in %s; give it back to the verifier\n",
                out_path.c_str());
    return 0;
  }
  if (sub == "quote") {
    if (out_path.empty() || nonce_hex.empty()) return usage();
    auto nonce = ledger::from_hex(nonce_hex);
    if (!nonce || nonce->size() < 8 || nonce->size() > 64) {
      std::fprintf(stderr, "gatewayctl: --nonce must be 8 to 64 bytes in hex\n");
      return 2;
    }
    std::optional<config::GatewayConfig> cfg;
    auto store = open_store(config_path, &cfg);
    if (!store) return 1;
    std::string error;
    auto binding = appliance_binding(*store, *cfg, *nonce);
    if (!binding.ok()) error = binding.error().message();
    std::optional<keys::Attestation> attestation;
    if (binding.ok()) {
      auto attested = store->attest(binding->qualifying_data, cfg->tpm.quote_pcrs);
      if (attested.ok()) {
        attestation = std::move(attested).value();
      } else {
        error = attested.error().message();
      }
    }
    if (!attestation) {
      std::fprintf(stderr, "gatewayctl: quote failed: %s\n", error.c_str());
      return 1;
    }
    if (Status s = tpm::write_quote_files(
            attestation->quote, tpm::KeyBlob{attestation->ak_public_area, {}},
            binding->qualifying_data, attestation->ek_certificate, out_path);
        !s.ok()) {
      std::fprintf(stderr, "gatewayctl: quote failed: %s\n", s.message().c_str());
      return 1;
    }
    const std::vector<uint8_t> address(binding->ledger_address.begin(),
                                       binding->ledger_address.end());
    write_bytes(out_path + "/ledger-address.bin", address);
    write_bytes(out_path + "/tls-public-key.der", binding->tls_public_key);
    std::printf(
        "quote written to %s; check it with:\n  tpm2_checkquote -u %s/ak.pub -m "
        "%s/quote.msg -s %s/quote.sig -f %s/quote.pcrs -g sha256 -q $(cat "
        "%s/qualifying-data.hex)\n",
        out_path.c_str(), out_path.c_str(), out_path.c_str(), out_path.c_str(), out_path.c_str(),
        out_path.c_str());
    return 0;
  }
  return usage();
}

}  // namespace gw::cli
