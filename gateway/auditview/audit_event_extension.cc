#include "gateway/auditview/audit_event_extension.h"

#include <Poco/URI.h>

#include <optional>
#include <string>
#include <utility>

namespace gw::auditview {
namespace {

using fhir::JsonValue;
using rest::ApiResult;
using rest::error_result;

JsonValue str(std::string s) { return JsonValue::make_string(std::move(s)); }

// `Prefer: handling=lenient` (http.html#prefer), among other preferences.
bool wants_lenient(std::string_view prefer) {
  return prefer.find("handling=lenient") != std::string_view::npos;
}

// The HTTP answer to a search that cannot be run as asked.
ApiResult search_error(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUnimplemented:
      return error_result(400, "not-supported", s.message());
    case StatusCode::kFailedPrecondition:
      return error_result(501, "not-supported", s.message());
    default:
      return error_result(400, "invalid", s.message());
  }
}

ApiResult log_error(const Status& s) {
  if (s.code() == StatusCode::kDataLoss) {
    return error_result(500, "exception",
                        "an audit entry does not open: run gatewayctl audit verify");
  }
  return error_result(500, "exception", "the audit log cannot be read");
}

class View {
 public:
  View(std::shared_ptr<audit::AuditLog> log, AuditEventViewOptions options)
      : log_(std::move(log)), options_(std::move(options)) {
    while (!options_.base_url.empty() && options_.base_url.back() == '/') {
      options_.base_url.pop_back();
    }
    if (options_.context.base_url.empty()) options_.context.base_url = options_.base_url;
  }

  std::optional<ApiResult> handle(const rest::ExtensionRequest& r) const {
    const std::vector<std::string>& seg = r.segments;
    if (seg.empty() || seg[0] != "AuditEvent") return std::nullopt;
    if (r.http.method != "GET") {
      ApiResult refused = error_result(
          405, "not-supported", "the audit trail is read-only: AuditEvent takes read and search");
      refused.headers.emplace_back("Allow", "GET");
      return refused;
    }
    if (seg.size() == 1) return search(r);
    if (seg.size() == 2 && seg[1][0] != '_' && seg[1][0] != '$') return read(seg[1]);
    return error_result(404, "not-supported", "AuditEvent: only read and search are supported");
  }

 private:
  ApiResult read(const std::string& id) const {
    // Ids are seqs: 1..18 digits without a leading zero.
    const bool digits = !id.empty() && id.size() <= 18 && id[0] != '0' &&
                        id.find_first_not_of("0123456789") == std::string::npos;
    if (!digits) return error_result(404, "not-found", "no such AuditEvent");
    const int64_t seq = std::stoll(id);
    audit::AuditQuery q;
    q.after_seq = seq - 1;
    q.limit = 1;
    auto page = log_->query(q);
    if (!page.ok()) return log_error(page.error());
    if (page->entries.empty() || page->entries.front().seq != seq) {
      auto head = log_->head();
      if (head.ok() && seq <= head->pruned_through_seq) {
        return error_result(410, "deleted", "this AuditEvent was pruned after its retention");
      }
      return error_result(404, "not-found", "no such AuditEvent");
    }
    ApiResult r;
    r.body = to_audit_event(page->entries.front(), options_.context);
    return r;
  }

  ApiResult search(const rest::ExtensionRequest& r) const {
    SearchOptions so;
    so.lenient = wants_lenient(r.http.prefer);
    so.default_count = options_.default_count;
    so.max_count = options_.max_count;
    auto parsed = parse_audit_event_search(r.params, options_.resolve_patient, so);
    if (!parsed.ok()) return search_error(parsed.error());
    const AuditEventSearch& s = *parsed;

    JsonValue bundle = JsonValue::make_object();
    bundle.add("resourceType", str("Bundle"));
    bundle.add("type", str("searchset"));
    JsonValue links = JsonValue::make_array();
    const int64_t after = s.query.after_seq;
    links.push(link("self", s.used, after > 0 ? std::optional<int64_t>(after) : std::nullopt));
    JsonValue entries = JsonValue::make_array();
    if (!s.matches_nothing) {
      auto page = log_->query(s.query);
      if (!page.ok()) return log_error(page.error());
      if (page->next_after_seq) links.push(link("next", s.used, page->next_after_seq));
      for (const audit::StoredAuditEntry& stored : page->entries) {
        JsonValue entry = JsonValue::make_object();
        entry.add("fullUrl", str(options_.base_url + "/AuditEvent/" + std::to_string(stored.seq)));
        entry.add("resource", to_audit_event(stored, options_.context));
        JsonValue mode = JsonValue::make_object();
        mode.add("mode", str("match"));
        entry.add("search", std::move(mode));
        entries.push(std::move(entry));
      }
    }
    bundle.add("link", std::move(links));
    if (!entries.empty()) bundle.add("entry", std::move(entries));
    ApiResult result;
    result.body = std::move(bundle);
    return result;
  }

  // base/AuditEvent?<used params>[&_after=SEQ], every value percent-encoded.
  JsonValue link(std::string_view relation, const rest::QueryParams& used,
                 std::optional<int64_t> after) const {
    std::string url = options_.base_url + "/AuditEvent";
    char sep = '?';
    const auto add = [&](const std::string& name, const std::string& value) {
      url += sep;
      sep = '&';
      Poco::URI::encode(name, "&=+#?", url);
      url += '=';
      Poco::URI::encode(value, "&=+#?", url);
    };
    for (const auto& [name, value] : used) add(name, value);
    if (after) add("_after", std::to_string(*after));
    JsonValue out = JsonValue::make_object();
    out.add("relation", str(std::string(relation)));
    out.add("url", str(std::move(url)));
    return out;
  }

  std::shared_ptr<audit::AuditLog> log_;
  AuditEventViewOptions options_;
};

}  // namespace

rest::ExtensionHandler make_audit_event_extension(std::shared_ptr<audit::AuditLog> log,
                                                  AuditEventViewOptions options) {
  auto view = std::make_shared<const View>(std::move(log), std::move(options));
  return [view](const rest::ExtensionRequest& r) { return view->handle(r); };
}

}  // namespace gw::auditview
