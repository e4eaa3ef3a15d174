// Internal: the layout of the artifacts that embed_artifacts.cmake generates
// into the build directory (consortium_artifacts.cc). Use contracts.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ledger-client/consortium/contracts.h"

namespace gw::ledger::consortium::internal {

struct EmbeddedArtifact {
  std::string_view name;
  std::string_view source_sha256;  // hex, of the .sol the artifact was compiled from
  std::span<const uint8_t> creation;
  std::span<const uint8_t> runtime;
  std::span<const ImmutableRange> immutables;
};

inline constexpr size_t kContractKindCount = 5;
// Indexed by ContractKind.
extern const EmbeddedArtifact kEmbeddedArtifacts[kContractKindCount];

}  // namespace gw::ledger::consortium::internal
