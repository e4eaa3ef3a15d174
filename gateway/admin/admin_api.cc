#include "gateway/admin/admin_api.h"

#include <string>
#include <utility>

#include "gateway/admin/attestation.h"
#include "gateway/log/log.h"

namespace gw::admin {

rest::RestResponse handle_admin_request(const AdminSources& sources, const rest::RestRequest& r) {
  rest::RestResponse out;
  if (r.method != "GET") {
    out.status = 405;
    out.content_type = "application/json";
    out.body = R"({"error":"the admin API answers GET only"})";
    return out;
  }
  const std::string path = r.target.substr(0, r.target.find('?'));
  if (path == "/admin/metrics") {
    // Scraped every few seconds: logged at debug only.
    log::debug("admin.request", {{"path", "/admin/metrics"}, {"client", r.sender}});
    out.status = 200;
    out.content_type = "text/plain; version=0.0.4; charset=utf-8";
    out.body = render_metrics(sources.metrics());
    return out;
  }
  AdminAnswer a = admin_attestation(*sources.config, r.target);
  log::info("admin.request",
            {{"path", path}, {"client", r.sender}, {"status", std::to_string(a.status)}});
  out.status = a.status;
  out.content_type = "application/json";
  out.body = std::move(a.json);
  return out;
}

}  // namespace gw::admin
