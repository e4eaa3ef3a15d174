// The key blob file format, without a TPM.
#include "tpm/core/key_blob.h"

#include <gtest/gtest.h>
#include <tss2/tss2_mu.h>

namespace gw::tpm {
namespace {

KeyBlob sample_blob() {
  TPM2B_PUBLIC pub{};
  pub.publicArea.type = TPM2_ALG_KEYEDHASH;
  pub.publicArea.nameAlg = TPM2_ALG_SHA256;
  pub.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;
  pub.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
  pub.publicArea.unique.keyedHash.size = 32;
  KeyBlob blob;
  blob.public_area.resize(sizeof pub);
  size_t offset = 0;
  EXPECT_EQ(
      Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, blob.public_area.data(), blob.public_area.size(), &offset),
      TSS2_RC_SUCCESS);
  blob.public_area.resize(offset);
  blob.private_area = {0x00, 0x04, 1, 2, 3, 4};  // TPM2B_PRIVATE of 4 bytes
  return blob;
}

TEST(KeyBlobTest, RoundTrip) {
  KeyBlob blob = sample_blob();
  std::vector<uint8_t> bytes = serialize_blob(blob);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 7), "GWTPMKB");
  auto parsed = parse_blob(bytes);
  ASSERT_TRUE(parsed) << parsed.status().message();
  EXPECT_EQ(parsed->public_area, blob.public_area);
  EXPECT_EQ(parsed->private_area, blob.private_area);
}

TEST(KeyBlobTest, EveryTruncationIsRefused) {
  std::vector<uint8_t> bytes = serialize_blob(sample_blob());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = parse_blob(std::span(bytes.data(), n));
    EXPECT_FALSE(r.ok()) << "length " << n;
    EXPECT_FALSE(r.status().message().empty());
  }
}

TEST(KeyBlobTest, MalformedInputsAreRefused) {
  const std::vector<uint8_t> good = serialize_blob(sample_blob());

  auto bad_magic = good;
  bad_magic[0] = 'X';
  auto r2 = parse_blob(bad_magic);
  EXPECT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("magic"), std::string::npos) << r2.status().message();

  auto bad_version = good;
  bad_version[8] = 2;
  auto r3 = parse_blob(bad_version);
  EXPECT_FALSE(r3.ok());
  EXPECT_NE(r3.status().message().find("version 2"), std::string::npos) << r3.status().message();

  auto trailing = good;
  trailing.push_back(0);
  auto r4 = parse_blob(trailing);
  EXPECT_FALSE(r4.ok());
  EXPECT_NE(r4.status().message().find("trailing"), std::string::npos) << r4.status().message();

  auto huge_length = good;
  huge_length[9] = 0xff;  // public area length 0xff......
  auto r5 = parse_blob(huge_length);
  EXPECT_FALSE(r5.ok());

  // A public area whose TPM2B size prefix disagrees with its contents.
  KeyBlob blob = sample_blob();
  blob.public_area[1] ^= 0x01;
  auto r6 = parse_blob(serialize_blob(blob));
  EXPECT_FALSE(r6.ok());
  EXPECT_NE(r6.status().message().find("TPM2B_PUBLIC"), std::string::npos) << r6.status().message();

  blob = sample_blob();
  blob.private_area = {0x00, 0x09, 1, 2};  // claims 9 bytes, has 2
  auto r7 = parse_blob(serialize_blob(blob));
  EXPECT_FALSE(r7.ok());
  EXPECT_NE(r7.status().message().find("TPM2B_PRIVATE"), std::string::npos)
      << r7.status().message();

  blob = sample_blob();
  blob.private_area.clear();
  auto r8 = parse_blob(serialize_blob(blob));
  EXPECT_FALSE(r8.ok());
}

}  // namespace
}  // namespace gw::tpm
