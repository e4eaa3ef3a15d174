// The endorsement key from the TCG default templates, and its certificate
// from NV.
#include "tpm/attest/endorsement.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include <algorithm>

#include "tpm/attest/attest_internal.h"
#include "tpm/core/tpm_internal.h"

namespace gw::tpm {

using internal::EsysPtr;
using internal::failure;
using internal::hex32;

namespace attest {

TPM2B_PUBLIC ek_template(bool ecc) {
  // PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256: whoever knows the
  // endorsement hierarchy's auth (empty on almost every machine) may use it.
  static const uint8_t kPolicy[32] = {0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8,
                                      0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
                                      0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64,
                                      0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};
  TPM2B_PUBLIC t{};
  TPMT_PUBLIC& p = t.publicArea;
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                       TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
                       TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
  p.authPolicy.size = sizeof kPolicy;
  std::copy(std::begin(kPolicy), std::end(kPolicy), p.authPolicy.buffer);
  internal::set_storage_key_parameters(ecc, &p);
  return t;
}

TSS2_RC create_ek(internal::TpmState& s, bool ecc, internal::ScopedFlush* ek,
                  EsysPtr<TPM2B_PUBLIC>* pub) {
  TPM2B_PUBLIC templ = ek_template(ecc);
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_DATA outside_info{};
  TPML_PCR_SELECTION creation_pcrs{};
  TPM2B_PUBLIC* pub_raw = nullptr;
  TPM2B_CREATION_DATA* cd = nullptr;
  TPM2B_DIGEST* ch = nullptr;
  TPMT_TK_CREATION* ct = nullptr;
  // Nothing secret goes in (empty sensitive data) or out (a public area).
  TSS2_RC rc = Esys_CreatePrimary(s.esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                  ESYS_TR_NONE, &sensitive, &templ, &outside_info, &creation_pcrs,
                                  ek->out(), &pub_raw, &cd, &ch, &ct);
  pub->reset(pub_raw);
  EsysPtr<TPM2B_CREATION_DATA> cd_owner(cd);
  EsysPtr<TPM2B_DIGEST> ch_owner(ch);
  EsysPtr<TPMT_TK_CREATION> ct_owner(ct);
  return rc;
}

Result<std::string> public_key_pem(const TPMT_PUBLIC& pub) {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  std::vector<uint8_t> point;
  const char* type = nullptr;
  bool built = bld != nullptr;
  if (built && pub.type == TPM2_ALG_ECC && pub.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256 &&
      pub.unique.ecc.x.size <= 32 && pub.unique.ecc.y.size <= 32) {
    type = "EC";
    point.assign(65, 0);
    point[0] = 0x04;  // uncompressed; coordinates left-padded to 32 bytes
    std::copy_n(pub.unique.ecc.x.buffer, pub.unique.ecc.x.size,
                point.begin() + 1 + (32 - pub.unique.ecc.x.size));
    std::copy_n(pub.unique.ecc.y.buffer, pub.unique.ecc.y.size,
                point.begin() + 33 + (32 - pub.unique.ecc.y.size));
    built =
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) == 1;
  } else if (built && pub.type == TPM2_ALG_RSA) {
    type = "RSA";
    const uint32_t exponent = pub.parameters.rsaDetail.exponent == 0
                                  ? 65537  // 0 means the default, 2^16 + 1
                                  : pub.parameters.rsaDetail.exponent;
    n = BN_bin2bn(pub.unique.rsa.buffer, pub.unique.rsa.size, nullptr);
    e = BN_new();
    built = n != nullptr && e != nullptr && BN_set_word(e, exponent) == 1 &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1;
  } else {
    built = false;
  }
  std::optional<std::string> pem;
  OSSL_PARAM* params = built ? OSSL_PARAM_BLD_to_param(bld) : nullptr;
  EVP_PKEY_CTX* ctx =
      params != nullptr ? EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr) : nullptr;
  EVP_PKEY* pkey = nullptr;
  BIO* bio = BIO_new(BIO_s_mem());
  if (ctx != nullptr && bio != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
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
  if (!pem) {
    return invalid_argument_error("the public key is not a valid ECC P-256 or RSA key (" +
                                  internal::describe_object(pub) + ")");
  }
  BN_free(n);
  BN_free(e);
  return *pem;
}

}  // namespace attest

namespace {

constexpr uint32_t kRsaCertIndex = 0x01c00002;
constexpr uint32_t kEccCertIndex = 0x01c0000a;

bool supports_p256(internal::TpmState& s) {
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TSS2_RC rc = Esys_GetCapability(s.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                  TPM2_CAP_ECC_CURVES, TPM2_ECC_NIST_P256, 1, &more, &raw);
  EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
  return rc == TSS2_RC_SUCCESS && data->data.eccCurves.count >= 1 &&
         data->data.eccCurves.eccCurves[0] == TPM2_ECC_NIST_P256;
}

// Which of the two EK certificate indices are defined.
Status defined_cert_indices(internal::TpmState& s, bool* rsa, bool* ecc) {
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TSS2_RC rc = Esys_GetCapability(s.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                  TPM2_CAP_HANDLES, kRsaCertIndex, 16, &more, &raw);
  EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
  if (rc != TSS2_RC_SUCCESS) {
    return failure(s, "listing the TPM's NV indices", rc);
  }
  *rsa = *ecc = false;
  for (UINT32 i = 0; i < data->data.handles.count; ++i) {
    *rsa |= data->data.handles.handle[i] == kRsaCertIndex;
    *ecc |= data->data.handles.handle[i] == kEccCertIndex;
  }
  return ok_status();
}

// Drops what follows the DER certificate: NV indices are often defined
// larger than the certificate and padded.
bool trim_der(std::vector<uint8_t>* der) {
  if (der->size() < 2 || (*der)[0] != 0x30) return false;
  size_t len = (*der)[1], header = 2;
  if (len & 0x80) {
    const size_t n = len & 0x7f;
    if (n == 0 || n > 3 || der->size() < 2 + n) return false;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | (*der)[2 + i];
    header += n;
  }
  if (header + len > der->size()) return false;
  der->resize(header + len);
  return true;
}

// The certificate in NV index `index` (defined), or an empty vector if it was
// never written.
Status read_certificate(internal::TpmState& s, uint32_t index, std::vector<uint8_t>* out) {
  const std::string where = "the EK certificate in NV index " + hex32(index);
  ESYS_TR nv = ESYS_TR_NONE;
  TSS2_RC rc = Esys_TR_FromTPMPublic(s.esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
  if (rc != TSS2_RC_SUCCESS) {
    return failure(s, "looking up " + where, rc);
  }
  TPM2B_NV_PUBLIC* pub_raw = nullptr;
  rc = Esys_NV_ReadPublic(s.esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub_raw, nullptr);
  EsysPtr<TPM2B_NV_PUBLIC> pub(pub_raw);
  if (rc != TSS2_RC_SUCCESS) {
    Esys_TR_Close(s.esys, &nv);
    return failure(s, "reading the attributes of " + where, rc);
  }
  const TPMA_NV attrs = pub->nvPublic.attributes;
  out->clear();
  if (!(attrs & TPMA_NV_WRITTEN)) {
    Esys_TR_Close(s.esys, &nv);
    return ok_status();
  }
  // The TCG profile sets AUTHREAD and OWNERREAD, both with an empty auth.
  const ESYS_TR auth = (attrs & TPMA_NV_AUTHREAD) ? nv : ESYS_TR_RH_OWNER;
  const UINT16 size = pub->nvPublic.dataSize;
  constexpr UINT16 kChunk = 512;  // below every TPM's TPM_PT_NV_BUFFER_MAX
  for (UINT16 offset = 0; offset < size;) {
    const UINT16 n = std::min<UINT16>(kChunk, size - offset);
    TPM2B_MAX_NV_BUFFER* data_raw = nullptr;
    rc = Esys_NV_Read(s.esys, auth, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, n, offset,
                      &data_raw);
    EsysPtr<TPM2B_MAX_NV_BUFFER> data(data_raw);
    if (rc != TSS2_RC_SUCCESS || data->size == 0) {
      Esys_TR_Close(s.esys, &nv);
      return rc != TSS2_RC_SUCCESS ? failure(s, "reading " + where, rc)
                                   : unavailable_error("reading " + where + " returned no data");
    }
    out->insert(out->end(), data->buffer, data->buffer + data->size);
    offset = static_cast<UINT16>(offset + data->size);
  }
  Esys_TR_Close(s.esys, &nv);
  if (!trim_der(out)) {
    return data_loss_error(where + " is not a DER certificate");
  }
  return ok_status();
}

// Whether a DER certificate certifies the public key `pem`.
bool certificate_matches(const std::vector<uint8_t>& der, const std::string& pem) {
  const unsigned char* p = der.data();
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = bio != nullptr ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  const bool match =
      cert != nullptr && key != nullptr && EVP_PKEY_eq(X509_get0_pubkey(cert), key) == 1;
  EVP_PKEY_free(key);
  BIO_free(bio);
  X509_free(cert);
  return match;
}

}  // namespace

Result<EndorsementKey> endorsement_key(Tpm& tpm, EkAlgorithm algorithm) {
  internal::TpmState& s = internal::state(tpm);
  std::lock_guard<std::mutex> lock(s.mu);
  bool rsa_cert = false, ecc_cert = false;
  GW_RETURN_IF_ERROR(defined_cert_indices(s, &rsa_cert, &ecc_cert));
  bool ecc = algorithm == EkAlgorithm::kEcc;
  if (algorithm == EkAlgorithm::kAuto) ecc = supports_p256(s) && (ecc_cert || !rsa_cert);

  internal::ScopedFlush ek(s.esys);
  EsysPtr<TPM2B_PUBLIC> pub;
  TSS2_RC rc = attest::create_ek(s, ecc, &ek, &pub);
  const std::string what = ecc ? "ECC P-256" : "RSA-2048";
  if (rc != TSS2_RC_SUCCESS) {
    const Status failed = internal::failure(s, "creating the " + what + " endorsement key", rc);
    std::string msg = failed.message();
    const TSS2_RC base = internal::base_rc(rc);
    if (base == TPM2_RC_BAD_AUTH || base == TPM2_RC_AUTH_FAIL) {
      msg +=
          "; the endorsement hierarchy has a password, which is not supported: clear it "
          "(tpm2_changeauth -c endorsement -p OLD)";
    } else if (base == TPM2_RC_HIERARCHY) {
      msg += "; the endorsement hierarchy is disabled (enable it in the firmware's TPM settings)";
    } else if (base == TPM2_RC_CURVE || base == TPM2_RC_VALUE || base == TPM2_RC_KEY_SIZE) {
      msg += "; this TPM does not support that algorithm";
    }
    return Status(failed.code(), msg);
  }

  EndorsementKey out;
  out.algorithm = internal::algorithm_name(pub->publicArea);
  out.name = internal::compute_name(pub->publicArea);
  out.public_area.assign(sizeof(TPM2B_PUBLIC), 0);
  size_t offset = 0;
  if (out.name.empty() ||
      Tss2_MU_TPM2B_PUBLIC_Marshal(pub.get(), out.public_area.data(), out.public_area.size(),
                                   &offset) != TSS2_RC_SUCCESS) {
    return failed_precondition_error("marshaling the endorsement key's public area failed");
  }
  out.public_area.resize(offset);
  auto pem = attest::public_key_pem(pub->publicArea);
  if (!pem.ok()) return pem.error();
  out.public_pem = std::move(*pem);

  const uint32_t index = ecc ? kEccCertIndex : kRsaCertIndex;
  if (ecc ? ecc_cert : rsa_cert) {
    GW_RETURN_IF_ERROR(read_certificate(s, index, &out.certificate));
    if (!out.certificate.empty() && !certificate_matches(out.certificate, out.public_pem)) {
      return failed_precondition_error(
          "the EK certificate in NV index " + hex32(index) +
          " is for another key than the TCG default " + what +
          " template gives: this TPM provisions its EK from a template or nonce in NV "
          "(indices 0x01c00003/4 or 0x01c0000b/c), which is not supported; inspect it with "
          "`tpm2_getekcertificate` and `tpm2_createek`");
    }
  }
  return out;
}

Status write_endorsement_files(const EndorsementKey& ek, const std::string& dir) {
  GW_RETURN_IF_ERROR(attest::make_dir(dir));
  auto bytes = [](const std::string& s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  const std::string name_hex = attest::to_hex(ek.name);
  const std::string d = dir + "/";
  GW_RETURN_IF_ERROR(attest::write_file(d + "ek.pub", ek.public_area));
  GW_RETURN_IF_ERROR(attest::write_file(d + "ek.pub.pem", bytes(ek.public_pem)));
  GW_RETURN_IF_ERROR(attest::write_file(d + "ek.name", ek.name));
  GW_RETURN_IF_ERROR(attest::write_file(d + "ek.name.hex", bytes(name_hex)));
  return ek.certificate.empty() ? attest::remove_file(d + "ek.cert.der")
                                : attest::write_file(d + "ek.cert.der", ek.certificate);
}

}  // namespace gw::tpm
