// Build-time extraction of the base StructureDefinitions (resources, complex
// and primitive data types) into the line-oriented table format decoded by
// fhir/defs/definitions.cc. The format is described there.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "fhir/defs/gen/rapidjson_include.h"

namespace gw::fhir::defs_gen {

struct StructureStats {
  int resource_types = 0;  // kind resource, abstract ones included
  int complex_types = 0;
  int primitive_types = 0;
  int elements = 0;
  int nodes = 0;
  int content_references = 0;
};

class StructureTables {
 public:
  // Appends the definitions of every base type in `bundle` (a Bundle of
  // StructureDefinitions). Returns false with `error` set on unexpected input.
  bool add_bundle(const Json& bundle, std::string& error);

  // Lines "T ..", "N ..", "E .." (see definitions.cc).
  const std::string& lines() const { return lines_; }
  // ValueSet URLs (version stripped) of every required binding seen.
  const std::set<std::string>& required_value_sets() const { return required_value_sets_; }
  const StructureStats& stats() const { return stats_; }

 private:
  bool add_structure(const Json& sd, std::string& error);

  std::string lines_;
  std::set<std::string> required_value_sets_;
  StructureStats stats_;
};

}  // namespace gw::fhir::defs_gen
