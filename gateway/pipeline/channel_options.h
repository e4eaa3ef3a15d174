// The pipeline options a configured channel implies, shared by gatewayd and
// gatewayctl convert so that both parse and map a message the same way.
#pragma once

#include "gateway/config/config.h"
#include "gateway/pipeline/mllp_ingest.h"

namespace gw::pipeline {

IngestOptions ingest_options(const config::ChannelConfig& channel);

}  // namespace gw::pipeline
