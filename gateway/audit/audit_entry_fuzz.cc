// Fuzz target for the entry decoder: what verify and queries run on bytes
// from the file (after decryption, so only a key holder can feed it, but a
// key holder is exactly whom the trail must withstand). Any bytes give an
// entry or an error, never a crash; an entry that decodes re-encodes to the
// same bytes (one encoding per entry).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gateway/audit/audit_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto entry = gw::audit::decode(bytes);
  if (entry.ok()) {
    if (!gw::audit::validate(*entry).ok()) std::abort();
    if (gw::audit::encode(*entry) != bytes) std::abort();
  }
  return 0;
}
