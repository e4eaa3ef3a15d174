// The production key store: every secret is a TPM object under the storage
// primary. <state_dir>/keys holds only blobs that this TPM wrapped (useless on
// any other machine) — never a plaintext key.
//
//   consortium.blob          keyed-hash (HMAC-SHA-256) object: the imported consortium key
//   record-key-<id>.blob     sealed 32-byte XChaCha20-Poly1305 key for encryption at rest
//   ledger-key.blob          sealed secp256k1 private key of the ledger account
//   attestation-key.blob     restricted ECC P-256 signing key (AK) for quotes
//   batch-signing-key.blob   ECC P-256 signing key for batch Merkle roots
//   primary.name             the storage primary's TPM name, pinned at provisioning:
//                            sessions are salted only with that key, so a swapped
//                            TPM or a substituted key is refused rather than used
#include <sodium.h>

#include <cstdio>

#include "gateway/keys/key_files.h"
#include "gateway/keys/key_store_internal.h"
#include "ledger-client/account/account.h"
#include "tpm/core/tpm.h"

namespace gw::keys {
namespace {

// The KeyStore interface reports errors as a message in *error; tpm/ returns
// them as values. These carry one into the other.
template <typename T>
std::optional<T> value_or_error(Result<T> r, std::string* error) {
  if (r.ok()) return std::move(r).value();
  *error = r.error().message();
  return std::nullopt;
}
bool ok_or_error(const Status& s, std::string* error) {
  if (!s.ok()) *error = s.message();
  return s.ok();
}

std::string hex_handle(uint32_t h) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", h);
  return buf;
}

class TpmKeyStore final : public KeyStore {
 public:
  TpmKeyStore(KeyStoreOptions options, std::unique_ptr<tpm::Tpm> tpm)
      : options_(std::move(options)), tpm_(std::move(tpm)) {
    pcrs_.pcrs = options_.seal_pcrs;
  }
  const char* kind() const override { return "tpm"; }
  bool is_development_only() const override { return false; }

  std::optional<ProvisionReport> provision(std::string* error) override {
    std::string dir;
    if (!ensure_keys_dir(options_.state_dir, &dir, error)) return std::nullopt;
    ProvisionReport report;
    auto primary = value_or_error(tpm_->ensure_primary(), error);
    if (!primary) {
      if (file_exists(blob_path("primary.name")))
        *error += " (the pinned name is " + blob_path("primary.name") +
                  "; to provision this TPM afresh, move " + dir +
                  " aside: its blobs cannot be used with another primary)";
      return std::nullopt;
    }
    report.lines.push_back("storage primary key " + hex_handle(options_.primary_handle) + " (" +
                           primary->algorithm + "): " + (primary->created ? "created" : "exists"));
    if (!file_exists(blob_path("primary.name")) &&
        !write_file_atomically(blob_path("primary.name"), primary->name, error))
      return std::nullopt;

    // Sealed secrets: generated here, sealed, and the plaintext wiped.
    auto sealed = [&](const std::string& name, const char* what, bool ledger) -> bool {
      if (file_exists(blob_path(name))) {
        report.lines.push_back(std::string(what) + ": exists (" + name + ")");
        return true;
      }
      std::array<uint8_t, 32> secret{};
      bool made = ledger ? ledger::generate_private_key(secret)
                         : (randombytes_buf(secret.data(), secret.size()), true);
      std::optional<tpm::KeyBlob> blob;
      if (made) blob = value_or_error(tpm_->seal(secret, pcrs_), error);
      sodium_memzero(secret.data(), secret.size());
      if (!made) *error = std::string("cannot generate the ") + what;
      if (!blob || !save(name, *blob, error)) return false;
      report.lines.push_back(std::string(what) + ": created and sealed" +
                             (pcrs_.pcrs.empty() ? "" : " (bound to PCRs)") + " (" + name + ")");
      return true;
    };
    if (!sealed(record_blob_name(1), "record encryption key 1", false)) return std::nullopt;
    if (!sealed("ledger-key.blob", "ledger account key", true)) return std::nullopt;

    auto signing = [&](const std::string& name, const char* what, tpm::Tpm::SigningKind kind) {
      if (file_exists(blob_path(name))) {
        report.lines.push_back(std::string(what) + ": exists (" + name + ")");
        return true;
      }
      auto blob = value_or_error(tpm_->create_signing_key(kind), error);
      if (!blob || !save(name, *blob, error)) return false;
      report.lines.push_back(std::string(what) + ": created (" + name + ")");
      return true;
    };
    if (!signing("attestation-key.blob", "attestation key (AK)",
                 tpm::Tpm::SigningKind::kAttestation) ||
        !signing("batch-signing-key.blob", "batch-signing key", tpm::Tpm::SigningKind::kGeneral))
      return std::nullopt;
    report.lines.push_back(
        file_exists(blob_path("consortium.blob"))
            ? "consortium key: imported (consortium.blob)"
            : "consortium key: missing (run gatewayctl tpm import-consortium-key)");

    // The ledger address is public; showing it lets the operator fund and
    // register the account.
    if (auto ledger_key = unseal("ledger-key.blob", error)) {
      if (auto a = ledger::address_of(std::span<const uint8_t, 32>(ledger_key->data(), 32)))
        report.ledger_address = ledger::to_checksum_hex(*a);
    } else {
      return std::nullopt;
    }
    return report;
  }

  bool import_consortium_key(std::span<const uint8_t> key, bool replace,
                             std::string* error) override {
    if (key.size() != 32) {
      *error = "the consortium key must be 32 bytes";
      return false;
    }
    std::string dir;
    if (!ensure_keys_dir(options_.state_dir, &dir, error)) return false;
    if (!ok_or_error(tpm_->primary_present(), error)) {
      if (error->empty()) *error = missing_primary();
      return false;
    }
    if (file_exists(blob_path("consortium.blob")) && !replace) {
      *error =
          "a consortium key is already imported; replacing it changes every patient token "
          "(use --replace if that is intended)";
      return false;
    }
    auto blob = value_or_error(tpm_->create_hmac_key(key), error);
    return blob && save("consortium.blob", *blob, error);
  }

  std::optional<WorkingKeys> load_working_keys(std::string* error) override {
    if (options_.consortium_id.empty()) {
      *error =
          "[keys] consortium_id is not set: it is part of the tokenization key's derivation "
          "and must be the same at every member";
      return std::nullopt;
    }
    if (!ok_or_error(tpm_->primary_present(), error)) {
      if (error->empty()) *error = missing_primary();
      return std::nullopt;
    }
    auto consortium = load("consortium.blob",
                           "run gatewayctl tpm import-consortium-key --config "
                           "FILE KEYFILE",
                           error);
    if (!consortium) return std::nullopt;
    const std::string label = tokenization_label(options_.consortium_id);
    auto k_tok = value_or_error(
        tpm_->hmac(*consortium,
                   std::span(reinterpret_cast<const uint8_t*>(label.data()), label.size())),
        error);
    if (!k_tok) return std::nullopt;
    auto tok = crypto::SecretBytes::copy_of(*k_tok);
    sodium_memzero(k_tok->data(), k_tok->size());
    auto record = unseal(record_blob_name(1), error);
    if (!record) return std::nullopt;
    auto ledger = unseal("ledger-key.blob", error);
    if (!ledger) return std::nullopt;
    if (!tok) {
      *error = "cannot allocate locked memory for the working keys";
      return std::nullopt;
    }
    WorkingKeys keys;
    keys.tokenization = std::move(*tok);
    keys.record_key = std::move(*record);
    keys.record_key_id = 1;
    keys.ledger_key = std::move(*ledger);
    return keys;
  }

  std::optional<BatchSignature> sign_batch_root(std::span<const uint8_t, 32> root,
                                                std::string* error) override {
    auto blob = load("batch-signing-key.blob", "run gatewayctl tpm provision --config FILE", error);
    if (!blob) return std::nullopt;
    auto sig = value_or_error(tpm_->sign_digest(*blob, root), error);
    if (!sig) return std::nullopt;
    return BatchSignature{sig->r, sig->s, sig->der};
  }

  std::optional<std::string> batch_signing_public_key(std::string* error) override {
    auto blob = load("batch-signing-key.blob", "run gatewayctl tpm provision --config FILE", error);
    if (!blob) return std::nullopt;
    return value_or_error(tpm_->public_key_pem(*blob), error);
  }

  std::optional<std::array<uint8_t, 20>> ledger_address(std::string* error) override {
    auto key = unseal("ledger-key.blob", error);
    if (!key) return std::nullopt;
    auto a = ledger::address_of(std::span<const uint8_t, 32>(key->data(), 32));
    if (!a) *error = "the sealed ledger key is not a valid secp256k1 key";
    return a;
  }

  std::optional<Attestation> attest(std::span<const uint8_t> qualifying_data,
                                    const std::vector<int>& pcrs, std::string* error) override {
    auto ak = load("attestation-key.blob", "run gatewayctl tpm provision --config FILE", error);
    if (!ak) return std::nullopt;
    tpm::PcrSelection selection;
    selection.pcrs = pcrs;
    auto q = value_or_error(tpm::quote(*tpm_, *ak, selection, qualifying_data), error);
    if (!q) return std::nullopt;
    Attestation a;
    a.quote = std::move(*q);
    auto pem = value_or_error(tpm_->public_key_pem(*ak), error);
    auto name = value_or_error(tpm_->object_name(*ak), error);
    if (!pem || !name) return std::nullopt;
    a.ak_public_pem = std::move(*pem);
    a.ak_name = std::move(*name);
    a.ak_public_area = ak->public_area;
    // The EK certificate where the TPM has one (not swtpm without swtpm_setup).
    std::string ek_error;
    if (auto ek = value_or_error(tpm::endorsement_key(*tpm_), &ek_error))
      a.ek_certificate = ek->certificate;
    return a;
  }

  std::optional<tpm::EndorsementKey> endorsement(std::string* error) override {
    return value_or_error(tpm::endorsement_key(*tpm_), error);
  }

  std::optional<AttestationKeyInfo> attestation_key(std::string* error) override {
    auto ak = load("attestation-key.blob", "run gatewayctl tpm provision --config FILE", error);
    if (!ak) return std::nullopt;
    auto pem = value_or_error(tpm_->public_key_pem(*ak), error);
    auto name = value_or_error(tpm_->object_name(*ak), error);
    if (!pem || !name) return std::nullopt;
    return AttestationKeyInfo{std::move(*pem), std::move(*name), ak->public_area};
  }

  std::optional<std::vector<uint8_t>> activate_credential(std::span<const uint8_t> credential,
                                                          std::string* error) override {
    auto ak = load("attestation-key.blob", "run gatewayctl tpm provision --config FILE", error);
    if (!ak) return std::nullopt;
    return value_or_error(tpm::activate_credential(*tpm_, *ak, credential), error);
  }

 private:
  static std::string record_blob_name(uint32_t id) {
    return "record-key-" + std::to_string(id) + ".blob";
  }
  std::string blob_path(const std::string& name) const {
    return options_.state_dir + "/keys/" + name;
  }
  std::string missing_primary() const {
    return "no storage primary key at " + hex_handle(options_.primary_handle) + " on TPM '" +
           options_.tcti + "': run gatewayctl tpm provision --config FILE";
  }

  bool save(const std::string& name, const tpm::KeyBlob& blob, std::string* error) {
    return write_file_atomically(blob_path(name), tpm::serialize_blob(blob), error);
  }

  std::optional<tpm::KeyBlob> load(const std::string& name, const char* recovery,
                                   std::string* error) {
    std::string why;
    auto bytes = read_small_file(blob_path(name), 64 * 1024, &why);
    if (!bytes) {
      *error = "TPM object " + blob_path(name) + " is missing (" + why + "): " + recovery;
      return std::nullopt;
    }
    auto blob = tpm::parse_blob(*bytes);
    if (!blob.ok()) {
      *error = blob_path(name) + ": " + blob.error().message();
      return std::nullopt;
    }
    return *blob;
  }

  std::optional<crypto::SecretBytes> unseal(const std::string& name, std::string* error) {
    auto blob = load(name, "run gatewayctl tpm provision --config FILE", error);
    if (!blob) return std::nullopt;
    auto secret = value_or_error(tpm_->unseal(*blob, pcrs_), error);
    if (!secret) {
      *error = "cannot unseal " + name + ": " + *error;
      return std::nullopt;
    }
    std::optional<crypto::SecretBytes> out;
    if (secret->size() == 32) out = crypto::SecretBytes::copy_of(*secret);
    sodium_memzero(secret->data(), secret->size());
    if (!out) *error = name + ": unexpected sealed data size or no locked memory";
    return out;
  }

  KeyStoreOptions options_;
  std::unique_ptr<tpm::Tpm> tpm_;
  tpm::PcrSelection pcrs_;
};

}  // namespace

std::unique_ptr<KeyStore> make_tpm_key_store(const KeyStoreOptions& options, std::string* error) {
  tpm::TpmOptions to;
  to.tcti = options.tcti;
  to.primary_handle = options.primary_handle;
  to.injected_latency = options.injected_latency;
  const std::string pinned = options.state_dir + "/keys/primary.name";
  if (file_exists(pinned)) {
    auto name = read_small_file(pinned, 1024, error);
    if (!name) return nullptr;
    to.expected_primary_name = std::move(*name);
  }
  auto t = tpm::Tpm::open(to);
  if (!t.ok()) {
    *error = t.error().message();
    return nullptr;
  }
  return std::make_unique<TpmKeyStore>(options, std::move(*t));
}

}  // namespace gw::keys
