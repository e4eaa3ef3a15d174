// RapidJSON for the build-time generator (trusted inputs: the pinned FHIR
// definitions), through fhir/json/rapidjson.h like the rest of fhir/.
#pragma once

#include <string>
#include <string_view>

#include "fhir/json/rapidjson.h"

namespace gw::fhir::defs_gen {

using JsonDoc = rapidjson::Document;
using Json = rapidjson::Value;

// Member `key` as a string, or "" when absent or not a string.
inline std::string_view str(const Json& obj, const char* key) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

// Member `key` if present, else nullptr.
inline const Json* member(const Json& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

// URLs in bindings carry "|4.0.1"; the bundle's resources are keyed without it.
inline std::string_view strip_version(std::string_view url) {
  auto bar = url.find('|');
  return bar == std::string_view::npos ? url : url.substr(0, bar);
}

}  // namespace gw::fhir::defs_gen
