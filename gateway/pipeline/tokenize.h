// Tokenization, the step between normalization and commit (ingest ->
// normalize -> tokenize -> commit -> acknowledge): every Patient record about
// to be written gets the consortium tokens of its identifiers, the pseudonyms
// by which the ledger and the other member gateways name the patient
// (crypto/tokenizer.h). The store only keeps the tokens it is given.
//
// Both writers call it just before they submit: the MLLP pipeline
// (mllp_ingest.cc) and the FHIR REST API (rest/fhir_interactions.cc).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "gateway/crypto/store_keys.h"
#include "gateway/store/message_store.h"

namespace gw::pipeline {

// Sets RecordWrite::patient_tokens of each Patient write: one token per
// identifier with both a system and a value (a bare value names no patient
// across gateways), in identifier order. Other resource types get none.
void tokenize(const crypto::StoreKeys& keys, std::vector<store::RecordWrite>* records);

// The consortium tokens of a stored Patient's identifiers, as tokenize() gave
// them at ingest (each identifier with both a system and a value, in
// identifier order), as the ledger's 32 bytes; a token repeated by two
// identifiers once. Empty when the record does not parse or has no such
// identifier. The first is the token this gateway registers the patient
// under (consent/README.md, "Which token").
std::vector<std::array<uint8_t, 32>> stored_patient_tokens(const crypto::StoreKeys& keys,
                                                           const store::StoredRecord& patient);

}  // namespace gw::pipeline
