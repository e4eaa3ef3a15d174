// Routing, content negotiation and body handling of FhirApi; the
// interactions are in fhir_interactions.cc and fhir_bundle.cc.
#include "gateway/rest/fhir_api.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "fhir/json/write.h"
#include "fhir/validate/validator.h"
#include "gateway/base/clock.h"
#include "gateway/rest/access.h"

namespace gw::rest {

using fhir::JsonValue;

namespace {

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

bool is_json_media_type(const std::string& type) {
  return type == "application/fhir+json" || type == "application/json" ||
         type == "application/json+fhir";
}

// Accept: acceptable if absent or if any listed type (with q > 0) covers JSON.
bool accepts_json(std::string_view accept) {
  if (lower_trimmed(accept).empty()) return true;
  for (std::string_view range : split(accept, ',')) {
    const std::vector<std::string_view> parts = split(range, ';');
    const std::string type = lower_trimmed(parts[0]);
    bool excluded = false;
    for (size_t i = 1; i < parts.size(); ++i) {
      const std::string p = lower_trimmed(parts[i]);
      if (p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000") excluded = true;
    }
    if (excluded) continue;
    if (type == "*/*" || type == "application/*" || is_json_media_type(type)) return true;
  }
  return false;
}

// _format values meaning JSON (http.html#mime-type).
bool format_is_json(const std::string& format) {
  const std::string f = lower_trimmed(format);
  const std::string type = lower_trimmed(split(f, ';')[0]);
  return type == "json" || is_json_media_type(type);
}

// Content-Type of a body: a JSON media type, charset (if any) UTF-8.
bool content_type_ok(std::string_view content_type) {
  const std::vector<std::string_view> parts = split(content_type, ';');
  if (!is_json_media_type(lower_trimmed(parts[0]))) return false;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string p = lower_trimmed(parts[i]);
    if (p.rfind("charset=", 0) == 0) {
      std::string cs = p.substr(8);
      if (cs.size() >= 2 && cs.front() == '"' && cs.back() == '"') cs = cs.substr(1, cs.size() - 2);
      if (cs != "utf-8" && cs != "utf8") return false;
    }
  }
  return true;
}

std::string prefer_return(std::string_view prefer) {
  for (std::string_view part : split(prefer, ',')) {
    for (std::string_view token : split(part, ';')) {
      const std::string t = lower_trimmed(token);
      if (t.rfind("return=", 0) == 0) return t.substr(7);
    }
  }
  return "";
}

ApiResult method_not_allowed(const char* allow) {
  ApiResult r = error_result(405, "not-supported", "method not allowed on this path");
  r.headers.emplace_back("Allow", allow);
  return r;
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

FhirApi::FhirApi(store::MessageStore* store, ApiOptions options)
    : store_(store), options_(std::move(options)) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') {
    options_.base_url.pop_back();
  }
  capability_ = build_capability_statement(options_.base_url, now_ms(), options_.operations);
}

RestResponse FhirApi::to_response(const ApiResult& result) {
  RestResponse out;
  out.status = result.status;
  out.headers = result.headers;
  out.accessed = result.accessed;
  if (result.raw_body) {
    out.body = *result.raw_body;
    out.content_type = result.raw_content_type;
    return out;
  }
  if (result.body) out.body = fhir::write_json(*result.body);
  return out;
}

RestResponse FhirApi::handle(const RestRequest& request) {
  return to_response(route(request, nullptr));
}

ApiResult FhirApi::route(const RestRequest& request, const JsonValue* parsed_body,
                         const char* operation) {
  std::string_view target = request.target;
  if (const size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  const size_t qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  const std::string_view query =
      qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1);

  QueryParams params;
  if (!parse_query(query, &params)) {
    return error_result(400, "invalid", "malformed percent-encoding in the query string");
  }
  bool format_given = false;
  for (const auto& [name, value] : params) {
    if (name != "_format") continue;
    format_given = true;
    if (!format_is_json(value)) {
      return error_result(406, "not-supported", "only the JSON format is supported (_format)");
    }
  }
  if (!format_given && !accepts_json(request.accept)) {
    return error_result(406, "not-supported", "only application/fhir+json is supported (Accept)");
  }

  // Path segments, percent-decoded. A trailing '/' is ignored.
  if (path.empty() || path.front() != '/') return error_result(404, "not-found", "unknown path");
  std::string_view rest = path.substr(1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::vector<std::string> seg;
  if (!rest.empty()) {
    for (std::string_view s : split(rest, '/')) {
      std::string decoded;
      if (s.empty() || !percent_decode(s, false, &decoded)) {
        return error_result(404, "not-found", "unknown path");
      }
      seg.push_back(std::move(decoded));
      if (seg.size() > 4) return error_result(404, "not-found", "unknown path");
    }
  }
  const DescribedRequest described =
      describe_request(request.method, seg, params, !request.if_none_exist.empty());
  ApiResult result;
  if (described.error) {
    result = *described.error;
  } else if (std::optional<ApiResult> refused = check_access(request, described.access, seg)) {
    result = std::move(*refused);
  } else {
    result = serve(request, parsed_body, operation, seg, params, query);
  }
  note_access(described.error ? std::nullopt : std::optional(described.access), seg, &result);
  return result;
}

ApiResult FhirApi::serve(const RestRequest& request, const JsonValue* parsed_body,
                         const char* operation, const std::vector<std::string>& seg,
                         const QueryParams& params, std::string_view query) {
  const std::string& method = request.method;

  // Rooms that answer a type or operation themselves (consents, transfers).
  if (!seg.empty() && seg[0] != "metadata" && !options_.extensions.empty()) {
    std::optional<JsonValue> own_body;
    const JsonValue* ext_body = parsed_body;
    if (ext_body == nullptr && (method == "POST" || method == "PUT") &&
        request.body.size() <= options_.max_body_bytes) {
      fhir::JsonParseOptions parse_options;
      parse_options.max_input_bytes = options_.max_body_bytes;
      fhir::JsonResult<JsonValue> parsed = fhir::parse_json(request.body, parse_options);
      if (parsed.ok()) {
        own_body = std::move(parsed).value();
        ext_body = &*own_body;
      }
    }
    const ExtensionRequest ext{request, seg, params, ext_body, parsed_body != nullptr};
    for (const ExtensionHandler& handler : options_.extensions) {
      if (std::optional<ApiResult> answered = handler(ext)) return std::move(*answered);
    }
  }

  // Decide the interaction (or the error) from the path and method.
  enum class Op {
    kMetadata,
    kSearch,
    kCreate,
    kConditionalUpdate,
    kRead,
    kUpdate,
    kVread,
    kBundle
  };
  Op op;
  if (seg.empty()) {
    if (method != "POST") return method_not_allowed("POST");
    op = Op::kBundle;
  } else if (seg.size() == 1 && seg[0] == "metadata") {
    if (method != "GET") return method_not_allowed("GET");
    op = Op::kMetadata;
  } else {
    if (seg[0].empty() || seg[0][0] == '_' || seg[0][0] == '$') {
      return error_result(404, "not-supported", "operation or path not supported");
    }
    if (!fhir::is_resource_type(seg[0])) {
      return error_result(404, "not-supported", "unknown resource type");
    }
    if (seg.size() >= 2 && (seg[1][0] == '_' || seg[1][0] == '$')) {
      return error_result(404, "not-supported", "operation or path not supported");
    }
    if (seg.size() >= 2 && !is_valid_id(seg[1])) {
      return error_result(400, "invalid", "invalid resource id in the URL");
    }
    if (seg.size() == 1) {
      if (method == "GET") {
        op = Op::kSearch;
      } else if (method == "POST") {
        op = Op::kCreate;
      } else if (method == "PUT") {
        op = Op::kConditionalUpdate;
      } else {
        return method_not_allowed("GET, POST, PUT");
      }
    } else if (seg.size() == 2) {
      if (method == "GET") {
        op = Op::kRead;
      } else if (method == "PUT") {
        op = Op::kUpdate;
      } else {
        return method_not_allowed("GET, PUT");
      }
    } else if (seg.size() == 4 && seg[2] == "_history") {
      if (!all_digits(seg[3]) || std::stoll(seg[3]) <= 0) {
        return error_result(404, "not-found", "unknown version");
      }
      if (method != "GET") return method_not_allowed("GET");
      op = Op::kVread;
    } else if (seg.size() == 3 && seg[2] == "_history") {
      return error_result(404, "not-supported", "history is not supported");
    } else {
      return error_result(404, "not-supported", "operation or path not supported");
    }
  }

  switch (op) {
    case Op::kMetadata:
      return metadata();
    case Op::kSearch: {
      std::string self = options_.base_url + "/" + seg[0];
      if (!query.empty()) self += "?" + std::string(query);
      return search(seg[0], params, self);
    }
    case Op::kRead:
      return read(seg[0], seg[1], 0);
    case Op::kVread:
      return read(seg[0], seg[1], std::stoll(seg[3]));
    default:
      break;
  }

  // Writes: a JSON body is required.
  JsonValue body;
  if (parsed_body != nullptr) {
    body = *parsed_body;
  } else {
    if (!content_type_ok(request.content_type)) {
      return error_result(415, "not-supported",
                          "Content-Type must be application/fhir+json (charset utf-8)");
    }
    if (request.body.size() > options_.max_body_bytes) {
      return error_result(413, "too-costly", "request body too large");
    }
    fhir::JsonParseOptions parse_options;
    parse_options.max_input_bytes = options_.max_body_bytes;
    fhir::JsonResult<JsonValue> parsed = fhir::parse_json(request.body, parse_options);
    if (!parsed.ok()) {
      // JsonError::to_string names only element-shaped keys and offsets (no values).
      return error_result(fhir::is_limit_error(parsed.error().code) ? 413 : 400,
                          fhir::is_limit_error(parsed.error().code) ? "too-costly" : "structure",
                          "body is not acceptable JSON: " + parsed.error().to_string());
    }
    body = std::move(parsed).value();
  }
  if (!body.is_object()) return error_result(400, "structure", "body is not a JSON object");

  WriteContext ctx;
  ctx.peer = request.peer;
  ctx.sender = request.sender.empty() ? "https" : request.sender;
  ctx.raw = request.body;
  ctx.prefer = prefer_return(request.prefer);
  ctx.operation = operation;
  ctx.grant = request.grant;
  switch (op) {
    case Op::kCreate:
      return create(seg[0], std::move(body), request.if_none_exist, ctx);
    case Op::kUpdate:
      return update(seg[0], seg[1], std::move(body), request.if_match, ctx);
    case Op::kConditionalUpdate:
      return conditional_update(seg[0], params, std::move(body), ctx);
    case Op::kBundle:
      return bundle(body, ctx);
    default:
      return error_result(500, "exception", "unhandled interaction");
  }
}

}  // namespace gw::rest
