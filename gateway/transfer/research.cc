#include "gateway/transfer/research.h"

#include <sodium.h>

#include <chrono>

#include "gateway/crypto/commitment.h"
#include "gateway/crypto/tokenizer.h"
#include "gateway/deid/safe_harbor.h"

namespace gw::transfer {
namespace {

Result<crypto::SecretBytes> study_key(const crypto::SecretBytes& root,
                                      const std::string& study_id) {
  if (root.size() < 32) return failed_precondition_error("no study root key");
  auto key = crypto::SecretBytes::allocate(crypto_auth_hmacsha256_BYTES);
  if (!key) return internal_error("no locked memory for the study key");
  const std::string message = "gw-study|v1|" + study_id;
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, root.data(), root.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const uint8_t*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&st, key->mutable_data());
  sodium_memzero(&st, sizeof st);
  key->make_read_only();
  return std::move(*key);
}

}  // namespace

Result<Selection> deidentify_for_study(const Selection& selected, const std::string& study_id,
                                       const Hash256& patient_token,
                                       const crypto::SecretBytes& study_root_key, int64_t now_ms) {
  GW_ASSIGN_OR_RETURN(const crypto::SecretBytes key, study_key(study_root_key, study_id));
  std::vector<deid::Record> records;
  records.reserve(selected.records.size());
  for (const PayloadRecord& r : selected.records) {
    records.push_back({r.resource_type, r.resource_id, r.resource_json});
  }
  deid::SafeHarborOptions options;
  options.study_id = study_id;
  options.reference_date = std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(now_ms))));
  options.max_records = selected.records.size() + 1;
  GW_ASSIGN_OR_RETURN(deid::DeidResult result,
                      deid::deidentify(records, key, crypto::token_text(patient_token), options));
  Selection out;
  out.out_of_scope = selected.out_of_scope;
  out.excluded_by_label = selected.excluded_by_label;
  out.invalid_after_pruning = selected.invalid_after_pruning;
  out.references_removed = selected.references_removed;
  std::vector<Hash256> commitments;
  for (deid::Record& r : result.records) {
    PayloadRecord p;
    p.resource_type = std::move(r.resource_type);
    p.resource_id = std::move(r.id);
    p.resource_json = std::move(r.json);
    const crypto::Commitment c = crypto::commit(p.resource_json);
    p.salt = c.salt;
    p.commitment = c.digest;
    commitments.push_back(p.commitment);
    out.records.push_back(std::move(p));
  }
  auto root = commitment_root(commitments);
  if (!root) return failed_precondition_error("nothing is left after de-identification");
  out.root = *root;
  return out;
}

}  // namespace gw::transfer
