// The admin API's handler (/admin/metrics, /admin/attestation), served by the
// HTTPS server only to clients with the admin role ([client.NAME] roles; the
// server checks that before calling). Answers GET only; logs each request by
// path and client, never query values.
#pragma once

#include <functional>

#include "gateway/admin/metrics.h"
#include "gateway/config/config.h"
#include "gateway/rest/rest_server.h"

namespace gw::admin {

struct AdminSources {
  // The configuration attestation reads its key store settings from; must
  // outlive the handler.
  const config::GatewayConfig* config = nullptr;
  // A fresh snapshot of every counter; called on an HTTPS worker thread, so
  // everything it reads must be safe to read while the gateway runs.
  std::function<MetricsSnapshot()> metrics;
};

rest::RestResponse handle_admin_request(const AdminSources& sources, const rest::RestRequest& r);

}  // namespace gw::admin
