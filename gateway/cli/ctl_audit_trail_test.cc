// gatewayctl audit verify on a real trail (software key store, in-process):
// a sealed trail verifies (exit 0), a batch signature altered in SQLite is
// named by its batch's first seq (exit 1), an altered entry before it is named
// first, usage errors exit 2, and nothing printed is an entry's content.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_test_util.h"
#include "gateway/auditseal/audit_sealer.h"
#include "gateway/base/clock.h"
#include "gateway/cli/ctl_test_util.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/keys/key_options.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::cli {
namespace {

namespace fs = std::filesystem;

using testing::CtlRun;
using testing::run;

TEST(CtlAuditTrailTest, VerifyNamesTheFirstTamperedSeq) {
  const fs::path dir = fs::temp_directory_path() / ("gwctl-audit-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string config = (dir / "gatewayd.toml").string();
  {
    std::ofstream f(config);
    f << "[gateway]\nstate_dir = \"" << (dir / "state").string()
      << "\"\n[keys]\nstore = \"software\"\nconsortium_id = \"test\"\n"
      << "[channel.adt]\nlisten = \"127.0.0.1:0\"\n";
  }
  const CtlRun provisioned = run({"tpm", "provision", "--config", config});
  ASSERT_EQ(provisioned.status, 0) << provisioned.err;
  const std::string consortium_key = (dir / "consortium.key").string();
  std::ofstream(consortium_key) << std::string(64, '7') << "\n";
  const CtlRun imported = run({"tpm", "import-consortium-key", "--config", config, consortium_key});
  ASSERT_EQ(imported.status, 0) << imported.err;
  const CtlRun none = run({"audit", "verify", "--config", config});
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("no audit trail at"), std::string::npos) << none.err;

  // Eight entries in two batches of four, sealed (signed, no ledger) the way
  // gatewayd does it, with the key store's own record key.
  auto cfg = config::load_config(config);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  const std::string path = cfg->audit_path();
  {
    auto loaded = keys::load_keys(*cfg);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message();
    loaded->key_store.reset();
    auto keys = audit::AuditKeys::create(loaded->working.record_key, loaded->working.record_key_id);
    ASSERT_TRUE(keys.ok());
    audit::AuditLogOptions lo;
    lo.batch_max_entries = 4;
    auto log = audit::AuditLog::open(path, *keys, lo);
    ASSERT_TRUE(log.ok()) << log.error().message();
    for (int i = 1; i <= 8; ++i) {
      audit::AuditEntry e = audit::testing::sample_entry(i);
      e.time_ms = gw::now_ms();
      ASSERT_TRUE((*log)->append(e).ok());
    }
    auditseal::AuditSealer sealer(**log, keys::key_store_options(*cfg), nullptr);
    auto round = sealer.run_once(gw::now_ms());
    ASSERT_TRUE(round.ok()) << round.error().message();
    ASSERT_EQ(round->signed_, 2u);
  }

  const CtlRun ok = run({"audit", "verify", "--config", config, "--no-ledger"});
  EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("entries: 8 checked"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("batches: 2 checked: 2 signatures ok, 0 not signed yet"), std::string::npos)
      << ok.out;
  EXPECT_NE(ok.out.find("\nok\n"), std::string::npos) << ok.out;
  const CtlRun no_ledger = run({"audit", "verify", "--config", config});
  EXPECT_EQ(no_ledger.status, 0) << no_ledger.out << no_ledger.err;
  EXPECT_NE(no_ledger.out.find("anchors: not checked ([ledger] is not enabled)"), std::string::npos)
      << no_ledger.out;

  // Batch 2's signature, one bit changed.
  std::vector<uint8_t> sig;
  {
    auto loaded = keys::load_keys(*cfg);
    ASSERT_TRUE(loaded.ok());
    loaded->key_store.reset();
    auto keys = audit::AuditKeys::create(loaded->working.record_key, loaded->working.record_key_id);
    auto log = audit::AuditLog::open(path, *keys);
    ASSERT_TRUE(log.ok());
    auto b = (*log)->batches(1, 1);
    ASSERT_TRUE(b.ok() && b->size() == 1u);
    sig = b->front().signature;
  }
  sig.back() ^= 0x01;
  ASSERT_EQ(audit::testing::exec_sql(
                path, "UPDATE batches SET signature = X'" + ledger::to_hex(sig) + "' WHERE id = 2"),
            "");
  const CtlRun bad_sig = run({"audit", "verify", "--config", config, "--no-ledger"});
  EXPECT_EQ(bad_sig.status, 1);
  EXPECT_NE(bad_sig.out.find("TAMPERED: first failing entry seq 5: batch check failed: batch 2: "
                             "the signature over its root"),
            std::string::npos)
      << bad_sig.out;

  // An entry before that batch altered too: it is the first failure now.
  ASSERT_EQ(audit::testing::exec_sql(path, "UPDATE entries SET action = 'create' WHERE seq = 3"),
            "");
  const CtlRun bad_entry = run({"audit", "verify", "--config", config, "--no-ledger"});
  EXPECT_EQ(bad_entry.status, 1);
  EXPECT_NE(bad_entry.out.find("TAMPERED: first failing entry seq 3: "), std::string::npos)
      << bad_entry.out;
  for (const CtlRun* r : {&ok, &bad_sig, &bad_entry}) {
    EXPECT_EQ(r->out.find("obs-"), std::string::npos) << r->out;      // resource ids
    EXPECT_EQ(r->out.find("10.0.0.5"), std::string::npos) << r->out;  // sources
  }

  for (const std::vector<std::string>& usage :
       {std::vector<std::string>{"audit"},
        {"audit", "verify"},
        {"audit", "frobnicate"},
        {"audit", "verify", "--config", config, "--bogus"},
        {"audit", "verify", "--config", config, "--no-ledger", "--no-ledger"}}) {
    const CtlRun r = run(usage);
    EXPECT_EQ(r.status, 2) << usage.back();
    EXPECT_NE(r.err.find("gatewayctl audit verify --config FILE [--no-ledger]"), std::string::npos)
        << r.err;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gw::cli
