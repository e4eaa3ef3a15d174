// Decoder of the generated tables.
//
// Table format (one record per line, fields separated by TAB; written by
// fhir/defs/gen/fhir_defs_gen):
//   T <name> <P|C|R> <abstract 0|1>     a type: primitive, complex or resource
//   N <path>                            a node; the E lines that follow belong to it
//   E <name> <min> <max|*> <flags> <types> <valueSet|-> <childrenNode|->
//       flags: '-' or letters: c = choice ("[x]"), a = attribute (no "_name")
//       types: '-' (contentReference: BackboneElement) or ';'-separated codes,
//              "Reference:Patient,Group" listing allowed targets (none = any)
//   V <url> <enumerable 0|1>            a required value set (in first-use order)
//   Y <system>                          the code system of the C lines that follow
//   C <code>                            a code of the last V line
#include "fhir/defs/definitions.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace gw::fhir::defs {
namespace generated {
extern const char kTables[];
extern const unsigned long kTablesSize;
}  // namespace generated

namespace {

[[noreturn]] void corrupt(const char* what) {
  std::fprintf(stderr, "fhir definitions tables are corrupt (%s): rebuild\n", what);
  std::abort();
}

// Splits `line` at TABs into at most N fields; returns the count.
template <size_t N>
size_t split(std::string_view line, std::string_view (&out)[N]) {
  size_t n = 0;
  while (n < N) {
    auto tab = line.find('\t');
    out[n++] = line.substr(0, tab);
    if (tab == std::string_view::npos) break;
    line.remove_prefix(tab + 1);
  }
  return n;
}

uint32_t parse_uint(std::string_view s) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) corrupt("number");
  return v;
}

PrimitiveKind primitive_kind(std::string_view name) {
  struct Entry {
    std::string_view name;
    PrimitiveKind kind;
  };
  static constexpr Entry kKinds[] = {
      {"boolean", PrimitiveKind::kBoolean},
      {"integer", PrimitiveKind::kInteger},
      {"unsignedInt", PrimitiveKind::kUnsignedInt},
      {"positiveInt", PrimitiveKind::kPositiveInt},
      {"decimal", PrimitiveKind::kDecimal},
      {"string", PrimitiveKind::kString},
      {"markdown", PrimitiveKind::kMarkdown},
      {"code", PrimitiveKind::kCode},
      {"id", PrimitiveKind::kId},
      {"uri", PrimitiveKind::kUri},
      {"url", PrimitiveKind::kUrl},
      {"canonical", PrimitiveKind::kCanonical},
      {"oid", PrimitiveKind::kOid},
      {"uuid", PrimitiveKind::kUuid},
      {"base64Binary", PrimitiveKind::kBase64Binary},
      {"instant", PrimitiveKind::kInstant},
      {"date", PrimitiveKind::kDate},
      {"dateTime", PrimitiveKind::kDateTime},
      {"time", PrimitiveKind::kTime},
      {"xhtml", PrimitiveKind::kXhtml},
  };
  for (const auto& e : kKinds)
    if (e.name == name) return e.kind;
  corrupt("unknown primitive type");
}

// Iterates the lines of the tables.
template <typename F>
void for_each_line(std::string_view tables, F&& f) {
  while (!tables.empty()) {
    auto nl = tables.find('\n');
    std::string_view line = tables.substr(0, nl);
    f(line);
    if (nl == std::string_view::npos) break;
    tables.remove_prefix(nl + 1);
  }
}

}  // namespace

// ---- FlatIndex ---------------------------------------------------------------

uint64_t FlatIndex::hash(uint32_t tag, std::string_view a, std::string_view b) {
  uint64_t h = 1469598103934665603ull ^ (uint64_t{tag} * 0x9E3779B97F4A7C15ull);
  for (unsigned char c : a) h = (h ^ c) * 1099511628211ull;
  h = (h ^ 0xff) * 1099511628211ull;  // separator: ("ab","") != ("a","b")
  for (unsigned char c : b) h = (h ^ c) * 1099511628211ull;
  return h ^ (h >> 29);
}

void FlatIndex::reserve(size_t keys) {
  size_t cap = 16;
  while (cap < keys * 2) cap <<= 1;  // load factor <= 0.5
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  used_ = 0;
}

bool FlatIndex::insert(uint32_t tag, std::string_view a, std::string_view b, uint32_t value) {
  if ((used_ + 1) * 2 > slots_.size()) corrupt("index capacity");
  const uint64_t h = hash(tag, a, b);
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (s.tag == kNone) {
      s = Slot{tag, value, h, a, b};
      ++used_;
      return true;
    }
    if (s.hash == h && s.tag == tag && s.a == a && s.b == b) return false;
  }
}

uint32_t FlatIndex::find(uint32_t tag, std::string_view a, std::string_view b) const {
  if (slots_.empty()) return kNone;
  const uint64_t h = hash(tag, a, b);
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.tag == kNone) return kNone;
    if (s.hash == h && s.tag == tag && s.a == a && s.b == b) return s.value;
  }
}

// ---- Definitions -------------------------------------------------------------

Definitions::Definitions(std::string_view tables) {
  // Pass 1: types, nodes and value sets get their indices (E lines refer to
  // types, nodes and value sets defined later in the tables).
  size_t element_lines = 0, code_lines = 0;
  for_each_line(tables, [&](std::string_view line) {
    std::string_view f[8];
    size_t n = split(line, f);
    if (f[0] == "T") {
      if (n != 4) corrupt("T line");
      TypeDef t;
      t.name = f[1];
      t.kind = f[2] == "P"   ? TypeKind::kPrimitive
               : f[2] == "R" ? TypeKind::kResource
                             : TypeKind::kComplex;
      t.primitive =
          t.kind == TypeKind::kPrimitive ? primitive_kind(t.name) : PrimitiveKind::kNotPrimitive;
      t.is_abstract = f[3] == "1";
      types_.push_back(t);
    } else if (f[0] == "N") {
      if (n != 2) corrupt("N line");
      nodes_.push_back(NodeDef{f[1], 0, 0});
    } else if (f[0] == "V") {
      if (n != 3) corrupt("V line");
      value_sets_.push_back(ValueSetDef{f[1], f[2] == "1", 0});
    } else if (f[0] == "E") {
      ++element_lines;
    } else if (f[0] == "C") {
      ++code_lines;
    }
  });
  type_index_.reserve(types_.size());
  for (size_t i = 0; i < types_.size(); ++i)
    if (!type_index_.insert(0, types_[i].name, {}, static_cast<uint32_t>(i))) corrupt("dup type");
  node_index_.reserve(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (!node_index_.insert(0, nodes_[i].path, {}, static_cast<uint32_t>(i))) corrupt("dup node");
  value_set_index_.reserve(value_sets_.size());
  for (size_t i = 0; i < value_sets_.size(); ++i)
    if (!value_set_index_.insert(0, value_sets_[i].url, {}, static_cast<uint32_t>(i)))
      corrupt("dup value set");
  for (auto& t : types_) {
    if (const NodeDef* root = find_node(t.name))
      t.node = static_cast<uint32_t>(root - nodes_.data());
  }

  // Pass 2: elements and codes.
  elements_.reserve(element_lines);
  codes_.reserve(code_lines);
  code_value_set_.reserve(code_lines);
  uint32_t node = kNone, value_set = kNone;
  std::string_view system;
  for_each_line(tables, [&](std::string_view line) {
    if (line.empty()) return;
    switch (line[0]) {
      case 'N':
        node = node == kNone ? 0 : node + 1;
        nodes_[node].elements_begin = static_cast<uint32_t>(elements_.size());
        break;
      case 'E':
        if (node == kNone) corrupt("E before N");
        decode_element(line, node);
        ++nodes_[node].elements_count;
        break;
      case 'V':
        value_set = value_set == kNone ? 0 : value_set + 1;
        break;
      case 'Y':
        system = line.substr(2);
        break;
      case 'C':
        if (value_set == kNone) corrupt("C before V");
        codes_.emplace_back(system, line.substr(2));
        code_value_set_.push_back(value_set);
        ++value_sets_[value_set].code_count;
        break;
      default:
        break;
    }
  });
  build_indexes();
}

void Definitions::decode_element(std::string_view line, uint32_t node_index) {
  std::string_view f[8];
  if (split(line, f) != 8) corrupt("E line");
  ElementDef e;
  e.name = f[1];
  e.node = node_index;
  e.min = parse_uint(f[2]);
  e.max = f[3] == "*" ? kUnbounded : parse_uint(f[3]);
  e.is_choice = f[4].find('c') != std::string_view::npos;
  e.is_attribute = f[4].find('a') != std::string_view::npos;
  if (f[6] != "-") {
    const ValueSetDef* vs = find_value_set(f[6]);
    if (vs == nullptr) corrupt("unknown value set");
    e.value_set = static_cast<uint32_t>(vs - value_sets_.data());
  }
  if (f[7] != "-") {
    const NodeDef* children = find_node(f[7]);
    if (children == nullptr) corrupt("unknown children node");
    e.children = static_cast<uint32_t>(children - nodes_.data());
  }
  e.types_begin = static_cast<uint32_t>(element_types_.size());
  std::string_view types = f[5] == "-" ? std::string_view("BackboneElement") : f[5];
  while (!types.empty()) {
    auto semi = types.find(';');
    std::string_view one = types.substr(0, semi);
    types = semi == std::string_view::npos ? std::string_view{} : types.substr(semi + 1);
    auto colon = one.find(':');
    const TypeDef* t = find_type(one.substr(0, colon));
    if (t == nullptr) corrupt("unknown element type");
    ElementType et;
    et.type = type_index(*t);
    et.element = static_cast<uint32_t>(elements_.size());
    et.targets_begin = static_cast<uint32_t>(targets_.size());
    if (colon != std::string_view::npos) {
      std::string_view list = one.substr(colon + 1);
      while (!list.empty()) {
        auto comma = list.find(',');
        const TypeDef* target = find_type(list.substr(0, comma));
        // Targets outside this release's resources (none in 4.0.1) are dropped.
        if (target != nullptr && target->kind == TypeKind::kResource) {
          targets_.push_back(type_index(*target));
          ++et.targets_count;
        }
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
    }
    if (e.is_choice) {
      // JSON name of a choice variant: name + type with an upper-case initial.
      std::string key(e.name);
      key += t->name;
      key[e.name.size()] =
          static_cast<char>(std::toupper(static_cast<unsigned char>(key[e.name.size()])));
      choice_keys_.push_back(std::move(key));
      et.json_key = choice_keys_.back();
    } else {
      et.json_key = e.name;
    }
    element_types_.push_back(et);
    ++e.types_count;
  }
  elements_.push_back(e);
}

void Definitions::build_indexes() {
  child_index_.reserve(element_types_.size());
  for (const auto& e : elements_) {
    for (size_t i = 0; i < e.types_count; ++i) {
      const ElementType& et = element_types_[e.types_begin + i];
      // Non-choice elements with several types do not occur in R4; the first wins.
      child_index_.insert(e.node, et.json_key, {}, static_cast<uint32_t>(e.types_begin + i));
    }
  }
  code_index_.reserve(codes_.size());
  coding_index_.reserve(codes_.size());
  for (size_t i = 0; i < codes_.size(); ++i) {
    code_index_.insert(code_value_set_[i], codes_[i].second, {}, static_cast<uint32_t>(i));
    coding_index_.insert(code_value_set_[i], codes_[i].first, codes_[i].second,
                         static_cast<uint32_t>(i));
  }
}

const TypeDef* Definitions::find_type(std::string_view name) const {
  uint32_t i = type_index_.find(0, name, {});
  return i == kNone ? nullptr : &types_[i];
}

const NodeDef* Definitions::find_node(std::string_view path) const {
  uint32_t i = node_index_.find(0, path, {});
  return i == kNone ? nullptr : &nodes_[i];
}

const ValueSetDef* Definitions::find_value_set(std::string_view url) const {
  uint32_t i = value_set_index_.find(0, url, {});
  return i == kNone ? nullptr : &value_sets_[i];
}

ChildMatch Definitions::find_child(uint32_t node, std::string_view json_key) const {
  uint32_t i = child_index_.find(node, json_key, {});
  if (i == kNone) return {};
  const ElementType* et = &element_types_[i];
  return ChildMatch{&elements_[et->element], et};
}

bool Definitions::contains_code(uint32_t value_set, std::string_view code) const {
  return code_index_.find(value_set, code, {}) != kNone;
}

bool Definitions::contains_coding(uint32_t value_set, std::string_view system,
                                  std::string_view code) const {
  return coding_index_.find(value_set, system, code) != kNone;
}

const Definitions& definitions() {
  static const Definitions* const defs =
      new Definitions(std::string_view(generated::kTables, generated::kTablesSize));
  return *defs;
}

}  // namespace gw::fhir::defs
