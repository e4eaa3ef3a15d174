// RapidJSON for the build-time generator (trusted inputs: the pinned FHIR
// definitions). Same pointer-overflow workaround as fhir/json/json.cc.
#pragma once

// Declared before the attribute region: rapidjson's headers instantiate the
// standard stream templates, and clang warns that an attribute cannot be added
// to those already-defined functions when a caller included <string> first.
#include <istream>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

#include <string>
#include <string_view>

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
