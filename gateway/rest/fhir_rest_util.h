// Small helpers of the FHIR REST endpoint: OperationOutcome errors, ids,
// times, business identifiers, server-managed meta (and stored records in
// the form the server returns them), query strings and token search values. None of them put
// resource or request values into error texts (no PHI).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fhir/json/json.h"
#include "gateway/base/status.h"
#include "gateway/rest/rest_types.h"
#include "gateway/store/message_store.h"

namespace gw::rest {

// What an interaction produced, before serialization: batch entries reuse it
// without re-parsing a body.
struct ApiResult {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Location, ETag, ...
  std::optional<fhir::JsonValue> body;                       // resource, Bundle or OperationOutcome
  // For the audit trail: the id acted on (a create's new id) and the patients
  // whose compartment the records read or written are in; route() turns
  // them into `accessed` (bundles: one note per entry).
  std::string audit_id;
  std::vector<std::string> audit_patients;
  std::vector<AccessNote> accessed;
  // A body that is not FHIR JSON (the access report's PDF): sent as it is
  // with its own Content-Type when set, instead of `body`.
  std::optional<std::string> raw_body;
  std::string raw_content_type;
};

// OperationOutcome with one issue. `diagnostics` must be a fixed text (plus
// parameter or element NAMES at most), never a value from the request.
fhir::JsonValue make_outcome(std::string_view severity, std::string_view code,
                             std::string_view diagnostics);
ApiResult error_result(int status, std::string_view code, std::string_view diagnostics);

// FHIR id syntax: [A-Za-z0-9\-.]{1,64}.
bool is_valid_id(std::string_view id);
// Random (version 4) UUID, lowercase, for server-assigned ids.
std::string new_uuid();

std::string format_instant(int64_t unix_ms);  // FHIR instant, "2026-11-22T05:22:09.123Z"
std::string http_date(int64_t unix_ms);       // RFC 9110 IMF-fixdate, for Last-Modified
std::string weak_etag(int64_t version);       // W/"3"
// Version from an If-Match value: W/"3" or "3". nullopt if malformed.
std::optional<int64_t> parse_etag_version(std::string_view etag);

// Business identifiers (system, value) of a resource's top-level
// "identifier" element (an array of Identifier, or one Identifier). Entries
// without a value are skipped; a missing system is "".
std::vector<std::pair<std::string, std::string>> resource_identifiers(
    const fhir::JsonValue& resource);

// Removes meta.versionId and meta.lastUpdated (the store assigns them), and
// meta itself if nothing else is left in it.
void strip_server_meta(fhir::JsonValue* resource);
// A copy of `resource` with meta.versionId/lastUpdated set, and resourceType,
// id, meta first (the stored canonical form sorts members; people read this).
fhir::JsonValue with_server_meta(const fhir::JsonValue& resource, int64_t version,
                                 int64_t updated_ms);
// A stored record as the FHIR server returns it: its canonical JSON with
// with_server_meta(record.version, record.updated_at_ms). The one form for
// REST reads and `gatewayctl records export`. nullopt if the stored JSON does
// not parse as an object.
std::optional<fhir::JsonValue> record_resource(const store::StoredRecord& record);
// Sets `id` on a resource object, keeping resourceType first.
void set_resource_id(fhir::JsonValue* resource, const std::string& id);

// Percent-decoding; false on a malformed escape. `plus_is_space` for query
// strings (application/x-www-form-urlencoded).
bool percent_decode(std::string_view in, bool plus_is_space, std::string* out);
using QueryParams = std::vector<std::pair<std::string, std::string>>;
// "a=1&b=2" -> decoded pairs in order; false on a malformed escape.
bool parse_query(std::string_view query, QueryParams* out);

// One alternative of a token search value: [system]|[value] or [value].
// nullopt system: any system; "": no system.
struct TokenValue {
  std::optional<std::string> system;
  std::string value;
};
// Parses a token search parameter value: comma-separated alternatives (OR),
// with FHIR's escapes \, \| \$ \\. Fails (invalid-argument, with a fixed
// text) on an empty value or a system without a value ("system|").
gw::Result<std::vector<TokenValue>> parse_token_search(std::string_view text);

}  // namespace gw::rest
