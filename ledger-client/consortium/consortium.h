// Typed bindings to the consortium contracts (ledger-client/contracts):
// embedded bytecode, call data encoders, eth_call result decoders, event
// decoding and custom errors. Pure encoding: no networking here.
#pragma once

#include "ledger-client/consortium/abi_specs.h"
#include "ledger-client/consortium/audit_anchor.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/consortium/contracts.h"
#include "ledger-client/consortium/events.h"
#include "ledger-client/consortium/provider_registry.h"
#include "ledger-client/consortium/record_token.h"
#include "ledger-client/consortium/scope.h"
#include "ledger-client/consortium/transfer_log.h"
