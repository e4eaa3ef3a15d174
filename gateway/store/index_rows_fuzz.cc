// Fuzz target for the index-rows decoder (index_rows.h): it reads
// record_heads.index_rows from the database file. Any bytes decode or are
// refused, never crash; what decodes re-encodes to the same bytes only when
// its entries come in encode()'s order (keys, patients, tokens, self keys), and always
// decodes again to the same rows.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/store/index_rows.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gw::store::internal;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  IndexRows rows;
  if (!decode_index_rows(bytes, &rows)) return 0;
  std::string encoded;
  if (!encode_index_rows(rows, &encoded)) std::abort();  // decoded entries fit by construction
  IndexRows again;
  if (!decode_index_rows(encoded, &again) || !(again == rows)) std::abort();
  return 0;
}
