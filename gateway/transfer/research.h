// Research (HRESCH) transfers leave de-identified by HIPAA Safe Harbor
// (gateway/deid): the selected records are de-identified, each one committed
// anew (its content changed) and the root recomputed over what is sent.
//
// The study key is HMAC-SHA-256(study root key, "gw-study|v1|" + study id):
// per study, and derived from a secret only this custodian holds, so neither
// the recipient nor any other member can compute a pseudonym from a token.
#pragma once

#include <cstdint>
#include <string>

#include "gateway/base/status.h"
#include "gateway/crypto/secret.h"
#include "gateway/transfer/record_selection.h"

namespace gw::transfer {

Result<Selection> deidentify_for_study(const Selection& selected, const std::string& study_id,
                                       const Hash256& patient_token,
                                       const crypto::SecretBytes& study_root_key, int64_t now_ms);

}  // namespace gw::transfer
