// Internal to gateway/outbound: the Bundle pieces the v2 payload
// (fhir_forwarder.cc) and the stored-records payload (stored_payload.cc) share.
#pragma once

#include <set>
#include <string>

#include "fhir/json/json.h"

namespace gw::outbound {

// "Type/<id>" references inside `v` to ids in `entry_ids` -> "urn:uuid:<id>",
// the fullUrls by which a Bundle's own entries refer to each other.
void to_full_urls(fhir::JsonValue* v, const std::set<std::string>& entry_ids);

}  // namespace gw::outbound
