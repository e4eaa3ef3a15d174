// Fuzz target: arbitrary bytes as a Consent. Every input is either refused
// with a path into the Consent, or mapped to a plan that keeps the contract's
// invariants; plan_operations must then be consistent with that plan.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gateway/consent/consent_mapping.h"
#include "gateway/consent/consent_operations.h"

namespace {

using namespace gw::consent;  // NOLINT: a fuzz driver

constexpr uint64_t kNow = 1'750'000'000;

void check(bool ok) {
  if (!ok) std::abort();
}

// Members: any org_id under urn:oid:1.2.3. (suspended if it ends in 9).
std::optional<Member> resolve(std::string_view, std::string_view value) {
  if (value.substr(0, 14) != "urn:oid:1.2.3.") return std::nullopt;
  Member m;
  m.account[0] = 1;
  for (size_t i = 0; i < value.size(); ++i) m.account[1 + i % 19] ^= static_cast<uint8_t>(value[i]);
  m.active = value.back() != '9';
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  ConsentResult<ConsentPlan> r = map_consent_json(input, resolve, kNow);
  if (!r.ok()) {
    check(r.error().path.rfind("Consent", 0) == 0);
    check(!r.error().reason.empty());
    (void)r.error().to_string();
    return 0;
  }
  const ConsentPlan& plan = *r;
  check(plan.patient.id.empty() != plan.patient.identifier_value.empty());
  if (!plan.in_force()) check(plan.grants.empty() && plan.denies.empty());
  check(plan.grants.size() <= kMaxGrantPairs);
  check(std::is_sorted(plan.grants.begin(), plan.grants.end(), [](const auto& a, const auto& b) {
    return std::pair(a.grantee, a.purpose) < std::pair(b.grantee, b.purpose);
  }));
  for (const PlannedGrant& g : plan.grants) {
    check(g.categories != 0 && g.valid_from < g.valid_until && g.valid_until > kNow);
    check(g.valid_until <= gw::ledger::consortium::kOpenEnded);
  }
  for (const PlannedDeny& d : plan.denies) check(d.purpose_mask != 0);

  Hash256 token{}, hash{};
  token.fill(7);
  hash.fill(9);
  const auto ops = plan_operations(std::nullopt, plan, token, hash);
  check(ops.size() == plan.grants.size() + plan.denies.size());
  for (const ContractOp& op : ops) check(!call_data(op).empty());
  check(plan_operations(plan, plan, token, hash).empty());
  ConsentPlan off = plan;
  off.status = ConsentStatus::kInactive;
  check(plan_operations(plan, off, token, hash).size() == ops.size());
  return 0;
}
