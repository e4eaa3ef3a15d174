#include "gateway/config/config.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace gw::config {
namespace {

gw::Result<GatewayConfig> parse(const std::string& text) { return parse_config(text, "test.toml"); }

// The message of a parse that must fail; "" (and a test failure) if it parsed.
std::string error_of(const gw::Result<GatewayConfig>& r) {
  EXPECT_FALSE(r.ok());
  return r.status().message();
}

TEST(ConfigTest, ExampleFileInImageParsesWithDocumentedDefaults) {
  auto path = std::filesystem::path(GW_SOURCE_DIR) / "image" / "gatewayd.toml";
  auto cfg = load_config(path.string());
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->state_dir, "/var/lib/gatewayd");
  EXPECT_EQ(cfg->https.listen.port, 8443);
  ASSERT_EQ(cfg->channels.size(), 1u);
  EXPECT_EQ(cfg->channels[0].name, "adt");
  EXPECT_EQ(cfg->channels[0].listen.port, 2575);
  // The example shows the defaults: parsing it must equal parsing a minimal file.
  auto minimal = parse("[channel.adt]\n");
  ASSERT_TRUE(minimal.ok()) << minimal.status().message();
  const auto& a = cfg->channels[0];
  const auto& b = minimal->channels[0];
  EXPECT_EQ(a.listen.to_string(), b.listen.to_string());
  EXPECT_EQ(a.max_frame_bytes, b.max_frame_bytes);
  EXPECT_EQ(a.idle_timeout, b.idle_timeout);
  EXPECT_EQ(a.frame_timeout, b.frame_timeout);
  EXPECT_EQ(a.unmapped_types, b.unmapped_types);
  EXPECT_EQ(a.tls, b.tls);
  EXPECT_EQ(a.max_connections, b.max_connections);
  EXPECT_EQ(a.max_in_flight_per_connection, b.max_in_flight_per_connection);
  EXPECT_EQ(a.max_connections_per_address, b.max_connections_per_address);
  EXPECT_EQ(a.max_segments, b.max_segments);
  EXPECT_EQ(a.max_fields_per_segment, b.max_fields_per_segment);
  EXPECT_EQ(a.processing_ids, b.processing_ids);
  EXPECT_EQ(a.default_charset, b.default_charset);
  EXPECT_EQ(cfg->log_level, minimal->log_level);
  EXPECT_EQ(cfg->shutdown_grace, minimal->shutdown_grace);
  EXPECT_EQ(cfg->io_threads, minimal->io_threads);
  EXPECT_EQ(cfg->max_buffered_bytes, minimal->max_buffered_bytes);
  EXPECT_EQ(cfg->store_max_batch, minimal->store_max_batch);
  EXPECT_EQ(cfg->store_max_queued_bytes, minimal->store_max_queued_bytes);
  EXPECT_EQ(cfg->https.listen.to_string(), minimal->https.listen.to_string());
  EXPECT_EQ(cfg->peering.enabled, minimal->peering.enabled);
  EXPECT_EQ(cfg->peering.listen.to_string(), minimal->peering.listen.to_string());
  EXPECT_EQ(cfg->peering.max_body_bytes, minimal->peering.max_body_bytes);
  EXPECT_EQ(cfg->peering.threads, minimal->peering.threads);
  EXPECT_EQ(cfg->https.allow_anonymous, minimal->https.allow_anonymous);
  EXPECT_EQ(cfg->https.token_lifetime_s, minimal->https.token_lifetime_s);
  EXPECT_EQ(cfg->https.assertion_leeway_s, minimal->https.assertion_leeway_s);
  EXPECT_EQ(cfg->https.header_timeout_s, minimal->https.header_timeout_s);
  EXPECT_EQ(cfg->https.body_timeout_s, minimal->https.body_timeout_s);
  EXPECT_EQ(cfg->https.idle_timeout_s, minimal->https.idle_timeout_s);
  EXPECT_EQ(cfg->https.max_connections, minimal->https.max_connections);
  EXPECT_EQ(cfg->https.max_connections_per_address, minimal->https.max_connections_per_address);
  EXPECT_EQ(cfg->audit.retention_days, minimal->audit.retention_days);
  EXPECT_EQ(cfg->audit.batch_max_entries, minimal->audit.batch_max_entries);
  EXPECT_EQ(cfg->audit.batch_max_age, minimal->audit.batch_max_age);
  EXPECT_TRUE(cfg->clients.empty());  // the examples are commented out
}

TEST(ConfigTest, ParsesSeveralChannelsAndValues) {
  auto cfg = parse(R"(# comment
[gateway]
state_dir = "/tmp/x"   # trailing comment
log_level = "debug"
io_threads = 2
max_buffered_bytes = 8_388_608

[channel.adt]
listen = "127.0.0.1:2575"
idle_timeout_s = 30
frame_timeout_s = 5
processing_ids = ["P"]
max_connections_per_address = 0

[channel.lab]
listen = "[::1]:2576"
max_frame_bytes = 2_000_000
default_charset = "8859/1"
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->state_dir, "/tmp/x");
  EXPECT_EQ(cfg->io_threads, 2);
  EXPECT_EQ(cfg->max_buffered_bytes, 8388608u);
  EXPECT_EQ(cfg->channels[0].max_connections_per_address, 0u);  // no cap
  EXPECT_EQ(cfg->channels[1].max_connections_per_address, 64u);
  ASSERT_EQ(cfg->channels.size(), 2u);
  EXPECT_EQ(cfg->channels[0].idle_timeout, std::chrono::seconds(30));
  EXPECT_EQ(cfg->channels[0].frame_timeout, std::chrono::seconds(5));
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
  const std::string error = error_of(parse(GetParam().text));
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
        BadCase{"[https]\nheader_timeout_s = 0\n",
                "test.toml:2: https.header_timeout_s: must be between"},
        BadCase{"[https]\nmax_connections = -1\n",
                "test.toml:2: https.max_connections: must be between"},
        BadCase{"[gateway]\nmax_buffered_bytes = 1000\n[channel.a]\n",
                "test.toml:2: gateway.max_buffered_bytes: must be between"},
        BadCase{"[gateway]\nmax_buffered_bytes = 3_000_000\n[channel.a]\nmax_frame_bytes = "
                "2_000_000\n",
                "test.toml:2: gateway.max_buffered_bytes: 3000000 is less than twice "
                "channel.a.max_frame_bytes (2000000)"},
        BadCase{"[gateway]\nmax_buffered_bytes = 1_048_576\n[channel.a]\n",
                "test.toml:2: gateway.max_buffered_bytes: 1048576 is less than twice "
                "channel.a.max_frame_bytes (1048576)"},
        BadCase{"[channel.a]\nmax_connections_per_address = -1\n",
                "test.toml:2: channel.a.max_connections_per_address: must be between"},
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
        BadCase{"[gateway]\n", "no channel configured"},
        BadCase{"[keys]\nstore = \"file\"\n[channel.a]\n",
                "test.toml:2: keys.store: must be one of"},
        BadCase{"[tpm]\nprimary_handle = \"0x80000001\"\n[channel.a]\n",
                "test.toml:2: tpm.primary_handle: expected a persistent handle"},
        BadCase{"[tpm]\nprimary_handle = 2164260865\n[channel.a]\n",
                "test.toml:2: tpm.primary_handle: expected a persistent handle"},
        BadCase{"[tpm]\nseal_pcrs = \"sha256:7,2\"\n[channel.a]\n",
                "test.toml:2: tpm.seal_pcrs: PCR numbers must be ascending"},
        BadCase{"[tpm]\nseal_pcrs = \"sha1:0\"\n[channel.a]\n",
                "test.toml:2: tpm.seal_pcrs: expected"},
        BadCase{"[tpm]\nquote_pcrs = \"none\"\n[channel.a]\n",
                "test.toml:2: tpm.quote_pcrs: expected"},
        BadCase{"[tpm]\nquote_pcrs = \"sha256:0,24\"\n[channel.a]\n",
                "test.toml:2: tpm.quote_pcrs: expected"},
        // [ledger]
        BadCase{"[ledger]\nenabled = true\n[channel.a]\n",
                "test.toml:1: ledger.rpc_url: required when ledger.enabled = true"},
        BadCase{"[ledger]\nrpc_url = \"ws://node:8546\"\n[channel.a]\n",
                "test.toml:2: ledger.rpc_url: expected \"http://HOST:PORT"},
        BadCase{"[ledger]\nrpc_url = \"http://\"\n[channel.a]\n", "test.toml:2: ledger.rpc_url"},
        BadCase{"[ledger]\nrpc_url = \"https://user:pw@/x\"\n[channel.a]\n",
                "test.toml:2: ledger.rpc_url"},
        BadCase{"[ledger]\nenabled = \"yes\"\n[channel.a]\n",
                "test.toml:2: ledger.enabled: expected true or false"},
        BadCase{"[ledger]\nchain_id = -1\n[channel.a]\n",
                "test.toml:2: ledger.chain_id: must be between"},
        BadCase{"[ledger]\nconfirmations = 0\n[channel.a]\n",
                "test.toml:2: ledger.confirmations: must be between 1"},
        BadCase{"[ledger]\nmax_transfers_per_tx = 5000\n[channel.a]\n",
                "test.toml:2: ledger.max_transfers_per_tx: must be between"},
        BadCase{"[ledger]\nmax_in_flight = 0\n[channel.a]\n",
                "test.toml:2: ledger.max_in_flight: must be between"},
        BadCase{"[ledger]\nresubmit_after_ms = 10\n[channel.a]\n",
                "test.toml:2: ledger.resubmit_after_ms: must be between"},
        BadCase{"[ledger]\ntx_type = \"eip4844\"\n[channel.a]\n",
                "test.toml:2: ledger.tx_type: must be one of \"auto\", \"eip1559\", \"legacy\""},
        BadCase{"[ledger]\nmax_fee_gwei = \"1000\"\n[channel.a]\n",
                "test.toml:2: ledger.max_fee_gwei: expected an integer"},
        BadCase{"[ledger]\nview_poll_ms = 10\n[channel.a]\n",
                "test.toml:2: ledger.view_poll_ms: must be between"},
        BadCase{"[ledger]\nrequest_timeout_ms = 0\n[channel.a]\n",
                "test.toml:2: ledger.request_timeout_ms: must be between"},
        BadCase{"[ledger]\ndeployment = \"\"\n[channel.a]\n",
                "test.toml:2: ledger.deployment: must not be empty"},
        BadCase{"[ledger]\nanchor_record_batches = 1\n[channel.a]\n",
                "test.toml:2: ledger.anchor_record_batches: expected true or false"},
        BadCase{"[ledger]\nrpc = \"http://x:1\"\n[channel.a]\n",
                "test.toml:2: unknown key 'ledger.rpc' (known keys in [ledger]: "}));

TEST(ConfigTest, MissingFileIsReported) {
  auto cfg = load_config("/nonexistent/gatewayd.toml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message().find("/nonexistent/gatewayd.toml: cannot open"),
            std::string::npos);
}

}  // namespace
}  // namespace gw::config

namespace gw::config {
namespace {

TEST(ConfigMappingTest, ParsesAChannelsMappingTables) {
  auto cfg = parse_config(R"([channel.adt]
listen = "127.0.0.1:2575"
time_zone = "America/New_York"
z_segments = "map"
unmapped_types = "store"

[channel.adt.identifier_systems]
"HOSP" = "urn:oid:2.16.840.1.113883.3.999.1"
"1.2.3.4" = "http://hospital.example.org/mrn"   # an OID-named authority

[channel.adt.coding_systems]
"99LOCAL" = "http://hospital.example.org/codes"

[channel.adt.code_map]
"99LAB|GLU" = "http://loinc.org|2345-7|Glucose [Mass/volume] in Serum or Plasma"
"99LAB|NA" = "http://loinc.org|2951-2"

[channel.adt.z_rules]
"ZPI-2" = "Patient|http://hospital.example.org/fhir/StructureDefinition/religion|string"
)",
                          "t.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  const v2fhir::MappingConfig& m = cfg->channels[0].mapping;
  EXPECT_EQ(m.time_zone, "America/New_York");
  EXPECT_EQ(m.z_segments, v2fhir::ZSegmentPolicy::kMapByRules);
  EXPECT_EQ(cfg->channels[0].unmapped_types, "store");
  EXPECT_EQ(m.identifier_systems.at("HOSP"), "urn:oid:2.16.840.1.113883.3.999.1");
  EXPECT_EQ(m.identifier_systems.at("1.2.3.4"), "http://hospital.example.org/mrn");
  EXPECT_EQ(m.coding_systems.at("99LOCAL"), "http://hospital.example.org/codes");
  ASSERT_EQ(m.code_translations.size(), 2u);
  EXPECT_EQ(m.code_translations[0].from_system, "99LAB");
  EXPECT_EQ(m.code_translations[0].from_code, "GLU");
  EXPECT_EQ(m.code_translations[0].to_system, "http://loinc.org");
  EXPECT_EQ(m.code_translations[0].to_code, "2345-7");
  EXPECT_EQ(m.code_translations[0].to_display, "Glucose [Mass/volume] in Serum or Plasma");
  EXPECT_EQ(m.code_translations[1].to_display, "");
  ASSERT_EQ(m.z_rules.size(), 1u);
  EXPECT_EQ(m.z_rules[0].segment, "ZPI");
  EXPECT_EQ(m.z_rules[0].field, 2);
  EXPECT_EQ(m.z_rules[0].resource, "Patient");
  EXPECT_EQ(m.z_rules[0].value_type, "string");
}

TEST(ConfigMappingTest, MappingErrorsNameTheLineAndKey) {
  struct Case {
    const char* text;
    const char* expected;
  } cases[] = {
      {"[channel.adt.identifier_systems]\n\"A\" = \"urn:x:1\"\n",
       "t.toml:1: [channel.adt.identifier_systems] must come after"},
      {"[channel.adt]\n[channel.adt.identifier_systems]\n\"HOSP\" = \"not a uri\"\n",
       "t.toml:3: channel.adt.identifier_systems.\"HOSP\": expected an absolute URI"},
      {"[channel.adt]\n[channel.adt.code_map]\n\"GLU\" = \"http://loinc.org|1\"\n",
       "t.toml:3: channel.adt.code_map.\"GLU\": the key must be \"V2SYSTEM|CODE\""},
      {"[channel.adt]\n[channel.adt.code_map]\n\"L|GLU\" = \"loinc|1\"\n",
       "t.toml:3: channel.adt.code_map.\"L|GLU\": expected \"SYSTEM-URI|CODE\""},
      {"[channel.adt]\n[channel.adt.z_rules]\n\"PID-2\" = \"Patient|http://x.org/e|string\"\n",
       "t.toml:3: channel.adt.z_rules.\"PID-2\": the key must name a Z-segment field"},
      {"[channel.adt]\n[channel.adt.z_rules]\n\"ZPI-2\" = \"Patient|string\"\n",
       "t.toml:3: channel.adt.z_rules.\"ZPI-2\": expected "
       "\"ResourceType|EXTENSION-URL|VALUE-TYPE\""},
      {"[channel.adt]\n[channel.adt.identifier_systems]\n\"A\" = \"urn:x:1\"\n\"A\" = "
       "\"urn:x:2\"\n",
       "t.toml:4: key 'channel.adt.identifier_systems.\"A\"' set twice"},
      {"[channel.adt]\n[channel.adt.colours]\n", "t.toml:2: unknown table [channel.adt.colours]"},
      {"[channel.adt]\nz_segments = \"keep\"\n", "t.toml:2: channel.adt.z_segments: must be"},
      {"[channel.adt]\nunmapped_types = \"drop\"\n",
       "t.toml:2: channel.adt.unmapped_types: must be one of \"error\", \"store\""},
      {"[channel.adt]\ntime_zone = \"\"\n", "t.toml:2: channel.adt.time_zone: must not be empty"},
      {"[channel.adt]\n\"listen = 1\n", "t.toml:2: malformed quoted key"},
      {"[https]\nenabled = true\n[channel.adt]\n",
       "t.toml:1: https.enabled: the FHIR REST endpoint needs"},
  };
  for (const Case& c : cases) {
    const std::string error = error_of(parse_config(c.text, "t.toml"));
    EXPECT_EQ(error.rfind(c.expected, 0), 0u) << "got: " << error << "\nfor: " << c.text;
  }
}

TEST(ConfigMappingTest, SemanticMappingChecksNameTheChannel) {
  // An unknown zone is caught by the mapper's own check, reported at the
  // channel's header line.
  const std::string error =
      error_of(parse_config("[channel.adt]\ntime_zone = \"Mars/Olympus_Mons\"\n", "t.toml"));
  EXPECT_EQ(error.rfind("t.toml:1: channel.adt: ", 0), 0u) << error;
}

TEST(ConfigMappingTest, HttpsSettings) {
  auto cfg = parse_config(R"([https]
enabled = true
listen = "127.0.0.1:9443"
cert_file = "/etc/gatewayd/tls/cert.pem"
key_file = "/etc/gatewayd/tls/key.pem"
client_ca_file = "/etc/gatewayd/tls/clients.pem"
max_body_bytes = 1048576
threads = 8
[channel.adt]
)",
                          "t.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_TRUE(cfg->https.enabled);
  EXPECT_EQ(cfg->https.listen.port, 9443);
  EXPECT_EQ(cfg->https.cert_file, "/etc/gatewayd/tls/cert.pem");
  EXPECT_EQ(cfg->https.client_ca_file, "/etc/gatewayd/tls/clients.pem");
  EXPECT_EQ(cfg->https.max_body_bytes, 1048576u);
  EXPECT_EQ(cfg->https.threads, 8);
}

TEST(ConfigTest, ChannelTlsSettings) {
  auto cfg = parse_config(R"([channel.adt]
listen = "0.0.0.0:2576"
tls = true
tls_cert_file = "/etc/gatewayd/tls/mllp.pem"
tls_key_file = "/etc/gatewayd/tls/mllp.key"
tls_client_ca_file = "/etc/gatewayd/tls/ehr-ca.pem"
tls_client_cert_sha256 = ["AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"]
[channel.lab]
listen = "0.0.0.0:2577"
)",
                          "t.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  const ChannelConfig& adt = cfg->channels[0];
  EXPECT_TRUE(adt.tls);
  EXPECT_EQ(adt.tls_cert_file, "/etc/gatewayd/tls/mllp.pem");
  EXPECT_EQ(adt.tls_key_file, "/etc/gatewayd/tls/mllp.key");
  EXPECT_EQ(adt.tls_client_ca_file, "/etc/gatewayd/tls/ehr-ca.pem");
  ASSERT_EQ(adt.tls_client_cert_sha256.size(), 2u);
  EXPECT_EQ(adt.tls_client_cert_sha256[1],
            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  EXPECT_FALSE(cfg->channels[1].tls);  // off unless asked for
  EXPECT_TRUE(cfg->channels[1].tls_cert_file.empty());
}

INSTANTIATE_TEST_SUITE_P(
    ChannelTls, ConfigErrorTest,
    ::testing::Values(
        // The line of the tls key, naming the missing key.
        BadCase{"[channel.a]\nlisten = \"0.0.0.0:1\"\ntls = true\ntls_key_file = \"/k.pem\"\n",
                "test.toml:3: channel.a.tls_cert_file: required when tls = true"},
        BadCase{"[channel.a]\ntls = true\ntls_cert_file = \"/c.pem\"\n",
                "test.toml:2: channel.a.tls_key_file: required when tls = true"},
        BadCase{"[channel.a]\ntls = \"yes\"\n",
                "test.toml:2: channel.a.tls: expected true or false"},
        BadCase{"[channel.a]\ntls = true\ntls_cert_file = \"\"\n",
                "test.toml:3: channel.a.tls_cert_file: must not be empty"},
        BadCase{"[channel.a]\ntls_cert_file = \"/c.pem\"\ntls_key_file = \"/k.pem\"\n",
                "test.toml:2: channel.a.tls_cert_file: only used when tls = true"},
        BadCase{"[channel.a]\ntls = false\ntls_client_ca_file = \"/ca.pem\"\n",
                "test.toml:3: channel.a.tls_client_ca_file: only used when tls = true"},
        BadCase{"[channel.a]\ntls = true\ntls_client_cert_sha256 = \"ab\"\n",
                "test.toml:3: channel.a.tls_client_cert_sha256: expected an array of strings"},
        BadCase{"[channel.a]\ntls = true\ntls_client_cert_sha256 = []\n",
                "test.toml:3: channel.a.tls_client_cert_sha256: must name at least one"},
        BadCase{"[channel.a]\ntls = true\ntls_client_cert_sha256 = [\"abcd\"]\n",
                "test.toml:3: channel.a.tls_client_cert_sha256: item 1 is not a SHA-256"},
        BadCase{"[channel.a]\ntls = true\ntls_client_cert_sha256 = "
                "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:a\"]\n",
                "test.toml:3: channel.a.tls_client_cert_sha256: item 1 is not a SHA-256"}));

TEST(ConfigTest, KeysAndTpmSettings) {
  auto cfg = parse_config(R"([keys]
store = "software"
consortium_id = "example-consortium"
batch_records = 500
batch_interval_ms = 2000
[tpm]
tcti = "swtpm:host=127.0.0.1,port=2321"
primary_handle = "0x81000010"
seal_pcrs = "sha256:0,7"
quote_pcrs = "sha256:0,1,2,3"
injected_latency_ms = 50
[channel.adt]
)",
                          "t.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->keys.store, "software");
  EXPECT_EQ(cfg->keys_line, 1);
  EXPECT_EQ(cfg->keys.consortium_id, "example-consortium");
  EXPECT_EQ(cfg->keys.batch_records, 500u);
  EXPECT_EQ(cfg->keys.batch_interval, std::chrono::milliseconds(2000));
  EXPECT_EQ(cfg->tpm.tcti, "swtpm:host=127.0.0.1,port=2321");
  EXPECT_EQ(cfg->tpm.primary_handle, 0x81000010u);
  EXPECT_EQ(cfg->tpm.seal_pcrs, (std::vector<int>{0, 7}));
  EXPECT_EQ(cfg->tpm.quote_pcrs, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(cfg->tpm.injected_latency, std::chrono::milliseconds(50));

  // Defaults: the TPM key store, the production TCTI, no PCR binding.
  auto minimal = parse_config("[channel.adt]\n", "t.toml");
  ASSERT_TRUE(minimal.ok()) << minimal.status().message();
  EXPECT_EQ(minimal->keys.store, "tpm");
  EXPECT_EQ(minimal->keys_line, 0);
  EXPECT_EQ(minimal->tpm.tcti, "device:/dev/tpmrm0");
  EXPECT_EQ(minimal->tpm.primary_handle, 0x81000001u);
  EXPECT_TRUE(minimal->tpm.seal_pcrs.empty());
  auto none = parse_config("[tpm]\nseal_pcrs = \"none\"\n[channel.adt]\n", "t.toml");
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_TRUE(none->tpm.seal_pcrs.empty());
}

TEST(ConfigTest, LedgerSettings) {
  auto cfg = parse_config(R"([channel.adt]
[ledger]
enabled = true
rpc_url = "https://user:secret@besu.consortium.example:8545/rpc"
chain_id = 1337
deployment = "/etc/gatewayd/consortium.json"
outbox = "/data/outbox.db"
confirmations = 3
max_transfers_per_tx = 50
max_in_flight = 4
resubmit_after_ms = 60000
tx_type = "legacy"
max_fee_gwei = 0
min_priority_fee_wei = 1_000
request_timeout_ms = 2500
ca_file = "/etc/gatewayd/ledger-ca.pem"
anchor_record_batches = false
outbox_retention_days = 7
view_poll_ms = 250
[gateway]
state_dir = "/srv/gw"
)",
                          "t.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  const LedgerConfig& l = cfg->ledger;
  EXPECT_EQ(cfg->ledger_line, 2);
  EXPECT_TRUE(l.enabled);
  EXPECT_EQ(l.rpc_url, "https://user:secret@besu.consortium.example:8545/rpc");
  EXPECT_EQ(l.chain_id, 1337u);
  EXPECT_EQ(l.deployment, "/etc/gatewayd/consortium.json");
  EXPECT_EQ(l.outbox, "/data/outbox.db");
  EXPECT_EQ(l.confirmations, 3u);
  EXPECT_EQ(l.max_transfers_per_tx, 50u);
  EXPECT_EQ(l.max_in_flight, 4u);
  EXPECT_EQ(l.resubmit_after, std::chrono::milliseconds(60000));
  EXPECT_EQ(l.tx_type, "legacy");
  EXPECT_EQ(l.max_fee_gwei, 0u);
  EXPECT_EQ(l.min_priority_fee_wei, 1000u);
  EXPECT_EQ(l.request_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(l.ca_file, "/etc/gatewayd/ledger-ca.pem");
  EXPECT_FALSE(l.anchor_record_batches);
  EXPECT_EQ(l.outbox_retention_days, 7u);
  EXPECT_EQ(l.view_poll, std::chrono::milliseconds(250));

  // No [ledger]: off, with the documented defaults; the file paths follow
  // state_dir even when [gateway] comes after [ledger].
  auto minimal =
      parse_config("[ledger]\n[channel.adt]\n[gateway]\nstate_dir = \"/srv/gw\"\n", "t.toml");
  ASSERT_TRUE(minimal.ok()) << minimal.status().message();
  const LedgerConfig& d = minimal->ledger;
  EXPECT_FALSE(d.enabled);
  EXPECT_EQ(d.rpc_url, "");
  EXPECT_EQ(d.chain_id, 0u);
  EXPECT_EQ(d.deployment, "/srv/gw/ledger/consortium.json");
  EXPECT_EQ(d.outbox_retention_days, 30u);
  EXPECT_EQ(d.outbox, "/srv/gw/ledger/outbox.db");
  EXPECT_EQ(d.confirmations, 1u);
  EXPECT_EQ(d.max_transfers_per_tx, 100u);
  EXPECT_EQ(d.max_in_flight, 8u);
  EXPECT_EQ(d.resubmit_after, std::chrono::milliseconds(30000));
  EXPECT_EQ(d.tx_type, "auto");
  EXPECT_EQ(d.max_fee_gwei, 1000u);
  EXPECT_EQ(d.min_priority_fee_wei, 0u);
  EXPECT_EQ(d.request_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(d.ca_file, "");
  EXPECT_TRUE(d.anchor_record_batches);
  EXPECT_EQ(d.view_poll, std::chrono::milliseconds(1000));
  auto absent = parse_config("[channel.adt]\n", "t.toml");
  ASSERT_TRUE(absent.ok()) << absent.status().message();
  EXPECT_EQ(absent->ledger_line, 0);
  EXPECT_FALSE(absent->ledger.enabled);
  EXPECT_EQ(absent->ledger.deployment, "/var/lib/gatewayd/ledger/consortium.json");

  // A plain http URL to a local node is fine; the URL (which may hold a
  // password) never appears in an error.
  auto http = parse_config(
      "[ledger]\nenabled = true\nrpc_url = \"http://127.0.0.1:8545\"\n"
      "[channel.adt]\n",
      "t.toml");
  ASSERT_TRUE(http.ok()) << http.status().message();
  const std::string error = error_of(
      parse_config("[ledger]\nrpc_url = \"ftp://user:hunter2@x\"\n[channel.a]\n", "t.toml"));
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
}

TEST(ConfigForwardingTest, ForwardingSettingsAndDefaults) {
  auto none = parse("[channel.adt]\n");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->channels[0].forwards());
  EXPECT_EQ(none->outbound_queue_path(), "/var/lib/gatewayd/outbound.db");
  auto cfg = parse(
      "[channel.adt]\n"
      "forward_fhir = \"https://user:secret@fhir.example.org:8443/fhir\"\n"
      "forward_fhir_ca_file = \"/etc/gatewayd/fhir-ca.pem\"\n"
      "forward_fhir_requests = \"by_id\"\n"
      "forward_mllp = \"lis.example.org:2575\"\n"
      "forward_timeout_ms = 5000\n"
      "forward_retry_initial_ms = 500\n"
      "forward_retry_max_ms = 60000\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  const ChannelConfig& c = cfg->channels[0];
  EXPECT_TRUE(c.forwards());
  EXPECT_EQ(c.forward_fhir, "https://user:secret@fhir.example.org:8443/fhir");
  EXPECT_EQ(c.forward_fhir_ca_file, "/etc/gatewayd/fhir-ca.pem");
  EXPECT_EQ(c.forward_fhir_requests, "by_id");
  EXPECT_EQ(c.forward_mllp.to_string(), "lis.example.org:2575");
  EXPECT_EQ(c.forward_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.forward_retry_initial, std::chrono::milliseconds(500));
  EXPECT_EQ(c.forward_retry_max, std::chrono::milliseconds(60000));
  auto defaults = parse("[channel.adt]\nforward_mllp = \"10.0.0.5:2575\"\n");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->channels[0].forward_fhir_requests, "conditional");
  EXPECT_EQ(defaults->channels[0].forward_timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(defaults->channels[0].forward_retry_initial, std::chrono::milliseconds(1000));
  EXPECT_EQ(defaults->channels[0].forward_retry_max, std::chrono::milliseconds(300000));
}

TEST(ConfigForwardingTest, ErrorsNameTheKeyAndLineAndNeverEchoTheUrl) {
  std::string e = error_of(parse("[channel.adt]\nforward_fhir = \"http://u:secret@h/fhir\"\n"));
  EXPECT_NE(e.find("test.toml:2: channel.adt.forward_fhir: expected \"https://"), std::string::npos)
      << e;
  EXPECT_EQ(e.find("secret"), std::string::npos) << e;
  e = error_of(
      parse("[channel.adt]\nlisten = \"0.0.0.0:2575\"\n\nforward_fhir_ca_file = \"/x.pem\"\n"));
  EXPECT_NE(e.find("test.toml:4: channel.adt.forward_fhir_ca_file: needs channel.adt.forward_fhir"),
            std::string::npos)
      << e;
  e =
      error_of(parse("[channel.adt]\nforward_mllp = \"h:1\"\nforward_retry_initial_ms = 9000\n"
                     "forward_retry_max_ms = 1000\n"));
  EXPECT_NE(e.find("test.toml:3: channel.adt.forward_retry_initial_ms: must not exceed"),
            std::string::npos)
      << e;
  e = error_of(parse("[channel.adt]\nforward_retry_max_ms = 1000\n"));
  EXPECT_NE(e.find("test.toml:2: channel.adt.forward_retry_max_ms: needs"), std::string::npos) << e;
  e = error_of(
      parse("[channel.adt]\nforward_mllp = \"h:1\"\nforward_mllp_ca_file = \"/ca.pem\"\n"));
  EXPECT_NE(e.find("test.toml:3: channel.adt.forward_mllp_ca_file: needs forward_mllp_tls = true"),
            std::string::npos)
      << e;
  e = error_of(parse("[channel.adt]\nforward_mllp_tls = true\n"));
  EXPECT_NE(e.find("test.toml:2: channel.adt.forward_mllp_tls: needs channel.adt.forward_mllp"),
            std::string::npos)
      << e;
  auto tls = parse(
      "[channel.adt]\nforward_mllp = \"lis:2575\"\nforward_mllp_tls = true\n"
      "forward_mllp_ca_file = \"/ca.pem\"\nforward_mllp_client_cert_file = \"/c.pem\"\n"
      "forward_mllp_client_key_file = \"/k.pem\"\n");
  ASSERT_TRUE(tls.ok()) << tls.status().message();
  EXPECT_TRUE(tls->channels[0].forward_mllp_tls);
  EXPECT_EQ(tls->channels[0].forward_mllp_ca_file, "/ca.pem");
  EXPECT_EQ(tls->channels[0].forward_mllp_client_key_file, "/k.pem");
  e = error_of(parse("[channel.adt]\nforward_mllp = \"h:0\"\n"));
  EXPECT_NE(e.find("test.toml:2: channel.adt.forward_mllp: expected"), std::string::npos) << e;
  e =
      error_of(parse("[channel.adt]\nforward_fhir = \"https://h/fhir\"\n"
                     "forward_fhir_client_cert_file = \"/c.pem\"\n"));
  EXPECT_NE(e.find("test.toml:3: channel.adt.forward_fhir_client_cert_file: "), std::string::npos)
      << e;
  e = error_of(
      parse("[channel.adt]\nlisten = \"0.0.0.0:2575\"\n"
            "[channel.lab]\nlisten = \"0.0.0.0:2576\"\nforward_mllp = \"127.0.0.1:2575\"\n"));
  EXPECT_NE(e.find("test.toml:5: channel.lab.forward_mllp: is channel.adt's own listen address"),
            std::string::npos)
      << e;
}

}  // namespace
}  // namespace gw::config
