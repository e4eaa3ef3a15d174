// [channel.NAME.sender.RULE]: what parses, into what, and every refusal with
// its file, line and key.
#include <gtest/gtest.h>

#include <string>

#include "gateway/config/config.h"

namespace gw::config {
namespace {

constexpr char kFpColons[] =
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"
    "67:89";
constexpr char kFpLower[] = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
// A channel asking for client certificates (lines 1-5).
constexpr char kTlsChannel[] =
    "[channel.lab]\ntls = true\ntls_cert_file = \"/etc/gw/mllp.pem\"\n"
    "tls_key_file = \"/etc/gw/mllp.key\"\ntls_client_ca_file = \"/etc/gw/ca.pem\"\n";

gw::Result<GatewayConfig> parse(const std::string& text) { return parse_config(text, "test.toml"); }

std::string error_of(const std::string& text) {
  auto r = parse(text);
  EXPECT_FALSE(r.ok()) << "parsed:\n" << text;
  return r.ok() ? "" : r.status().message();
}

TEST(ConfigSendersTest, ParsesRulesIntoTheirChannels) {
  auto cfg = parse(std::string(kTlsChannel) + R"([channel.adt]
listen = "0.0.0.0:2576"
[channel.adt.sender.epic]
applications = ["EPIC"]
facilities = ["GENHOSP", "EASTWING"]
addresses = ["10.20.0.0/24", "10.20.1.7", "2001:db8::/32"]
[channel.lab.sender.lis]
cert_sha256 = [")" +
                   std::string(kFpColons) + R"("]
cert_subjects = ["CN=lis,O=General Hospital"]
[channel.adt.sender.any-from-engine]
addresses = ["10.30.0.9"]
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  ASSERT_EQ(cfg->channels.size(), 2u);
  const ChannelConfig& lab = cfg->channels[0];
  const ChannelConfig& adt = cfg->channels[1];
  ASSERT_EQ(adt.senders.size(), 2u);
  const SenderRuleConfig& epic = adt.senders[0];
  EXPECT_EQ(epic.name, "epic");
  EXPECT_EQ(epic.line, 8);
  EXPECT_EQ(epic.applications, (std::vector<std::string>{"EPIC"}));
  EXPECT_EQ(epic.facilities, (std::vector<std::string>{"GENHOSP", "EASTWING"}));
  ASSERT_EQ(epic.addresses.size(), 3u);
  EXPECT_EQ(epic.address_texts[1], "10.20.1.7");
  EXPECT_TRUE(epic.addresses[0].contains(*parse_ip("10.20.0.77")));
  EXPECT_TRUE(epic.addresses[2].contains(*parse_ip("2001:db8::5")));
  EXPECT_EQ(adt.senders[1].name, "any-from-engine");
  EXPECT_TRUE(adt.senders[1].applications.empty());
  ASSERT_EQ(lab.senders.size(), 1u);
  EXPECT_EQ(lab.senders[0].cert_sha256, (std::vector<std::string>{kFpLower}));
  EXPECT_EQ(lab.senders[0].cert_subjects, (std::vector<std::string>{"CN=lis,O=General Hospital"}));
}

TEST(ConfigSendersTest, NoRulesMeansNoSenders) {
  auto cfg = parse("[channel.adt]\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_TRUE(cfg->channels[0].senders.empty());
}

TEST(ConfigSendersTest, ARuleNeedsAConnectionCriterion) {
  EXPECT_EQ(error_of("[channel.adt]\n[channel.adt.sender.epic]\napplications = [\"EPIC\"]\n"),
            "test.toml:2: channel.adt.sender.epic: names no connection: set addresses (client "
            "addresses, CIDR) and/or cert_sha256 or cert_subjects (TLS client certificates); a "
            "rule that any connection meets would let anyone send as these senders");
}

TEST(ConfigSendersTest, BadValuesNameFileLineAndKey) {
  const std::string head = "[channel.adt]\n[channel.adt.sender.epic]\n";
  EXPECT_EQ(error_of(head + "addresses = [\"10.20.0.0/24\", \"10.20.0.5/24\"]\n"),
            "test.toml:3: channel.adt.sender.epic.addresses: item 2: \"10.20.0.5/24\" has bits "
            "set after the first 24: write the block's first address, or the one address "
            "without a prefix");
  EXPECT_NE(error_of(head + "addresses = [\"gw.example\"]\n")
                .find("test.toml:3: channel.adt.sender.epic.addresses: item 1: \"gw.example\" is "
                      "not an IP address"),
            std::string::npos);
  EXPECT_EQ(error_of(head + "addresses = []\n"),
            "test.toml:3: channel.adt.sender.epic.addresses: must name at least one (leave the "
            "key out to allow any)");
  EXPECT_EQ(error_of(head + "addresses = \"10.0.0.1\"\n"),
            "test.toml:3: channel.adt.sender.epic.addresses: expected an array of strings, got a "
            "string");
  EXPECT_EQ(error_of(head + "addresses = [\"10.0.0.1\", \"10.0.0.1\"]\n"),
            "test.toml:3: channel.adt.sender.epic.addresses: item 2 repeats item 1");
  EXPECT_EQ(error_of(head + "addresses = [\"10.0.0.1\"]\napplications = [\"\"]\n"),
            "test.toml:4: channel.adt.sender.epic.applications: item 1: must not be empty");
  EXPECT_EQ(error_of(head + "addresses = [\"10.0.0.1\"]\nfacilities = [\"A\\tB\"]\n"),
            "test.toml:4: channel.adt.sender.epic.facilities: item 1: must not contain control "
            "characters");
  EXPECT_NE(error_of(head + "addresses = [\"10.0.0.1\"]\nhosts = [\"x\"]\n")
                .find("test.toml:4: unknown key 'channel.adt.sender.epic.hosts'"),
            std::string::npos);
  EXPECT_NE(error_of(head + "addresses = [\"10.0.0.1\"]\naddresses = [\"10.0.0.2\"]\n")
                .find("test.toml:4: key 'channel.adt.sender.epic.addresses' set twice"),
            std::string::npos);
}

TEST(ConfigSendersTest, CertificateCriteriaNeedAChannelThatAsksForCertificates) {
  EXPECT_EQ(error_of("[channel.adt]\n[channel.adt.sender.lis]\ncert_sha256 = [\"" +
                     std::string(kFpLower) + "\"]\n"),
            "test.toml:3: channel.adt.sender.lis.cert_sha256: needs channel.adt.tls = true with "
            "tls_client_ca_file or tls_client_cert_sha256 (otherwise no client presents a "
            "certificate and the rule never matches)");
  EXPECT_NE(
      error_of(std::string(kTlsChannel) + "[channel.lab.sender.lis]\ncert_sha256 = [\"abc\"]\n")
          .find("test.toml:7: channel.lab.sender.lis.cert_sha256: item 1 is not a SHA-256 "
                "fingerprint"),
      std::string::npos);
  EXPECT_NE(error_of(std::string(kTlsChannel) +
                     "[channel.lab.sender.lis]\ncert_subjects = [\"subject=CN=lis\"]\n")
                .find("test.toml:7: channel.lab.sender.lis.cert_subjects: item 1: write the "
                      "subject without"),
            std::string::npos);
}

TEST(ConfigSendersTest, TablesAndNames) {
  EXPECT_EQ(error_of("[channel.adt.sender.epic]\naddresses = [\"10.0.0.1\"]\n"),
            "test.toml:1: [channel.adt.sender.epic] must come after its channel's table "
            "[channel.adt]");
  EXPECT_NE(error_of("[channel.adt]\n[channel.adt.sender]\n").find("test.toml:2: unknown table"),
            std::string::npos);
  EXPECT_EQ(error_of("[channel.adt]\n[channel.adt.sender.a.b]\n"),
            "test.toml:2: [channel.adt.sender.a.b]: a sender rule's name may only use letters, "
            "digits, '_' and '-'");
  EXPECT_NE(error_of("[channel.adt]\n[channel.adt.sender.epic]\naddresses = [\"10.0.0.1\"]\n"
                     "[channel.adt.sender.epic]\n")
                .find("test.toml:4: table [channel.adt.sender.epic] defined twice"),
            std::string::npos);
}

}  // namespace
}  // namespace gw::config
