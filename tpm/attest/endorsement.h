// The TPM's endorsement key (EK) and its certificate, and the certification of
// the attestation key (AK) against it with TPM2_MakeCredential (done by the
// verifier, e.g. `tpm2_makecredential -T none`) and TPM2_ActivateCredential
// (done here). A verifier that trusts the EK certificate's manufacturer CA and
// gets back the secret it wrapped knows the AK lives in the same TPM as that
// EK: the TPM releases the secret only if an object with the AK's name is
// loaded beside the EK's private key. Step by step in tpm/README.md,
// "Attestation, for the security team".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tpm/core/key_blob.h"
#include "tpm/core/tpm.h"

namespace gw::tpm {

enum class EkAlgorithm {
  // ECC P-256 if the TPM has P-256, unless only an RSA EK certificate is
  // provisioned (then RSA-2048, the key the manufacturer certified).
  kAuto,
  kEcc,  // ECC P-256 ("L-2" template)
  kRsa,  // RSA-2048 ("L-1" template)
};

struct EndorsementKey {
  std::string algorithm;  // "ecc-p256" | "rsa-2048"
  // SubjectPublicKeyInfo PEM (`tpm2_makecredential -G ecc|rsa -u FILE`).
  std::string public_pem;
  // TPM name: nameAlg (2 bytes) || SHA-256(TPMT_PUBLIC).
  std::vector<uint8_t> name;
  // TPM2B_PUBLIC marshaled, as `tpm2_createek -u` / `tpm2_readpublic -o`
  // write it (`tpm2_makecredential -u FILE` without -G).
  std::vector<uint8_t> public_area;
  // The manufacturer's EK certificate in DER, from NV index 0x01c0000a (ECC)
  // or 0x01c00002 (RSA); empty when the TPM has none (swtpm without
  // swtpm_setup, some firmware TPMs).
  std::vector<uint8_t> certificate;
};

// Re-creates the EK from the TCG EK Credential Profile's default ("low range")
// template as a transient primary in the endorsement hierarchy (deterministic:
// the same key every time, nothing is persisted), reads its public area, and
// flushes it; reads the certificate from NV when there is one. Fails (with the
// reason) if the certificate is for another key than the template gives (a
// TPM that provisions an EK template or nonce in NV, which is not supported),
// or the endorsement hierarchy has a password.
Result<EndorsementKey> endorsement_key(Tpm& tpm, EkAlgorithm algorithm = EkAlgorithm::kAuto);

// Writes into `dir` (created with its parents if missing): ek.pub
// (TPM2B_PUBLIC), ek.pub.pem, ek.name (raw), ek.name.hex, and ek.cert.der if
// there is a certificate (else an old one is removed). A failure names the
// file.
Status write_endorsement_files(const EndorsementKey& ek, const std::string& dir);

// TPM2_ActivateCredential: `credential_file` is what `tpm2_makecredential -o
// FILE` writes (tpm2-tools' format: magic 0xBADCC0DE, version 1, then
// TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET, sizes big-endian), made for this
// TPM's EK public key and the AK's name. Returns the secret the verifier
// chose. kAuto takes the EK the credential was made for (an RSA-2048 wrapped
// seed is 256 bytes; otherwise ECC). The EK is authorized with
// PolicySecret(endorsement hierarchy) in a salted session that also encrypts
// the secret on its way back. Fails with a message saying the credential was
// not made for this AK and TPM when that is why.
Result<std::vector<uint8_t>> activate_credential(Tpm& tpm, const KeyBlob& ak,
                                                 std::span<const uint8_t> credential_file,
                                                 EkAlgorithm algorithm = EkAlgorithm::kAuto);

}  // namespace gw::tpm
