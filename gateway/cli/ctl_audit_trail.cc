// gatewayctl audit: the audit trail (<state_dir>/audit.db, gateway/audit).
//
//   audit verify --config FILE [--no-ledger]
//       Checks the whole trail (verify_audit_log): every entry opens under
//       its own seq and extends the hash chain, batches tile the entries and
//       their Merkle roots match, each batch's signature verifies with this
//       appliance's batch-signing key, and (unless --no-ledger, or [ledger]
//       is off) the ledger holds this member's anchor of each root with kind
//       audit, the same seqs and signature. Prints a summary; on a failure,
//       the first failing entry's seq and what failed. Exit 0 when nothing is
//       wrong (batches not signed or anchored yet are not), 1 when the trail
//       is tampered with or could not be checked (the message says which),
//       2 on a usage error. Nothing printed is PHI: seqs, batch ids, hashes.
//
// The key store is opened once for the record key (the entries' key), the
// batch-signing public key and the ledger account, then released (swtpm
// serves one client: stop gatewayd first when the TPM is a simulator). The
// trail is read in one read transaction, so gatewayd may keep appending.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/anchoring/ledger_client.h"
#include "gateway/anchoring/ledger_deployment.h"
#include "gateway/audit/audit_keys.h"
#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_verify.h"
#include "gateway/auditseal/audit_batch_check.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/config/config.h"
#include "gateway/keys/key_options.h"
#include "ledger-client/rpc/eth_client.h"
#include "ledger-client/rpc/json_rpc.h"

namespace gw::cli {
namespace {

int audit_usage() {
  std::fputs(ctl_usage("audit").c_str(), stderr);
  return 2;
}

// The newest signed batch's id (0: none): every older batch must be signed.
Result<int64_t> last_signed_batch(const std::string& path,
                                  std::shared_ptr<const audit::AuditKeys> keys) {
  GW_ASSIGN_OR_RETURN(auto log, audit::AuditLog::open(path, std::move(keys)));
  int64_t after = 0, last_signed = 0;
  for (;;) {
    GW_ASSIGN_OR_RETURN(auto page, log->batches(after, audit::kMaxQueryLimit));
    if (page.empty()) break;
    for (const audit::AuditBatch& b : page)
      if (!b.signature.empty()) last_signed = b.id;
    after = page.back().id;
  }
  return last_signed;
}

// The node and the deployment, checked; or why anchors cannot be checked.
struct LedgerConnection {
  std::unique_ptr<ledger::JsonRpcClient> rpc;
  std::unique_ptr<ledger::EthClient> eth;
  anchoring::LedgerDeployment deployment;
};
Result<LedgerConnection> connect_ledger(const config::LedgerConfig& cfg) {
  LedgerConnection c;
  GW_ASSIGN_OR_RETURN(c.deployment, anchoring::read_deployment(cfg.deployment));
  auto rpc = ledger::JsonRpcClient::create(anchoring::ledger_rpc_options(cfg));
  if (!rpc) return rpc.error().with_context("[ledger] rpc_url or ca_file");
  c.rpc = std::move(*rpc);
  c.eth = std::make_unique<ledger::EthClient>(*c.rpc);
  GW_ASSIGN_OR_RETURN(anchoring::NodeCheck node,
                      anchoring::check_ledger_node(*c.eth, c.deployment, cfg.chain_id));
  if (!node.verified)
    return unavailable_error("ledger node unreachable (" + node.unreachable + ")");
  return c;
}

int verify(const config::GatewayConfig& cfg, bool no_ledger) {
  const std::string path = cfg.audit_path();
  if (!std::filesystem::exists(path))
    return ctl_fail("no audit trail at " + path + " (has gatewayd run with this configuration?)");
  auto loaded = keys::load_keys(cfg);
  if (!loaded.ok()) return ctl_fail("key store: " + loaded.error().message());
  if (loaded->key_store->is_development_only())
    std::fprintf(stderr, "WARNING: %s\n", keys::kSoftwareKeyStoreWarning);
  auto pem = loaded->key_store->batch_signing_public_key();
  if (!pem.ok()) return ctl_fail("batch-signing key: " + pem.error().message());
  auto account = loaded->key_store->ledger_address();
  if (!account.ok()) return ctl_fail("ledger account: " + account.error().message());
  loaded->key_store.reset();  // release the TPM
  auto audit_keys =
      audit::AuditKeys::create(loaded->working.record_key, loaded->working.record_key_id);
  if (!audit_keys.ok()) return ctl_fail(audit_keys.error().message());
  auto last_signed = last_signed_batch(path, *audit_keys);
  if (!last_signed.ok()) return ctl_fail(last_signed.error().message());

  std::string problem;  // why anchors were not (all) checked
  std::optional<LedgerConnection> ledger;
  std::optional<auditseal::AnchorLedger> anchors;
  if (no_ledger) {
    std::printf("anchors: not checked (--no-ledger)\n");
  } else if (!cfg.ledger.enabled) {
    std::printf("anchors: not checked ([ledger] is not enabled)\n");
  } else if (auto c = connect_ledger(cfg.ledger); !c) {
    problem = c.error().message();
  } else {
    ledger = std::move(*c);
    anchors =
        auditseal::AnchorLedger{ledger->eth.get(), ledger->deployment.contracts.anchors, *account};
  }
  auto checker = auditseal::AuditBatchChecker::create(*pem, *last_signed, anchors);
  if (!checker.ok()) return ctl_fail(checker.error().message());

  const auto started = std::chrono::steady_clock::now();
  auto report = audit::verify_audit_log(path, **audit_keys, (*checker)->callback());
  if (!report.ok()) return ctl_fail(report.error().message());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (problem.empty()) problem = (*checker)->ledger_problem();
  const auditseal::BatchTally& t = (*checker)->tally();
  std::printf("audit trail: %s\n", path.c_str());
  std::printf("entries: %" PRId64 " checked, pruned through seq %" PRId64 "\n",
              report->entries_checked, report->pruned_through_seq);
  std::printf("batches: %" PRId64 " checked: %" PRId64 " signatures ok, %" PRId64
              " not signed yet; %" PRId64 " anchored, %" PRId64 " not anchored yet, %" PRId64
              " anchors not checked\n",
              t.batches, t.signature_ok, t.not_signed_yet, t.anchored, t.not_anchored_yet,
              t.anchors_not_checked);
  std::printf("time: %.2f s\n", seconds);
  if (!problem.empty()) std::printf("problem: %s: anchors were not checked\n", problem.c_str());
  if (!report->ok()) {
    std::printf("TAMPERED: first failing entry seq %" PRId64 ": %s: %s\n", report->first_bad_seq,
                std::string(audit::fault_name(report->fault)).c_str(), report->what.c_str());
    return 1;
  }
  if (!problem.empty()) return 1;
  std::printf("ok\n");
  return 0;
}

}  // namespace

int ctl_audit_trail(const std::vector<std::string>& args) {
  if (args.empty()) return audit_usage();
  const std::string& sub = args.at(0);
  if (sub != "verify") return audit_usage();
  std::string config_path;
  bool no_ledger = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size() && config_path.empty()) {
      config_path = args[++i];
    } else if (args[i] == "--no-ledger" && !no_ledger) {
      no_ledger = true;
    } else {
      return audit_usage();
    }
  }
  if (config_path.empty()) return audit_usage();
  auto cfg = config::load_config(config_path);
  if (!cfg) return ctl_fail("configuration error: " + cfg.error().message());
  return verify(*cfg, no_ledger);
}

}  // namespace gw::cli
