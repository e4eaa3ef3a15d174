#include "fhir/defs/gen/value_set_expander.h"

#include <functional>

namespace gw::fhir::defs_gen {
namespace {

// Every (code, descendants...) of a CodeSystem's nested concept tree.
void collect_concepts(const Json& concepts, std::vector<std::string>& out) {
  if (!concepts.IsArray()) return;
  for (const auto& c : concepts.GetArray()) {
    std::string_view code = str(c, "code");
    if (!code.empty()) out.emplace_back(code);
    if (const Json* nested = member(c, "concept")) collect_concepts(*nested, out);
  }
}

// The concept object with `code` anywhere in the tree, or nullptr.
const Json* find_concept(const Json& concepts, std::string_view code) {
  if (!concepts.IsArray()) return nullptr;
  for (const auto& c : concepts.GetArray()) {
    if (str(c, "code") == code) return &c;
    if (const Json* nested = member(c, "concept")) {
      if (const Json* hit = find_concept(*nested, code)) return hit;
    }
  }
  return nullptr;
}

}  // namespace

ValueSetExpander::ValueSetExpander(const Json& bundle) {
  const Json* entries = member(bundle, "entry");
  if (entries == nullptr || !entries->IsArray()) return;
  for (const auto& e : entries->GetArray()) {
    const Json* r = member(e, "resource");
    if (r == nullptr) continue;
    std::string_view type = str(*r, "resourceType");
    std::string url(str(*r, "url"));
    if (url.empty()) continue;
    if (type == "ValueSet") value_sets_.emplace(url, r);
    if (type == "CodeSystem") code_systems_.emplace(url, r);
  }
}

const Expansion& ValueSetExpander::expand(std::string_view url) {
  std::string key(strip_version(url));
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  Expansion e = compute(key, 0);
  return cache_.emplace(key, std::move(e)).first->second;
}

bool ValueSetExpander::add_include(const Json& inc,
                                   std::set<std::pair<std::string, std::string>>& out,
                                   std::string& reason, int depth) {
  std::string system(str(inc, "system"));
  const Json* concepts = member(inc, "concept");
  const Json* filters = member(inc, "filter");
  std::set<std::pair<std::string, std::string>> part;
  bool have_part = false;
  if (!system.empty()) {
    have_part = true;
    if (concepts != nullptr && concepts->IsArray()) {
      // Listed codes are taken as listed (the CodeSystem may be external).
      for (const auto& c : concepts->GetArray()) {
        std::string_view code = str(c, "code");
        if (!code.empty()) part.emplace(system, code);
      }
    } else {
      auto cs_it = code_systems_.find(system);
      if (cs_it == code_systems_.end()) {
        reason = "code system not in bundle: " + system;
        return false;
      }
      const Json& cs = *cs_it->second;
      std::string_view content = str(cs, "content");
      if (content != "complete") {
        reason = "code system content is '" + std::string(content) + "': " + system;
        return false;
      }
      const Json* tree = member(cs, "concept");
      std::vector<std::string> codes;
      if (filters == nullptr) {
        if (tree != nullptr) collect_concepts(*tree, codes);
        for (auto& c : codes) part.emplace(system, c);
      } else {
        // Only hierarchy filters on the concept tree are evaluated here.
        bool first = true;
        for (const auto& f : filters->GetArray()) {
          std::string_view prop = str(f, "property");
          std::string_view op = str(f, "op");
          std::string_view value = str(f, "value");
          const Json* root = tree == nullptr ? nullptr : find_concept(*tree, value);
          if (prop != "concept" || (op != "is-a" && op != "descendent-of") || root == nullptr) {
            reason =
                "unsupported filter " + std::string(prop) + " " + std::string(op) + " on " + system;
            return false;
          }
          std::vector<std::string> sel;
          if (op == "is-a") sel.emplace_back(value);
          if (const Json* nested = member(*root, "concept")) collect_concepts(*nested, sel);
          std::set<std::pair<std::string, std::string>> fpart;
          for (auto& c : sel) fpart.emplace(system, c);
          if (first) {
            part = std::move(fpart);
            first = false;
          } else {
            std::set<std::pair<std::string, std::string>> both;
            for (auto& p : part)
              if (fpart.count(p)) both.insert(p);
            part = std::move(both);
          }
        }
      }
    }
  }
  if (const Json* vss = member(inc, "valueSet"); vss != nullptr && vss->IsArray()) {
    // Included value sets intersect with each other and with the system part.
    for (const auto& v : vss->GetArray()) {
      if (!v.IsString()) continue;
      Expansion sub = compute(strip_version(v.GetString()), depth + 1);
      if (!sub.enumerable) {
        reason = sub.reason;
        return false;
      }
      if (!have_part) {
        part = std::move(sub.codes);
        have_part = true;
      } else {
        std::set<std::pair<std::string, std::string>> both;
        for (auto& p : part)
          if (sub.codes.count(p)) both.insert(p);
        part = std::move(both);
      }
    }
  }
  out.insert(part.begin(), part.end());
  return true;
}

Expansion ValueSetExpander::compute(std::string_view url, int depth) {
  Expansion result;
  if (depth > 16) {
    result.reason = "value set inclusion too deep: " + std::string(url);
    return result;
  }
  auto vs_it = value_sets_.find(url);
  if (vs_it == value_sets_.end()) {
    result.reason = "value set not in bundle";
    return result;
  }
  const Json& vs = *vs_it->second;
  const Json* compose = member(vs, "compose");
  if (compose == nullptr) {
    // A few value sets ship only an expansion.
    const Json* expansion = member(vs, "expansion");
    const Json* contains = expansion == nullptr ? nullptr : member(*expansion, "contains");
    if (contains == nullptr || !contains->IsArray()) {
      result.reason = "value set has neither compose nor expansion";
      return result;
    }
    for (const auto& c : contains->GetArray())
      result.codes.emplace(std::string(str(c, "system")), std::string(str(c, "code")));
    result.enumerable = true;
    return result;
  }
  if (const Json* inc = member(*compose, "include"); inc != nullptr && inc->IsArray()) {
    for (const auto& i : inc->GetArray()) {
      if (!add_include(i, result.codes, result.reason, depth)) return result;
    }
  }
  if (const Json* exc = member(*compose, "exclude"); exc != nullptr && exc->IsArray()) {
    for (const auto& x : exc->GetArray()) {
      std::set<std::pair<std::string, std::string>> excluded;
      // An exclusion we cannot enumerate would let unknown codes through as
      // members: treat the whole value set as not enumerable instead.
      if (!add_include(x, excluded, result.reason, depth)) return result;
      for (auto& p : excluded) result.codes.erase(p);
    }
  }
  if (result.codes.empty()) {
    result.reason = "expansion is empty";
    return result;
  }
  result.enumerable = true;
  return result;
}

}  // namespace gw::fhir::defs_gen
