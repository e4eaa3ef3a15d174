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
  std::string error;
  auto parsed = parse_blob(bytes, &error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->public_area, blob.public_area);
  EXPECT_EQ(parsed->private_area, blob.private_area);
}

TEST(KeyBlobTest, EveryTruncationIsRefused) {
  std::vector<uint8_t> bytes = serialize_blob(sample_blob());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string error;
    EXPECT_FALSE(parse_blob(std::span(bytes.data(), n), &error)) << "length " << n;
    EXPECT_FALSE(error.empty());
  }
}

TEST(KeyBlobTest, MalformedInputsAreRefused) {
  const std::vector<uint8_t> good = serialize_blob(sample_blob());
  std::string error;

  auto bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_FALSE(parse_blob(bad_magic, &error));
  EXPECT_NE(error.find("magic"), std::string::npos) << error;

  auto bad_version = good;
  bad_version[8] = 2;
  EXPECT_FALSE(parse_blob(bad_version, &error));
  EXPECT_NE(error.find("version 2"), std::string::npos) << error;

  auto trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(parse_blob(trailing, &error));
  EXPECT_NE(error.find("trailing"), std::string::npos) << error;

  auto huge_length = good;
  huge_length[9] = 0xff;  // public area length 0xff......
  EXPECT_FALSE(parse_blob(huge_length, &error));

  // A public area whose TPM2B size prefix disagrees with its contents.
  KeyBlob blob = sample_blob();
  blob.public_area[1] ^= 0x01;
  EXPECT_FALSE(parse_blob(serialize_blob(blob), &error));
  EXPECT_NE(error.find("TPM2B_PUBLIC"), std::string::npos) << error;

  blob = sample_blob();
  blob.private_area = {0x00, 0x09, 1, 2};  // claims 9 bytes, has 2
  EXPECT_FALSE(parse_blob(serialize_blob(blob), &error));
  EXPECT_NE(error.find("TPM2B_PRIVATE"), std::string::npos) << error;

  blob = sample_blob();
  blob.private_area.clear();
  EXPECT_FALSE(parse_blob(serialize_blob(blob), &error));
}

}  // namespace
}  // namespace gw::tpm
