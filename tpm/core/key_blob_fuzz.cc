// Fuzz target: parse_blob reads files from the state directory; no input may
// crash it, and whatever it accepts must serialize back to the same bytes.
#include <cstdlib>

#include "tpm/core/key_blob.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto blob = gw::tpm::parse_blob(std::span<const uint8_t>(data, size));
  if (blob.ok()) {
    std::vector<uint8_t> again = gw::tpm::serialize_blob(*blob);
    if (again != std::vector<uint8_t>(data, data + size)) std::abort();
  }
  return 0;
}
