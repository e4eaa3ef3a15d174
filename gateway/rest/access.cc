#include "gateway/rest/access.h"

#include "fhir/validate/validator.h"

namespace gw::rest {

namespace {

using auth::Interaction;

DescribedRequest fail(int status, std::string_view code, std::string_view why) {
  DescribedRequest d;
  d.error = error_result(status, code, why);
  return d;
}

DescribedRequest method_not_allowed(const char* allow) {
  DescribedRequest d = fail(405, "not-supported", "method not allowed on this path");
  d.error->headers.emplace_back("Allow", allow);
  return d;
}

DescribedRequest of(Interaction i, std::string_view type = {}, std::string_view op = {}) {
  DescribedRequest d;
  d.access.interaction = i;
  d.access.resource_type = type;
  d.access.operation = op;
  return d;
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t p = s.find(',');
    if (!s.substr(0, p).empty()) out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

// _include=Source:param[:Target] reads Target (or, without one, whatever the
// reference names: every type); _revinclude=Source:param[:Target] searches
// Source. An unparseable value is left to the search itself to refuse.
void add_includes(const QueryParams& params, auth::AccessRequest* a) {
  for (const auto& [name, value] : params) {
    const bool include = name == "_include" || name.rfind("_include:", 0) == 0;
    const bool revinclude = name == "_revinclude" || name.rfind("_revinclude:", 0) == 0;
    if (!include && !revinclude) continue;
    std::string_view v = value;
    const size_t first = v.find(':');
    if (revinclude) {
      a->revincluded_types.push_back(v.substr(0, first));
      continue;
    }
    const size_t second = first == std::string_view::npos ? first : v.find(':', first + 1);
    a->included_types.push_back(second == std::string_view::npos ? std::string_view("*")
                                                                 : v.substr(second + 1));
  }
}

DescribedRequest search_system(const QueryParams& params, Interaction i) {
  DescribedRequest d = of(i);
  for (const auto& [name, value] : params) {
    if (name != "_type") continue;
    for (std::string_view t : split_commas(value)) d.access.types.push_back(t);
  }
  add_includes(params, &d.access);
  return d;
}

bool is_operation(const std::string& s) { return s.size() > 1 && s[0] == '$'; }

}  // namespace

DescribedRequest describe_request(std::string_view method, const std::vector<std::string>& seg,
                                  const QueryParams& params, bool has_if_none_exist) {
  const bool get = method == "GET", post = method == "POST", put = method == "PUT",
             del = method == "DELETE", patch = method == "PATCH";
  if (seg.empty()) {
    if (post) return of(Interaction::kBundle);
    if (get) return search_system(params, Interaction::kSearchSystem);
    return method_not_allowed("GET, POST");
  }
  const std::string& first = seg[0];
  if (seg.size() == 1 && first == "metadata") {
    return get ? of(Interaction::kCapabilities) : method_not_allowed("GET");
  }
  if (seg.size() == 1 && first == "_history") {
    return get ? search_system(params, Interaction::kHistorySystem) : method_not_allowed("GET");
  }
  if (seg.size() == 1 && first == "_search") {
    return post ? search_system(params, Interaction::kSearchSystem) : method_not_allowed("POST");
  }
  if (seg.size() == 1 && is_operation(first)) {
    return of(Interaction::kOperation, {}, std::string_view(first).substr(1));
  }
  if (!fhir::is_resource_type(first)) return fail(404, "not-supported", "unknown resource type");
  const std::string_view type = first;

  if (seg.size() == 1) {
    DescribedRequest d;
    if (get) {
      d = of(Interaction::kSearchType, type);
      add_includes(params, &d.access);
    } else if (post) {
      d = of(Interaction::kCreate, type);
      d.access.conditional = has_if_none_exist;
    } else if (put || del || patch) {
      // Conditional writes: PUT creates when nothing matches; the caller
      // checks that case again once it knows (FhirApi).
      d = of(put ? Interaction::kUpdate : del ? Interaction::kDelete : Interaction::kPatch, type);
      d.access.conditional = true;
    } else {
      return method_not_allowed("GET, POST, PUT");
    }
    return d;
  }
  const std::string& second = seg[1];
  if (seg.size() == 2) {
    if (second == "_search") {
      if (!post) return method_not_allowed("POST");
      DescribedRequest d = of(Interaction::kSearchType, type);
      add_includes(params, &d.access);
      return d;
    }
    if (second == "_history") {
      return get ? of(Interaction::kHistoryType, type) : method_not_allowed("GET");
    }
    if (is_operation(second)) {
      return of(Interaction::kOperation, type, std::string_view(second).substr(1));
    }
    if (get) return of(Interaction::kRead, type);
    if (put) return of(Interaction::kUpdate, type);  // creates: checked again by the caller
    if (del) return of(Interaction::kDelete, type);
    if (patch) return of(Interaction::kPatch, type);
    return method_not_allowed("GET, PUT");
  }
  if (seg.size() == 3 && seg[2] == "_history") {
    return get ? of(Interaction::kHistoryInstance, type) : method_not_allowed("GET");
  }
  if (seg.size() == 3 && is_operation(seg[2])) {
    return of(Interaction::kOperation, type, std::string_view(seg[2]).substr(1));
  }
  if (seg.size() == 4 && seg[2] == "_history") {
    return get ? of(Interaction::kVread, type) : method_not_allowed("GET");
  }
  return fail(404, "not-supported", "operation or path not supported");
}

audit::Action audit_action(const auth::AccessRequest& access) {
  if (access.interaction == Interaction::kOperation) {
    // The transfer rooms record transfers sent and received themselves;
    // the request that starts one is an operation.
    return access.operation == "access-report" ? audit::Action::kExport : audit::Action::kOperation;
  }
  switch (access.interaction) {
    case Interaction::kRead:
      return audit::Action::kRead;
    case Interaction::kVread:
      return audit::Action::kVread;
    case Interaction::kCreate:
      return audit::Action::kCreate;
    case Interaction::kUpdate:
    case Interaction::kPatch:
      return audit::Action::kUpdate;
    case Interaction::kDelete:
      return audit::Action::kDelete;
    case Interaction::kAdmin:
      return audit::Action::kAdmin;
    case Interaction::kBundle:
      return audit::Action::kTransactionEntry;
    case Interaction::kTokenRequest:
      return audit::Action::kAuthFailure;  // only failures are entries of their own
    default:
      return audit::Action::kSearch;  // searches, histories, capabilities, operations
  }
}

}  // namespace gw::rest
