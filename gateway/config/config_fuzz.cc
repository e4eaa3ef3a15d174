// Fuzz target for the configuration parser: any bytes must give either a
// configuration or one error line naming the file and line, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gateway/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto cfg = gw::config::parse_config(text, "fuzz.toml");
  // Errors always name the file.
  if (!cfg.ok() && cfg.error().message().rfind("fuzz.toml", 0) != 0) std::abort();
  if (cfg && cfg->channels.empty()) std::abort();
  return 0;
}
