// TPM2_Quote with the AK, and the qualifying data that binds it to the
// appliance.
#include "tpm/attest/quote.h"

#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include <algorithm>

#include "tpm/attest/attest_internal.h"
#include "tpm/core/tpm_internal.h"

namespace gw::tpm {

namespace {

// One TPM2_Quote: message and marshaled signature.
Status quote_once(Tpm& tpm, const KeyBlob& ak, const TPML_PCR_SELECTION& pcrs,
                  std::span<const uint8_t> qualifying_data, Quote* out, TPMI_ALG_HASH* hash_alg) {
  internal::TpmState& s = internal::state(tpm);
  std::lock_guard<std::mutex> lock(s.mu);
  // Nothing secret crosses the bus (a nonce digest in, a signed statement
  // out), so the AK's empty auth goes as a plain password: Load, Quote, Flush.
  internal::ScopedFlush key(s.esys);
  GW_RETURN_IF_ERROR(
      internal::load_blob(s, ak, ESYS_TR_PASSWORD, &key, "the attestation key (AK)"));
  TPM2B_DATA extra{};
  extra.size = static_cast<UINT16>(qualifying_data.size());
  std::copy(qualifying_data.begin(), qualifying_data.end(), extra.buffer);
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_NULL;  // the AK's own scheme (ECDSA/SHA-256)
  TPM2B_ATTEST* quoted_raw = nullptr;
  TPMT_SIGNATURE* sig_raw = nullptr;
  TSS2_RC rc = Esys_Quote(s.esys, key.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &extra,
                          &scheme, &pcrs, &quoted_raw, &sig_raw);
  internal::EsysPtr<TPM2B_ATTEST> quoted(quoted_raw);
  internal::EsysPtr<TPMT_SIGNATURE> sig(sig_raw);
  if (rc != TSS2_RC_SUCCESS) {
    const Status failed = internal::failure(s, "TPM2_Quote", rc);
    std::string msg = failed.message();
    if (internal::base_rc(rc) == TPM2_RC_KEY || internal::base_rc(rc) == TPM2_RC_ATTRIBUTES ||
        internal::base_rc(rc) == TPM2_RC_SCHEME) {
      msg += "; the key given is not a signing key that can quote (use the AK)";
    }
    return Status(failed.code(), msg);
  }
  out->message.assign(quoted->attestationData, quoted->attestationData + quoted->size);
  out->signature.assign(sizeof(TPMT_SIGNATURE), 0);
  size_t offset = 0;
  if (Tss2_MU_TPMT_SIGNATURE_Marshal(sig.get(), out->signature.data(), out->signature.size(),
                                     &offset) != TSS2_RC_SUCCESS) {
    return failed_precondition_error("marshaling the quote's signature failed");
  }
  out->signature.resize(offset);
  switch (sig->sigAlg) {
    case TPM2_ALG_ECDSA:
      *hash_alg = sig->signature.ecdsa.hash;
      break;
    case TPM2_ALG_RSASSA:
    case TPM2_ALG_RSAPSS:
      *hash_alg = sig->signature.rsassa.hash;
      break;
    default:
      return failed_precondition_error(
          "the key signed the quote with an unsupported scheme (use the ECDSA AK)");
  }
  return ok_status();
}

}  // namespace

Result<Quote> quote(Tpm& tpm, const KeyBlob& ak, const PcrSelection& selection,
                    std::span<const uint8_t> qualifying_data) {
  if (qualifying_data.size() > 64) {
    return failed_precondition_error(
        "qualifying data for a quote is at most 64 bytes (pass a SHA-256 of the nonce and "
        "identity), got " +
        std::to_string(qualifying_data.size()));
  }
  // Only a restricted signing key makes a quote worth anything: an
  // unrestricted one would sign a forged TPMS_ATTEST as readily.
  TPM2B_PUBLIC pub;
  GW_RETURN_IF_ERROR(internal::unmarshal_public(ak, &pub));
  const TPMA_OBJECT attrs = pub.publicArea.objectAttributes;
  if (pub.publicArea.type != TPM2_ALG_ECC || !(attrs & TPMA_OBJECT_SIGN_ENCRYPT) ||
      !(attrs & TPMA_OBJECT_RESTRICTED) || (attrs & TPMA_OBJECT_DECRYPT)) {
    return failed_precondition_error(
        "quotes are made with the restricted ECC attestation key (AK), but this blob is " +
        internal::describe_object(pub.publicArea));
  }
  Quote q;
  q.selection = selection;
  std::sort(q.selection.pcrs.begin(), q.selection.pcrs.end());
  q.selection.pcrs.erase(std::unique(q.selection.pcrs.begin(), q.selection.pcrs.end()),
                         q.selection.pcrs.end());
  if (q.selection.pcrs.empty()) {
    return failed_precondition_error(
        "a quote needs at least one PCR in its selection (e.g. sha256:0,1,2,3,7)");
  }
  TPML_PCR_SELECTION tpml;
  GW_RETURN_IF_ERROR(internal::to_tpml(q.selection, &tpml));

  constexpr int kAttempts = 3;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    TPMI_ALG_HASH hash_alg = TPM2_ALG_NULL;
    GW_RETURN_IF_ERROR(quote_once(tpm, ak, tpml, qualifying_data, &q, &hash_alg));
    // Read after the quote, outside its lock (read_pcrs takes it): a PCR
    // extended in between makes the digest check below fail, and we go again.
    auto values = tpm.read_pcrs(q.selection);
    if (!values.ok()) return values.error();
    q.pcr_values = std::move(*values);
    bool pcrs_changed = false;
    auto mismatch = attest::check_quote_message(q.message, q.selection, q.pcr_values,
                                                qualifying_data, hash_alg, &pcrs_changed);
    if (mismatch.ok()) {
      q.pcrs_file = pcrs_file_bytes(q.selection, q.pcr_values);
      return q;
    }
    if (!pcrs_changed) {
      return internal_error("the TPM's quote does not check out: " + mismatch.message());
    }
  }
  return unavailable_error("PCRs " + internal::describe(q.selection) +
                           " changed between the quote and reading them, in each of " +
                           std::to_string(kAttempts) +
                           " attempts: something is extending them; try again");
}

std::array<uint8_t, 32> appliance_qualifying_data(std::span<const uint8_t> nonce,
                                                  std::span<const uint8_t, 20> ledger_address,
                                                  std::span<const uint8_t> tls_public_key_der) {
  std::array<uint8_t, 32> out{};
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
      EVP_DigestUpdate(ctx, nonce.data(), nonce.size()) == 1 &&
      EVP_DigestUpdate(ctx, ledger_address.data(), ledger_address.size()) == 1 &&
      EVP_DigestUpdate(ctx, tls_public_key_der.data(), tls_public_key_der.size()) == 1) {
    EVP_DigestFinal_ex(ctx, out.data(), &len);
  }
  EVP_MD_CTX_free(ctx);
  return out;
}

}  // namespace gw::tpm
