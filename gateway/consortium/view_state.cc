#include "gateway/consortium/view_state.h"

#include <type_traits>
#include <variant>

#include "ledger-client/consortium/events.h"
#include "ledger-client/consortium/transfer_log.h"

namespace gw::consortium {
namespace {

namespace cs = ledger::consortium;

// The entry of `key` in `delta`, first copied from `base` (or default) when
// this run has not touched it yet.
template <typename Map, typename Key>
typename Map::mapped_type& touch(Map& delta, const Map& base, const Key& key) {
  auto it = delta.find(key);
  if (it != delta.end()) return it->second;
  auto b = base.find(key);
  return delta.emplace(key, b != base.end() ? b->second : typename Map::mapped_type{})
      .first->second;
}

std::string where(const ledger::Log& log) {
  return "block " + std::to_string(log.block_number) + " log " + std::to_string(log.log_index);
}

enum class Source { kRegistry, kConsents, kTransferLog, kOther };

template <typename E>
constexpr Source source_of() {
  if constexpr (std::is_same_v<E, cs::MemberAdded> || std::is_same_v<E, cs::MemberSuspended> ||
                std::is_same_v<E, cs::MemberReinstated> || std::is_same_v<E, cs::MemberRekeyed> ||
                std::is_same_v<E, cs::QuorumChanged> || std::is_same_v<E, cs::PolicyChanged>) {
    return Source::kRegistry;
  } else if constexpr (std::is_same_v<E, cs::PatientRegistered> ||
                       std::is_same_v<E, cs::CustodyTransferred> ||
                       std::is_same_v<E, cs::CustodyReassigned> ||
                       std::is_same_v<E, cs::PatientKeyChanged> ||
                       std::is_same_v<E, cs::ConsentGranted> ||
                       std::is_same_v<E, cs::ConsentRevoked> ||
                       std::is_same_v<E, cs::DenyChanged>) {
    return Source::kConsents;
  } else if constexpr (std::is_same_v<E, cs::TransferRecorded> ||
                       std::is_same_v<E, cs::TransferRefused>) {
    return Source::kTransferLog;
  } else {
    return Source::kOther;
  }
}

struct Applier {
  const ViewState& base;
  const ViewScope& scope;
  const ledger::Log& log;
  ViewDelta& d;

  MemberEntry& member(const Address& a) { return touch(d.members, base.members, a); }
  PatientEntry& patient(const Hash256& t) { return touch(d.patients, base.patients, t); }
  GrantEntry& grant(const Hash256& token, const Address& grantee, uint8_t purpose) {
    GrantEntry& g = touch(d.grants, base.grants, GrantId{token, grantee, purpose});
    if (g.version == 0 && g.flags == 0) {  // a slot never written before
      g.patient_token = token;
      g.grantee = grantee;
      g.purpose = purpose;
      g.consent_key = cs::consent_key(token, grantee, static_cast<cs::Purpose>(purpose));
    }
    g.changed_block = log.block_number;
    return g;
  }

  void operator()(const cs::MemberAdded& e) {
    MemberEntry& m = member(e.account);
    m.info = cs::MemberInfo{e.account,         e.org_id,           e.name,         e.encryption_key,
                            e.tls_fingerprint, e.signing_key_hash, e.accreditation};
    m.status = cs::MemberStatus::kActive;
    m.changed_block = log.block_number;
  }
  void operator()(const cs::MemberSuspended& e) {
    MemberEntry& m = member(e.account);
    m.status = cs::MemberStatus::kSuspended;
    m.changed_block = log.block_number;
  }
  void operator()(const cs::MemberReinstated& e) {
    MemberEntry& m = member(e.account);
    m.status = cs::MemberStatus::kActive;
    m.changed_block = log.block_number;
  }
  void operator()(const cs::MemberRekeyed& e) {
    MemberEntry& m = member(e.account);
    m.info.encryption_key = e.encryption_key;
    m.info.tls_fingerprint = e.tls_fingerprint;
    m.info.signing_key_hash = e.signing_key_hash;
    m.changed_block = log.block_number;
  }
  void operator()(const cs::QuorumChanged& e) { d.quorum = e.quorum; }
  void operator()(const cs::PolicyChanged& e) { d.policy = e.policy; }

  void operator()(const cs::PatientRegistered& e) {
    PatientEntry& p = patient(e.patient_token);
    p.custodian = e.custodian;
    p.patient_key = e.patient_key;
    p.changed_block = log.block_number;
  }
  void operator()(const cs::CustodyTransferred& e) { set_custodian(e.patient_token, e.to); }
  // The patient key is cleared by its own PatientKeyChanged event.
  void operator()(const cs::CustodyReassigned& e) { set_custodian(e.patient_token, e.to); }
  void set_custodian(const Hash256& token, const Address& to) {
    PatientEntry& p = patient(token);
    p.custodian = to;
    p.changed_block = log.block_number;
  }
  void operator()(const cs::PatientKeyChanged& e) {
    PatientEntry& p = patient(e.patient_token);
    p.patient_key = e.patient_key;
    p.changed_block = log.block_number;
  }
  void operator()(const cs::ConsentGranted& e) {
    GrantEntry& g = grant(e.patient_token, e.grantee, e.purpose);
    g.categories = e.categories;
    g.exclusions = e.exclusions;
    g.valid_from = e.valid_from;
    g.valid_until = e.valid_until;
    g.version = e.version;
    // A grant replaces a revocation but never lifts a deny (ConsentRegistry._grant).
    g.flags = static_cast<uint8_t>((g.flags & kGrantDenied) | kGrantGranted);
    g.consent_hash = e.consent_hash;
  }
  void operator()(const cs::ConsentRevoked& e) {
    GrantEntry& g = grant(e.patient_token, e.grantee, e.purpose);
    g.flags |= kGrantRevoked;
  }
  void operator()(const cs::DenyChanged& e) {
    if (e.grantee == Address{}) {
      PatientEntry& p = patient(e.patient_token);
      p.denied_purposes =
          e.denied ? p.denied_purposes | e.purpose_mask : p.denied_purposes & ~e.purpose_mask;
      p.changed_block = log.block_number;
      return;
    }
    for (uint8_t purpose = 0; purpose < 32; ++purpose) {
      if (((e.purpose_mask >> purpose) & 1) == 0) continue;
      GrantEntry& g = grant(e.patient_token, e.grantee, purpose);
      g.flags = static_cast<uint8_t>(e.denied ? g.flags | kGrantDenied : g.flags & ~kGrantDenied);
    }
  }

  TransferEntry transfer(const Address& from, const Address& to, const Hash256& token,
                         const Uint256& id) {
    TransferEntry t;
    t.from = from;
    t.to = to;
    t.patient_token = token;
    t.transfer_id = id;
    t.block = log.block_number;
    t.tx_hash = log.transaction_hash;
    t.log_index = log.log_index;
    return t;
  }
  void operator()(const cs::TransferRecorded& e) {
    TransferEntry t = transfer(e.from, e.to, e.patient_token, e.transfer_id);
    t.commitment = e.commitment;
    t.purpose = e.purpose;
    t.flags = e.flags;
    t.consent_key = e.consent_key;
    t.consent_version = e.consent_version;
    d.recorded[TransferKey{e.from, e.transfer_id}] = t;
  }
  void operator()(const cs::TransferRefused& e) {
    TransferEntry t = transfer(e.from, e.to, e.patient_token, e.transfer_id);
    t.reason = e.reason;
    d.refused[TransferKey{e.from, e.transfer_id}] = t;
  }
};

bool involves_self(const cs::Event& event, const Address& self) {
  if (const auto* r = std::get_if<cs::TransferRecorded>(&event))
    return r->from == self || r->to == self;
  if (const auto* r = std::get_if<cs::TransferRefused>(&event))
    return r->from == self || r->to == self;
  return true;
}

}  // namespace

Status apply_log(const ViewState& base, const ViewScope& scope, const ledger::Log& log,
                 ViewDelta& delta) {
  if (log.removed) {
    return unavailable_error("a log at " + where(log) + " was removed by a reorganisation");
  }
  Source from = Source::kOther;
  if (log.address == scope.registry) from = Source::kRegistry;
  if (log.address == scope.consents) from = Source::kConsents;
  if (log.address == scope.transfer_log) from = Source::kTransferLog;
  if (from == Source::kOther) return ok_status();
  auto decoded = cs::decode_event(log.topics, log.data);
  if (!decoded) {
    return data_loss_error("consortium event at " + where(log) +
                           " does not decode: " + decoded.error().message());
  }
  if (!decoded->has_value()) return ok_status();
  const cs::Event& event = **decoded;
  return std::visit(
      [&](const auto& e) -> Status {
        using E = std::decay_t<decltype(e)>;
        constexpr Source declared = source_of<E>();
        if constexpr (declared == Source::kOther) {
          return ok_status();  // governance bookkeeping, anchors, tokens: not part of the view
        } else {
          if (declared != from) {
            return data_loss_error(std::string("consortium event ") + std::string(E::kName) +
                                   " at " + where(log) + " comes from another contract");
          }
          if (!involves_self(event, scope.self)) return ok_status();
          Applier{base, scope, log, delta}(e);
          ++delta.events;
          return ok_status();
        }
      },
      event);
}

void merge(ViewState& state, ViewDelta&& delta) {
  for (auto& [account, m] : delta.members) {
    auto old = state.members.find(account);
    if (old != state.members.end()) {
      auto fp = state.by_tls_fingerprint.find(old->second.info.tls_fingerprint);
      if (fp != state.by_tls_fingerprint.end() && fp->second == account)
        state.by_tls_fingerprint.erase(fp);
    }
    state.by_org_id[m.info.org_id] = account;
    state.by_tls_fingerprint[m.info.tls_fingerprint] = account;
    state.members[account] = std::move(m);
  }
  for (auto& [k, v] : delta.patients) state.patients[k] = v;
  for (auto& [k, v] : delta.grants) state.grants[k] = v;
  for (auto& [k, v] : delta.recorded) state.recorded[k] = v;
  for (auto& [k, v] : delta.refused) state.refused[k] = v;
  if (delta.policy) state.policy = *delta.policy;
  if (delta.quorum) state.quorum = *delta.quorum;
}

bool emergency_access_enabled(const ViewState& state) {
  return (state.policy.bytes()[31] & cs::kPolicyEmergencyAccess) != 0;
}

CheckResult check_consent(const ViewState& state, const Hash256& patient_token,
                          const Address& grantee, uint8_t purpose, uint64_t now_s) {
  using cs::Decision;
  CheckResult r;
  auto m = state.members.find(grantee);
  r.grantee_active = m != state.members.end() && m->second.status == cs::MemberStatus::kActive;
  if (purpose >= 32) {
    r.decision = Decision::kInvalidPurpose;
    return r;
  }
  const GrantEntry* g = nullptr;
  if (auto it = state.grants.find(GrantId{patient_token, grantee, purpose});
      it != state.grants.end()) {
    g = &it->second;
    r.consent_key = g->consent_key;
    r.version = g->version;
  } else {
    r.consent_key = cs::consent_key(patient_token, grantee, static_cast<cs::Purpose>(purpose));
  }
  const uint8_t flags = g != nullptr ? g->flags : 0;
  uint32_t all_denied = 0;
  if (auto p = state.patients.find(patient_token); p != state.patients.end())
    all_denied = p->second.denied_purposes;
  // The order of ConsentRegistry.check: deny overrides everything.
  if ((flags & kGrantDenied) != 0 || ((all_denied >> purpose) & 1) != 0) {
    r.decision = Decision::kDenied;
  } else if ((flags & kGrantGranted) == 0) {
    r.decision = Decision::kNoConsent;
  } else if ((flags & kGrantRevoked) != 0) {
    r.decision = Decision::kRevoked;
  } else if (now_s < g->valid_from) {
    r.decision = Decision::kNotYetValid;
  } else if (now_s >= g->valid_until) {
    r.decision = Decision::kExpired;
  } else {
    r.decision = Decision::kPermit;
  }
  if (g != nullptr && (flags & kGrantGranted) != 0) {
    r.categories = g->categories;
    r.exclusions = g->exclusions;
    r.valid_until = g->valid_until;
  }
  r.emergency = emergency_access_enabled(state) &&
                purpose == static_cast<uint8_t>(cs::Purpose::kEtreat) &&
                r.decision != Decision::kPermit && r.decision != Decision::kDenied;
  return r;
}

}  // namespace gw::consortium
