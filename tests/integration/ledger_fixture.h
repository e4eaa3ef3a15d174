// The fixture of the gateway-on-the-ledger integration tests: a real anvil,
// gatewayctl run as an operator would, and the gateway's TPM-sealed ledger
// account provisioned on swtpm and funded on anvil.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/anchoring/ledger_deployment.h"
#include "ledger-client/rpc/eth_client.h"
#include "ledger-client/testing/anvil_process.h"
#include "tests/support/gatewayd_process.h"

namespace gw::testing {

using ledger::testing::AnvilOptions;
using ledger::testing::AnvilProcess;
using namespace std::chrono_literals;

inline int ctl(const std::vector<std::string>& args, std::string* out) {
  std::vector<std::string> argv{gatewayctl_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, out);
}

class LedgerFixture : public ::testing::Test {
 protected:
  void connect_rpc() {
    ledger::JsonRpcOptions o;
    o.url = anvil_->url();
    o.io_timeout = 10s;
    auto rpc = ledger::JsonRpcClient::create(o);
    ASSERT_TRUE(rpc) << rpc.error().message();
    rpc_ = std::move(*rpc);
    eth_ = std::make_unique<ledger::EthClient>(*rpc_);
  }
  // Provisions the gateway's TPM as an operator would, reads its ledger
  // account into address_ (and its payload public key into payload_key_hex_)
  // and funds it on anvil.
  void provision(GatewaydProcess& gw) {
    std::string out;
    ASSERT_EQ(ctl({"tpm", "provision", "--config", gw.config_path()}, &out), 0) << out;
    const size_t at = out.find("ledger account: ");
    ASSERT_NE(at, std::string::npos) << out;
    auto address = gw::anchoring::parse_address(out.substr(at + 16, 42));
    ASSERT_TRUE(address) << address.error().message();
    address_ = *address;
    const std::string payload_line = "payload public key (X25519, generation 1): ";
    const size_t key_at = out.find(payload_line);
    ASSERT_NE(key_at, std::string::npos) << out;
    payload_key_hex_ = out.substr(key_at + payload_line.size(), 64);
    {
      std::ofstream k(dir_.path() + "/consortium.key");
      k << kTestConsortiumKeyHex << "\n";
    }
    out.clear();
    ASSERT_EQ(ctl({"tpm", "import-consortium-key", "--config", gw.config_path(),
                   dir_.path() + "/consortium.key"},
                  &out),
              0)
        << out;
    ASSERT_TRUE(ledger::testing::set_balance(
                    *rpc_, address_, *ledger::Uint256::from_decimal("100000000000000000000"))
                    .ok());
  }
  // One member entry in the founders format; its three keys are made of the
  // digits key_digit, key_digit + 1 and key_digit + 2.
  static std::string member_json(const ledger::Address& account, int n, char key_digit = '1') {
    std::ostringstream j;
    j << "{\"account\": \"" << ledger::to_checksum_hex(account)
      << "\", \"org_id\": \"urn:oid:2.16.840.1.113883.3.9999." << n << "\", \"name\": \"Hospital "
      << n << "\", \"encryption_key\": \"" << std::string(64, key_digit)
      << "\", \"tls_fingerprint\": \"" << std::string(64, static_cast<char>(key_digit + 1))
      << "\", \"signing_key_hash\": \"" << std::string(64, static_cast<char>(key_digit + 2))
      << "\", \"accreditation\": \"TEST\"}";
    return j.str();
  }

  TempDir dir_;
  std::unique_ptr<AnvilProcess> anvil_;
  std::unique_ptr<ledger::JsonRpcClient> rpc_;
  std::unique_ptr<ledger::EthClient> eth_;
  ledger::Address address_{};
  std::string payload_key_hex_;  // 64 hex digits, as provision printed it
};

}  // namespace gw::testing
