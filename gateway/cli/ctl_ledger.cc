// gatewayctl ledger: the consortium ledger from the operator's side.
//
//   ledger deploy --config FILE --founders FILE.json --quorum N [--ttl-days D]
//       Deploys the five consortium contracts through this gateway's outbox,
//       signed with its TPM-sealed ledger key, and writes the deployment file
//       ([ledger] deployment) for every member to copy. Re-running resumes or
//       returns the same addresses (the outbox keys each deployment).
//   ledger status --config FILE
//       Node, account, membership, deployment check and outbox counts. Exit 0
//       when the node is reachable and the deployment verified, 1 otherwise.
//
// Both open the key store like `gatewayctl tpm` (status only to read the
// public ledger address). swtpm serves one client at a time: stop gatewayd
// first when the TPM is a simulator.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "gateway/anchoring/ledger_client.h"
#include "gateway/anchoring/ledger_deployment.h"
#include "gateway/anchoring/ledger_service.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/keys/key_options.h"
#include "ledger-client/account/account.h"
#include "ledger-client/consortium/provider_registry.h"
#include "ledger-client/outbox/deploy.h"

namespace gw::cli {

using anchoring::check_ledger_node;
using anchoring::format_deployment;
using anchoring::ledger_rpc_options;
using anchoring::LedgerDeployment;
using anchoring::oldest_open_age_s;
using anchoring::open_ledger_client;
using anchoring::read_deployment;
using anchoring::read_founders;
using anchoring::same_deployment;
using anchoring::write_deployment;
namespace {

int usage() { return ledger_usage(); }

std::optional<config::GatewayConfig> load(const std::string& path) {
  auto cfg = config::load_config(path);
  if (!cfg) {
    std::fprintf(stderr, "gatewayctl: configuration error: %s\n", cfg.error().message().c_str());
    return std::nullopt;
  }
  if (cfg->ledger.rpc_url.empty()) {
    std::fprintf(stderr, "gatewayctl: %s: [ledger] rpc_url is not set (the consortium node)\n",
                 path.c_str());
    return std::nullopt;
  }
  if (cfg->keys.store == "software")
    std::fprintf(stderr, "WARNING: %s\n", keys::kSoftwareKeyStoreWarning);
  return std::move(cfg).value();
}

int deploy(const config::GatewayConfig& cfg, const std::string& founders_path, uint64_t quorum,
           uint64_t ttl_days) {
  auto founders = read_founders(founders_path);
  if (!founders) {
    std::fprintf(stderr, "gatewayctl: %s\n", founders.error().message().c_str());
    return 1;
  }
  auto keys = keys::load_keys(cfg);
  if (!keys.ok()) {
    std::fprintf(stderr, "gatewayctl: %s\n", keys.error().message().c_str());
    return 1;
  }
  keys->key_store.reset();  // release the TPM
  // A deployment file that is there already decides which contracts queued
  // outbox items (anchors of an earlier run) go to.
  std::optional<LedgerDeployment> existing;
  if (std::filesystem::exists(cfg.ledger.deployment)) {
    auto d = read_deployment(cfg.ledger.deployment);
    if (!d) {
      std::fprintf(stderr, "gatewayctl: %s\n", d.error().message().c_str());
      return 1;
    }
    existing = *d;
  }
  auto client = open_ledger_client(cfg.ledger, keys->working.ledger_key.view(),
                                   existing ? existing->contracts : ledger::ContractAddresses{});
  if (!client) {
    std::fprintf(stderr, "gatewayctl: %s\n", client.error().message().c_str());
    return 1;
  }
  const ledger::Address me = client->signer->address();
  const std::string me_hex = ledger::to_checksum_hex(me);
  if (existing && existing->deployed_by != me) {
    std::fprintf(stderr,
                 "gatewayctl: %s already names a consortium deployed by %s; this gateway (%s) "
                 "joins it instead of deploying another (move the file away to deploy anew)\n",
                 cfg.ledger.deployment.c_str(),
                 ledger::to_checksum_hex(existing->deployed_by).c_str(), me_hex.c_str());
    return 1;
  }
  bool founder = false;
  for (const auto& f : *founders) founder = founder || f.account == me;
  if (!founder) {
    std::fprintf(stderr, "gatewayctl: this gateway's ledger account %s is not among the founders\n",
                 me_hex.c_str());
    return 1;
  }
  if (quorum > founders->size()) {
    std::fprintf(stderr, "gatewayctl: --quorum %llu is more than the %zu founders\n",
                 static_cast<unsigned long long>(quorum), founders->size());
    return 1;
  }
  if (!existing) {
    // Without a deployment file, only deployments may be waiting in the
    // outbox: anything else would have no contract to go to.
    auto kinds = client->outbox->queued_kinds();
    if (!kinds) {
      std::fprintf(stderr, "gatewayctl: %s\n", kinds.error().message().c_str());
      return 1;
    }
    for (auto k : *kinds)
      if (k != ledger::ItemKind::kCall) {
        std::fprintf(stderr,
                     "gatewayctl: the outbox %s holds queued anchors or transfers but there is no "
                     "deployment file naming their contracts\n",
                     cfg.ledger.outbox.c_str());
        return 1;
      }
  }
  auto chain = client->eth->chain_id();
  if (!chain) {
    std::fprintf(stderr, "gatewayctl: ledger node: %s\n", chain.error().describe().c_str());
    return 1;
  }
  if (cfg.ledger.chain_id != 0 && *chain != cfg.ledger.chain_id) {
    std::fprintf(stderr, "gatewayctl: the node is on chain %llu, not [ledger] chain_id = %llu\n",
                 static_cast<unsigned long long>(*chain),
                 static_cast<unsigned long long>(cfg.ledger.chain_id));
    return 1;
  }
  if (auto s = client->submitter->start(); !s.ok()) {
    std::fprintf(stderr, "gatewayctl: %s\n", s.message().c_str());
    return 1;
  }
  ledger::DeployOptions options;
  options.founders = std::move(*founders);
  options.quorum = static_cast<uint8_t>(quorum);
  options.proposal_ttl_seconds = ttl_days * 24 * 3600;
  auto contracts =
      ledger::deploy_consortium(*client->submitter, *client->outbox, *client->eth, options);
  if (!contracts) {
    std::fprintf(stderr, "gatewayctl: deployment failed: %s\n",
                 contracts.error().message().c_str());
    return 1;
  }
  const std::string key = "deploy:ProviderRegistry";
  auto first = client->outbox->item_by_key(ledger::ItemKind::kCall,
                                           std::vector<uint8_t>(key.begin(), key.end()));
  LedgerDeployment d;
  d.chain_id = *chain;
  d.contracts = *contracts;
  d.deployed_by = me;
  d.block = first && first->has_value() ? (*first)->block_number.value_or(0) : 0;
  if (existing && same_deployment(*existing, d)) {
    std::printf("deployment file %s is up to date\n", cfg.ledger.deployment.c_str());
  } else if (auto s = write_deployment(cfg.ledger.deployment, d); !s.ok()) {
    std::fprintf(stderr, "gatewayctl: %s\n", s.message().c_str());
    return 1;
  } else {
    std::printf("deployment file written: %s (copy it to every member gateway)\n",
                cfg.ledger.deployment.c_str());
  }
  std::fputs(format_deployment(d).c_str(), stdout);
  return 0;
}

int status(const config::GatewayConfig& cfg) {
  // The store is closed again at once: the TPM is released for gatewayd.
  auto address = [&]() -> gw::Result<std::array<uint8_t, 20>> {
    GW_ASSIGN_OR_RETURN(std::unique_ptr<keys::KeyStore> store,
                        keys::open_key_store(keys::key_store_options(cfg)));
    return store->ledger_address();
  }();
  if (!address.ok()) {
    std::fprintf(stderr, "gatewayctl: key store: %s\n", address.error().message().c_str());
    return 1;
  }
  std::printf("ledger account: %s\n", ledger::to_checksum_hex(*address).c_str());
  std::vector<std::string> problems;
  auto deployment = read_deployment(cfg.ledger.deployment);
  if (!deployment) problems.push_back(deployment.error().message());

  auto rpc = ledger::JsonRpcClient::create(ledger_rpc_options(cfg.ledger));
  if (!rpc) {
    std::fprintf(stderr, "gatewayctl: [ledger] rpc_url or ca_file: %s\n",
                 rpc.error().message().c_str());
    return 1;
  }
  ledger::EthClient eth(**rpc);
  auto chain = eth.chain_id();
  if (!chain) {
    problems.push_back("node unreachable: " + chain.error().describe());
  } else {
    std::printf("chain id: %llu\n", static_cast<unsigned long long>(*chain));
    auto head = eth.block_number();
    if (head) std::printf("head block: %llu\n", static_cast<unsigned long long>(*head));
    auto balance = eth.balance(*address, ledger::BlockRef{});
    if (balance) std::printf("balance: %s wei\n", balance->to_decimal().c_str());
    auto latest = eth.transaction_count(*address, ledger::BlockRef{});
    auto pending =
        eth.transaction_count(*address, ledger::BlockRef::of(ledger::BlockTag::kPending));
    if (latest && pending)
      std::printf("nonce: %llu (pending %llu)\n", static_cast<unsigned long long>(*latest),
                  static_cast<unsigned long long>(*pending));
    if (!head || !balance || !latest || !pending)
      problems.push_back("the node did not answer every query");
  }
  if (deployment && chain) {
    auto verified = check_ledger_node(eth, *deployment, cfg.ledger.chain_id);
    if (!verified) {
      problems.push_back(verified.error().message());
    } else if (!verified->verified) {
      problems.push_back("node unreachable: " + verified->unreachable);
    } else {
      std::printf("deployment: %s verified (deployed by %s at block %llu)\n",
                  cfg.ledger.deployment.c_str(),
                  ledger::to_checksum_hex(deployment->deployed_by).c_str(),
                  static_cast<unsigned long long>(deployment->block));
      ledger::CallRequest call;
      call.to = deployment->contracts.registry;
      call.data = ledger::consortium::is_active(*address);
      auto reply = eth.call(call, ledger::BlockRef{});
      auto active = reply ? ledger::consortium::decode_bool(*reply)
                          : gw::Result<bool>(reply.error().to_status());
      std::printf("active member: %s\n",
                  active ? (*active ? "yes" : "no")
                         : ("unknown (" + active.error().message() + ")").c_str());
    }
  }
  if (std::filesystem::exists(cfg.ledger.outbox)) {
    auto outbox = ledger::OutboxStore::open(cfg.ledger.outbox);
    auto counts = outbox ? (*outbox)->counts() : gw::Result<ledger::OutboxCounts>(outbox.error());
    if (counts) {
      std::printf(
          "outbox: queued=%lld submitted=%lld done=%lld refused=%lld failed=%lld "
          "pending_txs=%lld\n",
          static_cast<long long>(counts->queued), static_cast<long long>(counts->submitted),
          static_cast<long long>(counts->done), static_cast<long long>(counts->refused),
          static_cast<long long>(counts->failed), static_cast<long long>(counts->pending_txs));
      if (counts->oldest_open_ms != 0) {
        std::printf("outbox: the oldest unfinished item has waited %lld s\n",
                    static_cast<long long>(oldest_open_age_s(*counts)));
      }
    } else {
      problems.push_back(counts.error().message());
    }
  } else {
    std::printf("outbox: none yet (%s)\n", cfg.ledger.outbox.c_str());
  }
  for (const auto& p : problems) std::printf("problem: %s\n", p.c_str());
  return problems.empty() ? 0 : 1;
}

}  // namespace

int ctl_fail(const std::string& message) {
  std::fprintf(stderr, "gatewayctl: %s\n", message.c_str());
  return 1;
}

bool parse_decimal_arg(const std::string& text, uint64_t lo, uint64_t hi, uint64_t* out) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

int ledger_usage() {
  std::fputs(ctl_usage("ledger").c_str(), stderr);
  return 2;
}

int ctl_ledger(const std::vector<std::string>& args) {
  if (args.empty()) return usage();
  // The other verbs have their own handlers in the command table (gatewayctl.cc).
  const std::string sub = args[0];
  std::string config_path, founders_path;
  uint64_t quorum = 0, ttl_days = 7;
  for (size_t i = 1; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    if (args[i] == "--config" && has_value) {
      config_path = args[++i];
    } else if (args[i] == "--founders" && has_value && sub == "deploy") {
      founders_path = args[++i];
    } else if (args[i] == "--quorum" && has_value && sub == "deploy") {
      if (!parse_decimal_arg(args[++i], 1, 255, &quorum)) return usage();
    } else if (args[i] == "--ttl-days" && has_value && sub == "deploy") {
      if (!parse_decimal_arg(args[++i], 1, 3650, &ttl_days)) return usage();
    } else {
      return usage();
    }
  }
  if (config_path.empty()) return usage();
  if (sub == "deploy") {
    if (founders_path.empty() || quorum == 0) return usage();
    auto cfg = load(config_path);
    return cfg ? deploy(*cfg, founders_path, quorum, ttl_days) : 1;
  }
  if (sub == "status") {
    auto cfg = load(config_path);
    return cfg ? status(*cfg) : 1;
  }
  return usage();
}

}  // namespace gw::cli
