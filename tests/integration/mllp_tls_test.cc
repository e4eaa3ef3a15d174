// test-needs: integration swtpm
// MLLP over TLS end to end: gatewayd with a mutual-TLS channel, `gatewayctl
// send --tls` as the sender, refusals logged without patient data, and the
// configuration checks of the channel's TLS files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/gatewayd_process.h"
#include "tests/support/test_certs.h"

namespace gw::testing {
namespace {

// A fictitious patient whose name must never reach the log.
const char kAdt[] =
    "MSH|^~\\&|EPIC|HOSP|GATEWAY|HOSP|20240101120000||ADT^A01^ADT_A01|TLS00001|P|2.5.1\r"
    "EVN|A01|20240101120000\r"
    "PID|1||TLS123456^^^HOSP^MR||TLSPATIENT^QUINTINA||19700101|F\r"
    "PV1|1|I|2000^2012^01\r";

class MllpTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(pki_dir_.path() + "/pki");
    auto pki = make_test_pki(pki_dir_.path() + "/pki", "his.example.org");
    ASSERT_TRUE(pki.ok()) << pki.error().message();
    pki_ = *pki;
    message_file_ = pki_dir_.path() + "/adt.hl7";
    std::ofstream(message_file_) << kAdt;
  }
  std::string tls_settings() const {
    return "tls = true\ntls_cert_file = \"" + pki_.server_cert + "\"\ntls_key_file = \"" +
           pki_.server_key + "\"\ntls_client_ca_file = \"" + pki_.ca_cert + "\"\n";
  }
  int send(uint16_t port, std::vector<std::string> tls_args, std::string* out) {
    std::vector<std::string> argv{
        gatewayctl_path(), "send", "--to",         "127.0.0.1:" + std::to_string(port),
        "--retries",       "0",    "--timeout-ms", "5000"};
    argv.insert(argv.end(), tls_args.begin(), tls_args.end());
    argv.push_back(message_file_);
    return run_command(argv, out);
  }
  // A configuration for `gatewayd --check` with one channel and `channel_settings`.
  std::string check_config(const std::string& channel_settings) {
    const std::string path = pki_dir_.path() + "/check.toml";
    std::ofstream(path) << "[channel.hie]\nlisten = \"127.0.0.1:0\"\n" << channel_settings;
    return path;
  }

  TempDir pki_dir_, state_dir_;
  TestPki pki_;
  std::string message_file_;
};

TEST_F(MllpTlsTest, GatewayctlSendsOverMutualTlsAndPlaintextIsRefused) {
  GatewaydProcess gw(state_dir_.path(), tls_settings());
  if (gw::Status started = gw.start(); !started.ok()) FAIL() << started.message();
  EXPECT_NE(gw.output().find("protocol=mllp+tls"), std::string::npos) << gw.output();
  std::string out;
  const std::vector<std::string> mutual{"--tls",          "--ca",  pki_.ca_cert,   "--cert",
                                        pki_.client_cert, "--key", pki_.client_key};
  ASSERT_EQ(send(gw.port(), mutual, &out), 0) << out;
  EXPECT_NE(out.find("AA"), std::string::npos) << out;

  // Plaintext to the TLS channel: no acknowledgement.
  EXPECT_NE(send(gw.port(), {}, &out), 0) << out;
  EXPECT_NE(out.find("no acknowledgement"), std::string::npos) << out;
  // TLS without a client certificate: refused by mutual TLS.
  EXPECT_NE(send(gw.port(), {"--tls", "--ca", pki_.ca_cert}, &out), 0) << out;
  // A client that does not trust the gateway's certificate refuses it.
  EXPECT_EQ(send(gw.port(),
                 {"--tls", "--ca", pki_.other_ca_cert, "--cert", pki_.client_cert, "--key",
                  pki_.client_key},
                 &out),
            2)
      << out;
  EXPECT_NE(out.find("certificate verify failed"), std::string::npos) << out;
  // A flag that needs --tls is a usage error rather than a plaintext send.
  EXPECT_EQ(send(gw.port(), {"--ca", pki_.ca_cert}, &out), 2) << out;
  EXPECT_NE(out.find("need --tls"), std::string::npos) << out;

  // The gateway is unharmed: the good sender still gets through (a duplicate now).
  ASSERT_EQ(send(gw.port(), mutual, &out), 0) << out;
  ASSERT_EQ(gw.terminate(), 0);
  const std::string log = gw.output();
  EXPECT_NE(log.find("event=mllp.tls_failure"), std::string::npos) << log;
  EXPECT_NE(log.find("phase=handshake"), std::string::npos) << log;
  EXPECT_EQ(log.find("TLSPATIENT"), std::string::npos) << log;
  EXPECT_EQ(log.find("TLS123456"), std::string::npos) << log;
}

TEST_F(MllpTlsTest, CheckReadsTheChannelsTlsFiles) {
  std::string out;
  EXPECT_EQ(
      run_command({gatewayd_path(), "--config", check_config(tls_settings()), "--check"}, &out), 0)
      << out;
  const std::string missing = pki_dir_.path() + "/missing.pem";
  EXPECT_EQ(run_command({gatewayd_path(), "--config",
                         check_config("tls = true\ntls_cert_file = \"" + missing +
                                      "\"\ntls_key_file = \"" + pki_.server_key + "\"\n"),
                         "--check"},
                        &out),
            1)
      << out;
  EXPECT_NE(out.find("channel.hie"), std::string::npos) << out;
  EXPECT_NE(out.find(missing + ": cannot be read"), std::string::npos) << out;
  EXPECT_EQ(run_command({gatewayd_path(), "--config",
                         check_config("tls = true\ntls_cert_file = \"" + pki_.server_cert +
                                      "\"\ntls_key_file = \"" + pki_.client_key + "\"\n"),
                         "--check"},
                        &out),
            1)
      << out;
  EXPECT_NE(out.find("does not match the certificate"), std::string::npos) << out;
  // tls = true without a certificate: the key and the line of tls.
  EXPECT_EQ(run_command({gatewayd_path(), "--config",
                         check_config("tls = true\ntls_key_file = \"" + pki_.server_key + "\"\n"),
                         "--check"},
                        &out),
            1)
      << out;
  EXPECT_NE(out.find("check.toml:3: channel.hie.tls_cert_file: required when tls = true"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace gw::testing
