// Tokenization, the step between normalization and commit (ingest ->
// normalize -> tokenize -> commit -> acknowledge): every Patient record about
// to be written gets the consortium tokens of its identifiers, the pseudonyms
// by which the ledger and the other member gateways name the patient
// (crypto/tokenizer.h). The store only keeps the tokens it is given.
//
// Both writers call it just before they submit: the MLLP pipeline
// (mllp_ingest.cc) and the FHIR REST API (rest/fhir_interactions.cc).
#pragma once

#include <vector>

#include "gateway/crypto/store_keys.h"
#include "gateway/store/message_store.h"

namespace gw::pipeline {

// Sets RecordWrite::patient_tokens of each Patient write: one token per
// identifier with both a system and a value (a bare value names no patient
// across gateways), in identifier order. Other resource types get none.
void tokenize(const crypto::StoreKeys& keys, std::vector<store::RecordWrite>* records);

}  // namespace gw::pipeline
