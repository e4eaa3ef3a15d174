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
  return io;
}

}  // namespace gw::pipeline
