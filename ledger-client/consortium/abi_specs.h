// The ABI of the five contracts as this library encodes and decodes it: every
// function (with its return types), event and custom error, written out as
// Solidity signatures. The encoders and decoders in this folder parse these
// strings once and use nothing else, so the unit tests can hold the whole
// table against the artifacts' JSON ABI: a changed .sol without a matching
// change here fails the build's tests instead of failing on chain.
#pragma once

#include <span>
#include <string_view>

#include "ledger-client/consortium/contracts.h"

namespace gw::ledger::consortium {

struct FunctionSpec {
  // "name(type name, ...)"; tuple members unnamed. The constructor is named "constructor".
  std::string_view signature;
  // The return types as one tuple type: "(bool)", "()" for none.
  std::string_view outputs;
};

// Every function of `kind`, including the constructor and public constants.
std::span<const FunctionSpec> function_specs(ContractKind kind);
// Every event of `kind` ("Name(type indexed name, ...)").
std::span<const std::string_view> event_specs(ContractKind kind);
// Every custom error of `kind` ("Name(type name, ...)").
std::span<const std::string_view> error_specs(ContractKind kind);

// The element types of the batch functions' arrays, as in the tables above:
// recordTransfers' Transfer, anchorBatch's Anchor, grantBatch's GrantInput.
// The outbox stores one queued element per item in these encodings.
std::string_view transfer_tuple_type();
std::string_view anchor_tuple_type();
std::string_view grant_input_tuple_type();

}  // namespace gw::ledger::consortium
