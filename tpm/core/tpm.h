// The gateway's TPM: a storage primary key persisted in the owner hierarchy,
// and the objects created under it (keyed-hash HMAC keys, sealed data,
// signing keys), through TPM2-TSS ESYS and the TCTI loader (/dev/tpmrm0 in
// production, swtpm in tests).
//
// Key hierarchy:
//   owner hierarchy
//     storage primary (TCG SRK template: ECC P-256 + AES-128-CFB, or
//     RSA-2048 if the TPM lacks ECC) persisted at primary_handle
//       HMAC-SHA-256 keys      (tokenization root, consortium key)   KeyBlob
//       sealed data <= 128 B   (record key, ledger account key)      KeyBlob
//       ECC P-256 signing keys (AK for quotes, batch-root key)       KeyBlob
//
// Secrets cross the TPM bus only encrypted: commands that carry one (Create
// with sensitive data, HMAC input/output, Unseal, GetRandom) run in an HMAC or
// policy session salted with the primary key, with AES-128-CFB parameter
// encryption. Every loaded object and session is flushed before a call returns.
//
// A Tpm is slow (a real TPM does single-digit to tens of commands per second):
// call it at start to derive/unseal working keys and to sign batch roots, not
// per message. Methods are serialized by an internal mutex (ESYS contexts are
// not thread-safe). Errors are values (gw::Status / gw::Result): the message
// names what failed and how to recover and never contains key bytes; the code
// says what to do next (kUnavailable: the TPM is unreachable, busy or locked
// out, try again later; kInvalidArgument: the blob or request is wrong;
// kFailedPrecondition: the TPM is not in the state the call needs).
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
#include "tpm/core/key_blob.h"

namespace gw::tpm {

class Tpm;
namespace internal {
struct TpmState;
// For other files of tpm/ (quotes, EK/AK certification): see tpm_internal.h.
TpmState& state(Tpm& tpm);
}  // namespace internal

enum class PrimaryAlgorithm {
  kAuto,  // ECC P-256 if the TPM supports it, else RSA-2048 (the TCG guidance)
  kRsa,   // RSA-2048 regardless (exercises the fallback on TPMs that have ECC)
};

struct TpmOptions {
  std::string tcti;  // e.g. "device:/dev/tpmrm0", "swtpm:host=127.0.0.1,port=2321"
  uint32_t primary_handle = 0x81000001;           // TCG's reserved SRK handle
  std::chrono::milliseconds injected_latency{0};  // test mode: sleep before every TPM command
  PrimaryAlgorithm primary_algorithm = PrimaryAlgorithm::kAuto;  // used by ensure_primary
  // When set (the name ensure_primary reported at provisioning), the key at
  // primary_handle must have exactly this name before any session is salted
  // with it: otherwise someone on the bus could substitute its public key and
  // read the session secrets. Empty: trust whatever key is at the handle.
  std::vector<uint8_t> expected_primary_name;
};

// Which PCRs a sealed object is bound to. Empty pcrs = not bound.
struct PcrSelection {
  std::string bank = "sha256";  // "sha1", "sha256", "sha384" or "sha512"
  std::vector<int> pcrs;        // 0..23
};

class Tpm {
 public:
  // Opens the TCTI (Tss2_TctiLdr_Initialize(options.tcti)), initializes ESYS
  // and sends Startup(CLEAR) (an already started TPM just says so). Does not
  // need the primary to exist (see ensure_primary).
  static Result<std::unique_ptr<Tpm>> open(const TpmOptions& options);
  ~Tpm();
  Tpm(const Tpm&) = delete;
  Tpm& operator=(const Tpm&) = delete;

  struct PrimaryInfo {
    bool created;               // false: a storage key was already at the handle
    std::string algorithm;      // "ecc-p256" | "rsa-2048" (| "ecc" / "rsa" other sizes)
    std::vector<uint8_t> name;  // TPM name (nameAlg || H(public)); pin it (expected_primary_name)
  };
  // Provisioning, safe to repeat: if a restricted decryption storage key is at
  // the handle it is kept (created=false); if nothing is, the primary is
  // created in the owner hierarchy from the TCG SRK template and persisted with
  // EvictControl. Any other kind of object at the handle is refused with an
  // error naming the handle and how to recover. With expected_primary_name
  // set, the key there must have that name and none is created. Needs an
  // empty owner password.
  Result<PrimaryInfo> ensure_primary();
  // ok if a storage key is at the handle; else an error saying why not
  // (nothing there: "run gatewayctl tpm provision"; something else; no TPM).
  Status primary_present();

  // Keyed-hash HMAC-SHA-256 object under the primary. `key` non-empty (1..1024
  // bytes): those bytes become the key (the consortium tokenization key),
  // passed in TPM2_Create over an encrypted session (keys over 64 bytes as
  // their SHA-256, which RFC 2104 makes equivalent); empty: the TPM generates
  // a 32-byte key that never leaves it.
  Result<KeyBlob> create_hmac_key(std::span<const uint8_t> key);
  // HMAC-SHA-256 of `data` (any length; > 1024 bytes uses an HMAC sequence).
  Result<std::array<uint8_t, 32>> hmac(const KeyBlob& key, std::span<const uint8_t> data);

  // Sealed data object holding `secret` (1..128 bytes) under the primary. With
  // a non-empty selection it can only be unsealed while those PCRs have the
  // values they have now (PolicyPCR); without, by whoever has this TPM.
  Result<KeyBlob> seal(std::span<const uint8_t> secret, const PcrSelection& pcrs);
  // The sealed secret. `pcrs` must be the selection given to seal(). Fails
  // with a message saying the PCR policy no longer matches when that is why.
  // The caller owns the plaintext: move it to locked memory and zero this.
  Result<std::vector<uint8_t>> unseal(const KeyBlob& sealed, const PcrSelection& pcrs);

  enum class SigningKind {
    kAttestation,  // restricted (AK): signs only TPM-generated data (quotes)
    kGeneral,      // signs any digest (batch Merkle roots)
  };
  // ECC P-256 ECDSA/SHA-256 signing key under the primary.
  Result<KeyBlob> create_signing_key(SigningKind kind);
  struct Signature {
    std::array<uint8_t, 32> r, s;  // big-endian, left-padded
    std::vector<uint8_t> der;      // ECDSA-Sig-Value, as OpenSSL verifies it
  };
  // ECDSA signature of a SHA-256 digest with a kGeneral key (an AK refuses).
  Result<Signature> sign_digest(const KeyBlob& key, std::span<const uint8_t, 32> digest);
  // SubjectPublicKeyInfo PEM of an ECC key blob (no TPM command).
  Result<std::string> public_key_pem(const KeyBlob& key);
  // TPM name of the object: nameAlg (2 bytes) || H(TPMT_PUBLIC) (no TPM command).
  Result<std::vector<uint8_t>> object_name(const KeyBlob& key);

  // n bytes from the TPM's RNG, encrypted on the bus.
  Result<std::vector<uint8_t>> random_bytes(size_t n);
  // Current values of the selected PCRs, in the order of selection.pcrs.
  Result<std::vector<std::vector<uint8_t>>> read_pcrs(const PcrSelection& selection);
  // PCR_Extend of the sha256 bank (tests; later measured boot of the gateway).
  Status extend_pcr(int pcr, std::span<const uint8_t, 32> sha256_digest);

  // TPM commands sent through this Tpm so far (for tests and figures).
  uint64_t commands_sent() const;

 private:
  Tpm();
  friend internal::TpmState& internal::state(Tpm& tpm);
  std::unique_ptr<internal::TpmState> state_;
};

}  // namespace gw::tpm
