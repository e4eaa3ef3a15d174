// The FHIR transaction of a message whose records are the payload: a received
// transfer (channel "peer", transfer/receiver.h). Its stored raw is the sealed
// envelope, not HL7 v2, so nothing is re-mapped: the Bundle carries the record
// versions the message stored, byte for byte as stored apart from how the
// entries are addressed. Every entry is an update (PUT), so the transaction
// is idempotent and at-least-once delivery changes nothing when repeated.
#include <set>

#include "adapters/v2fhir/ids.h"
#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "fhir/validate/primitives.h"
#include "gateway/outbound/forwarder.h"
#include "gateway/outbound/payload_internal.h"

namespace gw::outbound {
namespace {

using Kind = Delivery::Kind;
using fhir::JsonValue;

struct Entry {
  std::string type, id;
  JsonValue resource;
  std::string system, value;  // the first identifier, when it has both
};

FhirPayload refused(std::string detail) {
  FhirPayload p;
  p.kind = Kind::kRejected;
  p.detail = std::move(detail);
  return p;
}

// The first identifier with a system and a value: what a conditional update
// matches on (the same choice the v2 mapping makes).
void first_identifier(Entry* e) {
  const JsonValue* ids = e->resource.find("identifier");
  if (ids == nullptr || !ids->is_array()) return;
  for (const JsonValue& id : ids->items()) {
    const JsonValue* system = id.find("system");
    const JsonValue* value = id.find("value");
    if (system == nullptr || value == nullptr || !system->is_string() || !value->is_string() ||
        system->text().empty() || value->text().empty())
      continue;
    e->system = system->text();
    e->value = value->text();
    return;
  }
}

}  // namespace

FhirPayload stored_records_payload(const std::vector<store::StoredRecord>& records,
                                   FhirRequestStyle style) {
  if (records.empty()) {
    FhirPayload p;
    p.kind = Kind::kSkipped;
    p.detail = "the message stored no records";
    return p;
  }
  std::vector<Entry> entries;
  entries.reserve(records.size());
  std::set<std::pair<std::string, std::string>> seen;
  for (const store::StoredRecord& r : records) {
    // A message writes a resource once; should a later version of the same
    // resource by the same message be listed, the last one (seq order) wins.
    if (!seen.emplace(r.resource_type, r.resource_id).second) {
      for (Entry& e : entries)
        if (e.type == r.resource_type && e.id == r.resource_id) e.type.clear();
    }
    auto parsed =
        fhir::parse_json(r.resource_json, fhir::own_document_limits(r.resource_json.size()));
    if (!parsed.ok() || !parsed->is_object()) return refused("a stored record does not parse");
    const JsonValue* type = parsed->find("resourceType");
    if (type == nullptr || !type->is_string() || type->text() != r.resource_type ||
        !fhir::validation::is_fhir_id(r.resource_id))
      return refused("a stored record is not the resource it is stored as");
    Entry e{r.resource_type, r.resource_id, std::move(parsed).value(), "", ""};
    if (style == FhirRequestStyle::kConditional) first_identifier(&e);
    entries.push_back(std::move(e));
  }
  // Conditional style: a record with a business identifier is matched on it
  // (servers that assign their own ids); its entry is then named by a
  // urn:uuid fullUrl, which only a uuid id can be, and the other records'
  // references to it become that fullUrl so the server resolves them to
  // whatever id it keeps. Every other record is PUT by its id.
  std::set<std::string> by_full_url;
  for (Entry& e : entries) {
    if (e.type.empty() || e.system.empty()) continue;
    if (fhir::validation::is_uuid_urn("urn:uuid:" + e.id) && e.type != "Provenance")
      by_full_url.insert(e.id);
    else
      e.system.clear();
  }
  JsonValue bundle = JsonValue::make_object();
  bundle.add("resourceType", JsonValue::make_string("Bundle"));
  bundle.add("type", JsonValue::make_string("transaction"));
  JsonValue& out = bundle.add("entry", JsonValue::make_array());
  for (Entry& e : entries) {
    if (e.type.empty()) continue;
    if (!by_full_url.empty()) to_full_urls(&e.resource, by_full_url);
    JsonValue entry = JsonValue::make_object();
    JsonValue request = JsonValue::make_object();
    request.add("method", JsonValue::make_string("PUT"));
    if (!e.system.empty()) {
      entry.add("fullUrl", JsonValue::make_string("urn:uuid:" + e.id));
      e.resource.remove("id");  // a conditional update's body carries no id
      request.add("url", JsonValue::make_string(
                             e.type + "?" + v2fhir::token_query("identifier", e.system, e.value)));
    } else {
      if (JsonValue* id = e.resource.find_mutable("id"))
        *id = JsonValue::make_string(e.id);
      else
        e.resource.add("id", JsonValue::make_string(e.id));
      request.add("url", JsonValue::make_string(e.type + "/" + e.id));
    }
    entry.add("resource", std::move(e.resource));
    entry.add("request", std::move(request));
    out.push(std::move(entry));
  }
  FhirPayload p;
  p.json = fhir::write_json(bundle);
  return p;
}

}  // namespace gw::outbound
