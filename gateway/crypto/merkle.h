// Batch Merkle trees: records are grouped into batches and only the batch's
// root goes to the ledger (signed once by the TPM), with a per-record proof
// kept locally. The tree is byte-for-byte OpenZeppelin's StandardMerkleTree
// (@openzeppelin/merkle-tree 1.x) for leaves of one bytes32 value, so proofs
// verify with OpenZeppelin's MerkleProof.verify in Solidity and with the JS
// library on the consortium's tooling side.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "ledger-client/keccak/keccak.h"

namespace gw::crypto {

using gw::ledger::Hash256;

// keccak256(keccak256(abi.encode(value))); abi.encode of one bytes32 is the
// 32 bytes themselves. Hashing twice keeps a leaf from being confused with an
// inner node (second-preimage resistance), as OpenZeppelin does.
Hash256 standard_leaf_hash(const Hash256& value);

// keccak256(min(a, b) || max(a, b)) by byte order: commutative, so a proof
// needs no left/right flags.
Hash256 hash_pair(const Hash256& a, const Hash256& b);

// A tree over the leaf hashes of `values`, laid out as OpenZeppelin does:
// leaf hashes sorted ascending, an array of 2n-1 nodes with the sorted leaves
// at the end in reverse order (node[2n-2-i] = leaf[i]) and every parent
// node[i] = hash_pair(node[2i+1], node[2i+2]); the root is node[0].
class MerkleTree {
 public:
  // nullopt for an empty batch (there is no root to sign).
  static std::optional<MerkleTree> build(std::vector<Hash256> values);

  const Hash256& root() const { return nodes_.front(); }
  // Number of values (leaves).
  size_t size() const { return leaf_node_.size(); }

  // The sibling hashes from the leaf of values[value_index] (index in the
  // order given to build()) up to the root; same as OpenZeppelin's
  // getProof(index). Empty for a one-value tree, and for an index out of
  // range (such a proof verifies nothing but a one-value tree's value).
  std::vector<Hash256> proof(size_t value_index) const;

  // True if `value` with `proof` leads to `root` (OpenZeppelin's
  // processProof, as MerkleProof.verify computes it on chain).
  static bool verify(const Hash256& root, const Hash256& value, std::span<const Hash256> proof);

 private:
  MerkleTree() = default;

  std::vector<Hash256> nodes_;     // 2n-1 nodes, root first
  std::vector<size_t> leaf_node_;  // value index -> index into nodes_
};

}  // namespace gw::crypto
