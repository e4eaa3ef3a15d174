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
  const auto key = random_vector(32);
  auto blob = tpm_->create_hmac_key(key);
  ASSERT_TRUE(blob) << blob.status().message();
  // 0 and 1024 take TPM2_HMAC; beyond 1024 the sequence path (two and three
  // chunks, and an exact multiple of the chunk size).
  for (size_t n :
       {size_t{0}, size_t{1}, size_t{47}, size_t{1024}, size_t{1025}, size_t{2048}, size_t{3000}}) {
    const auto data = random_vector(n);
    auto mac = tpm_->hmac(*blob, data);
    ASSERT_TRUE(mac) << "length " << n << ": " << mac.status().message();
    EXPECT_EQ(*mac, openssl_hmac_sha256(key, data)) << "length " << n;
  }
}

TEST_F(TpmHmacTest, ImportedKeyLengths) {
  for (size_t n : {size_t{1}, size_t{16}, size_t{64}, size_t{65}, size_t{128}, size_t{1024}}) {
    const auto key = random_vector(n);
    auto blob = tpm_->create_hmac_key(key);
    ASSERT_TRUE(blob) << "key length " << n << ": " << blob.status().message();
    auto mac = tpm_->hmac(*blob, bytes_of("identifier"));
    ASSERT_TRUE(mac) << mac.status().message();
    EXPECT_EQ(*mac, openssl_hmac_sha256(key, bytes_of("identifier"))) << "key length " << n;
  }
  auto r = tpm_->create_hmac_key(random_vector(1025));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("at most 1024"), std::string::npos) << r.status().message();
}

TEST_F(TpmHmacTest, GeneratedKeysAreStableAndDistinct) {
  auto a = tpm_->create_hmac_key({});
  auto b = tpm_->create_hmac_key({});
  ASSERT_TRUE(a && b) << b.status().message();
  const auto data = bytes_of("tokenization");
  auto a1 = tpm_->hmac(*a, data);
  auto a2 = tpm_->hmac(*a, data);
  auto b1 = tpm_->hmac(*b, data);
  ASSERT_TRUE(a1 && a2 && b1) << b1.status().message();
  EXPECT_EQ(*a1, *a2);
  EXPECT_NE(*a1, *b1);
}

// Two Tpm objects (in turn: swtpm serves one connection at a time), as the
// daemon and the CLI would be.
TEST_F(TpmHmacTest, TwoTpmObjectsOnTheSameSwtpmAgree) {
  const auto key = random_vector(32);
  auto imported = tpm_->create_hmac_key(key);
  auto generated = tpm_->create_hmac_key({});
  ASSERT_TRUE(imported && generated) << generated.status().message();
  const auto data = bytes_of("patient 4711");
  auto first_imported = tpm_->hmac(*imported, data);
  auto first_generated = tpm_->hmac(*generated, data);
  ASSERT_TRUE(first_imported && first_generated) << first_generated.status().message();
  tpm_.reset();
  auto other = open_tpm(*swtpm_);
  ASSERT_NE(other, nullptr);
  auto second_imported = other->hmac(*imported, data);
  auto second_generated = other->hmac(*generated, data);
  ASSERT_TRUE(second_imported && second_generated) << second_generated.status().message();
  EXPECT_EQ(*first_imported, *second_imported);
  EXPECT_EQ(*first_generated, *second_generated);
}

TEST_F(TpmHmacTest, BlobFromAnotherTpmDoesNotLoad) {
  auto blob = tpm_->create_hmac_key(random_vector(32));
  ASSERT_TRUE(blob) << blob.status().message();
  TempDir other_dir;
  auto other_swtpm = start_swtpm(other_dir.path() + "/tpm");
  ASSERT_NE(other_swtpm, nullptr);
  auto other = open_tpm(*other_swtpm);
  ASSERT_NE(other, nullptr);
  auto r2 = other->ensure_primary();
  ASSERT_TRUE(r2.ok()) << r2.status().message();
  auto r3 = other->hmac(*blob, bytes_of("x"));
  EXPECT_FALSE(r3.ok());
  EXPECT_NE(r3.status().message().find("this blob was not created by this TPM"), std::string::npos)
      << r3.status().message();
  // The same holds for sealed data.
  auto sealed = tpm_->seal(bytes_of("secret"), {});
  ASSERT_TRUE(sealed) << sealed.status().message();
  auto r4 = other->unseal(*sealed, {});
  EXPECT_FALSE(r4.ok());
  EXPECT_NE(r4.status().message().find("this blob was not created by this TPM"), std::string::npos)
      << r4.status().message();
  EXPECT_EQ(tpm_handle_count(*other, TPM2_HT_TRANSIENT), 0);
}

TEST_F(TpmHmacTest, WrongKindOfBlobIsRefused) {
  auto sealed = tpm_->seal(bytes_of("secret"), {});
  ASSERT_TRUE(sealed) << sealed.status().message();
  auto r5 = tpm_->hmac(*sealed, bytes_of("x"));
  EXPECT_FALSE(r5.ok());
  EXPECT_NE(r5.status().message().find("sealed data object"), std::string::npos)
      << r5.status().message();
}

// Every operation, failures included, leaves no object or session in the TPM.
TEST_F(TpmHmacTest, NoTpmHandlesLeak) {
  auto hkey = tpm_->create_hmac_key({});
  ASSERT_TRUE(hkey) << hkey.status().message();
  auto r6 = tpm_->hmac(*hkey, std::vector<uint8_t>(3000, 7));
  ASSERT_TRUE(r6.ok()) << r6.status().message();
  PcrSelection sel{"sha256", {16}};
  auto sealed = tpm_->seal(bytes_of("secret"), sel);
  ASSERT_TRUE(sealed) << sealed.status().message();
  auto r7 = tpm_->unseal(*sealed, sel);
  ASSERT_TRUE(r7.ok()) << r7.status().message();
  auto r8 = tpm_->extend_pcr(16, sha256(bytes_of("boot")));
  ASSERT_TRUE(r8.ok()) << r8.message();
  auto r9 = tpm_->unseal(*sealed, sel);
  EXPECT_FALSE(r9.ok());  // policy failure path
  auto signer = tpm_->create_signing_key(Tpm::SigningKind::kGeneral);
  ASSERT_TRUE(signer) << signer.status().message();
  auto r10 = tpm_->sign_digest(*signer, sha256(bytes_of("root")));
  ASSERT_TRUE(r10.ok()) << r10.status().message();
  auto r11 = tpm_->random_bytes(100);
  ASSERT_TRUE(r11.ok()) << r11.status().message();
  KeyBlob corrupt = *hkey;
  corrupt.private_area[10] ^= 0xff;
  auto r12 = tpm_->hmac(corrupt, bytes_of("x"));
  EXPECT_FALSE(r12.ok());  // load failure path
  EXPECT_EQ(tpm_handle_count(*tpm_, TPM2_HT_TRANSIENT), 0);
  EXPECT_EQ(tpm_handle_count(*tpm_, TPM2_HT_LOADED_SESSION), 0);
  EXPECT_EQ(tpm_handle_count(*tpm_, TPM2_HT_SAVED_SESSION), 0);
}

}  // namespace
}  // namespace gw::tpm::testing
