// The production key store: every secret is a TPM object under the storage
// primary. <state_dir>/keys holds only blobs that this TPM wrapped (useless on
// any other machine) — never a plaintext key.
//
//   consortium.blob          keyed-hash (HMAC-SHA-256) object: the imported consortium key
//   record-key-<id>.blob     sealed 32-byte XChaCha20-Poly1305 key for encryption at rest
//   ledger-key.blob          sealed secp256k1 private key of the ledger account
//   payload-key-<gen>.blob   sealed X25519 private key of each payload key generation
//   payload-key.generation   the newest generation created (not secret; see
//                            payload_key_files.h: a deleted generation is noticed)
//   attestation-key.blob     restricted ECC P-256 signing key (AK) for quotes
//   batch-signing-key.blob   ECC P-256 signing key for batch Merkle roots
//   primary.name             the storage primary's TPM name, pinned at provisioning:
//                            sessions are salted only with that key, so a swapped
//                            TPM or a substituted key is refused rather than used
#include <sodium.h>

#include <cstdio>

#include "gateway/keys/key_files.h"
#include "gateway/keys/key_store_internal.h"
#include "gateway/keys/payload_key_files.h"
#include "ledger-client/account/account.h"
#include "tpm/core/tpm.h"

namespace gw::keys {
namespace {

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

  Result<ProvisionReport> provision() override {
    GW_ASSIGN_OR_RETURN(const std::string dir, ensure_keys_dir(options_.state_dir));
    ProvisionReport report;
    auto primary = tpm_->ensure_primary();
    if (!primary.ok()) {
      if (!file_exists(blob_path("primary.name"))) return primary.error();
      return Status(primary.error().code(),
                    primary.error().message() + " (the pinned name is " +
                        blob_path("primary.name") + "; to provision this TPM afresh, move " + dir +
                        " aside: its blobs cannot be used with another primary)");
    }
    report.lines.push_back("storage primary key " + hex_handle(options_.primary_handle) + " (" +
                           primary->algorithm + "): " + (primary->created ? "created" : "exists"));
    if (!file_exists(blob_path("primary.name"))) {
      GW_RETURN_IF_ERROR(write_file_atomically(blob_path("primary.name"), primary->name));
    }

    // Sealed secrets: generated here, sealed, and the plaintext wiped.
    auto sealed = [&](const std::string& name, const char* what, bool ledger) -> Status {
      if (file_exists(blob_path(name))) {
        report.lines.push_back(std::string(what) + ": exists (" + name + ")");
        return ok_status();
      }
      std::array<uint8_t, 32> secret{};
      bool made = ledger ? ledger::generate_private_key(secret)
                         : (randombytes_buf(secret.data(), secret.size()), true);
      if (!made) {
        sodium_memzero(secret.data(), secret.size());
        return internal_error(std::string("cannot generate the ") + what);
      }
      Result<tpm::KeyBlob> blob = tpm_->seal(secret, pcrs_);
      sodium_memzero(secret.data(), secret.size());
      if (!blob.ok()) return blob.error();
      GW_RETURN_IF_ERROR(save(name, *blob));
      report.lines.push_back(std::string(what) + ": created and sealed" +
                             (pcrs_.pcrs.empty() ? "" : " (bound to PCRs)") + " (" + name + ")");
      return ok_status();
    };
    GW_RETURN_IF_ERROR(sealed(record_blob_name(1), "record encryption key 1", false));
    GW_RETURN_IF_ERROR(sealed("ledger-key.blob", "ledger account key", true));
    GW_RETURN_IF_ERROR(provision_payload_key(&report));

    auto signing = [&](const std::string& name, const char* what,
                       tpm::Tpm::SigningKind kind) -> Status {
      if (file_exists(blob_path(name))) {
        report.lines.push_back(std::string(what) + ": exists (" + name + ")");
        return ok_status();
      }
      GW_ASSIGN_OR_RETURN(const tpm::KeyBlob blob, tpm_->create_signing_key(kind));
      GW_RETURN_IF_ERROR(save(name, blob));
      report.lines.push_back(std::string(what) + ": created (" + name + ")");
      return ok_status();
    };
    GW_RETURN_IF_ERROR(signing("attestation-key.blob", "attestation key (AK)",
                               tpm::Tpm::SigningKind::kAttestation));
    GW_RETURN_IF_ERROR(
        signing("batch-signing-key.blob", "batch-signing key", tpm::Tpm::SigningKind::kGeneral));
    report.lines.push_back(
        file_exists(blob_path("consortium.blob"))
            ? "consortium key: imported (consortium.blob)"
            : "consortium key: missing (run gatewayctl tpm import-consortium-key)");

    // The ledger address is public; showing it lets the operator fund and
    // register the account.
    GW_ASSIGN_OR_RETURN(const crypto::SecretBytes ledger_key, unseal("ledger-key.blob"));
    if (auto a = ledger::address_of(std::span<const uint8_t, 32>(ledger_key.data(), 32)))
      report.ledger_address = ledger::to_checksum_hex(*a);
    GW_ASSIGN_OR_RETURN(report.payload_key, payload_public_key());
    return report;
  }

  Status import_consortium_key(std::span<const uint8_t> key, bool replace) override {
    if (key.size() != 32) return invalid_argument_error("the consortium key must be 32 bytes");
    GW_RETURN_IF_ERROR(ensure_keys_dir(options_.state_dir));
    GW_RETURN_IF_ERROR(primary_present());
    if (file_exists(blob_path("consortium.blob")) && !replace) {
      return already_exists_error(
          "a consortium key is already imported; replacing it changes every patient token "
          "(use --replace if that is intended)");
    }
    GW_ASSIGN_OR_RETURN(const tpm::KeyBlob blob, tpm_->create_hmac_key(key));
    return save("consortium.blob", blob);
  }

  Result<WorkingKeys> load_working_keys() override {
    if (options_.consortium_id.empty()) {
      return failed_precondition_error(
          "[keys] consortium_id is not set: it is part of the tokenization key's derivation "
          "and must be the same at every member");
    }
    GW_RETURN_IF_ERROR(primary_present());
    GW_ASSIGN_OR_RETURN(const tpm::KeyBlob consortium,
                        load("consortium.blob",
                             "run gatewayctl tpm import-consortium-key --config "
                             "FILE KEYFILE"));
    const std::string label = tokenization_label(options_.consortium_id);
    auto k_tok = tpm_->hmac(
        consortium, std::span(reinterpret_cast<const uint8_t*>(label.data()), label.size()));
    if (!k_tok.ok()) return k_tok.error();
    auto tok = crypto::SecretBytes::copy_of(*k_tok);
    sodium_memzero(k_tok->data(), k_tok->size());
    GW_ASSIGN_OR_RETURN(crypto::SecretBytes record, unseal(record_blob_name(1)));
    GW_ASSIGN_OR_RETURN(crypto::SecretBytes ledger, unseal("ledger-key.blob"));
    GW_ASSIGN_OR_RETURN(PayloadKeyRing payload, load_payload_keys());
    if (!tok) return resource_exhausted_error("cannot allocate locked memory for the working keys");
    WorkingKeys keys;
    keys.tokenization = std::move(*tok);
    keys.record_key = std::move(record);
    keys.record_key_id = 1;
    keys.ledger_key = std::move(ledger);
    keys.payload_keys = std::move(payload);
    return keys;
  }

  Result<BatchSignature> sign_batch_root(std::span<const uint8_t, 32> root) override {
    GW_ASSIGN_OR_RETURN(
        const tpm::KeyBlob blob,
        load("batch-signing-key.blob", "run gatewayctl tpm provision --config FILE"));
    GW_ASSIGN_OR_RETURN(const auto sig, tpm_->sign_digest(blob, root));
    return BatchSignature{sig.r, sig.s, sig.der};
  }

  Result<std::string> batch_signing_public_key() override {
    GW_ASSIGN_OR_RETURN(
        const tpm::KeyBlob blob,
        load("batch-signing-key.blob", "run gatewayctl tpm provision --config FILE"));
    return tpm_->public_key_pem(blob);
  }

  Result<std::array<uint8_t, 20>> ledger_address() override {
    GW_ASSIGN_OR_RETURN(const crypto::SecretBytes key, unseal("ledger-key.blob"));
    auto a = ledger::address_of(std::span<const uint8_t, 32>(key.data(), 32));
    if (!a) return data_loss_error("the sealed ledger key is not a valid secp256k1 key");
    return *a;
  }

  Result<PayloadPublicKey> payload_public_key() override {
    GW_ASSIGN_OR_RETURN(const uint32_t newest, newest_payload_generation());
    GW_ASSIGN_OR_RETURN(const PayloadKey key, unseal_payload_key(newest));
    return PayloadPublicKey{key.generation, key.public_key};
  }

  Result<PayloadPublicKey> rotate_payload_key() override {
    GW_RETURN_IF_ERROR(primary_present());
    GW_ASSIGN_OR_RETURN(const uint32_t newest, newest_payload_generation());
    GW_RETURN_IF_ERROR(create_payload_key(newest + 1));
    // Read back through the TPM: what is returned is what will be unsealed.
    GW_ASSIGN_OR_RETURN(const PayloadKey key, unseal_payload_key(newest + 1));
    return PayloadPublicKey{key.generation, key.public_key};
  }

  Result<Attestation> attest(std::span<const uint8_t> qualifying_data,
                             const std::vector<int>& pcrs) override {
    GW_ASSIGN_OR_RETURN(const tpm::KeyBlob ak,
                        load("attestation-key.blob", "run gatewayctl tpm provision --config FILE"));
    tpm::PcrSelection selection;
    selection.pcrs = pcrs;
    GW_ASSIGN_OR_RETURN(tpm::Quote q, tpm::quote(*tpm_, ak, selection, qualifying_data));
    Attestation a;
    a.quote = std::move(q);
    GW_ASSIGN_OR_RETURN(auto pem, tpm_->public_key_pem(ak));
    GW_ASSIGN_OR_RETURN(auto name, tpm_->object_name(ak));
    a.ak_public_pem = std::move(pem);
    a.ak_name = std::move(name);
    a.ak_public_area = ak.public_area;
    // The EK certificate where the TPM has one (not swtpm without swtpm_setup).
    if (auto ek = tpm::endorsement_key(*tpm_); ek.ok()) a.ek_certificate = ek->certificate;
    return a;
  }

  Result<tpm::EndorsementKey> endorsement() override { return tpm::endorsement_key(*tpm_); }

  Result<AttestationKeyInfo> attestation_key() override {
    GW_ASSIGN_OR_RETURN(const tpm::KeyBlob ak,
                        load("attestation-key.blob", "run gatewayctl tpm provision --config FILE"));
    GW_ASSIGN_OR_RETURN(auto pem, tpm_->public_key_pem(ak));
    GW_ASSIGN_OR_RETURN(auto name, tpm_->object_name(ak));
    return AttestationKeyInfo{std::move(pem), std::move(name), ak.public_area};
  }

  Result<std::vector<uint8_t>> activate_credential(std::span<const uint8_t> credential) override {
    GW_ASSIGN_OR_RETURN(const tpm::KeyBlob ak,
                        load("attestation-key.blob", "run gatewayctl tpm provision --config FILE"));
    return tpm::activate_credential(*tpm_, ak, credential);
  }

 private:
  PayloadKeyFiles payload_files() const {
    return PayloadKeyFiles(options_.state_dir + "/keys", "payload-key-", ".blob");
  }

  // The newest generation; an error when there is none or one is missing.
  Result<uint32_t> newest_payload_generation() const {
    GW_ASSIGN_OR_RETURN(const uint32_t newest, payload_files().newest_generation());
    if (newest == 0) {
      return failed_precondition_error("TPM object " + payload_files().path(1) +
                                       " is missing (no payload key): run gatewayctl tpm "
                                       "provision --config FILE");
    }
    return newest;
  }

  Status provision_payload_key(ProvisionReport* report) {
    const PayloadKeyFiles files = payload_files();
    GW_ASSIGN_OR_RETURN(const uint32_t newest, files.newest_generation());
    if (newest > 0) {
      report->lines.push_back("payload key " + std::to_string(newest) + " (X25519): exists (" +
                              files.name(newest) + ")");
      return ok_status();
    }
    GW_RETURN_IF_ERROR(create_payload_key(1));
    report->lines.push_back(std::string("payload key 1 (X25519): created and sealed") +
                            (pcrs_.pcrs.empty() ? "" : " (bound to PCRs)") + " (" + files.name(1) +
                            ")");
    return ok_status();
  }

  // Generates generation `generation`, seals it like the record key and
  // writes its blob (never over an existing one).
  Status create_payload_key(uint32_t generation) {
    std::array<uint8_t, kPayloadKeyBytes> secret{};
    generate_payload_private_key(secret);
    Result<tpm::KeyBlob> blob = tpm_->seal(secret, pcrs_);
    sodium_memzero(secret.data(), secret.size());
    if (!blob.ok()) return blob.error().with_context("cannot seal the payload key");
    return payload_files().create(generation, tpm::serialize_blob(*blob));
  }

  Result<PayloadKey> unseal_payload_key(uint32_t generation) {
    GW_ASSIGN_OR_RETURN(const crypto::SecretBytes secret, unseal(payload_files().name(generation)));
    return payload_key_from_private(generation,
                                    std::span<const uint8_t, kPayloadKeyBytes>(secret.data(), 32));
  }

  // Every generation; fails on the first that cannot be read or unsealed.
  Result<PayloadKeyRing> load_payload_keys() {
    GW_ASSIGN_OR_RETURN(const uint32_t newest, newest_payload_generation());
    PayloadKeyRing ring;
    for (uint32_t g = 1; g <= newest; ++g) {
      GW_ASSIGN_OR_RETURN(PayloadKey key, unseal_payload_key(g));
      GW_RETURN_IF_ERROR(ring.add(std::move(key)));
    }
    return ring;
  }

  static std::string record_blob_name(uint32_t id) {
    return "record-key-" + std::to_string(id) + ".blob";
  }
  std::string blob_path(const std::string& name) const {
    return options_.state_dir + "/keys/" + name;
  }
  // ok if the storage primary is at its handle; else why not, with the way out.
  Status primary_present() { return tpm_->primary_present(); }

  Status save(const std::string& name, const tpm::KeyBlob& blob) {
    return write_file_atomically(blob_path(name), tpm::serialize_blob(blob));
  }

  Result<tpm::KeyBlob> load(const std::string& name, const char* recovery) {
    auto bytes = read_small_file(blob_path(name), 64 * 1024);
    if (!bytes.ok()) {
      return failed_precondition_error("TPM object " + blob_path(name) + " is missing (" +
                                       bytes.error().message() + "): " + recovery);
    }
    auto blob = tpm::parse_blob(*bytes);
    if (!blob.ok()) return data_loss_error(blob_path(name) + ": " + blob.error().message());
    return std::move(blob).value();
  }

  Result<crypto::SecretBytes> unseal(const std::string& name) {
    GW_ASSIGN_OR_RETURN(const tpm::KeyBlob blob,
                        load(name, "run gatewayctl tpm provision --config FILE"));
    auto secret = tpm_->unseal(blob, pcrs_);
    if (!secret.ok()) return secret.error().with_context("cannot unseal " + name);
    std::optional<crypto::SecretBytes> out;
    if (secret->size() == 32) out = crypto::SecretBytes::copy_of(*secret);
    sodium_memzero(secret->data(), secret->size());
    if (!out) return data_loss_error(name + ": unexpected sealed data size or no locked memory");
    return std::move(*out);
  }

  KeyStoreOptions options_;
  std::unique_ptr<tpm::Tpm> tpm_;
  tpm::PcrSelection pcrs_;
};

}  // namespace

Result<std::unique_ptr<KeyStore>> make_tpm_key_store(const KeyStoreOptions& options) {
  tpm::TpmOptions to;
  to.tcti = options.tcti;
  to.primary_handle = options.primary_handle;
  to.injected_latency = options.injected_latency;
  const std::string pinned = options.state_dir + "/keys/primary.name";
  if (file_exists(pinned)) {
    GW_ASSIGN_OR_RETURN(to.expected_primary_name, read_small_file(pinned, 1024));
  }
  GW_ASSIGN_OR_RETURN(std::unique_ptr<tpm::Tpm> t, tpm::Tpm::open(to));
  return std::unique_ptr<KeyStore>(std::make_unique<TpmKeyStore>(options, std::move(t)));
}

}  // namespace gw::keys
