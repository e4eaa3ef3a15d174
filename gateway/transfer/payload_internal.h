// The payload document inside the box, for payload.cc and its fuzz target
// (which cannot forge a box, so it reaches the document parser directly).
#pragma once

#include <string_view>

#include "gateway/transfer/payload.h"

namespace gw::transfer {

Result<Payload> decode_payload(std::string_view text, const PayloadLimits& limits);

}  // namespace gw::transfer
