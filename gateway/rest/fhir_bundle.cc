// FhirApi's Bundle interactions (POST /): transaction (all or nothing, one
// store submission) and batch (each entry on its own, through route()).
#include <map>
#include <set>
#include <utility>

#include "fhir/json/write.h"
#include "fhir/validate/validator.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/rest/http_mapping.h"

namespace gw::rest {

using fhir::JsonValue;

namespace {

const char* status_line(int status) {
  switch (status) {
    case 200:
      return "200 OK";
    case 201:
      return "201 Created";
    case 400:
      return "400 Bad Request";
    case 404:
      return "404 Not Found";
    case 405:
      return "405 Method Not Allowed";
    case 406:
      return "406 Not Acceptable";
    case 409:
      return "409 Conflict";
    case 412:
      return "412 Precondition Failed";
    case 413:
      return "413 Payload Too Large";
    case 415:
      return "415 Unsupported Media Type";
    case 422:
      return "422 Unprocessable Entity";
    case 503:
      return "503 Service Unavailable";
    default:
      return "500 Internal Server Error";
  }
}

const std::string* string_member(const JsonValue& v, std::string_view key) {
  const JsonValue* m = v.find(key);
  return m != nullptr && m->is_string() ? &m->text() : nullptr;
}

std::string entry_text(size_t i) { return "entry " + std::to_string(i) + ": "; }

ApiResult entry_error(int status, const char* code, size_t i, const std::string& what) {
  return error_result(status, code, entry_text(i) + what);
}

// Replaces Reference.reference values found in `targets` (urn:uuid/urn:oid
// fullUrls of the transaction) by the assigned "Type/id". Iterative (depth is
// bounded by the parser, but no recursion on input anyway). Returns false if a
// urn:uuid reference names no entry of the transaction.
bool rewrite_references(JsonValue* root, const std::map<std::string, std::string>& targets) {
  std::vector<JsonValue*> stack{root};
  while (!stack.empty()) {
    JsonValue* v = stack.back();
    stack.pop_back();
    if (v->is_array()) {
      for (JsonValue& item : v->mutable_items()) stack.push_back(&item);
    } else if (v->is_object()) {
      for (const fhir::JsonMember& m : v->members()) {
        // members() is const only because JsonValue offers no mutable member
        // view; *v is ours and not const, so writing through it is sound.
        JsonValue* value = const_cast<JsonValue*>(&m.value);
        if (m.key == "reference" && value->is_string()) {
          const std::string& ref = value->text();
          if (auto it = targets.find(ref); it != targets.end()) {
            *value = JsonValue::make_string(it->second);
          } else if (ref.rfind("urn:uuid:", 0) == 0 || ref.rfind("urn:oid:", 0) == 0) {
            return false;
          }
        } else if (value->is_object() || value->is_array()) {
          stack.push_back(value);
        }
      }
    }
  }
  return true;
}

// "Patient.name[0]" of an entry's resource -> "Bundle.entry[2].resource.ofType(Patient).name[0]".
std::string entry_path(size_t i, const std::string& type, const std::string& path) {
  const std::string prefix = "Bundle.entry[" + std::to_string(i) + "].resource";
  if (path == type) return prefix;
  if (path.rfind(type + ".", 0) == 0)
    return prefix + ".ofType(" + type + ")" + path.substr(type.size());
  return prefix + (path.empty() ? "" : "." + path);
}

// The record index in a kConflict error ("record 3 (Patient) is not at ...").
std::optional<size_t> conflict_index(const std::string& error) {
  if (error.rfind("record ", 0) != 0) return std::nullopt;
  size_t i = 7, n = 0;
  bool any = false;
  while (i < error.size() && error[i] >= '0' && error[i] <= '9' && i < 20) {
    n = n * 10 + static_cast<size_t>(error[i++] - '0');
    any = true;
  }
  return any ? std::optional<size_t>(n) : std::nullopt;
}

}  // namespace

ApiResult FhirApi::bundle(const JsonValue& bundle, const WriteContext& ctx) {
  const std::string* rt = string_member(bundle, "resourceType");
  if (rt == nullptr || *rt != "Bundle") {
    return error_result(400, "invalid", "POST / expects a Bundle");
  }
  const std::string* type = string_member(bundle, "type");
  const JsonValue* entries = bundle.find("entry");
  if (entries != nullptr && !entries->is_array()) {
    return error_result(400, "structure", "Bundle.entry must be an array");
  }
  if (entries != nullptr && entries->items().size() > options_.max_bundle_entries) {
    return error_result(413, "too-costly", "too many Bundle entries");
  }
  if (type != nullptr && *type == "transaction") return transaction(bundle, ctx);
  if (type != nullptr && *type == "batch") return batch(bundle, ctx);
  return error_result(400, "not-supported", "Bundle.type must be transaction or batch");
}

ApiResult FhirApi::transaction(const JsonValue& bundle, const WriteContext& ctx) {
  struct Planned {
    std::string type, id;
    JsonValue resource;
    std::optional<int64_t> expected;
  };
  std::vector<Planned> plan;
  std::map<std::string, std::string> targets;  // fullUrl (urn:...) -> "Type/id"
  std::set<std::string> written_ids;           // "Type/id", each at most once
  const JsonValue* entries = bundle.find("entry");
  const std::vector<JsonValue> none;
  const std::vector<JsonValue>& items = entries != nullptr ? entries->items() : none;

  // 1. Check every entry and assign ids.
  for (size_t i = 0; i < items.size(); ++i) {
    const JsonValue& e = items[i];
    const JsonValue* request = e.find("request");
    const JsonValue* resource = e.find("resource");
    if (request == nullptr || !request->is_object()) {
      return entry_error(400, "structure", i, "request is missing");
    }
    const std::string* method = string_member(*request, "method");
    const std::string* url = string_member(*request, "url");
    if (method == nullptr || url == nullptr) {
      return entry_error(400, "structure", i, "request.method and request.url are required");
    }
    if (*method != "POST" && *method != "PUT") {
      return entry_error(400, "not-supported", i,
                         "only POST and PUT are supported in a transaction");
    }
    for (const char* key : {"ifNoneExist", "ifNoneMatch", "ifModifiedSince"}) {
      if (request->find(key) != nullptr) {
        return entry_error(400, "not-supported", i,
                           std::string("request.") + key + " is not supported in a transaction");
      }
    }
    if (url->find('?') != std::string::npos) {
      return entry_error(400, "not-supported", i,
                         "conditional operations are not supported in a transaction");
    }
    if (resource == nullptr || !resource->is_object()) {
      return entry_error(400, "structure", i, "resource is missing");
    }
    Planned p;
    p.resource = *resource;
    const std::string* rtype = string_member(*resource, "resourceType");
    const size_t slash = url->find('/');
    p.type = url->substr(0, slash);
    if (rtype == nullptr || *rtype != p.type || !fhir::is_resource_type(p.type)) {
      return entry_error(400, "invalid", i, "request.url does not match the resource type");
    }
    if (*method == "POST") {
      if (slash != std::string::npos) {
        return entry_error(400, "invalid", i, "POST request.url must be the resource type");
      }
      p.id = new_uuid();
      p.expected = 0;
    } else {
      p.id = slash == std::string::npos ? "" : url->substr(slash + 1);
      if (!is_valid_id(p.id)) return entry_error(400, "invalid", i, "invalid id in request.url");
      const std::string* body_id = string_member(*resource, "id");
      if (body_id == nullptr || *body_id != p.id) {
        return entry_error(400, "invalid", i, "the resource id must equal the id in request.url");
      }
      if (const std::string* if_match = string_member(*request, "ifMatch")) {
        p.expected = parse_etag_version(*if_match);
        if (!p.expected) return entry_error(400, "invalid", i, "malformed request.ifMatch");
      }
    }
    set_resource_id(&p.resource, p.id);
    if (!written_ids.insert(p.type + "/" + p.id).second) {
      return entry_error(400, "invalid", i, "the same resource is written twice");
    }
    if (const std::string* full_url = string_member(e, "fullUrl")) {
      if (full_url->rfind("urn:uuid:", 0) == 0 || full_url->rfind("urn:oid:", 0) == 0) {
        if (!targets.emplace(*full_url, p.type + "/" + p.id).second) {
          return entry_error(400, "invalid", i, "duplicate fullUrl");
        }
      }
    }
    plan.push_back(std::move(p));
  }

  // 2. Resolve urn: references, then validate everything before writing anything.
  std::vector<fhir::ValidationIssue> issues;
  for (size_t i = 0; i < plan.size(); ++i) {
    if (!rewrite_references(&plan[i].resource, targets)) {
      return entry_error(400, "invalid", i, "a urn: reference names no entry of the transaction");
    }
    fhir::ValidationResult v = fhir::validate_resource(plan[i].resource);
    if (!v.ok()) {
      for (fhir::ValidationIssue& issue : v.issues) {
        issue.path = entry_path(i, plan[i].type, issue.path);
        issues.push_back(std::move(issue));
      }
    }
  }
  if (!issues.empty()) {
    fhir::ValidationResult all;
    all.issues = issues;
    if (!all.ok()) {
      ApiResult r;
      r.status = 422;
      r.body = fhir::operation_outcome(issues);
      return r;
    }
  }

  // 3. One submission: all records commit together or none does.
  std::vector<store::RecordWrite> writes(plan.size());
  std::vector<JsonValue> stored(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    if (!make_write(plan[i].type, plan[i].id, std::move(plan[i].resource), plan[i].expected,
                    &writes[i], &stored[i])) {
      return entry_error(400, "invalid", i, "resource cannot be canonicalized");
    }
  }
  store::CommitResult c = submit("transaction", ctx, std::move(writes));
  if (c.kind == store::CommitResult::Kind::kConflict) {
    const std::optional<size_t> at = conflict_index(c.error);
    const bool if_match = at && *at < plan.size() && plan[*at].expected.value_or(0) > 0;
    std::string where = at ? entry_text(*at) : std::string();
    return commit_error_result(c.kind, if_match,
                               where + (if_match ? "version does not match ifMatch"
                                                 : "resource already exists or changed"));
  }
  if (c.kind != store::CommitResult::Kind::kStored || c.records.size() != plan.size()) {
    return store_failure(c, false);
  }

  JsonValue response = JsonValue::make_object();
  response.add("resourceType", JsonValue::make_string("Bundle"));
  response.add("id", JsonValue::make_string(new_uuid()));
  response.add("type", JsonValue::make_string("transaction-response"));
  JsonValue& out = response.add("entry", JsonValue::make_array());
  for (size_t i = 0; i < plan.size(); ++i) {
    const store::RecordVersion& v = c.records[i];
    const bool created = v.version == 1 && v.changed;
    JsonValue entry = JsonValue::make_object();
    entry.add("fullUrl",
              JsonValue::make_string(options_.base_url + "/" + plan[i].type + "/" + plan[i].id));
    JsonValue& resp = entry.add("response", JsonValue::make_object());
    resp.add("status", JsonValue::make_string(status_line(created ? 201 : 200)));
    resp.add("location", JsonValue::make_string(plan[i].type + "/" + plan[i].id + "/_history/" +
                                                std::to_string(v.version)));
    resp.add("etag", JsonValue::make_string(weak_etag(v.version)));
    resp.add("lastModified", JsonValue::make_string(format_instant(v.updated_at_ms)));
    out.push(std::move(entry));
  }
  ApiResult r;
  r.body = std::move(response);
  return r;
}

ApiResult FhirApi::batch(const JsonValue& bundle, const WriteContext& ctx) {
  JsonValue response = JsonValue::make_object();
  response.add("resourceType", JsonValue::make_string("Bundle"));
  response.add("id", JsonValue::make_string(new_uuid()));
  response.add("type", JsonValue::make_string("batch-response"));
  JsonValue& out = response.add("entry", JsonValue::make_array());
  const JsonValue* entries = bundle.find("entry");
  const std::vector<JsonValue> none;
  const std::vector<JsonValue>& items = entries != nullptr ? entries->items() : none;

  for (size_t i = 0; i < items.size(); ++i) {
    const JsonValue& e = items[i];
    ApiResult result;
    const JsonValue* request = e.find("request");
    const std::string* method = request ? string_member(*request, "method") : nullptr;
    const std::string* url = request ? string_member(*request, "url") : nullptr;
    const JsonValue* resource = e.find("resource");
    if (method == nullptr || url == nullptr) {
      result = entry_error(400, "structure", i, "request.method and request.url are required");
    } else {
      std::string target = *url;
      if (!options_.base_url.empty() && target.rfind(options_.base_url + "/", 0) == 0) {
        target = target.substr(options_.base_url.size());
      }
      if (target.empty() || target[0] != '/') target = "/" + target;
      RestRequest sub;
      sub.method = *method;
      sub.target = target;
      sub.peer = ctx.peer;
      sub.sender = ctx.sender;
      if (const std::string* v = string_member(*request, "ifMatch")) sub.if_match = *v;
      if (const std::string* v = string_member(*request, "ifNoneExist")) sub.if_none_exist = *v;
      const bool writes = *method == "POST" || *method == "PUT";
      if (writes && (target == "/" || target.rfind("/?", 0) == 0)) {
        result = entry_error(400, "not-supported", i, "nested Bundles are not processed");
      } else if (writes && (resource == nullptr || !resource->is_object())) {
        result = entry_error(400, "structure", i, "resource is missing");
      } else {
        if (writes) sub.body = fhir::write_json(*resource);  // stored as this entry's raw
        result = route(sub, writes ? resource : nullptr, "batch ");
      }
    }

    JsonValue entry = JsonValue::make_object();
    JsonValue resp = JsonValue::make_object();
    resp.add("status", JsonValue::make_string(status_line(result.status)));
    for (const auto& [name, value] : result.headers) {
      if (name == "Location") resp.add("location", JsonValue::make_string(value));
      if (name == "ETag") resp.add("etag", JsonValue::make_string(value));
    }
    if (result.body && result.status >= 400) {
      resp.add("outcome", std::move(*result.body));
    } else if (result.body) {
      if (const JsonValue* meta = result.body->find("meta")) {
        if (const JsonValue* updated = meta->find("lastUpdated")) {
          resp.add("lastModified", *updated);
        }
      }
      entry.add("resource", std::move(*result.body));
    }
    entry.add("response", std::move(resp));
    out.push(std::move(entry));
  }
  ApiResult r;
  r.body = std::move(response);
  return r;
}

}  // namespace gw::rest
