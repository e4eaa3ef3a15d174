// test-needs: anvil
// gatewayd's ledger start-up checks against a real anvil: what is wrong and
// reachable stops the start with a message naming it; an unreachable node
// does not (the outbox queues); a healthy setup starts and anchors.
#include "gateway/anchoring/ledger_service.h"

#include <gtest/gtest.h>

#include <thread>

#include "gateway/crypto/store_keys.h"
#include "gateway/store/message_store.h"
#include "ledger-client/outbox/deploy.h"
#include "ledger-client/testing/anvil_process.h"

namespace gw::anchoring {
namespace {

using ledger::testing::AnvilProcess;
using ledger::testing::TempDir;
using namespace std::chrono_literals;

class LedgerServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    suite_dir_ = std::make_unique<TempDir>();
    auto started = AnvilProcess::start({});
    ASSERT_TRUE(started.ok()) << started.error().message();
    anvil_ = std::move(*started);
    // The consortium, deployed once by dev account 0 (the gateway under test).
    config::LedgerConfig lc;
    lc.rpc_url = anvil_->url();
    lc.outbox = suite_dir_->path() + "/deployer-outbox.db";
    auto key = AnvilProcess::dev_key(0);
    auto client = open_ledger_client(lc, key, {});
    ASSERT_TRUE(client) << client.error().message();
    ASSERT_TRUE(client->submitter->start().ok());
    ledger::consortium::MemberInfo m;
    m.account = AnvilProcess::dev_address(0);
    m.org_id = "urn:oid:1.2.3";
    m.name = "Service Test Hospital";
    m.encryption_key.fill(1);
    m.tls_fingerprint.fill(2);
    m.signing_key_hash.fill(3);
    ledger::DeployOptions d;
    d.founders = {m};
    auto c = ledger::deploy_consortium(*client->submitter, *client->outbox, *client->eth, d);
    ASSERT_TRUE(c) << c.error().message();
    deployment_.chain_id = 31337;
    deployment_.contracts = *c;
    deployment_.deployed_by = m.account;
  }
  static void TearDownTestSuite() {
    anvil_.reset();
    suite_dir_.reset();
  }

  void SetUp() override {
    cfg_.state_dir = dir_.path();
    cfg_.ledger.enabled = true;
    cfg_.ledger.rpc_url = anvil_->url();
    cfg_.ledger.deployment = dir_.path() + "/ledger/consortium.json";
    cfg_.ledger.outbox = dir_.path() + "/ledger/outbox.db";
    cfg_.ledger.request_timeout = 2s;
    store::StoreOptions so;
    so.path = dir_.path() + "/messages.db";
    so.keys = crypto::StoreKeys::random_for_tests();
    std::string error;
    auto opened = store::MessageStore::open(so);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
    auto key = AnvilProcess::dev_key(0);
    auto secret = crypto::SecretBytes::copy_of(key);
    ASSERT_TRUE(secret);
    key_ = std::move(*secret);
  }
  gw::Result<std::unique_ptr<LedgerService>> start() {
    return LedgerService::start(cfg_, key_, dir_.path() + "/messages.db");
  }
  void expect_refused(const std::string& expected) {
    auto s = start();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message().find(expected), std::string::npos) << s.error().message();
    EXPECT_EQ(s.error().message().find(anvil_->url()), std::string::npos) << s.error().message();
  }

  static inline std::unique_ptr<AnvilProcess> anvil_;
  static inline std::unique_ptr<TempDir> suite_dir_;
  static inline LedgerDeployment deployment_;
  TempDir dir_;
  config::GatewayConfig cfg_;
  std::unique_ptr<store::MessageStore> store_;
  crypto::SecretBytes key_;
};

TEST_F(LedgerServiceTest, StartsWhenTheDeploymentChecksOut) {
  ASSERT_TRUE(write_deployment(cfg_.ledger.deployment, deployment_).ok());
  auto s = start();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ((*s)->address(), AnvilProcess::dev_address(0));
  // One submitter per outbox: a second client (gatewayctl ledger deploy) is
  // refused while gatewayd holds it, and gets it once gatewayd is gone.
  auto second = open_ledger_client(cfg_.ledger, key_.view(), deployment_.contracts);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find("is in use by another process"), std::string::npos)
      << second.error().message();
  (*s)->stop();
  (*s)->stop();  // idempotent
  s->reset();
  EXPECT_TRUE(open_ledger_client(cfg_.ledger, key_.view(), deployment_.contracts));
}

TEST_F(LedgerServiceTest, RefusesWhatIsWrong) {
  expect_refused("gatewayctl ledger deploy");  // no deployment file

  ASSERT_TRUE(write_deployment(cfg_.ledger.deployment, deployment_).ok());
  cfg_.ledger.chain_id = 5;
  expect_refused("[ledger] chain_id = 5 but the deployment file");
  cfg_.ledger.chain_id = 0;

  LedgerDeployment other_chain = deployment_;
  other_chain.chain_id = 1;
  ASSERT_TRUE(write_deployment(cfg_.ledger.deployment, other_chain).ok());
  cfg_.ledger.outbox = dir_.path() + "/ledger/outbox-chain1.db";
  expect_refused("is on chain 31337 but the deployment file is for chain 1");

  LedgerDeployment swapped = deployment_;
  std::swap(swapped.contracts.anchors, swapped.contracts.transfers);
  ASSERT_TRUE(write_deployment(cfg_.ledger.deployment, swapped).ok());
  cfg_.ledger.outbox = dir_.path() + "/ledger/outbox.db";
  expect_refused("contracts do not check out on chain 31337: TransferLog at");

  // An outbox that belongs to another account.
  ASSERT_TRUE(write_deployment(cfg_.ledger.deployment, deployment_).ok());
  auto other = AnvilProcess::dev_key(1);
  auto other_key = crypto::SecretBytes::copy_of(other);
  ASSERT_TRUE(other_key);
  std::swap(key_, *other_key);
  expect_refused("belongs to chain 31337 and account");
}

TEST_F(LedgerServiceTest, AnUnreachableNodeDoesNotStopTheStart) {
  ASSERT_TRUE(write_deployment(cfg_.ledger.deployment, deployment_).ok());
  cfg_.ledger.rpc_url = "http://127.0.0.1:1";  // nothing listens on port 1
  auto s = start();
  ASSERT_TRUE(s.ok()) << s.error().message();
  std::this_thread::sleep_for(300ms);  // the submitter retries in the background
  (*s)->stop();
}

}  // namespace
}  // namespace gw::anchoring
