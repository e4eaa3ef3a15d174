// test-needs: integration swtpm
// gatewayd and its keys, end to end with swtpm:
//  - it refuses to start, saying which and how to recover, when the TPM is
//    absent, not provisioned, a different TPM, when a sealed object is
//    missing, when the PCR policy no longer matches, when no consortium key
//    was imported; it never falls back to other keys;
//  - the development-only software store is used only when configured, and
//    then every start warns;
//  - after real traffic, neither the state directory, the logs nor the
//    configuration holds key bytes or patient data from the corpus.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sqlite3.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fhir/json/json.h"
#include "gateway/admin/attestation.h"
#include "gateway/crypto/secret.h"
#include "tests/integration/corpus_util.h"
#include "tests/support/gatewayd_process.h"
#include "tests/support/test_certs.h"
#include "tpm/core/key_blob.h"
#include "tpm/core/tpm.h"
#include "tpm/testing/swtpm_process.h"

namespace gw::testing {
namespace {

using tpm::testing::SwtpmProcess;

std::string write_config(const std::string& dir, const std::string& tcti,
                         const std::string& keys_extra = "", const std::string& tpm_extra = "") {
  const std::string path = dir + "/gatewayd.toml";
  std::ofstream f(path);
  f << "[gateway]\nstate_dir = \"" << dir << "/state\"\n\n"
    << "[keys]\nconsortium_id = \"" << kTestConsortiumId << "\"\n"
    << keys_extra << "\n"
    << "[tpm]\ntcti = \"" << tcti << "\"\n"
    << tpm_extra << "\n"
    << "[channel.test]\nlisten = \"127.0.0.1:0\"\n";
  return path;
}

int ctl(const std::vector<std::string>& args, std::string* out) {
  std::vector<std::string> argv{gatewayctl_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, out);
}

// Provisions the TPM of `config` and imports the test consortium key.
void provision(const std::string& dir, const std::string& config) {
  std::string out;
  ASSERT_EQ(ctl({"tpm", "provision", "--config", config}, &out), 0) << out;
  {
    std::ofstream k(dir + "/consortium.key");
    k << kTestConsortiumKeyHex << "\n";
  }
  ASSERT_EQ(
      ctl({"tpm", "import-consortium-key", "--config", config, dir + "/consortium.key"}, &out), 0)
      << out;
  std::filesystem::remove(dir + "/consortium.key");
}

// gatewayd must exit 1 at start with `expected` in its output.
void expect_refused(const std::string& config, const std::string& expected) {
  std::string out;
  EXPECT_EQ(run_command({gatewayd_path(), "--config", config}, &out), 1) << out;
  EXPECT_NE(out.find(expected), std::string::npos) << out;
  EXPECT_EQ(out.find("event=ready"), std::string::npos) << out;
}

TEST(GatewaydKeys, RefusesWithoutATpm) {
  TempDir dir;
  // Nothing listens on this port: a TPM that is not there.
  const std::string config = write_config(dir.path(), "swtpm:host=127.0.0.1,port=9");
  expect_refused(config, "swtpm:host=127.0.0.1,port=9");
}

TEST(GatewaydKeys, RefusesAnUnprovisionedTpmAndNamesTheCommand) {
  TempDir dir;
  auto swtpm_started = SwtpmProcess::start(dir.path() + "/swtpm");
  ASSERT_TRUE(swtpm_started.ok()) << swtpm_started.error().message();
  auto swtpm = std::move(*swtpm_started);
  expect_refused(write_config(dir.path(), swtpm->tcti()), "gatewayctl tpm provision");
}

TEST(GatewaydKeys, RefusesWithoutTheConsortiumKey) {
  TempDir dir;
  std::string error, out;
  auto swtpm_started = SwtpmProcess::start(dir.path() + "/swtpm");
  ASSERT_TRUE(swtpm_started.ok()) << swtpm_started.error().message();
  auto swtpm = std::move(*swtpm_started);
  const std::string config = write_config(dir.path(), swtpm->tcti());
  ASSERT_EQ(ctl({"tpm", "provision", "--config", config}, &out), 0) << out;
  expect_refused(config, "gatewayctl tpm import-consortium-key");
}

TEST(GatewaydKeys, RefusesWhenASealedObjectIsMissing) {
  TempDir dir;
  auto swtpm_started = SwtpmProcess::start(dir.path() + "/swtpm");
  ASSERT_TRUE(swtpm_started.ok()) << swtpm_started.error().message();
  auto swtpm = std::move(*swtpm_started);
  const std::string config = write_config(dir.path(), swtpm->tcti());
  provision(dir.path(), config);
  std::filesystem::remove(dir.path() + "/state/keys/record-key-1.blob");
  expect_refused(config, "record-key-1.blob is missing");
}

// Payload keys through gatewayctl on swtpm: provision prints generation 1,
// rotate-payload-key makes generation 2 and says what to do next; gatewayd
// starts with both, and refuses to start when an older one is gone.
TEST(GatewaydKeys, RefusesWhenAPayloadKeyGenerationIsMissing) {
  TempDir dir;
  auto swtpm_started = SwtpmProcess::start(dir.path() + "/swtpm");
  ASSERT_TRUE(swtpm_started.ok()) << swtpm_started.error().message();
  auto swtpm = std::move(*swtpm_started);
  const std::string config = write_config(dir.path(), swtpm->tcti());
  std::string out;
  ASSERT_EQ(ctl({"tpm", "provision", "--config", config}, &out), 0) << out;
  EXPECT_NE(out.find("payload key 1 (X25519): created and sealed (payload-key-1.blob)"),
            std::string::npos)
      << out;
  const std::string line = "payload public key (X25519, generation 1): ";
  const size_t at = out.find(line);
  ASSERT_NE(at, std::string::npos) << out;
  const std::string first = out.substr(at + line.size(), 65);
  EXPECT_EQ(first.size(), 65u);
  EXPECT_EQ(first.back(), '\n') << "64 hex digits: " << out;
  provision(dir.path(), config);  // again, with the consortium key: nothing new
  out.clear();
  ASSERT_EQ(ctl({"tpm", "rotate-payload-key", "--config", config}, &out), 0) << out;
  EXPECT_NE(out.find("payload public key (X25519, generation 2): "), std::string::npos) << out;
  EXPECT_EQ(out.find(first), std::string::npos) << "a new key";
  EXPECT_NE(out.find("peers keep sealing transfers to the older key the registry"),
            std::string::npos)
      << out;
  // Starts with both generations (timeout stops it with SIGTERM: exit 0).
  out.clear();
  EXPECT_EQ(run_command({"/usr/bin/timeout", "--preserve-status", "-s", "TERM", "2",
                         gatewayd_path(), "--config", config},
                        &out),
            0)
      << out;
  EXPECT_NE(out.find("event=ready"), std::string::npos) << out;
  std::filesystem::remove(dir.path() + "/state/keys/payload-key-1.blob");
  expect_refused(config, "payload-key-1.blob is missing");
}

TEST(GatewaydKeys, RefusesAnotherTpm) {
  TempDir dir;
  auto first_started = SwtpmProcess::start(dir.path() + "/swtpm-a");
  ASSERT_TRUE(first_started.ok()) << first_started.error().message();
  auto first = std::move(*first_started);
  provision(dir.path(), write_config(dir.path(), first->tcti()));
  // The same state directory in front of a different TPM, provisioned afresh
  // (its own primary at the same handle): the pinned primary and the blobs
  // belong to the first TPM.
  auto second_started = SwtpmProcess::start(dir.path() + "/swtpm-b");
  ASSERT_TRUE(second_started.ok()) << second_started.error().message();
  auto second = std::move(*second_started);
  TempDir other;
  std::string out;
  ASSERT_EQ(ctl({"tpm", "provision", "--config", write_config(other.path(), second->tcti())}, &out),
            0)
      << out;
  std::string output;
  EXPECT_EQ(
      run_command({gatewayd_path(), "--config", write_config(dir.path(), second->tcti())}, &output),
      1)
      << output;
  EXPECT_NE(output.find("event=startup_failed"), std::string::npos) << output;
  EXPECT_EQ(output.find("event=ready"), std::string::npos) << output;
}

TEST(GatewaydKeys, RefusesWhenThePcrPolicyNoLongerMatches) {
  TempDir dir;
  auto swtpm_started = SwtpmProcess::start(dir.path() + "/swtpm");
  ASSERT_TRUE(swtpm_started.ok()) << swtpm_started.error().message();
  auto swtpm = std::move(*swtpm_started);
  const std::string config =
      write_config(dir.path(), swtpm->tcti(), "", "seal_pcrs = \"sha256:16\"\n");
  provision(dir.path(), config);
  // Starts while PCR 16 is unchanged (timeout stops it with SIGTERM: exit 0).
  std::string out;
  EXPECT_EQ(run_command({"/usr/bin/timeout", "--preserve-status", "-s", "TERM", "2",
                         gatewayd_path(), "--config", config},
                        &out),
            0)
      << out;
  EXPECT_NE(out.find("event=ready"), std::string::npos) << out;
  {
    tpm::TpmOptions o;
    o.tcti = swtpm->tcti();
    auto t = tpm::Tpm::open(o);
    ASSERT_TRUE(t.ok()) << t.error().message();
    std::array<uint8_t, 32> measurement{};
    measurement[0] = 0x42;
    Status extended = (*t)->extend_pcr(16, measurement);
    ASSERT_TRUE(extended.ok()) << extended.message();
  }
  expect_refused(config, "PCR");
}

TEST(GatewaydKeys, SoftwareStoreOnlyWhenConfiguredAndAlwaysWarned) {
  TempDir dir;
  const std::string config =
      write_config(dir.path(), "device:/nonexistent", "store = \"software\"\n");
  provision(dir.path(), config);
  std::string out;
  // Starts without any TPM, and says loudly that it is a development store.
  EXPECT_EQ(run_command({gatewayd_path(), "--config", config, "--check"}, &out), 0) << out;
  out.clear();
  // Run it for real through a timeout wrapper: it must reach ready and warn.
  EXPECT_EQ(run_command({"/usr/bin/timeout", "--preserve-status", "-s", "TERM", "2",
                         gatewayd_path(), "--config", config},
                        &out),
            0)
      << out;
  EXPECT_NE(out.find("event=keys.software_store"), std::string::npos) << out;
  EXPECT_NE(out.find("DEVELOPMENT ONLY"), std::string::npos) << out;
  EXPECT_NE(out.find("event=ready"), std::string::npos) << out;
}

// Every file under `root` (recursively), whole.
std::vector<std::pair<std::string, std::string>> all_files(const std::string& root) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) out.emplace_back(e.path().string(), read_file(e.path().string()));
  }
  return out;
}

TEST(GatewaydKeys, NoKeyBytesOrPatientDataInStateLogsOrConfiguration) {
  TempDir dir;
  GatewaydProcess gw(dir.path());
  std::string error;
  if (gw::Status started = gw.start(); !started.ok()) FAIL() << started.message();
  std::string out;
  ASSERT_EQ(run_command({gatewayctl_path(), "send", "--to",
                         "127.0.0.1:" + std::to_string(gw.port()), "--summary", corpus_dir()},
                        &out),
            1)  // the corpus holds malformed messages on purpose
      << out;
  ASSERT_EQ(gw.terminate(), 0);
  // The stored records were signed in batches by the TPM (at the latest when
  // gatewayd stopped).
  EXPECT_NE(gw.output().find("event=batch.signed"), std::string::npos) << gw.output();
  EXPECT_NE(gw.output().find("signer=tpm"), std::string::npos) << gw.output();

  // The record and payload keys as the TPM holds them, unsealed here as
  // gatewayd does.
  std::vector<uint8_t> record_key, payload_key;
  {
    tpm::TpmOptions o;
    o.tcti = gw.tcti();
    auto t = tpm::Tpm::open(o);
    ASSERT_TRUE(t.ok()) << t.error().message();
    for (auto [file, out] : {std::pair{"record-key-1.blob", &record_key},
                             std::pair{"payload-key-1.blob", &payload_key}}) {
      auto bytes = read_file(dir.path() + "/state/keys/" + file);
      auto blob =
          tpm::parse_blob(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      ASSERT_TRUE(blob.ok()) << file << ": " << blob.error().message();
      auto key = (*t)->unseal(*blob, {});
      ASSERT_TRUE(key.ok()) << file << ": " << key.error().message();
      *out = *key;
    }
  }
  ASSERT_EQ(record_key.size(), 32u);
  ASSERT_EQ(payload_key.size(), 32u);
  auto hex = [](const std::vector<uint8_t>& b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (uint8_t c : b) {
      s += d[c >> 4];
      s += d[c & 15];
    }
    return s;
  };
  std::vector<uint8_t> consortium_key;
  for (size_t i = 0; i + 1 < std::strlen(kTestConsortiumKeyHex); i += 2)
    consortium_key.push_back(
        static_cast<uint8_t>(std::stoi(std::string(kTestConsortiumKeyHex + i, 2), nullptr, 16)));
  const std::vector<std::string> secrets = {
      std::string(record_key.begin(), record_key.end()),         hex(record_key),
      std::string(payload_key.begin(), payload_key.end()),       hex(payload_key),
      std::string(consortium_key.begin(), consortium_key.end()), kTestConsortiumKeyHex};
  // Patient data of the corpus (names, identifiers, birth dates, addresses).
  const std::vector<std::string> phi = {"EVERYWOMAN", "MASSIE",    "999-00-1234", "19800214",
                                        "1980-02-14", "1 MAIN ST", "ANYTOWN",     "371-66-9256"};
  auto files = all_files(dir.path() + "/state");
  files.emplace_back("gatewayd output", gw.output());
  files.emplace_back("configuration", read_file(gw.config_path()));
  ASSERT_GT(files.size(), 3u);
  for (const auto& [name, content] : files) {
    for (const auto& s : secrets)
      EXPECT_EQ(content.find(s), std::string::npos) << "key bytes in " << name;
    for (const auto& p : phi) EXPECT_EQ(content.find(p), std::string::npos) << p << " in " << name;
  }
  // The corpus really holds that patient data (so the search can fail).
  std::string corpus;
  for (const auto& e : std::filesystem::directory_iterator(corpus_dir()))
    corpus += read_file(e.path().string());
  for (const auto& p : {"EVERYWOMAN", "MASSIE", "999-00-1234", "19800214"})
    EXPECT_NE(corpus.find(p), std::string::npos) << p;
}

// The security team's checks with their own tools (tpm2-tools), against a
// running gatewayd: gatewayctl tpm ek / certify-ak / quote.
TEST(GatewaydKeys, AttestationCheckedWithTpm2Tools) {
  TempDir dir;
  GatewaydProcess gw(dir.path());
  std::string error, out;
  if (gw::Status started = gw.start(); !started.ok()) FAIL() << started.message();
  const std::string d = dir.path();
  // The AK is tied to the EK: the verifier wraps a secret for the EK and the
  // AK's name; only this TPM can unwrap it.
  ASSERT_EQ(ctl({"tpm", "ek", "--config", gw.config_path(), "--out", d + "/ek"}, &out), 0) << out;
  {
    std::ofstream s(d + "/secret.bin", std::ios::binary);
    s << "verifier-chosen secret 0123456789";
  }
  ASSERT_EQ(run_command(
                {"/usr/bin/tpm2_makecredential", "-T", "none", "-u", d + "/ek/ek.pub", "-s",
                 d + "/secret.bin", "-n", read_file(d + "/ek/ak.name.hex"), "-o", d + "/cred.blob"},
                &out),
            0)
      << out;
  ASSERT_EQ(ctl({"tpm", "certify-ak", "--config", gw.config_path(), "--credential",
                 d + "/cred.blob", "--out", d + "/recovered.bin"},
                &out),
            0)
      << out;
  EXPECT_EQ(read_file(d + "/recovered.bin"), read_file(d + "/secret.bin"));
  // The AK the quotes are signed with is the one whose name was certified:
  // the verifier hashes ek/ak.pub to the name and checks quotes with it.
  ASSERT_TRUE(std::filesystem::exists(d + "/ek/ak.pub"));

  // A quote bound to the nonce, accepted by tpm2_checkquote...
  ASSERT_EQ(ctl({"tpm", "quote", "--config", gw.config_path(), "--nonce", "a1b2c3d4e5f60718",
                 "--out", d + "/q"},
                &out),
            0)
      << out;
  auto checkquote = [&](const std::string& qualifying_hex) {
    std::string o;
    return run_command(
        {"/usr/bin/tpm2_checkquote", "-u", d + "/q/ak.pub", "-m", d + "/q/quote.msg", "-s",
         d + "/q/quote.sig", "-f", d + "/q/quote.pcrs", "-g", "sha256", "-q", qualifying_hex},
        &o);
  };
  const std::string qualifying = read_file(d + "/q/qualifying-data.hex");
  EXPECT_EQ(checkquote(qualifying), 0);
  // ... whose qualifying data is SHA-256(nonce || ledger address || TLS key),
  // recomputed here from the parts (no HTTPS in this test: empty TLS key).
  std::string material =
      std::string("\xa1\xb2\xc3\xd4\xe5\xf6\x07\x18", 8) + read_file(d + "/q/ledger-address.bin");
  std::string digest_out;
  {
    std::ofstream m(d + "/material.bin", std::ios::binary);
    m << material;
  }
  ASSERT_EQ(
      run_command({"/bin/sh", "-c", "sha256sum " + d + "/material.bin | cut -c1-64"}, &digest_out),
      0);
  EXPECT_EQ(digest_out.substr(0, 64), qualifying.substr(0, 64));
  // ... and rejected with another nonce's qualifying data.
  std::string other = qualifying;
  other[0] = other[0] == '0' ? '1' : '0';
  EXPECT_NE(checkquote(other), 0);
  EXPECT_EQ(gw.terminate(), 0);
}

// The admin HTTPS endpoint: mutual TLS, a client with the admin role, and a
// quote whose qualifying data binds the nonce, the ledger address and the TLS
// key the client sees; tpm2_checkquote accepts it.
TEST(GatewaydKeys, AdminAttestationEndpoint) {
  TempDir dir;
  const std::string d = dir.path();
  std::string error, out;
  auto made = make_test_pki(d, "secops");
  ASSERT_TRUE(made.ok()) << made.status().message();
  const TestPki pki = *made;
  GatewaydProcess gw(d, "\n[https]\nenabled = true\nlisten = \"127.0.0.1:0\"\ncert_file = \"" +
                            pki.server_cert + "\"\nkey_file = \"" + pki.server_key +
                            "\"\nclient_ca_file = \"" + pki.ca_cert +
                            "\"\n[client.secops]\ncert_subject = \"CN=secops,O=gateway tests\"\n"
                            "roles = [\"admin\"]\n");
  if (gw::Status started = gw.start(); !started.ok()) FAIL() << started.message();
  const uint16_t port = gw.channel_ports()["fhir"];
  ASSERT_NE(port, 0) << gw.output();
  const std::string url =
      "https://127.0.0.1:" + std::to_string(port) + "/admin/attestation?nonce=0102030405060708";
  std::string body;
  ASSERT_EQ(run_command({"/usr/bin/curl", "-sS", "--fail-with-body", "--cacert", pki.ca_cert,
                         "--cert", pki.client_cert, "--key", pki.client_key, url},
                        &body, &error),
            0)
      << body << error;
  auto json = fhir::parse_json(body);
  ASSERT_TRUE(json.ok()) << body;
  auto field = [&](const char* name) {
    const fhir::JsonValue* v = json->find(name);
    return v ? v->text() : std::string();
  };
  auto unbase64 = [](const std::string& b64) {
    std::string out(b64.size(), '\0');
    size_t len = 0;
    sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), b64.data(),
                      b64.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL);
    out.resize(len);
    return out;
  };
  std::filesystem::create_directories(d + "/q");
  for (const auto& [name, file] :
       std::vector<std::pair<const char*, const char*>>{{"quote_message", "quote.msg"},
                                                        {"quote_signature", "quote.sig"},
                                                        {"quote_pcrs", "quote.pcrs"},
                                                        {"ak_public", "ak.pub"}}) {
    std::ofstream f(d + "/q/" + file, std::ios::binary);
    f << unbase64(field(name));
  }
  {
    std::ofstream f(d + "/q/ak.pub.pem");
    f << field("ak_public_pem");
  }
  // The verifier's own recomputation: nonce || ledger address || the TLS
  // public key of the server certificate it trusts.
  auto tls = gw::admin::tls_public_key_der(pki.server_cert);
  ASSERT_TRUE(tls.ok()) << tls.error().message();
  std::string address_hex = field("ledger_address").substr(2);
  std::vector<uint8_t> material = {1, 2, 3, 4, 5, 6, 7, 8};
  for (size_t i = 0; i + 1 < address_hex.size(); i += 2)
    material.push_back(static_cast<uint8_t>(std::stoi(address_hex.substr(i, 2), nullptr, 16)));
  material.insert(material.end(), tls->begin(), tls->end());
  std::array<uint8_t, 32> digest{};
  crypto_hash_sha256(digest.data(), material.data(), material.size());
  std::string expected(64, '\0');
  sodium_bin2hex(expected.data(), expected.size() + 1, digest.data(), digest.size());
  EXPECT_EQ(field("qualifying_data"), expected);
  EXPECT_EQ(run_command(
                {"/usr/bin/tpm2_checkquote", "-u", d + "/q/ak.pub", "-m", d + "/q/quote.msg", "-s",
                 d + "/q/quote.sig", "-f", d + "/q/quote.pcrs", "-g", "sha256", "-q", expected},
                &out),
            0)
      << out;
  // Without a client certificate: 401 with a challenge, and the refusal audited.
  std::string refused;
  run_command({"/usr/bin/curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
               pki.ca_cert, url},
              &refused);
  EXPECT_EQ(refused, "401");
  // A bad nonce is a 400.
  std::string bad;
  run_command({"/usr/bin/curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
               pki.ca_cert, "--cert", pki.client_cert, "--key", pki.client_key,
               "https://127.0.0.1:" + std::to_string(port) + "/admin/attestation?nonce=zz"},
              &bad);
  EXPECT_EQ(bad, "400");
  // The metrics for monitoring, on the same mutual-TLS admin API.
  std::string metrics;
  ASSERT_EQ(run_command({"/usr/bin/curl", "-sS", "--fail-with-body", "--cacert", pki.ca_cert,
                         "--cert", pki.client_cert, "--key", pki.client_key, "-D", d + "/headers",
                         "https://127.0.0.1:" + std::to_string(port) + "/admin/metrics"},
                        &metrics, &error),
            0)
      << metrics << error;
  EXPECT_NE(metrics.find("# TYPE gatewayd_mllp_messages_total counter\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("gatewayd_mllp_messages_total{channel=\"test\",outcome=\"accepted\"} 0\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("gatewayd_mllp_connections_open{channel=\"test\"} 0\n"),
            std::string::npos);
  EXPECT_EQ(metrics.find("gatewayd_ledger_"), std::string::npos)
      << "no [ledger]: no ledger metrics";
  EXPECT_NE(read_file(d + "/headers").find("text/plain; version=0.0.4"), std::string::npos)
      << read_file(d + "/headers");
  EXPECT_EQ(gw.terminate(), 0);
}

// Two member gateways, each with its own TPM and record key, the same
// consortium key: the same patient gets the same token at both, and nothing
// else in their stores is comparable.
TEST(GatewaydKeys, TokensMatchAcrossGatewaysWithTheSameConsortiumKey) {
  TempDir a_dir, b_dir;
  GatewaydProcess a(a_dir.path()), b(b_dir.path());
  std::string error, out;
  if (gw::Status started = a.start(); !started.ok()) FAIL() << started.message();
  if (gw::Status started = b.start(); !started.ok()) FAIL() << started.message();
  const std::string message = corpus_dir() + "/adt_a01.hl7";
  for (GatewaydProcess* g : {&a, &b})
    ASSERT_EQ(run_command({gatewayctl_path(), "send", "--to",
                           "127.0.0.1:" + std::to_string(g->port()), message},
                          &out),
              0)
        << out;
  ASSERT_EQ(a.terminate(), 0);
  ASSERT_EQ(b.terminate(), 0);
  auto column = [](const std::string& db_path, const char* sql) {
    std::vector<std::string> values;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
      while (st != nullptr && sqlite3_step(st) == SQLITE_ROW) {
        const void* p = sqlite3_column_blob(st, 0);
        values.emplace_back(static_cast<const char*>(p), sqlite3_column_bytes(st, 0));
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return values;
  };
  const char* tokens = "SELECT token FROM patient_tokens ORDER BY token";
  auto ta = column(a.db_path(), tokens), tb = column(b.db_path(), tokens);
  ASSERT_FALSE(ta.empty());
  EXPECT_EQ(ta, tb);
  // The record keys differ: the same resource is a different envelope, and
  // the keyed index is not comparable either.
  const char* index = "SELECT key FROM record_identifiers ORDER BY key";
  auto ia = column(a.db_path(), index), ib = column(b.db_path(), index);
  ASSERT_FALSE(ia.empty());
  EXPECT_NE(ia, ib);
}

TEST(GatewaydKeys, SoftwareStoreRefusesAttestation) {
  TempDir dir;
  const std::string config =
      write_config(dir.path(), "device:/nonexistent", "store = \"software\"\n");
  provision(dir.path(), config);
  std::string out;
  EXPECT_EQ(ctl({"tpm", "quote", "--config", config, "--nonce", "0011223344556677", "--out",
                 dir.path() + "/q"},
                &out),
            1);
  EXPECT_NE(out.find("cannot attest"), std::string::npos) << out;
}

}  // namespace
}  // namespace gw::testing
