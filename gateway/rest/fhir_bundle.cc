// FhirApi's Bundle interactions (POST /): transaction (all or nothing, one
// store submission) and batch (each entry on its own, through route()).
#include <map>
#include <set>
#include <utility>

#include "fhir/json/write.h"
#include "fhir/validate/validator.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/rest/http_mapping.h"
#include "gateway/store/compartment.h"

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
    case 401:
      return "401 Unauthorized";
    case 403:
      return "403 Forbidden";
    case 404:
      return "404 Not Found";
    case 405:
      return "405 Method Not Allowed";
    case 406:
      return "406 Not Acceptable";
    case 408:
      return "408 Request Timeout";
    case 409:
      return "409 Conflict";
    case 410:
      return "410 Gone";
    case 412:
      return "412 Precondition Failed";
    case 413:
      return "413 Payload Too Large";
    case 415:
      return "415 Unsupported Media Type";
    case 422:
      return "422 Unprocessable Entity";
    case 501:
      return "501 Not Implemented";
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

// A single-resource step's error, located at entry i: "entry 3: <what>: ...".
ApiResult at_entry(size_t i, std::string_view what, ApiResult error) {
  JsonValue* issues = error.body ? error.body->find_mutable("issue") : nullptr;
  if (issues != nullptr && issues->is_array() && !issues->items().empty()) {
    JsonValue* d = issues->mutable_items()[0].find_mutable("diagnostics");
    if (d != nullptr && d->is_string()) {
      *d = JsonValue::make_string(entry_text(i) + std::string(what) + ": " + d->text());
    }
  }
  return error;
}

bool is_conditional_entry(const JsonValue& entry) {
  const JsonValue* request = entry.find("request");
  if (request == nullptr) return false;
  const std::string* url = string_member(*request, "url");
  return request->find("ifNoneExist") != nullptr ||
         (url != nullptr && url->find('?') != std::string::npos);
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
    // A conditional create (ifNoneExist) that matched: nothing is written and
    // the entry answers with the matched record.
    std::optional<store::StoredRecord> existing;
  };
  std::vector<Planned> plan;
  // A new resource takes the uuid of its urn:uuid fullUrl as its id when no
  // record has that id yet (else a fresh one): a sender whose fullUrls are
  // deterministic (another gatewayd forwarding its records) gets the same
  // ids here as it has, and a resend finds them by identifier anyway.
  auto new_id = [this](const std::string& type, const JsonValue& entry) {
    const std::string* full_url = string_member(entry, "fullUrl");
    if (full_url != nullptr && full_url->rfind("urn:uuid:", 0) == 0) {
      std::string id = full_url->substr(9);
      if (is_valid_id(id) && !store_->read_record(type, id, 0)) return id;
    }
    return new_uuid();
  };
  std::map<std::string, std::string> targets;  // fullUrl (urn:...) -> "Type/id"
  std::set<std::string> written_ids;           // "Type/id", each at most once
  const JsonValue* entries = bundle.find("entry");
  const std::vector<JsonValue> none;
  const std::vector<JsonValue>& items = entries != nullptr ? entries->items() : none;

  // Conditional entries are resolved and written under the same lock as
  // conditional creates and updates of single resources, held until the
  // submission commits: no other conditional write can match or create the
  // same resource in between.
  std::unique_lock<std::mutex> conditional;
  for (const JsonValue& e : items) {
    if (is_conditional_entry(e)) {
      conditional = std::unique_lock<std::mutex>(conditional_mu_);
      break;
    }
  }

  // 1. Check every entry, resolve conditions and assign ids.
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
    for (const char* key : {"ifNoneMatch", "ifModifiedSince"}) {
      if (request->find(key) != nullptr) {
        return entry_error(400, "not-supported", i,
                           std::string("request.") + key + " is not supported in a transaction");
      }
    }
    if (resource == nullptr || !resource->is_object()) {
      return entry_error(400, "structure", i, "resource is missing");
    }
    Planned p;
    p.resource = *resource;
    const std::string* rtype = string_member(*resource, "resourceType");
    const size_t query = url->find('?');
    const std::string path = url->substr(0, query);
    const size_t slash = path.find('/');
    p.type = path.substr(0, slash);
    if (rtype == nullptr || *rtype != p.type || !fhir::is_resource_type(p.type)) {
      return entry_error(400, "invalid", i, "request.url does not match the resource type");
    }
    for (const std::string& own : options_.own_write_types) {
      if (p.type == own) {
        return entry_error(422, "not-supported", i,
                           "write " + own + " on its own, not in a transaction Bundle");
      }
    }
    const JsonValue* if_none_exist = request->find("ifNoneExist");
    // Each entry is allowed on its own (a transaction with one entry the
    // client may not write is refused whole: it is atomic).
    auth::AccessRequest access{
        *method == "POST" ? auth::Interaction::kCreate : auth::Interaction::kUpdate, p.type};
    access.conditional = *method == "POST" ? if_none_exist != nullptr : query != std::string::npos;
    if (ctx.grant == nullptr) return entry_error(401, "login", i, "authentication required");
    if (Status st = auth::authorize(*ctx.grant, access); !st.ok()) {
      return entry_error(403, "forbidden", i, st.message());
    }
    if (*method == "POST") {
      if (slash != std::string::npos || query != std::string::npos) {
        return entry_error(400, "invalid", i, "POST request.url must be the resource type");
      }
      if (if_none_exist != nullptr) {
        if (!if_none_exist->is_string()) {
          return entry_error(400, "invalid", i, "request.ifNoneExist must be a string");
        }
        std::vector<store::StoredRecord> found;
        ApiResult error;
        if (!match_condition(p.type, if_none_exist->text(), &found, &error)) {
          return at_entry(i, "request.ifNoneExist", std::move(error));
        }
        if (found.size() > 1) {
          return entry_error(412, "duplicate", i, "ifNoneExist matches more than one resource");
        }
        if (found.size() == 1) p.existing = std::move(found[0]);
      }
      p.id = p.existing ? p.existing->resource_id : new_id(p.type, e);
      p.expected = 0;
    } else if (query != std::string::npos) {
      // Conditional update: the matched resource, else a new one (with the
      // body's id when it has one, as PUT /Type?identifier= does).
      if (slash != std::string::npos || if_none_exist != nullptr ||
          request->find("ifMatch") != nullptr) {
        return entry_error(400, "invalid", i,
                           "a conditional update is PUT Type?identifier=... without ifMatch "
                           "or ifNoneExist");
      }
      std::vector<store::StoredRecord> found;
      ApiResult error;
      if (!match_condition(p.type, std::string_view(*url).substr(query + 1), &found, &error)) {
        return at_entry(i, "request.url", std::move(error));
      }
      if (found.size() > 1) {
        return entry_error(412, "multiple-matches", i,
                           "the condition matches more than one resource");
      }
      const std::string* body_id = string_member(*resource, "id");
      if (resource->find("id") != nullptr && (body_id == nullptr || !is_valid_id(*body_id))) {
        return entry_error(400, "invalid", i, "invalid id in the resource");
      }
      if (found.size() == 1) {
        if (body_id != nullptr && *body_id != found[0].resource_id) {
          return entry_error(400, "invalid", i,
                             "the resource id differs from the matched resource");
        }
        p.id = found[0].resource_id;
        p.expected = found[0].version;
      } else {
        if (std::optional<ApiResult> refused = check_create(ctx.grant, access)) {
          return at_entry(i, "request.url", std::move(*refused));
        }
        p.id = body_id != nullptr ? *body_id : new_id(p.type, e);
        if (body_id == nullptr) p.expected = 0;
      }
    } else {
      if (if_none_exist != nullptr) {
        return entry_error(400, "invalid", i, "request.ifNoneExist belongs to a POST");
      }
      p.id = slash == std::string::npos ? "" : path.substr(slash + 1);
      if (!is_valid_id(p.id)) return entry_error(400, "invalid", i, "invalid id in request.url");
      const std::string* body_id = string_member(*resource, "id");
      if (body_id == nullptr || *body_id != p.id) {
        return entry_error(400, "invalid", i, "the resource id must equal the id in request.url");
      }
      if (check_create(ctx.grant, access) && !store_->read_record(p.type, p.id, 0)) {
        return at_entry(i, "request.url", std::move(*check_create(ctx.grant, access)));
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
    if (plan[i].existing) continue;  // not written: its resource is not used
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
  std::vector<AccessNote> accessed(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    AccessNote& n = accessed[i];
    n.action = audit::Action::kTransactionEntry;
    n.resource_type = plan[i].type;
    n.resource_id = plan[i].id;
    n.patient_ids =
        plan[i].existing
            ? store::patient_compartment_ids(plan[i].type, plan[i].id,
                                             plan[i].existing->resource_json)
            : store::patient_compartment_ids(plan[i].type, plan[i].id, plan[i].resource);
  }
  std::vector<store::RecordWrite> writes;
  std::vector<size_t> entry_of_write;  // writes[k] is plan[entry_of_write[k]]
  for (size_t i = 0; i < plan.size(); ++i) {
    if (plan[i].existing) continue;
    store::RecordWrite w;
    JsonValue stored;
    if (!make_write(plan[i].type, plan[i].id, std::move(plan[i].resource), plan[i].expected, &w,
                    &stored)) {
      return entry_error(400, "invalid", i, "resource cannot be canonicalized");
    }
    writes.push_back(std::move(w));
    entry_of_write.push_back(i);
  }
  std::vector<store::RecordVersion> versions;
  if (!writes.empty()) {
    const size_t count = writes.size();
    store::CommitResult c = submit("transaction", ctx, std::move(writes));
    if (c.kind == store::CommitResult::Kind::kConflict) {
      std::optional<size_t> at = conflict_index(c.error);
      if (at && *at < entry_of_write.size()) {
        at = entry_of_write[*at];
      } else {
        at.reset();
      }
      const bool if_match = at && plan[*at].expected.value_or(0) > 0;
      std::string where = at ? entry_text(*at) : std::string();
      return commit_error_result(c.kind, if_match,
                                 where + (if_match ? "version does not match ifMatch"
                                                   : "resource already exists or changed"));
    }
    if (c.kind != store::CommitResult::Kind::kStored || c.records.size() != count) {
      return store_failure(c, false);
    }
    versions = std::move(c.records);
  }

  JsonValue response = JsonValue::make_object();
  response.add("resourceType", JsonValue::make_string("Bundle"));
  response.add("id", JsonValue::make_string(new_uuid()));
  response.add("type", JsonValue::make_string("transaction-response"));
  JsonValue& out = response.add("entry", JsonValue::make_array());
  size_t next_write = 0;
  for (size_t i = 0; i < plan.size(); ++i) {
    store::RecordVersion v;
    if (plan[i].existing) {
      v.version = plan[i].existing->version;
      v.updated_at_ms = plan[i].existing->updated_at_ms;
      v.changed = false;
    } else {
      v = versions[next_write++];
    }
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
    accessed[i].status = created ? 201 : 200;
  }
  ApiResult r;
  r.body = std::move(response);
  r.accessed = std::move(accessed);
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
  std::vector<AccessNote> accessed;

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
      sub.grant = ctx.grant;
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
    for (AccessNote& n : result.accessed) accessed.push_back(std::move(n));

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
  r.accessed = std::move(accessed);
  return r;
}

}  // namespace gw::rest
