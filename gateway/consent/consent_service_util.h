// Small pieces of the Consent endpoint shared by its write and read paths:
// OperationOutcomes that name an element, and the ledger-state extension.
#pragma once

#include <string_view>

#include "fhir/json/json.h"
#include "gateway/consent/consent_mapping.h"
#include "gateway/rest/fhir_rest_util.h"

namespace gw::consent {

// An OperationOutcome with one error issue whose expression is `path`.
// `diagnostics` is fixed text (no values from the request).
rest::ApiResult path_error(int status, std::string_view code, std::string_view path,
                           std::string_view diagnostics);
// A mapping refusal: kInvalid -> 400 (structure), kNotExpressible -> 422
// (not-supported), with the error's path and reason.
rest::ApiResult consent_error_result(const ConsentError& error);

// Removes the extensions with kLedgerStateUrl (server-computed; a client that
// PUTs back what it read must not have them stored), and `extension` if left empty.
void drop_ledger_state(fhir::JsonValue* consent);
// Appends the ledger-state extension to a Consent being served.
void add_ledger_state(fhir::JsonValue* consent, fhir::JsonValue state_extension);

// The extension itself: state, and transaction / reason when non-empty.
fhir::JsonValue make_ledger_state(std::string_view state, std::string_view transaction,
                                  std::string_view reason);
// Adds a `note` sub-extension to a ledger-state extension.
void add_note(fhir::JsonValue* state_extension, std::string_view note);

}  // namespace gw::consent
