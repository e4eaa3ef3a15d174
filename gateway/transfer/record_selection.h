// Which of a patient's records a transfer sends: the custodian's filter.
//
// A grant names resource categories and excluded security labels (scope.h).
// Partial access, not all or nothing: every record of the patient's
// compartment whose categories all lie inside the granted ones (and inside
// those asked for) and that carries none of the excluded labels is sent; the
// rest stay home. Records of no mapped category are never sent (fail closed).
// Directory resources the sent records point at (the Practitioner who
// performed a test, the Organization, the Location) carry no patient data and
// go with them, so that the recipient can read who did what.
//
// What is sent must stay valid FHIR on its own: a reference to a record that
// stays home is removed from the record that holds it (the element, or the
// array item; an array left empty goes too), and a record that becomes
// invalid through that (a required reference gone) is not sent either, which
// may in turn remove references to it: repeated until nothing changes.
//
// A record sent as stored keeps its stored salt and commitment (the one its
// record batch anchored); a record changed by the pruning is committed anew.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/store/message_store.h"
#include "gateway/transfer/payload.h"

namespace gw::transfer {

struct SelectionScope {
  uint64_t categories = 0;  // granted (and asked for): a record's bits must all be in here
  uint64_t exclusions = 0;  // a record carrying any of these labels stays home
  size_t max_records = 20'000;
};

struct Selection {
  std::vector<PayloadRecord> records;  // ordered by type and id
  Hash256 root{};                      // over the records' commitments
  // What stayed home, counted for the operator (no content).
  size_t out_of_scope = 0, excluded_by_label = 0, invalid_after_pruning = 0;
  size_t references_removed = 0;
};

// The records of the patients `patient_ids` (one person may be several
// Patient resources with the same token) within `scope`. not-found if there
// are no records; failed-precondition if nothing is left after filtering;
// resource-exhausted beyond scope.max_records.
Result<Selection> select_records(store::MessageStore& store,
                                 const std::vector<std::string>& patient_ids,
                                 const SelectionScope& scope);

}  // namespace gw::transfer
