#include "gateway/consent/consent_operations.h"

#include <map>

namespace gw::consent {
namespace {

namespace consortium = ledger::consortium;

using GrantKey = std::pair<Address, Purpose>;

std::map<GrantKey, const PlannedGrant*> grants_of(const ConsentPlan* plan) {
  std::map<GrantKey, const PlannedGrant*> out;
  if (plan == nullptr || !plan->in_force()) return out;
  for (const PlannedGrant& g : plan->grants) out[{g.grantee, g.purpose}] = &g;
  return out;
}

std::map<Address, uint32_t> denies_of(const ConsentPlan* plan) {
  std::map<Address, uint32_t> out;
  if (plan == nullptr || !plan->in_force()) return out;
  for (const PlannedDeny& d : plan->denies) out[d.grantee] |= d.purpose_mask;
  return out;
}

}  // namespace

std::vector<ContractOp> plan_operations(const std::optional<ConsentPlan>& previous,
                                        const ConsentPlan& next, const Hash256& patient_token,
                                        const Hash256& consent_hash) {
  const auto old_grants = grants_of(previous ? &*previous : nullptr);
  const auto new_grants = grants_of(&next);
  const auto old_denies = denies_of(previous ? &*previous : nullptr);
  const auto new_denies = denies_of(&next);

  // Per grantee (ordered, every-member first): the purposes denied anew and
  // the purposes whose deny is lifted.
  std::map<Address, std::pair<uint32_t, uint32_t>> deny_changes;
  for (const auto& [grantee, mask] : new_denies) {
    const auto it = old_denies.find(grantee);
    deny_changes[grantee].first = mask & ~(it == old_denies.end() ? 0u : it->second);
  }
  for (const auto& [grantee, mask] : old_denies) {
    const auto it = new_denies.find(grantee);
    deny_changes[grantee].second = mask & ~(it == new_denies.end() ? 0u : it->second);
  }

  std::vector<ContractOp> ops;
  for (const auto& [grantee, change] : deny_changes) {
    if (change.first != 0) {
      ops.push_back(DenyOp{patient_token, grantee, change.first, true, consent_hash});
    }
  }
  for (const auto& [key, grant] : old_grants) {
    if (!new_grants.contains(key)) {
      ops.push_back(RevokeOp{patient_token, key.first, key.second, consent_hash});
    }
  }
  for (const auto& [key, grant] : new_grants) {
    const auto it = old_grants.find(key);
    if (it != old_grants.end() && *it->second == *grant) continue;
    consortium::GrantInput in;
    in.patient_token = patient_token;
    in.grantee = grant->grantee;
    in.purpose = grant->purpose;
    in.categories = grant->categories;
    in.exclusions = grant->exclusions;
    in.valid_from = grant->valid_from;
    in.valid_until = grant->valid_until;
    in.consent_hash = consent_hash;
    ops.push_back(in);
  }
  for (const auto& [grantee, change] : deny_changes) {
    if (change.second != 0) {
      ops.push_back(DenyOp{patient_token, grantee, change.second, false, consent_hash});
    }
  }
  return ops;
}

std::vector<uint8_t> call_data(const ContractOp& op) {
  if (const auto* g = std::get_if<consortium::GrantInput>(&op)) return consortium::grant(*g);
  if (const auto* r = std::get_if<RevokeOp>(&op)) {
    return consortium::revoke(r->patient_token, r->grantee, r->purpose, r->consent_hash);
  }
  const DenyOp& d = std::get<DenyOp>(op);
  return consortium::set_deny(d.patient_token, d.grantee, d.purpose_mask, d.denied, d.consent_hash);
}

std::optional<std::string> find_overlap(const ConsentPlan& a, const ConsentPlan& b) {
  const auto a_grants = grants_of(&a);
  for (const auto& [key, grant] : grants_of(&b)) {
    if (a_grants.contains(key)) {
      return "both grant one member purpose " + std::string(consortium::purpose_code(key.second)) +
             "; the ledger keeps one grant per member and purpose";
    }
  }
  const auto a_denies = denies_of(&a);
  for (const auto& [grantee, mask] : denies_of(&b)) {
    const auto it = a_denies.find(grantee);
    if (it != a_denies.end() && (it->second & mask) != 0) {
      return std::string("both deny ") + (grantee == Address{} ? "every member" : "one member") +
             " a common purpose; lifting one would lift the other";
    }
  }
  return std::nullopt;
}

}  // namespace gw::consent
