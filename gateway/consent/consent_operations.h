// The ConsentRegistry calls that move the chain from what the previous
// version of a Consent put there to what the new version asks for (create,
// PUT of a changed Consent, status inactive / entered-in-error).
//
// The chain holds one slot per (patient, member, purpose) and one every-member
// deny mask per patient; it does not know which Consent wrote them. So the
// caller must keep two in-force Consents of the same patient from writing the
// same slot (find_overlap), or revoking one would take back the other's grant.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gateway/consent/consent_mapping.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::consent {

using ledger::Hash256;

struct RevokeOp {
  Hash256 patient_token{};
  Address grantee{};
  Purpose purpose = Purpose::kTreat;
  Hash256 consent_hash{};  // the version that records the revocation
  bool operator==(const RevokeOp&) const = default;
};

struct DenyOp {
  Hash256 patient_token{};
  Address grantee{};  // all zero: every member
  uint32_t purpose_mask = 0;
  bool denied = true;  // false: lift
  Hash256 consent_hash{};
  bool operator==(const DenyOp&) const = default;
};

using ContractOp = std::variant<ledger::consortium::GrantInput, RevokeOp, DenyOp>;

// The ordered calls from `previous` (the plan of the version whose calls were
// applied; nullopt for a new Consent) to `next`. Both are the same patient's,
// whose token is `patient_token`: the caller refuses a version that changes
// the patient. `consent_hash` is SHA-256 of the new version's canonical JSON
// and is cited by every call.
//
// Order: narrowing first, so that no moment between two transactions grants
// more than either version: new denies, then revocations, then grants (new
// or changed; an unchanged grant is not rewritten and keeps citing the
// version that wrote it), then lifted denies. Within each group, by grantee
// then purpose. A plan that is not in force asks for nothing, so a version
// with status inactive / entered-in-error revokes every grant and lifts every
// deny of `previous`.
std::vector<ContractOp> plan_operations(const std::optional<ConsentPlan>& previous,
                                        const ConsentPlan& next, const Hash256& patient_token,
                                        const Hash256& consent_hash);

// Transaction data of one call (ConsentRegistry grant / revoke / setDeny).
std::vector<uint8_t> call_data(const ContractOp& op);

// Whether two in-force plans of one patient write the same on-chain slot: a
// grant to the same (member, purpose), or denies for the same member and a
// common purpose. nullopt if not; else a reason naming the purpose (no PHI).
std::optional<std::string> find_overlap(const ConsentPlan& a, const ConsentPlan& b);

}  // namespace gw::consent
