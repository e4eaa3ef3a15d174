// What a later message leaves of the stored Patient and Encounter (HL7 v2.5.1
// ch. 2, "null values in a field"; the V2-to-FHIR IG's guidance on updates):
// an EMPTY field says nothing, so the element it feeds keeps the stored value
// (PartialUpdate::keep_stored); the explicit null "" deletes it (the element
// is left out and not kept); a value replaces it. An element fed by several
// fields is kept only when all of them are empty. Results, orders and other
// messages repeat PID and PV1 with little more than the identifiers, and a
// whole new version would drop what the ADT gave.
#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "adapters/v2fhir/adt.h"

namespace gw::v2fhir {
namespace {

struct Source {
  const char* element;  // top-level element of the resource
  std::initializer_list<int> fields;
};

bool all_silent(const Seg& seg, std::initializer_list<int> fields) {
  return std::all_of(fields.begin(), fields.end(), [&](int f) { return seg.silent(f); });
}

void keep(PartialUpdate& partial, const char* element) {
  auto& k = partial.keep_stored;
  if (std::find(k.begin(), k.end(), element) == k.end()) k.emplace_back(element);
}

void unkeep(PartialUpdate& partial, const char* element) {
  auto& k = partial.keep_stored;
  k.erase(std::remove(k.begin(), k.end(), element), k.end());
}

void mark(PartialUpdate& partial, const Seg& seg, std::initializer_list<Source> sources) {
  for (const Source& s : sources)
    if (all_silent(seg, s.fields)) keep(partial, s.element);
}

// Extensions (race, ethnicity, religion, birth place, ...; PD1 and Z rules
// add more): merged by url, so a message replaces the extensions it sends
// and keeps the others. A null in any of their fields deletes that one, which
// a merge cannot do: then the message's extensions are the whole list.
void extensions_by_url(PartialUpdate& partial, const Seg& seg, std::initializer_list<int> fields) {
  auto& m = partial.merge_by;
  const bool deletes =
      std::any_of(fields.begin(), fields.end(), [&](int f) { return seg.null(f); });
  auto it =
      std::find_if(m.begin(), m.end(), [](const auto& b) { return b.element == "extension"; });
  if (deletes) {
    if (it != m.end()) m.erase(it);
  } else if (it == m.end()) {
    m.push_back({"extension", "url"});
  }
}

}  // namespace

void mark_patient_update(MappingContext& ctx, const Seg& pid, EntryRef patient) {
  PartialUpdate& partial = ctx.entries()[patient].partial;
  mark(partial, pid,
       {{"name", {5, 9}},
        {"telecom", {13, 14, 40}},
        {"gender", {8}},
        {"birthDate", {7}},  // with _birthDate (the time of birth)
        {"deceasedDateTime", {29, 30}},
        {"deceasedBoolean", {29, 30}},
        {"address", {11, 12}},
        {"maritalStatus", {16}},
        {"multipleBirthBoolean", {24, 25}},
        {"multipleBirthInteger", {24, 25}},
        {"communication", {15}}});
  keep(partial, "generalPractitioner");  // until a PD1 sends it
  extensions_by_url(partial, pid, {6, 10, 17, 22, 23, 26, 28});
  // Links come from events (A24, merges), not fields: a later message keeps them.
  partial.merge_by.push_back({"link", "other.reference"});
}

void mark_patient_pd1(MappingContext& ctx, const Seg& pd1, EntryRef patient) {
  PartialUpdate& partial = ctx.entries()[patient].partial;
  if (!all_silent(pd1, {3, 4})) unkeep(partial, "generalPractitioner");
  if (pd1.null(6) || pd1.null(14)) extensions_by_url(partial, pd1, {6, 14});
}

void mark_retired_patient(MappingContext& ctx, const Seg& mrg, EntryRef patient) {
  // The merge names the prior patient by identifiers (and MRG-7 name): what
  // else is stored of it stays.
  PartialUpdate& partial = ctx.entries()[patient].partial;
  for (const char* e :
       {"telecom", "gender", "birthDate", "deceasedDateTime", "deceasedBoolean", "address",
        "maritalStatus", "multipleBirthBoolean", "multipleBirthInteger", "communication",
        "generalPractitioner", "extension", "managingOrganization", "photo", "contact"})
    keep(partial, e);
  if (mrg.silent(7)) keep(partial, "name");
  partial.merge_by.push_back({"link", "other.reference"});
}

void mark_encounter_update(MappingContext& ctx, const Seg& pv1, EntryRef encounter) {
  PartialUpdate& partial = ctx.entries()[encounter].partial;
  mark(partial, pv1,
       {{"class", {2}},
        {"type", {4, 18}},
        {"serviceType", {10}},
        {"participant", {7, 8, 9, 17, 52}},
        {"period", {44, 45}},
        {"hospitalization", {5, 13, 14, 16, 36, 37, 38}},
        {"serviceProvider", {39}},
        {"location", {3, 6, 11, 42, 43}}});
  // Encounter.account is the PID-18 Account.
  if (ctx.cursor.account_silent) keep(partial, "account");
  // The event sets the status (A03 finished, ...); else PV1-44/45 do.
  if (ctx.encounter_status.empty() && all_silent(pv1, {44, 45})) keep(partial, "status");
  // Until a PV2 sends them.
  for (const char* e : {"reasonCode", "priority", "length"}) keep(partial, e);
  partial.merge_by.push_back({"extension", "url"});
}

void mark_encounter_pv2(MappingContext& ctx, const Seg& pv2, EntryRef encounter) {
  PartialUpdate& partial = ctx.entries()[encounter].partial;
  if (!pv2.silent(1)) unkeep(partial, "location");
  if (!pv2.silent(13)) unkeep(partial, "participant");
  if (!pv2.silent(3)) unkeep(partial, "reasonCode");
  if (!pv2.silent(11)) unkeep(partial, "length");
  if (!pv2.silent(25)) unkeep(partial, "priority");
  if (!all_silent(pv2, {8, 9})) unkeep(partial, "period");  // a planned encounter's period
  if (pv2.null(8) || pv2.null(9) || pv2.null(38)) extensions_by_url(partial, pv2, {8, 9, 38});
}

}  // namespace gw::v2fhir
