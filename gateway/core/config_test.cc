#include "gateway/core/config.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace gw::config {
namespace {

std::optional<GatewayConfig> parse(const std::string& text, std::string* error) {
  return parse_config(text, "test.toml", error);
}

TEST(ConfigTest, ExampleFileInImageParsesWithDocumentedDefaults) {
  auto path = std::filesystem::path(__FILE__).parent_path() / "../../image/gatewayd.toml";
  std::string error;
  auto cfg = load_config(path.string(), &error);
  ASSERT_TRUE(cfg) << error;
  EXPECT_EQ(cfg->state_dir, "/var/lib/gatewayd");
  EXPECT_EQ(cfg->https_listen.port, 8443);
  ASSERT_EQ(cfg->channels.size(), 1u);
  EXPECT_EQ(cfg->channels[0].name, "adt");
  EXPECT_EQ(cfg->channels[0].listen.port, 2575);
  // The example shows the defaults: parsing it must equal parsing a minimal file.
  auto minimal = parse("[channel.adt]\n", &error);
  ASSERT_TRUE(minimal) << error;
  const auto& a = cfg->channels[0];
  const auto& b = minimal->channels[0];
  EXPECT_EQ(a.listen.to_string(), b.listen.to_string());
  EXPECT_EQ(a.max_frame_bytes, b.max_frame_bytes);
  EXPECT_EQ(a.idle_timeout, b.idle_timeout);
  EXPECT_EQ(a.max_connections, b.max_connections);
  EXPECT_EQ(a.max_in_flight_per_connection, b.max_in_flight_per_connection);
  EXPECT_EQ(a.max_segments, b.max_segments);
  EXPECT_EQ(a.max_fields_per_segment, b.max_fields_per_segment);
  EXPECT_EQ(a.processing_ids, b.processing_ids);
  EXPECT_EQ(a.default_charset, b.default_charset);
  EXPECT_EQ(cfg->log_level, minimal->log_level);
  EXPECT_EQ(cfg->shutdown_grace, minimal->shutdown_grace);
  EXPECT_EQ(cfg->io_threads, minimal->io_threads);
  EXPECT_EQ(cfg->store_max_batch, minimal->store_max_batch);
  EXPECT_EQ(cfg->store_max_queued_bytes, minimal->store_max_queued_bytes);
  EXPECT_EQ(cfg->https_listen.to_string(), minimal->https_listen.to_string());
}

TEST(ConfigTest, ParsesSeveralChannelsAndValues) {
  std::string error;
  auto cfg = parse(R"(# comment
[gateway]
state_dir = "/tmp/x"   # trailing comment
log_level = "debug"
io_threads = 2

[channel.adt]
listen = "127.0.0.1:2575"
idle_timeout_s = 30
processing_ids = ["P"]

[channel.lab]
listen = "[::1]:2576"
max_frame_bytes = 2_000_000
default_charset = "8859/1"
)",
                   &error);
  ASSERT_TRUE(cfg) << error;
  EXPECT_EQ(cfg->state_dir, "/tmp/x");
  EXPECT_EQ(cfg->io_threads, 2);
  ASSERT_EQ(cfg->channels.size(), 2u);
  EXPECT_EQ(cfg->channels[0].idle_timeout, std::chrono::seconds(30));
  EXPECT_EQ(cfg->channels[0].processing_ids, std::vector<std::string>{"P"});
  EXPECT_EQ(cfg->channels[1].listen.host, "::1");
  EXPECT_EQ(cfg->channels[1].listen.port, 2576);
  EXPECT_EQ(cfg->channels[1].max_frame_bytes, 2000000u);
  EXPECT_EQ(cfg->channels[1].default_charset, "8859/1");
}

struct BadCase {
  const char* text;
  const char* expected;  // substring of the error
};

class ConfigErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrorTest, NamesFileLineAndKey) {
  std::string error;
  auto cfg = parse(GetParam().text, &error);
  EXPECT_FALSE(cfg);
  EXPECT_NE(error.find(GetParam().expected), std::string::npos) << error;
  EXPECT_EQ(error.rfind("test.toml", 0), 0u) << error;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigErrorTest,
    ::testing::Values(
        BadCase{"[channel.a]\nlistne = \"0.0.0.0:1\"\n",
                "test.toml:2: unknown key 'channel.a.listne'"},
        BadCase{"[gatway]\n[channel.a]\n", "test.toml:1: unknown table [gatway]"},
        BadCase{"[channel.a]\nlisten = \"nope\"\n",
                "test.toml:2: channel.a.listen: expected \"HOST:PORT\""},
        BadCase{"[channel.a]\nlisten = \"1.2.3.4:70000\"\n", "test.toml:2: channel.a.listen"},
        BadCase{"[channel.a]\nmax_frame_bytes = \"big\"\n",
                "test.toml:2: channel.a.max_frame_bytes: expected an integer"},
        BadCase{"[channel.a]\nmax_frame_bytes = 10\n",
                "test.toml:2: channel.a.max_frame_bytes: must be between"},
        BadCase{"[channel.a]\nmax_frame_bytes = 10x\n",
                "test.toml:2: channel.a.max_frame_bytes: value is not"},
        BadCase{"[gateway]\nlog_level = \"loud\"\n[channel.a]\n",
                "test.toml:2: gateway.log_level: must be one of"},
        BadCase{"[gateway]\nstate_dir = /var/lib\n[channel.a]\n", "test.toml:2: gateway.state_dir"},
        BadCase{"[gateway]\nstate_dir = \"/a\nstuff\"\n",
                "test.toml:2: gateway.state_dir: unterminated string"},
        BadCase{"[gateway]\nio_threads = 1 2\n",
                "test.toml:2: gateway.io_threads: unexpected text"},
        BadCase{"[gateway]\nio_threads = 1\nio_threads = 2\n",
                "test.toml:3: key 'gateway.io_threads' set twice"},
        BadCase{"state_dir = \"/x\"\n", "test.toml:1: key 'state_dir' must be inside a table"},
        BadCase{"[channel.a]\n[channel.a]\n", "test.toml:2: table [channel.a] defined twice"},
        BadCase{"[channel]\n", "test.toml:1: a channel needs a name"},
        BadCase{"[[channel]]\n", "test.toml:1: arrays of tables"},
        BadCase{"[channel.a]\nprocessing_ids = [\"X\"]\n",
                "test.toml:2: channel.a.processing_ids: \"X\""},
        BadCase{"[channel.a]\nprotocol = \"http\"\n",
                "test.toml:2: channel.a.protocol: must be one of"},
        BadCase{"[channel.a]\njust text\n", "test.toml:2: expected 'key = value'"},
        BadCase{"[channel.a]\n[channel.b]\n",
                "test.toml:2: channel.b.listen: address 0.0.0.0:2575 is already used by channel.a"},
        BadCase{"[gateway]\n", "no channel configured"}));

TEST(ConfigTest, MissingFileIsReported) {
  std::string error;
  EXPECT_FALSE(load_config("/nonexistent/gatewayd.toml", &error));
  EXPECT_NE(error.find("/nonexistent/gatewayd.toml: cannot open"), std::string::npos);
}

}  // namespace
}  // namespace gw::config
