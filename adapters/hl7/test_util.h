// Helpers shared by this folder's tests, fuzz target and benchmark. Not part
// of the library.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace gw::hl7::testing {

// Joins segments with '\r' (and a final '\r').
inline std::string Msg(std::initializer_list<std::string_view> segments) {
  std::string out;
  for (std::string_view s : segments) {
    out.append(s);
    out.push_back('\r');
  }
  return out;
}

inline std::filesystem::path CorpusDir() {
  return std::filesystem::path(GW_SOURCE_DIR) / "tests" / "corpus" / "hl7";
}

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Every *.hl7 file directly in `dir`, sorted by name.
inline std::vector<std::filesystem::path> Hl7Files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".hl7") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace gw::hl7::testing
