// Helpers shared by the pharmacy segment mappers (seg_pharmacy_*.cc): field
// readers with their warnings, the order group state in the cursor's rx_*
// fields (see pharmacy.h), the Medication of a group and its Dosage. Internal
// to the mapping: included only by those files.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/v2fhir/context.h"

namespace gw::v2fhir {

// The UCUM code system (units of time in Timing and maxDosePerPeriod).
inline constexpr char kUcum[] = "http://unitsofmeasure.org";

// v2-0119 order control (ORC-1) -> medicationrequest-status, when ORC-5 is empty.
const char* request_status_from_control(std::string_view c);

// The array r.<name>, created empty if missing.
fhir::JsonValue& array_member(fhir::JsonValue& r, const char* name);

// The first Dosage of r.<element> ("dosageInstruction"), created if missing.
fhir::JsonValue& first_dosage(fhir::JsonValue& r, const char* element);

// Decimal text of an NM field/component; "" when absent, warning when not a number.
std::string number_text(MappingContext& ctx, const Seg& seg, int field, int component = 0);

// A non-negative integer field (refills, counts); -1 when absent or not one.
long integer_field(MappingContext& ctx, const Seg& seg, int field);

// CWE units of an element; empty on a malformed value (with a warning).
hl7::CWE units_at(MappingContext& ctx, const hl7::Element& e, const IssueLocation& loc);

// NM field + CWE units field -> Quantity (null when the amount is absent).
fhir::JsonValue quantity_fields(MappingContext& ctx, const Seg& seg, int amount, int units);

// CQ field (quantity ^ units as subcomponents) -> Quantity.
fhir::JsonValue cq_quantity(MappingContext& ctx, const Seg& seg, int field);

// A total daily dose (RXE-19, RXD-12) -> maxDosePerPeriod: dose per 1 d (IG RXE-19).
fhir::JsonValue per_day(fhir::JsonValue dose);

// The last segment before `seg` with one of `ids`, or -1 (bounded look-back).
long find_back(MappingContext& ctx, const Seg& seg, std::initializer_list<std::string_view> ids);

// The ORC waiting in the cursor starts a new order group: its ServiceRequest
// draft (identifiers, status, requester, authoredOn; null if none waits) is
// returned and the rx_* group state is reset. `fallback_key` keys an order
// without placer or filler number.
fhir::JsonValue begin_group(MappingContext& ctx, const Seg& seg, const std::string& fallback_key);

// The group of a dispense or an administration (product code in
// `code_field`): the waiting ORC starts it (its draft is returned, as by
// begin_group); with no ORC at all before the segment it is a group of its
// own; otherwise the segment stays in the current group (null returned).
fhir::JsonValue begin_event_group(MappingContext& ctx, const Seg& seg, int code_field);

// The dispense or administration `ref` (its Medication `med`) just added is
// a focus of the message and the group's current entry: the RXR, TQ1 and NTE
// after `owner` ("RXD", "RXA") go to it.
void make_current_event(MappingContext& ctx, EntryRef ref, EntryRef med, std::string_view owner);

// Adds {"actor": Practitioner} to r.performer for each XCN repetition of
// `field` naming one (RXD-10 dispensing, RXA-10 administering provider).
void add_actors(MappingContext& ctx, const Seg& seg, int field, fhir::JsonValue& r);

// No ORC at all before this segment (a message without one): a group of its own.
void begin_orphan_group(MappingContext& ctx, const std::string& fallback_key);

// The group's ORC segment (tracked), if the group has one.
std::optional<Seg> group_orc(MappingContext& ctx);

// Reference to the group's order: its MedicationRequest entry, else a
// logical reference by the ORC's first order number (the order itself is
// the pharmacy's or the placer's resource, not sent in this message).
fhir::JsonValue order_reference(MappingContext& ctx);

// A Medication entry for the product named by `code_field` (dose form in
// `form_field`, 0 = none), keyed under the resource that uses it.
EntryRef add_medication(MappingContext& ctx, const Seg& seg, int code_field, int form_field,
                        const std::string& owner_key);

// Lot number / expiration / manufacturer fields of a dispense or an
// administration -> Medication.batch / manufacturer.
void add_batch(MappingContext& ctx, const Seg& seg, EntryRef med, int lot_field, int exp_field,
               int maker_field);

// A TQ1 right after the ORC put timing/priority on the ORC draft; a group
// without RXO/RXE has no MedicationRequest to carry them: said in a warning
// (at the ORC) unless `keep_dosage` takes the dosage over.
void drop_order_timing(MappingContext& ctx, const fhir::JsonValue& orc, bool keep_dosage);

}  // namespace gw::v2fhir
