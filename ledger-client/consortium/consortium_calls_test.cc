// Round trips of the call encoders (decode the arguments after the selector
// and compare with the input) and the result decoders on well-formed and
// hostile eth_call return data.
#include <gtest/gtest.h>

#include <chrono>

#include "ledger-client/consortium/consortium.h"
#include "ledger-client/consortium/test_util.h"

namespace gw::ledger::consortium {
namespace {

using testing::addr_of;
using testing::fill;

AbiValue b32(const Hash256& h) { return AbiValue::bytes({h.begin(), h.end()}); }
AbiValue ad(const Address& a) { return AbiValue::address(a); }
AbiValue u(uint64_t v) { return AbiValue::uint(v); }

// Decodes `data` after its selector (or after `skip` bytes) as `params`,
// strictly: our encodings must be exactly what solc's encoder would produce.
std::vector<AbiValue> args_of(std::span<const uint8_t> data, std::string_view params,
                              size_t skip = 4) {
  auto types = parse_abi_type(params);
  EXPECT_TRUE(types) << params;
  if (!types || data.size() < skip) return {};
  auto v = abi_decode(types->components, data.subspan(skip), {.strict = true});
  EXPECT_TRUE(v) << params << ": " << v.error().message();
  return v ? *v : std::vector<AbiValue>{};
}

std::vector<uint8_t> encode(std::string_view types_text, std::vector<AbiValue> values) {
  auto t = parse_abi_type(types_text);
  EXPECT_TRUE(t);
  auto e = abi_encode(t->components, values);
  EXPECT_TRUE(e) << e.error().message();
  return e ? *e : std::vector<uint8_t>{};
}

MemberInfo member(uint8_t n) {
  return {addr_of(n),  "org-" + std::to_string(n), "Org " + std::to_string(n), fill(n), fill(n + 1),
          fill(n + 2), "accr-" + std::to_string(n)};
}

AbiValue member_value(const MemberInfo& m) {
  return AbiValue::list({ad(m.account), AbiValue::string(m.org_id), AbiValue::string(m.name),
                         b32(m.encryption_key), b32(m.tls_fingerprint), b32(m.signing_key_hash),
                         AbiValue::string(m.accreditation)});
}

constexpr std::string_view kMemberInfo = "(address,string,string,bytes32,bytes32,bytes32,string)";

TEST(ConsortiumCalls, DeployProviderRegistry) {
  const MemberInfo founders[] = {member(1), member(2), member(3)};
  auto data = deploy_provider_registry(founders, 2, 86400);
  ASSERT_TRUE(data) << data.error().message();
  auto code = creation_bytecode(ContractKind::kProviderRegistry);
  ASSERT_GT(data->size(), code.size());
  EXPECT_TRUE(std::equal(code.begin(), code.end(), data->begin()));
  auto args = args_of(*data, "(" + std::string(kMemberInfo) + "[],uint8,uint64)", code.size());
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[0], AbiValue::list({member_value(founders[0]), member_value(founders[1]),
                                     member_value(founders[2])}));
  EXPECT_EQ(args[1], u(2));
  EXPECT_EQ(args[2], u(86400));
}

TEST(ConsortiumCalls, DeployProviderRegistryRefusesWhatTheConstructorWould) {
  const MemberInfo one[] = {member(1)};
  const MemberInfo two[] = {member(1), member(2)};
  EXPECT_TRUE(deploy_provider_registry(one, 1, 60));
  EXPECT_FALSE(deploy_provider_registry({}, 1, 60));
  EXPECT_FALSE(deploy_provider_registry(one, 0, 60));
  EXPECT_FALSE(deploy_provider_registry(one, 2, 60));
  EXPECT_FALSE(deploy_provider_registry(two, 1, 60));  // one key must not govern two members
  EXPECT_FALSE(deploy_provider_registry(one, 1, 0));
  MemberInfo dup[] = {member(1), member(1)};
  dup[1].account = addr_of(9);  // same orgId, other account
  EXPECT_FALSE(deploy_provider_registry(dup, 2, 60));
  MemberInfo bad[] = {member(1)};
  bad[0].tls_fingerprint = Hash256{};
  auto r = deploy_provider_registry(bad, 1, 60);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("tlsFingerprint"), std::string::npos) << r.error().message();
}

TEST(ConsortiumCalls, ValidateMember) {
  EXPECT_TRUE(validate_member(member(1)).ok());
  auto with = [](auto change) {
    MemberInfo m = member(1);
    change(m);
    return validate_member(m).ok();
  };
  EXPECT_FALSE(with([](MemberInfo& m) { m.account = Address{}; }));
  EXPECT_FALSE(with([](MemberInfo& m) { m.org_id.clear(); }));
  EXPECT_FALSE(with([](MemberInfo& m) { m.org_id.assign(65, 'x'); }));
  EXPECT_TRUE(with([](MemberInfo& m) { m.org_id.assign(64, 'x'); }));
  EXPECT_FALSE(with([](MemberInfo& m) { m.name.clear(); }));
  EXPECT_FALSE(with([](MemberInfo& m) { m.name.assign(129, 'x'); }));
  EXPECT_TRUE(with([](MemberInfo& m) { m.accreditation.clear(); }));
  EXPECT_FALSE(with([](MemberInfo& m) { m.accreditation.assign(129, 'x'); }));
  EXPECT_FALSE(with([](MemberInfo& m) { m.encryption_key = Hash256{}; }));
  EXPECT_FALSE(with([](MemberInfo& m) { m.signing_key_hash = Hash256{}; }));
}

TEST(ConsortiumCalls, OtherDeploymentsAppendTheirAddresses) {
  const Address r = addr_of(0xaa), c = addr_of(0xbb);
  struct Case {
    ContractKind kind;
    std::vector<uint8_t> data;
    std::vector<AbiValue> args;
  };
  const Case cases[] = {
      {ContractKind::kConsentRegistry, deploy_consent_registry(r), {ad(r)}},
      {ContractKind::kTransferLog, deploy_transfer_log(r, c), {ad(r), ad(c)}},
      {ContractKind::kAuditAnchor, deploy_audit_anchor(r), {ad(r)}},
      {ContractKind::kRecordToken, deploy_record_token(r, c), {ad(r), ad(c)}},
  };
  for (const Case& k : cases) {
    auto code = creation_bytecode(k.kind);
    ASSERT_EQ(k.data.size(), code.size() + 32 * k.args.size());
    EXPECT_TRUE(std::equal(code.begin(), code.end(), k.data.begin()));
    EXPECT_EQ(args_of(k.data, k.args.size() == 1 ? "(address)" : "(address,address)", code.size()),
              k.args);
  }
}

TEST(ConsortiumCalls, GovernanceRoundTrips) {
  const Address a = addr_of(7);
  auto add = propose_add(member(4));
  ASSERT_TRUE(add);
  EXPECT_EQ(args_of(*add, "(" + std::string(kMemberInfo) + ")"),
            std::vector<AbiValue>{member_value(member(4))});
  MemberInfo bad = member(4);
  bad.name.clear();
  EXPECT_FALSE(propose_add(bad));

  EXPECT_EQ(args_of(propose_suspend(a), "(address)"), std::vector<AbiValue>{ad(a)});
  EXPECT_EQ(args_of(propose_reinstate(a), "(address)"), std::vector<AbiValue>{ad(a)});
  EXPECT_EQ(
      args_of(propose_rekey(a, fill(1), fill(2), fill(3)), "(address,bytes32,bytes32,bytes32)"),
      (std::vector<AbiValue>{ad(a), b32(fill(1)), b32(fill(2)), b32(fill(3))}));
  EXPECT_EQ(args_of(propose_quorum(255), "(uint8)"), std::vector<AbiValue>{u(255)});
  EXPECT_EQ(args_of(propose_policy(Uint256::max()), "(uint256)"),
            std::vector<AbiValue>{AbiValue::uint(Uint256::max())});
  EXPECT_EQ(args_of(propose_custody(fill(5), a), "(bytes32,address)"),
            (std::vector<AbiValue>{b32(fill(5)), ad(a)}));
  EXPECT_EQ(args_of(approve(Uint256::from_u64(9)), "(uint256)"), std::vector<AbiValue>{u(9)});
  EXPECT_EQ(args_of(account_of("org-1"), "(string)"),
            std::vector<AbiValue>{AbiValue::string("org-1")});
  EXPECT_EQ(args_of(has_approved(Uint256::from_u64(3), a), "(uint256,address)"),
            (std::vector<AbiValue>{u(3), ad(a)}));
  EXPECT_EQ(member_count().size(), 4u);
}

TEST(ConsortiumCalls, ConsentRoundTrips) {
  const Hash256 t = fill(0x10), ch = fill(0x20);
  const Address g = addr_of(0x30);
  const GrantInput in{t, g, Purpose::kHresch, 0b101, 0b10, 1000, 2000, ch};
  const AbiValue want =
      AbiValue::list({b32(t), ad(g), u(4), u(0b101), u(0b10), u(1000), u(2000), b32(ch)});
  constexpr std::string_view kGrant = "(bytes32,address,uint8,uint64,uint64,uint40,uint40,bytes32)";
  EXPECT_EQ(args_of(grant(in), "(" + std::string(kGrant) + ")"), std::vector<AbiValue>{want});
  const GrantInput two[] = {in, in};
  EXPECT_EQ(args_of(grant_batch(two), "(" + std::string(kGrant) + "[])"),
            std::vector<AbiValue>{AbiValue::list({want, want})});
  EXPECT_EQ(args_of(grant_batch({}), "(" + std::string(kGrant) + "[])"),
            std::vector<AbiValue>{AbiValue::list({})});

  // Times beyond uint40 are clamped to open-ended instead of failing.
  GrantInput far = in;
  far.valid_until = ~uint64_t{0};
  auto far_args = args_of(grant(far), "(" + std::string(kGrant) + ")");
  ASSERT_EQ(far_args.size(), 1u);
  EXPECT_EQ((*far_args[0].as_list())[6], u(kOpenEnded));

  EXPECT_EQ(args_of(register_patient(t, g), "(bytes32,address)"),
            (std::vector<AbiValue>{b32(t), ad(g)}));
  EXPECT_EQ(args_of(apply_custody_decision(Uint256::from_u64(12)), "(uint256)"),
            std::vector<AbiValue>{u(12)});
  EXPECT_EQ(args_of(custody_decision_of(t), "(bytes32)"), std::vector<AbiValue>{b32(t)});
  EXPECT_EQ(args_of(revoke(t, g, Purpose::kCoc, ch), "(bytes32,address,uint8,bytes32)"),
            (std::vector<AbiValue>{b32(t), ad(g), u(7), b32(ch)}));
  EXPECT_EQ(args_of(set_deny(t, g, purpose_bit(Purpose::kHmarkt), true, ch),
                    "(bytes32,address,uint32,bool,bytes32)"),
            (std::vector<AbiValue>{b32(t), ad(g), u(1 << 13), AbiValue::boolean(true), b32(ch)}));
  EXPECT_EQ(args_of(check(t, g, Purpose::kEtreat, 3, 4), "(bytes32,address,uint8,uint64,uint64)"),
            (std::vector<AbiValue>{b32(t), ad(g), u(1), u(3), u(4)}));
}

TEST(ConsortiumCalls, TransferRoundTripsAndBatchSpeed) {
  std::vector<TransferInput> batch;
  std::vector<AbiValue> want;
  for (uint64_t i = 0; i < 500; ++i) {
    TransferInput t{Uint256::from_u64(1000 + i),
                    addr_of(static_cast<uint8_t>(i)),
                    fill(static_cast<uint8_t>(i)),
                    fill(static_cast<uint8_t>(i + 1)),
                    Purpose::kTreat,
                    kFlagBatchRoot};
    batch.push_back(t);
    want.push_back(AbiValue::list(
        {u(1000 + i), ad(t.to), b32(t.patient_token), b32(t.commitment), u(0), u(1)}));
  }
  auto start = std::chrono::steady_clock::now();
  auto data = record_transfers(batch);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  // 4 + offset + length + 6 words each: a static tuple array, no per-item offsets.
  EXPECT_EQ(data.size(), 4 + 64 + 500 * 192u);
  EXPECT_EQ(args_of(data, "((uint256,address,bytes32,bytes32,uint8,uint8)[])"),
            std::vector<AbiValue>{AbiValue::list(want)});
  std::printf("record_transfers: 500 transfers encoded in %lld us\n",
              static_cast<long long>(micros));

  EXPECT_EQ(args_of(record_transfer(batch[3]), "((uint256,address,bytes32,bytes32,uint8,uint8))"),
            std::vector<AbiValue>{want[3]});
  EXPECT_EQ(args_of(is_recorded(addr_of(1), Uint256::from_u64(5)), "(address,uint256)"),
            (std::vector<AbiValue>{ad(addr_of(1)), u(5)}));
}

TEST(ConsortiumCalls, AnchorAndTokenRoundTrips) {
  const AnchorInput a{AnchorKind::kRecordBatch, fill(5), 10, 20, {0x30, 0x45, 0x02}};
  const AbiValue want =
      AbiValue::list({u(2), b32(fill(5)), u(10), u(20), AbiValue::bytes({0x30, 0x45, 0x02})});
  EXPECT_EQ(args_of(anchor(a), "((uint8,bytes32,uint64,uint64,bytes))"),
            std::vector<AbiValue>{want});
  const AnchorInput two[] = {a, a};
  EXPECT_EQ(args_of(anchor_batch(two), "((uint8,bytes32,uint64,uint64,bytes)[])"),
            std::vector<AbiValue>{AbiValue::list({want, want})});

  const Hash256 tokens[] = {fill(1), fill(2)};
  EXPECT_EQ(args_of(mint_or_update(tokens, fill(9)), "(bytes32[],bytes32)"),
            (std::vector<AbiValue>{AbiValue::list({b32(fill(1)), b32(fill(2))}), b32(fill(9))}));
  const Uint256 ids[] = {Uint256::from_u64(1), Uint256::max()};
  EXPECT_EQ(args_of(update_roots(ids, fill(9)), "(uint256[],bytes32)"),
            (std::vector<AbiValue>{AbiValue::list({u(1), AbiValue::uint(Uint256::max())}),
                                   b32(fill(9))}));
  EXPECT_EQ(args_of(token_safe_transfer_from(addr_of(1), addr_of(2), ids[0], tokens[0]),
                    "(address,address,uint256,bytes)"),
            (std::vector<AbiValue>{ad(addr_of(1)), ad(addr_of(2)), u(1),
                                   AbiValue::bytes({tokens[0].begin(), tokens[0].end()})}));
}

// Local computations of the contracts' pure functions, against values the
// contracts' node tests print (keccak256(abi.encode(...)) computed here by
// abi_encode, a different code path).
TEST(ConsortiumCalls, LocalKeysEqualAbiEncodeHashes) {
  const Hash256 t = fill(0xab);
  const Address g = addr_of(0xcd);
  auto enc = encode("(bytes32,address,uint8)", {b32(t), ad(g), u(5)});
  EXPECT_EQ(consent_key(t, g, Purpose::kPubhlth), keccak256(enc));
  auto enc2 = encode("(bytes32,address)", {b32(t), ad(g)});
  EXPECT_EQ(record_id(t, g), Uint256(keccak256(enc2)));
}

TEST(ConsortiumCalls, OneWordDecoders) {
  EXPECT_EQ(decode_bool(encode("(bool)", {AbiValue::boolean(true)})).value(), true);
  EXPECT_EQ(decode_address(encode("(address)", {ad(addr_of(3))})).value(), addr_of(3));
  EXPECT_EQ(decode_uint256(encode("(uint256)", {u(77)})).value(), Uint256::from_u64(77));
  EXPECT_EQ(decode_bytes32(encode("(bytes32)", {b32(fill(4))})).value(), fill(4));
  // Hostile: empty, short, a bool word of 2, an address with high bytes set.
  EXPECT_FALSE(decode_bool({}));
  EXPECT_FALSE(decode_uint256(std::vector<uint8_t>(31, 0)));
  EXPECT_FALSE(decode_bool(encode("(uint256)", {u(2)})));
  EXPECT_FALSE(decode_address(encode("(uint256)", {AbiValue::uint(Uint256::max())})));
}

TEST(ConsortiumCalls, DecodeMemberAndProposal) {
  const MemberInfo m = member(5);
  auto data = encode("(" + std::string(kMemberInfo) + ",uint8,uint64,uint64)",
                     {member_value(m), u(2), u(100), u(200)});
  auto got = decode_member(data);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->info, m);
  EXPECT_EQ(got->status, MemberStatus::kSuspended);
  EXPECT_EQ(got->joined_at, 100u);
  EXPECT_EQ(got->changed_at, 200u);
  EXPECT_FALSE(decode_member(encode("(" + std::string(kMemberInfo) + ",uint8,uint64,uint64)",
                                    {member_value(m), u(3), u(0), u(0)})));
  EXPECT_FALSE(decode_member(std::span(data).first(data.size() - 40)));  // into a string
  EXPECT_FALSE(decode_member(std::span(data).first(64)));

  auto p = encode("(uint8,address,address,uint64,bool,uint256,bytes)",
                  {u(3), ad(addr_of(1)), ad(addr_of(2)), u(999), AbiValue::boolean(false), u(1),
                   AbiValue::bytes({1, 2, 3})});
  auto prop = decode_proposal(p);
  ASSERT_TRUE(prop) << prop.error().message();
  EXPECT_EQ(prop->action, ProposalAction::kRekey);
  EXPECT_EQ(prop->target, addr_of(1));
  EXPECT_EQ(prop->proposer, addr_of(2));
  EXPECT_EQ(prop->expires_at, 999u);
  EXPECT_EQ(prop->payload, (std::vector<uint8_t>{1, 2, 3}));
  p[31] = 6;
  ASSERT_TRUE(decode_proposal(p));
  EXPECT_EQ(decode_proposal(p)->action, ProposalAction::kCustody);
  p[31] = 7;  // action past Custody
  EXPECT_FALSE(decode_proposal(p));
}

TEST(ConsortiumCalls, DecodeCheckGrantPatientAnchorRecord) {
  auto c = decode_check(encode("(uint8,bytes32,uint32)", {u(7), b32(fill(1)), u(3)}));
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->decision, Decision::kExcludedLabel);
  EXPECT_EQ(c->consent_key, fill(1));
  EXPECT_EQ(c->version, 3u);
  EXPECT_FALSE(decode_check(encode("(uint8,bytes32,uint32)", {u(9), b32(fill(1)), u(3)})));
  EXPECT_FALSE(decode_check(encode("(uint256,bytes32,uint32)", {u(256), b32(fill(1)), u(3)})));
  EXPECT_FALSE(decode_check(encode("(uint8,bytes32,uint64)", {u(0), b32(fill(1)), u(1ull << 32)})));
  EXPECT_FALSE(decode_check(std::vector<uint8_t>(95, 0)));

  auto g = decode_grant(
      encode("((uint40,uint40,uint64,uint64,uint32,uint8),bool,bool,bool,bytes32)",
             {AbiValue::list({u(1), u(2), u(3), u(4), u(5), u(3)}), AbiValue::boolean(true),
              AbiValue::boolean(true), AbiValue::boolean(false), b32(fill(8))}));
  ASSERT_TRUE(g) << g.error().message();
  EXPECT_EQ(g->valid_from, 1u);
  EXPECT_EQ(g->valid_until, 2u);
  EXPECT_EQ(g->categories, 3u);
  EXPECT_EQ(g->exclusions, 4u);
  EXPECT_EQ(g->version, 5u);
  EXPECT_TRUE(g->granted && g->revoked && !g->denied);
  EXPECT_EQ(g->consent_hash, fill(8));

  auto p =
      decode_patient(encode("(address,address,uint32)", {ad(addr_of(1)), ad(addr_of(2)), u(6)}));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->custodian, addr_of(1));
  EXPECT_EQ(p->patient_key, addr_of(2));
  EXPECT_EQ(p->denied_purposes, 6u);

  auto a = decode_anchor_of(encode("(uint40,uint8,uint64)", {u(1700000000), u(2), u(12)}));
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->anchored_at, 1700000000u);
  EXPECT_EQ(a->kind, 2);
  EXPECT_EQ(a->block_number, 12u);

  auto r = decode_record_of(encode("(bytes32,address,bytes32,uint64)",
                                   {b32(fill(1)), ad(addr_of(2)), b32(fill(3)), u(4)}));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->patient_token, fill(1));
  EXPECT_EQ(r->custodian, addr_of(2));
  EXPECT_EQ(r->latest_root, fill(3));
  EXPECT_EQ(r->updated_at, 4u);
  EXPECT_FALSE(decode_record_of(std::vector<uint8_t>(127, 0)));
}

}  // namespace
}  // namespace gw::ledger::consortium
