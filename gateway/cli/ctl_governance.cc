// gatewayctl ledger: consortium governance from a member gateway.
//
//   ledger members --config FILE
//       Every member of the ProviderRegistry with its status, the quorum and
//       the approvals a proposal needs. Reads only (no key store).
//   ledger propose-add --config FILE --member FILE.json
//       Proposes a new member (one entry in the founders format); prints the
//       proposal id for the other members to approve.
//   ledger propose-suspend | propose-reinstate --config FILE --account 0x...
//   ledger propose-rekey --config FILE --member FILE.json
//       Proposes new keys for a member (its entry in the founders format,
//       with the new encryption key, TLS fingerprint and signing-key hash).
//   ledger propose-quorum --config FILE --quorum N
//   ledger propose-policy --config FILE --emergency-access on|off
//       Proposes the consortium policy with emergency access (ETREAT
//       transfers without consent, flagged) switched on or off.
//   ledger propose-custody --config FILE --patient 0x<64 hex> --custodian 0x...
//       Proposes who holds a patient's custody (and writes its consent) when
//       the member that registered the patient first is disputed.
//   ledger apply-custody --config FILE --proposal ID
//       Applies an executed custody decision in the ConsentRegistry. approve
//       does it by itself when its approval executes one.
//   ledger approve --config FILE --proposal ID
//       Approves a proposal; says whether this approval executed it.
//
// Writes go through this gateway's outbox, signed with its TPM-sealed ledger
// key, exactly as gatewayd sends: stop gatewayd first (it holds the outbox
// lock, and swtpm serves one client).
#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "fhir/json/write.h"
#include "gateway/anchoring/ledger_client.h"
#include "gateway/anchoring/ledger_deployment.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/keys/key_options.h"
#include "ledger-client/account/account.h"
#include "ledger-client/consortium/events.h"
#include "ledger-client/consortium/provider_registry.h"

namespace gw::cli {

using anchoring::ledger_rpc_options;
using anchoring::LedgerClient;
using anchoring::LedgerDeployment;

using anchoring::check_ledger_node;
using anchoring::member_json;
using anchoring::open_ledger_client;
using anchoring::parse_address;
using anchoring::read_deployment;
using anchoring::read_founders;
namespace {

namespace cs = ledger::consortium;

const char* approvals_word(const ledger::Uint256& n) {
  return n == ledger::Uint256::from_u64(1) ? "approval" : "approvals";
}

std::string_view status_name(cs::MemberStatus s) {
  switch (s) {
    case cs::MemberStatus::kActive:
      return "active";
    case cs::MemberStatus::kSuspended:
      return "suspended";
    case cs::MemberStatus::kNone:
      break;
  }
  return "none";
}

// eth_call of a registry view.
gw::Result<std::vector<uint8_t>> view(ledger::EthClient& eth, const LedgerDeployment& d,
                                      std::vector<uint8_t> data) {
  ledger::CallRequest call;
  call.to = d.contracts.registry;
  call.data = std::move(data);
  auto r = eth.call(call, ledger::BlockRef{});
  if (!r) return r.error().to_status();
  return *r;
}

// The consortium policy bits (POLICY_*), as the registry holds them now.
gw::Result<ledger::Uint256> read_policy(ledger::EthClient& eth, const LedgerDeployment& d) {
  auto data = view(eth, d, cs::policy());
  if (!data) return data.error();
  return cs::decode_uint256(*data);
}

bool emergency_access(const ledger::Uint256& policy) {
  return (policy.bytes()[31] & cs::kPolicyEmergencyAccess) != 0;
}

// Opens the node for reading (no key store: gatewayd may be running) and runs
// fn(eth, deployment).
template <typename Fn>
int read_registry(const config::GatewayConfig& cfg, Fn fn) {
  auto d = read_deployment(cfg.ledger.deployment);
  if (!d) return ctl_fail(d.error().message());
  auto rpc = ledger::JsonRpcClient::create(ledger_rpc_options(cfg.ledger));
  if (!rpc) return ctl_fail("[ledger] rpc_url or ca_file: " + rpc.error().message());
  ledger::EthClient eth(**rpc);
  return fn(eth, *d);
}

// `members`: a table, or with --json one document with every member's full
// entry (founders format plus "status") for automation and key checks.
int print_members(ledger::EthClient& eth, const LedgerDeployment& d, bool json) {
  auto count_data = view(eth, d, cs::member_count());
  if (!count_data) return ctl_fail("ledger node: " + count_data.error().message());
  auto count = cs::decode_uint256(*count_data);
  if (!count || !count->to_u64() || *count->to_u64() > 100000)
    return ctl_fail("bad memberCount reply");
  fhir::JsonValue list = fhir::JsonValue::make_array();
  for (uint64_t i = 0; i < *count->to_u64(); ++i) {
    auto at = view(eth, d, cs::member_at(ledger::Uint256::from_u64(i)));
    auto account = at ? cs::decode_address(*at) : gw::Result<ledger::Address>(at.error());
    if (!account)
      return ctl_fail("memberAt(" + std::to_string(i) + "): " + account.error().message());
    auto m = view(eth, d, cs::get_member(*account));
    auto member = m ? cs::decode_member(*m) : gw::Result<cs::Member>(m.error());
    if (!member) return ctl_fail("getMember: " + member.error().message());
    if (json) {
      fhir::JsonValue& entry = list.push(member_json(member->info));
      entry.add("status", fhir::JsonValue::make_string(std::string(status_name(member->status))));
      continue;
    }
    std::printf("%s  %-9s  %s  %s\n", ledger::to_checksum_hex(*account).c_str(),
                std::string(status_name(member->status)).c_str(), member->info.org_id.c_str(),
                member->info.name.c_str());
  }
  auto q = view(eth, d, cs::quorum());
  auto needed = view(eth, d, cs::required_approvals());
  auto qv = q ? cs::decode_uint256(*q) : gw::Result<ledger::Uint256>(q.error());
  auto nv = needed ? cs::decode_uint256(*needed) : gw::Result<ledger::Uint256>(needed.error());
  if (!qv || !nv) return ctl_fail("quorum: " + (qv ? nv.error() : qv.error()).message());
  auto policy = read_policy(eth, d);
  if (!policy) return ctl_fail("policy: " + policy.error().message());
  if (json) {
    fhir::JsonValue doc = fhir::JsonValue::make_object();
    doc.add("members", std::move(list));
    doc.add("quorum", fhir::JsonValue::make_number(qv->to_decimal()));
    doc.add("approvals_needed", fhir::JsonValue::make_number(nv->to_decimal()));
    doc.add("emergency_access", fhir::JsonValue::make_bool(emergency_access(*policy)));
    std::fputs((fhir::write_json(doc, /*pretty=*/true) + "\n").c_str(), stdout);
    return 0;
  }
  std::printf("quorum: %s (a proposal needs %s %s)\n", qv->to_decimal().c_str(),
              nv->to_decimal().c_str(), approvals_word(*nv));
  std::printf("emergency access: %s\n", emergency_access(*policy) ? "on" : "off");
  return 0;
}

// This gateway's ledger account, ready to send: TPM key unsealed (and the
// TPM released), outbox locked, node and deployment verified, submitter
// started.
struct Writer {
  LedgerDeployment deployment;
  LedgerClient client;
};

std::optional<Writer> open_writer(const config::GatewayConfig& cfg) {
  auto fail = [](const std::string& message) -> std::optional<Writer> {
    ctl_fail(message);
    return std::nullopt;
  };
  auto d = read_deployment(cfg.ledger.deployment);
  if (!d) return fail(d.error().message());
  auto keys = keys::load_keys(cfg);
  if (!keys.ok()) return fail(keys.error().message());
  keys->key_store.reset();  // release the TPM
  auto client = open_ledger_client(cfg.ledger, keys->working.ledger_key.view(), d->contracts);
  if (!client) return fail(client.error().message());
  auto verified = check_ledger_node(*client->eth, *d, cfg.ledger.chain_id);
  if (!verified) return fail(verified.error().message());
  if (!verified->verified) return fail("ledger node unreachable: " + verified->unreachable);
  if (auto s = client->submitter->start(); !s.ok()) return fail(s.message());
  return Writer{std::move(*d), std::move(*client)};
}

void print_event(const cs::Event& ev, std::vector<ledger::Uint256>* custody_decisions) {
  if (auto* c = std::get_if<cs::ProposalCreated>(&ev)) {
    std::printf("proposal id: %s (target %s, open until unix time %llu)\n",
                c->proposal_id.to_decimal().c_str(), ledger::to_checksum_hex(c->target).c_str(),
                static_cast<unsigned long long>(c->expires_at));
  } else if (auto* a = std::get_if<cs::ProposalApproved>(&ev)) {
    std::printf("proposal %s approved by %s (%s %s)\n", a->proposal_id.to_decimal().c_str(),
                ledger::to_checksum_hex(a->approver).c_str(), a->approvals.to_decimal().c_str(),
                approvals_word(a->approvals));
  } else if (auto* x = std::get_if<cs::ProposalExecuted>(&ev)) {
    std::printf("proposal %s executed\n", x->proposal_id.to_decimal().c_str());
  } else if (auto* m = std::get_if<cs::MemberAdded>(&ev)) {
    std::printf("member added: %s %s\n", ledger::to_checksum_hex(m->account).c_str(),
                m->org_id.c_str());
  } else if (auto* s = std::get_if<cs::MemberSuspended>(&ev)) {
    std::printf("member suspended: %s\n", ledger::to_checksum_hex(s->account).c_str());
  } else if (auto* r = std::get_if<cs::MemberReinstated>(&ev)) {
    std::printf("member reinstated: %s\n", ledger::to_checksum_hex(r->account).c_str());
  } else if (auto* k = std::get_if<cs::MemberRekeyed>(&ev)) {
    std::printf("member rekeyed: %s\n", ledger::to_checksum_hex(k->account).c_str());
  } else if (auto* q = std::get_if<cs::QuorumChanged>(&ev)) {
    std::printf("quorum changed: %u\n", static_cast<unsigned>(q->quorum));
  } else if (auto* p = std::get_if<cs::PolicyChanged>(&ev)) {
    std::printf("policy changed: emergency access %s\n",
                emergency_access(p->policy) ? "on" : "off");
  } else if (auto* cd = std::get_if<cs::CustodyDecided>(&ev)) {
    std::printf("custody decided: patient 0x%s to %s\n", ledger::to_hex(cd->patient_token).c_str(),
                ledger::to_checksum_hex(cd->custodian).c_str());
    if (custody_decisions) custody_decisions->push_back(cd->proposal_id);
  } else if (auto* cr = std::get_if<cs::CustodyReassigned>(&ev)) {
    std::printf("custody of patient 0x%s moved from %s to %s (decision %s)\n",
                ledger::to_hex(cr->patient_token).c_str(),
                ledger::to_checksum_hex(cr->from).c_str(), ledger::to_checksum_hex(cr->to).c_str(),
                cr->proposal_id.to_decimal().c_str());
  } else if (auto* pk = std::get_if<cs::PatientKeyChanged>(&ev)) {
    if (pk->patient_key == ledger::Address{}) std::printf("patient key cleared\n");
  }
}

// Sends one call from this gateway, waits for its outcome and prints what its
// events say; custody decisions it executed are appended to *decisions.
int submit(Writer& w, const ledger::Address& to, std::vector<uint8_t> data,
           std::vector<ledger::Uint256>* decisions) {
  auto seq = w.client.submitter->enqueue_call(to, std::move(data));
  if (!seq) return ctl_fail(seq.error().message());
  if (auto s = w.client.submitter->drain(std::chrono::seconds(120)); !s.ok())
    return ctl_fail(s.message());
  auto item = w.client.outbox->item(*seq);
  if (!item || !item->has_value()) return ctl_fail("the outbox lost the call");
  const ledger::OutboxItem& it = **item;
  if (it.state != ledger::ItemState::kDone || !it.tx_hash) {
    return ctl_fail("the contract refused it: " + it.outcome);
  }
  std::printf("transaction: 0x%s (block %llu)\n", ledger::to_hex(*it.tx_hash).c_str(),
              static_cast<unsigned long long>(it.block_number.value_or(0)));
  auto receipt = w.client.eth->transaction_receipt(*it.tx_hash);
  if (!receipt || !receipt->has_value()) return 0;
  for (const ledger::Log& log : (*receipt)->logs) {
    auto ev = cs::decode_event(log.topics, log.data);
    if (ev && ev->has_value()) print_event(**ev, decisions);
  }
  return 0;
}

// Sends one registry call. A custody decision it executed is applied in the
// ConsentRegistry at once (anyone may; the member whose approval completed it
// is the natural one).
int send(const config::GatewayConfig& cfg, std::vector<uint8_t> data) {
  auto w = open_writer(cfg);
  if (!w) return 1;
  std::vector<ledger::Uint256> decisions;
  if (int rc = submit(*w, w->deployment.contracts.registry, std::move(data), &decisions); rc != 0)
    return rc;
  for (const ledger::Uint256& id : decisions) {
    int rc = submit(*w, w->deployment.contracts.consents, cs::apply_custody_decision(id), nullptr);
    if (rc != 0) return rc;
  }
  return 0;
}

// Proposes the current policy with emergency access switched to `on`; other
// policy bits (none are defined yet) are kept as they are.
int propose_policy(const config::GatewayConfig& cfg, bool on) {
  std::optional<ledger::Uint256> next;
  int rc = read_registry(cfg, [&](ledger::EthClient& eth, const LedgerDeployment& d) {
    auto now = read_policy(eth, d);
    if (!now) return ctl_fail("policy: " + now.error().message());
    if (emergency_access(*now) == on) {
      std::printf("emergency access is already %s: nothing proposed\n", on ? "on" : "off");
      return 0;
    }
    std::array<uint8_t, 32> bits = now->bytes();
    bits[31] = static_cast<uint8_t>(bits[31] ^ cs::kPolicyEmergencyAccess);
    next = ledger::Uint256(bits);
    return 0;
  });
  if (rc != 0 || !next) return rc;
  return send(cfg, cs::propose_policy(*next));
}

// The --member file of propose-add and propose-rekey: exactly one entry.
gw::Result<cs::MemberInfo> read_one_member(const std::string& path) {
  auto m = read_founders(path);
  if (!m) return m.error();
  if (m->size() != 1) return invalid_argument_error(path + ": give exactly one member");
  return m->front();
}

}  // namespace

int ctl_ledger_governance(const std::vector<std::string>& args) {
  const std::string sub = args.at(0);
  std::string config_path, member_path, account_text, proposal_text, quorum_text, emergency;
  std::string patient_text, custodian_text;
  bool json = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    if (args[i] == "--config" && has_value) {
      config_path = args[++i];
    } else if (args[i] == "--member" && has_value &&
               (sub == "propose-add" || sub == "propose-rekey")) {
      member_path = args[++i];
    } else if (args[i] == "--account" && has_value &&
               (sub == "propose-suspend" || sub == "propose-reinstate")) {
      account_text = args[++i];
    } else if (args[i] == "--proposal" && has_value &&
               (sub == "approve" || sub == "apply-custody")) {
      proposal_text = args[++i];
    } else if (args[i] == "--quorum" && has_value && sub == "propose-quorum") {
      quorum_text = args[++i];
    } else if (args[i] == "--emergency-access" && has_value && sub == "propose-policy") {
      emergency = args[++i];
    } else if (args[i] == "--patient" && has_value && sub == "propose-custody") {
      patient_text = args[++i];
    } else if (args[i] == "--custodian" && has_value && sub == "propose-custody") {
      custodian_text = args[++i];
    } else if (args[i] == "--json" && sub == "members") {
      json = true;
    } else {
      return ledger_usage();
    }
  }
  if (config_path.empty()) return ledger_usage();
  uint64_t quorum = 0;
  if (sub == "propose-quorum" && !parse_decimal_arg(quorum_text, 1, 255, &quorum))
    return ctl_fail("--quorum: expected a number of approvals from 1 to 255");
  if (sub == "propose-policy" && emergency != "on" && emergency != "off")
    return ctl_fail("--emergency-access: expected on or off");
  ledger::Hash256 patient{};
  ledger::Address custodian{};
  if (sub == "propose-custody") {
    auto bytes = ledger::from_hex(patient_text);
    if (!bytes || bytes->size() != 32 || patient_text.size() != 66)
      return ctl_fail(
          "--patient: expected the patient token as the chain shows it, 0x and 64 hex "
          "digits");
    std::copy(bytes->begin(), bytes->end(), patient.begin());
    auto a = parse_address(custodian_text);
    if (!a) return ctl_fail("--custodian: " + a.error().message());
    custodian = *a;
  }
  auto cfg = config::load_config(config_path);
  if (!cfg) return ctl_fail("configuration error: " + cfg.error().message());
  if (cfg->ledger.rpc_url.empty()) return ctl_fail(config_path + ": [ledger] rpc_url is not set");
  if (sub == "members") {
    return read_registry(*cfg, [json](ledger::EthClient& eth, const LedgerDeployment& d) {
      return print_members(eth, d, json);
    });
  }
  if (sub == "propose-add" || sub == "propose-rekey") {
    if (member_path.empty()) return ledger_usage();
    auto m = read_one_member(member_path);
    if (!m) return ctl_fail(m.error().message());
    if (sub == "propose-rekey") {
      return send(*cfg, cs::propose_rekey(m->account, m->encryption_key, m->tls_fingerprint,
                                          m->signing_key_hash));
    }
    auto data = cs::propose_add(*m);
    if (!data) return ctl_fail(data.error().message());
    return send(*cfg, std::move(*data));
  }
  if (sub == "propose-quorum") return send(*cfg, cs::propose_quorum(static_cast<uint8_t>(quorum)));
  if (sub == "propose-policy") return propose_policy(*cfg, emergency == "on");
  if (sub == "propose-custody") return send(*cfg, cs::propose_custody(patient, custodian));
  if (sub == "propose-suspend" || sub == "propose-reinstate") {
    auto account = parse_address(account_text);
    if (!account) return ctl_fail("--account: " + account.error().message());
    return send(*cfg, sub == "propose-suspend" ? cs::propose_suspend(*account)
                                               : cs::propose_reinstate(*account));
  }
  auto id = ledger::Uint256::from_decimal(proposal_text);
  if (!id) return ctl_fail("--proposal: expected a decimal proposal id");
  if (sub == "apply-custody") {
    auto w = open_writer(*cfg);
    if (!w) return 1;
    return submit(*w, w->deployment.contracts.consents, cs::apply_custody_decision(*id), nullptr);
  }
  return send(*cfg, cs::approve(*id));
}

}  // namespace gw::cli
