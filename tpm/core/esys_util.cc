// ESYS helpers shared by the files of tpm/: response codes, sessions, the
// primary, creating and loading objects under it.
#include <openssl/evp.h>
#include <string.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <cstdio>

#include "tpm/core/tpm_internal.h"

namespace gw::tpm::internal {

TpmState::~TpmState() {
  if (esys != nullptr) {
    if (primary != ESYS_TR_NONE) Esys_TR_Close(esys, &primary);
    Esys_Finalize(&esys);
  }
  if (loader_tcti != nullptr) Tss2_TctiLdr_Finalize(&loader_tcti);
}

void EsysFree::wipe(void* p, size_t n) { explicit_bzero(p, n); }

ScopedFlush::~ScopedFlush() {
  if (handle_ != ESYS_TR_NONE) Esys_FlushContext(esys_, handle_);
}

std::string hex32(uint32_t value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", value);
  return buf;
}

std::string rc_text(TSS2_RC rc) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%x", rc);
  return std::string(Tss2_RC_Decode(rc)) + " (" + hex + ")";
}

TSS2_RC base_rc(TSS2_RC rc) {
  TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
  if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER) return rc;
  TSS2_RC code = rc & 0xffff;
  if (code & TPM2_RC_FMT1) return code & (TPM2_RC_FMT1 | 0x3f);
  return code;
}

Status failure(const TpmState& s, const std::string& doing, TSS2_RC rc) {
  std::string msg = doing + " failed: " + rc_text(rc);
  TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
  TSS2_RC base = base_rc(rc);
  if (layer == TSS2_TCTI_RC_LAYER) {
    msg += "; lost the connection to the TPM (TCTI '" + s.options.tcti +
           "'): check that the TPM device or swtpm is still there";
  } else if (base == TPM2_RC_LOCKOUT) {
    msg +=
        "; the TPM is in dictionary-attack lockout: wait for it to recover, or reset it with "
        "`tpm2_dictionarylockout -c`";
  } else if (base == TPM2_RC_RETRY || base == TPM2_RC_YIELDED || base == TPM2_RC_TESTING) {
    msg += "; the TPM is busy: try again";
  } else {
    return failed_precondition_error(std::move(msg));
  }
  return unavailable_error(std::move(msg));
}

Result<ESYS_TR> primary(TpmState& s) {
  if (s.primary != ESYS_TR_NONE) return s.primary;
  const std::string where = "the storage primary key at " + hex32(s.options.primary_handle);
  ESYS_TR tr = ESYS_TR_NONE;
  TSS2_RC rc = Esys_TR_FromTPMPublic(s.esys, s.options.primary_handle, ESYS_TR_NONE, ESYS_TR_NONE,
                                     ESYS_TR_NONE, &tr);
  if (rc != TSS2_RC_SUCCESS) {
    if (base_rc(rc) == TPM2_RC_HANDLE) {
      return failed_precondition_error("no storage primary key at " +
                                       hex32(s.options.primary_handle) +
                                       " in the TPM: run `gatewayctl tpm provision` first");
    }
    return failure(s, "looking up " + where, rc);
  }
  TPM2B_PUBLIC* pub_raw = nullptr;
  rc = Esys_ReadPublic(s.esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub_raw, nullptr,
                       nullptr);
  EsysPtr<TPM2B_PUBLIC> pub(pub_raw);
  if (rc != TSS2_RC_SUCCESS) {
    Esys_TR_Close(s.esys, &tr);
    return failure(s, "reading " + where, rc);
  }
  if (Status st = acceptable_primary(s, pub->publicArea); !st.ok()) {
    Esys_TR_Close(s.esys, &tr);
    return st;
  }
  s.primary = tr;
  return tr;
}

Status acceptable_primary(const TpmState& s, const TPMT_PUBLIC& pub) {
  if (!is_storage_key(pub)) {
    return failed_precondition_error(
        "the object at " + hex32(s.options.primary_handle) + " is " + describe_object(pub) +
        ", not a storage key: set another primary handle, or check what put it there");
  }
  if (!s.options.expected_primary_name.empty() &&
      compute_name(pub) != s.options.expected_primary_name) {
    return failed_precondition_error(
        "the storage primary key at " + hex32(s.options.primary_handle) +
        " is not the key this gateway provisioned (its name differs from the pinned one): "
        "the TPM was cleared or the key replaced; keys sealed under the old one are lost "
        "and must be provisioned and imported again");
  }
  return ok_status();
}

Status start_session(TpmState& s, TPM2_SE kind, ScopedFlush* session) {
  ESYS_TR salt_key = ESYS_TR_NONE;
  TPMT_SYM_DEF sym{};
  sym.algorithm = TPM2_ALG_NULL;
  if (kind != TPM2_SE_TRIAL) {
    auto p = primary(s);
    if (!p.ok()) return p.error();
    salt_key = *p;
    sym.algorithm = TPM2_ALG_AES;
    sym.keyBits.aes = 128;
    sym.mode.aes = TPM2_ALG_CFB;
  }
  TSS2_RC rc =
      Esys_StartAuthSession(s.esys, salt_key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                            ESYS_TR_NONE, nullptr, kind, &sym, TPM2_ALG_SHA256, session->out());
  if (rc != TSS2_RC_SUCCESS) {
    return failure(s, "starting a TPM session", rc);
  }
  return ok_status();
}

Status set_session_attributes(TpmState& s, ESYS_TR session, TPMA_SESSION attrs) {
  TSS2_RC rc = Esys_TRSess_SetAttributes(s.esys, session, attrs, 0xff);
  if (rc != TSS2_RC_SUCCESS) {
    return failure(s, "setting session attributes", rc);
  }
  return ok_status();
}

namespace {

template <class T, TSS2_RC (*Marshal)(const T*, uint8_t*, size_t, size_t*)>
std::vector<uint8_t> marshal(const T& value) {
  std::vector<uint8_t> out(sizeof(T) + 16);
  size_t offset = 0;
  if (Marshal(&value, out.data(), out.size(), &offset) != TSS2_RC_SUCCESS) return {};
  out.resize(offset);
  return out;
}

Status unmarshal_private(const KeyBlob& blob, TPM2B_PRIVATE* out) {
  size_t offset = 0;
  *out = {};
  if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(blob.private_area.data(), blob.private_area.size(), &offset,
                                      out) != TSS2_RC_SUCCESS ||
      offset != blob.private_area.size()) {
    return invalid_argument_error("the key blob's private area is malformed");
  }
  return ok_status();
}

}  // namespace

Result<KeyBlob> create_under_primary(TpmState& s, const TPM2B_SENSITIVE_CREATE& sensitive,
                                     const TPM2B_PUBLIC& templ, const std::string& what) {
  auto parent = primary(s);
  if (!parent.ok()) return parent.error();
  ScopedFlush session(s.esys);
  GW_RETURN_IF_ERROR(start_session(s, TPM2_SE_HMAC, &session));
  // DECRYPT: the TPM receives inSensitive (the first parameter) encrypted.
  GW_RETURN_IF_ERROR(set_session_attributes(s, session.get(),
                                            TPMA_SESSION_DECRYPT | TPMA_SESSION_CONTINUESESSION));
  TPM2B_DATA outside_info{};
  TPML_PCR_SELECTION creation_pcrs{};
  TPM2B_PRIVATE* priv_raw = nullptr;
  TPM2B_PUBLIC* pub_raw = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* creation_ticket = nullptr;
  TSS2_RC rc = Esys_Create(s.esys, *parent, session.get(), ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                           &templ, &outside_info, &creation_pcrs, &priv_raw, &pub_raw,
                           &creation_data, &creation_hash, &creation_ticket);
  EsysPtr<TPM2B_PRIVATE> priv(priv_raw);
  EsysPtr<TPM2B_PUBLIC> pub(pub_raw);
  EsysPtr<TPM2B_CREATION_DATA> cd(creation_data);
  EsysPtr<TPM2B_DIGEST> ch(creation_hash);
  EsysPtr<TPMT_TK_CREATION> ct(creation_ticket);
  if (rc != TSS2_RC_SUCCESS) {
    const Status failed = failure(s, "creating " + what + " under the primary key", rc);
    std::string msg = failed.message();
    if (base_rc(rc) == TPM2_RC_SIZE || base_rc(rc) == TPM2_RC_VALUE) {
      msg += "; the TPM refused the key material's size or the object's parameters";
    }
    return Status(failed.code(), msg);
  }
  KeyBlob blob;
  blob.public_area = marshal<TPM2B_PUBLIC, Tss2_MU_TPM2B_PUBLIC_Marshal>(*pub);
  blob.private_area = marshal<TPM2B_PRIVATE, Tss2_MU_TPM2B_PRIVATE_Marshal>(*priv);
  if (blob.public_area.empty() || blob.private_area.empty()) {
    return internal_error("marshaling the new " + what + " failed");
  }
  return blob;
}

Status load_blob(TpmState& s, const KeyBlob& blob, ESYS_TR auth_session, ScopedFlush* object,
                 const std::string& what) {
  TPM2B_PUBLIC pub;
  TPM2B_PRIVATE priv;
  GW_RETURN_IF_ERROR(unmarshal_public(blob, &pub));
  GW_RETURN_IF_ERROR(unmarshal_private(blob, &priv));
  GW_ASSIGN_OR_RETURN(ESYS_TR parent, primary(s));
  TSS2_RC rc = Esys_Load(s.esys, parent, auth_session, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub,
                         object->out());
  if (rc == TSS2_RC_SUCCESS) return ok_status();
  TSS2_RC base = base_rc(rc);
  const Status failed = failure(s, "loading " + what, rc);
  std::string msg = failed.message();
  if (base == TPM2_RC_INTEGRITY || base == TPM2_RC_BINDING || base == TPM2_RC_SIZE ||
      base == TPM2_RC_KEY) {
    msg += "; this blob was not created by this TPM (or under a primary key at " +
           hex32(s.options.primary_handle) +
           " that has since been replaced, e.g. after a TPM clear): re-create or re-import the "
           "key on this machine";
  }
  return Status(failed.code(), msg);
}

Status unmarshal_public(const KeyBlob& blob, TPM2B_PUBLIC* out) {
  size_t offset = 0;
  *out = {};
  if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(blob.public_area.data(), blob.public_area.size(), &offset,
                                     out) != TSS2_RC_SUCCESS ||
      offset != blob.public_area.size()) {
    return invalid_argument_error("the key blob's public area is malformed");
  }
  return ok_status();
}

bool is_storage_key(const TPMT_PUBLIC& pub) {
  const TPMA_OBJECT a = pub.objectAttributes;
  if (!(a & TPMA_OBJECT_RESTRICTED) || !(a & TPMA_OBJECT_DECRYPT) ||
      (a & TPMA_OBJECT_SIGN_ENCRYPT)) {
    return false;
  }
  if (pub.type == TPM2_ALG_ECC)
    return pub.parameters.eccDetail.symmetric.algorithm != TPM2_ALG_NULL;
  if (pub.type == TPM2_ALG_RSA)
    return pub.parameters.rsaDetail.symmetric.algorithm != TPM2_ALG_NULL;
  return false;
}

void set_storage_key_parameters(bool ecc, TPMT_PUBLIC* p) {
  TPMT_SYM_DEF_OBJECT sym{};
  sym.algorithm = TPM2_ALG_AES;
  sym.keyBits.aes = 128;
  sym.mode.aes = TPM2_ALG_CFB;
  if (ecc) {
    p->type = TPM2_ALG_ECC;
    p->parameters.eccDetail.symmetric = sym;
    p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    p->unique.ecc.x.size = 32;
    p->unique.ecc.y.size = 32;
  } else {
    p->type = TPM2_ALG_RSA;
    p->parameters.rsaDetail.symmetric = sym;
    p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    p->parameters.rsaDetail.keyBits = 2048;
    p->parameters.rsaDetail.exponent = 0;
    p->unique.rsa.size = 256;
  }
}

std::string algorithm_name(const TPMT_PUBLIC& pub) {
  switch (pub.type) {
    case TPM2_ALG_ECC:
      return pub.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256 ? "ecc-p256" : "ecc";
    case TPM2_ALG_RSA:
      return pub.parameters.rsaDetail.keyBits == 2048
                 ? "rsa-2048"
                 : "rsa-" + std::to_string(pub.parameters.rsaDetail.keyBits);
    case TPM2_ALG_KEYEDHASH:
      return "keyedhash";
    case TPM2_ALG_SYMCIPHER:
      return "symcipher";
    default:
      return "unknown";
  }
}

std::string describe_object(const TPMT_PUBLIC& pub) {
  const TPMA_OBJECT a = pub.objectAttributes;
  const bool restricted = a & TPMA_OBJECT_RESTRICTED;
  const bool sign = a & TPMA_OBJECT_SIGN_ENCRYPT;
  const bool decrypt = a & TPMA_OBJECT_DECRYPT;
  if (pub.type == TPM2_ALG_KEYEDHASH) {
    if (sign) return "an HMAC key";
    if (!decrypt) return "a sealed data object";
    return "a keyed-hash object";
  }
  std::string alg = pub.type == TPM2_ALG_ECC   ? "ECC"
                    : pub.type == TPM2_ALG_RSA ? "RSA"
                                               : algorithm_name(pub);
  if (is_storage_key(pub)) return "an " + alg + " storage key";
  std::string kind = sign && decrypt ? "signing and decryption key"
                     : sign          ? "signing key"
                     : decrypt       ? "decryption key"
                                     : "key";
  return std::string("an ") + (restricted ? "restricted " : "") + alg + " " + kind;
}

std::vector<uint8_t> compute_name(const TPMT_PUBLIC& pub) {
  const char* md_name = pub.nameAlg == TPM2_ALG_SHA256   ? "SHA256"
                        : pub.nameAlg == TPM2_ALG_SHA1   ? "SHA1"
                        : pub.nameAlg == TPM2_ALG_SHA384 ? "SHA384"
                        : pub.nameAlg == TPM2_ALG_SHA512 ? "SHA512"
                                                         : nullptr;
  if (md_name == nullptr) return {};
  std::vector<uint8_t> bytes = marshal<TPMT_PUBLIC, Tss2_MU_TPMT_PUBLIC_Marshal>(pub);
  if (bytes.empty()) return {};
  std::vector<uint8_t> name(2 + EVP_MAX_MD_SIZE);
  name[0] = static_cast<uint8_t>(pub.nameAlg >> 8);
  name[1] = static_cast<uint8_t>(pub.nameAlg);
  unsigned int len = 0;
  EVP_MD* md = EVP_MD_fetch(nullptr, md_name, nullptr);
  bool ok = md != nullptr &&
            EVP_Digest(bytes.data(), bytes.size(), name.data() + 2, &len, md, nullptr) == 1;
  EVP_MD_free(md);
  if (!ok) return {};
  name.resize(2 + len);
  return name;
}

Status to_tpml(const PcrSelection& sel, TPML_PCR_SELECTION* out) {
  *out = {};
  TPMI_ALG_HASH alg = sel.bank == "sha256"   ? TPM2_ALG_SHA256
                      : sel.bank == "sha1"   ? TPM2_ALG_SHA1
                      : sel.bank == "sha384" ? TPM2_ALG_SHA384
                      : sel.bank == "sha512" ? TPM2_ALG_SHA512
                                             : TPM2_ALG_ERROR;
  if (alg == TPM2_ALG_ERROR) {
    return invalid_argument_error("unknown PCR bank '" + sel.bank +
                                  "' (use sha1, sha256, sha384 or sha512)");
  }
  out->count = 1;
  out->pcrSelections[0].hash = alg;
  out->pcrSelections[0].sizeofSelect = 3;
  for (int pcr : sel.pcrs) {
    if (pcr < 0 || pcr > 23) {
      return invalid_argument_error("PCR " + std::to_string(pcr) + " is out of range (0..23)");
    }
    out->pcrSelections[0].pcrSelect[pcr / 8] |= static_cast<uint8_t>(1u << (pcr % 8));
  }
  return ok_status();
}

std::string describe(const PcrSelection& sel) {
  std::string out = sel.bank + ":";
  for (size_t i = 0; i < sel.pcrs.size(); ++i) {
    if (i > 0) out += ",";
    out += std::to_string(sel.pcrs[i]);
  }
  return out;
}

}  // namespace gw::tpm::internal
