// decode_event on logs built by hand (topics from each signature, data from
// abi_encode), for every event of the five contracts; and on malformed,
// foreign and hostile logs.
#include <gtest/gtest.h>

#include <type_traits>

#include "ledger-client/abi/abi_event.h"
#include "ledger-client/consortium/consortium.h"
#include "ledger-client/consortium/test_util.h"

namespace gw::ledger::consortium {
namespace {

using testing::addr_of;
using testing::fill;

AbiValue b32(const Hash256& h) { return AbiValue::bytes({h.begin(), h.end()}); }
AbiValue ad(const Address& a) { return AbiValue::address(a); }
AbiValue u(uint64_t v) { return AbiValue::uint(v); }

struct Log {
  std::vector<Hash256> topics;
  std::vector<uint8_t> data;
};

// A log as the EVM writes it for `signature` ("E(uint256 indexed a, bool b)")
// with `values` in declaration order.
Log make_log(std::string_view signature, const std::vector<AbiValue>& values) {
  Log log;
  auto sig = parse_event_signature(signature);
  EXPECT_TRUE(sig) << signature;
  if (!sig || sig->params.size() != values.size()) {
    ADD_FAILURE() << "bad test log " << signature;
    return log;
  }
  log.topics.push_back(event_topic(sig->canonical()));
  std::vector<AbiType> data_types;
  std::vector<AbiValue> data_values;
  for (size_t i = 0; i < values.size(); ++i) {
    const AbiParam& p = sig->params[i];
    if (p.indexed) {
      auto word = abi_encode(std::span(&p.type, 1), std::span(&values[i], 1));
      EXPECT_TRUE(word && word->size() == 32);
      Hash256 t{};
      if (word) std::copy_n(word->begin(), 32, t.begin());
      log.topics.push_back(t);
    } else {
      data_types.push_back(p.type);
      data_values.push_back(values[i]);
    }
  }
  auto data = abi_encode(data_types, data_values);
  EXPECT_TRUE(data) << data.error().message();
  if (data) log.data = *data;
  return log;
}

template <typename T>
T decode_as(const Log& log) {
  auto r = decode_event(log.topics, log.data);
  EXPECT_TRUE(r) << r.error().message();
  if (!r || !r->has_value()) {
    ADD_FAILURE() << "no event";
    return T{};
  }
  EXPECT_EQ(event_name(**r), T::kName);
  const T* t = std::get_if<T>(&**r);
  EXPECT_NE(t, nullptr) << "decoded as " << event_name(**r);
  // Also: one topic short and data cut short are errors, not events.
  if (log.topics.size() > 1) {
    auto short_topics = decode_event(std::span(log.topics).first(log.topics.size() - 1), log.data);
    if constexpr (std::is_same_v<T, TokenTransfer> || std::is_same_v<T, TokenApproval>) {
      // With 3 topics these are ERC-20's events: foreign, not malformed.
      EXPECT_TRUE(short_topics && !short_topics->has_value()) << T::kName;
    } else {
      EXPECT_FALSE(short_topics) << T::kName;
    }
  }
  if (!log.data.empty()) {
    auto truncated = decode_event(log.topics, std::span(log.data).first(log.data.size() - 32));
    EXPECT_FALSE(truncated) << T::kName;
  }
  auto extra = log.topics;
  extra.push_back(fill(1));
  EXPECT_FALSE(decode_event(extra, log.data)) << T::kName;
  return t != nullptr ? *t : T{};
}

const Uint256 kId = Uint256::from_u64(42);
const Address kA = addr_of(0xa1), kB = addr_of(0xb2), kC = addr_of(0xc3);
const Hash256 kT = fill(0x71), kH = fill(0x72), kK = fill(0x73);

TEST(ConsortiumEvents, ProviderRegistry) {
  EXPECT_EQ(decode_as<MemberAdded>(make_log(
                "MemberAdded(address indexed account,bytes32 indexed orgIdHash,uint256 indexed "
                "proposalId,string orgId,string name,bytes32 encryptionKey,bytes32 "
                "tlsFingerprint,bytes32 signingKeyHash,string accreditation)",
                {ad(kA), b32(keccak256("org")), AbiValue::uint(kId), AbiValue::string("org"),
                 AbiValue::string("Org"), b32(kT), b32(kH), b32(kK), AbiValue::string("acc")})),
            (MemberAdded{kA, keccak256("org"), kId, "org", "Org", kT, kH, kK, "acc"}));
  EXPECT_EQ(decode_as<MemberSuspended>(
                make_log("MemberSuspended(address indexed a,uint256 indexed p)", {ad(kA), u(3)})),
            (MemberSuspended{kA, Uint256::from_u64(3)}));
  EXPECT_EQ(decode_as<MemberReinstated>(
                make_log("MemberReinstated(address indexed a,uint256 indexed p)", {ad(kA), u(4)})),
            (MemberReinstated{kA, Uint256::from_u64(4)}));
  EXPECT_EQ(decode_as<MemberRekeyed>(make_log("MemberRekeyed(address indexed a,uint256 indexed "
                                              "p,bytes32 e,bytes32 t,bytes32 s)",
                                              {ad(kA), u(5), b32(kT), b32(kH), b32(kK)})),
            (MemberRekeyed{kA, Uint256::from_u64(5), kT, kH, kK}));
  EXPECT_EQ(
      decode_as<QuorumChanged>(make_log("QuorumChanged(uint8 q,uint256 indexed p)", {u(3), u(6)})),
      (QuorumChanged{3, Uint256::from_u64(6)}));
  EXPECT_EQ(decode_as<PolicyChanged>(
                make_log("PolicyChanged(uint256 q,uint256 indexed p)", {u(1), u(7)})),
            (PolicyChanged{Uint256::from_u64(1), Uint256::from_u64(7)}));
  EXPECT_EQ(decode_as<ProposalCreated>(
                make_log("ProposalCreated(uint256 indexed p,uint8 indexed action,address indexed "
                         "target,address proposer,uint64 expiresAt)",
                         {AbiValue::uint(kId), u(1), ad(kA), ad(kB), u(1700000000)})),
            (ProposalCreated{kId, 1, kA, kB, 1700000000}));
  EXPECT_EQ(decode_as<ProposalApproved>(
                make_log("ProposalApproved(uint256 indexed p,address indexed a,uint256 approvals)",
                         {AbiValue::uint(kId), ad(kB), u(2)})),
            (ProposalApproved{kId, kB, Uint256::from_u64(2)}));
  // All-indexed: no data at all.
  Log executed =
      make_log("ProposalExecuted(uint256 indexed p,uint8 indexed action,address indexed target)",
               {AbiValue::uint(kId), u(3), ad(kC)});
  EXPECT_TRUE(executed.data.empty());
  EXPECT_EQ(decode_as<ProposalExecuted>(executed), (ProposalExecuted{kId, 3, kC}));
}

TEST(ConsortiumEvents, ConsentRegistry) {
  EXPECT_EQ(decode_as<PatientRegistered>(
                make_log("PatientRegistered(bytes32 indexed t,address indexed c,address k)",
                         {b32(kT), ad(kA), ad(kB)})),
            (PatientRegistered{kT, kA, kB}));
  EXPECT_EQ(decode_as<CustodyDecided>(
                make_log("CustodyDecided(bytes32 indexed t,address indexed c,uint256 indexed p)",
                         {b32(kT), ad(kA), u(9)})),
            (CustodyDecided{kT, kA, Uint256::from_u64(9)}));
  EXPECT_EQ(decode_as<CustodyReassigned>(
                make_log("CustodyReassigned(bytes32 indexed t,address indexed f,address indexed to,"
                         "uint256 p)",
                         {b32(kT), ad(kA), ad(kB), u(9)})),
            (CustodyReassigned{kT, kA, kB, Uint256::from_u64(9)}));
  EXPECT_EQ(decode_as<CustodyTransferred>(make_log(
                "CustodyTransferred(bytes32 indexed t,address indexed f,address indexed to)",
                {b32(kT), ad(kA), ad(kB)})),
            (CustodyTransferred{kT, kA, kB}));
  EXPECT_EQ(decode_as<PatientKeyChanged>(
                make_log("PatientKeyChanged(bytes32 indexed t,address indexed c,address k)",
                         {b32(kT), ad(kA), ad(kC)})),
            (PatientKeyChanged{kT, kA, kC}));
  EXPECT_EQ(
      decode_as<ConsentGranted>(make_log(
          "ConsentGranted(bytes32 indexed t,address indexed g,address indexed c,uint8 p,uint64 "
          "cat,uint64 ex,uint40 vf,uint40 vu,uint32 v,bytes32 k,bytes32 h)",
          {b32(kT), ad(kA), ad(kB), u(4), u(0xff), u(0x3), u(100), u(kOpenEnded), u(2), b32(kK),
           b32(kH)})),
      (ConsentGranted{kT, kA, kB, 4, 0xff, 0x3, 100, kOpenEnded, 2, kK, kH}));
  EXPECT_EQ(decode_as<ConsentRevoked>(
                make_log("ConsentRevoked(bytes32 indexed t,address indexed g,address indexed "
                         "c,uint8 p,uint32 v,bytes32 k,bytes32 h)",
                         {b32(kT), ad(kA), ad(kB), u(0), u(3), b32(kK), b32(kH)})),
            (ConsentRevoked{kT, kA, kB, 0, 3, kK, kH}));
  EXPECT_EQ(decode_as<DenyChanged>(make_log(
                "DenyChanged(bytes32 indexed t,address indexed "
                "g,address indexed c,uint32 m,bool d,bytes32 h)",
                {b32(kT), ad(Address{}), ad(kB), u(0xffffffff), AbiValue::boolean(true), b32(kH)})),
            (DenyChanged{kT, Address{}, kB, 0xffffffff, true, kH}));
}

TEST(ConsortiumEvents, TransferLog) {
  const Log recorded = make_log(
      "TransferRecorded(address indexed from,address indexed to,bytes32 indexed t,uint256 "
      "id,bytes32 c,uint8 p,uint8 f,bytes32 k,uint32 v)",
      {ad(kA), ad(kB), b32(kT), AbiValue::uint(Uint256::max()), b32(kH), u(1), u(2), b32(kK),
       u(0)});
  EXPECT_EQ(decode_as<TransferRecorded>(recorded),
            (TransferRecorded{kA, kB, kT, Uint256::max(), kH, 1, kFlagEmergency, kK, 0}));
  EXPECT_EQ(decode_as<TransferRefused>(
                make_log("TransferRefused(address indexed from,address "
                         "indexed to,bytes32 indexed t,uint256 id,uint8 r)",
                         {ad(kA), ad(kB), b32(kT), AbiValue::uint(kId), u(kRefusalSelfTransfer)})),
            (TransferRefused{kA, kB, kT, kId, kRefusalSelfTransfer}));
}

TEST(ConsortiumEvents, AuditAnchorAndRecordToken) {
  std::vector<uint8_t> sig(72, 0x30);
  EXPECT_EQ(
      decode_as<Anchored>(make_log("Anchored(address indexed m,bytes32 indexed r,uint8 "
                                   "indexed k,uint64 f,uint64 l,bytes s)",
                                   {ad(kA), b32(kH), u(2), u(10), u(19), AbiValue::bytes(sig)})),
      (Anchored{kA, kH, 2, 10, 19, sig}));
  EXPECT_EQ(decode_as<RecordRootUpdated>(
                make_log("RecordRootUpdated(uint256 indexed id,bytes32 indexed t,address indexed "
                         "c,bytes32 r)",
                         {AbiValue::uint(kId), b32(kT), ad(kA), b32(kH)})),
            (RecordRootUpdated{kId, kT, kA, kH}));
  EXPECT_EQ(decode_as<TokenTransfer>(
                make_log("Transfer(address indexed f,address indexed t,uint256 indexed id)",
                         {ad(Address{}), ad(kA), AbiValue::uint(kId)})),
            (TokenTransfer{Address{}, kA, kId}));
  EXPECT_EQ(decode_as<TokenApproval>(
                make_log("Approval(address indexed o,address indexed a,uint256 indexed id)",
                         {ad(kA), ad(kB), AbiValue::uint(kId)})),
            (TokenApproval{kA, kB, kId}));
  EXPECT_EQ(decode_as<TokenApprovalForAll>(
                make_log("ApprovalForAll(address indexed o,address indexed op,bool a)",
                         {ad(kA), ad(kC), AbiValue::boolean(true)})),
            (TokenApprovalForAll{kA, kC, true}));
}

TEST(ConsortiumEvents, ForeignLogsAreNotOurs) {
  // No topics (anonymous event), an unknown topic, an ERC-20 Transfer/Approval.
  EXPECT_FALSE(decode_event({}, {}).value().has_value());
  const Hash256 unknown[] = {keccak256("Stored(uint256)")};
  EXPECT_FALSE(decode_event(unknown, std::vector<uint8_t>(32, 0)).value().has_value());
  Log erc20 = make_log("Transfer(address indexed f,address indexed t,uint256 v)",
                       {ad(kA), ad(kB), u(1000)});
  ASSERT_EQ(erc20.topics.size(), 3u);
  auto r = decode_event(erc20.topics, erc20.data);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->has_value());
  Log erc20_approval =
      make_log("Approval(address indexed o,address indexed s,uint256 v)", {ad(kA), ad(kB), u(1)});
  EXPECT_FALSE(decode_event(erc20_approval.topics, erc20_approval.data).value().has_value());
}

TEST(ConsortiumEvents, HostileLogsAreErrors) {
  Log log = make_log(
      "TransferRefused(address indexed from,address indexed to,bytes32 indexed "
      "t,uint256 id,uint8 r)",
      {ad(kA), ad(kB), b32(kT), AbiValue::uint(kId), u(2)});
  // A dirty indexed address (high bytes set).
  Log dirty = log;
  dirty.topics[1][0] = 0xff;
  EXPECT_FALSE(decode_event(dirty.topics, dirty.data));
  // A uint8 reason word above 255.
  Log wide = log;
  wide.data[62] = 1;
  EXPECT_FALSE(decode_event(wide.topics, wide.data));
  // Anchored with a signature length pointing far past the data.
  Log anchored = make_log(
      "Anchored(address indexed m,bytes32 indexed r,uint8 indexed k,uint64 f,uint64 l,bytes s)",
      {ad(kA), b32(kH), u(1), u(1), u(2), AbiValue::bytes({1, 2, 3})});
  anchored.data[64 + 32 + 28] = 0x7f;  // length word of the bytes: ~2^31
  EXPECT_FALSE(decode_event(anchored.topics, anchored.data));
  // Errors name the event but carry no field contents.
  auto r = decode_event(dirty.topics, dirty.data);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("TransferRefused"), std::string::npos) << r.error().message();
}

TEST(ConsortiumEvents, Topic0ForFilters) {
  EXPECT_EQ(event_topic0("TransferRecorded"),
            keccak256("TransferRecorded(address,address,bytes32,uint256,bytes32,uint8,uint8,"
                      "bytes32,uint32)"));
  EXPECT_EQ(event_topic0("Transfer"), keccak256("Transfer(address,address,uint256)"));
  EXPECT_FALSE(event_topic0("NoSuchEvent"));
}

}  // namespace
}  // namespace gw::ledger::consortium
