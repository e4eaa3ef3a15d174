// Opening the TPM, provisioning the storage primary, RNG and PCRs.
#include "tpm/core/tpm.h"

#include <string.h>
#include <tss2/tss2_tctildr.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "tpm/core/tpm_internal.h"

namespace gw::tpm {

using internal::base_rc;
using internal::EsysPtr;
using internal::failure;
using internal::hex32;
using internal::ScopedFlush;

namespace internal {
TpmState& state(Tpm& tpm) { return *tpm.state_; }
}  // namespace internal

namespace {

// The TCG "Provisioning Guidance" SRK templates (also tpm2-tools' and
// systemd's): restricted decryption key, AES-128-CFB for its children, no DA,
// empty auth, unique field of zeros of the key size.
TPM2B_PUBLIC srk_template(bool ecc) {
  TPM2B_PUBLIC t{};
  TPMT_PUBLIC& p = t.publicArea;
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                       TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                       TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
  internal::set_storage_key_parameters(ecc, &p);
  return t;
}

bool supports_p256(internal::TpmState& s) {
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TSS2_RC rc = Esys_GetCapability(s.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                  TPM2_CAP_ECC_CURVES, TPM2_ECC_NIST_P256, 1, &more, &raw);
  EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
  return rc == TSS2_RC_SUCCESS && data->data.eccCurves.count >= 1 &&
         data->data.eccCurves.eccCurves[0] == TPM2_ECC_NIST_P256;
}

std::string occupied_message(uint32_t handle, const TPMT_PUBLIC& pub) {
  return "persistent handle " + hex32(handle) + " holds " + internal::describe_object(pub) +
         ", not a storage key; it was left as it is. Choose another handle for the gateway's "
         "primary key, or, if nothing needs that object, remove it with `tpm2_evictcontrol -C o "
         "-c " +
         hex32(handle) + "` and provision again";
}

}  // namespace

Tpm::Tpm() : state_(std::make_unique<internal::TpmState>()) {}
Tpm::~Tpm() = default;

Result<std::unique_ptr<Tpm>> Tpm::open(const TpmOptions& options) {
  if (options.tcti.empty()) {
    return invalid_argument_error("no TCTI configured for the TPM (e.g. \"device:/dev/tpmrm0\")");
  }
  if (options.primary_handle < 0x81000000u || options.primary_handle > 0x817fffffu) {
    return invalid_argument_error("primary handle " + hex32(options.primary_handle) +
                                  " is not an owner persistent handle (0x81000000..0x817fffff)");
  }
  // TSS2 logs its own errors to stderr, which would break the daemon's
  // one-logfmt-line-per-event output; every error reaches the caller as a
  // value instead. An operator's own TSS2_LOG setting is kept.
  ::setenv("TSS2_LOG", "all+NONE", 0);
  std::unique_ptr<Tpm> tpm(new Tpm());
  internal::TpmState& s = *tpm->state_;
  s.options = options;
  TSS2_RC rc = Tss2_TctiLdr_Initialize(options.tcti.c_str(), &s.loader_tcti);
  if (rc != TSS2_RC_SUCCESS) {
    s.loader_tcti = nullptr;
    return unavailable_error(
        "cannot open the TPM through TCTI '" + options.tcti + "': " + internal::rc_text(rc) +
        "; check the TCTI string (e.g. device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321)"
        ", that the device exists and is accessible (group tss), or that swtpm is running");
  }
  internal::init_counting_tcti(&s.tcti, s.loader_tcti, options.injected_latency);
  rc = Esys_Initialize(&s.esys, internal::as_tcti(&s.tcti), nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    s.esys = nullptr;
    return failure(s, "initializing TSS2 ESYS on TCTI '" + options.tcti + "'", rc);
  }
  rc = Esys_Startup(s.esys, TPM2_SU_CLEAR);
  if (rc != TSS2_RC_SUCCESS && base_rc(rc) != TPM2_RC_INITIALIZE) {
    return failure(s, "TPM2_Startup through TCTI '" + options.tcti + "'", rc);
  }
  return tpm;
}

Result<Tpm::PrimaryInfo> Tpm::ensure_primary() {
  internal::TpmState& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  const uint32_t handle = s.options.primary_handle;
  // Look again even if cached: provisioning must report what is there now.
  // (ESYS hands out the same ESYS_TR for a handle it already knows, so the
  // cache is dropped rather than kept beside a second lookup.)
  if (s.primary != ESYS_TR_NONE) Esys_TR_Close(s.esys, &s.primary);
  ESYS_TR existing = ESYS_TR_NONE;
  TSS2_RC rc =
      Esys_TR_FromTPMPublic(s.esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &existing);
  if (rc == TSS2_RC_SUCCESS) {
    TPM2B_PUBLIC* raw = nullptr;
    rc = Esys_ReadPublic(s.esys, existing, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &raw, nullptr,
                         nullptr);
    EsysPtr<TPM2B_PUBLIC> pub(raw);
    if (rc != TSS2_RC_SUCCESS) {
      Esys_TR_Close(s.esys, &existing);
      return failure(s, "reading the object at " + hex32(handle), rc);
    }
    if (!internal::is_storage_key(pub->publicArea)) {
      Esys_TR_Close(s.esys, &existing);
      return failed_precondition_error(occupied_message(handle, pub->publicArea));
    }
    if (Status st = internal::acceptable_primary(s, pub->publicArea);
        !st.ok()) {  // the pinned name
      Esys_TR_Close(s.esys, &existing);
      return st;
    }
    s.primary = existing;
    return PrimaryInfo{false, internal::algorithm_name(pub->publicArea),
                       internal::compute_name(pub->publicArea)};
  }
  if (base_rc(rc) != TPM2_RC_HANDLE) {
    return failure(s, "looking up persistent handle " + hex32(handle), rc);
  }

  if (!s.options.expected_primary_name.empty()) {
    return failed_precondition_error(
        "no key at " + hex32(handle) +
        ", but a provisioned primary key is expected there (its name is pinned): the TPM "
        "was cleared or the key evicted, and keys sealed under it are lost. To start over, "
        "provision without the pinned name and import the keys again");
  }
  const bool ecc = s.options.primary_algorithm == PrimaryAlgorithm::kAuto && supports_p256(s);
  TPM2B_PUBLIC templ = srk_template(ecc);
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_DATA outside_info{};
  TPML_PCR_SELECTION creation_pcrs{};
  ScopedFlush transient(s.esys);
  TPM2B_PUBLIC* pub_raw = nullptr;
  TPM2B_CREATION_DATA* cd = nullptr;
  TPM2B_DIGEST* ch = nullptr;
  TPMT_TK_CREATION* ct = nullptr;
  rc = Esys_CreatePrimary(s.esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                          &sensitive, &templ, &outside_info, &creation_pcrs, transient.out(),
                          &pub_raw, &cd, &ch, &ct);
  EsysPtr<TPM2B_PUBLIC> pub(pub_raw);
  EsysPtr<TPM2B_CREATION_DATA> cd_owner(cd);
  EsysPtr<TPM2B_DIGEST> ch_owner(ch);
  EsysPtr<TPMT_TK_CREATION> ct_owner(ct);
  if (rc != TSS2_RC_SUCCESS) {
    const Status failed = failure(s,
                                  std::string("creating the ") + (ecc ? "ECC P-256" : "RSA-2048") +
                                      " storage primary key in the owner hierarchy",
                                  rc);
    std::string msg = failed.message();
    TSS2_RC base = base_rc(rc);
    if (base == TPM2_RC_BAD_AUTH || base == TPM2_RC_AUTH_FAIL) {
      msg +=
          "; the owner hierarchy has a password, which provisioning does not support yet: "
          "clear it (tpm2_changeauth -c owner -p OLD) or provision with tpm2-tools";
    } else if (base == TPM2_RC_HIERARCHY) {
      msg += "; the owner hierarchy is disabled (enable it in the firmware's TPM settings)";
    }
    return Status(failed.code(), msg);
  }
  ESYS_TR persistent = ESYS_TR_NONE;
  rc = Esys_EvictControl(s.esys, ESYS_TR_RH_OWNER, transient.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE,
                         ESYS_TR_NONE, handle, &persistent);
  if (rc != TSS2_RC_SUCCESS) {
    const Status failed = failure(s, "persisting the primary key at " + hex32(handle), rc);
    std::string msg = failed.message();
    TSS2_RC base = base_rc(rc);
    if (base == TPM2_RC_NV_DEFINED) {
      msg += "; something was persisted at that handle meanwhile: run provisioning again";
    } else if (base == TPM2_RC_NV_SPACE) {
      msg +=
          "; the TPM has no room for another persistent object (list them with "
          "`tpm2_getcap handles-persistent`)";
    }
    return Status(failed.code(), msg);
  }
  s.primary = persistent;
  return PrimaryInfo{true, internal::algorithm_name(pub->publicArea),
                     internal::compute_name(pub->publicArea)};
}

Status Tpm::primary_present() {
  internal::TpmState& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  return internal::primary(s).status();
}

Result<std::vector<uint8_t>> Tpm::random_bytes(size_t n) {
  internal::TpmState& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  ScopedFlush session(s.esys);
  GW_RETURN_IF_ERROR(internal::start_session(s, TPM2_SE_HMAC, &session));
  // ENCRYPT: the random bytes (the response's first parameter) come back
  // encrypted; they may become key material.
  GW_RETURN_IF_ERROR(internal::set_session_attributes(
      s, session.get(), TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION));
  std::vector<uint8_t> out;
  out.reserve(n);
  while (out.size() < n) {
    const UINT16 want = static_cast<UINT16>(std::min<size_t>(n - out.size(), 32));
    TPM2B_DIGEST* raw = nullptr;
    TSS2_RC rc = Esys_GetRandom(s.esys, session.get(), ESYS_TR_NONE, ESYS_TR_NONE, want, &raw);
    EsysPtr<TPM2B_DIGEST> chunk(raw);
    if (rc != TSS2_RC_SUCCESS || chunk->size == 0) {
      explicit_bzero(out.data(), out.size());
      return rc != TSS2_RC_SUCCESS ? failure(s, "TPM2_GetRandom", rc)
                                   : unavailable_error("TPM2_GetRandom returned no bytes");
    }
    out.insert(out.end(), chunk->buffer, chunk->buffer + std::min<size_t>(chunk->size, want));
  }
  return out;
}

Result<std::vector<std::vector<uint8_t>>> Tpm::read_pcrs(const PcrSelection& selection) {
  TPML_PCR_SELECTION remaining;
  GW_RETURN_IF_ERROR(internal::to_tpml(selection, &remaining));
  internal::TpmState& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  std::map<int, std::vector<uint8_t>> values;
  // A TPM returns at most 8 digests per PCR_Read; ask again for the rest.
  for (int round = 0; round < 24; ++round) {
    const TPMS_PCR_SELECTION& want = remaining.pcrSelections[0];
    if ((want.pcrSelect[0] | want.pcrSelect[1] | want.pcrSelect[2]) == 0) break;
    UINT32 counter = 0;
    TPML_PCR_SELECTION* sel_raw = nullptr;
    TPML_DIGEST* dig_raw = nullptr;
    TSS2_RC rc = Esys_PCR_Read(s.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &remaining,
                               &counter, &sel_raw, &dig_raw);
    EsysPtr<TPML_PCR_SELECTION> got(sel_raw);
    EsysPtr<TPML_DIGEST> digests(dig_raw);
    if (rc != TSS2_RC_SUCCESS) {
      return failure(s, "reading PCRs " + internal::describe(selection), rc);
    }
    uint32_t next = 0;
    bool progress = false;
    for (uint32_t i = 0; i < got->count; ++i) {
      const TPMS_PCR_SELECTION& g = got->pcrSelections[i];
      if (g.hash != want.hash) continue;
      for (int pcr = 0; pcr < 24 && pcr / 8 < g.sizeofSelect; ++pcr) {
        if (!(g.pcrSelect[pcr / 8] & (1u << (pcr % 8)))) continue;
        if (next >= digests->count) break;
        const TPM2B_DIGEST& d = digests->digests[next++];
        values[pcr].assign(d.buffer, d.buffer + d.size);
        remaining.pcrSelections[0].pcrSelect[pcr / 8] &= static_cast<uint8_t>(~(1u << (pcr % 8)));
        progress = true;
      }
    }
    if (!progress) {
      return internal_error("the TPM returned no values for PCRs " + internal::describe(selection) +
                            ": is the " + selection.bank + " bank allocated?");
    }
  }
  std::vector<std::vector<uint8_t>> out;
  for (int pcr : selection.pcrs) out.push_back(values[pcr]);
  return out;
}

Status Tpm::extend_pcr(int pcr, std::span<const uint8_t, 32> sha256_digest) {
  if (pcr < 0 || pcr > 23) {
    return invalid_argument_error("PCR " + std::to_string(pcr) + " is out of range (0..23)");
  }
  internal::TpmState& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  TPML_DIGEST_VALUES digests{};
  digests.count = 1;
  digests.digests[0].hashAlg = TPM2_ALG_SHA256;
  std::copy(sha256_digest.begin(), sha256_digest.end(), digests.digests[0].digest.sha256);
  TSS2_RC rc = Esys_PCR_Extend(s.esys, ESYS_TR_PCR0 + static_cast<ESYS_TR>(pcr), ESYS_TR_PASSWORD,
                               ESYS_TR_NONE, ESYS_TR_NONE, &digests);
  if (rc != TSS2_RC_SUCCESS) {
    return failure(s, "extending PCR " + std::to_string(pcr), rc);
  }
  return ok_status();
}

uint64_t Tpm::commands_sent() const {
  return state_->tcti.commands.load(std::memory_order_relaxed);
}

}  // namespace gw::tpm
