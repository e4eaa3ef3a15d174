// The development-only key store: raw keys in <state_dir>/keys/software-keys.bin
// (0600), a P-256 batch-signing key in software-batch-signing.pem (0600), and
// each X25519 payload key generation's raw private key in
// software-payload-key-<gen>.bin (0600, 32 bytes).
// Anyone who can read the state directory has the keys: never for production,
// and the gateway says so loudly at every start.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <cstring>
#include <memory>

#include "gateway/keys/key_files.h"
#include "gateway/keys/key_store_internal.h"
#include "gateway/keys/payload_key_files.h"
#include "ledger-client/account/account.h"

namespace gw::keys {
namespace {

constexpr char kMagic[] = "GWSK1\n";
constexpr char kNoAttestation[] =
    "the software key store (development only) cannot attest: there is no TPM to vouch for "
    "anything; configure [keys] store = \"tpm\"";
constexpr size_t kMagicLen = 6;
// magic | flags | consortium(32) | record key id (BE32) | record key(32) | ledger key(32)
constexpr size_t kFileSize = kMagicLen + 1 + 32 + 4 + 32 + 32;

struct SoftwareFile {
  bool has_consortium = false;
  std::array<uint8_t, 32> consortium{}, record{}, ledger{};
  uint32_t record_key_id = 1;
  ~SoftwareFile() {
    sodium_memzero(consortium.data(), 32);
    sodium_memzero(record.data(), 32);
    sodium_memzero(ledger.data(), 32);
  }
};

std::vector<uint8_t> encode(const SoftwareFile& f) {
  std::vector<uint8_t> out(kMagic, kMagic + kMagicLen);
  out.push_back(f.has_consortium ? 1 : 0);
  out.insert(out.end(), f.consortium.begin(), f.consortium.end());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(f.record_key_id >> shift));
  out.insert(out.end(), f.record.begin(), f.record.end());
  out.insert(out.end(), f.ledger.begin(), f.ledger.end());
  return out;
}

bool decode(const std::vector<uint8_t>& in, SoftwareFile* f) {
  if (in.size() != kFileSize || std::memcmp(in.data(), kMagic, kMagicLen) != 0) return false;
  size_t p = kMagicLen;
  f->has_consortium = in[p++] == 1;
  std::memcpy(f->consortium.data(), &in[p], 32);
  p += 32;
  f->record_key_id = (uint32_t{in[p]} << 24) | (uint32_t{in[p + 1]} << 16) |
                     (uint32_t{in[p + 2]} << 8) | in[p + 3];
  p += 4;
  std::memcpy(f->record.data(), &in[p], 32);
  p += 32;
  std::memcpy(f->ledger.data(), &in[p], 32);
  return true;
}

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

class SoftwareKeyStore final : public KeyStore {
 public:
  explicit SoftwareKeyStore(KeyStoreOptions options) : options_(std::move(options)) {}
  const char* kind() const override { return "software"; }
  bool is_development_only() const override { return true; }

  Result<ProvisionReport> provision() override {
    GW_ASSIGN_OR_RETURN(const std::string dir, ensure_keys_dir(options_.state_dir));
    ProvisionReport report;
    report.lines.push_back(
        "WARNING: software key store (development only): keys are plain files in " + dir);
    SoftwareFile f;
    auto existing = load();
    if (!existing.ok() && file_exists(file_path())) return existing.status();
    if (existing.ok()) {
      report.lines.push_back("record key " + std::to_string(existing->record_key_id) + ": exists");
      report.lines.push_back("ledger key: exists");
      f = *existing;
    } else {
      randombytes_buf(f.record.data(), 32);
      if (!ledger::generate_private_key(f.ledger)) {
        return internal_error("cannot generate the ledger key (secp256k1 unavailable)");
      }
      GW_RETURN_IF_ERROR(write_file_atomically(file_path(), encode(f)));
      report.lines.push_back("record key 1: created");
      report.lines.push_back("ledger key: created");
    }
    const PayloadKeyFiles files = payload_files();
    GW_ASSIGN_OR_RETURN(const uint32_t newest, files.newest_generation());
    if (newest > 0) {
      report.lines.push_back("payload key " + std::to_string(newest) + " (X25519): exists");
    } else {
      GW_RETURN_IF_ERROR(create_payload_key(1));
      report.lines.push_back("payload key 1 (X25519): created");
    }
    if (file_exists(signing_path())) {
      report.lines.push_back("batch-signing key: exists");
    } else {
      PkeyPtr key(EVP_EC_gen("P-256"), EVP_PKEY_free);
      std::string pem = key ? private_pem(key.get()) : "";
      if (pem.empty()) return internal_error("cannot generate the batch-signing key (OpenSSL)");
      Status written = write_file_atomically(
          signing_path(), std::span(reinterpret_cast<const uint8_t*>(pem.data()), pem.size()));
      sodium_memzero(pem.data(), pem.size());
      GW_RETURN_IF_ERROR(written);
      report.lines.push_back("batch-signing key: created");
    }
    report.lines.push_back(f.has_consortium ? "consortium key: imported"
                                            : "consortium key: missing (run gatewayctl tpm "
                                              "import-consortium-key)");
    if (auto a = ledger::address_of(f.ledger)) report.ledger_address = ledger::to_checksum_hex(*a);
    GW_ASSIGN_OR_RETURN(report.payload_key, payload_public_key());
    return report;
  }

  Status import_consortium_key(std::span<const uint8_t> key, bool replace) override {
    auto f = load();
    if (!f.ok()) return with_hint(f.status(), " (run gatewayctl tpm provision first)");
    if (f->has_consortium && !replace) {
      return already_exists_error(
          "a consortium key is already imported; replacing it changes every patient token "
          "(use --replace if that is intended)");
    }
    if (key.size() != 32) return invalid_argument_error("the consortium key must be 32 bytes");
    std::memcpy(f->consortium.data(), key.data(), 32);
    f->has_consortium = true;
    std::vector<uint8_t> bytes = encode(*f);
    Status written = write_file_atomically(file_path(), bytes);
    sodium_memzero(bytes.data(), bytes.size());
    return written;
  }

  Result<WorkingKeys> load_working_keys() override {
    auto f = load();
    if (!f.ok()) {
      return with_hint(f.status(), " (run gatewayctl tpm provision --config FILE)");
    }
    if (!f->has_consortium) {
      return failed_precondition_error(
          "no consortium key imported: run gatewayctl tpm import-consortium-key --config FILE "
          "KEYFILE");
    }
    GW_ASSIGN_OR_RETURN(crypto::SecretBytes tok,
                        derive_tokenization_key_software(f->consortium, options_.consortium_id));
    auto record = crypto::SecretBytes::copy_of(f->record);
    auto ledger = crypto::SecretBytes::copy_of(f->ledger);
    GW_ASSIGN_OR_RETURN(PayloadKeyRing payload, load_payload_keys());
    if (!record || !ledger) {
      return resource_exhausted_error("cannot allocate locked memory for the working keys");
    }
    WorkingKeys keys;
    keys.tokenization = std::move(tok);
    keys.record_key = std::move(*record);
    keys.record_key_id = f->record_key_id;
    keys.ledger_key = std::move(*ledger);
    keys.payload_keys = std::move(payload);
    return keys;
  }

  Result<BatchSignature> sign_batch_root(std::span<const uint8_t, 32> root) override {
    GW_ASSIGN_OR_RETURN(PkeyPtr key, load_signing_key());
    return sign_digest_p256(key.get(), root);
  }

  Result<std::string> batch_signing_public_key() override {
    GW_ASSIGN_OR_RETURN(PkeyPtr key, load_signing_key());
    return public_pem(key.get());
  }

  Result<std::array<uint8_t, 20>> ledger_address() override {
    GW_ASSIGN_OR_RETURN(const SoftwareFile f, load());
    auto a = ledger::address_of(f.ledger);
    if (!a) return data_loss_error("the ledger key is not a valid secp256k1 key");
    return *a;
  }

  Result<PayloadPublicKey> payload_public_key() override {
    GW_ASSIGN_OR_RETURN(const uint32_t newest, newest_payload_generation());
    GW_ASSIGN_OR_RETURN(const PayloadKey key, read_payload_key(newest));
    return PayloadPublicKey{key.generation, key.public_key};
  }

  Result<PayloadPublicKey> rotate_payload_key() override {
    GW_ASSIGN_OR_RETURN(const uint32_t newest, newest_payload_generation());
    GW_RETURN_IF_ERROR(create_payload_key(newest + 1));
    GW_ASSIGN_OR_RETURN(const PayloadKey key, read_payload_key(newest + 1));
    return PayloadPublicKey{key.generation, key.public_key};
  }

  Result<Attestation> attest(std::span<const uint8_t>, const std::vector<int>&) override {
    return unimplemented_error(kNoAttestation);
  }
  Result<tpm::EndorsementKey> endorsement() override { return unimplemented_error(kNoAttestation); }
  Result<AttestationKeyInfo> attestation_key() override {
    return unimplemented_error(kNoAttestation);
  }
  Result<std::vector<uint8_t>> activate_credential(std::span<const uint8_t>) override {
    return unimplemented_error(kNoAttestation);
  }

 private:
  PayloadKeyFiles payload_files() const {
    return PayloadKeyFiles(options_.state_dir + "/keys", "software-payload-key-", ".bin");
  }

  Result<uint32_t> newest_payload_generation() const {
    GW_ASSIGN_OR_RETURN(const uint32_t newest, payload_files().newest_generation());
    if (newest == 0) {
      return failed_precondition_error(payload_files().path(1) +
                                       " is missing (no payload key): run gatewayctl tpm "
                                       "provision --config FILE");
    }
    return newest;
  }

  Status create_payload_key(uint32_t generation) const {
    std::array<uint8_t, kPayloadKeyBytes> secret{};
    generate_payload_private_key(secret);
    Status created = payload_files().create(generation, secret);
    sodium_memzero(secret.data(), secret.size());
    return created;
  }

  Result<PayloadKey> read_payload_key(uint32_t generation) const {
    const std::string path = payload_files().path(generation);
    auto bytes = read_small_file(path, 64);
    if (!bytes.ok()) {
      return with_hint(bytes.status(), bytes.error().code() == StatusCode::kNotFound
                                           ? " (payload key " + std::to_string(generation) +
                                                 " is gone: restore it from a backup)"
                                           : "");
    }
    if (bytes->size() != kPayloadKeyBytes) {
      sodium_memzero(bytes->data(), bytes->size());
      return data_loss_error(path + ": not a payload key (32 bytes expected)");
    }
    Result<PayloadKey> key = payload_key_from_private(
        generation, std::span<const uint8_t, kPayloadKeyBytes>(bytes->data(), kPayloadKeyBytes));
    sodium_memzero(bytes->data(), bytes->size());
    if (!key.ok()) return key.error().with_context(path);
    return key;
  }

  Result<PayloadKeyRing> load_payload_keys() const {
    GW_ASSIGN_OR_RETURN(const uint32_t newest, newest_payload_generation());
    PayloadKeyRing ring;
    for (uint32_t g = 1; g <= newest; ++g) {
      GW_ASSIGN_OR_RETURN(PayloadKey key, read_payload_key(g));
      GW_RETURN_IF_ERROR(ring.add(std::move(key)));
    }
    return ring;
  }

  std::string file_path() const { return options_.state_dir + "/keys/software-keys.bin"; }
  std::string signing_path() const {
    return options_.state_dir + "/keys/software-batch-signing.pem";
  }

  Result<SoftwareFile> load() const {
    GW_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_small_file(file_path(), 4096));
    SoftwareFile f;
    bool ok = decode(bytes, &f);
    sodium_memzero(bytes.data(), bytes.size());
    if (!ok) return data_loss_error(file_path() + ": not a software key file of this gateway");
    return f;
  }

  Result<PkeyPtr> load_signing_key() const {
    auto pem = read_small_file(signing_path(), 16384);
    if (!pem.ok()) {
      return with_hint(pem.status(), " (run gatewayctl tpm provision --config FILE)");
    }
    BIO* bio = BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()));
    PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr,
                EVP_PKEY_free);
    BIO_free(bio);
    sodium_memzero(pem->data(), pem->size());
    if (!key) return data_loss_error(signing_path() + ": not a PEM private key");
    return key;
  }

  static std::string private_pem(EVP_PKEY* key) {
    BIO* bio = BIO_new(BIO_s_mem());
    std::string out;
    if (bio != nullptr &&
        PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
      char* data = nullptr;
      long n = BIO_get_mem_data(bio, &data);
      out.assign(data, static_cast<size_t>(n));
    }
    BIO_free(bio);
    return out;
  }

  KeyStoreOptions options_;
};

}  // namespace

std::unique_ptr<KeyStore> make_software_key_store(const KeyStoreOptions& options) {
  return std::make_unique<SoftwareKeyStore>(options);
}

}  // namespace gw::keys
