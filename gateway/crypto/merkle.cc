// Follows @openzeppelin/merkle-tree 1.0.7: merkletree.js prepare() (stable
// sort of leaf hashes, value index -> tree index) and core.js makeMerkleTree /
// getProof / processProof.
#include "gateway/crypto/merkle.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace gw::crypto {

Hash256 standard_leaf_hash(const Hash256& value) {
  return gw::ledger::keccak256(gw::ledger::keccak256(std::span<const uint8_t>(value)));
}

Hash256 hash_pair(const Hash256& a, const Hash256& b) {
  const bool a_first = a <= b;  // std::array compares bytes lexicographically
  gw::ledger::Keccak256 h;
  h.update(a_first ? a : b);
  h.update(a_first ? b : a);
  return h.finish();
}

std::optional<MerkleTree> MerkleTree::build(std::vector<Hash256> values) {
  const size_t n = values.size();
  if (n == 0) return std::nullopt;
  // (leaf hash, value index), sorted by hash; stable like JS Array.sort, so
  // equal values keep their order and map to the same nodes as in OZ.
  std::vector<std::pair<Hash256, size_t>> leaves(n);
  for (size_t i = 0; i < n; ++i) leaves[i] = {standard_leaf_hash(values[i]), i};
  std::stable_sort(leaves.begin(), leaves.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });

  MerkleTree t;
  t.nodes_.resize(2 * n - 1);
  t.leaf_node_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t node = t.nodes_.size() - 1 - i;
    t.nodes_[node] = leaves[i].first;
    t.leaf_node_[leaves[i].second] = node;
  }
  for (size_t i = n - 1; i-- > 0;) {  // i = len-1-n down to 0
    t.nodes_[i] = hash_pair(t.nodes_[2 * i + 1], t.nodes_[2 * i + 2]);
  }
  return t;
}

std::vector<Hash256> MerkleTree::proof(size_t value_index) const {
  std::vector<Hash256> out;
  if (value_index >= leaf_node_.size()) return out;
  size_t i = leaf_node_[value_index];
  while (i > 0) {
    const size_t sibling = (i % 2 == 1) ? i + 1 : i - 1;  // left children are odd
    out.push_back(nodes_[sibling]);
    i = (i - 1) / 2;
  }
  return out;
}

bool MerkleTree::verify(const Hash256& root, const Hash256& value, std::span<const Hash256> proof) {
  Hash256 acc = standard_leaf_hash(value);
  for (const Hash256& p : proof) acc = hash_pair(acc, p);
  return acc == root;
}

}  // namespace gw::crypto
