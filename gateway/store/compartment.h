// The patient compartment: which patients a record is about, so that
// "everything about this patient" (a transfer to another member, later the
// FHIR $everything operation) is an index lookup instead of a scan that
// decrypts the whole store.
//
// A record belongs to the compartment of every Patient it references through
// the elements FHIR R4's patient CompartmentDefinition names for its type
// (subject, patient, beneficiary, participant actors, ...), and a Patient to
// its own. Only relative references ("Patient/<id>", as the store keeps
// them) count; anything else (absolute URLs, urn:uuid, contained) names no
// stored patient.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json/json.h"

namespace gw::store {

// The ids of the patients `resource_json` (a resource of `resource_type` with
// id `resource_id`) belongs to, sorted and without duplicates; empty when it
// names none or does not parse (it is then simply in no compartment).
std::vector<std::string> patient_compartment_ids(std::string_view resource_type,
                                                 std::string_view resource_id,
                                                 std::string_view resource_json);

// The same for a resource already parsed. `patient_of` turns a reference
// that is not "Patient/<id>" into the id of the stored Patient it names (the
// normalizer's urn:uuid fullUrls), or "" for none; it may be empty.
using PatientOfReference = std::function<std::string_view(std::string_view reference)>;
std::vector<std::string> patient_compartment_ids(std::string_view resource_type,
                                                 std::string_view resource_id,
                                                 const fhir::JsonValue& resource,
                                                 const PatientOfReference& patient_of = nullptr);

}  // namespace gw::store
