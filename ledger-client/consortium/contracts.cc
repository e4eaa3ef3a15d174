#include "ledger-client/consortium/contracts.h"

#include <algorithm>
#include <vector>

#include "ledger-client/consortium/artifact_data.h"

namespace gw::ledger::consortium {
namespace {

const internal::EmbeddedArtifact& artifact(ContractKind kind) {
  return internal::kEmbeddedArtifacts[static_cast<size_t>(kind) % internal::kContractKindCount];
}

}  // namespace

std::string_view contract_name(ContractKind kind) { return artifact(kind).name; }

std::string_view source_sha256(ContractKind kind) { return artifact(kind).source_sha256; }

std::span<const uint8_t> creation_bytecode(ContractKind kind) { return artifact(kind).creation; }

std::span<const uint8_t> runtime_bytecode(ContractKind kind) { return artifact(kind).runtime; }

std::span<const ImmutableRange> immutable_references(ContractKind kind) {
  return artifact(kind).immutables;
}

bool runtime_code_matches(ContractKind kind, std::span<const uint8_t> onchain_code) {
  std::span<const uint8_t> want = artifact(kind).runtime;
  if (onchain_code.size() != want.size()) return false;
  // Compare the stretches between immutable ranges (sorted copies; the
  // artifact lists them grouped by variable, not by offset).
  std::vector<ImmutableRange> ranges(artifact(kind).immutables.begin(),
                                     artifact(kind).immutables.end());
  std::sort(ranges.begin(), ranges.end(),
            [](const ImmutableRange& a, const ImmutableRange& b) { return a.start < b.start; });
  size_t pos = 0;
  for (const ImmutableRange& r : ranges) {
    size_t start = std::min<size_t>(r.start, want.size());
    size_t end = std::min<size_t>(start + r.length, want.size());
    if (start > pos &&
        !std::equal(want.begin() + pos, want.begin() + start, onchain_code.begin() + pos))
      return false;
    pos = std::max(pos, end);
  }
  return std::equal(want.begin() + pos, want.end(), onchain_code.begin() + pos);
}

}  // namespace gw::ledger::consortium
