// The pipeline options a configured channel implies, shared by gatewayd and
// gatewayctl convert so that both parse and map a message the same way.
#pragma once

#include "gateway/core/config.h"
#include "gateway/core/mllp_ingest.h"

namespace gw::core {

IngestOptions ingest_options(const config::ChannelConfig& channel);

}  // namespace gw::core
