// Fuzz target for what a member gateway receives: the envelope's clear
// fields and the sealed document's parser. Any bytes give a payload or an
// error, never a crash; a parsed payload's commitments are checked (they
// fail for anything the fuzzer makes up, and must fail cleanly).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gateway/transfer/payload.h"
#include "gateway/transfer/payload_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  gw::transfer::PayloadLimits limits;
  limits.max_envelope_bytes = 1 << 20;
  limits.max_records = 64;
  if (data[0] & 1) {
    auto envelope = gw::transfer::read_envelope(text, limits);
    if (envelope.ok() && envelope->bytes != text) std::abort();
  } else {
    auto payload = gw::transfer::decode_payload(text, limits);
    if (payload.ok()) {
      if (payload->records.empty() || payload->records.size() > 64) std::abort();
      (void)gw::transfer::verify_commitments(*payload);
    }
  }
  return 0;
}
