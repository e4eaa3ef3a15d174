// Internal to tpm/attest: helpers its files share (and its tests and fuzz
// target use). Not part of the module's interface.
#pragma once

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tpm/core/tpm.h"
#include "tpm/core/tpm_internal.h"

namespace gw::tpm::attest {

std::string to_hex(std::span<const uint8_t> bytes);  // lowercase, no separators

// Creates `dir` and its parents if missing.
Status make_dir(const std::string& dir);
// Replaces `path` with `bytes` (mode 0644: everything written here is public).
Status write_file(const std::string& path, std::span<const uint8_t> bytes);
// Removes `path` if it exists (a stale file from an earlier run).
Status remove_file(const std::string& path);
// Reads a whole file of at most max_size bytes.
Status read_file(const std::string& path, size_t max_size, std::vector<uint8_t>* out);

// H_alg(data) for TPM2_ALG_SHA1/256/384/512; empty for another algorithm.
std::vector<uint8_t> digest(TPMI_ALG_HASH alg, std::span<const uint8_t> data);
// 20, 32, 48, 64; 0 for another algorithm.
size_t digest_size(TPMI_ALG_HASH alg);

// The checks of a quote's message that need no signature: it is a TPM-made
// (magic) quote (type), extraData == qualifying_data, its PCR selection is
// `selection`, and pcrDigest == H_hash_alg(values in selection order, which
// is ascending). ok if all hold, else kInvalidArgument saying why not;
// *pcr_digest_mismatch (if given) says whether only the digest differed
// (PCRs changed).
Status check_quote_message(std::span<const uint8_t> message, const PcrSelection& selection,
                           const std::vector<std::vector<uint8_t>>& values,
                           std::span<const uint8_t> qualifying_data, TPMI_ALG_HASH hash_alg,
                           bool* pcr_digest_mismatch = nullptr);

// tpm2_makecredential's output file, parsed (untrusted input).
struct CredentialFile {
  TPM2B_ID_OBJECT id_object;
  TPM2B_ENCRYPTED_SECRET secret;
};
Status parse_credential_file(std::span<const uint8_t> bytes, CredentialFile* out);

// The TCG EK Credential Profile (2.x) default templates: L-2 (ECC NIST P-256)
// or L-1 (RSA-2048), AES-128-CFB, restricted decryption, adminWithPolicy with
// PolicySecret(TPM_RH_ENDORSEMENT), zero-filled unique field.
TPM2B_PUBLIC ek_template(bool ecc);
// Creates the EK from ek_template as a transient primary (flushed by *ek);
// its public area in *pub. Returns the ESYS result. Hold state.mu.
TSS2_RC create_ek(internal::TpmState& s, bool ecc, internal::ScopedFlush* ek,
                  internal::EsysPtr<TPM2B_PUBLIC>* pub);

// SubjectPublicKeyInfo PEM of an ECC P-256 or RSA public area.
Result<std::string> public_key_pem(const TPMT_PUBLIC& pub);

}  // namespace gw::tpm::attest
