// The FHIR R4 4.0.1 base definitions (resources, data types, required value
// sets) as tables for the validator, generated at build time from the pinned
// official definitions by fhir/defs/gen/fhir_defs_gen and decoded once, on
// first use, into flat arrays and open-addressing hash indexes.
//
// Model: every complex type, resource and backbone element owns a "node": the
// list of elements that may appear as members of its JSON object. Elements
// with inline children (BackboneElement, Element) or a contentReference
// (Questionnaire.item.item -> Questionnaire.item) point to the node that holds
// their children; other complex elements use their type's root node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw::fhir::defs {

inline constexpr uint32_t kNone = UINT32_MAX;
inline constexpr uint32_t kUnbounded = UINT32_MAX;  // max = "*"

enum class TypeKind : uint8_t { kPrimitive, kComplex, kResource };

// The FHIR primitive types (JSON form and lexical rules differ per kind).
enum class PrimitiveKind : uint8_t {
  kNotPrimitive,
  kBoolean,
  kInteger,
  kUnsignedInt,
  kPositiveInt,
  kDecimal,
  kString,
  kMarkdown,
  kCode,
  kId,
  kUri,
  kUrl,
  kCanonical,
  kOid,
  kUuid,
  kBase64Binary,
  kInstant,
  kDate,
  kDateTime,
  kTime,
  kXhtml,
};

struct TypeDef {
  std::string_view name;
  TypeKind kind = TypeKind::kComplex;
  PrimitiveKind primitive = PrimitiveKind::kNotPrimitive;
  bool is_abstract = false;
  uint32_t node = kNone;  // root node of complex types and resources
};

// One allowed type of an element (several for choice elements).
struct ElementType {
  uint16_t type = 0;           // index into Definitions::types()
  uint32_t element = 0;        // index of the owning element in Definitions::elements()
  std::string_view json_key;   // member name in JSON: "valueQuantity" or "subject"
  uint32_t targets_begin = 0;  // Reference: allowed target resource types...
  uint16_t targets_count = 0;  // ...0 = any resource
};

struct ElementDef {
  std::string_view name;  // without "[x]"
  uint32_t node = kNone;  // owner
  uint32_t min = 0;
  uint32_t max = 1;  // kUnbounded for "*"
  bool is_choice = false;
  // Element.id and Extension.url: XML attributes, so JSON has no "_name" for them.
  bool is_attribute = false;
  uint32_t types_begin = 0;
  uint16_t types_count = 0;
  uint32_t children = kNone;   // node of inline children / contentReference target
  uint32_t value_set = kNone;  // required binding, or kNone
  bool repeats() const { return max != 1; }
};

struct NodeDef {
  std::string_view path;  // "Observation.referenceRange", "HumanName"
  uint32_t elements_begin = 0;
  uint32_t elements_count = 0;
};

struct ValueSetDef {
  std::string_view url;  // without version
  // False when the bundle cannot enumerate it (external code systems such as
  // MIME types, UCUM, currencies): bindings to it are not checked.
  bool enumerable = false;
  uint32_t code_count = 0;
};

struct ChildMatch {
  const ElementDef* element = nullptr;  // nullptr: not an element of the node
  const ElementType* type = nullptr;    // the type the JSON key selects
};

// A string-keyed open-addressing index (keys live in the static tables, so
// slots hold views). Used for child elements, type names and value-set codes.
class FlatIndex {
 public:
  void reserve(size_t keys);
  // Key = (tag, a, b); returns false if already present.
  bool insert(uint32_t tag, std::string_view a, std::string_view b, uint32_t value);
  uint32_t find(uint32_t tag, std::string_view a, std::string_view b) const;  // kNone if absent

 private:
  struct Slot {
    uint32_t tag = kNone;
    uint32_t value = kNone;
    uint64_t hash = 0;  // compared first: most probes then skip the string compare
    std::string_view a, b;
  };
  static uint64_t hash(uint32_t tag, std::string_view a, std::string_view b);
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t used_ = 0;
};

class Definitions {
 public:
  // Decodes the generated tables (see definitions.cc for the format).
  explicit Definitions(std::string_view tables);
  // Views into choice_keys_ must stay valid.
  Definitions(const Definitions&) = delete;
  Definitions& operator=(const Definitions&) = delete;

  std::span<const TypeDef> types() const { return types_; }
  std::span<const NodeDef> nodes() const { return nodes_; }
  std::span<const ElementDef> elements() const { return elements_; }
  std::span<const ValueSetDef> value_sets() const { return value_sets_; }
  const TypeDef& type(uint16_t index) const { return types_[index]; }
  const NodeDef& node(uint32_t index) const { return nodes_[index]; }

  // nullptr if unknown. Hash lookups.
  const TypeDef* find_type(std::string_view name) const;
  const NodeDef* find_node(std::string_view path) const;
  const ValueSetDef* find_value_set(std::string_view url) const;
  uint16_t type_index(const TypeDef& t) const { return static_cast<uint16_t>(&t - types_.data()); }

  // The element of `node` that JSON member `json_key` denotes (choice keys
  // such as "valueQuantity" included). Hash lookup, no allocation.
  ChildMatch find_child(uint32_t node, std::string_view json_key) const;

  std::span<const ElementDef> elements_of(const NodeDef& n) const {
    return {elements_.data() + n.elements_begin, n.elements_count};
  }
  std::span<const ElementType> types_of(const ElementDef& e) const {
    return {element_types_.data() + e.types_begin, e.types_count};
  }
  // Resource type indices allowed by a Reference type (empty: any resource).
  std::span<const uint16_t> targets_of(const ElementType& t) const {
    return {targets_.data() + t.targets_begin, t.targets_count};
  }

  // Membership in an enumerable value set: by code only (for `code` elements,
  // whose system is implied by the binding) or by system and code (Coding).
  bool contains_code(uint32_t value_set, std::string_view code) const;
  bool contains_coding(uint32_t value_set, std::string_view system, std::string_view code) const;

 private:
  void decode_element(std::string_view line, uint32_t node_index);
  void build_indexes();

  std::vector<TypeDef> types_;
  std::vector<NodeDef> nodes_;
  std::vector<ElementDef> elements_;
  std::vector<ElementType> element_types_;
  std::vector<uint16_t> targets_;
  std::vector<ValueSetDef> value_sets_;
  std::vector<std::pair<std::string_view, std::string_view>> codes_;  // (system, code)
  std::vector<uint32_t> code_value_set_;                              // parallel to codes_
  std::deque<std::string> choice_keys_;  // storage for "valueQuantity"-style names
  FlatIndex type_index_, node_index_, value_set_index_, child_index_, code_index_, coding_index_;
};

// The tables, decoded on first call (thread-safe). Never fails at run time:
// the generator checked the input and malformed tables abort (a build bug).
const Definitions& definitions();

}  // namespace gw::fhir::defs
