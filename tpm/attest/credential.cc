// TPM2_ActivateCredential of a credential made by tpm2_makecredential for
// this TPM's EK and the AK's name.
#include <tss2/tss2_mu.h>

#include <algorithm>

#include "tpm/attest/attest_internal.h"
#include "tpm/attest/endorsement.h"
#include "tpm/core/tpm_internal.h"

namespace gw::tpm {

using internal::EsysPtr;
using internal::failure;

namespace attest {

Status parse_credential_file(std::span<const uint8_t> bytes, CredentialFile* out) {
  *out = {};
  size_t at = 0;
  auto u16 = [&](uint16_t* v) {
    if (bytes.size() - at < 2) return false;
    *v = static_cast<uint16_t>(bytes[at] << 8 | bytes[at + 1]);
    at += 2;
    return true;
  };
  auto u32 = [&](uint32_t* v) {
    uint16_t hi, lo;
    if (!u16(&hi) || !u16(&lo)) return false;
    *v = static_cast<uint32_t>(hi) << 16 | lo;
    return true;
  };
  auto take = [&](uint16_t n, size_t capacity, uint8_t* dest) {
    if (n > capacity || bytes.size() - at < n) return false;
    std::copy_n(bytes.begin() + at, n, dest);
    at += n;
    return true;
  };
  uint32_t magic = 0, version = 0;
  if (!u32(&magic) || magic != 0xBADCC0DEu || !u32(&version) || version != 1) {
    return failed_precondition_error(
        "not a tpm2_makecredential output file (expected magic 0xBADCC0DE, version 1)");
  }
  if (!u16(&out->id_object.size) ||
      !take(out->id_object.size, sizeof out->id_object.credential, out->id_object.credential) ||
      !u16(&out->secret.size) ||
      !take(out->secret.size, sizeof out->secret.secret, out->secret.secret)) {
    return failed_precondition_error(
        "the credential file is truncated or its sizes are out of range");
  }
  if (at != bytes.size()) {
    return failed_precondition_error("the credential file has " +
                                     std::to_string(bytes.size() - at) +
                                     " unexpected bytes after the encrypted secret");
  }
  return ok_status();
}

}  // namespace attest

Result<std::vector<uint8_t>> activate_credential(Tpm& tpm, const KeyBlob& ak,
                                                 std::span<const uint8_t> credential_file,
                                                 EkAlgorithm algorithm) {
  attest::CredentialFile cred;
  GW_RETURN_IF_ERROR(attest::parse_credential_file(credential_file, &cred));
  // The seed is RSA-OAEP encrypted (the key's size, 256 bytes) for an RSA EK
  // and an ECC point (x and y, each with a size) for an ECC EK.
  const bool ecc =
      algorithm == EkAlgorithm::kAuto ? cred.secret.size != 256 : algorithm == EkAlgorithm::kEcc;

  internal::TpmState& s = internal::state(tpm);
  std::lock_guard<std::mutex> lock(s.mu);
  internal::ScopedFlush ek(s.esys);
  EsysPtr<TPM2B_PUBLIC> pub;
  TSS2_RC rc = attest::create_ek(s, ecc, &ek, &pub);
  if (rc != TSS2_RC_SUCCESS) {
    return failure(
        s, std::string("creating the ") + (ecc ? "ECC P-256" : "RSA-2048") + " endorsement key",
        rc);
  }
  internal::ScopedFlush key(s.esys);
  GW_RETURN_IF_ERROR(
      internal::load_blob(s, ak, ESYS_TR_PASSWORD, &key, "the attestation key (AK)"));
  // The EK's policy: PolicySecret(TPM_RH_ENDORSEMENT), in a session salted
  // with the storage primary that also encrypts the returned secret.
  internal::ScopedFlush policy(s.esys);
  GW_RETURN_IF_ERROR(internal::start_session(s, TPM2_SE_POLICY, &policy));
  TPM2B_NONCE nonce_tpm{};
  TPM2B_DIGEST cp_hash{};
  TPM2B_NONCE policy_ref{};
  rc = Esys_PolicySecret(s.esys, ESYS_TR_RH_ENDORSEMENT, policy.get(), ESYS_TR_PASSWORD,
                         ESYS_TR_NONE, ESYS_TR_NONE, &nonce_tpm, &cp_hash, &policy_ref, 0, nullptr,
                         nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    const Status failed =
        internal::failure(s, "PolicySecret(endorsement) for the endorsement key", rc);
    std::string msg = failed.message();
    const TSS2_RC base = internal::base_rc(rc);
    if (base == TPM2_RC_BAD_AUTH || base == TPM2_RC_AUTH_FAIL) {
      msg += "; the endorsement hierarchy has a password, which is not supported";
    }
    return Status(failed.code(), msg);
  }
  GW_RETURN_IF_ERROR(internal::set_session_attributes(
      s, policy.get(), TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION));
  TPM2B_DIGEST* secret_raw = nullptr;
  // The AK is authorized in the ADMIN role by its (empty) auth value, the EK
  // in the USER role by the policy session.
  rc = Esys_ActivateCredential(s.esys, key.get(), ek.get(), ESYS_TR_PASSWORD, policy.get(),
                               ESYS_TR_NONE, &cred.id_object, &cred.secret, &secret_raw);
  EsysPtr<TPM2B_DIGEST> secret(secret_raw);
  if (rc != TSS2_RC_SUCCESS) {
    const Status failed = internal::failure(s, "TPM2_ActivateCredential", rc);
    std::string msg = failed.message();
    const TSS2_RC base = internal::base_rc(rc);
    if (base == TPM2_RC_INTEGRITY || base == TPM2_RC_VALUE || base == TPM2_RC_SIZE ||
        base == TPM2_RC_ECC_POINT || base == TPM2_RC_NO_RESULT) {
      msg += "; the credential was not made for this TPM's " + std::string(ecc ? "ECC" : "RSA") +
             " endorsement key and this attestation key's name: make it again with this "
             "appliance's ek.pub and ak.name";
    }
    return Status(failed.code(), msg);
  }
  return std::vector<uint8_t>(secret->buffer, secret->buffer + secret->size);
}

}  // namespace gw::tpm
