// File descriptor limit helper. A process holding N MLLP connections needs N
// descriptors plus its own (listener, epoll, eventfds, store, logs); the
// default soft limit (often 1024) is too low for the 4096 connections the
// server admits by default.
#pragma once

#include <cstddef>

#include "gateway/base/status.h"

namespace gw::mllp {

// Raises the RLIMIT_NOFILE soft limit to at least `wanted`, never above the
// hard limit and never lowering it. Ok if the soft limit is now >= wanted.
// Otherwise the error says why (e.g. the hard limit is lower:
// kResourceExhausted); the soft limit has still been raised as far as the
// hard limit allows.
gw::Status raise_fd_limit(size_t wanted);

}  // namespace gw::mllp
