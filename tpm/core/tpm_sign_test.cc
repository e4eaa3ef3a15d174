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
  auto key = tpm_->create_signing_key(Tpm::SigningKind::kGeneral);
  ASSERT_TRUE(key) << key.status().message();
  auto pem = tpm_->public_key_pem(*key);
  ASSERT_TRUE(pem) << pem.status().message();
  EXPECT_EQ(pem->rfind("-----BEGIN PUBLIC KEY-----", 0), 0u) << *pem;
  const auto digest = sha256(bytes_of("batch merkle root"));
  auto sig = tpm_->sign_digest(*key, digest);
  ASSERT_TRUE(sig) << sig.status().message();
  EXPECT_EQ(openssl_verify(*pem, digest, sig->der), 1);
  auto other = digest;
  other[0] ^= 1;
  EXPECT_EQ(openssl_verify(*pem, other, sig->der), 0);
  // ECDSA is randomized: a second signature differs and verifies too.
  auto sig2 = tpm_->sign_digest(*key, digest);
  ASSERT_TRUE(sig2) << sig2.status().message();
  EXPECT_NE(sig2->der, sig->der);
  EXPECT_EQ(openssl_verify(*pem, digest, sig2->der), 1);
  // Another key's public key does not verify it.
  auto key2 = tpm_->create_signing_key(Tpm::SigningKind::kGeneral);
  ASSERT_TRUE(key2) << key2.status().message();
  auto pem2 = tpm_->public_key_pem(*key2);
  ASSERT_TRUE(pem2) << pem2.status().message();
  EXPECT_NE(*pem2, *pem);
  EXPECT_EQ(openssl_verify(*pem2, digest, sig->der), 0);
}

TEST_F(TpmSignTest, AttestationKeyDoesNotSignArbitraryDigests) {
  auto ak = tpm_->create_signing_key(Tpm::SigningKind::kAttestation);
  ASSERT_TRUE(ak) << ak.status().message();
  auto r = tpm_->public_key_pem(*ak);
  EXPECT_TRUE(r.ok()) << r.status().message();
  auto r2 = tpm_->sign_digest(*ak, sha256(bytes_of("root")));
  EXPECT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("restricted attestation key"), std::string::npos)
      << r2.status().message();
  // Nor does an HMAC key sign.
  auto hkey = tpm_->create_hmac_key({});
  ASSERT_TRUE(hkey) << hkey.status().message();
  auto r3 = tpm_->sign_digest(*hkey, sha256(bytes_of("root")));
  EXPECT_FALSE(r3.ok());
  EXPECT_NE(r3.status().message().find("HMAC key"), std::string::npos) << r3.status().message();
  auto r4 = tpm_->public_key_pem(*hkey);
  EXPECT_FALSE(r4.ok());
}

// object_name is computed offline; the TPM must agree when it loads the blob.
TEST_F(TpmSignTest, ObjectNameMatchesTheTpm) {
  auto key = tpm_->create_signing_key(Tpm::SigningKind::kAttestation);
  ASSERT_TRUE(key) << key.status().message();
  auto name = tpm_->object_name(*key);
  ASSERT_TRUE(name) << name.status().message();
  ASSERT_EQ(name->size(), 34u);
  EXPECT_EQ((*name)[0], 0x00);
  EXPECT_EQ((*name)[1], 0x0b);  // TPM2_ALG_SHA256

  internal::TpmState& s = internal::state(*tpm_);
  std::lock_guard<std::mutex> lock(s.mu);
  internal::ScopedFlush object(s.esys);
  auto r5 = internal::load_blob(s, *key, ESYS_TR_PASSWORD, &object, "AK");
  ASSERT_TRUE(r5.ok()) << r5.message();
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
  auto a = tpm_->random_bytes(100);
  auto b = tpm_->random_bytes(100);
  ASSERT_TRUE(a && b) << b.status().message();
  EXPECT_EQ(a->size(), 100u);
  EXPECT_NE(*a, *b);
  EXPECT_NE(*a, std::vector<uint8_t>(100, 0));
  auto none = tpm_->random_bytes(0);
  ASSERT_TRUE(none) << none.status().message();
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace gw::tpm::testing
