#include "ledger-client/consortium/events.h"

#include <cstdlib>

#include "ledger-client/abi/abi_event.h"
#include "ledger-client/consortium/abi_specs.h"
#include "ledger-client/consortium/internal.h"

namespace gw::ledger::consortium {
namespace {

using Fields = std::vector<LogField>;
using internal::get_address;
using internal::get_bool;
using internal::get_bytes;
using internal::get_hash;
using internal::get_string;
using internal::get_u256;
using internal::get_u64;

// Field accessors by declaration index. decode_log returns exactly one field
// per parameter with the declared type, so the indexes are always in range.
Address A(const Fields& f, size_t i) { return get_address(f[i].value); }
Hash256 H(const Fields& f, size_t i) { return get_hash(f[i].value); }
Uint256 U(const Fields& f, size_t i) { return get_u256(f[i].value); }
uint64_t N(const Fields& f, size_t i) { return get_u64(f[i].value); }
uint8_t N8(const Fields& f, size_t i) { return static_cast<uint8_t>(get_u64(f[i].value)); }
uint32_t N32(const Fields& f, size_t i) { return static_cast<uint32_t>(get_u64(f[i].value)); }

using Builder = Event (*)(const Fields&);

struct BuilderEntry {
  std::string_view name;
  Builder build;
};

// One builder per event, in the order of the event's Solidity parameters
// (abi_specs.cc). The tests build each log by hand and compare every field.
constexpr BuilderEntry kBuilders[] = {
    {MemberAdded::kName,
     [](const Fields& f) -> Event {
       return MemberAdded{A(f, 0), H(f, 1), U(f, 2), get_string(f[3].value), get_string(f[4].value),
                          H(f, 5), H(f, 6), H(f, 7), get_string(f[8].value)};
     }},
    {MemberSuspended::kName,
     [](const Fields& f) -> Event {
       return MemberSuspended{A(f, 0), U(f, 1)};
     }},
    {MemberReinstated::kName,
     [](const Fields& f) -> Event {
       return MemberReinstated{A(f, 0), U(f, 1)};
     }},
    {MemberRekeyed::kName,
     [](const Fields& f) -> Event {
       return MemberRekeyed{A(f, 0), U(f, 1), H(f, 2), H(f, 3), H(f, 4)};
     }},
    {QuorumChanged::kName,
     [](const Fields& f) -> Event {
       return QuorumChanged{N8(f, 0), U(f, 1)};
     }},
    {PolicyChanged::kName,
     [](const Fields& f) -> Event {
       return PolicyChanged{U(f, 0), U(f, 1)};
     }},
    {CustodyDecided::kName,
     [](const Fields& f) -> Event {
       return CustodyDecided{H(f, 0), A(f, 1), U(f, 2)};
     }},
    {ProposalCreated::kName,
     [](const Fields& f) -> Event {
       return ProposalCreated{U(f, 0), N8(f, 1), A(f, 2), A(f, 3), N(f, 4)};
     }},
    {ProposalApproved::kName,
     [](const Fields& f) -> Event {
       return ProposalApproved{U(f, 0), A(f, 1), U(f, 2)};
     }},
    {ProposalExecuted::kName,
     [](const Fields& f) -> Event {
       return ProposalExecuted{U(f, 0), N8(f, 1), A(f, 2)};
     }},
    {PatientRegistered::kName,
     [](const Fields& f) -> Event {
       return PatientRegistered{H(f, 0), A(f, 1), A(f, 2)};
     }},
    {CustodyTransferred::kName,
     [](const Fields& f) -> Event {
       return CustodyTransferred{H(f, 0), A(f, 1), A(f, 2)};
     }},
    {CustodyReassigned::kName,
     [](const Fields& f) -> Event {
       return CustodyReassigned{H(f, 0), A(f, 1), A(f, 2), U(f, 3)};
     }},
    {PatientKeyChanged::kName,
     [](const Fields& f) -> Event {
       return PatientKeyChanged{H(f, 0), A(f, 1), A(f, 2)};
     }},
    {ConsentGranted::kName,
     [](const Fields& f) -> Event {
       return ConsentGranted{H(f, 0), A(f, 1), A(f, 2),   N8(f, 3), N(f, 4), N(f, 5),
                             N(f, 6), N(f, 7), N32(f, 8), H(f, 9),  H(f, 10)};
     }},
    {ConsentRevoked::kName,
     [](const Fields& f) -> Event {
       return ConsentRevoked{H(f, 0), A(f, 1), A(f, 2), N8(f, 3), N32(f, 4), H(f, 5), H(f, 6)};
     }},
    {DenyChanged::kName,
     [](const Fields& f) -> Event {
       return DenyChanged{H(f, 0), A(f, 1), A(f, 2), N32(f, 3), get_bool(f[4].value), H(f, 5)};
     }},
    {TransferRecorded::kName,
     [](const Fields& f) -> Event {
       return TransferRecorded{A(f, 0),  A(f, 1),  H(f, 2), U(f, 3),  H(f, 4),
                               N8(f, 5), N8(f, 6), H(f, 7), N32(f, 8)};
     }},
    {TransferRefused::kName,
     [](const Fields& f) -> Event {
       return TransferRefused{A(f, 0), A(f, 1), H(f, 2), U(f, 3), N8(f, 4)};
     }},
    {Anchored::kName,
     [](const Fields& f) -> Event {
       return Anchored{A(f, 0), H(f, 1), N8(f, 2), N(f, 3), N(f, 4), get_bytes(f[5].value)};
     }},
    {RecordRootUpdated::kName,
     [](const Fields& f) -> Event {
       return RecordRootUpdated{U(f, 0), H(f, 1), A(f, 2), H(f, 3)};
     }},
    {TokenTransfer::kName,
     [](const Fields& f) -> Event {
       return TokenTransfer{A(f, 0), A(f, 1), U(f, 2)};
     }},
    {TokenApproval::kName,
     [](const Fields& f) -> Event {
       return TokenApproval{A(f, 0), A(f, 1), U(f, 2)};
     }},
    {TokenApprovalForAll::kName,
     [](const Fields& f) -> Event {
       return TokenApprovalForAll{A(f, 0), A(f, 1), get_bool(f[2].value)};
     }},
};

struct EventEntry {
  AbiSignature sig;
  Hash256 topic{};
  size_t topic_count = 0;  // 1 + indexed parameters
  Builder build = nullptr;
};

Builder builder_for(std::string_view name) {
  for (const BuilderEntry& b : kBuilders)
    if (b.name == name) return b.build;
  std::abort();  // an event in abi_specs.cc without a builder: a bug the tests catch
}

const std::vector<EventEntry>& event_table() {
  static const std::vector<EventEntry> table = [] {
    std::vector<EventEntry> out;
    for (ContractKind kind : kAllContracts) {
      for (std::string_view spec : event_specs(kind)) {
        auto sig = parse_event_signature(spec);
        if (!sig) std::abort();  // the tests parse every spec
        EventEntry e;
        e.topic = event_topic(sig->canonical());
        e.topic_count = 1;
        for (const AbiParam& p : sig->params) e.topic_count += p.indexed ? 1 : 0;
        e.build = builder_for(sig->name);
        e.sig = std::move(*sig);
        out.push_back(std::move(e));
      }
    }
    return out;
  }();
  return table;
}

}  // namespace

Result<std::optional<Event>> decode_event(std::span<const Hash256> topics,
                                          std::span<const uint8_t> data) {
  if (topics.empty()) return std::optional<Event>();
  for (const EventEntry& e : event_table()) {
    if (e.topic != topics[0]) continue;
    // ERC-20 Transfer/Approval: same signature hash, but the value is not
    // indexed, so 3 topics. Not ours.
    if ((e.sig.name == TokenTransfer::kName || e.sig.name == TokenApproval::kName) &&
        topics.size() == 3)
      return std::optional<Event>();
    auto fields = decode_log(e.sig, topics, data);
    if (!fields) return fields.error();
    return std::optional<Event>(e.build(*fields));
  }
  return std::optional<Event>();
}

std::string_view event_name(const Event& event) {
  return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::kName; }, event);
}

std::optional<Hash256> event_topic0(std::string_view name) {
  for (const EventEntry& e : event_table())
    if (e.sig.name == name) return e.topic;
  return std::nullopt;
}

std::span<const AbiSignature> custom_errors() {
  static const std::vector<AbiSignature> errors = [] {
    std::vector<AbiSignature> out;
    for (ContractKind kind : kAllContracts) {
      for (std::string_view spec : error_specs(kind)) {
        auto sig = parse_function_signature(spec);
        if (!sig) std::abort();  // the tests parse every spec
        bool seen = false;
        for (const AbiSignature& s : out) seen = seen || s.canonical() == sig->canonical();
        if (!seen) out.push_back(std::move(*sig));
      }
    }
    return out;
  }();
  return errors;
}

}  // namespace gw::ledger::consortium
