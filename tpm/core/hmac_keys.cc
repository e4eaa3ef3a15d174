// Keyed-hash HMAC-SHA-256 objects: the tokenization root and the imported
// consortium key. Their key bytes exist outside the TPM only in the caller's
// buffer at import; the HMAC input (which may be an identifier) and output
// cross the bus encrypted.
#include <openssl/evp.h>
#include <string.h>

#include <algorithm>

#include "tpm/core/tpm.h"
#include "tpm/core/tpm_internal.h"

namespace gw::tpm {

using internal::EsysPtr;
using internal::failure;
using internal::ScopedFlush;

namespace {

// The TPM refuses HMAC keys longer than the hash's block size (TPM_RC_SIZE).
// RFC 2104 replaces such a key with its hash, so importing SHA-256(key)
// gives the very same HMAC; longer keys are imported that way.
constexpr size_t kBlockSize = 64;
constexpr size_t kMaxImportedKey = 1024;
constexpr size_t kChunk = TPM2_MAX_DIGEST_BUFFER;

// Zeroes a TPM2B_MAX_BUFFER (it may hold an identifier) when it goes away.
struct WipedBuffer {
  TPM2B_MAX_BUFFER b{};
  ~WipedBuffer() { explicit_bzero(&b, sizeof b); }
  void assign(std::span<const uint8_t> bytes) {
    b.size = static_cast<UINT16>(bytes.size());
    std::copy(bytes.begin(), bytes.end(), b.buffer);
  }
};

bool is_hmac_key(const TPMT_PUBLIC& pub) {
  return pub.type == TPM2_ALG_KEYEDHASH && (pub.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT) &&
         pub.parameters.keyedHashDetail.scheme.scheme == TPM2_ALG_HMAC &&
         pub.parameters.keyedHashDetail.scheme.details.hmac.hashAlg == TPM2_ALG_SHA256;
}

}  // namespace

Result<KeyBlob> Tpm::create_hmac_key(std::span<const uint8_t> key) {
  if (key.size() > kMaxImportedKey) {
    return invalid_argument_error("an imported HMAC key may be at most " +
                                  std::to_string(kMaxImportedKey) + " bytes (this one has " +
                                  std::to_string(key.size()) + ")");
  }
  TPM2B_PUBLIC templ{};
  TPMT_PUBLIC& p = templ.publicArea;
  p.type = TPM2_ALG_KEYEDHASH;
  p.nameAlg = TPM2_ALG_SHA256;
  // noDA: the object has an empty auth value, so dictionary-attack counting
  // protects nothing and a failed HMAC check must not lock the TPM out.
  p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_USERWITHAUTH |
                       TPMA_OBJECT_NODA | TPMA_OBJECT_SIGN_ENCRYPT;
  if (key.empty()) p.objectAttributes |= TPMA_OBJECT_SENSITIVEDATAORIGIN;
  p.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_HMAC;
  p.parameters.keyedHashDetail.scheme.details.hmac.hashAlg = TPM2_ALG_SHA256;

  TPM2B_SENSITIVE_CREATE sensitive{};
  if (key.size() > kBlockSize) {
    unsigned int len = 0;
    if (EVP_Digest(key.data(), key.size(), sensitive.sensitive.data.buffer, &len, EVP_sha256(),
                   nullptr) != 1) {
      return internal_error("hashing the long HMAC key failed");
    }
    sensitive.sensitive.data.size = static_cast<UINT16>(len);
  } else {
    sensitive.sensitive.data.size = static_cast<UINT16>(key.size());
    std::copy(key.begin(), key.end(), sensitive.sensitive.data.buffer);
  }

  internal::TpmState& s = internal::state(*this);
  Result<KeyBlob> blob = internal_error("not created");
  {
    std::lock_guard<std::mutex> lock(s.mu);
    blob = internal::create_under_primary(
        s, sensitive, templ, key.empty() ? "a TPM-generated HMAC key" : "the imported HMAC key");
  }
  explicit_bzero(&sensitive, sizeof sensitive);
  return blob;
}

Result<std::array<uint8_t, 32>> Tpm::hmac(const KeyBlob& key, std::span<const uint8_t> data) {
  TPM2B_PUBLIC pub;
  GW_RETURN_IF_ERROR(internal::unmarshal_public(key, &pub));
  if (!is_hmac_key(pub.publicArea)) {
    return invalid_argument_error("hmac needs an HMAC-SHA-256 key blob, but this one is " +
                                  internal::describe_object(pub.publicArea));
  }
  internal::TpmState& s = internal::state(*this);
  std::lock_guard<std::mutex> lock(s.mu);
  ScopedFlush session(s.esys);
  GW_RETURN_IF_ERROR(internal::start_session(s, TPM2_SE_HMAC, &session));
  GW_RETURN_IF_ERROR(
      internal::set_session_attributes(s, session.get(), TPMA_SESSION_CONTINUESESSION));
  ScopedFlush object(s.esys);
  GW_RETURN_IF_ERROR(internal::load_blob(s, key, session.get(), &object, "the HMAC key"));
  // DECRYPT: the data goes to the TPM encrypted; ENCRYPT: the HMAC comes back
  // encrypted.
  const TPMA_SESSION crypt =
      TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION;
  WipedBuffer buf;
  TPM2B_DIGEST* raw = nullptr;
  TSS2_RC rc;
  if (data.size() <= kChunk) {
    buf.assign(data);
    GW_RETURN_IF_ERROR(internal::set_session_attributes(s, session.get(), crypt));
    rc = Esys_HMAC(s.esys, object.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE, &buf.b,
                   TPM2_ALG_SHA256, &raw);
  } else {
    // Longer data: HMAC_Start, SequenceUpdate per 1024-byte chunk, SequenceComplete.
    TPM2B_AUTH seq_auth{};
    ScopedFlush sequence(s.esys);
    rc = Esys_HMAC_Start(s.esys, object.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE, &seq_auth,
                         TPM2_ALG_SHA256, sequence.out());
    if (rc != TSS2_RC_SUCCESS) {
      return failure(s, "starting an HMAC sequence", rc);
    }
    size_t at = 0;
    while (data.size() - at > kChunk) {
      buf.assign(data.subspan(at, kChunk));
      at += kChunk;
      GW_RETURN_IF_ERROR(internal::set_session_attributes(
          s, session.get(), TPMA_SESSION_DECRYPT | TPMA_SESSION_CONTINUESESSION));
      rc = Esys_SequenceUpdate(s.esys, sequence.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE,
                               &buf.b);
      if (rc != TSS2_RC_SUCCESS) {
        return failure(s, "HMAC sequence update", rc);
      }
    }
    buf.assign(data.subspan(at));
    GW_RETURN_IF_ERROR(internal::set_session_attributes(s, session.get(), crypt));
    TPMT_TK_HASHCHECK* ticket = nullptr;
    rc = Esys_SequenceComplete(s.esys, sequence.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE,
                               &buf.b, ESYS_TR_RH_NULL, &raw, &ticket);
    EsysPtr<TPMT_TK_HASHCHECK> ticket_owner(ticket);
    if (rc == TSS2_RC_SUCCESS) sequence.release();  // SequenceComplete flushed it
  }
  EsysPtr<TPM2B_DIGEST> out(raw);
  if (rc != TSS2_RC_SUCCESS) {
    return failure(s, "TPM2_HMAC", rc);
  }
  if (out->size != 32) {
    return internal_error("TPM2_HMAC returned " + std::to_string(out->size) +
                          " bytes, expected 32");
  }
  std::array<uint8_t, 32> mac;
  std::copy(out->buffer, out->buffer + 32, mac.begin());
  return mac;
}

}  // namespace gw::tpm
