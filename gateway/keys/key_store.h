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

#include "gateway/crypto/secret.h"

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
};

// One line per object: what provisioning found or did.
struct ProvisionReport {
  std::vector<std::string> lines;
  std::string ledger_address;  // 0x-prefixed, EIP-55 not applied
};

struct BatchSignature {
  std::array<uint8_t, 32> r, s;
  std::vector<uint8_t> der;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  virtual const char* kind() const = 0;
  virtual bool is_development_only() const = 0;

  // Creates whatever is missing (idempotent): the storage primary, the sealed
  // record and ledger keys, the attestation and batch-signing keys. Never
  // replaces an existing secret.
  virtual std::optional<ProvisionReport> provision(std::string* error) = 0;
  // Imports the consortium tokenization key (32 bytes). Refuses to replace an
  // existing one unless `replace`; tokens change when the key changes.
  virtual bool import_consortium_key(std::span<const uint8_t> key, bool replace,
                                     std::string* error) = 0;
  // Everything the pipeline needs, or an error that names the missing or
  // unusable object and how to recover. Never falls back to other keys.
  virtual std::optional<WorkingKeys> load_working_keys(std::string* error) = 0;
  // Signs a batch Merkle root (ECDSA P-256 over the 32 bytes as the digest).
  virtual std::optional<BatchSignature> sign_batch_root(std::span<const uint8_t, 32> root,
                                                        std::string* error) = 0;
  // PEM public key that verifies sign_batch_root().
  virtual std::optional<std::string> batch_signing_public_key(std::string* error) = 0;
};

// The store the options name. nullptr + *error if the kind is unknown or the
// store cannot be opened (for the TPM: the TCTI cannot be opened).
std::unique_ptr<KeyStore> open_key_store(const KeyStoreOptions& options, std::string* error);

// Reads a consortium key file: 32 raw bytes, or 64 hex digits (optionally
// followed by a newline). nullopt + *error otherwise.
std::optional<crypto::SecretBytes> read_consortium_key_file(const std::string& path,
                                                            std::string* error);

}  // namespace gw::keys
