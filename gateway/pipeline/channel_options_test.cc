// What a configured channel hands to its MLLP listener: limits, timers and
// TLS, from the parsed configuration as gatewayd reads it.
#include "gateway/pipeline/channel_options.h"

#include <gtest/gtest.h>

namespace gw::pipeline {
namespace {

TEST(ChannelOptionsTest, ServerOptionsCarryLimitsTimersAndTls) {
  auto cfg = config::parse_config(R"([channel.plain]
listen = "127.0.0.1:2575"
max_frame_bytes = 2048
idle_timeout_s = 30
frame_timeout_s = 7
max_connections = 9
max_in_flight_per_connection = 3
max_connections_per_address = 5
[channel.hie]
listen = "[::1]:2576"
tls = true
tls_cert_file = "/etc/gatewayd/tls/mllp.pem"
tls_key_file = "/etc/gatewayd/tls/mllp.key"
tls_client_ca_file = "/etc/gatewayd/tls/ca.pem"
tls_client_cert_sha256 = ["abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"]
)",
                                  "t.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  const mllp::ServerOptions plain = server_options(cfg->channels[0], 3);
  EXPECT_EQ(plain.name, "plain");
  EXPECT_EQ(plain.host, "127.0.0.1");
  EXPECT_EQ(plain.port, 2575);
  EXPECT_EQ(plain.max_frame_bytes, 2048u);
  EXPECT_EQ(plain.idle_timeout, std::chrono::seconds(30));
  EXPECT_EQ(plain.frame_timeout, std::chrono::seconds(7));
  EXPECT_EQ(plain.max_connections, 9u);
  EXPECT_EQ(plain.max_in_flight_per_connection, 3u);
  EXPECT_EQ(plain.max_connections_per_address, 5u);
  EXPECT_EQ(plain.io_threads, 3);
  EXPECT_FALSE(plain.tls.has_value());

  const mllp::ServerOptions hie = server_options(cfg->channels[1], 1);
  EXPECT_EQ(hie.host, "::1");
  ASSERT_TRUE(hie.tls.has_value());
  EXPECT_EQ(hie.tls->cert_file, "/etc/gatewayd/tls/mllp.pem");
  EXPECT_EQ(hie.tls->key_file, "/etc/gatewayd/tls/mllp.key");
  EXPECT_EQ(hie.tls->client_ca_file, "/etc/gatewayd/tls/ca.pem");
  ASSERT_EQ(hie.tls->client_cert_sha256.size(), 1u);
  // Unreadable files are the server's to report (Server::create, gatewayd --check).
  gw::Status check = mllp::check_tls_options(*hie.tls);
  EXPECT_FALSE(check.ok());
  EXPECT_NE(check.message().find("/etc/gatewayd/tls/mllp.pem"), std::string::npos)
      << check.message();
}

}  // namespace
}  // namespace gw::pipeline
