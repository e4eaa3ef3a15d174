// [client.NAME], [audit] and the [https] access keys: what parses, into what,
// and every refusal with its file, line and key.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "gateway/config/config.h"

namespace gw::config {
namespace {

constexpr char kCa[] = "[https]\nclient_ca_file = \"/etc/gw/ca.pem\"\n";  // lines 1-2
constexpr char kChannel[] = "[channel.adt]\n";
// Fingerprints of one certificate in two spellings, and another one.
constexpr char kFpColons[] =
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"
    "67:89";
constexpr char kFpLower[] = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
constexpr char kFpOther[] = "0000000000000000000000000000000000000000000000000000000000000001";

gw::Result<GatewayConfig> parse(const std::string& text) { return parse_config(text, "test.toml"); }

std::string error_of(const std::string& text) {
  auto r = parse(text);
  EXPECT_FALSE(r.ok()) << "parsed:\n" << text;
  return r.ok() ? "" : r.status().message();
}

TEST(ConfigClientsTest, ParsesClientsInFileOrder) {
  auto cfg = parse(std::string(kCa) + kChannel + R"(
[client.ehr]
cert_subject = "CN=ehr-interface,O=General Hospital"
scopes = ["system/Patient.rs", "system/Observation.cruds"]

[client.lab-2.v1_x]
cert_sha256 = [")" +
                   kFpColons + R"(", ")" + kFpOther + R"("]
cert_subject = "CN=lab,O=General Hospital"
roles = ["auditor"]

[client.registry]
jwks_file = "/etc/gatewayd/clients/registry.jwks.json"
scopes = ["system/*.rs"]
roles = ["admin"]
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  ASSERT_EQ(cfg->clients.size(), 3u);
  const ClientConfig& ehr = cfg->clients[0];
  EXPECT_EQ(ehr.name, "ehr");
  EXPECT_EQ(ehr.line, 5);
  EXPECT_EQ(ehr.cert_subject, "CN=ehr-interface,O=General Hospital");
  EXPECT_TRUE(ehr.cert_sha256.empty());
  EXPECT_EQ(ehr.jwks_file, "");
  EXPECT_EQ(ehr.scopes,
            (std::vector<std::string>{"system/Patient.rs", "system/Observation.cruds"}));
  EXPECT_TRUE(ehr.roles.empty());
  const ClientConfig& lab = cfg->clients[1];
  EXPECT_EQ(lab.name, "lab-2.v1_x");
  EXPECT_EQ(lab.line, 9);
  // Normalized: no colons, lower case.
  EXPECT_EQ(lab.cert_sha256, (std::vector<std::string>{kFpLower, kFpOther}));
  EXPECT_EQ(lab.roles, std::vector<std::string>{"auditor"});
  EXPECT_TRUE(lab.scopes.empty());
  const ClientConfig& registry = cfg->clients[2];
  EXPECT_EQ(registry.name, "registry");
  EXPECT_EQ(registry.jwks_file, "/etc/gatewayd/clients/registry.jwks.json");
  EXPECT_EQ(registry.roles, std::vector<std::string>{"admin"});
}

// The fuzz corpus's example of a deployment with clients is a valid one
// (a corpus of refusals only would leave the accepting paths unfuzzed).
TEST(ConfigClientsTest, CorpusExampleWithClientsParses) {
  const std::string dir = std::string(GW_SOURCE_DIR) + "/gateway/config/config_fuzz_corpus/";
  auto cfg = load_config(dir + "clients.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  ASSERT_EQ(cfg->clients.size(), 4u);
  EXPECT_EQ(cfg->clients[1].name, "lab.v2");
  EXPECT_EQ(cfg->clients[3].roles, (std::vector<std::string>{"admin", "auditor"}));
  auto ambiguous = load_config(dir + "clients_ambiguous.toml");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.status().message(),
            dir +
                "clients_ambiguous.toml:9: client.b.cert_subject: is also the subject of "
                "client.a (line 4), and without cert_sha256 on both a certificate with this "
                "subject would identify both clients");
}

TEST(ConfigClientsTest, NoClientsByDefault) {
  auto cfg = parse(kChannel);
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_TRUE(cfg->clients.empty());
}

TEST(ConfigClientsTest, AJwksClientNeedsNoClientCa) {
  auto cfg = parse(std::string(kChannel) +
                   "[client.r]\njwks_file = \"/k.json\"\nscopes = [\"system/*.s\"]\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->clients.at(0).jwks_file, "/k.json");
}

TEST(ConfigClientsTest, OneSubjectForTwoClientsThatBothPinFingerprints) {
  // A certificate must match subject and fingerprint, so it can only be one of them.
  auto cfg = parse(std::string(kCa) + kChannel + "[client.a]\ncert_subject = \"CN=x\"\n" +
                   "cert_sha256 = [\"" + kFpLower + "\"]\nroles = [\"admin\"]\n" +
                   "[client.b]\ncert_subject = \"CN=x\"\ncert_sha256 = [\"" + kFpOther +
                   "\"]\nroles = [\"admin\"]\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->clients.size(), 2u);
}

TEST(ConfigClientsTest, LongestNameAndSubjectAreAccepted) {
  const std::string name(64, 'n');
  const std::string subject = "CN=" + std::string(509, 's');
  auto cfg = parse(std::string(kCa) + kChannel + "[client." + name + "]\ncert_subject = \"" +
                   subject + "\"\nroles = [\"auditor\"]\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->clients.at(0).name, name);
  EXPECT_EQ(cfg->clients.at(0).cert_subject, subject);
}

TEST(ConfigClientsTest, HttpsAccessKeysAndAuditKeys) {
  auto defaults = parse(kChannel);
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_FALSE(defaults->https.allow_anonymous);
  EXPECT_EQ(defaults->https.token_lifetime_s, 300);
  EXPECT_EQ(defaults->https.assertion_leeway_s, 60);
  EXPECT_EQ(defaults->audit.retention_days, 2190u);
  EXPECT_EQ(defaults->audit.batch_max_entries, 1024u);
  EXPECT_EQ(defaults->audit.batch_max_age, std::chrono::seconds(60));

  auto low =
      parse(std::string(kChannel) +
            "[https]\nallow_anonymous = true\ntoken_lifetime_s = 60\nassertion_leeway_s = 0\n"
            "[audit]\nretention_days = 1\nbatch_max_entries = 1\nbatch_max_age_s = 1\n");
  ASSERT_TRUE(low.ok()) << low.status().message();
  EXPECT_TRUE(low->https.allow_anonymous);
  EXPECT_EQ(low->https.token_lifetime_s, 60);
  EXPECT_EQ(low->https.assertion_leeway_s, 0);
  EXPECT_EQ(low->audit.retention_days, 1u);
  EXPECT_EQ(low->audit.batch_max_entries, 1u);
  EXPECT_EQ(low->audit.batch_max_age, std::chrono::milliseconds(1000));

  auto high = parse(std::string(kChannel) +
                    "[https]\ntoken_lifetime_s = 3600\nassertion_leeway_s = 300\n"
                    "[audit]\nretention_days = 36500\nbatch_max_entries = 100000\n"
                    "batch_max_age_s = 86400\n");
  ASSERT_TRUE(high.ok()) << high.status().message();
  EXPECT_EQ(high->https.token_lifetime_s, 3600);
  EXPECT_EQ(high->https.assertion_leeway_s, 300);
  EXPECT_EQ(high->audit.retention_days, 36500u);
  EXPECT_EQ(high->audit.batch_max_entries, 100000u);
  EXPECT_EQ(high->audit.batch_max_age, std::chrono::hours(24));
}

TEST(ConfigClientsTest, KnownKeysListTheNewKeys) {
  const std::vector<std::string> keys = known_keys();
  for (const char* key :
       {"client.NAME.cert_subject", "client.NAME.cert_sha256", "client.NAME.jwks_file",
        "client.NAME.scopes", "client.NAME.roles", "audit.retention_days",
        "audit.batch_max_entries", "audit.batch_max_age_s", "https.allow_anonymous",
        "https.token_lifetime_s", "https.assertion_leeway_s"})
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
}

TEST(ConfigClientsTest, AThousandClientsWithSixteenFingerprintsEachParse) {
  // The limit itself, each client pinning its certificates under one shared
  // subject: the checks between clients must not be quadratic in fingerprints.
  std::string text = std::string(kCa) + kChannel;
  for (int i = 0; i < 1000; ++i) {
    text += "[client.c" + std::to_string(i) + "]\ncert_subject = \"O=General Hospital\"\n" +
            "roles = [\"admin\"]\ncert_sha256 = [";
    for (int k = 0; k < 16; ++k) {
      const std::string n = std::to_string(i * 16 + k);
      text += std::string(k ? ", " : "") + "\"" + std::string(64 - n.size(), '0') + n + "\"";
    }
    text += "]\n";
  }
  auto cfg = parse(text);
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->clients.size(), 1000u);
  EXPECT_EQ(cfg->clients[999].cert_sha256.size(), 16u);
}

TEST(ConfigClientsTest, ASubjectWithoutFingerprintAfterPinnedOnesNamesTheFirst) {
  std::string text = std::string(kCa) + kChannel;  // clients from line 4, 4 lines each
  for (int i = 0; i < 3; ++i)
    text += "[client.p" + std::to_string(i) + "]\ncert_subject = \"CN=x\"\nroles = [\"admin\"]\n" +
            "cert_sha256 = [\"" + std::string(63, '0') + std::to_string(i) + "\"]\n";
  text += "[client.bare]\ncert_subject = \"CN=x\"\nroles = [\"admin\"]\n";
  EXPECT_EQ(error_of(text),
            "test.toml:17: client.bare.cert_subject: is also the subject of client.p0 (line 4), "
            "and without cert_sha256 on both a certificate with this subject would identify both "
            "clients");
}

TEST(ConfigClientsTest, MoreThanAThousandClientsAreRefused) {
  std::string text = kChannel;
  for (int i = 0; i <= 1000; ++i)
    text += "[client.c" + std::to_string(i) + "]\njwks_file = \"/k\"\nroles = [\"admin\"]\n";
  // The 1001st header: 1 channel line, then 3 lines per client.
  EXPECT_EQ(error_of(text), "test.toml:3002: more than 1000 [client.NAME] tables");
}

struct BadCase {
  std::string text;
  std::string expected;  // the whole message, or its start when it ends with "..."
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.expected; }

class ConfigClientsErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigClientsErrorTest, NamesFileLineAndKey) {
  const std::string error = error_of(GetParam().text);
  std::string expected = GetParam().expected;
  if (expected.ends_with("...")) {
    expected.resize(expected.size() - 3);
    EXPECT_EQ(error.substr(0, expected.size()), expected) << error;
  } else {
    EXPECT_EQ(error, expected);
  }
}

// A client table after [https] client_ca_file and a channel: the header is
// line 4, its keys 5, 6, ...
BadCase client(const std::string& body, const std::string& expected) {
  return {std::string(kCa) + kChannel + "[client.c]\n" + body, expected};
}

// Two clients: a (header line 4, its keys, then roles) and b (its header, its keys, then roles).
BadCase two(const std::string& a, const std::string& b, const std::string& expected) {
  return {std::string(kCa) + kChannel + "[client.a]\n" + a + "roles = [\"admin\"]\n" +
              "[client.b]\n" + b + "roles = [\"admin\"]\n",
          expected};
}

// n different fingerprints, quoted, separated by commas.
std::string distinct_fingerprints(int n) {
  std::string list;
  for (int i = 0; i < n; ++i) {
    const std::string number = std::to_string(i);
    list +=
        std::string(i ? ", " : "") + "\"" + std::string(64 - number.size(), '0') + number + "\"";
  }
  return list;
}

const std::string kAdmin = "roles = [\"admin\"]\n";

INSTANTIATE_TEST_SUITE_P(
    Clients, ConfigClientsErrorTest,
    ::testing::Values(
        // Names.
        BadCase{"[client]\n", "test.toml:1: a client needs a name: [client.NAME]"},
        BadCase{"[client.]\n", "test.toml:1: [client.]: a client name is 1 to 64 letters..."},
        BadCase{"[client." + std::string(65, 'n') + "]\n",
                "test.toml:1: [client." + std::string(65, 'n') + "]: a client name is 1 to 64..."},
        BadCase{"[client.a b]\n", "test.toml:1: table name \"client.a b\" may only use..."},
        BadCase{
            std::string(kChannel) + "[client.x]\njwks_file = \"/k\"\n" + kAdmin + "[client.x]\n",
            "test.toml:5: table [client.x] defined twice"},
        BadCase{std::string(kChannel) + "[client.ehr]\njwks_file = \"/k\"\n" + kAdmin +
                    "[client.EHR]\njwks_file = \"/j\"\n" + kAdmin,
                "test.toml:5: client.EHR: differs from client.ehr (line 2) only in case; give "
                "it another name"},
        client("listen = \"0.0.0.0:1\"\n",
               "test.toml:5: unknown key 'client.c.listen' (known keys in [client.c]: "
               "cert_sha256, cert_subject, jwks_file, roles, scopes)"),
        client("jwks_file = \"/k\"\njwks_file = \"/k\"\n",
               "test.toml:6: key 'client.c.jwks_file' set twice"),
        // A way in.
        client(kAdmin,
               "test.toml:4: client.c: no way in: set cert_subject and/or cert_sha256 (mutual "
               "TLS), or jwks_file (SMART Backend Services)"),
        BadCase{std::string(kChannel) + "[client.c]\n" + kAdmin + "cert_subject = \"CN=c\"\n",
                "test.toml:4: client.c.cert_subject: needs https.client_ca_file (client "
                "certificates are asked for, and checked, only with mutual TLS)"},
        BadCase{std::string(kChannel) + "[https]\nenabled = false\n[client.c]\n" + kAdmin +
                    "cert_sha256 = [\"" + kFpLower + "\"]\n",
                "test.toml:6: client.c.cert_sha256: needs https.client_ca_file..."},
        // cert_subject.
        client("cert_subject = \"\"\n", "test.toml:5: client.c.cert_subject: must not be empty"),
        client("cert_subject = 7\n",
               "test.toml:5: client.c.cert_subject: expected a string, got an integer"),
        client("cert_subject = \"CN=" + std::string(510, 's') + "\"\n",
               "test.toml:5: client.c.cert_subject: longer than 512 bytes"),
        client("cert_subject = \"CN=Jos\xc3\xa9\"\n",
               "test.toml:5: client.c.cert_subject: must be printable ASCII..."),
        client("cert_subject = \"CN=a\\tb\"\n",
               "test.toml:5: client.c.cert_subject: must be printable ASCII..."),
        client("cert_subject = \"lab-interface\"\n",
               "test.toml:5: client.c.cert_subject: expected an RFC 2253 distinguished name..."),
        client("cert_subject = \"=x\"\n",
               "test.toml:5: client.c.cert_subject: expected an RFC 2253..."),
        client("cert_subject = \"subject=CN=x\"\n",
               "test.toml:5: client.c.cert_subject: write the subject without the "
               "\"subject=\" that openssl prints before it"),
        client("cert_subject = \" CN=x\"\n",
               "test.toml:5: client.c.cert_subject: has a leading or trailing space..."),
        client("cert_subject = \"CN=x \"\n",
               "test.toml:5: client.c.cert_subject: has a leading or trailing space..."),
        // cert_sha256.
        client("cert_sha256 = \"" + std::string(kFpLower) + "\"\n",
               "test.toml:5: client.c.cert_sha256: expected an array of strings, got a string"),
        client("cert_sha256 = []\n",
               "test.toml:5: client.c.cert_sha256: must name at least one fingerprint"),
        client("cert_sha256 = [\"" + std::string(kFpLower).substr(1) + "\"]\n",
               "test.toml:5: client.c.cert_sha256: item 1 is not a SHA-256 fingerprint..."),
        client("cert_sha256 = [\"" + std::string(kFpOther) + "\", \"zz" +
                   std::string(kFpLower).substr(2) + "\"]\n",
               "test.toml:5: client.c.cert_sha256: item 2 is not a SHA-256 fingerprint..."),
        client("cert_sha256 = [\"" + std::string(kFpLower) + "\", \"" + kFpColons + "\"]\n",
               "test.toml:5: client.c.cert_sha256: item 2 repeats item 1"),
        client("cert_sha256 = [" + distinct_fingerprints(17) + "]\n",
               "test.toml:5: client.c.cert_sha256: more than 16 fingerprints"),
        // jwks_file.
        client("jwks_file = \"keys/registry.json\"\n",
               "test.toml:5: client.c.jwks_file: must be an absolute path..."),
        client("jwks_file = \"\"\n", "test.toml:5: client.c.jwks_file: must not be empty"),
        // Scopes and roles, through auth::make_client_grant.
        client("jwks_file = \"/k\"\nscopes = [\"system/Patient.rs\", \"patient/Patient.rs\"]\n",
               "test.toml:6: client.c.scopes: scope \"patient/Patient.rs\": patient/ scopes are "
               "relative to a launch context..."),
        client("jwks_file = \"/k\"\nscopes = [\"system/Pateint.rs\"]\n",
               "test.toml:6: client.c.scopes: scope \"system/Pateint.rs\": not a FHIR R4 "
               "resource type"),
        client("jwks_file = \"/k\"\nscopes = [\"system/Observation.rs?category=laboratory\"]\n",
               "test.toml:6: client.c.scopes: scope \"system/Observation.rs?category=laboratory\": "
               "search-parameter restrictions are not supported..."),
        client("jwks_file = \"/k\"\nscopes = [\"system/Pat*.rs\"]\n" + kAdmin,
               "test.toml:6: client.c.scopes: scope \"system/Pat*.rs\": a wildcard must stand for "
               "the whole type (system/*.rs)"),
        client("jwks_file = \"/k\"\nscopes = \"system/*.rs\"\n",
               "test.toml:6: client.c.scopes: expected an array of strings, got a string"),
        client("jwks_file = \"/k\"\nscopes = [\"system/*.rs\"]\nroles = [\"admin\", \"root\"]\n",
               "test.toml:7: client.c.roles: role \"root\": unknown (the roles are admin, "
               "auditor)"),
        client("roles = true\n",
               "test.toml:5: client.c.roles: expected an array of strings, got "
               "true or false"),
        client("jwks_file = \"/k\"\n",
               "test.toml:4: client.c.scopes: the client is granted no scope and no role (set "
               "scopes and/or roles)"),
        client("jwks_file = \"/k\"\nroles = []\nscopes = []\n",
               "test.toml:7: client.c.scopes: the client is granted no scope and no role..."),
        // One certificate, one client.
        two("cert_sha256 = [\"" + std::string(kFpOther) + "\", \"" + kFpColons + "\"]\n",
            "cert_sha256 = [\"" + std::string(kFpLower) + "\"]\n",
            "test.toml:8: client.b.cert_sha256: item 1 is also a fingerprint of client.a (line "
            "4): a certificate must identify one client"),
        two("cert_subject = \"CN=x,O=H\"\ncert_sha256 = [\"" + std::string(kFpLower) + "\"]\n",
            "cert_subject = \"CN=x,O=H\"\n",
            "test.toml:9: client.b.cert_subject: is also the subject of client.a (line 4), and "
            "without cert_sha256 on both a certificate with this subject would identify both "
            "clients"),
        two("cert_subject = \"CN=x,O=H\"\n",
            "cert_sha256 = [\"" + std::string(kFpOther) + "\"]\ncert_subject = \"CN=x,O=H\"\n",
            "test.toml:9: client.b.cert_subject: is also the subject of client.a (line 4)..."),
        // [https] access keys.
        BadCase{std::string(kChannel) + "[https]\nallow_anonymous = \"yes\"\n",
                "test.toml:3: https.allow_anonymous: expected true or false, got a string"},
        BadCase{std::string(kChannel) + "[https]\ntoken_lifetime_s = 59\n",
                "test.toml:3: https.token_lifetime_s: must be between 60 and 3600"},
        BadCase{std::string(kChannel) + "[https]\ntoken_lifetime_s = 3601\n",
                "test.toml:3: https.token_lifetime_s: must be between 60 and 3600"},
        BadCase{std::string(kChannel) + "[https]\nassertion_leeway_s = -1\n",
                "test.toml:3: https.assertion_leeway_s: must be between 0 and 300"},
        BadCase{std::string(kChannel) + "[https]\nassertion_leeway_s = 301\n",
                "test.toml:3: https.assertion_leeway_s: must be between 0 and 300"},
        // [audit].
        BadCase{std::string(kChannel) + "[audit]\nretention_days = 0\n",
                "test.toml:3: audit.retention_days: must be between 1 and 36500"},
        BadCase{std::string(kChannel) + "[audit]\nretention_days = 36501\n",
                "test.toml:3: audit.retention_days: must be between 1 and 36500"},
        BadCase{std::string(kChannel) + "[audit]\nretention_days = \"6y\"\n",
                "test.toml:3: audit.retention_days: expected an integer, got a string"},
        BadCase{std::string(kChannel) + "[audit]\nbatch_max_entries = 0\n",
                "test.toml:3: audit.batch_max_entries: must be between 1 and 100000"},
        BadCase{std::string(kChannel) + "[audit]\nbatch_max_entries = 100001\n",
                "test.toml:3: audit.batch_max_entries: must be between 1 and 100000"},
        BadCase{std::string(kChannel) + "[audit]\nbatch_max_age_s = 0\n",
                "test.toml:3: audit.batch_max_age_s: must be between 1 and 86400"},
        BadCase{std::string(kChannel) + "[audit]\nbatch_max_age_s = 86401\n",
                "test.toml:3: audit.batch_max_age_s: must be between 1 and 86400"},
        BadCase{std::string(kChannel) + "[audit]\nretention = 30\n",
                "test.toml:3: unknown key 'audit.retention' (known keys in [audit]: "
                "batch_max_age_s, batch_max_entries, retention_days)"}));

}  // namespace
}  // namespace gw::config
