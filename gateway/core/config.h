// gatewayd configuration: a strict subset of TOML, so that integration
// engineers can edit it with any TOML-aware editor, and so that every mistake
// is reported with the file, line and key rather than silently ignored.
//
//   [gateway]            state_dir, log_level, shutdown_grace_ms, io_threads
//   [https]              listen (served from the FHIR REST issue on)
//   [store]              max_batch
//   [channel.NAME]       one table per inbound channel (protocol = "mllp")
//
// Supported syntax: comments (#), [table] and [table.sub] headers, key =
// value with values that are "basic strings", integers, true/false, and flat
// arrays of strings. Anything else is an error naming the line.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gw::config {

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string to_string() const;
};

struct ChannelConfig {
  std::string name;
  std::string protocol = "mllp";
  HostPort listen{"0.0.0.0", 2575};
  size_t max_frame_bytes = 1 << 20;
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  size_t max_connections = 4096;
  size_t max_in_flight_per_connection = 64;
  size_t max_segments = 10000;
  size_t max_fields_per_segment = 1000;
  // MSH-11 values accepted; others are rejected with AR/CR (HL7 table 0357 code 202).
  std::vector<std::string> processing_ids{"P", "T", "D"};
  // Charset assumed when MSH-18 is empty: "auto" (UTF-8, else ISO 8859/1),
  // "ASCII", "8859/1" or "UNICODE UTF-8".
  std::string default_charset = "auto";
};

struct GatewayConfig {
  std::string source;  // file path, for messages
  std::string state_dir = "/var/lib/gatewayd";
  std::string log_level = "info";  // debug | info | warn | error
  std::chrono::milliseconds shutdown_grace{10000};
  int io_threads = 1;
  HostPort https_listen{"0.0.0.0", 8443};
  size_t store_max_batch = 1024;
  uint64_t store_max_queued_bytes = uint64_t{256} << 20;
  std::vector<ChannelConfig> channels;
};

// Parses and validates. On error returns nullopt and sets *error to one line
// of the form "FILE:LINE: message naming the key".
std::optional<GatewayConfig> parse_config(const std::string& text, const std::string& source_name,
                                          std::string* error);
std::optional<GatewayConfig> load_config(const std::string& path, std::string* error);

}  // namespace gw::config
