// The pipeline options a configured channel implies, shared by gatewayd and
// gatewayctl convert so that both parse and map a message the same way.
#pragma once

#include "adapters/mllp/server.h"
#include "gateway/config/config.h"
#include "gateway/pipeline/mllp_ingest.h"

namespace gw::pipeline {

IngestOptions ingest_options(const config::ChannelConfig& channel);

// The MLLP listener a channel configures (limits, timers, TLS), with
// `io_threads` event loops. The caller sets clock and on_tls_failure.
mllp::ServerOptions server_options(const config::ChannelConfig& channel, int io_threads);

}  // namespace gw::pipeline
