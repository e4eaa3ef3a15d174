// Financial messages (BAR^P01/P02/P12, DFT^P03/P11): the Account of PID-18,
// its guarantors (GT1), coverages (IN1) and charges (FT1 -> ChargeItem), and
// the routed PID/IN1/DG1/PR1 mappers of finance.h.
#include <string>
#include <utility>

#include "adapters/v2fhir/adt.h"
#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/finance.h"
#include "adapters/v2fhir/ids.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

constexpr const char* kV2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203";

bool same_reference(const JsonValue& a, const JsonValue& b) {
  const JsonValue* x = a.find("reference");
  const JsonValue* y = b.find("reference");
  return x != nullptr && y != nullptr && x->text() == y->text();
}

// Appends `ref` to the reference array `element` unless it is there already.
void push_reference(JsonValue& r, const char* element, JsonValue ref) {
  JsonValue* arr = r.find_mutable(element);
  if (arr == nullptr) arr = &r.add(element, JsonValue::make_array());
  for (const JsonValue& existing : arr->items()) {
    if (same_reference(existing, ref)) return;
  }
  arr->push(std::move(ref));
}

// True if the array `element` of `r` has an object whose `member` is `ref`.
bool lists(const JsonValue& r, const char* element, const char* member, const JsonValue& ref) {
  const JsonValue* arr = r.find(element);
  if (arr == nullptr) return false;
  for (const JsonValue& item : arr->items()) {
    const JsonValue* m = item.find(member);
    if (m != nullptr && same_reference(*m, ref)) return true;
  }
  return false;
}

// An Account another mapper already made for the same identifier (the PID
// mapper may map PID-18 itself): one resource per account, whoever made it.
EntryRef find_account(MappingContext& ctx, const JsonValue& identifier) {
  const JsonValue* system = identifier.find("system");
  const JsonValue* value = identifier.find("value");
  for (size_t i = 0; i < ctx.entries().size(); ++i) {
    const Entry& e = ctx.entries()[i];
    if (e.type != "Account") continue;
    const JsonValue* ids = e.resource.find("identifier");
    if (ids == nullptr) continue;
    for (const JsonValue& id : ids->items()) {
      const JsonValue* s = id.find("system");
      const JsonValue* v = id.find("value");
      if (s != nullptr && v != nullptr && s->text() == system->text() && v->text() == value->text())
        return static_cast<EntryRef>(i);
    }
  }
  return kNoEntry;
}

// PID-18 -> Account (IG PID[Account]: identifier, status active). BAR^P02
// purges accounts: status inactive.
EntryRef open_account(MappingContext& ctx, const Seg& pid) {
  IssueLocation loc = MappingContext::location(pid, 18);
  hl7::Element e = pid.at(18, 1);
  if (!e.has_value()) {
    ctx.warning(loc, "no patient account number: Account not created");
    return kNoEntry;
  }
  auto cx = hl7::read_cx(e);
  JsonValue id = cx.ok() ? identifier_from_cx(ctx, *cx, loc) : JsonValue{};
  if (id.empty()) {
    ctx.warning(loc, "invalid patient account number: Account not created");
    return kNoEntry;
  }
  if (id.find("type") == nullptr) id.add("type", make_concept(kV2_0203, "AN", "Account number"));
  const char* status = ctx.trigger_event() == "P02" ? "inactive" : "active";
  EntryRef ref = find_account(ctx, id);
  if (ref == kNoEntry) {
    std::string key = identifier_key(id);
    JsonValue acc = JsonValue::make_object();
    acc.add("resourceType", JsonValue::make_string("Account"));
    acc.add("identifier", JsonValue::make_array()).push(std::move(id));
    acc.add("status", JsonValue::make_string(status));
    ref = ctx.add("Account", key, std::move(acc));
  }
  JsonValue& acc = ctx.resource(ref);
  if (JsonValue* s = acc.find_mutable("status")) *s = JsonValue::make_string(status);
  push_reference(acc, "subject", ctx.reference(ctx.cursor.patient));
  ctx.add_focus(ref);
  return ref;
}

// GT1 person fields describing a guarantor who is the patient: the Patient
// has them already (PID), so each non-empty one is named in a warning.
void drop_self_guarantor_fields(MappingContext& ctx, const Seg& seg) {
  for (int f : {2, 3, 5, 6, 7, 8, 9}) {
    if (seg.field(f).empty()) continue;
    ctx.warning(MappingContext::location(seg, f), "guarantor is the patient: field not mapped");
  }
}

// GT1 -> RelatedPerson (guarantor related to the patient).
EntryRef guarantor_person(MappingContext& ctx, const Seg& seg) {
  JsonValue rp = JsonValue::make_object();
  rp.add("resourceType", JsonValue::make_string("RelatedPerson"));
  std::vector<JsonValue> ids = identifiers_field(ctx, seg, 2);
  std::string key = !ids.empty() ? identifier_key(ids.front()) : std::string();
  append_all(rp, "identifier", std::move(ids));
  rp.add("patient", ctx.reference(ctx.cursor.patient));
  JsonValue relationship = codeable_concept_field(ctx, seg, 11, 1, "0063");
  if (!relationship.empty()) rp.add("relationship", JsonValue::make_array()).push(relationship);
  std::vector<JsonValue> names = human_names_field(ctx, seg, 3);
  if (names.empty() && key.empty()) {
    ctx.warning(MappingContext::location(seg, 3), "guarantor without name or number not mapped");
    return kNoEntry;
  }
  if (key.empty()) {
    key = ctx.cursor.patient_key + "|guarantor|" + std::string(seg.field(3).raw());
  }
  append_all(rp, "name", std::move(names));
  std::vector<JsonValue> telecom = contact_points_field(ctx, seg, 6, "home");
  for (JsonValue& t : contact_points_field(ctx, seg, 7, "work")) telecom.push_back(std::move(t));
  append_all(rp, "telecom", std::move(telecom));
  std::string sex = seg.text(9, 1);
  if (const char* g = administrative_gender(sex)) {
    rp.add("gender", JsonValue::make_string(g));
  } else if (!sex.empty()) {
    ctx.warning(MappingContext::location(seg, 9), "administrative sex not mapped");
  }
  std::string birth = time_field(ctx, seg, 8, TimeKind::kDate);
  if (!birth.empty()) rp.add("birthDate", JsonValue::make_string(birth));
  append_all(rp, "address", addresses_field(ctx, seg, 5));
  return ctx.add("RelatedPerson", key, std::move(rp));
}

// CP (composite price) component 1 is MO: quantity & denomination.
JsonValue money_field(MappingContext& ctx, const Seg& seg, int field) {
  std::string amount = trim(seg.at(field, 1, 1, 1).text_or_empty());
  if (amount.empty()) return {};
  auto n = hl7::parse_number(amount);
  if (!n.ok()) {
    ctx.warning(MappingContext::location(seg, field, 1), "invalid amount not mapped");
    return {};
  }
  JsonValue money = JsonValue::make_object();
  money.add("value", JsonValue::make_number(n->fhir_decimal()));
  std::string currency = trim(seg.at(field, 1, 1, 2).text_or_empty());
  if (currency.size() == 3) {
    money.add("currency", JsonValue::make_string(currency));
  } else if (!currency.empty()) {
    ctx.warning(MappingContext::location(seg, field, 1), "currency is not an ISO 4217 code");
  }
  return money;
}

// ChargeItem.status from FT1-6 (v2-0017 transaction type).
const char* charge_status(std::string_view type) {
  if (type == "CG" || type == "CD" || type == "AJ") return "billable";
  return nullptr;
}

// Identity of a charge without a transaction id: account, service date,
// transaction code and the content of the segment (every field after the
// batch id), never its set id. Identical lines in one message (two equal
// supply charges) are distinct charges: the second and later get their rank
// among the identical ones. The fields are read through the view: hashing
// them is not mapping them, so unmapped ones are still reported.
std::string content_key(MappingContext& ctx, const Seg& seg) {
  std::string text = "ft1|" + ctx.cursor.patient_key + "|";
  if (ctx.cursor.account != kNoEntry) text += ctx.entry(ctx.cursor.account).id;
  text += "|" + std::string(seg.view.field(4).raw()) + "|" + std::string(seg.view.field(7).raw());
  for (int f = 4; f <= seg.view.field_count(); ++f) {
    text += "|";
    text += seg.view.field(f).raw();
  }
  std::string value = deterministic_uuid(text);
  const std::string system = ctx.sender_urn() + ":ft1-content";
  for (int rank = 2; ctx.find("ChargeItem", system + "|" + value) != kNoEntry; ++rank) {
    value = deterministic_uuid(text + "|" + std::to_string(rank));
  }
  return value;
}

}  // namespace

void map_leniently(MappingContext& ctx, const Seg& seg,
                   void (*mapper)(MappingContext&, const Seg&)) {
  size_t before = ctx.errors().size();
  mapper(ctx, seg);
  std::vector<MappingIssue>& errors = ctx.errors();
  for (size_t i = before; i < errors.size(); ++i) ctx.warnings().push_back(std::move(errors[i]));
  errors.resize(before);
}

bool is_finance_message(const MappingContext& ctx) {
  return message_is(ctx, "BAR") || message_is(ctx, "DFT");
}

void map_pid_finance(MappingContext& ctx, const Seg& seg) {
  // map_pid starts a new cursor; a referral opened before the PID survives it.
  JsonValue pending = std::move(ctx.cursor.pending_referral);
  std::string pending_key = std::move(ctx.cursor.pending_referral_key);
  ctx.cursor.pending_referral = JsonValue{};
  map_pid(ctx, seg);
  if (ctx.cursor.patient == kNoEntry) return;
  if (!pending.is_null()) complete_referral(ctx, std::move(pending), pending_key);
  if (!is_finance_message(ctx)) return;
  if (ctx.cursor.account == kNoEntry) {
    ctx.cursor.account = open_account(ctx, seg);  // warns why there is none
    return;
  }
  // The PID mapper made the Account of PID-18: the purge event closes it,
  // and it is what a financial message is about.
  if (ctx.trigger_event() == "P02") {
    if (JsonValue* s = ctx.resource(ctx.cursor.account).find_mutable("status"))
      *s = JsonValue::make_string("inactive");
  }
  ctx.add_focus(ctx.cursor.account);
}

void map_in1_finance(MappingContext& ctx, const Seg& seg) {
  size_t before = ctx.entries().size();
  map_in1(ctx, seg);
  if (!is_finance_message(ctx) || ctx.cursor.account == kNoEntry) return;
  EntryRef coverage = last_of_type(ctx, "Coverage");
  if (coverage == kNoEntry || static_cast<size_t>(coverage) < before) return;
  JsonValue& acc = ctx.resource(ctx.cursor.account);
  JsonValue ref = ctx.reference(coverage);
  if (lists(acc, "coverage", "coverage", ref)) return;
  JsonValue c = JsonValue::make_object();
  c.add("coverage", std::move(ref));
  // IN1-1 numbers the insurances in order of priority (primary first).
  std::string order = seg.text(1);
  if (!order.empty() && order.find_first_not_of("0123456789") == std::string::npos &&
      order.size() < 9 && std::stoi(order) > 0) {
    c.add("priority", JsonValue::make_number(std::to_string(std::stoi(order))));
  }
  JsonValue* arr = acc.find_mutable("coverage");
  if (arr == nullptr) arr = &acc.add("coverage", JsonValue::make_array());
  arr->push(std::move(c));
}

void map_dg1_finance(MappingContext& ctx, const Seg& seg) {
  EntryRef before = ctx.cursor.note_target;
  std::string before_owner = ctx.cursor.note_owner;
  map_dg1_routed(ctx, seg);
  EntryRef condition = ctx.cursor.note_target;
  if (ctx.cursor.note_owner != "DG1" || condition == kNoEntry ||
      (condition == before && before_owner == "DG1"))
    return;  // not mapped, or the same Condition again
  JsonValue ref = ctx.reference(condition);
  if (message_is(ctx, "REF") && ctx.cursor.referral != kNoEntry) {
    push_reference(ctx.resource(ctx.cursor.referral), "reasonReference", ref);
  }
  if (is_finance_message(ctx) && ctx.cursor.encounter != kNoEntry) {
    JsonValue& enc = ctx.resource(ctx.cursor.encounter);
    if (lists(enc, "diagnosis", "condition", ref)) return;  // the DG1 mapper linked it
    JsonValue d = JsonValue::make_object();
    d.add("condition", std::move(ref));
    JsonValue* arr = enc.find_mutable("diagnosis");
    if (arr == nullptr) arr = &enc.add("diagnosis", JsonValue::make_array());
    arr->push(std::move(d));
  }
}

void map_pr1_finance(MappingContext& ctx, const Seg& seg) {
  EntryRef before = ctx.cursor.note_target;
  map_pr1(ctx, seg);
  EntryRef procedure = ctx.cursor.note_target;
  if (!message_is(ctx, "DFT") || ctx.cursor.note_owner != "PR1" || procedure == before) return;
  // DFT financial group: FT1 {PR1 [ROL]}: the procedures of the charge before.
  for (size_t i = seg.view.index(); i > 0; --i) {
    std::string_view id = ctx.message().segment(i - 1).id();
    if (id == "PR1" || id == "ROL" || id == "NTE") continue;
    if (id != "FT1") return;
    EntryRef charge = last_of_type(ctx, "ChargeItem");
    if (charge != kNoEntry) {
      push_reference(ctx.resource(charge), "service", ctx.reference(procedure));
    }
    return;
  }
}

namespace {
void gt1(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  EntryRef party = kNoEntry;
  std::string relationship = seg.text(11, 1);
  hl7::Element org = seg.at(21, 1);
  if (relationship == "SEL") {
    party = ctx.cursor.patient;
    drop_self_guarantor_fields(ctx, seg);
  } else if (org.has_value() && seg.field(3).empty()) {
    party = organization_from_xon(ctx, org, MappingContext::location(seg, 21));
    if (party != kNoEntry) {
      JsonValue& o = ctx.resource(party);
      std::vector<JsonValue> ids = identifiers_field(ctx, seg, 2);
      for (JsonValue& id : ids) {
        std::string k = identifier_key(id);
        bool known = false;
        if (const JsonValue* have = o.find("identifier")) {
          for (const JsonValue& h : have->items()) known = known || identifier_key(h) == k;
        }
        if (!known) append_all(o, "identifier", {std::move(id)});
      }
      append_all(o, "address", addresses_field(ctx, seg, 5));
      append_all(o, "telecom", contact_points_field(ctx, seg, 7, "work"));
    }
  } else {
    party = guarantor_person(ctx, seg);
  }
  if (party == kNoEntry) return;
  if (ctx.cursor.account == kNoEntry) {
    // Outside BAR/DFT (a GT1 in an ADT message) the Account of PID-18 is
    // opened for the guarantor.
    for (size_t i = seg.view.index(); i > 0; --i) {
      if (ctx.message().segment(i - 1).id() != "PID") continue;
      ctx.cursor.account = open_account(ctx, ctx.segment(i - 1));
      break;
    }
  }
  if (ctx.cursor.account == kNoEntry) {
    ctx.warning(MappingContext::location(seg), "guarantor without an Account (PID-18) not linked");
    return;
  }
  JsonValue& acc = ctx.resource(ctx.cursor.account);
  JsonValue ref = ctx.reference(party);
  if (lists(acc, "guarantor", "party", ref)) return;
  JsonValue g = JsonValue::make_object();
  g.add("party", std::move(ref));
  std::string hold = seg.text(22);  // billing hold flag (Y/N)
  if (hold == "Y") g.add("onHold", JsonValue::make_bool(true));
  if (hold == "N") g.add("onHold", JsonValue::make_bool(false));
  JsonValue p = period_of(time_field(ctx, seg, 13, TimeKind::kDateTime),
                          time_field(ctx, seg, 14, TimeKind::kDateTime));
  if (!p.empty()) g.add("period", std::move(p));
  JsonValue* arr = acc.find_mutable("guarantor");
  if (arr == nullptr) arr = &acc.add("guarantor", JsonValue::make_array());
  arr->push(std::move(g));
}
}  // namespace

void map_gt1(MappingContext& ctx, const Seg& seg) { map_leniently(ctx, seg, gt1); }

namespace {
void ft1(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  JsonValue ci = JsonValue::make_object();
  ci.add("resourceType", JsonValue::make_string("ChargeItem"));
  // Identity: FT1-2 transaction id, unique within FT1-3's batch when sent.
  std::string txn = seg.text(2), batch = seg.text(3);
  JsonValue id = JsonValue::make_object();
  if (!txn.empty()) {
    std::string system = ctx.sender_urn() + (batch.empty() ? std::string(":ft1-transaction-id")
                                                           : ":ft1-batch:" + urn_escape(batch));
    id.add("system", JsonValue::make_string(system));
    id.add("value", JsonValue::make_string(txn));
  } else {
    if (!batch.empty()) {
      ctx.warning(MappingContext::location(seg, 3), "batch id without transaction id not mapped");
    }
    ctx.warning(MappingContext::location(seg, 2),
                "no transaction id: charge identified by account, date, code and content");
    id.add("system", JsonValue::make_string(ctx.sender_urn() + ":ft1-content"));
    id.add("value", JsonValue::make_string(content_key(ctx, seg)));
  }
  std::string key = identifier_key(id);
  ci.add("identifier", JsonValue::make_array()).push(std::move(id));

  std::string type = seg.text(6, 1);
  const char* status = charge_status(type);
  if (status == nullptr) {
    status = "unknown";
    if (!type.empty()) {
      ctx.warning(MappingContext::location(seg, 6), "transaction type not mapped");
    }
  }
  ci.add("status", JsonValue::make_string(status));

  // FT1-7 transaction code (charge master), with FT1-25 procedure code as a
  // further coding of the same billed service; data-absent-reason if none.
  JsonValue code = codeable_concept_field(ctx, seg, 7, 1, "0132");
  JsonValue procedure = codeable_concept_field(ctx, seg, 25, 1, "0088");
  if (code.empty()) {
    code = std::move(procedure);
    procedure = JsonValue{};
  }
  if (!procedure.empty()) {
    if (const JsonValue* codings = procedure.find("coding")) {
      JsonValue* into = code.find_mutable("coding");
      if (into == nullptr) into = &code.add("coding", JsonValue::make_array());
      for (const JsonValue& c : codings->items()) into->push(c);
    }
  }
  std::string description = seg.text(8);
  if (code.empty()) {
    ctx.warning(MappingContext::location(seg, 7), "transaction code missing");
    code = make_concept("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown",
                        "Unknown");
  }
  if (!description.empty()) {
    if (code.find("text") == nullptr) {
      code.add("text", JsonValue::make_string(description));
    } else {
      add_note(ci, description);
    }
  }
  ci.add("code", std::move(code));
  ci.add("subject", ctx.reference(ctx.cursor.patient));
  if (ctx.cursor.encounter != kNoEntry) ci.add("context", ctx.reference(ctx.cursor.encounter));

  std::string start = time_component(ctx, seg, 4, 1, TimeKind::kDateTime);
  std::string end = time_component(ctx, seg, 4, 2, TimeKind::kDateTime);
  if (!end.empty() && end != start) {
    ci.add("occurrencePeriod", period_of(start, end));
  } else if (!start.empty()) {
    ci.add("occurrenceDateTime", JsonValue::make_string(start));
  }

  JsonValue performers = JsonValue::make_array();
  auto add_performers = [&](int field, const char* function) {
    for (EntryRef pr : practitioner_entries(ctx, seg, field)) {
      JsonValue perf = JsonValue::make_object();
      if (function != nullptr) {
        perf.add("function",
                 make_concept("http://terminology.hl7.org/CodeSystem/v2-0443", function));
      }
      perf.add("actor", ctx.reference(pr));
      performers.push(std::move(perf));
    }
  };
  add_performers(20, nullptr);  // performed by
  add_performers(21, "OP");     // ordered by: ordering provider
  if (!performers.empty()) ci.add("performer", std::move(performers));

  EntryRef cost_center = organization_from_cwe(ctx, seg, 13);  // department code
  if (cost_center != kNoEntry) ci.add("costCenter", ctx.reference(cost_center));

  std::string quantity = seg.text(10);
  if (!quantity.empty()) {
    auto n = hl7::parse_number(quantity);
    if (n.ok()) {
      JsonValue q = JsonValue::make_object();
      q.add("value", JsonValue::make_number(n->fhir_decimal()));
      ci.add("quantity", std::move(q));
    } else {
      ctx.warning(MappingContext::location(seg, 10), "invalid quantity not mapped");
    }
  }
  // FT1-11 extended (total) amount overrides the list price; FT1-12 unit
  // amount has no R4 element: R5's unitPriceComponent as a cross-version
  // extension (type "base", amount).
  JsonValue total = money_field(ctx, seg, 11);
  if (!total.empty()) ci.add("priceOverride", std::move(total));
  JsonValue unit = money_field(ctx, seg, 12);
  if (!unit.empty()) {
    JsonValue ext = JsonValue::make_object();
    ext.add(
        "url",
        JsonValue::make_string(
            "http://hl7.org/fhir/5.0/StructureDefinition/extension-ChargeItem.unitPriceComponent"));
    JsonValue& parts = ext.add("extension", JsonValue::make_array());
    JsonValue type_part = JsonValue::make_object();
    type_part.add("url", JsonValue::make_string("type"));
    type_part.add("valueCode", JsonValue::make_string("base"));
    parts.push(std::move(type_part));
    JsonValue amount_part = JsonValue::make_object();
    amount_part.add("url", JsonValue::make_string("amount"));
    amount_part.add("valueMoney", std::move(unit));
    parts.push(std::move(amount_part));
    ci.add("extension", JsonValue::make_array()).push(std::move(ext));
  }

  hl7::Element enterer = seg.at(24, 1);
  if (enterer.has_value()) {
    EntryRef pr = practitioner_from_xcn(ctx, enterer, MappingContext::location(seg, 24));
    if (pr != kNoEntry) ci.add("enterer", ctx.reference(pr));
  }
  std::string posted = time_field(ctx, seg, 5, TimeKind::kDateTime);
  if (!posted.empty()) ci.add("enteredDate", JsonValue::make_string(posted));
  std::vector<JsonValue> reasons = codeable_concepts_field(ctx, seg, 19);
  append_all(ci, "reason", std::move(reasons));
  if (ctx.cursor.account != kNoEntry) {
    ci.add("account", JsonValue::make_array()).push(ctx.reference(ctx.cursor.account));
  }
  EntryRef ref = ctx.add("ChargeItem", key, std::move(ci));
  ctx.add_focus(ref);
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "FT1";
}
}  // namespace

void map_ft1(MappingContext& ctx, const Seg& seg) { map_leniently(ctx, seg, ft1); }

}  // namespace gw::v2fhir
