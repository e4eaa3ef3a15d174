// Build-time expansion of the ValueSets that required bindings point to, from
// the ValueSets and CodeSystems in valuesets.json only (no terminology server).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fhir/defs/gen/rapidjson_include.h"

namespace gw::fhir::defs_gen {

struct Expansion {
  bool enumerable = false;
  // When !enumerable: a fixed reason, e.g. "code system not in bundle: urn:ietf:bcp:13".
  std::string reason;
  std::set<std::pair<std::string, std::string>> codes;  // (system, code)
};

class ValueSetExpander {
 public:
  // `bundle` must outlive the expander (its strings are referenced).
  explicit ValueSetExpander(const Json& bundle);

  // `url` may carry a "|version" suffix (ignored). Results are cached.
  const Expansion& expand(std::string_view url);

 private:
  Expansion compute(std::string_view url, int depth);
  bool add_include(const Json& inc, std::set<std::pair<std::string, std::string>>& out,
                   std::string& reason, int depth);

  std::map<std::string, const Json*, std::less<>> value_sets_;
  std::map<std::string, const Json*, std::less<>> code_systems_;
  std::map<std::string, Expansion, std::less<>> cache_;
};

}  // namespace gw::fhir::defs_gen
