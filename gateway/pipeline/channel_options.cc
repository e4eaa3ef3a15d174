#include "gateway/pipeline/channel_options.h"

namespace gw::pipeline {

IngestOptions ingest_options(const config::ChannelConfig& c) {
  IngestOptions io;
  io.channel = c.name;
  io.parse.limits.max_message_bytes = c.max_frame_bytes;
  io.parse.limits.max_segments = c.max_segments;
  io.parse.limits.max_fields_per_segment = c.max_fields_per_segment;
  io.parse.default_charset = charset_option(c.default_charset);
  io.processing_ids = c.processing_ids;
  io.max_frame_bytes = c.max_frame_bytes;
  io.mapping = c.mapping;
  io.store_unmapped_types = c.unmapped_types == "store";
  io.senders = std::make_shared<const SenderRules>(c.senders);
  return io;
}

mllp::ServerOptions server_options(const config::ChannelConfig& c, int io_threads) {
  mllp::ServerOptions so;
  so.name = c.name;
  so.host = c.listen.host;
  so.port = c.listen.port;
  so.max_frame_bytes = c.max_frame_bytes;
  so.idle_timeout = c.idle_timeout;
  so.frame_timeout = c.frame_timeout;
  so.max_connections = c.max_connections;
  so.max_in_flight_per_connection = c.max_in_flight_per_connection;
  so.max_connections_per_address = c.max_connections_per_address;
  so.io_threads = io_threads;
  if (c.tls) {
    mllp::TlsServerOptions tls;
    tls.cert_file = c.tls_cert_file;
    tls.key_file = c.tls_key_file;
    tls.client_ca_file = c.tls_client_ca_file;
    tls.client_cert_sha256 = c.tls_client_cert_sha256;
    so.tls = std::move(tls);
  }
  return so;
}

}  // namespace gw::pipeline
