// A pass-through TCTI in front of the loader's one. ESYS issues commands of
// its own (ReadPublic for a handle, StartAuthSession, FlushContext), so
// counting and delaying at the TCTI is the only place that sees all of them.
#include <thread>

#include "tpm/core/tpm_internal.h"

namespace gw::tpm::internal {
namespace {

constexpr uint64_t kMagic = 0x67772d74706d6374ULL;  // "gw-tpmct"

CountingTcti* self(TSS2_TCTI_CONTEXT* ctx) { return reinterpret_cast<CountingTcti*>(ctx); }

TSS2_RC transmit(TSS2_TCTI_CONTEXT* ctx, size_t size, const uint8_t* command) {
  CountingTcti* t = self(ctx);
  if (t->latency.count() > 0) std::this_thread::sleep_for(t->latency);
  t->commands.fetch_add(1, std::memory_order_relaxed);
  if (t->tap) t->tap(true, command, size);
  return Tss2_Tcti_Transmit(t->inner, size, command);
}

TSS2_RC receive(TSS2_TCTI_CONTEXT* ctx, size_t* size, uint8_t* response, int32_t timeout) {
  CountingTcti* t = self(ctx);
  TSS2_RC rc = Tss2_Tcti_Receive(t->inner, size, response, timeout);
  if (t->tap && rc == TSS2_RC_SUCCESS && response != nullptr) t->tap(false, response, *size);
  return rc;
}

// The inner TCTI belongs to TpmState, which finalizes it after ESYS.
void finalize(TSS2_TCTI_CONTEXT*) {}

TSS2_RC cancel(TSS2_TCTI_CONTEXT* ctx) { return Tss2_Tcti_Cancel(self(ctx)->inner); }

TSS2_RC get_poll_handles(TSS2_TCTI_CONTEXT* ctx, TSS2_TCTI_POLL_HANDLE* handles, size_t* n) {
  return Tss2_Tcti_GetPollHandles(self(ctx)->inner, handles, n);
}

TSS2_RC set_locality(TSS2_TCTI_CONTEXT* ctx, uint8_t locality) {
  return Tss2_Tcti_SetLocality(self(ctx)->inner, locality);
}

TSS2_RC make_sticky(TSS2_TCTI_CONTEXT* ctx, TPM2_HANDLE* handle, uint8_t sticky) {
  return Tss2_Tcti_MakeSticky(self(ctx)->inner, handle, sticky);
}

}  // namespace

void init_counting_tcti(CountingTcti* t, TSS2_TCTI_CONTEXT* inner,
                        std::chrono::milliseconds latency) {
  t->common = {};
  t->common.v1.magic = kMagic;
  t->common.v1.version = 2;
  t->common.v1.transmit = transmit;
  t->common.v1.receive = receive;
  t->common.v1.finalize = finalize;
  t->common.v1.cancel = cancel;
  t->common.v1.getPollHandles = get_poll_handles;
  t->common.v1.setLocality = set_locality;
  t->common.makeSticky = make_sticky;
  t->inner = inner;
  t->latency = latency;
  t->commands.store(0);
}

}  // namespace gw::tpm::internal
