// Helpers shared by this folder's tests and benchmark (GoogleTest-free; the
// ones that report failures are in test_expect.h). Not part of the library.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/hl7/er7.h"
#include "adapters/v2fhir/convert.h"
#include "adapters/v2fhir/mapping_config.h"
#include "fhir/json/canonical.h"

namespace gw::v2fhir::testing {

inline std::filesystem::path TestDataDir() {
  return std::filesystem::path(GW_SOURCE_DIR) / "adapters" / "v2fhir" / "testdata";
}

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The channel configuration the golden files are produced with: New York
// local time, some authorities configured (others fall back to gateway URNs),
// one local-code translation and one Z-segment rule.
inline MappingConfig GoldenConfig() {
  MappingConfig c;
  c.time_zone = "America/New_York";
  c.identifier_systems["GOODHEALTH"] = "http://goodhealth.example.org/fhir/sid/mrn";
  c.identifier_systems["CENTRALHIS"] = "http://centralhis.example.org/fhir/sid/mrn";
  c.identifier_systems["CITYLAB"] = "http://citylab.example.org/fhir/sid/id";
  c.code_translations.push_back(
      {"99LAB", "NEG", "http://snomed.info/sct", "260385009", "Negative"});
  c.z_segments = ZSegmentPolicy::kMapByRules;
  c.z_rules.push_back({"ZPD", 2, "Patient",
                       "http://example.org/fhir/StructureDefinition/preferred-pharmacy",
                       "CodeableConcept"});
  return c;
}

struct Converted {
  std::string er7;  // owns the buffer the message views
  hl7::ParseResult parsed;
  ConversionResult result;
};

// Parses and converts; `out` must stay where it is (the Message views out->er7).
inline void ConvertText(std::string er7, const MappingConfig& config, Converted* out) {
  out->er7 = std::move(er7);
  out->parsed = hl7::parse(out->er7);
  if (out->parsed.ok()) out->result = convert_message(*out->parsed.message, config);
}

// True when the converter supports the message type of this ER7 text (other
// helpers add testdata before their message types are registered).
inline bool TypeSupported(const std::string& er7) {
  hl7::ParseResult p = hl7::parse(er7);
  if (!p.ok()) return true;  // let the caller report the parse failure
  std::string type = p.message->header().message_code + "^" + p.message->header().trigger_event;
  for (const std::string& t : supported_message_types()) {
    if (t == type) return true;
  }
  return false;
}

inline std::string Canonical(const fhir::JsonValue& v) {
  auto c = fhir::canonicalize(v);
  return c.ok() ? *c : std::string();
}

// A segment from its valued fields ({number, value}), empty fields between:
// S("PID", {{3, "1^^^A"}}) is "PID|||1^^^A\r".
inline std::string S(std::string id, const std::map<int, std::string>& fields) {
  int last = fields.empty() ? 0 : fields.rbegin()->first;
  for (int i = 1; i <= last; ++i) {
    auto it = fields.find(i);
    id += "|" + (it == fields.end() ? std::string() : it->second);
  }
  return id + "\r";
}

// The resources of `type` in the Bundle, in entry order (pointers into
// r.bundle).
inline std::vector<const fhir::JsonValue*> Resources(const ConversionResult& r,
                                                     std::string_view type) {
  std::vector<const fhir::JsonValue*> out;
  const fhir::JsonValue* entries = r.bundle.find("entry");
  if (entries == nullptr) return out;
  for (const fhir::JsonValue& e : entries->items()) {
    const fhir::JsonValue* resource = e.find("resource");
    if (resource == nullptr) continue;
    const fhir::JsonValue* t = resource->find("resourceType");
    if (t != nullptr && t->text() == type) out.push_back(resource);
  }
  return out;
}
inline std::vector<const fhir::JsonValue*> Resources(const Converted& c, std::string_view type) {
  return Resources(c.result, type);
}

// The first resource of `type` in the Bundle (nullptr if none).
inline const fhir::JsonValue* First(const Converted& c, std::string_view type) {
  auto all = Resources(c, type);
  return all.empty() ? nullptr : all.front();
}

// The text of r[key], or a marker saying what is missing (for comparisons).
inline std::string Text(const fhir::JsonValue* r, std::string_view key) {
  if (r == nullptr) return "<no resource>";
  const fhir::JsonValue* v = r->find(key);
  return v == nullptr ? "<absent>" : v->text();
}

// Errors and warnings as "E PID-3: text; W PV1-2: text; " (for failure output).
inline std::string Issues(const ConversionResult& r) {
  std::string out;
  for (const MappingIssue& e : r.errors)
    out += "E " + e.location.to_string() + ": " + e.text + "; ";
  for (const MappingIssue& w : r.warnings)
    out += "W " + w.location.to_string() + ": " + w.text + "; ";
  return out;
}
inline std::string Issues(const Converted& c) { return Issues(c.result); }

// True if a warning is located exactly at `location` and its text contains
// `text`.
inline bool HasWarning(const ConversionResult& r, std::string_view location,
                       std::string_view text) {
  for (const MappingIssue& w : r.warnings) {
    if (w.location.to_string() == location && w.text.find(text) != std::string::npos) return true;
  }
  return false;
}
inline bool HasWarning(const Converted& c, std::string_view location, std::string_view text) {
  return HasWarning(c.result, location, text);
}

}  // namespace gw::v2fhir::testing

#include <memory>

#include "adapters/v2fhir/context.h"

namespace gw::v2fhir::testing {

// A MappingContext over a message made of `segments` (joined with '\r', MSH
// prepended) for unit tests of datatype and segment functions.
struct TestContext {
  explicit TestContext(std::vector<std::string> segments, MappingConfig cfg = {})
      : config(std::move(cfg)) {
    er7 = "MSH|^~\\&|APP|FAC|GW|GWFAC|20240101120000||ADT^A01|CTRL1|P|2.5.1\r";
    for (const auto& s : segments) er7 += s + "\r";
    parsed = hl7::parse(er7);
    if (!parsed.ok()) std::abort();
    ctx = std::make_unique<MappingContext>(*parsed.message, config,
                                           find_time_zone(config.time_zone).value_or(nullptr));
  }
  // Seg for the first segment with this id.
  Seg seg(std::string_view id, int occurrence = 1) const {
    return Seg{*parsed.message->find(id, occurrence), occurrence, false};
  }
  std::string er7;
  MappingConfig config;
  hl7::ParseResult parsed;
  std::unique_ptr<MappingContext> ctx;
};

}  // namespace gw::v2fhir::testing
