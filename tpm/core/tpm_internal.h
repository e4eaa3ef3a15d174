// Internal to tpm/: what a Tpm holds and the ESYS helpers its files share.
// Files that add TPM features (quotes, EK/AK certification) take the state
// with internal::state(tpm), lock `mu` for the whole operation, and use these
// helpers so that sessions stay salted and nothing leaks TPM handles.
// Not part of the module's public interface: nothing outside tpm/ includes it
// (tests of tpm/ do, to inspect the TPM independently).
#pragma once

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tcti.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tpm/core/tpm.h"

namespace gw::tpm::internal {

// The TCTI the ESYS context talks through: forwards to the loader's TCTI,
// counting commands and sleeping `latency` before each (test mode).
// `common` must stay the first member: TSS2 casts the context pointer to it.
struct CountingTcti {
  TSS2_TCTI_CONTEXT_COMMON_V2 common;
  TSS2_TCTI_CONTEXT* inner = nullptr;
  std::chrono::milliseconds latency{0};
  std::atomic<uint64_t> commands{0};
  // Tests: sees every command and response as it crosses the bus (set it
  // while holding TpmState::mu).
  std::function<void(bool is_command, const uint8_t* data, size_t size)> tap;
};
// Fills in the function table; `inner` stays owned by the caller.
void init_counting_tcti(CountingTcti* tcti, TSS2_TCTI_CONTEXT* inner,
                        std::chrono::milliseconds latency);
inline TSS2_TCTI_CONTEXT* as_tcti(CountingTcti* tcti) {
  return reinterpret_cast<TSS2_TCTI_CONTEXT*>(tcti);
}

struct TpmState {
  TpmOptions options;
  TSS2_TCTI_CONTEXT* loader_tcti = nullptr;  // Tss2_TctiLdr_Initialize
  CountingTcti tcti;
  ESYS_CONTEXT* esys = nullptr;
  // ESYS handle of the persistent primary once looked up and checked (it is
  // closed with Esys_TR_Close, never flushed).
  ESYS_TR primary = ESYS_TR_NONE;
  std::mutex mu;  // held for the whole of every operation
  ~TpmState();
};

// Frees ESYS-allocated output after zeroing it: outputs may hold secrets
// (unsealed data, HMACs, random bytes).
struct EsysFree {
  template <class T>
  void operator()(T* p) const {
    if (p != nullptr) {
      wipe(p, sizeof(T));
      Esys_Free(p);
    }
  }
  static void wipe(void* p, size_t n);
};
template <class T>
using EsysPtr = std::unique_ptr<T, EsysFree>;

// Flushes a transient object, sequence or session when it goes out of scope.
class ScopedFlush {
 public:
  explicit ScopedFlush(ESYS_CONTEXT* esys) : esys_(esys) {}
  ~ScopedFlush();
  ScopedFlush(const ScopedFlush&) = delete;
  ScopedFlush& operator=(const ScopedFlush&) = delete;
  ESYS_TR get() const { return handle_; }
  ESYS_TR* out() { return &handle_; }         // for an ESYS call to fill in
  void release() { handle_ = ESYS_TR_NONE; }  // the TPM flushed it itself

 private:
  ESYS_CONTEXT* esys_;
  ESYS_TR handle_ = ESYS_TR_NONE;
};

// Decoded response code: "tpm:session(1):a policy check failed (0x99d)".
std::string rc_text(TSS2_RC rc);
// A TPM response code without its handle/session/parameter number, so it can
// be compared with TPM2_RC_* constants; other layers' codes unchanged.
TSS2_RC base_rc(TSS2_RC rc);
std::string hex32(uint32_t value);  // "0x81000001"
// "<doing> failed: <rc_text>" plus guidance for the common causes (lost
// connection, DA lockout, ...). `doing` names the operation, e.g. "unseal".
// kUnavailable when the TPM is unreachable, busy or locked out (retry later),
// else kFailedPrecondition (the TPM refused: the message says what to fix).
Status failure(const TpmState& s, const std::string& doing, TSS2_RC rc);

// The persistent primary, looked up once and checked (a storage key, with the
// pinned name if options.expected_primary_name is set), or an error
// ("no storage primary key at 0x81000001 ...: run gatewayctl tpm provision").
Result<ESYS_TR> primary(TpmState& s);
// The checks primary() makes of the public area at the handle.
Status acceptable_primary(const TpmState& s, const TPMT_PUBLIC& pub);

// Starts an HMAC or policy session salted with the primary and using
// AES-128-CFB parameter encryption (kind = TPM2_SE_HMAC / TPM2_SE_POLICY), or
// an unsalted trial session (TPM2_SE_TRIAL, for computing policy digests).
Status start_session(TpmState& s, TPM2_SE kind, ScopedFlush* session);
// Sets exactly `attrs` (TPMA_SESSION_*) on a session for its next command.
Status set_session_attributes(TpmState& s, ESYS_TR session, TPMA_SESSION attrs);

// TPM2_Create under the primary in a salted session that encrypts
// inSensitive; returns the wrapped object. `what` names it for errors.
Result<KeyBlob> create_under_primary(TpmState& s, const TPM2B_SENSITIVE_CREATE& sensitive,
                                     const TPM2B_PUBLIC& templ, const std::string& what);
// TPM2_Load of a blob under the primary, authorized by `auth_session`
// (ESYS_TR_PASSWORD or a session). A blob this TPM did not wrap gives "this
// blob was not created by this TPM ...".
Status load_blob(TpmState& s, const KeyBlob& blob, ESYS_TR auth_session, ScopedFlush* object,
                 const std::string& what);

Status unmarshal_public(const KeyBlob& blob, TPM2B_PUBLIC* out);
// A restricted decryption key with a symmetric algorithm: a storage parent.
bool is_storage_key(const TPMT_PUBLIC& pub);
// "ecc-p256", "rsa-2048", "ecc", "rsa", "keyedhash", ...
// The parameters shared by storage-key templates (the SRK and the TCG EK
// templates): ECC NIST P-256 or RSA-2048, AES-128-CFB for children, no
// signing scheme, a unique field of zeros of the key size.
void set_storage_key_parameters(bool ecc, TPMT_PUBLIC* p);
std::string algorithm_name(const TPMT_PUBLIC& pub);
// "an ECC signing key", "a sealed data object", ... for error messages.
std::string describe_object(const TPMT_PUBLIC& pub);
// nameAlg (2 bytes, big-endian) || H_nameAlg(marshaled TPMT_PUBLIC); empty on
// an unsupported nameAlg.
std::vector<uint8_t> compute_name(const TPMT_PUBLIC& pub);

// PcrSelection -> TPML_PCR_SELECTION (one bank); kInvalidArgument on an unknown
// bank or a PCR outside 0..23.
Status to_tpml(const PcrSelection& sel, TPML_PCR_SELECTION* out);
std::string describe(const PcrSelection& sel);  // "sha256:0,7"

}  // namespace gw::tpm::internal
