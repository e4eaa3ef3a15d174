// test-needs: swtpm
// Signing keys, their public keys and names, and the RNG, against swtpm,
// checked with OpenSSL and the TPM itself.
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "tpm/core/tpm_test_util.h"

namespace gw::tpm::testing {
namespace {

class TpmSignTest : public ProvisionedTpmTest {};

// 1 = valid, 0 = invalid signature, -1 = error.
int openssl_verify(const std::string& pem, std::span<const uint8_t> digest,
                   const std::vector<uint8_t>& der) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return -1;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
  int result = -1;
  if (ctx != nullptr && EVP_PKEY_verify_init(ctx) == 1) {
    result = EVP_PKEY_verify(ctx, der.data(), der.size(), digest.data(), digest.size());
  }
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(key);
  return result;
}

TEST_F(TpmSignTest, SignatureVerifiesWithOpenSsl) {
  std::string error;
  auto key = tpm_->create_signing_key(Tpm::SigningKind::kGeneral, &error);
  ASSERT_TRUE(key) << error;
  auto pem = tpm_->public_key_pem(*key, &error);
  ASSERT_TRUE(pem) << error;
  EXPECT_EQ(pem->rfind("-----BEGIN PUBLIC KEY-----", 0), 0u) << *pem;
  const auto digest = sha256(bytes_of("batch merkle root"));
  auto sig = tpm_->sign_digest(*key, digest, &error);
  ASSERT_TRUE(sig) << error;
  EXPECT_EQ(openssl_verify(*pem, digest, sig->der), 1);
  auto other = digest;
  other[0] ^= 1;
  EXPECT_EQ(openssl_verify(*pem, other, sig->der), 0);
  // ECDSA is randomized: a second signature differs and verifies too.
  auto sig2 = tpm_->sign_digest(*key, digest, &error);
  ASSERT_TRUE(sig2) << error;
  EXPECT_NE(sig2->der, sig->der);
  EXPECT_EQ(openssl_verify(*pem, digest, sig2->der), 1);
  // Another key's public key does not verify it.
  auto key2 = tpm_->create_signing_key(Tpm::SigningKind::kGeneral, &error);
  ASSERT_TRUE(key2) << error;
  auto pem2 = tpm_->public_key_pem(*key2, &error);
  ASSERT_TRUE(pem2) << error;
  EXPECT_NE(*pem2, *pem);
  EXPECT_EQ(openssl_verify(*pem2, digest, sig->der), 0);
}

TEST_F(TpmSignTest, AttestationKeyDoesNotSignArbitraryDigests) {
  std::string error;
  auto ak = tpm_->create_signing_key(Tpm::SigningKind::kAttestation, &error);
  ASSERT_TRUE(ak) << error;
  EXPECT_TRUE(tpm_->public_key_pem(*ak, &error)) << error;
  EXPECT_FALSE(tpm_->sign_digest(*ak, sha256(bytes_of("root")), &error));
  EXPECT_NE(error.find("restricted attestation key"), std::string::npos) << error;
  // Nor does an HMAC key sign.
  auto hkey = tpm_->create_hmac_key({}, &error);
  ASSERT_TRUE(hkey) << error;
  EXPECT_FALSE(tpm_->sign_digest(*hkey, sha256(bytes_of("root")), &error));
  EXPECT_NE(error.find("HMAC key"), std::string::npos) << error;
  EXPECT_FALSE(tpm_->public_key_pem(*hkey, &error));
}

// object_name is computed offline; the TPM must agree when it loads the blob.
TEST_F(TpmSignTest, ObjectNameMatchesTheTpm) {
  std::string error;
  auto key = tpm_->create_signing_key(Tpm::SigningKind::kAttestation, &error);
  ASSERT_TRUE(key) << error;
  auto name = tpm_->object_name(*key, &error);
  ASSERT_TRUE(name) << error;
  ASSERT_EQ(name->size(), 34u);
  EXPECT_EQ((*name)[0], 0x00);
  EXPECT_EQ((*name)[1], 0x0b);  // TPM2_ALG_SHA256

  internal::TpmState& s = internal::state(*tpm_);
  std::lock_guard<std::mutex> lock(s.mu);
  internal::ScopedFlush object(s.esys);
  ASSERT_TRUE(internal::load_blob(s, *key, ESYS_TR_PASSWORD, &object, "AK", &error)) << error;
  TPM2B_PUBLIC* pub = nullptr;
  TPM2B_NAME* tpm_name = nullptr;
  ASSERT_EQ(Esys_ReadPublic(s.esys, object.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub,
                            &tpm_name, nullptr),
            TSS2_RC_SUCCESS);
  internal::EsysPtr<TPM2B_PUBLIC> pub_owner(pub);
  internal::EsysPtr<TPM2B_NAME> name_owner(tpm_name);
  EXPECT_EQ(std::vector<uint8_t>(tpm_name->name, tpm_name->name + tpm_name->size), *name);
}

TEST_F(TpmSignTest, RandomBytes) {
  std::string error;
  auto a = tpm_->random_bytes(100, &error);
  auto b = tpm_->random_bytes(100, &error);
  ASSERT_TRUE(a && b) << error;
  EXPECT_EQ(a->size(), 100u);
  EXPECT_NE(*a, *b);
  EXPECT_NE(*a, std::vector<uint8_t>(100, 0));
  auto none = tpm_->random_bytes(0, &error);
  ASSERT_TRUE(none) << error;
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace gw::tpm::testing
