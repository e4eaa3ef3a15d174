// The FHIR R4 RESTful API of the gateway (http://hl7.org/fhir/R4/http.html),
// independent of the transport: maps a RestRequest to a RestResponse, reading
// and writing records in the MessageStore.
//
// Implemented, for every resource type the validator knows
// (fhir::is_resource_type):
//   GET  /metadata                          capabilities
//   POST /[type]                            create (If-None-Exist: identifier=...)
//   PUT  /[type]/[id]                       update, create-on-update (If-Match)
//   PUT  /[type]?identifier=...             conditional update
//   GET  /[type]/[id]                       read
//   GET  /[type]/[id]/_history/[vid]        vread
//   GET  /[type]?identifier=...             search (only this parameter)
//   POST /                                  Bundle transaction (POST/PUT entries) or batch
//                                           (POST/PUT/GET entries)
// Not implemented (answered with an OperationOutcome saying so): delete,
// patch, history, whole-system and compartment search, other search
// parameters, _count/_sort/_include, search without parameters, GET and
// DELETE entries in a transaction, XML. Transactions take conditional
// entries: PUT Type?identifier=... and POST with ifNoneExist.
//
// Every write is one MessageStore submission (submit_sync): a response is
// sent only once the data is committed; a transaction is one submission and
// so commits atomically. Conditional create/update (alone or in a
// transaction) are serialized within this object (one process): two
// concurrent conditional creates for the same identifier do not both create. Writes arriving by
// another path (MLLP) are not covered by that lock.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fhir/json/json.h"
#include "gateway/auth/policy.h"
#include "gateway/labels/label_rules.h"
#include "gateway/rest/fhir_rest_util.h"
#include "gateway/rest/rest_types.h"
#include "gateway/store/message_store.h"

namespace gw::rest {

// A resource type or operation another room answers (consents, transfers).
// It sees every request routed to a resource type first; it returns nullopt
// for what it does not claim, which then gets the generic handling.
struct ExtensionRequest {
  const RestRequest& http;
  const std::vector<std::string>& segments;  // percent-decoded path segments
  const QueryParams& params;
  // The parsed body of a POST or PUT, or nullptr (none, or not JSON: the
  // extension answers that itself if it claims the request).
  const fhir::JsonValue* body = nullptr;
  // True for an entry of a batch or transaction Bundle (not a request of its
  // own): extensions that must not run inside a transaction refuse it.
  bool in_bundle = false;
};
using ExtensionHandler = std::function<std::optional<ApiResult>(const ExtensionRequest&)>;

// An operation an extension serves, listed in the CapabilityStatement
// (rest.operation for system-level ones, rest.resource[type].operation for
// type- or instance-level ones).
struct CapabilityOperation {
  std::string name;           // "transfer" (served as $transfer)
  std::string definition;     // canonical URL of its OperationDefinition
  std::string resource_type;  // "" for a system-level operation
  std::string documentation;
};

struct ApiOptions {
  std::string base_url;          // "https://host:8443", no trailing slash; for Location, fullUrl
  std::string channel = "fhir";  // InboundMessage::channel of REST writes
  size_t max_body_bytes = size_t{16} << 20;
  size_t max_bundle_entries = 1000;
  size_t max_search_results = 1000;  // more matches than this: 400 too-costly
  // Sensitivity labels for every record written ([labels]); never null.
  std::shared_ptr<const labels::LabelRules> labels = labels::default_rules();
  // Asked in order before the generic routing of a resource-type path.
  std::vector<ExtensionHandler> extensions;
  // What the extensions serve as operations, for /metadata.
  std::vector<CapabilityOperation> operations;
  // Resource types an extension writes with effects beyond the store (Consent:
  // ledger calls): a transaction cannot carry them (its entries do not pass
  // through extensions), so an entry of one is refused with 422.
  std::vector<std::string> own_write_types;
};

// The CapabilityStatement served at /metadata (fhir_capability.cc).
fhir::JsonValue build_capability_statement(const std::string& base_url, int64_t date_ms,
                                           const std::vector<CapabilityOperation>& operations = {});

class FhirApi {
 public:
  // `store` is not owned and must outlive this object.
  FhirApi(store::MessageStore* store, ApiOptions options);

  // Thread-safe.
  RestResponse handle(const RestRequest& request);

  // Serializes an ApiResult (body as application/fhir+json).
  static RestResponse to_response(const ApiResult& result);

 private:
  // Who wrote: the request's origin, stored with each submission.
  struct WriteContext {
    std::string peer, sender;
    std::string raw;  // request body (or the entry, for batch entries)
    std::string prefer;
    std::string operation;  // "" or "batch " (prefix of message_type)
    // Who writes (RestRequest::grant): conditional updates and transaction
    // entries that turn out to create are checked against it again.
    std::shared_ptr<const auth::ClientGrant> grant;
  };

  // `parsed_body`: the body already parsed (batch entries), else nullptr.
  // `operation`: prefix of the stored message_type ("" or "batch ").
  ApiResult route(const RestRequest& request, const fhir::JsonValue* parsed_body,
                  const char* operation = "");
  // route() after the request was described and allowed.
  ApiResult serve(const RestRequest& request, const fhir::JsonValue* parsed_body,
                  const char* operation, const std::vector<std::string>& segments,
                  const QueryParams& params, std::string_view query);
  // Access control (fhir_access.cc): nullopt when `grant` allows `access`,
  // else the 401/403 answer. `segments` name the type and id of a PUT, whose
  // creating needs c as well: the store says whether the id exists.
  std::optional<ApiResult> check_access(const RestRequest& request,
                                        const auth::AccessRequest& access,
                                        const std::vector<std::string>& segments) const;
  // Whether `grant` may create resources of `type` (a conditional update or
  // a transaction entry that matched nothing); else the 403 answer.
  std::optional<ApiResult> check_create(const std::shared_ptr<const auth::ClientGrant>& grant,
                                        const auth::AccessRequest& access) const;
  // Adds the audit note of a request answered without one (fhir_access.cc).
  static void note_access(const std::optional<auth::AccessRequest>& access,
                          const std::vector<std::string>& segments, ApiResult* result);
  ApiResult metadata() const;
  ApiResult read(const std::string& type, const std::string& id, int64_t version);
  ApiResult search(const std::string& type, const QueryParams& params, const std::string& self);
  ApiResult create(const std::string& type, fhir::JsonValue resource,
                   const std::string& if_none_exist, const WriteContext& ctx);
  ApiResult update(const std::string& type, const std::string& id, fhir::JsonValue resource,
                   const std::string& if_match, const WriteContext& ctx);
  ApiResult conditional_update(const std::string& type, const QueryParams& params,
                               fhir::JsonValue resource, const WriteContext& ctx);
  ApiResult bundle(const fhir::JsonValue& bundle, const WriteContext& ctx);
  ApiResult transaction(const fhir::JsonValue& bundle, const WriteContext& ctx);
  ApiResult batch(const fhir::JsonValue& bundle, const WriteContext& ctx);

  // Shared steps.
  // Parses search parameters (only `identifier`, `_format`): the tokens, or an error.
  bool identifier_query(const QueryParams& params, std::vector<TokenValue>* tokens,
                        ApiResult* error) const;
  std::vector<store::StoredRecord> find(const std::string& type,
                                        const std::vector<TokenValue>& tokens, size_t limit);
  // The search of a conditional write ("identifier=...", or "Type?identifier=..."
  // as If-None-Exist may carry it): up to two matches in *found, or false and
  // *error for a search that cannot be run. The caller holds conditional_mu_.
  bool match_condition(const std::string& type, std::string_view condition,
                       std::vector<store::StoredRecord>* found, ApiResult* error);
  // Checks resourceType and validates; nullopt if fine, else the error result.
  std::optional<ApiResult> check_resource(const std::string& type,
                                          const fhir::JsonValue& resource) const;
  // Labels (gateway/labels) and tokenizes the writes, then commits them.
  // `written` (a single write's resource): replaced by the labeled resource
  // when labeling added to it, so that the response shows what is stored.
  store::CommitResult submit(const std::string& message_type, const WriteContext& ctx,
                             std::vector<store::RecordWrite> writes,
                             fhir::JsonValue* written = nullptr);
  // Builds the write of a (checked) resource: canonical JSON without server meta.
  bool make_write(const std::string& type, const std::string& id, fhir::JsonValue resource,
                  std::optional<int64_t> expected, store::RecordWrite* out,
                  fhir::JsonValue* stored) const;
  ApiResult written(int status, const std::string& type, const std::string& id,
                    const fhir::JsonValue& stored, const store::RecordVersion& v,
                    const std::string& prefer) const;
  ApiResult store_failure(const store::CommitResult& r, bool had_if_match) const;
  ApiResult record_result(int status, const store::StoredRecord& r) const;
  std::string location(const std::string& type, const std::string& id, int64_t version) const;

  store::MessageStore* store_;
  ApiOptions options_;
  fhir::JsonValue capability_;
  std::mutex conditional_mu_;  // see the class comment
};

}  // namespace gw::rest
