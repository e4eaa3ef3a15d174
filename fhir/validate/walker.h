// The validator's traversal state (internal to fhir/validate).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/defs/definitions.h"
#include "fhir/json/json.h"
#include "fhir/validate/validator.h"

namespace gw::fhir::validation {

// Bounds on hostile nesting (the JSON parser bounds depth too, but built
// values may be deeper).
inline constexpr size_t kMaxObjectDepth = 128;
inline constexpr int kMaxResourceDepth = 8;

// Indices of the types with rules beyond their structure, found once.
struct SpecialTypes {
  uint16_t extension, reference, coding, codeable_concept, resource;
  uint32_t element_node;  // {"id", "extension"}: the content of "_name" members
};

class Walker {
 public:
  Walker(const ValidationOptions& options, std::vector<ValidationIssue>& issues);
  ~Walker();
  Walker(const Walker&) = delete;
  Walker& operator=(const Walker&) = delete;

  void validate_root(const JsonValue& resource);

  // Per-element state of one JSON object being checked.
  struct Slot {
    const JsonValue* value = nullptr;  // member "name"
    const JsonValue* ext = nullptr;    // member "_name"
    const defs::ElementType* type = nullptr;
  };
  // Ids of the contained resources of the resource being checked ("#id").
  struct ContainedEntry {
    std::string_view id;
    const defs::TypeDef* type;  // nullptr if unknown
  };

 private:
  // ---- traversal (walker.cc)
  void resource(const JsonValue& value, bool contained);
  void object(const JsonValue& obj, uint32_t node, bool resource_root);
  void member(const defs::ElementDef& e, const defs::ElementType& t, const JsonValue* value,
              const JsonValue* ext);
  void value(const defs::ElementDef& e, const defs::ElementType& t, const JsonValue* value,
             const JsonValue* ext);
  void primitive(const defs::ElementDef& e, const defs::TypeDef& type, const JsonValue& value);
  void complex(const defs::ElementDef& e, const defs::ElementType& t, const JsonValue& value);

  // ---- rules beyond structure (walker_rules.cc)
  void resource_rules(const JsonValue& res, const defs::TypeDef& type, bool contained);
  void collect_contained(const JsonValue& res);
  void extension_rules(const JsonValue& ext);
  void reference_rules(const JsonValue& ref, const defs::ElementType& t);
  void target_allowed(const defs::TypeDef* target, const defs::ElementType& t);
  void coding_binding(const JsonValue& coding, uint32_t value_set);
  void codeable_concept_binding(const JsonValue& cc, uint32_t value_set);

  // ---- issues and paths
  void issue(const char* code, const char* message, IssueSeverity severity = IssueSeverity::kError);
  size_t push(std::string_view name);          // ".name" (or "name" at the root); returns old size
  size_t push_key(std::string_view json_key);  // like push, "*" for unreportable keys
  size_t push_index(size_t index);             // "[i]"
  void pop(size_t old_size) { path_.resize(old_size); }

  const defs::Definitions& defs_;
  const SpecialTypes& special_;
  const ValidationOptions& options_;
  std::vector<ValidationIssue>& issues_;
  bool stopped_ = false;
  std::string path_;
  std::vector<Slot> slots_;  // stack of per-object slot arrays
  std::vector<ContainedEntry> contained_;
  size_t contained_base_ = 0;
  size_t object_depth_ = 0;
  int resource_depth_ = 0;
};

}  // namespace gw::fhir::validation
