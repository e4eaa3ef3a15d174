// The gateway's long-lived secrets and the working keys derived from them.
//
// Two stores exist. The TPM store (production) keeps every secret as a TPM
// object under the storage primary: blobs in <state_dir>/keys/ that only this
// TPM can load. The software store (development only) keeps raw keys in one
// file, 0600; it is used only when the configuration says so, and every start
// logs a loud warning (the caller does that; see is_development_only()).
//
// The TPM is slow (single-digit to tens of commands per second), so it is used
// at start, to derive and unseal the working keys once into locked memory, and
// to sign batch roots; never per message.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/crypto/secret.h"
#include "gateway/keys/payload_keys.h"
#include "tpm/attest/endorsement.h"
#include "tpm/attest/quote.h"

namespace gw::keys {

struct KeyStoreOptions {
  std::string kind = "tpm";  // "tpm" | "software"
  std::string state_dir;     // keys live in <state_dir>/keys
  // Derives the tokenization key: K_tok = HMAC(consortium root,
  // "tokenize|v1|" + consortium_id). Every member uses the same value.
  std::string consortium_id;
  // TPM store only.
  std::string tcti = "device:/dev/tpmrm0";
  uint32_t primary_handle = 0x81000001;
  std::vector<int> seal_pcrs;  // sha256 bank; empty: sealed objects not PCR-bound
  std::chrono::milliseconds injected_latency{0};
};

// Unsealed or derived at start, held in locked memory for the process's life.
struct WorkingKeys {
  crypto::SecretBytes tokenization;  // K_tok, 32 bytes
  crypto::SecretBytes record_key;    // XChaCha20-Poly1305 key, 32 bytes
  uint32_t record_key_id = 1;
  crypto::SecretBytes ledger_key;  // secp256k1 private key, 32 bytes
  // X25519 keys transfers are sealed with: every generation, the newest
  // current. Never empty once loaded.
  PayloadKeyRing payload_keys;
};

// One line per object: what provisioning found or did.
struct ProvisionReport {
  std::vector<std::string> lines;
  std::string ledger_address;    // 0x-prefixed, EIP-55 not applied
  PayloadPublicKey payload_key;  // the current generation's public half
};

struct BatchSignature {
  std::array<uint8_t, 32> r, s;
  std::vector<uint8_t> der;
};

// A quote and what a verifier needs with it (tpm/README.md, "Attestation,
// for the security team").
struct Attestation {
  tpm::Quote quote;
  std::string ak_public_pem;
  std::vector<uint8_t> ak_name;
  std::vector<uint8_t> ak_public_area;  // TPM2B_PUBLIC: what tpm2_checkquote -u ak.pub reads
  std::vector<uint8_t> ek_certificate;  // DER; empty if the TPM has none
};

struct AttestationKeyInfo {
  std::string public_pem;
  std::vector<uint8_t> name;
  std::vector<uint8_t> public_area;  // TPM2B_PUBLIC (ak.pub)
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  virtual const char* kind() const = 0;
  virtual bool is_development_only() const = 0;

  // Creates whatever is missing (idempotent): the storage primary, the sealed
  // record and ledger keys, payload key generation 1, the attestation and
  // batch-signing keys. Never replaces an existing secret.
  virtual Result<ProvisionReport> provision() = 0;
  // Imports the consortium tokenization key (32 bytes). Refuses to replace an
  // existing one unless `replace`; tokens change when the key changes.
  virtual Status import_consortium_key(std::span<const uint8_t> key, bool replace) = 0;
  // Everything the pipeline needs, or an error that names the missing or
  // unusable object and how to recover. Never falls back to other keys.
  virtual Result<WorkingKeys> load_working_keys() = 0;
  // Signs a batch Merkle root (ECDSA P-256 over the 32 bytes as the digest).
  virtual Result<BatchSignature> sign_batch_root(std::span<const uint8_t, 32> root) = 0;
  // PEM public key that verifies sign_batch_root().
  virtual Result<std::string> batch_signing_public_key() = 0;
  // The ledger account's address (public; derived from the sealed key).
  virtual Result<std::array<uint8_t, 20>> ledger_address() = 0;
  // The current payload key's public half (derived from the sealed private
  // key, never read from a file): this member's registry encryption_key.
  virtual Result<PayloadPublicKey> payload_public_key() = 0;
  // Creates payload key generation n+1 and makes it current; the older
  // generations stay (transfers already recorded to them must still open).
  // The new key is used by peers only once a rekey proposal with it executes.
  virtual Result<PayloadPublicKey> rotate_payload_key() = 0;

  // Attestation. The software store refuses all of these (unimplemented).
  // A quote by the attestation key over `pcrs` (sha256 bank) with the given
  // qualifying data (see tpm::appliance_qualifying_data).
  virtual Result<Attestation> attest(std::span<const uint8_t> qualifying_data,
                                     const std::vector<int>& pcrs) = 0;
  virtual Result<tpm::EndorsementKey> endorsement() = 0;
  virtual Result<AttestationKeyInfo> attestation_key() = 0;
  // ActivateCredential of a tpm2_makecredential file made for the EK and the
  // attestation key's name: returns the verifier's secret.
  virtual Result<std::vector<uint8_t>> activate_credential(
      std::span<const uint8_t> credential_file) = 0;
};

// The store the options name. An error if the kind is unknown or the store
// cannot be opened (for the TPM: the TCTI cannot be opened).
Result<std::unique_ptr<KeyStore>> open_key_store(const KeyStoreOptions& options);

// Reads a consortium key file: 32 raw bytes, or 64 hex digits (optionally
// followed by a newline). An error otherwise.
Result<crypto::SecretBytes> read_consortium_key_file(const std::string& path);

}  // namespace gw::keys
