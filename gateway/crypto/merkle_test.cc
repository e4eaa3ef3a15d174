// MerkleTree against roots and proofs computed by OpenZeppelin's own library,
// plus proof properties over many sizes.
//
// Reference values: @openzeppelin/merkle-tree 1.0.7, installed outside the
// repository (cd /tmp/oz && npm install @openzeppelin/merkle-tree@1.0.7) and run as
//   node -e '
//     const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
//     const v = i => "0x" + [...Array(32).keys()]
//         .map(j => ((32 * i + j) & 0xff).toString(16).padStart(2, "0")).join("");
//     for (const n of [1, 2, 3, 4, 5, 8]) {
//       const t = StandardMerkleTree.of([...Array(n).keys()].map(i => [v(i)]), ["bytes32"]);
//       console.log(n, t.root);
//       if (n === 5) for (let i = 0; i < n; i++) console.log(i, JSON.stringify(t.getProof(i)));
//     }'
// and, for larger trees of values keccak256(decimal string of i):
//   node -e '
//     const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
//     const { keccak256 } = require("@ethersproject/keccak256");
//     const { toUtf8Bytes } = require("@ethersproject/strings");
//     for (const n of [13, 100]) {
//       const t = StandardMerkleTree.of(
//           [...Array(n).keys()].map(i => [keccak256(toUtf8Bytes(String(i)))]), ["bytes32"]);
//       console.log(n, t.root, JSON.stringify(t.getProof(n - 1)));
//     }'
#include "gateway/crypto/merkle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gw::crypto {
namespace {

using gw::ledger::from_hex;
using gw::ledger::to_hex;

Hash256 h(std::string_view hex) {
  const auto bytes = from_hex(hex);
  Hash256 out{};
  EXPECT_TRUE(bytes.has_value() && bytes->size() == 32) << hex;
  if (bytes && bytes->size() == 32) std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

// Value i: byte j is (32 * i + j) & 0xff, as in the node command above
// (distinct for n <= 8 only).
std::vector<Hash256> values(size_t n) {
  EXPECT_LE(n, 8u);
  std::vector<Hash256> out(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < 32; ++j) out[i][j] = static_cast<uint8_t>(32 * i + j);
  return out;
}

TEST(MerkleTest, RootsMatchOpenZeppelin) {
  const std::vector<std::pair<size_t, const char*>> expected = {
      {1, "0x4bdf1d78fe264becbf519d25a451145aad6d551d4b9e24b1a34dca34a75a43e9"},
      {2, "0x52906ac6fd3d987a64ae8998e13e24f5b1764b1d3de58be5077b27a15f423cd2"},
      {3, "0x1a546ce4b7e9cca463f332b317a72ea0da92074885d2f4c6dfccc6c0e02de8eb"},
      {4, "0xbad5c01d50db019fa93ca3aa04e5561a68cc60dc28071fbc5e8dc0b4451d88a7"},
      {5, "0x2d331e5e551b17bdd9f4484c6fc2ae8ff07b832c52458f709adc54c1efc989d3"},
      {8, "0x186330fee424b882d8bcd0b2c3bb6efe8d75c5167103736319c67d214ecb05df"},
  };
  for (const auto& [n, root] : expected) {
    const auto tree = MerkleTree::build(values(n));
    ASSERT_TRUE(tree.has_value());
    EXPECT_EQ(tree->size(), n);
    EXPECT_EQ("0x" + to_hex(tree->root()), root) << n << " values";
  }
}

TEST(MerkleTest, ProofsMatchOpenZeppelin) {
  const std::vector<std::vector<const char*>> expected = {
      {"0x2ff4d0af18e1c3f96f5841d280de1fb89802f7949e022371da77576856dbdfff",
       "0xbe7a3bd07e6d94396f4bd9558ff6e2e5455880103fc3bd53c0356bb29d1ea955",
       "0x114b6b373dbe56fb1c69b2757ef2ea1077b0903cc4c03b0c478ce92ea2f4f99b"},
      {"0xc2d35418dc658f33fb43dce460a8555ade4115b958d6bd970b12c8dbde875014",
       "0x114b6b373dbe56fb1c69b2757ef2ea1077b0903cc4c03b0c478ce92ea2f4f99b"},
      {"0x5872388524633fda901f0ae82b06ce848baacaa2581be6297643ea5c0b0458ee",
       "0xd383c6f2258d97231c60e835d3fc0fa7d37562002441f4a2bb2d2acbe7b2e139"},
      {"0x4bdf1d78fe264becbf519d25a451145aad6d551d4b9e24b1a34dca34a75a43e9",
       "0xbe7a3bd07e6d94396f4bd9558ff6e2e5455880103fc3bd53c0356bb29d1ea955",
       "0x114b6b373dbe56fb1c69b2757ef2ea1077b0903cc4c03b0c478ce92ea2f4f99b"},
      {"0x4c83316c4991c9bca21a30564d22b2b4d34d5f5e9823427dde74fb0d5645c85d",
       "0xd383c6f2258d97231c60e835d3fc0fa7d37562002441f4a2bb2d2acbe7b2e139"},
  };
  const auto tree = MerkleTree::build(values(5));
  ASSERT_TRUE(tree.has_value());
  for (size_t i = 0; i < expected.size(); ++i) {
    std::vector<Hash256> want;
    for (const char* hex : expected[i]) want.push_back(h(hex));
    EXPECT_EQ(tree->proof(i), want) << "value " << i;
  }
}

std::vector<Hash256> keccak_values(size_t n) {
  std::vector<Hash256> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = gw::ledger::keccak256(std::to_string(i));
  return out;
}

TEST(MerkleTest, LargerTreesMatchOpenZeppelin) {
  const auto t13 = MerkleTree::build(keccak_values(13));
  ASSERT_TRUE(t13.has_value());
  EXPECT_EQ(to_hex(t13->root()),
            "d34ef1e487b168e697185f4b3eec73a06af7c607d921fecdff2052e6b79003e3");
  const std::vector<Hash256> proof12 = {
      h("0xec1bfc7b79bdd5709707af2266426be75100bfe3e23e2c317d8d7feb2cf0f20a"),
      h("0x9cf2ddec2fba1d4f1c66dd0ab4251e616044003b963cedfb937d96215cfa9e19"),
      h("0x3835c206005388d5f27f171a8a105c21be15b74573486a8c363972b05e09a302")};
  EXPECT_EQ(t13->proof(12), proof12);
  const auto t100 = MerkleTree::build(keccak_values(100));
  ASSERT_TRUE(t100.has_value());
  EXPECT_EQ(to_hex(t100->root()),
            "0d22e964c4f53f4cc9bbd77fd1a3d09aed94efb193c888a0ec772c50d647d605");
  EXPECT_EQ(t100->proof(99).size(), 7u);
  EXPECT_EQ(to_hex(t100->proof(99).back()),
            "b8af5e60df55e8d9108127a9a945d35e1d29dd4e5d42703dc5119c594bb7006d");
}

TEST(MerkleTest, LeafAndPairHashes) {
  // A one-value tree's root is the value's leaf hash (OZ output above).
  EXPECT_EQ(standard_leaf_hash(values(1)[0]),
            h("4bdf1d78fe264becbf519d25a451145aad6d551d4b9e24b1a34dca34a75a43e9"));
  const Hash256 v = values(1)[0];
  EXPECT_EQ(standard_leaf_hash(v), gw::ledger::keccak256(gw::ledger::keccak256(v)));
  const Hash256 a = h("0x00000000000000000000000000000000000000000000000000000000000000ff");
  const Hash256 b = h("0x0100000000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(hash_pair(a, b), hash_pair(b, a));
  std::vector<uint8_t> ab(a.begin(), a.end());  // a < b by bytes: a goes first
  ab.insert(ab.end(), b.begin(), b.end());
  EXPECT_EQ(hash_pair(b, a), gw::ledger::keccak256(ab));
}

TEST(MerkleTest, EmptyBatchHasNoTree) { EXPECT_FALSE(MerkleTree::build({}).has_value()); }

TEST(MerkleTest, EveryProofVerifiesAndTamperingFails) {
  for (size_t n = 1; n <= 40; ++n) {
    const std::vector<Hash256> vals = keccak_values(n);  // distinct values
    const auto tree = MerkleTree::build(vals);
    ASSERT_TRUE(tree.has_value());
    for (size_t i = 0; i < n; ++i) {
      std::vector<Hash256> p = tree->proof(i);
      ASSERT_TRUE(MerkleTree::verify(tree->root(), vals[i], p)) << n << "/" << i;
      Hash256 wrong = vals[i];
      wrong[0] ^= 0x80;
      EXPECT_FALSE(MerkleTree::verify(tree->root(), wrong, p)) << n << "/" << i;
      if (n > 1) {
        EXPECT_FALSE(MerkleTree::verify(tree->root(), vals[(i + 1) % n], p));
      }
      if (p.empty()) continue;
      std::vector<Hash256> changed = p;
      changed.back()[31] ^= 1;
      EXPECT_FALSE(MerkleTree::verify(tree->root(), vals[i], changed));
      std::vector<Hash256> shorter(p.begin(), p.end() - 1);
      EXPECT_FALSE(MerkleTree::verify(tree->root(), vals[i], shorter));
      std::vector<Hash256> longer = p;
      longer.push_back(p.front());
      EXPECT_FALSE(MerkleTree::verify(tree->root(), vals[i], longer));
    }
    Hash256 other_root = tree->root();
    other_root[5] ^= 4;
    EXPECT_FALSE(MerkleTree::verify(other_root, vals[0], tree->proof(0)));
  }
}

TEST(MerkleTest, RootIndependentOfInputOrderAndProofsFollowOriginalIndex) {
  std::vector<Hash256> vals = values(7);
  const auto forward = MerkleTree::build(vals);
  std::vector<Hash256> reversed(vals.rbegin(), vals.rend());
  const auto backward = MerkleTree::build(reversed);
  ASSERT_TRUE(forward && backward);
  EXPECT_EQ(forward->root(), backward->root());  // leaves are sorted first
  EXPECT_EQ(forward->proof(0), backward->proof(6));
}

TEST(MerkleTest, DuplicateValuesStillProve) {
  const Hash256 v = values(1)[0];
  const auto tree = MerkleTree::build({v, v, values(2)[1]});
  ASSERT_TRUE(tree.has_value());
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(MerkleTree::verify(tree->root(), i < 2 ? v : values(2)[1], tree->proof(i)));
  }
}

TEST(MerkleTest, OutOfRangeProofIsEmpty) {
  const auto tree = MerkleTree::build(values(3));
  ASSERT_TRUE(tree.has_value());
  EXPECT_TRUE(tree->proof(3).empty());
  EXPECT_FALSE(MerkleTree::verify(tree->root(), values(3)[0], tree->proof(3)));
}

}  // namespace
}  // namespace gw::crypto
