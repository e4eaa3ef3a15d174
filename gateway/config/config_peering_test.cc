// [peering] (the member-to-member API's listener) and [peers] (where each
// member's listener is): values, defaults and errors naming file, line, key.
#include <gtest/gtest.h>

#include "gateway/config/config.h"

namespace gw::config {
namespace {

const char* kAccountA = "0x00112233445566778899aabbccddeeff00112233";

gw::Result<GatewayConfig> parse(const std::string& text) { return parse_config(text, "p.toml"); }

std::string error_of(const gw::Result<GatewayConfig>& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(ConfigPeeringTest, DefaultsAreOffOn8444WithTheHttpsPair) {
  auto cfg = parse(R"([https]
cert_file = "/etc/gatewayd/tls/cert.pem"
key_file = "/etc/gatewayd/tls/key.pem"
[channel.adt]
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_FALSE(cfg->peering.enabled);
  EXPECT_EQ(cfg->peering.listen.to_string(), "0.0.0.0:8444");
  EXPECT_EQ(cfg->peering.max_body_bytes, size_t{64} << 20);
  EXPECT_EQ(cfg->peering.threads, 8);
  EXPECT_EQ(cfg->peering.cert_file, "/etc/gatewayd/tls/cert.pem");
  EXPECT_EQ(cfg->peering.key_file, "/etc/gatewayd/tls/key.pem");
  EXPECT_TRUE(cfg->peers.empty());
}

TEST(ConfigPeeringTest, ParsesPeeringAndPeers) {
  auto cfg = parse(R"([peering]
enabled = true
listen = "10.0.0.5:9444"
max_body_bytes = 1048576
threads = 16
cert_file = "/etc/gatewayd/peering/cert.pem"
key_file = "/etc/gatewayd/peering/key.pem"
[peers]
"0x00112233445566778899AABBCCDDEEFF00112233" = "https://gw.hospital-b.example:8444"
"0xffffffffffffffffffffffffffffffffffffffff" = "https://10.1.2.3"
"0x1111111111111111111111111111111111111111" = "https://[fd00::1]:9444"
[channel.adt]
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_TRUE(cfg->peering.enabled);
  EXPECT_EQ(cfg->peering.listen.to_string(), "10.0.0.5:9444");
  EXPECT_EQ(cfg->peering.max_body_bytes, 1048576u);
  EXPECT_EQ(cfg->peering.threads, 16);
  EXPECT_EQ(cfg->peering.cert_file, "/etc/gatewayd/peering/cert.pem");
  ASSERT_EQ(cfg->peers.size(), 3u);
  // Accounts are kept lower-case, whatever the file's case.
  EXPECT_EQ(cfg->peers.at(kAccountA), "https://gw.hospital-b.example:8444");
  EXPECT_EQ(cfg->peers.at("0xffffffffffffffffffffffffffffffffffffffff"), "https://10.1.2.3");
  EXPECT_EQ(cfg->peers.at("0x1111111111111111111111111111111111111111"), "https://[fd00::1]:9444");
}

struct BadCase {
  std::string text;
  std::string expected;
};

class ConfigPeeringErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigPeeringErrorTest, NamesFileLineAndKey) {
  const std::string error = error_of(parse(GetParam().text + "[channel.adt]\n"));
  EXPECT_NE(error.find(GetParam().expected), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigPeeringErrorTest,
    ::testing::Values(
        BadCase{"[peering]\nenabled = true\n",
                "p.toml:1: peering.enabled: the member-to-member API needs a certificate"},
        BadCase{"[peering]\ncert_file = \"/c.pem\"\n",
                "p.toml:1: peering.key_file: peering.cert_file and peering.key_file go together"},
        BadCase{"[peering]\nthreads = 0\n", "p.toml:2: peering.threads: must be between 1"},
        BadCase{"[peering]\nmax_body_bytes = 10\n", "p.toml:2: peering.max_body_bytes"},
        BadCase{"[peering]\nlisten = \"nowhere\"\n", "p.toml:2: peering.listen: expected"},
        BadCase{"[peering]\nport = 1\n", "p.toml:2: unknown key 'peering.port'"},
        BadCase{"[https]\nenabled = true\ncert_file = \"/c\"\nkey_file = \"/k\"\n"
                "[peering]\nenabled = true\nlisten = \"0.0.0.0:8443\"\n",
                "p.toml:5: peering.listen: address 0.0.0.0:8443 overlaps https.listen"},
        BadCase{"[peers]\n\"0x1234\" = \"https://b.example:8444\"\n",
                "p.toml:2: peers.\"0x1234\": the key must be a member account"},
        BadCase{"[peers]\n\"0x00112233445566778899aabbccddeeff0011223g\" = \"https://b\"\n",
                "p.toml:2: peers."},
        BadCase{"[peers]\n\"0x00112233445566778899aabbccddeeff00112233\" = \"http://b:8444\"\n",
                "p.toml:2: peers.\"0x00112233445566778899aabbccddeeff00112233\": expected "
                "\"https://HOST[:PORT]\""},
        BadCase{"[peers]\n\"0x00112233445566778899aabbccddeeff00112233\" = \"https://b/x\"\n",
                "p.toml:2: peers."},
        BadCase{"[peers]\n\"0x00112233445566778899aabbccddeeff00112233\" = \"https://u@b\"\n",
                "p.toml:2: peers."},
        BadCase{"[peers]\n\"0x00112233445566778899aabbccddeeff00112233\" = \"https://b:99999\"\n",
                "p.toml:2: peers."},
        BadCase{"[peers]\n\"0x00112233445566778899aabbccddeeff00112233\" = 8444\n",
                "p.toml:2: peers.\"0x00112233445566778899aabbccddeeff00112233\": expected a "
                "string"},
        BadCase{"[peers]\n\"0x00112233445566778899aabbccddeeff00112233\" = \"https://a\"\n"
                "\"0x00112233445566778899AABBCCDDEEFF00112233\" = \"https://b\"\n",
                "p.toml:3: peers.\"0x00112233445566778899AABBCCDDEEFF00112233\": this account "
                "is already mapped"}));

TEST(ConfigPeeringTest, ReceivedTransfersForwardWithAChannelsFhirKeys) {
  auto cfg = parse(R"([peering]
forward_fhir = "https://ehr.example/fhir"
forward_fhir_ca_file = "/etc/gatewayd/fhir-ca.pem"
forward_fhir_bearer_token_file = "/etc/gatewayd/fhir-token"
forward_fhir_requests = "by_id"
forward_timeout_ms = 5000
forward_retry_initial_ms = 200
forward_retry_max_ms = 60000
[channel.adt]
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  const PeeringConfig& p = cfg->peering;
  EXPECT_EQ(p.forward_fhir, "https://ehr.example/fhir");
  EXPECT_EQ(p.forward_fhir_ca_file, "/etc/gatewayd/fhir-ca.pem");
  EXPECT_EQ(p.forward_fhir_bearer_token_file, "/etc/gatewayd/fhir-token");
  EXPECT_EQ(p.forward_fhir_requests, "by_id");
  EXPECT_EQ(p.forward_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(p.forward_retry_initial, std::chrono::milliseconds(200));
  EXPECT_EQ(p.forward_retry_max, std::chrono::milliseconds(60000));
  // Off by default, and no channel forwards because [peering] does.
  auto plain = parse("[channel.adt]\n");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->peering.forward_fhir, "");
  EXPECT_FALSE(cfg->channels.front().forwards());
}

gw::Result<GatewayConfig> parse_with_channel(const std::string& text) {
  return parse(text + "[channel.adt]\n");
}

TEST(ConfigPeeringTest, ForwardingErrorsNameThePeeringKeyAndLine) {
  EXPECT_EQ(error_of(parse_with_channel("[peering]\nforward_fhir = \"http://ehr.example\"\n")),
            "p.toml:2: peering.forward_fhir: expected \"https://HOST[:PORT][/PATH]\" (patient "
            "data is forwarded over TLS only)");
  EXPECT_EQ(error_of(parse_with_channel(
                "[peering]\nenabled = false\nforward_fhir_ca_file = \"/x.pem\"\n")),
            "p.toml:3: peering.forward_fhir_ca_file: needs peering.forward_fhir");
  EXPECT_EQ(error_of(parse_with_channel("[peering]\nforward_retry_max_ms = 100\n")),
            "p.toml:2: peering.forward_retry_max_ms: needs peering.forward_fhir");
  EXPECT_EQ(error_of(parse_with_channel("[peering]\nforward_fhir = \"https://e.example\"\n"
                                        "forward_fhir_client_cert_file = \"/c.pem\"\n")),
            "p.toml:3: peering.forward_fhir_client_cert_file: forward_fhir_client_cert_file and "
            "forward_fhir_client_key_file go together");
  EXPECT_EQ(error_of(parse_with_channel(
                "[peering]\nforward_fhir = \"https://e.example\"\n"
                "forward_retry_initial_ms = 5000\nforward_retry_max_ms = 1000\n")),
            "p.toml:3: peering.forward_retry_initial_ms: must not exceed forward_retry_max_ms");
  EXPECT_EQ(error_of(parse("[peering]\nforward_fhir = \"https://e.example\"\n[channel.peer]\n")),
            "p.toml:3: channel.peer: the name of received transfers in the store; with "
            "peering.forward_fhir, give this channel another name");
}

}  // namespace
}  // namespace gw::config
