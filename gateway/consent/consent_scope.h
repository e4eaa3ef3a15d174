// Internal to gateway/consent: a permit's class / code -> the record
// categories of ledger-client/consortium/scope.h, and its nested denies'
// securityLabel -> excluded labels, each exact or refused (README.md,
// "Record categories" and "Exclusions").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/consent/consent_fhir_read.h"
#include "ledger-client/consortium/scope.h"

namespace gw::consent::internal {

using ledger::consortium::Category;

// Every category scope.h defines: what a permit without class or code grants.
uint64_t all_categories();

// Consent.provision.class: resource types (http://hl7.org/fhir/resource-types)
// that together make up whole categories.
ConsentResult<uint64_t> categories_from_classes(const JsonValue& classes, const std::string& path);
// Consent.provision.code: CodeableConcepts with a kRecordCategorySystem coding.
ConsentResult<uint64_t> categories_from_codes(const JsonValue& codes, const std::string& path);
// securityLabel[] of a nested deny: v3 ActCode sensitivity codes and v3
// Confidentiality R / V, each with its own system.
ConsentResult<uint64_t> exclusions_from_labels(const JsonValue& labels, const std::string& path);

}  // namespace gw::consent::internal
