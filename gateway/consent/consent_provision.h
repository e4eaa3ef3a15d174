// Internal to gateway/consent: Consent.provision -> the grants or denies of a
// ConsentPlan.
#pragma once

#include <cstdint>
#include <string>

#include "gateway/consent/consent_fhir_read.h"
#include "gateway/consent/consent_mapping.h"

namespace gw::consent::internal {

// Adds what the root provision at `path` asks for to plan->grants or
// plan->denies (sorted, without repeats).
Check map_provision(const JsonValue& provision, const std::string& path,
                    const MemberResolver& resolve_member, uint64_t now, ConsentPlan* plan);

}  // namespace gw::consent::internal
