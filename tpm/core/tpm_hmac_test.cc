// test-needs: swtpm
// HMAC keys against swtpm: the import is proven by matching OpenSSL.
#include <openssl/rand.h>

#include "tpm/core/tpm_test_util.h"

namespace gw::tpm::testing {
namespace {

class TpmHmacTest : public ProvisionedTpmTest {};

std::vector<uint8_t> random_vector(size_t n) {
  std::vector<uint8_t> v(n);
  RAND_bytes(v.data(), static_cast<int>(n));
  return v;
}

TEST_F(TpmHmacTest, ImportedKeyGivesOpenSslHmacForEveryLength) {
  std::string error;
  const auto key = random_vector(32);
  auto blob = tpm_->create_hmac_key(key, &error);
  ASSERT_TRUE(blob) << error;
  // 0 and 1024 take TPM2_HMAC; beyond 1024 the sequence path (two and three
  // chunks, and an exact multiple of the chunk size).
  for (size_t n :
       {size_t{0}, size_t{1}, size_t{47}, size_t{1024}, size_t{1025}, size_t{2048}, size_t{3000}}) {
    const auto data = random_vector(n);
    auto mac = tpm_->hmac(*blob, data, &error);
    ASSERT_TRUE(mac) << "length " << n << ": " << error;
    EXPECT_EQ(*mac, openssl_hmac_sha256(key, data)) << "length " << n;
  }
}

TEST_F(TpmHmacTest, ImportedKeyLengths) {
  std::string error;
  for (size_t n : {size_t{1}, size_t{16}, size_t{64}, size_t{65}, size_t{128}, size_t{1024}}) {
    const auto key = random_vector(n);
    auto blob = tpm_->create_hmac_key(key, &error);
    ASSERT_TRUE(blob) << "key length " << n << ": " << error;
    auto mac = tpm_->hmac(*blob, bytes_of("identifier"), &error);
    ASSERT_TRUE(mac) << error;
    EXPECT_EQ(*mac, openssl_hmac_sha256(key, bytes_of("identifier"))) << "key length " << n;
  }
  EXPECT_FALSE(tpm_->create_hmac_key(random_vector(1025), &error));
  EXPECT_NE(error.find("at most 1024"), std::string::npos) << error;
}

TEST_F(TpmHmacTest, GeneratedKeysAreStableAndDistinct) {
  std::string error;
  auto a = tpm_->create_hmac_key({}, &error);
  auto b = tpm_->create_hmac_key({}, &error);
  ASSERT_TRUE(a && b) << error;
  const auto data = bytes_of("tokenization");
  auto a1 = tpm_->hmac(*a, data, &error);
  auto a2 = tpm_->hmac(*a, data, &error);
  auto b1 = tpm_->hmac(*b, data, &error);
  ASSERT_TRUE(a1 && a2 && b1) << error;
  EXPECT_EQ(*a1, *a2);
  EXPECT_NE(*a1, *b1);
}

// Two Tpm objects (in turn: swtpm serves one connection at a time), as the
// daemon and the CLI would be.
TEST_F(TpmHmacTest, TwoTpmObjectsOnTheSameSwtpmAgree) {
  std::string error;
  const auto key = random_vector(32);
  auto imported = tpm_->create_hmac_key(key, &error);
  auto generated = tpm_->create_hmac_key({}, &error);
  ASSERT_TRUE(imported && generated) << error;
  const auto data = bytes_of("patient 4711");
  auto first_imported = tpm_->hmac(*imported, data, &error);
  auto first_generated = tpm_->hmac(*generated, data, &error);
  ASSERT_TRUE(first_imported && first_generated) << error;
  tpm_.reset();
  auto other = open_tpm(*swtpm_);
  ASSERT_NE(other, nullptr);
  auto second_imported = other->hmac(*imported, data, &error);
  auto second_generated = other->hmac(*generated, data, &error);
  ASSERT_TRUE(second_imported && second_generated) << error;
  EXPECT_EQ(*first_imported, *second_imported);
  EXPECT_EQ(*first_generated, *second_generated);
}

TEST_F(TpmHmacTest, BlobFromAnotherTpmDoesNotLoad) {
  std::string error;
  auto blob = tpm_->create_hmac_key(random_vector(32), &error);
  ASSERT_TRUE(blob) << error;
  TempDir other_dir;
  auto other_swtpm = start_swtpm(other_dir.path() + "/tpm");
  ASSERT_NE(other_swtpm, nullptr);
  auto other = open_tpm(*other_swtpm);
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->ensure_primary(&error)) << error;
  EXPECT_FALSE(other->hmac(*blob, bytes_of("x"), &error));
  EXPECT_NE(error.find("this blob was not created by this TPM"), std::string::npos) << error;
  // The same holds for sealed data.
  auto sealed = tpm_->seal(bytes_of("secret"), {}, &error);
  ASSERT_TRUE(sealed) << error;
  error.clear();
  EXPECT_FALSE(other->unseal(*sealed, {}, &error));
  EXPECT_NE(error.find("this blob was not created by this TPM"), std::string::npos) << error;
  EXPECT_EQ(tpm_handle_count(*other, TPM2_HT_TRANSIENT), 0);
}

TEST_F(TpmHmacTest, WrongKindOfBlobIsRefused) {
  std::string error;
  auto sealed = tpm_->seal(bytes_of("secret"), {}, &error);
  ASSERT_TRUE(sealed) << error;
  EXPECT_FALSE(tpm_->hmac(*sealed, bytes_of("x"), &error));
  EXPECT_NE(error.find("sealed data object"), std::string::npos) << error;
}

// Every operation, failures included, leaves no object or session in the TPM.
TEST_F(TpmHmacTest, NoTpmHandlesLeak) {
  std::string error;
  auto hkey = tpm_->create_hmac_key({}, &error);
  ASSERT_TRUE(hkey) << error;
  ASSERT_TRUE(tpm_->hmac(*hkey, std::vector<uint8_t>(3000, 7), &error)) << error;
  PcrSelection sel{"sha256", {16}};
  auto sealed = tpm_->seal(bytes_of("secret"), sel, &error);
  ASSERT_TRUE(sealed) << error;
  ASSERT_TRUE(tpm_->unseal(*sealed, sel, &error)) << error;
  ASSERT_TRUE(tpm_->extend_pcr(16, sha256(bytes_of("boot")), &error)) << error;
  EXPECT_FALSE(tpm_->unseal(*sealed, sel, &error));  // policy failure path
  auto signer = tpm_->create_signing_key(Tpm::SigningKind::kGeneral, &error);
  ASSERT_TRUE(signer) << error;
  ASSERT_TRUE(tpm_->sign_digest(*signer, sha256(bytes_of("root")), &error)) << error;
  ASSERT_TRUE(tpm_->random_bytes(100, &error)) << error;
  KeyBlob corrupt = *hkey;
  corrupt.private_area[10] ^= 0xff;
  EXPECT_FALSE(tpm_->hmac(corrupt, bytes_of("x"), &error));  // load failure path
  EXPECT_EQ(tpm_handle_count(*tpm_, TPM2_HT_TRANSIENT), 0);
  EXPECT_EQ(tpm_handle_count(*tpm_, TPM2_HT_LOADED_SESSION), 0);
  EXPECT_EQ(tpm_handle_count(*tpm_, TPM2_HT_SAVED_SESSION), 0);
}

}  // namespace
}  // namespace gw::tpm::testing
