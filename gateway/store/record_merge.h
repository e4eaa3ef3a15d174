// The merge of a partial record write with the latest stored version (the
// rules are described at MergeRules in message_store.h). A pure function on
// two JSON texts, so that it can be tested without a store; RecordWriter
// calls it inside the write transaction. Private to gateway/store.
#pragma once

#include <string>
#include <string_view>

#include "gateway/base/status.h"
#include "gateway/store/message_store.h"

namespace gw::store::internal {

// Applies `rules` to `write` (the new resource, canonical JSON) with `stored`
// (the latest stored version, canonical JSON) and returns the merged resource
// as canonical JSON (fhir/json/canonical.h). Both texts were written by the
// gateway itself, so their limits are their own sizes, not the network's
// JSON limits (a stored document may hold a string of many megabytes). Fails
// only when a text does not parse (an altered or foreign row); the error
// names the side and the JSON error code, never content.
Result<std::string> merge_record(std::string_view stored, std::string_view write,
                                 const MergeRules& rules);

}  // namespace gw::store::internal
