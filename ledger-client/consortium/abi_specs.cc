#include "ledger-client/consortium/abi_specs.h"

#include <cstdlib>

#include "ledger-client/consortium/internal.h"

namespace gw::ledger::consortium {
namespace {

// Struct types as the ABI spells them (tuple members in declaration order).
#define GW_MEMBER_INFO "(address,string,string,bytes32,bytes32,bytes32,string)"
#define GW_GRANT_INPUT "(bytes32,address,uint8,uint64,uint64,uint40,uint40,bytes32)"
#define GW_GRANT "(uint40,uint40,uint64,uint64,uint32,uint8)"
#define GW_TRANSFER "(uint256,address,bytes32,bytes32,uint8,uint8)"
#define GW_ANCHOR "(uint8,bytes32,uint64,uint64,bytes)"

constexpr FunctionSpec kProviderRegistryFunctions[] = {
    {"constructor(" GW_MEMBER_INFO "[] founders,uint8 initialQuorum,uint64 ttlSeconds)", "()"},
    {"POLICY_EMERGENCY_ACCESS()", "(uint256)"},
    {"accountOf(string orgId)", "(address)"},
    {"activeCount()", "(uint32)"},
    {"approve(uint256 proposalId)", "(bool)"},
    {"emergencyAccessEnabled()", "(bool)"},
    {"getMember(address account)", "(" GW_MEMBER_INFO ",uint8,uint64,uint64)"},
    {"getProposal(uint256 proposalId)", "(uint8,address,address,uint64,bool,uint256,bytes)"},
    {"hasApproved(uint256 proposalId,address account)", "(bool)"},
    {"isActive(address account)", "(bool)"},
    {"memberAt(uint256 index)", "(address)"},
    {"memberCount()", "(uint256)"},
    {"policy()", "(uint256)"},
    {"proposalCount()", "(uint256)"},
    {"proposalTtl()", "(uint64)"},
    {"proposeAdd(" GW_MEMBER_INFO " info)", "(uint256)"},
    {"proposeCustody(bytes32 patientToken,address newCustodian)", "(uint256)"},
    {"proposePolicy(uint256 newPolicy)", "(uint256)"},
    {"proposeQuorum(uint8 newQuorum)", "(uint256)"},
    {"proposeReinstate(address account)", "(uint256)"},
    {"proposeRekey(address account,bytes32 encryptionKey,bytes32 tlsFingerprint,"
     "bytes32 signingKeyHash)",
     "(uint256)"},
    {"proposeSuspend(address account)", "(uint256)"},
    {"quorum()", "(uint8)"},
    {"requiredApprovals()", "(uint256)"},
};

constexpr std::string_view kProviderRegistryEvents[] = {
    "CustodyDecided(bytes32 indexed patientToken,address indexed custodian,"
    "uint256 indexed proposalId)",
    "MemberAdded(address indexed account,bytes32 indexed orgIdHash,uint256 indexed proposalId,"
    "string orgId,string name,bytes32 encryptionKey,bytes32 tlsFingerprint,"
    "bytes32 signingKeyHash,string accreditation)",
    "MemberReinstated(address indexed account,uint256 indexed proposalId)",
    "MemberRekeyed(address indexed account,uint256 indexed proposalId,bytes32 encryptionKey,"
    "bytes32 tlsFingerprint,bytes32 signingKeyHash)",
    "MemberSuspended(address indexed account,uint256 indexed proposalId)",
    "PolicyChanged(uint256 policy,uint256 indexed proposalId)",
    "ProposalApproved(uint256 indexed proposalId,address indexed approver,uint256 approvals)",
    "ProposalCreated(uint256 indexed proposalId,uint8 indexed action,address indexed target,"
    "address proposer,uint64 expiresAt)",
    "ProposalExecuted(uint256 indexed proposalId,uint8 indexed action,address indexed target)",
    "QuorumChanged(uint8 quorum,uint256 indexed proposalId)",
};

constexpr std::string_view kProviderRegistryErrors[] = {
    "AlreadyApproved(uint256 proposalId,address approver)",
    "AlreadyMember(address account)",
    "InvalidMember(string field)",
    "InvalidProposal(string field)",
    "InvalidQuorum(uint256 quorum,uint256 activeMembers)",
    "NotActiveMember(address account)",
    "OrgIdTaken(string orgId)",
    "ProposalClosed(uint256 proposalId)",
    "UnknownMember(address account)",
    "UnknownProposal(uint256 proposalId)",
    "WrongStatus(address account,uint8 status)",
};

constexpr FunctionSpec kConsentRegistryFunctions[] = {
    {"constructor(address registry_)", "()"},
    {"DENIED()", "(uint8)"},
    {"EXCLUDED_LABEL()", "(uint8)"},
    {"EXPIRED()", "(uint8)"},
    {"INVALID_PURPOSE()", "(uint8)"},
    {"NOT_YET_VALID()", "(uint8)"},
    {"NO_CONSENT()", "(uint8)"},
    {"OUT_OF_SCOPE()", "(uint8)"},
    {"PERMIT()", "(uint8)"},
    {"PURPOSE_COC()", "(uint8)"},
    {"PURPOSE_ETREAT()", "(uint8)"},
    {"PURPOSE_HOPERAT()", "(uint8)"},
    {"PURPOSE_HPAYMT()", "(uint8)"},
    {"PURPOSE_HRESCH()", "(uint8)"},
    {"PURPOSE_PATRQT()", "(uint8)"},
    {"PURPOSE_PUBHLTH()", "(uint8)"},
    {"PURPOSE_TREAT()", "(uint8)"},
    {"REVOKED()", "(uint8)"},
    {"applyCustodyDecision(uint256 proposalId)", "()"},
    {"check(bytes32 patientToken,address grantee,uint8 purpose,uint64 categories,uint64 labels)",
     "(uint8,bytes32,uint32)"},
    {"consentKey(bytes32 patientToken,address grantee,uint8 purpose)", "(bytes32)"},
    {"custodyDecisionOf(bytes32 patientToken)", "(uint256)"},
    {"getGrant(bytes32 patientToken,address grantee,uint8 purpose)",
     "(" GW_GRANT ",bool,bool,bool,bytes32)"},
    {"getPatient(bytes32 patientToken)", "(address,address,uint32)"},
    {"grant(" GW_GRANT_INPUT " g)", "(uint32)"},
    {"grantBatch(" GW_GRANT_INPUT "[] grants)", "()"},
    {"registerPatient(bytes32 patientToken,address patientKey)", "()"},
    {"registry()", "(address)"},
    {"revoke(bytes32 patientToken,address grantee,uint8 purpose,bytes32 consentHash)", "()"},
    {"setDeny(bytes32 patientToken,address grantee,uint32 purposeMask,bool denied,"
     "bytes32 consentHash)",
     "()"},
    {"setPatientKey(bytes32 patientToken,address patientKey)", "()"},
    {"transferCustody(bytes32 patientToken,address newCustodian)", "()"},
};

constexpr std::string_view kConsentRegistryEvents[] = {
    "ConsentGranted(bytes32 indexed patientToken,address indexed grantee,"
    "address indexed custodian,uint8 purpose,uint64 categories,uint64 exclusions,"
    "uint40 validFrom,uint40 validUntil,uint32 version,bytes32 consentKey,bytes32 consentHash)",
    "ConsentRevoked(bytes32 indexed patientToken,address indexed grantee,"
    "address indexed custodian,uint8 purpose,uint32 version,bytes32 consentKey,"
    "bytes32 consentHash)",
    "CustodyReassigned(bytes32 indexed patientToken,address indexed from,address indexed to,"
    "uint256 proposalId)",
    "CustodyTransferred(bytes32 indexed patientToken,address indexed from,address indexed to)",
    "DenyChanged(bytes32 indexed patientToken,address indexed grantee,address indexed custodian,"
    "uint32 purposeMask,bool denied,bytes32 consentHash)",
    "PatientKeyChanged(bytes32 indexed patientToken,address indexed custodian,"
    "address patientKey)",
    "PatientRegistered(bytes32 indexed patientToken,address indexed custodian,"
    "address patientKey)",
};

constexpr std::string_view kConsentRegistryErrors[] = {
    "AlreadyRegistered(bytes32 patientToken,address custodian)",
    "DecisionApplied(uint256 proposalId)",
    "InvalidGrant(string field)",
    "NoSuchGrant(bytes32 consentKey)",
    "NotActiveMember(address account)",
    "NotACustodyDecision(uint256 proposalId)",
    "NotAuthorized(bytes32 patientToken,address caller)",
    "UnknownPatient(bytes32 patientToken)",
};

constexpr FunctionSpec kTransferLogFunctions[] = {
    {"constructor(address registry_,address consents_)", "()"},
    {"FLAG_BATCH_ROOT()", "(uint8)"},
    {"FLAG_EMERGENCY()", "(uint8)"},
    {"INVALID_FLAGS()", "(uint8)"},
    {"RECIPIENT_NOT_ACTIVE()", "(uint8)"},
    {"SELF_TRANSFER()", "(uint8)"},
    {"consents()", "(address)"},
    {"isRecorded(address from,uint256 transferId)", "(bool)"},
    {"recordTransfer(" GW_TRANSFER " t)", "(bool)"},
    {"recordTransfers(" GW_TRANSFER "[] transfers)", "(uint256)"},
    {"registry()", "(address)"},
};

constexpr std::string_view kTransferLogEvents[] = {
    "TransferRecorded(address indexed from,address indexed to,bytes32 indexed patientToken,"
    "uint256 transferId,bytes32 commitment,uint8 purpose,uint8 flags,bytes32 consentKey,"
    "uint32 consentVersion)",
    "TransferRefused(address indexed from,address indexed to,bytes32 indexed patientToken,"
    "uint256 transferId,uint8 reason)",
};

constexpr std::string_view kTransferLogErrors[] = {
    "NotActiveMember(address account)",
    "TransferNotPermitted(uint256 transferId,uint8 reason)",
};

constexpr FunctionSpec kAuditAnchorFunctions[] = {
    {"constructor(address registry_)", "()"},
    {"KIND_AUDIT()", "(uint8)"},
    {"KIND_RECORDS()", "(uint8)"},
    {"MAX_SIGNATURE_LENGTH()", "(uint256)"},
    {"anchor(" GW_ANCHOR " a)", "(bool)"},
    {"anchorBatch(" GW_ANCHOR "[] anchors)", "(uint256)"},
    {"anchorOf(address member,bytes32 root)", "(uint40,uint8,uint64)"},
    {"registry()", "(address)"},
};

constexpr std::string_view kAuditAnchorEvents[] = {
    "Anchored(address indexed member,bytes32 indexed root,uint8 indexed kind,uint64 firstSeq,"
    "uint64 lastSeq,bytes signature)",
};

constexpr std::string_view kAuditAnchorErrors[] = {
    "InvalidAnchor(uint256 index,string field)",
    "NotActiveMember(address account)",
};

constexpr FunctionSpec kRecordTokenFunctions[] = {
    {"constructor(address registry_,address anchors_)", "()"},
    {"anchors()", "(address)"},
    {"approve(address approved,uint256 tokenId)", "()"},
    {"balanceOf(address owner)", "(uint256)"},
    {"getApproved(uint256 tokenId)", "(address)"},
    {"isApprovedForAll(address owner,address operator)", "(bool)"},
    {"mintOrUpdate(bytes32[] patientTokens,bytes32 root)", "(uint256)"},
    {"name()", "(string)"},
    {"ownerOf(uint256 tokenId)", "(address)"},
    {"recordId(bytes32 patientToken,address custodian)", "(uint256)"},
    {"recordOf(uint256 tokenId)", "(bytes32,address,bytes32,uint64)"},
    {"registry()", "(address)"},
    {"safeTransferFrom(address from,address to,uint256 tokenId)", "()"},
    {"safeTransferFrom(address from,address to,uint256 tokenId,bytes data)", "()"},
    {"setApprovalForAll(address operator,bool approved)", "()"},
    {"supportsInterface(bytes4 interfaceId)", "(bool)"},
    {"symbol()", "(string)"},
    {"transferFrom(address from,address to,uint256 tokenId)", "()"},
    {"updateRoots(uint256[] tokenIds,bytes32 root)", "()"},
};

constexpr std::string_view kRecordTokenEvents[] = {
    "Approval(address indexed owner,address indexed approved,uint256 indexed tokenId)",
    "ApprovalForAll(address indexed owner,address indexed operator,bool approved)",
    "RecordRootUpdated(uint256 indexed tokenId,bytes32 indexed patientToken,"
    "address indexed custodian,bytes32 root)",
    "Transfer(address indexed from,address indexed to,uint256 indexed tokenId)",
};

constexpr std::string_view kRecordTokenErrors[] = {
    "InvalidPatientToken(uint256 index)",
    "InvalidReceiver(address to)",
    "NonexistentToken(uint256 tokenId)",
    "NotActiveMember(address account)",
    "NotOwnerNorApproved(address caller,uint256 tokenId)",
    "RootNotAnchored(address custodian,bytes32 root)",
    "WrongOwner(address from,uint256 tokenId)",
};

constexpr std::string_view kTransferTuple = GW_TRANSFER;
constexpr std::string_view kAnchorTuple = GW_ANCHOR;
constexpr std::string_view kGrantInputTuple = GW_GRANT_INPUT;

#undef GW_MEMBER_INFO
#undef GW_GRANT_INPUT
#undef GW_GRANT
#undef GW_TRANSFER
#undef GW_ANCHOR

// A spec that does not parse is a bug in the tables above (the tests parse
// every one); stopping at first use beats encoding garbage.
template <typename T>
const T& must(const Result<T>& r) {
  if (!r.ok()) std::abort();
  return r.value();
}

internal::ParsedFunction parse_function(const FunctionSpec& spec) {
  internal::ParsedFunction f;
  f.sig = must(parse_function_signature(spec.signature));
  f.inputs = f.sig.types();
  f.outputs = must(parse_abi_type(spec.outputs)).components;
  f.selector = function_selector(f.sig.canonical());
  return f;
}

struct ParsedContract {
  std::vector<internal::ParsedFunction> functions;
};

const ParsedContract& parsed(ContractKind kind) {
  static const std::vector<ParsedContract> all = [] {
    std::vector<ParsedContract> out;
    for (ContractKind k : kAllContracts) {
      ParsedContract c;
      for (const FunctionSpec& s : function_specs(k)) c.functions.push_back(parse_function(s));
      out.push_back(std::move(c));
    }
    return out;
  }();
  return all[static_cast<size_t>(kind) % all.size()];
}

}  // namespace

std::string_view transfer_tuple_type() { return kTransferTuple; }
std::string_view anchor_tuple_type() { return kAnchorTuple; }
std::string_view grant_input_tuple_type() { return kGrantInputTuple; }

std::span<const FunctionSpec> function_specs(ContractKind kind) {
  switch (kind) {
    case ContractKind::kProviderRegistry:
      return kProviderRegistryFunctions;
    case ContractKind::kConsentRegistry:
      return kConsentRegistryFunctions;
    case ContractKind::kTransferLog:
      return kTransferLogFunctions;
    case ContractKind::kAuditAnchor:
      return kAuditAnchorFunctions;
    case ContractKind::kRecordToken:
      return kRecordTokenFunctions;
  }
  return {};
}

std::span<const std::string_view> event_specs(ContractKind kind) {
  switch (kind) {
    case ContractKind::kProviderRegistry:
      return kProviderRegistryEvents;
    case ContractKind::kConsentRegistry:
      return kConsentRegistryEvents;
    case ContractKind::kTransferLog:
      return kTransferLogEvents;
    case ContractKind::kAuditAnchor:
      return kAuditAnchorEvents;
    case ContractKind::kRecordToken:
      return kRecordTokenEvents;
  }
  return {};
}

std::span<const std::string_view> error_specs(ContractKind kind) {
  switch (kind) {
    case ContractKind::kProviderRegistry:
      return kProviderRegistryErrors;
    case ContractKind::kConsentRegistry:
      return kConsentRegistryErrors;
    case ContractKind::kTransferLog:
      return kTransferLogErrors;
    case ContractKind::kAuditAnchor:
      return kAuditAnchorErrors;
    case ContractKind::kRecordToken:
      return kRecordTokenErrors;
  }
  return {};
}

namespace internal {

const ParsedFunction& function(ContractKind kind, std::string_view name) {
  const bool canonical = name.find('(') != std::string_view::npos;
  for (const ParsedFunction& f : parsed(kind).functions)
    if (canonical ? f.sig.canonical() == name : f.sig.name == name) return f;
  std::abort();  // a name missing from the tables: a bug the unit tests catch
}

std::vector<uint8_t> encode_with_head(std::span<const uint8_t> head, const ParsedFunction& f,
                                      std::span<const AbiValue> args) {
  auto encoded = abi_encode(f.inputs, args);
  // The encoders build values of exactly these types from typed C++ fields;
  // a failure here is a bug in this folder, never a data error.
  if (!encoded.ok()) std::abort();
  std::vector<uint8_t> out;
  out.reserve(head.size() + encoded->size());
  out.insert(out.end(), head.begin(), head.end());
  out.insert(out.end(), encoded->begin(), encoded->end());
  return out;
}

Result<std::vector<AbiValue>> decode_return(const ParsedFunction& f,
                                            std::span<const uint8_t> data) {
  auto values = abi_decode(f.outputs, data);
  if (!values) return values.error().with_context(f.sig.name + " result");
  return values;
}

}  // namespace internal
}  // namespace gw::ledger::consortium
