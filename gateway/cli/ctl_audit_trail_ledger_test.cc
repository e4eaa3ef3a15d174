// test-needs: anvil
// gatewayctl audit verify with [ledger] on, against a real anvil where this
// gateway (software key store) founded the consortium: anchored batches are
// found (exit 0), a batch the file says was anchored but the ledger never saw
// is named by its first seq (exit 1), and a node that is gone is a problem
// (exit 1), not tampering.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "gateway/anchoring/ledger_client.h"
#include "gateway/anchoring/ledger_deployment.h"
#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_test_util.h"
#include "gateway/auditseal/audit_sealer.h"
#include "gateway/base/clock.h"
#include "gateway/cli/ctl_test_util.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/keys/key_options.h"
#include "ledger-client/outbox/consortium_fixture.h"
#include "ledger-client/outbox/deploy.h"
#include "ledger-client/testing/anvil_process.h"

namespace gw::cli {
namespace {

using namespace std::chrono_literals;
using ledger::testing::AnvilProcess;

using testing::CtlRun;
using testing::run;

TEST(CtlAuditTrailLedgerTest, VerifyFindsAnchorsAndNamesAMissingOne) {
  ledger::testing::TempDir dir;
  auto started = AnvilProcess::start({});
  ASSERT_TRUE(started.ok()) << started.error().message();
  std::unique_ptr<AnvilProcess> anvil = std::move(*started);
  const std::string config = dir.path() + "/gatewayd.toml";
  {
    std::ofstream f(config);
    f << "[gateway]\nstate_dir = \"" << dir.path() << "/state\"\n"
      << "[keys]\nstore = \"software\"\nconsortium_id = \"test\"\n"
      << "[ledger]\nenabled = true\nrpc_url = \"" << anvil->url() << "\"\n"
      << "[channel.adt]\nlisten = \"127.0.0.1:0\"\n";
  }
  ASSERT_EQ(run({"tpm", "provision", "--config", config}).status, 0);
  const std::string consortium_key = dir.path() + "/consortium.key";
  std::ofstream(consortium_key) << std::string(64, '7') << "\n";
  ASSERT_EQ(run({"tpm", "import-consortium-key", "--config", config, consortium_key}).status, 0);
  auto cfg = config::load_config(config);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  auto loaded = keys::load_keys(*cfg);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  auto account = loaded->key_store->ledger_address();
  ASSERT_TRUE(account.ok());
  loaded->key_store.reset();

  // This gateway's account, funded, founds the consortium; the deployment
  // file is where [ledger] deployment says.
  std::optional<anchoring::LedgerClient> client;
  const auto open_client = [&](const ledger::ContractAddresses& contracts) {
    client.reset();  // one client per outbox (its lock)
    auto opened =
        anchoring::open_ledger_client(cfg->ledger, loaded->working.ledger_key.view(), contracts);
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    client.emplace(std::move(*opened));
    ASSERT_TRUE(client->submitter->start().ok());
  };
  ASSERT_NO_FATAL_FAILURE(open_client({}));
  ASSERT_TRUE(ledger::testing::set_balance(*client->rpc, *account,
                                           *ledger::Uint256::from_decimal("1000000000000000000000"))
                  .ok());
  ledger::DeployOptions d;
  d.founders = {ledger::testing::member_info(*account, 1)};
  auto contracts = ledger::deploy_consortium(*client->submitter, *client->outbox, *client->eth, d);
  ASSERT_TRUE(contracts.ok()) << contracts.error().message();
  anchoring::LedgerDeployment deployment;
  deployment.chain_id = client->submitter->chain_id();
  deployment.contracts = *contracts;
  deployment.deployed_by = *account;
  deployment.block = 1;
  ASSERT_TRUE(anchoring::write_deployment(cfg->ledger.deployment, deployment).ok());
  ASSERT_NO_FATAL_FAILURE(open_client(*contracts));

  // Two batches sealed and anchored; a third signed only.
  auto audit_keys =
      audit::AuditKeys::create(loaded->working.record_key, loaded->working.record_key_id);
  ASSERT_TRUE(audit_keys.ok());
  audit::AuditLogOptions lo;
  lo.batch_max_entries = 4;
  auto log = audit::AuditLog::open(cfg->audit_path(), *audit_keys, lo);
  ASSERT_TRUE(log.ok()) << log.error().message();
  const auto append = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      audit::AuditEntry e = audit::testing::sample_entry(i);
      e.time_ms = gw::now_ms();
      ASSERT_TRUE((*log)->append(e).ok());
    }
  };
  append(1, 9);
  {
    auditseal::AuditSealer sealer(**log, keys::key_store_options(*cfg), client->outbox.get());
    ASSERT_EQ(sealer.run_once(gw::now_ms())->enqueued, 2u);
    ASSERT_TRUE(client->submitter->drain(30s).ok());
    ASSERT_EQ(sealer.run_once(gw::now_ms())->anchored, 2u);
  }
  append(9, 13);
  {
    auditseal::AuditSealer signer_only(**log, keys::key_store_options(*cfg), nullptr);
    ASSERT_EQ(signer_only.run_once(gw::now_ms())->signed_, 1u);
  }

  const CtlRun ok = run({"audit", "verify", "--config", config});
  EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("3 signatures ok, 0 not signed yet; 2 anchored, 1 not anchored yet, 0 "
                        "anchors not checked"),
            std::string::npos)
      << ok.out;

  ASSERT_TRUE((*log)->set_batch_anchor(3, "0x" + std::string(64, 'b'), gw::now_ms()).ok());
  const CtlRun missing = run({"audit", "verify", "--config", config});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.out.find("TAMPERED: first failing entry seq 9: batch check failed: batch 3: "
                             "the file says transaction 0xbbbb"),
            std::string::npos)
      << missing.out;
  EXPECT_NE(missing.out.find("holds no anchor of its root by this member"), std::string::npos)
      << missing.out;

  client.reset();
  anvil->stop();
  const CtlRun gone = run({"audit", "verify", "--config", config});
  EXPECT_EQ(gone.status, 1);
  EXPECT_NE(gone.out.find("problem: ledger node unreachable"), std::string::npos) << gone.out;
  EXPECT_EQ(gone.out.find("TAMPERED"), std::string::npos) << gone.out;
  // Locally the trail is intact.
  const CtlRun local = run({"audit", "verify", "--config", config, "--no-ledger"});
  EXPECT_EQ(local.status, 0) << local.out;
}

}  // namespace
}  // namespace gw::cli
