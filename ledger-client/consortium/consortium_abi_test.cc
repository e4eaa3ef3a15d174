// Holds this library's ABI tables and encoders against the compiled
// artifacts (read here with RapidJSON): a .sol change that the C++ does not
// follow fails these tests. Also checks the embedded bytecode.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "ledger-client/abi/abi_event.h"
#include "ledger-client/consortium/consortium.h"
#include "ledger-client/consortium/test_util.h"

namespace gw::ledger::consortium {
namespace {

using testing::addr_of;
using testing::artifact_bytes;
using testing::artifact_json;
using testing::canonical_params;
using testing::fill;

std::string selector_hex(std::span<const uint8_t> data) {
  return data.size() < 4 ? std::string("(short)") : to_hex(data.first(4));
}

// artifact methodIdentifiers: canonical signature -> selector hex.
std::map<std::string, std::string> method_ids(ContractKind kind) {
  std::map<std::string, std::string> out;
  const auto& doc = artifact_json(kind);
  for (const auto& m : doc["methodIdentifiers"].GetObject())
    out[m.name.GetString()] = m.value.GetString();
  return out;
}

class PerContract : public ::testing::TestWithParam<ContractKind> {};

TEST_P(PerContract, ArtifactIsReadable) {
  const auto& doc = artifact_json(GetParam());
  ASSERT_TRUE(doc.IsObject()) << contract_name(GetParam());
  EXPECT_EQ(std::string(doc["contractName"].GetString()), contract_name(GetParam()));
  EXPECT_EQ(std::string(doc["sourceSha256"].GetString()), source_sha256(GetParam()));
}

TEST_P(PerContract, FunctionsMatchTheArtifactAbi) {
  const ContractKind kind = GetParam();
  const auto& doc = artifact_json(kind);
  ASSERT_TRUE(doc.IsObject());
  // canonical inputs signature -> canonical outputs, from the artifact.
  std::map<std::string, std::string> want;
  for (const auto& e : doc["abi"].GetArray()) {
    std::string type = e["type"].GetString();
    if (type == "function") {
      want[std::string(e["name"].GetString()) + canonical_params(e["inputs"])] =
          canonical_params(e["outputs"]);
    } else if (type == "constructor") {
      want["constructor" + canonical_params(e["inputs"])] = "()";
    }
  }
  std::map<std::string, std::string> ours;
  auto ids = method_ids(kind);
  for (const FunctionSpec& spec : function_specs(kind)) {
    auto sig = parse_function_signature(spec.signature);
    ASSERT_TRUE(sig) << spec.signature << ": " << sig.error().message();
    auto out = parse_abi_type(spec.outputs);
    ASSERT_TRUE(out) << spec.outputs << ": " << out.error().message();
    ASSERT_EQ(out->kind, AbiKind::kTuple) << spec.outputs;
    ours[sig->canonical()] = out->canonical();
    if (sig->name != "constructor") {
      // Our selector (computed as the encoders do) is the compiler's.
      EXPECT_EQ(to_hex(function_selector(sig->canonical())), ids[sig->canonical()])
          << sig->canonical();
    }
  }
  EXPECT_EQ(ours, want) << contract_name(kind);
}

TEST_P(PerContract, EventsMatchTheArtifactAbi) {
  const ContractKind kind = GetParam();
  const auto& doc = artifact_json(kind);
  ASSERT_TRUE(doc.IsObject());
  std::set<std::string> want;
  for (const auto& e : doc["abi"].GetArray()) {
    if (std::string(e["type"].GetString()) != "event") continue;
    ASSERT_FALSE(e["anonymous"].GetBool()) << e["name"].GetString();
    std::string name = e["name"].GetString();
    want.insert(name + canonical_params(e["inputs"], true));
    // The topic decode_event dispatches on is keccak of the artifact's signature.
    auto topic = event_topic0(name);
    ASSERT_TRUE(topic) << name;
    EXPECT_EQ(*topic, event_topic(name + canonical_params(e["inputs"]))) << name;
  }
  std::set<std::string> ours;
  for (std::string_view spec : event_specs(kind)) {
    auto sig = parse_event_signature(spec);
    ASSERT_TRUE(sig) << spec << ": " << sig.error().message();
    std::string s = sig->name + "(";
    for (size_t i = 0; i < sig->params.size(); ++i) {
      if (i) s += ",";
      s += sig->params[i].type.canonical() + (sig->params[i].indexed ? " indexed" : "");
    }
    ours.insert(s + ")");
  }
  EXPECT_EQ(ours, want) << contract_name(kind);
}

TEST_P(PerContract, ErrorsMatchTheArtifactAbi) {
  const ContractKind kind = GetParam();
  const auto& doc = artifact_json(kind);
  ASSERT_TRUE(doc.IsObject());
  std::set<std::string> want;
  for (const auto& e : doc["abi"].GetArray())
    if (std::string(e["type"].GetString()) == "error")
      want.insert(std::string(e["name"].GetString()) + canonical_params(e["inputs"]));
  std::set<std::string> ours;
  for (std::string_view spec : error_specs(kind)) {
    auto sig = parse_function_signature(spec);
    ASSERT_TRUE(sig) << spec << ": " << sig.error().message();
    ours.insert(sig->canonical());
  }
  EXPECT_EQ(ours, want) << contract_name(kind);
  // Every one is in custom_errors() (so decode_revert names it).
  std::set<std::string> all;
  for (const AbiSignature& s : custom_errors()) all.insert(s.canonical());
  for (const std::string& e : want) EXPECT_TRUE(all.count(e)) << e;
}

TEST_P(PerContract, EmbeddedBytecodeIsTheArtifacts) {
  const ContractKind kind = GetParam();
  auto creation = artifact_bytes(kind, "bytecode");
  auto runtime = artifact_bytes(kind, "deployedBytecode");
  ASSERT_FALSE(creation.empty());
  ASSERT_FALSE(runtime.empty());
  auto c = creation_bytecode(kind);
  auto r = runtime_bytecode(kind);
  EXPECT_TRUE(std::equal(c.begin(), c.end(), creation.begin(), creation.end()));
  EXPECT_TRUE(std::equal(r.begin(), r.end(), runtime.begin(), runtime.end()));

  std::set<std::pair<uint32_t, uint32_t>> want, ours;
  for (const auto& id : artifact_json(kind)["immutableReferences"].GetObject())
    for (const auto& ref : id.value.GetArray())
      want.insert({ref["start"].GetUint(), ref["length"].GetUint()});
  for (const ImmutableRange& ir : immutable_references(kind))
    if (ir.length != 0) ours.insert({ir.start, ir.length});
  EXPECT_EQ(ours, want);
}

TEST_P(PerContract, RuntimeCodeMatchesSkipsOnlyImmutables) {
  const ContractKind kind = GetParam();
  auto code = artifact_bytes(kind, "deployedBytecode");
  ASSERT_FALSE(code.empty());
  EXPECT_TRUE(runtime_code_matches(kind, code));

  // What a deployment holds: the immutables filled with arbitrary values.
  std::mt19937 rng(static_cast<unsigned>(kind) + 7);
  std::vector<bool> immutable(code.size(), false);
  for (const ImmutableRange& ir : immutable_references(kind)) {
    ASSERT_LE(size_t{ir.start} + ir.length, code.size());
    for (uint32_t i = ir.start; i < ir.start + ir.length; ++i) {
      code[i] = static_cast<uint8_t>(rng() | 1);
      immutable[i] = true;
    }
  }
  EXPECT_TRUE(runtime_code_matches(kind, code));

  // Any one byte changed outside them is refused: first, last, and a sample.
  std::vector<size_t> positions = {0, code.size() - 1};
  for (int i = 0; i < 200; ++i) positions.push_back(rng() % code.size());
  for (size_t pos : positions) {
    if (immutable[pos]) continue;
    auto changed = code;
    changed[pos] ^= 0x01;
    EXPECT_FALSE(runtime_code_matches(kind, changed)) << "byte " << pos;
  }
  // Other lengths, empty code (no contract), another contract's code.
  auto longer = code;
  longer.push_back(0);
  EXPECT_FALSE(runtime_code_matches(kind, longer));
  EXPECT_FALSE(runtime_code_matches(kind, std::span(code).first(code.size() - 1)));
  EXPECT_FALSE(runtime_code_matches(kind, {}));
  for (ContractKind other : kAllContracts) {
    if (other == kind) continue;
    EXPECT_FALSE(runtime_code_matches(kind, runtime_bytecode(other)));
  }
}

INSTANTIATE_TEST_SUITE_P(Consortium, PerContract, ::testing::ValuesIn(kAllContracts),
                         [](const ::testing::TestParamInfo<ContractKind>& info) {
                           return std::string(contract_name(info.param));
                         });

TEST(ConsortiumAbi, ContractNames) {
  EXPECT_EQ(contract_name(ContractKind::kProviderRegistry), "ProviderRegistry");
  EXPECT_EQ(contract_name(ContractKind::kConsentRegistry), "ConsentRegistry");
  EXPECT_EQ(contract_name(ContractKind::kTransferLog), "TransferLog");
  EXPECT_EQ(contract_name(ContractKind::kAuditAnchor), "AuditAnchor");
  EXPECT_EQ(contract_name(ContractKind::kRecordToken), "RecordToken");
}

// Every encoder's first four bytes are the artifact's selector for the named function.
TEST(ConsortiumAbi, EveryEncoderUsesTheArtifactSelector) {
  const Hash256 h = fill(0x11);
  const Address a = addr_of(0x22);
  const Uint256 n = Uint256::from_u64(5);
  const MemberInfo m{a, "org", "Org", h, h, h, ""};
  const GrantInput g{h, a, Purpose::kTreat, 1, 0, 0, kOpenEnded, h};
  const TransferInput t{n, a, h, h, Purpose::kTreat, 0};
  const AnchorInput an{AnchorKind::kAudit, h, 1, 2, {1, 2, 3}};
  const Hash256 tokens[] = {h};
  const Uint256 ids[] = {n};
  struct Case {
    ContractKind kind;
    std::string function;  // canonical signature or unique name
    std::vector<uint8_t> data;
  };
  using K = ContractKind;
  const std::vector<Case> cases = {
      {K::kProviderRegistry, "proposeAdd", propose_add(m).value()},
      {K::kProviderRegistry, "proposeSuspend", propose_suspend(a)},
      {K::kProviderRegistry, "proposeReinstate", propose_reinstate(a)},
      {K::kProviderRegistry, "proposeRekey", propose_rekey(a, h, h, h)},
      {K::kProviderRegistry, "proposeQuorum", propose_quorum(2)},
      {K::kProviderRegistry, "proposePolicy", propose_policy(n)},
      {K::kProviderRegistry, "approve", approve(n)},
      {K::kProviderRegistry, "isActive", is_active(a)},
      {K::kProviderRegistry, "emergencyAccessEnabled", emergency_access_enabled()},
      {K::kProviderRegistry, "getMember", get_member(a)},
      {K::kProviderRegistry, "accountOf", account_of("org")},
      {K::kProviderRegistry, "memberCount", member_count()},
      {K::kProviderRegistry, "memberAt", member_at(n)},
      {K::kProviderRegistry, "quorum", quorum()},
      {K::kProviderRegistry, "activeCount", active_count()},
      {K::kProviderRegistry, "requiredApprovals", required_approvals()},
      {K::kProviderRegistry, "policy", policy()},
      {K::kProviderRegistry, "proposalTtl", proposal_ttl()},
      {K::kProviderRegistry, "proposalCount", proposal_count()},
      {K::kProviderRegistry, "getProposal", get_proposal(n)},
      {K::kProviderRegistry, "hasApproved", has_approved(n, a)},
      {K::kConsentRegistry, "registerPatient", register_patient(h, a)},
      {K::kConsentRegistry, "transferCustody", transfer_custody(h, a)},
      {K::kConsentRegistry, "setPatientKey", set_patient_key(h, a)},
      {K::kConsentRegistry, "grant", grant(g)},
      {K::kConsentRegistry, "grantBatch", grant_batch(std::span(&g, 1))},
      {K::kConsentRegistry, "revoke", revoke(h, a, Purpose::kTreat, h)},
      {K::kConsentRegistry, "setDeny", set_deny(h, a, 1, true, h)},
      {K::kConsentRegistry, "check", check(h, a, Purpose::kTreat, 1, 0)},
      {K::kConsentRegistry, "consentKey", consent_key_call(h, a, Purpose::kTreat)},
      {K::kConsentRegistry, "getGrant", get_grant(h, a, Purpose::kTreat)},
      {K::kConsentRegistry, "getPatient", get_patient(h)},
      {K::kTransferLog, "recordTransfer", record_transfer(t)},
      {K::kTransferLog, "recordTransfers", record_transfers(std::span(&t, 1))},
      {K::kTransferLog, "isRecorded", is_recorded(a, n)},
      {K::kAuditAnchor, "anchor", anchor(an)},
      {K::kAuditAnchor, "anchorBatch", anchor_batch(std::span(&an, 1))},
      {K::kAuditAnchor, "anchorOf", anchor_of(a, h)},
      {K::kRecordToken, "recordId", record_id_call(h, a)},
      {K::kRecordToken, "mintOrUpdate", mint_or_update(tokens, h)},
      {K::kRecordToken, "updateRoots", update_roots(ids, h)},
      {K::kRecordToken, "recordOf", record_of(n)},
      {K::kRecordToken, "ownerOf", owner_of(n)},
      {K::kRecordToken, "balanceOf", balance_of(a)},
      {K::kRecordToken, "getApproved", get_approved(n)},
      {K::kRecordToken, "isApprovedForAll", is_approved_for_all(a, a)},
      {K::kRecordToken, "transferFrom", token_transfer_from(a, a, n)},
      {K::kRecordToken, "safeTransferFrom(address,address,uint256)",
       token_safe_transfer_from(a, a, n)},
      {K::kRecordToken, "safeTransferFrom(address,address,uint256,bytes)",
       token_safe_transfer_from(a, a, n, std::vector<uint8_t>{1})},
      {K::kRecordToken, "approve", token_approve(a, n)},
      {K::kRecordToken, "setApprovalForAll", set_approval_for_all(a, true)},
  };
  for (const Case& c : cases) {
    std::string want;
    for (const auto& [sig, id] : method_ids(c.kind)) {
      bool match = c.function.find('(') != std::string::npos ? sig == c.function
                                                             : sig.rfind(c.function + "(", 0) == 0;
      if (match) {
        EXPECT_TRUE(want.empty()) << c.function << " is overloaded: name it by signature";
        want = id;
      }
    }
    EXPECT_FALSE(want.empty()) << c.function << " not in " << contract_name(c.kind);
    EXPECT_EQ(selector_hex(c.data), want) << contract_name(c.kind) << "." << c.function;
  }
}

TEST(ConsortiumAbi, CustomErrorsAreDedupedAndDecodeReverts) {
  std::set<std::string> unique;
  for (const AbiSignature& s : custom_errors()) EXPECT_TRUE(unique.insert(s.canonical()).second);
  // NotActiveMember is declared by four contracts, listed once.
  EXPECT_EQ(unique.count("NotActiveMember(address)"), 1u);

  auto sig = parse_function_signature("TransferNotPermitted(uint256,uint8)");
  ASSERT_TRUE(sig);
  const AbiValue args[] = {AbiValue::uint(42), AbiValue::uint(2)};
  auto data = encode_call(*sig, args);
  ASSERT_TRUE(data);
  RevertReason r = decode_revert(*data, custom_errors());
  EXPECT_EQ(r.kind, RevertReason::Kind::kCustom);
  EXPECT_EQ(r.error_signature, "TransferNotPermitted(uint256,uint8)");
  ASSERT_EQ(r.args.size(), 2u);
  EXPECT_EQ(transfer_refusal_name(static_cast<uint8_t>(*r.args[1].as_word()->to_u64())), "DENIED");
}

}  // namespace
}  // namespace gw::ledger::consortium
