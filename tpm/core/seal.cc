// Sealed data objects (the record key, the ledger account key), optionally
// bound to PCR values with PolicyPCR.
#include <string.h>

#include <algorithm>

#include "tpm/core/tpm.h"
#include "tpm/core/tpm_internal.h"

namespace gw::tpm {

using internal::base_rc;
using internal::EsysPtr;
using internal::failure;
using internal::ScopedFlush;

namespace {

constexpr size_t kMaxSealed = 128;  // the TPM's MAX_SYM_DATA

bool is_sealed_data(const TPMT_PUBLIC& pub) {
  const TPMA_OBJECT a = pub.objectAttributes;
  return pub.type == TPM2_ALG_KEYEDHASH && !(a & TPMA_OBJECT_SIGN_ENCRYPT) &&
         !(a & TPMA_OBJECT_DECRYPT) &&
         pub.parameters.keyedHashDetail.scheme.scheme == TPM2_ALG_NULL;
}

// PolicyPCR over the selection's current values, computed by the TPM in a
// trial session: the authPolicy a sealed object needs.
Status pcr_policy_digest(internal::TpmState& s, const TPML_PCR_SELECTION& pcrs,
                         const PcrSelection& sel, TPM2B_DIGEST* out) {
  ScopedFlush trial(s.esys);
  GW_RETURN_IF_ERROR(internal::start_session(s, TPM2_SE_TRIAL, &trial));
  TPM2B_DIGEST current{};  // empty: the TPM uses the PCRs' current values
  TSS2_RC rc = Esys_PolicyPCR(s.esys, trial.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                              &current, &pcrs);
  if (rc != TSS2_RC_SUCCESS) {
    return failure(s, "computing the PCR policy for " + internal::describe(sel), rc);
  }
  TPM2B_DIGEST* raw = nullptr;
  rc = Esys_PolicyGetDigest(s.esys, trial.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &raw);
  EsysPtr<TPM2B_DIGEST> digest(raw);
  if (rc != TSS2_RC_SUCCESS) {
    return failure(s, "reading the PCR policy digest", rc);
  }
  *out = *digest;
  return ok_status();
}

}  // namespace

Result<KeyBlob> Tpm::seal(std::span<const uint8_t> secret, const PcrSelection& pcrs) {
  if (secret.empty() || secret.size() > kMaxSealed) {
    return invalid_argument_error("a sealed secret must be 1.." + std::to_string(kMaxSealed) +
                                  " bytes (this one has " + std::to_string(secret.size()) + ")");
  }
  TPML_PCR_SELECTION tpml{};
  const bool bound = !pcrs.pcrs.empty();
  if (bound) GW_RETURN_IF_ERROR(internal::to_tpml(pcrs, &tpml));

  TPM2B_PUBLIC templ{};
  TPMT_PUBLIC& p = templ.publicArea;
  p.type = TPM2_ALG_KEYEDHASH;
  p.nameAlg = TPM2_ALG_SHA256;
  // A PCR-bound object has no userWithAuth: only its policy can authorize it.
  // noDA: its auth value is empty, so DA counting would protect nothing.
  p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_NODA;
  if (!bound) p.objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
  p.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;

  internal::TpmState& s = internal::state(*this);
  std::lock_guard<std::mutex> lock(s.mu);
  if (bound) GW_RETURN_IF_ERROR(pcr_policy_digest(s, tpml, pcrs, &p.authPolicy));
  TPM2B_SENSITIVE_CREATE sensitive{};
  sensitive.sensitive.data.size = static_cast<UINT16>(secret.size());
  std::copy(secret.begin(), secret.end(), sensitive.sensitive.data.buffer);
  auto blob = internal::create_under_primary(s, sensitive, templ, "the sealed data object");
  explicit_bzero(&sensitive, sizeof sensitive);
  return blob;
}

Result<std::vector<uint8_t>> Tpm::unseal(const KeyBlob& sealed, const PcrSelection& pcrs) {
  TPM2B_PUBLIC pub;
  GW_RETURN_IF_ERROR(internal::unmarshal_public(sealed, &pub));
  if (!is_sealed_data(pub.publicArea)) {
    return invalid_argument_error("unseal needs a sealed data blob, but this one is " +
                                  internal::describe_object(pub.publicArea));
  }
  const bool bound = pub.publicArea.authPolicy.size > 0;
  if (bound && pcrs.pcrs.empty()) {
    return invalid_argument_error(
        "this secret is sealed to PCR values: unseal needs the PCR selection it was sealed with");
  }
  if (!bound && !pcrs.pcrs.empty()) {
    return invalid_argument_error("this secret is not bound to PCRs, but unseal was given PCRs " +
                                  internal::describe(pcrs) + ": check the configuration");
  }
  TPML_PCR_SELECTION tpml{};
  if (bound) GW_RETURN_IF_ERROR(internal::to_tpml(pcrs, &tpml));

  internal::TpmState& s = internal::state(*this);
  std::lock_guard<std::mutex> lock(s.mu);
  // Unbound: an HMAC session authorizes the object (empty auth). Bound: a
  // policy session satisfied by PolicyPCR. Either is salted and ENCRYPTs the
  // response, so the secret crosses the bus encrypted.
  ScopedFlush session(s.esys);
  GW_RETURN_IF_ERROR(internal::start_session(s, bound ? TPM2_SE_POLICY : TPM2_SE_HMAC, &session));
  ScopedFlush object(s.esys);
  if (bound) {
    // Load needs the parent's (empty) auth; the policy session is only for
    // the sealed object, so Load uses a password session.
    GW_RETURN_IF_ERROR(
        internal::load_blob(s, sealed, ESYS_TR_PASSWORD, &object, "the sealed data object"));
    TPM2B_DIGEST current{};
    TSS2_RC rc = Esys_PolicyPCR(s.esys, session.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                &current, &tpml);
    if (rc != TSS2_RC_SUCCESS) {
      return failure(s, "unseal: PolicyPCR on " + internal::describe(pcrs), rc);
    }
  } else {
    GW_RETURN_IF_ERROR(
        internal::set_session_attributes(s, session.get(), TPMA_SESSION_CONTINUESESSION));
    GW_RETURN_IF_ERROR(
        internal::load_blob(s, sealed, session.get(), &object, "the sealed data object"));
  }
  GW_RETURN_IF_ERROR(internal::set_session_attributes(
      s, session.get(), TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION));
  TPM2B_SENSITIVE_DATA* raw = nullptr;
  TSS2_RC rc = Esys_Unseal(s.esys, object.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE, &raw);
  EsysPtr<TPM2B_SENSITIVE_DATA> data(raw);
  if (rc != TSS2_RC_SUCCESS) {
    const Status failed = failure(s, "unseal", rc);
    std::string msg = failed.message();
    if (bound && (base_rc(rc) == TPM2_RC_POLICY_FAIL || base_rc(rc) == TPM2_RC_PCR_CHANGED)) {
      msg += "; the PCR policy no longer matches: PCRs " + internal::describe(pcrs) +
             " do not hold the values they had when the secret was sealed (changed firmware, "
             "boot chain or configuration). Verify the platform, then seal the secret again";
    }
    return Status(failed.code(), msg);
  }
  return std::vector<uint8_t>(data->buffer, data->buffer + data->size);
}

}  // namespace gw::tpm
