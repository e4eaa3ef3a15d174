// FhirApi's single-resource interactions: read, vread, search, create,
// update, conditional create/update, and the steps they share.
#include <set>
#include <utility>

#include "fhir/json/canonical.h"
#include "fhir/validate/validator.h"
#include "gateway/base/clock.h"
#include "gateway/labels/labeler.h"
#include "gateway/pipeline/tokenize.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/rest/http_mapping.h"
#include "gateway/store/compartment.h"

namespace gw::rest {

using fhir::JsonValue;

namespace {

// Each alternative of identifier=a,b,c is one index look-up.
constexpr size_t kMaxIdentifierAlternatives = 100;

// A parameter NAME as it may appear in a diagnostic: names are structure, not
// data, but a hostile client could put anything there, so only short
// name-shaped text is echoed.
std::string reportable_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return "*";
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == ':' || c == '.';
    if (!ok) return "*";
  }
  return name;
}

std::string resource_type_of(const JsonValue& resource) {
  const JsonValue* rt = resource.find("resourceType");
  return rt != nullptr && rt->is_string() ? rt->text() : std::string();
}

// Conditional headers may carry the type: "Patient?identifier=..." or "?identifier=...".
std::string_view strip_condition_prefix(std::string_view condition) {
  const size_t q = condition.find('?');
  if (q != std::string_view::npos && condition.substr(0, q).find('=') == std::string_view::npos) {
    condition.remove_prefix(q + 1);
  }
  return condition;
}

}  // namespace

bool FhirApi::identifier_query(const QueryParams& params, std::vector<TokenValue>* tokens,
                               ApiResult* error) const {
  bool have = false;
  for (const auto& [name, value] : params) {
    if (name == "_format") continue;
    if (name != "identifier") {
      *error = error_result(400, "not-supported",
                            "unsupported search parameter: " + reportable_name(name) +
                                " (only identifier is supported)");
      return false;
    }
    if (have) {
      *error = error_result(400, "not-supported", "identifier given more than once");
      return false;
    }
    auto parsed = parse_token_search(value);
    if (!parsed.ok()) {
      *error = error_result(400, "invalid", "identifier: " + parsed.error().message());
      return false;
    }
    *tokens = std::move(parsed).value();
    if (tokens->size() > kMaxIdentifierAlternatives) {
      *error = error_result(400, "too-costly", "identifier: too many alternatives");
      return false;
    }
    have = true;
  }
  if (!have) {
    *error = error_result(400, "not-supported",
                          "searching requires the identifier parameter (the only one supported)");
    return false;
  }
  return true;
}

std::vector<store::StoredRecord> FhirApi::find(const std::string& type,
                                               const std::vector<TokenValue>& tokens,
                                               size_t limit) {
  std::vector<store::StoredRecord> out;
  std::set<std::string> seen;
  for (const TokenValue& t : tokens) {
    for (store::StoredRecord& r : store_->find_records(type, t.system, t.value, limit)) {
      if (seen.insert(r.resource_id).second) out.push_back(std::move(r));
      if (out.size() >= limit) return out;
    }
  }
  return out;
}

bool FhirApi::match_condition(const std::string& type, std::string_view condition,
                              std::vector<store::StoredRecord>* found, ApiResult* error) {
  QueryParams params;
  if (!parse_query(strip_condition_prefix(condition), &params)) {
    *error = error_result(400, "invalid", "malformed percent-encoding in the condition");
    return false;
  }
  std::vector<TokenValue> tokens;
  if (!identifier_query(params, &tokens, error)) return false;
  *found = find(type, tokens, 2);
  return true;
}

std::optional<ApiResult> FhirApi::check_resource(const std::string& type,
                                                 const JsonValue& resource) const {
  if (resource_type_of(resource) != type) {
    return error_result(400, "invalid", "resourceType of the body does not match the URL");
  }
  fhir::ValidationResult v = fhir::validate_resource(resource);
  if (!v.ok()) {
    ApiResult r;
    r.status = 422;
    r.body = fhir::operation_outcome(v.issues);
    return r;
  }
  return std::nullopt;
}

bool FhirApi::make_write(const std::string& type, const std::string& id, JsonValue resource,
                         std::optional<int64_t> expected, store::RecordWrite* out,
                         JsonValue* stored) const {
  set_resource_id(&resource, id);
  strip_server_meta(&resource);
  fhir::JsonResult<std::string> canonical = fhir::canonicalize(resource);
  if (!canonical.ok()) return false;
  out->resource_type = type;
  out->resource_id = id;
  out->resource_json = std::move(canonical).value();
  out->identifiers = resource_identifiers(resource);
  out->expected_version = expected;
  *stored = std::move(resource);
  return true;
}

store::CommitResult FhirApi::submit(const std::string& message_type, const WriteContext& ctx,
                                    std::vector<store::RecordWrite> writes, JsonValue* written) {
  store::InboundMessage m;
  m.channel = options_.channel;
  m.sender = ctx.sender;
  m.control_id = "";  // REST writes are not deduplicated by id
  m.message_type = "FHIR " + ctx.operation + message_type;
  m.peer = ctx.peer;
  m.status = store::MessageStatus::kAccepted;
  m.raw = ctx.raw;
  m.received_at_ms = now_ms();
  m.records = std::move(writes);
  size_t labeled_records = 0;
  if (gw::Status labeled =
          labels::label_records(*options_.labels, &m.records, nullptr, &labeled_records);
      !labeled.ok()) {
    // Our own canonical JSON did not read back: a bug, never the client's.
    store::CommitResult failed;
    failed.kind = store::CommitResult::Kind::kFailed;
    failed.error = labeled.message();
    return failed;
  }
  if (written != nullptr && labeled_records > 0 && m.records.size() == 1) {
    const std::string& json = m.records[0].resource_json;
    if (auto reread = fhir::parse_json(json, fhir::own_document_limits(json.size())); reread.ok())
      *written = std::move(reread).value();
  }
  pipeline::tokenize(store_->keys(), &m.records);
  return store_->submit_sync(std::move(m));
}

std::string FhirApi::location(const std::string& type, const std::string& id,
                              int64_t version) const {
  return options_.base_url + "/" + type + "/" + id + "/_history/" + std::to_string(version);
}

ApiResult FhirApi::written(int status, const std::string& type, const std::string& id,
                           const JsonValue& stored, const store::RecordVersion& v,
                           const std::string& prefer) const {
  ApiResult r;
  r.status = status;
  r.audit_id = id;
  r.audit_patients = store::patient_compartment_ids(type, id, stored);
  r.headers.emplace_back("Location", location(type, id, v.version));
  r.headers.emplace_back("ETag", weak_etag(v.version));
  r.headers.emplace_back("Last-Modified", http_date(v.updated_at_ms));
  if (prefer == "minimal") return r;
  if (prefer == "operationoutcome") {
    r.body = make_outcome("information", "informational",
                          status == 201 ? "resource created" : "resource updated");
    return r;
  }
  r.body = with_server_meta(stored, v.version, v.updated_at_ms);
  return r;
}

ApiResult FhirApi::store_failure(const store::CommitResult& c, bool had_if_match) const {
  // A write that committed without the expected record versions is a failure too.
  return commit_error_result(
      c.kind == store::CommitResult::Kind::kStored ? store::CommitResult::Kind::kFailed : c.kind,
      had_if_match);
}

ApiResult FhirApi::record_result(int status, const store::StoredRecord& rec) const {
  std::optional<JsonValue> resource = record_resource(rec);
  if (!resource) return error_result(500, "exception", "stored resource is unreadable");
  ApiResult r;
  r.status = status;
  r.headers.emplace_back("ETag", weak_etag(rec.version));
  r.headers.emplace_back("Last-Modified", http_date(rec.updated_at_ms));
  r.headers.emplace_back("Content-Location",
                         location(rec.resource_type, rec.resource_id, rec.version));
  r.body = std::move(*resource);
  return r;
}

ApiResult FhirApi::read(const std::string& type, const std::string& id, int64_t version) {
  std::optional<store::StoredRecord> rec = store_->read_record(type, id, version);
  if (!rec) {
    return error_result(404, "not-found",
                        version == 0 ? "resource not found" : "resource version not found");
  }
  return record_result(200, *rec);
}

ApiResult FhirApi::search(const std::string& type, const QueryParams& params,
                          const std::string& self) {
  std::vector<TokenValue> tokens;
  ApiResult error;
  if (!identifier_query(params, &tokens, &error)) return error;
  std::vector<store::StoredRecord> found = find(type, tokens, options_.max_search_results + 1);
  if (found.size() > options_.max_search_results) {
    return error_result(400, "too-costly", "too many matches; narrow the search");
  }
  JsonValue bundle = JsonValue::make_object();
  bundle.add("resourceType", JsonValue::make_string("Bundle"));
  bundle.add("id", JsonValue::make_string(new_uuid()));
  bundle.add("meta", JsonValue::make_object())
      .add("lastUpdated", JsonValue::make_string(format_instant(now_ms())));
  bundle.add("type", JsonValue::make_string("searchset"));
  bundle.add("total", JsonValue::make_number(std::to_string(found.size())));
  JsonValue link = JsonValue::make_object();
  link.add("relation", JsonValue::make_string("self"));
  link.add("url", JsonValue::make_string(self));
  bundle.add("link", JsonValue::make_array()).push(std::move(link));
  if (!found.empty()) {
    JsonValue& entries = bundle.add("entry", JsonValue::make_array());
    for (const store::StoredRecord& rec : found) {
      ApiResult one = record_result(200, rec);
      if (!one.body || one.status != 200) return one;
      JsonValue entry = JsonValue::make_object();
      entry.add("fullUrl",
                JsonValue::make_string(options_.base_url + "/" + type + "/" + rec.resource_id));
      entry.add("resource", std::move(*one.body));
      entry.add("search", JsonValue::make_object()).add("mode", JsonValue::make_string("match"));
      entries.push(std::move(entry));
    }
  }
  ApiResult r;
  r.body = std::move(bundle);
  return r;
}

ApiResult FhirApi::create(const std::string& type, JsonValue resource,
                          const std::string& if_none_exist, const WriteContext& ctx) {
  // The server assigns the id (a client's id in a create is ignored, per spec).
  const std::string id = new_uuid();
  set_resource_id(&resource, id);
  if (std::optional<ApiResult> bad = check_resource(type, resource)) return *bad;

  std::unique_lock<std::mutex> conditional;
  if (!if_none_exist.empty()) {
    conditional = std::unique_lock<std::mutex>(conditional_mu_);
    std::vector<store::StoredRecord> found;
    ApiResult error;
    if (!match_condition(type, if_none_exist, &found, &error)) return error;
    if (found.size() > 1) {
      return error_result(412, "duplicate", "If-None-Exist matches more than one resource");
    }
    if (found.size() == 1) {
      ApiResult existing = record_result(200, found[0]);
      existing.headers.emplace_back("Location",
                                    location(type, found[0].resource_id, found[0].version));
      return existing;
    }
  }

  store::RecordWrite write;
  JsonValue stored;
  if (!make_write(type, id, std::move(resource), int64_t{0}, &write, &stored)) {
    return error_result(400, "invalid", "resource cannot be canonicalized");
  }
  std::vector<store::RecordWrite> writes;
  writes.push_back(std::move(write));
  store::CommitResult c = submit("create " + type, ctx, std::move(writes), &stored);
  if (c.kind != store::CommitResult::Kind::kStored || c.records.size() != 1) {
    return store_failure(c, false);
  }
  return written(201, type, id, stored, c.records[0], ctx.prefer);
}

ApiResult FhirApi::update(const std::string& type, const std::string& id, JsonValue resource,
                          const std::string& if_match, const WriteContext& ctx) {
  if (resource_type_of(resource) != type) {
    return error_result(400, "invalid", "resourceType of the body does not match the URL");
  }
  const JsonValue* body_id = resource.find("id");
  if (body_id == nullptr || !body_id->is_string() || body_id->text() != id) {
    return error_result(400, "invalid", "the id in the body must equal the id in the URL");
  }
  std::optional<int64_t> expected;
  if (!if_match.empty()) {
    expected = parse_etag_version(if_match);
    if (!expected) return error_result(400, "invalid", "malformed If-Match (expected W/\"n\")");
  }
  if (std::optional<ApiResult> bad = check_resource(type, resource)) return *bad;

  store::RecordWrite write;
  JsonValue stored;
  if (!make_write(type, id, std::move(resource), expected, &write, &stored)) {
    return error_result(400, "invalid", "resource cannot be canonicalized");
  }
  std::vector<store::RecordWrite> writes;
  writes.push_back(std::move(write));
  store::CommitResult c = submit("update " + type, ctx, std::move(writes), &stored);
  if (c.kind != store::CommitResult::Kind::kStored || c.records.size() != 1) {
    return store_failure(c, expected.has_value());
  }
  const store::RecordVersion& v = c.records[0];
  return written(v.version == 1 && v.changed ? 201 : 200, type, id, stored, v, ctx.prefer);
}

ApiResult FhirApi::conditional_update(const std::string& type, const QueryParams& params,
                                      JsonValue resource, const WriteContext& ctx) {
  std::vector<TokenValue> tokens;
  ApiResult error;
  if (!identifier_query(params, &tokens, &error)) return error;
  const JsonValue* body_id = resource.find("id");
  if (body_id != nullptr && (!body_id->is_string() || !is_valid_id(body_id->text()))) {
    return error_result(400, "invalid", "invalid id in the body");
  }
  const std::string given_id = body_id != nullptr ? body_id->text() : std::string();
  if (std::optional<ApiResult> bad = check_resource(type, resource)) return *bad;

  std::lock_guard<std::mutex> lock(conditional_mu_);
  std::vector<store::StoredRecord> found = find(type, tokens, 2);
  if (found.size() > 1) {
    return error_result(412, "multiple-matches", "the condition matches more than one resource");
  }
  std::string id;
  std::optional<int64_t> expected;
  if (found.size() == 1) {
    if (!given_id.empty() && given_id != found[0].resource_id) {
      return error_result(400, "invalid", "the id in the body differs from the matched resource");
    }
    id = found[0].resource_id;
    expected = found[0].version;  // nothing may change it between the search and the write
  } else {
    auth::AccessRequest creating{auth::Interaction::kUpdate, type};
    creating.conditional = true;
    if (std::optional<ApiResult> refused = check_create(ctx.grant, creating)) return *refused;
    id = given_id.empty() ? new_uuid() : given_id;
    if (given_id.empty()) expected = 0;
  }
  store::RecordWrite write;
  JsonValue stored;
  if (!make_write(type, id, std::move(resource), expected, &write, &stored)) {
    return error_result(400, "invalid", "resource cannot be canonicalized");
  }
  std::vector<store::RecordWrite> writes;
  writes.push_back(std::move(write));
  store::CommitResult c = submit("update " + type, ctx, std::move(writes), &stored);
  if (c.kind != store::CommitResult::Kind::kStored || c.records.size() != 1) {
    return store_failure(c, found.size() == 1);
  }
  const store::RecordVersion& v = c.records[0];
  return written(v.version == 1 && v.changed ? 201 : 200, type, id, stored, v, ctx.prefer);
}

}  // namespace gw::rest
