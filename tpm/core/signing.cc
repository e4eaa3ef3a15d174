// ECC P-256 signing keys (the AK for quotes, the batch-root key), signatures,
// and the offline views of a blob (public key PEM, TPM name).
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>

#include "tpm/core/tpm.h"
#include "tpm/core/tpm_internal.h"

namespace gw::tpm {

using internal::EsysPtr;
using internal::failure;
using internal::ScopedFlush;

namespace {

bool is_p256_signing_key(const TPMT_PUBLIC& pub) {
  return pub.type == TPM2_ALG_ECC && (pub.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT) &&
         !(pub.objectAttributes & TPMA_OBJECT_DECRYPT) &&
         pub.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256;
}

// Left-pads a big-endian TPM2B_ECC_PARAMETER to 32 bytes; false if longer.
bool to_32(const TPM2B_ECC_PARAMETER& p, std::array<uint8_t, 32>* out) {
  if (p.size > 32) return false;
  out->fill(0);
  std::copy(p.buffer, p.buffer + p.size, out->begin() + (32 - p.size));
  return true;
}

std::vector<uint8_t> der_signature(const std::array<uint8_t, 32>& r,
                                   const std::array<uint8_t, 32>& s) {
  std::vector<uint8_t> out;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* br = BN_bin2bn(r.data(), 32, nullptr);
  BIGNUM* bs = BN_bin2bn(s.data(), 32, nullptr);
  if (sig != nullptr && br != nullptr && bs != nullptr && ECDSA_SIG_set0(sig, br, bs) == 1) {
    br = bs = nullptr;  // owned by sig now
    int len = i2d_ECDSA_SIG(sig, nullptr);
    if (len > 0) {
      out.resize(static_cast<size_t>(len));
      unsigned char* p = out.data();
      i2d_ECDSA_SIG(sig, &p);
    }
  }
  BN_free(br);
  BN_free(bs);
  ECDSA_SIG_free(sig);
  return out;
}

}  // namespace

Result<KeyBlob> Tpm::create_signing_key(SigningKind kind) {
  TPM2B_PUBLIC templ{};
  TPMT_PUBLIC& p = templ.publicArea;
  p.type = TPM2_ALG_ECC;
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                       TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                       TPMA_OBJECT_NODA | TPMA_OBJECT_SIGN_ENCRYPT;
  // Restricted: the TPM signs with it only data it generated itself (quotes,
  // certifications) or digests it hashed and found not to mimic those.
  if (kind == SigningKind::kAttestation) p.objectAttributes |= TPMA_OBJECT_RESTRICTED;
  TPMS_ECC_PARMS& ecc = p.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_NULL;
  ecc.scheme.scheme = TPM2_ALG_ECDSA;
  ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  TPM2B_SENSITIVE_CREATE sensitive{};
  internal::TpmState& s = internal::state(*this);
  std::lock_guard<std::mutex> lock(s.mu);
  return internal::create_under_primary(
      s, sensitive, templ,
      kind == SigningKind::kAttestation ? "the attestation key (AK)" : "the signing key");
}

Result<Tpm::Signature> Tpm::sign_digest(const KeyBlob& key, std::span<const uint8_t, 32> digest) {
  TPM2B_PUBLIC pub;
  GW_RETURN_IF_ERROR(internal::unmarshal_public(key, &pub));
  if (!is_p256_signing_key(pub.publicArea)) {
    return invalid_argument_error(
        "sign_digest needs an ECC P-256 signing key blob, but this one is " +
        internal::describe_object(pub.publicArea));
  }
  if (pub.publicArea.objectAttributes & TPMA_OBJECT_RESTRICTED) {
    return invalid_argument_error(
        "this is a restricted attestation key (AK): it signs only TPM-generated data such "
        "as quotes; sign batch roots with a general signing key");
  }
  internal::TpmState& s = internal::state(*this);
  std::lock_guard<std::mutex> lock(s.mu);
  // Nothing secret crosses the bus here (a digest in, a signature out), so
  // plain password authorization (the key's auth is empty) saves a session:
  // Load, Sign, FlushContext.
  ScopedFlush object(s.esys);
  GW_RETURN_IF_ERROR(internal::load_blob(s, key, ESYS_TR_PASSWORD, &object, "the signing key"));
  TPM2B_DIGEST in{};
  in.size = 32;
  std::copy(digest.begin(), digest.end(), in.buffer);
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_ECDSA;
  scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  TPMT_TK_HASHCHECK no_ticket{};
  no_ticket.tag = TPM2_ST_HASHCHECK;
  no_ticket.hierarchy = TPM2_RH_NULL;
  TPMT_SIGNATURE* raw = nullptr;
  TSS2_RC rc = Esys_Sign(s.esys, object.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &in,
                         &scheme, &no_ticket, &raw);
  EsysPtr<TPMT_SIGNATURE> sig(raw);
  if (rc != TSS2_RC_SUCCESS) {
    return failure(s, "TPM2_Sign", rc);
  }
  Signature out;
  if (sig->sigAlg != TPM2_ALG_ECDSA || !to_32(sig->signature.ecdsa.signatureR, &out.r) ||
      !to_32(sig->signature.ecdsa.signatureS, &out.s)) {
    return internal_error("TPM2_Sign returned an unexpected signature format");
  }
  out.der = der_signature(out.r, out.s);
  if (out.der.empty()) {
    return internal_error("encoding the signature as DER failed");
  }
  return out;
}

Result<std::string> Tpm::public_key_pem(const KeyBlob& key) {
  TPM2B_PUBLIC pub;
  GW_RETURN_IF_ERROR(internal::unmarshal_public(key, &pub));
  const TPMT_PUBLIC& p = pub.publicArea;
  if (p.type != TPM2_ALG_ECC || p.parameters.eccDetail.curveID != TPM2_ECC_NIST_P256 ||
      p.unique.ecc.x.size > 32 || p.unique.ecc.y.size > 32) {
    return invalid_argument_error("public_key_pem supports ECC P-256 keys; this blob is " +
                                  internal::describe_object(p));
  }
  std::array<uint8_t, 65> point{};
  point[0] = 0x04;  // uncompressed
  std::array<uint8_t, 32> x, y;
  to_32(p.unique.ecc.x, &x);
  to_32(p.unique.ecc.y, &y);
  std::copy(x.begin(), x.end(), point.begin() + 1);
  std::copy(y.begin(), y.end(), point.begin() + 33);

  std::optional<std::string> pem;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM* params = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* pkey = nullptr;
  BIO* bio = BIO_new(BIO_s_mem());
  if (bld != nullptr && ctx != nullptr && bio != nullptr &&
      OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) ==
          1 &&
      (params = OSSL_PARAM_BLD_to_param(bld)) != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
      EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1 &&
      PEM_write_bio_PUBKEY(bio, pkey) == 1) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    pem = std::string(data, static_cast<size_t>(len));
  }
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  if (!pem) return invalid_argument_error("the blob's ECC public key is not a valid P-256 point");
  return *pem;
}

Result<std::vector<uint8_t>> Tpm::object_name(const KeyBlob& key) {
  TPM2B_PUBLIC pub;
  GW_RETURN_IF_ERROR(internal::unmarshal_public(key, &pub));
  std::vector<uint8_t> name = internal::compute_name(pub.publicArea);
  if (name.empty()) {
    return invalid_argument_error("the blob's name algorithm is not supported");
  }
  return name;
}

}  // namespace gw::tpm
