// Test helpers shared by this folder's tests. Not part of the library.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace gw::outbound::testing {

// A message of adapters/v2fhir/testdata as ER7 (the file's lines joined by
// '\r', the HL7 segment separator).
inline std::string testdata_message(const std::string& name) {
  std::ifstream in(std::filesystem::path(GW_SOURCE_DIR) / "adapters" / "v2fhir" / "testdata" / name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  for (char& c : s)
    if (c == '\n') c = '\r';
  return s;
}

}  // namespace gw::outbound::testing
