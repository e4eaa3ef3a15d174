// What the transfer filter asks of a stored record: its security labels and
// its resource categories, as the bitmasks of ledger-client/consortium/scope.h
// that consents are written in. Pure functions of the resource.
#pragma once

#include <cstdint>

#include "fhir/json/json.h"

namespace gw::labels {

// Labels in meta.security: v3 ActCode sensitivity codes (ETH, HIV, PSY, ...)
// and v3 Confidentiality R and V. Codings of other systems, and codes with no
// bit, are ignored (a consent cannot exclude them).
uint64_t record_label_bits(const fhir::JsonValue& resource);

// Category bits of the resource: by resourceType, and for Observation and
// DiagnosticReport by every category (observation-category codes; v2-0074
// diagnostic service sections). Fails closed: 0 when the type is not mapped,
// when an Observation or DiagnosticReport has no category, or when any one of
// its categories has no mapped code. 0 means "outside every grant": the
// caller must drop the record, never treat 0 as an empty subset.
uint64_t record_category_bits(const fhir::JsonValue& resource);

}  // namespace gw::labels
