// gatewayctl ledger: what a member shows the consortium, and what an auditor
// checks against the ledger.
//
//   ledger member-entry --config FILE --org-id ID --name NAME
//                       [--tls-fingerprint HEX] [--accreditation REF]
//       Prints this gateway's entry in the founders format (founders.json,
//       the --member file of propose-add and propose-rekey): its ledger
//       account, the public half of its current X25519 payload key and the
//       SHA-256 of its batch-signing public key, read from the key store, and
//       the SHA-256 of its [https] certificate.
//   ledger verify --config FILE [--batch ID | --from ID]
//       For every record batch (or one, or those from ID on): rebuilds its
//       Merkle root from the store's record commitments, verifies its TPM
//       signature, checks that the registry lists this batch-signing key for
//       this member, and finds the batch's anchor on the ledger with the same
//       record range and signature. One line per batch and a summary; exit 0
//       when nothing is wrong (batches not anchored yet are not wrong), 1
//       otherwise.
//
// Both read the public keys from the key store (swtpm serves one client: stop
// gatewayd first when the TPM is a simulator). verify reads the store beside
// a running gatewayd.
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/anchoring/batch_audit.h"
#include "gateway/anchoring/ledger_client.h"
#include "gateway/anchoring/ledger_deployment.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/keys/key_options.h"
#include "gateway/store/message_store.h"
#include "ledger-client/account/account.h"
#include "ledger-client/consortium/provider_registry.h"

namespace gw::cli {

using anchoring::AnchorState;
using anchoring::BatchSignatureVerifier;
using anchoring::check_batch_anchor;

using anchoring::AnchorCheck;
using anchoring::certificate_fingerprint;
using anchoring::ChainAnchor;
using anchoring::check_batch_records;
using anchoring::check_ledger_node;
using anchoring::format_members;
using anchoring::ledger_rpc_options;
using anchoring::LedgerDeployment;
using anchoring::public_key_hash;
using anchoring::read_deployment;
namespace {

namespace cs = ledger::consortium;

struct PublicKeys {
  ledger::Address account{};
  std::string batch_key_pem;
  ledger::Hash256 batch_key_hash{};
  keys::PayloadPublicKey payload_key;  // only when asked for
};

std::optional<PublicKeys> read_public_keys(const config::GatewayConfig& cfg,
                                           bool with_payload_key) {
  std::optional<std::array<uint8_t, 20>> address;
  keys::PayloadPublicKey payload_key;
  const auto read_keys = [&]() -> gw::Result<std::string> {
    GW_ASSIGN_OR_RETURN(std::unique_ptr<keys::KeyStore> store,
                        keys::open_key_store(keys::key_store_options(cfg)));
    GW_ASSIGN_OR_RETURN(address, store->ledger_address());
    if (with_payload_key) {
      GW_ASSIGN_OR_RETURN(payload_key, store->payload_public_key());
    }
    return store->batch_signing_public_key();
  };  // the store (and the TPM) is released when it returns
  auto pem = read_keys();
  if (!pem.ok()) {
    ctl_fail("key store: " + pem.error().message());
    return std::nullopt;
  }
  auto hash = public_key_hash(*pem);
  if (!hash) {
    ctl_fail("batch-signing key: " + hash.error().message());
    return std::nullopt;
  }
  return PublicKeys{*address, std::move(*pem), *hash, payload_key};
}

std::optional<ledger::Hash256> parse_key32(const std::string& text) {
  auto bytes = ledger::from_hex(text);
  if (!bytes || bytes->size() != 32) return std::nullopt;
  ledger::Hash256 h{};
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

int member_entry(const config::GatewayConfig& cfg, cs::MemberInfo m,
                 const std::string& tls_fingerprint) {
  if (!tls_fingerprint.empty()) {
    auto fp = parse_key32(tls_fingerprint);
    if (!fp) return ctl_fail("--tls-fingerprint: give 64 hex digits (a SHA-256)");
    m.tls_fingerprint = *fp;
  } else if (!cfg.https.cert_file.empty()) {
    auto fp = certificate_fingerprint(cfg.https.cert_file);
    if (!fp) return ctl_fail("[https] cert_file: " + fp.error().message());
    m.tls_fingerprint = *fp;
  } else {
    return ctl_fail(
        "[https] cert_file is not set: give --tls-fingerprint (the SHA-256 of the certificate "
        "this gateway presents to other members)");
  }
  auto keys = read_public_keys(cfg, /*with_payload_key=*/true);
  if (!keys) return 1;
  m.account = keys->account;
  m.signing_key_hash = keys->batch_key_hash;
  m.encryption_key = keys->payload_key.public_key;
  if (auto s = cs::validate_member(m); !s.ok()) return ctl_fail(s.message());
  const cs::MemberInfo entry[] = {m};
  std::fputs(format_members(entry).c_str(), stdout);
  return 0;
}

// The registry's view of this member: problems, or none.
std::vector<std::string> check_registry(ledger::EthClient& eth, const LedgerDeployment& d,
                                        const PublicKeys& keys) {
  ledger::CallRequest call;
  call.to = d.contracts.registry;
  call.data = cs::get_member(keys.account);
  auto reply = eth.call(call, ledger::BlockRef{});
  if (!reply) return {"getMember: " + reply.error().describe()};
  auto member = cs::decode_member(*reply);
  if (!member) return {"getMember: " + member.error().message()};
  std::vector<std::string> problems;
  if (member->status == cs::MemberStatus::kNone)
    return {"this gateway's account is not a member of the consortium"};
  if (member->status != cs::MemberStatus::kActive)
    problems.push_back("this gateway's membership is suspended");
  if (member->info.signing_key_hash != keys.batch_key_hash) {
    problems.push_back(
        "the registry lists batch-signing key " + ledger::to_hex_0x(member->info.signing_key_hash) +
        " for this member, but this appliance's key is " + ledger::to_hex_0x(keys.batch_key_hash) +
        " (propose-rekey with the output of member-entry)");
  }
  return problems;
}

// anchorOf(member, root) for each batch in one JSON-RPC batch request, then
// the Anchored events of the anchored ones, one eth_getLogs per block that
// holds any (the outbox anchors many batches per transaction, so a page of
// batches usually spans a few blocks): a handful of round trips per page
// instead of two per batch, which matters on a node across a WAN.
gw::Result<std::vector<ChainAnchor>> read_anchors(ledger::EthClient& eth, const LedgerDeployment& d,
                                                  const ledger::Address& member,
                                                  std::span<const store::SignedBatch> batches) {
  std::vector<ledger::CallRequest> calls;
  calls.reserve(batches.size());
  for (const auto& b : batches) {
    ledger::CallRequest call;
    call.to = d.contracts.anchors;
    call.data = cs::anchor_of(member, b.root);
    calls.push_back(std::move(call));
  }
  auto replies = eth.calls(calls, ledger::BlockRef{});
  std::vector<ChainAnchor> out(batches.size());
  std::map<uint64_t, std::vector<size_t>> by_block;
  for (size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i]) return replies[i].error().to_status().with_context("anchorOf");
    auto record = cs::decode_anchor_of(*replies[i]);
    if (!record) return record.error().with_context("anchorOf");
    out[i].record = *record;
    if (record->anchored_at != 0) by_block[record->block_number].push_back(i);
  }
  ledger::Hash256 member_topic{};
  std::copy(member.begin(), member.end(), member_topic.begin() + 12);
  for (const auto& [block, indexes] : by_block) {
    std::vector<ledger::Hash256> roots;
    for (size_t i : indexes) roots.push_back(batches[i].root);
    ledger::LogFilter f;
    f.addresses = {d.contracts.anchors};
    f.topics = {std::vector<ledger::Hash256>{*cs::event_topic0("Anchored")},
                std::vector<ledger::Hash256>{member_topic}, roots};
    f.from_block = ledger::BlockRef::at(block);
    f.to_block = ledger::BlockRef::at(block);
    auto logs = eth.get_logs(f);
    if (!logs) return logs.error().to_status().with_context("eth_getLogs");
    for (const ledger::Log& l : *logs) {
      if (l.removed || l.address != d.contracts.anchors) continue;
      auto e = cs::decode_event(l.topics, l.data);
      if (!e || !e->has_value()) continue;
      const auto* a = std::get_if<cs::Anchored>(&**e);
      if (a == nullptr || a->member != member) continue;
      for (size_t i : indexes)
        if (batches[i].root == a->root) out[i].event = *a;
    }
  }
  return out;
}

int verify(const config::GatewayConfig& cfg, int64_t after_id, std::optional<int64_t> only) {
  auto keys = read_public_keys(cfg, /*with_payload_key=*/false);
  if (!keys) return 1;
  auto verifier = BatchSignatureVerifier::from_pem(keys->batch_key_pem);
  if (!verifier) return ctl_fail(verifier.error().message());
  std::printf("ledger account: %s\nbatch-signing key: %s\n",
              ledger::to_checksum_hex(keys->account).c_str(),
              ledger::to_hex_0x(keys->batch_key_hash).c_str());
  std::string error;
  const std::string db = cfg.message_store_path();
  if (!std::filesystem::exists(db)) return ctl_fail("no store at " + db);
  auto opened = store::BatchStore::open(db);
  if (!opened.ok()) return ctl_fail(opened.error().message());
  std::unique_ptr<store::BatchStore> batches = std::move(opened).value();

  std::vector<std::string> problems;
  std::unique_ptr<ledger::JsonRpcClient> rpc;
  std::unique_ptr<ledger::EthClient> eth;
  std::optional<LedgerDeployment> deployment;
  if (cfg.ledger.rpc_url.empty()) {
    problems.push_back("[ledger] rpc_url is not set: anchors were not checked");
  } else if (auto d = read_deployment(cfg.ledger.deployment); !d) {
    problems.push_back(d.error().message() + ": anchors were not checked");
  } else if (auto r = ledger::JsonRpcClient::create(ledger_rpc_options(cfg.ledger)); !r) {
    problems.push_back("[ledger] rpc_url or ca_file: " + r.error().message());
  } else {
    rpc = std::move(*r);
    eth = std::make_unique<ledger::EthClient>(*rpc);
    auto verified = check_ledger_node(*eth, *d, cfg.ledger.chain_id);
    if (!verified) {
      problems.push_back(verified.error().message() + ": anchors were not checked");
    } else if (!verified->verified) {
      problems.push_back("ledger node unreachable (" + verified->unreachable +
                         "): anchors were not checked");
    } else {
      deployment = *d;
      for (auto& p : check_registry(*eth, *deployment, *keys)) problems.push_back(std::move(p));
    }
  }
  for (const auto& p : problems) std::printf("problem: %s\n", p.c_str());

  uint64_t total = 0, anchored = 0, not_yet = 0, wrong = 0;
  bool ledger_failed = false;
  for (;;) {
    auto listed = batches->list(only ? *only - 1 : after_id, only ? 1 : 100);
    if (!listed.ok()) return ctl_fail(listed.error().message());
    const std::vector<store::SignedBatch> page = std::move(listed).value();
    if (page.empty() || (only && page.front().id != *only)) break;
    after_id = page.back().id;
    std::vector<ChainAnchor> chain;
    if (deployment && !ledger_failed) {
      auto read = read_anchors(*eth, *deployment, keys->account, page);
      if (read) {
        chain = std::move(*read);
      } else {
        // The node went away mid-run: report it once and carry on locally.
        ledger_failed = true;
        problems.push_back("ledger node: " + read.error().message());
        std::printf("problem: ledger node: %s (later anchors not checked)\n",
                    read.error().message().c_str());
      }
    }
    for (size_t i = 0; i < page.size(); ++i) {
      const store::SignedBatch& b = page[i];
      ++total;
      auto records = batches->records_in(b.first_seq, b.last_seq);
      if (!records.ok()) return ctl_fail(records.error().message());
      std::vector<std::string> wrongs = check_batch_records(b, *records, *verifier);
      std::string chain_state = "anchors not checked";
      if (!chain.empty()) {
        AnchorCheck a = check_batch_anchor(b, keys->account, chain[i]);
        if (a.state == AnchorState::kAnchored) {
          ++anchored;
          chain_state = "anchored in block " + std::to_string(chain[i].record.block_number);
        } else if (a.state == AnchorState::kNotYet) {
          ++not_yet;
          chain_state = "not anchored yet";
        }
        for (auto& p : a.problems) wrongs.push_back(std::move(p));
      }
      std::printf("batch %" PRId64 "  records %" PRId64 "-%" PRId64 " (%" PRId64 ")  root %s  ",
                  b.id, b.first_seq, b.last_seq, b.record_count, ledger::to_hex_0x(b.root).c_str());
      if (wrongs.empty()) {
        std::printf("ok, %s\n", chain_state.c_str());
      } else {
        ++wrong;
        std::printf("WRONG:");
        for (size_t k = 0; k < wrongs.size(); ++k)
          std::printf("%s %s", k == 0 ? "" : ";", wrongs[k].c_str());
        std::printf("\n");
      }
    }
    if (only) break;
  }
  if (only && total == 0) return ctl_fail("no batch " + std::to_string(*only));
  std::printf("%" PRIu64 " %s: %" PRIu64 " wrong, %" PRIu64 " anchored, %" PRIu64
              " not anchored yet\n",
              total, total == 1 ? "batch" : "batches", wrong, anchored, not_yet);
  return wrong == 0 && problems.empty() ? 0 : 1;
}

}  // namespace

int ctl_ledger_audit(const std::vector<std::string>& args) {
  const std::string& sub = args.at(0);
  std::string config_path, tls_fingerprint;
  cs::MemberInfo m;
  std::optional<int64_t> only;
  int64_t after_id = 0;
  bool named_org = false, named = false, range_given = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    const bool entry = sub == "member-entry";
    uint64_t id = 0;
    if (args[i] == "--config" && has_value) {
      config_path = args[++i];
    } else if (args[i] == "--org-id" && has_value && entry) {
      m.org_id = args[++i];
      named_org = true;
    } else if (args[i] == "--name" && has_value && entry) {
      m.name = args[++i];
      named = true;
    } else if (args[i] == "--accreditation" && has_value && entry) {
      m.accreditation = args[++i];
    } else if (args[i] == "--encryption-key" && entry) {
      return ctl_fail(
          "--encryption-key is no longer accepted: the X25519 payload key now comes from the key "
          "store (gatewayctl tpm provision creates it, gatewayctl tpm rotate-payload-key makes a "
          "new one); leave the option out");
    } else if (args[i] == "--tls-fingerprint" && has_value && entry) {
      tls_fingerprint = args[++i];
    } else if ((args[i] == "--batch" || args[i] == "--from") && has_value && !entry &&
               !range_given && parse_decimal_arg(args[i + 1], 1, INT64_MAX, &id)) {
      range_given = true;
      if (args[i] == "--batch") {
        only = static_cast<int64_t>(id);
      } else {
        after_id = static_cast<int64_t>(id) - 1;
      }
      ++i;
    } else {
      return ledger_usage();
    }
  }
  if (config_path.empty()) return ledger_usage();
  if (sub == "member-entry" && (!named_org || !named)) return ledger_usage();
  auto cfg = config::load_config(config_path);
  if (!cfg) return ctl_fail("configuration error: " + cfg.error().message());
  if (cfg->keys.store == "software")
    std::fprintf(stderr, "WARNING: %s\n", keys::kSoftwareKeyStoreWarning);
  if (sub == "verify") return verify(*cfg, after_id, only);
  return member_entry(*cfg, std::move(m), tls_fingerprint);
}

}  // namespace gw::cli
