// Laboratory: SAC containers, specimen observations, the lab fields of
// ORC/OBR/OBX and microbiology parent/child links (see lab.h).
#include <utility>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/lab.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

// v2-0119 order control -> request-status (IG ConceptMap
// OrderControlCode[ServiceRequest.status]); "" for codes that name an action
// without a resulting state (RE: observations follow, SN, ...).
bool order_control_known(std::string_view c) {
  static constexpr std::string_view kCodes[] = {
      "NW", "OK", "UA", "CA", "OC", "CR", "UC", "DC", "OD", "DR", "UD", "HD", "OH", "HR",
      "UH", "RL", "OE", "OR", "UR", "RP", "RU", "RO", "RQ", "UM", "PA", "CN", "RE", "RR",
      "SR", "SS", "SC", "SN", "NA", "NR", "RF", "XO", "XR", "XX", "DE", "UX", "UN", "LI"};
  for (std::string_view k : kCodes) {
    if (k == c) return true;
  }
  return false;
}
const char* status_from_order_control(std::string_view c) {
  if (c == "NW" || c == "OK" || c == "RL" || c == "XO" || c == "XX" || c == "XR" || c == "SC")
    return "active";
  if (c == "CA" || c == "OC" || c == "CR" || c == "DC" || c == "OD" || c == "DR") return "revoked";
  if (c == "HD" || c == "OH" || c == "HR") return "on-hold";
  return nullptr;
}

// A CWE held in the components (or subcomponents) of `e` -> CodeableConcept;
// null (with a warning) when it does not read as a CWE.
JsonValue concept_of(MappingContext& ctx, const hl7::Element& e, const IssueLocation& loc,
                     std::string_view table = {}) {
  if (!e.has_value()) return {};
  auto cwe = hl7::read_cwe(e);
  if (!cwe.ok()) {
    ctx.warning(loc, "invalid coded value");
    return {};
  }
  return codeable_concept(ctx, *cwe, loc, table);
}

// NM text + units CWE element -> Quantity; null (with a warning) when the
// number does not read.
JsonValue quantity_of(MappingContext& ctx, std::string_view number, const hl7::Element& units,
                      const IssueLocation& loc) {
  std::string text = trim(number);
  if (text.empty()) return {};
  auto n = hl7::parse_number(text);
  if (!n.ok() || n->text.empty()) {
    ctx.warning(loc, "quantity is not a number: not mapped");
    return {};
  }
  hl7::CWE unit;
  if (units.has_value()) {
    auto u = hl7::read_cwe(units);
    if (u.ok()) {
      unit = *u;
    } else {
      ctx.warning(loc, "invalid units: quantity kept without them");
    }
  }
  return quantity(n->fhir_decimal(), unit);
}

bool order_message(const MappingContext& ctx) {
  return message_is(ctx, "ORM") || message_is(ctx, "OML") || message_is(ctx, "OMG");
}

// Structural equality (member order included: both sides are built here).
bool same_json(const JsonValue& a, const JsonValue& b) {
  if (a.type() != b.type() || a.text() != b.text() || a.as_bool() != b.as_bool()) return false;
  if (a.items().size() != b.items().size() || a.members().size() != b.members().size())
    return false;
  for (size_t i = 0; i < a.items().size(); ++i)
    if (!same_json(a.items()[i], b.items()[i])) return false;
  for (size_t i = 0; i < a.members().size(); ++i) {
    if (a.members()[i].key != b.members()[i].key) return false;
    if (!same_json(a.members()[i].value, b.members()[i].value)) return false;
  }
  return true;
}

bool has_time(const std::string& t) { return t.find('T') != std::string::npos; }

}  // namespace

// The order's Provenance (IG ORC[Provenance]): who entered it (ORC-10), the
// order control as its activity, recorded at ORC-9 (else MSH-7).
void lab_order_provenance(MappingContext& ctx, EntryRef order, const std::string& key) {
  EntryRef enterer = ctx.cursor.pending_orc_enterer;
  std::string control = std::move(ctx.cursor.pending_orc_control);
  ctx.cursor.pending_orc_enterer = kNoEntry;
  ctx.cursor.pending_orc_control.clear();
  if (enterer == kNoEntry) return;
  std::string recorded;
  if (const JsonValue* a = ctx.resource(order).find("authoredOn"); a && has_time(a->text()))
    recorded = a->text();
  if (recorded.empty()) recorded = time_field(ctx, ctx.segment(0), 7, TimeKind::kInstant);
  if (recorded.empty()) return;  // the message itself is refused without MSH-7
  JsonValue prov = JsonValue::make_object();
  prov.add("resourceType", JsonValue::make_string("Provenance"));
  prov.add("target", JsonValue::make_array()).push(ctx.reference(order));
  prov.add("recorded", JsonValue::make_string(recorded));
  if (!control.empty()) {
    // IG ORC[Provenance]: NW creates, XO updates (v3 DataOperation); the
    // order control code itself is kept beside it.
    JsonValue activity = JsonValue::make_object();
    JsonValue& codings = activity.add("coding", JsonValue::make_array());
    const char* operation = control == "NW" ? "CREATE" : control == "XO" ? "UPDATE" : nullptr;
    if (operation != nullptr)
      codings.push(
          make_coding("http://terminology.hl7.org/CodeSystem/v3-DataOperation", operation));
    codings.push(make_coding("http://terminology.hl7.org/CodeSystem/v2-0119", control));
    prov.add("activity", std::move(activity));
  }
  JsonValue agent = JsonValue::make_object();
  agent.add("type",
            make_concept("http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                         "enterer", "Enterer"));
  agent.add("who", ctx.reference(enterer));
  prov.add("agent", JsonValue::make_array()).push(std::move(agent));
  // One per message: each order event (NW, then the filler's SC/RE) is its own.
  ctx.add_created("Provenance", "ORC|" + key + "|" + trim(ctx.message().header().control_id),
                  std::move(prov));
}

namespace {

// Identifier of the parent order (OBR-29: placer EI in .1, filler EI in .2),
// filler first; null when neither.
JsonValue parent_order_identifier(MappingContext& ctx, const Seg& seg) {
  IssueLocation loc = MappingContext::location(seg, 29);
  JsonValue filler = identifier_from_ei(ctx, read_ei(seg.at(29, 1, 2)), "FILL", loc);
  if (!filler.empty()) return filler;
  return identifier_from_ei(ctx, read_ei(seg.at(29, 1, 1)), "PLAC", loc);
}

// The container element of `specimen` that SAC `container_id` describes: the
// one with that identifier, else the only one without identifier (from
// SPM-27), else a new one.
JsonValue& container_for(JsonValue& specimen, const JsonValue& container_id) {
  JsonValue* arr = specimen.find_mutable("container");
  if (arr == nullptr) arr = &specimen.add("container", JsonValue::make_array());
  std::string wanted = container_id.empty() ? std::string() : identifier_key(container_id);
  JsonValue* unnamed = nullptr;
  for (JsonValue& c : arr->mutable_items()) {
    const JsonValue* ids = c.find("identifier");
    if (ids == nullptr) {
      if (unnamed == nullptr) unnamed = &c;
      continue;
    }
    if (!wanted.empty() && identifier_key(ids->items()[0]) == wanted) return c;
  }
  if (unnamed != nullptr) return *unnamed;
  return arr->push(JsonValue::make_object());
}

// OBX-23 XON, OBX-24 its address, OBX-25 its medical director -> the
// Organization and the director's PractitionerRole, kept in the cursor.
void map_performing_organization(MappingContext& ctx, const Seg& seg) {
  EntryRef org = organization_from_xon(ctx, seg.at(23, 1), MappingContext::location(seg, 23));
  std::vector<JsonValue> addresses = addresses_field(ctx, seg, 24);
  if (org != kNoEntry && !addresses.empty()) {
    JsonValue& o = ctx.resource(org);
    if (o.find("address") == nullptr) {
      JsonValue& arr = o.add("address", JsonValue::make_array());
      for (JsonValue& a : addresses) arr.push(std::move(a));
    }
  } else if (!addresses.empty()) {
    ctx.warning(MappingContext::location(seg, 24),
                "performing organization address without organization name not mapped");
  }
  EntryRef director = practitioner_from_xcn(ctx, seg.at(25, 1), MappingContext::location(seg, 25));
  ctx.cursor.performing_org = org;
  ctx.cursor.director_role = kNoEntry;
  if (director == kNoEntry) return;
  JsonValue role = JsonValue::make_object();
  role.add("resourceType", JsonValue::make_string("PractitionerRole"));
  role.add("practitioner", ctx.reference(director));
  if (org != kNoEntry) role.add("organization", ctx.reference(org));
  role.add("code", JsonValue::make_array())
      .push(make_concept("http://terminology.hl7.org/CodeSystem/v2-0912", "MDIR",
                         "Medical Director"));
  std::string key =
      "MDIR|" + ctx.entry(director).id + "|" + (org != kNoEntry ? ctx.entry(org).id : "");
  ctx.cursor.director_role = ctx.add("PractitionerRole", key, std::move(role));
}

}  // namespace

bool specimen_first_message(const MappingContext& ctx) {
  return (message_is(ctx, "OUL") &&
          (ctx.trigger_event() == "R22" || ctx.trigger_event() == "R23")) ||
         (message_is(ctx, "OML") && ctx.trigger_event() == "O33");
}

void push_unique_reference(JsonValue& r, const char* element, JsonValue ref) {
  JsonValue* arr = r.find_mutable(element);
  if (arr == nullptr) arr = &r.add(element, JsonValue::make_array());
  for (const JsonValue& existing : arr->items()) {
    const JsonValue* a = existing.find("reference");
    const JsonValue* b = ref.find("reference");
    if (a != nullptr && b != nullptr && a->text() == b->text()) return;
  }
  arr->push(std::move(ref));
}

void set_request_occurrence(JsonValue& sr, const std::string& start, const std::string& end) {
  if (start.empty() || sr.find("occurrenceDateTime") != nullptr ||
      sr.find("occurrencePeriod") != nullptr)
    return;
  if (!end.empty()) {
    JsonValue period = JsonValue::make_object();
    period.add("start", JsonValue::make_string(start));
    period.add("end", JsonValue::make_string(end));
    sr.add("occurrencePeriod", std::move(period));
  } else {
    sr.add("occurrenceDateTime", JsonValue::make_string(start));
  }
}

const char* request_priority(std::string_view p) {
  if (p == "S") return "stat";
  if (p == "A") return "asap";
  if (p == "R") return "routine";
  if (p == "T") return "urgent";  // timing critical
  return nullptr;
}

void set_request_priority(MappingContext& ctx, JsonValue& sr, const std::string& code,
                          const IssueLocation& loc) {
  if (code.empty() || sr.find("priority") != nullptr) return;
  if (const char* p = request_priority(code)) {
    sr.add("priority", JsonValue::make_string(p));
  } else {
    ctx.warning(loc, "priority not mapped");
  }
}

// ---- SAC --------------------------------------------------------------------

void map_sac(MappingContext& ctx, const Seg& seg) {
  ctx.cursor.specimen_observations = false;  // OBX after a SAC are results again
  IssueLocation loc3 = MappingContext::location(seg, 3);
  JsonValue container_id = identifier_from_ei(ctx, read_ei(seg.at(3, 1)), "", loc3);
  EntryRef ref = ctx.cursor.specimen;
  if (ref == kNoEntry) {
    // A container without SPM (v2.4 style OUL, LAS messages): the container
    // stands for its specimen, keyed by the container identifier.
    JsonValue sp = JsonValue::make_object();
    sp.add("resourceType", JsonValue::make_string("Specimen"));
    std::string key;
    if (!container_id.empty()) {
      key = "container|" + identifier_key(container_id);
    } else {
      ctx.warning(loc3, "container without identifier: keyed by its order");
      key = ctx.cursor.order_key + "|" + ctx.cursor.patient_key + "|container";
      std::string base = key;
      for (int n = 2; ctx.find("Specimen", key) != kNoEntry; ++n)
        key = base + "|rank|" + std::to_string(n);
    }
    JsonValue type = concept_of(ctx, seg.at(6, 1, 1), MappingContext::location(seg, 6, 1), "0487");
    if (!type.empty()) sp.add("type", std::move(type));
    if (ctx.cursor.patient != kNoEntry) sp.add("subject", ctx.reference(ctx.cursor.patient));
    if (ctx.cursor.order != kNoEntry)
      sp.add("request", JsonValue::make_array()).push(ctx.reference(ctx.cursor.order));
    ref = ctx.add("Specimen", key, std::move(sp));
    if (ctx.cursor.order != kNoEntry)
      push_unique_reference(ctx.resource(ctx.cursor.order), "specimen", ctx.reference(ref));
    ctx.cursor.specimen = ref;
    ctx.cursor.specimen_key = key;
  } else if (seg.field(6).has_value()) {
    // SPM carries the specimen source when both are sent (v2.5 ch. 13).
    JsonValue& sp = ctx.resource(ref);
    if (sp.find("type") == nullptr) {
      JsonValue type =
          concept_of(ctx, seg.at(6, 1, 1), MappingContext::location(seg, 6, 1), "0487");
      if (!type.empty()) sp.add("type", std::move(type));
    } else {
      ctx.warning(MappingContext::location(seg, 6),
                  "specimen source not mapped: the specimen type is given by SPM-4");
    }
  }
  JsonValue& sp = ctx.resource(ref);
  // SAC-1 external accession: another identifier of the specimen; SAC-2 the
  // accession identifier (SPM-30's place) when SPM gave none.
  JsonValue external =
      identifier_from_ei(ctx, read_ei(seg.at(1, 1)), "", MappingContext::location(seg, 1));
  if (!external.empty()) {
    JsonValue* ids = sp.find_mutable("identifier");
    if (ids == nullptr) ids = &sp.add("identifier", JsonValue::make_array());
    bool seen = false;
    for (const JsonValue& id : ids->items())
      seen = seen || identifier_key(id) == identifier_key(external);
    if (!seen) ids->push(std::move(external));
  }
  JsonValue accession =
      identifier_from_ei(ctx, read_ei(seg.at(2, 1)), "ACSN", MappingContext::location(seg, 2));
  if (!accession.empty()) {
    const JsonValue* have = sp.find("accessionIdentifier");
    if (have == nullptr) {
      sp.add("accessionIdentifier", std::move(accession));
    } else if (identifier_key(*have) != identifier_key(accession)) {
      JsonValue* ids = sp.find_mutable("identifier");
      if (ids == nullptr) ids = &sp.add("identifier", JsonValue::make_array());
      ids->push(std::move(accession));
    }
  }
  // SAC-7 registration in the laboratory: the receipt time when SPM-18 gave none.
  std::string registered = time_field(ctx, seg, 7, TimeKind::kDateTime);
  if (!registered.empty()) {
    if (sp.find("receivedTime") == nullptr) {
      sp.add("receivedTime", JsonValue::make_string(registered));
    } else if (sp.find("receivedTime")->text() != registered) {
      ctx.warning(MappingContext::location(seg, 7),
                  "registration time not mapped: the receipt time is given by SPM-18");
    }
  }
  // Volumes are in SAC-24 units: SAC-21 capacity, SAC-22 what is left,
  // SAC-23 what was collected.
  hl7::Element units = seg.at(24, 1);
  JsonValue capacity = quantity_of(ctx, seg.text(21), units, MappingContext::location(seg, 21));
  JsonValue available = quantity_of(ctx, seg.text(22), units, MappingContext::location(seg, 22));
  JsonValue initial = quantity_of(ctx, seg.text(23), units, MappingContext::location(seg, 23));
  if (!initial.empty()) {
    JsonValue* collection = sp.find_mutable("collection");
    if (collection == nullptr) collection = &sp.add("collection", JsonValue::make_object());
    if (collection->find("quantity") == nullptr) {
      collection->add("quantity", std::move(initial));
    } else if (!same_json(*collection->find("quantity"), initial)) {
      ctx.warning(MappingContext::location(seg, 23),
                  "initial volume not mapped: the collected amount is given by SPM-12");
    }
  }
  // SAC-30 treatment (v2-0373) is a processing step of the specimen.
  JsonValue treatment = codeable_concept_field(ctx, seg, 30, 1, "0373");
  if (!treatment.empty()) {
    JsonValue step = JsonValue::make_object();
    step.add("procedure", std::move(treatment));
    sp.add("processing", JsonValue::make_array()).push(std::move(step));
  }
  JsonValue additive = codeable_concept_field(ctx, seg, 27, 1, "0371");
  if (seg.at(27, 2).has_value())
    ctx.warning(MappingContext::location(seg, 27, 0, 2), "further additives not mapped");
  JsonValue& container = container_for(sp, container_id);
  if (!container_id.empty() && container.find("identifier") == nullptr)
    container.add("identifier", JsonValue::make_array()).push(std::move(container_id));
  if (!capacity.empty()) container.add("capacity", std::move(capacity));
  if (!available.empty()) container.add("specimenQuantity", std::move(available));
  if (!additive.empty()) {
    if (container.find("additiveCodeableConcept") == nullptr) {
      container.add("additiveCodeableConcept", std::move(additive));
    } else if (!same_json(*container.find("additiveCodeableConcept"), additive)) {
      ctx.warning(MappingContext::location(seg, 27),
                  "additive not mapped: the container's additive is given by SPM-6");
    }
  }
  if (container.empty()) {
    // Nothing of the container itself was sent: drop the empty element.
    JsonValue* arr = sp.find_mutable("container");
    arr->mutable_items().pop_back();
    if (arr->items().empty()) sp.remove("container");
  }
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "SAC";
}

// ---- OBX --------------------------------------------------------------------

std::string specimen_result_key(MappingContext& ctx, const Seg& seg) {
  if (!ctx.cursor.specimen_observations || ctx.cursor.specimen == kNoEntry) return {};
  return "specimen|" + ctx.cursor.specimen_key + "|result|" + seg.text(3, 1) + "^" +
         seg.text(3, 3) + "|" + seg.text(4);
}

void lab_observation_fields(MappingContext& ctx, const Seg& seg, JsonValue& obs) {
  // In an order message an OBX is information the order comes with (IG
  // OML_O21 / OMG_O19: ServiceRequest.supportingInfo), not a result of it.
  if (order_message(ctx)) obs.remove("basedOn");
  if (ctx.cursor.specimen != kNoEntry) obs.add("specimen", ctx.reference(ctx.cursor.specimen));
  // OBX-20 observation site (R4 bodySite is 0..1).
  JsonValue site = codeable_concept_field(ctx, seg, 20, 1, "0163");
  if (!site.empty()) obs.add("bodySite", std::move(site));
  if (seg.at(20, 2).has_value())
    ctx.warning(MappingContext::location(seg, 20, 0, 2), "further observation sites not mapped");
  // OBX-18 equipment instance (R4 device is 0..1): a Device by identifier.
  // The same text as the previous OBX maps to the same entry (its issues,
  // if any, were reported there).
  hl7::Element equipment_field = seg.field(18);
  if (equipment_field.has_value() && equipment_field.raw() == ctx.cursor.device_raw &&
      ctx.cursor.device != kNoEntry) {
    obs.add("device", ctx.reference(ctx.cursor.device));
  } else {
    IssueLocation loc18 = MappingContext::location(seg, 18);
    JsonValue equipment = identifier_from_ei(ctx, read_ei(seg.at(18, 1)), "", loc18);
    ctx.cursor.device = kNoEntry;
    ctx.cursor.device_raw = std::string(equipment_field.raw());
    if (!equipment.empty()) {
      std::string key = identifier_key(equipment);
      JsonValue device = JsonValue::make_object();
      device.add("resourceType", JsonValue::make_string("Device"));
      device.add("identifier", JsonValue::make_array()).push(std::move(equipment));
      ctx.cursor.device = ctx.add("Device", key, std::move(device));
      obs.add("device", ctx.reference(ctx.cursor.device));
    }
    if (seg.at(18, 2).has_value())
      ctx.warning(MappingContext::location(seg, 18, 0, 2),
                  "further equipment identifiers not mapped");
  }
  // OBX-23/24 performing organization, OBX-25 its medical director
  // (PractitionerRole MDIR of that organization), both performers.
  std::string performer_raw;
  for (int f : {23, 24, 25}) {
    performer_raw += seg.field(f).raw();
    performer_raw.push_back('|');
  }
  if (performer_raw.size() == 3) return;  // none of the three
  if (performer_raw != ctx.cursor.performer_raw) {
    ctx.cursor.performer_raw = std::move(performer_raw);
    map_performing_organization(ctx, seg);
  }
  JsonValue* performers = obs.find_mutable("performer");
  if (performers == nullptr &&
      (ctx.cursor.performing_org != kNoEntry || ctx.cursor.director_role != kNoEntry))
    performers = &obs.add("performer", JsonValue::make_array());
  if (ctx.cursor.performing_org != kNoEntry)
    performers->push(ctx.reference(ctx.cursor.performing_org));
  if (ctx.cursor.director_role != kNoEntry)
    performers->push(ctx.reference(ctx.cursor.director_role));
}

void lab_observation_added(MappingContext& ctx, EntryRef obs) {
  if (order_message(ctx) && ctx.cursor.order != kNoEntry && !ctx.cursor.specimen_observations)
    push_unique_reference(ctx.resource(ctx.cursor.order), "supportingInfo", ctx.reference(obs));
  if (ctx.cursor.parent_result == kNoEntry || ctx.cursor.specimen_observations) return;
  if (obs == ctx.cursor.parent_result) return;
  push_unique_reference(ctx.resource(ctx.cursor.parent_result), "hasMember", ctx.reference(obs));
}

// ---- ORC / OBR ----------------------------------------------------------------

void lab_orc_fields(MappingContext& ctx, const Seg& seg, JsonValue& sr) {
  // ORC-1 is what the message does to the order; its resulting state is the
  // status when ORC-5 does not give one (IG ORC[ServiceRequest]).
  std::string control = seg.text(1);
  if (!control.empty() && !order_control_known(control)) {
    ctx.warning(MappingContext::location(seg, 1), "order control code not in table 0119");
  }
  JsonValue* status = sr.find_mutable("status");
  if (status != nullptr && status->text() == "unknown" && seg.text(5).empty()) {
    if (const char* s = status_from_order_control(control)) *status = JsonValue::make_string(s);
  }
  // ORC-4 placer group number -> requisition. Since v2.5 an EIP (placer EI
  // in .1, filler EI in .2, as subcomponents); before, and as many senders
  // still write it, an EI in components ("GRP-7000^CPOE"): subcomponents
  // tell the two apart.
  bool eip = seg.at(4, 1, 1).child_count() > 1 || seg.at(4, 1, 2).child_count() > 1;
  EI ei = eip ? read_ei(seg.at(4, 1, 1)) : read_ei(seg.at(4, 1));
  if (eip && ei.id.empty()) ei = read_ei(seg.at(4, 1, 2));  // only the filler's group number
  JsonValue requisition = identifier_from_ei(ctx, ei, "PGN", MappingContext::location(seg, 4));
  if (!requisition.empty()) sr.add("requisition", std::move(requisition));
  ctx.cursor.pending_orc_control = control;
  ctx.cursor.pending_orc_enterer =
      practitioner_from_xcn(ctx, seg.at(10, 1), MappingContext::location(seg, 10));
}

void lab_ordering_provider(MappingContext& ctx, const Seg& seg) {
  if (!seg.field(16).has_value()) return;
  std::string obr16 = seg.text(16, 1) + "|" + seg.text(16, 2);
  if (obr16 != ctx.cursor.pending_orc_requester_id) {
    ctx.warning(MappingContext::location(seg, 16),
                "ordering provider differs from ORC-12: ORC-12 kept as requester");
  }
}

std::string lab_order_fields(MappingContext& ctx, const Seg& seg, JsonValue& sr) {
  // OBR-13 relevant clinical information (ST before v2.7): a note of the
  // order (see README Deviations).
  std::string clinical = seg.text(13);
  if (!clinical.empty()) add_note(sr, clinical);
  // OBR-27 quantity/timing (TQ, before v2.5): start .4, end .5, priority .6.
  if (seg.field(27).has_value()) {
    set_request_occurrence(sr, time_component(ctx, seg, 27, 4, TimeKind::kDateTime),
                           time_component(ctx, seg, 27, 5, TimeKind::kDateTime));
    set_request_priority(ctx, sr, seg.text(27, 6), MappingContext::location(seg, 27, 6));
    for (int c : {1, 2, 3, 7, 8, 9, 10, 11, 12}) {
      if (!seg.text(27, c).empty())
        ctx.warning(MappingContext::location(seg, 27, c), "quantity/timing component not mapped");
    }
  }
  // OBR-31 reason for study.
  std::vector<JsonValue> reasons = codeable_concepts_field(ctx, seg, 31);
  if (!reasons.empty()) {
    JsonValue& arr = sr.add("reasonCode", JsonValue::make_array());
    for (JsonValue& r : reasons) arr.push(std::move(r));
  }
  // OBR-29 parent order: the child order is basedOn it (the entry when the
  // parent is in this message, else a logical reference by its number).
  ctx.cursor.parent_result = kNoEntry;
  std::string suffix;
  std::string parent_code = seg.text(26, 1, 1) + "^" + seg.text(26, 1, 3);
  std::string parent_sub = seg.text(26, 2);
  bool has_parent_result = !seg.text(26, 1, 1).empty();
  if (has_parent_result) suffix = "|parent|" + parent_code + "|" + parent_sub;
  if (!seg.field(29).has_value()) {
    if (has_parent_result)
      ctx.warning(MappingContext::location(seg, 26), "parent result without parent order (OBR-29)");
    return suffix;
  }
  JsonValue parent_id = parent_order_identifier(ctx, seg);
  if (parent_id.empty()) {
    ctx.warning(MappingContext::location(seg, 29), "parent order without number not mapped");
    return suffix;
  }
  const std::string prefix = identifier_key(parent_id) + "|service|";
  EntryRef parent_order = kNoEntry;
  for (const auto& [ref, key] : ctx.cursor.orders) {
    if (key.rfind(prefix, 0) != 0) continue;
    EntryRef obs = has_parent_result
                       ? ctx.find("Observation", key + "|result|" + parent_code + "|" + parent_sub)
                       : kNoEntry;
    if (obs != kNoEntry) {
      parent_order = ref;
      ctx.cursor.parent_result = obs;
      break;
    }
    if (parent_order == kNoEntry) parent_order = ref;
  }
  if (parent_order != kNoEntry) {
    push_unique_reference(sr, "basedOn", ctx.reference(parent_order));
  } else {
    JsonValue logical = JsonValue::make_object();
    logical.add("type", JsonValue::make_string("ServiceRequest"));
    logical.add("identifier", std::move(parent_id));
    sr.add("basedOn", JsonValue::make_array()).push(std::move(logical));
  }
  if (has_parent_result && ctx.cursor.parent_result == kNoEntry) {
    ctx.warning(MappingContext::location(seg, 26),
                "parent result not in this message: linked through the parent order only");
  }
  return suffix;
}

void lab_report_fields(MappingContext& ctx, const Seg& seg, JsonValue& dr) {
  // OBR-32/33 principal and assistant interpreters, OBR-34 technicians (NDL:
  // the person is a CNN in component 1, laid out like the first XCN components).
  auto people = [&](int field, const char* element) {
    int rep = 0;
    for (const hl7::Element& e : seg.field(field).children()) {
      ++rep;
      EntryRef p = practitioner_from_xcn(
          ctx, e.part(1), MappingContext::location(seg, field, 1, rep > 1 ? rep : 0));
      if (p != kNoEntry) push_unique_reference(dr, element, ctx.reference(p));
    }
  };
  people(32, "resultsInterpreter");
  people(33, "resultsInterpreter");
  people(34, "performer");
}

void lab_order_added(MappingContext& ctx, const Seg& seg, EntryRef order, EntryRef report,
                     const std::string& key) {
  ctx.cursor.orders.emplace_back(order, key);
  lab_order_provenance(ctx, order, key);
  ctx.cursor.pending_orc_requester_id.clear();
  // The specimen the orders of a specimen-first message are done on.
  if (specimen_first_message(ctx) && ctx.cursor.specimen != kNoEntry) {
    push_unique_reference(ctx.resource(order), "specimen", ctx.reference(ctx.cursor.specimen));
    if (report != kNoEntry)
      push_unique_reference(ctx.resource(report), "specimen", ctx.reference(ctx.cursor.specimen));
    push_unique_reference(ctx.resource(ctx.cursor.specimen), "request", ctx.reference(order));
  }
  // OBR-14/15 (before v2.5 SPM): the specimen of this order, with OBR-7/8
  // collection time, OBR-9 volume and OBR-10 collector.
  if (!seg.field(15).has_value() && !seg.field(14).has_value()) return;
  JsonValue sp = JsonValue::make_object();
  sp.add("resourceType", JsonValue::make_string("Specimen"));
  JsonValue type = concept_of(ctx, seg.at(15, 1, 1), MappingContext::location(seg, 15, 1), "0070");
  if (!type.empty()) sp.add("type", std::move(type));
  sp.add("subject", ctx.reference(ctx.cursor.patient));
  std::string received = time_field(ctx, seg, 14, TimeKind::kDateTime);
  if (!received.empty()) sp.add("receivedTime", JsonValue::make_string(received));
  sp.add("request", JsonValue::make_array()).push(ctx.reference(order));
  JsonValue collection = JsonValue::make_object();
  EntryRef collector = practitioner_from_xcn(ctx, seg.at(10, 1), MappingContext::location(seg, 10));
  if (collector != kNoEntry) collection.add("collector", ctx.reference(collector));
  const std::string& start = ctx.cursor.order_effective;
  const JsonValue* sr_time = nullptr;
  if (report != kNoEntry) sr_time = ctx.resource(report).find("effectivePeriod");
  if (sr_time != nullptr) {
    collection.add("collectedPeriod", *sr_time);
  } else if (!start.empty()) {
    collection.add("collectedDateTime", JsonValue::make_string(start));
  }
  JsonValue volume =
      quantity_of(ctx, seg.text(9, 1), seg.at(9, 1, 2), MappingContext::location(seg, 9));
  if (!volume.empty()) collection.add("quantity", std::move(volume));
  JsonValue site = concept_of(ctx, seg.at(15, 1, 4), MappingContext::location(seg, 15, 4), "0163");
  if (!site.empty()) collection.add("bodySite", std::move(site));
  if (!collection.empty()) sp.add("collection", std::move(collection));
  JsonValue additive =
      concept_of(ctx, seg.at(15, 1, 2), MappingContext::location(seg, 15, 2), "0371");
  if (!additive.empty()) {
    JsonValue c = JsonValue::make_object();
    c.add("additiveCodeableConcept", std::move(additive));
    sp.add("container", JsonValue::make_array()).push(std::move(c));
  }
  std::string text = seg.text(15, 3);
  if (!text.empty()) add_note(sp, text);
  for (int c : {5, 6, 7}) {
    if (!seg.text(15, c).empty())
      ctx.warning(MappingContext::location(seg, 15, c), "specimen source component not mapped");
  }
  EntryRef ref = ctx.add("Specimen", key + "|obr-specimen", std::move(sp));
  push_unique_reference(ctx.resource(order), "specimen", ctx.reference(ref));
  if (report != kNoEntry)
    push_unique_reference(ctx.resource(report), "specimen", ctx.reference(ref));
}

}  // namespace gw::v2fhir
