// Helpers shared by the store's benchmarks and tests (header-only; no test
// framework, so benchmarks can use it too).
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "gateway/store/message_store.h"

namespace gw::store::bench {

// Creates a fresh private directory under `base` named `prefix` plus six
// random characters (mkdtemp replaces the trailing "XXXXXX" of its template).
// Returns an empty path on failure.
inline std::filesystem::path make_temp_dir(const std::filesystem::path& base,
                                           const std::string& prefix) {
  std::string name_template = (base / prefix).string() + "XXXXXX";
  if (mkdtemp(name_template.data()) == nullptr) return {};
  return name_template;
}

// A synthetic accepted message of `bytes` bytes from sender thread `thread`.
inline InboundMessage bench_message(int thread, uint64_t seq, size_t bytes) {
  InboundMessage m;
  m.channel = "adt";
  m.sender = "BENCH|T" + std::to_string(thread);
  m.control_id = std::to_string(seq);
  m.message_type = "ADT^A01";
  m.peer = "127.0.0.1:5000";
  m.raw = "MSH|^~\\&|BENCH|T|||20240101||ADT^A01|" + m.control_id + "|P|2.5\r";
  m.raw.resize(bytes, 'x');
  m.ack = "MSH|^~\\&|GW|||||ACK|1|P|2.5\rMSA|AA|" + m.control_id + "\r";
  m.received_at_ms = 1700000000000;
  return m;
}

}  // namespace gw::store::bench
