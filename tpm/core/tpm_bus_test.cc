// test-needs: swtpm
// What crosses the TPM bus, seen from the TCTI: secrets only encrypted.
#include <openssl/rand.h>

#include <algorithm>

#include "tpm/core/tpm_test_util.h"

namespace gw::tpm::testing {
namespace {

class TpmBusTest : public ProvisionedTpmTest {
 protected:
  void SetUp() override {
    ProvisionedTpmTest::SetUp();
    if (HasFatalFailure()) return;
    internal::TpmState& s = internal::state(*tpm_);
    std::lock_guard<std::mutex> lock(s.mu);
    s.tcti.tap = [this](bool, const uint8_t* data, size_t size) {
      traffic_.emplace_back(data, data + size);
    };
  }
  void TearDown() override {
    if (!tpm_) return;
    internal::TpmState& s = internal::state(*tpm_);
    std::lock_guard<std::mutex> lock(s.mu);
    s.tcti.tap = nullptr;
  }
  // Whether `needle` appeared in any command or response.
  bool seen(std::span<const uint8_t> needle) const {
    for (const auto& buf : traffic_) {
      if (std::search(buf.begin(), buf.end(), needle.begin(), needle.end()) != buf.end()) {
        return true;
      }
    }
    return false;
  }
  std::vector<std::vector<uint8_t>> traffic_;
};

std::vector<uint8_t> random_vector(size_t n) {
  std::vector<uint8_t> v(n);
  RAND_bytes(v.data(), static_cast<int>(n));
  return v;
}

TEST_F(TpmBusTest, SecretsCrossTheBusOnlyEncrypted) {
  const auto key = random_vector(32);
  const auto identifier = bytes_of("MRN^000123456789^^^HOSP^MR|urn:oid:2.16.840.1.113883");
  const auto secret = random_vector(48);
  const PcrSelection sel{"sha256", {16}};

  auto hkey = tpm_->create_hmac_key(key);
  ASSERT_TRUE(hkey) << hkey.status().message();
  auto mac = tpm_->hmac(*hkey, identifier);
  ASSERT_TRUE(mac) << mac.status().message();
  std::vector<uint8_t> long_input(2500, 0);
  std::copy(identifier.begin(), identifier.end(), long_input.begin() + 1100);  // 2nd chunk
  auto long_mac = tpm_->hmac(*hkey, long_input);
  ASSERT_TRUE(long_mac) << long_mac.status().message();
  auto sealed = tpm_->seal(secret, {});
  auto bound = tpm_->seal(secret, sel);
  ASSERT_TRUE(sealed && bound) << bound.status().message();
  auto plain = tpm_->unseal(*sealed, {});
  auto plain_bound = tpm_->unseal(*bound, sel);
  ASSERT_TRUE(plain && plain_bound) << plain_bound.status().message();
  EXPECT_EQ(*plain, secret);
  EXPECT_EQ(*plain_bound, secret);
  auto random = tpm_->random_bytes(32);
  ASSERT_TRUE(random) << random.status().message();

  ASSERT_GT(traffic_.size(), 20u);
  EXPECT_FALSE(seen(key)) << "imported key in the clear";
  EXPECT_FALSE(seen(identifier)) << "HMAC input in the clear";
  EXPECT_FALSE(seen(*mac)) << "HMAC output in the clear";
  EXPECT_FALSE(seen(*long_mac)) << "sequence HMAC output in the clear";
  EXPECT_FALSE(seen(secret)) << "sealed secret in the clear";
  EXPECT_FALSE(seen(*random)) << "random bytes in the clear";

  // Control: the tap does see plaintext where nothing is encrypted (a digest
  // to sign and its signature, which are not secret).
  auto signer = tpm_->create_signing_key(Tpm::SigningKind::kGeneral);
  ASSERT_TRUE(signer) << signer.status().message();
  const auto digest = sha256(bytes_of("batch root"));
  auto sig = tpm_->sign_digest(*signer, digest);
  ASSERT_TRUE(sig) << sig.status().message();
  EXPECT_TRUE(seen(digest));
  EXPECT_TRUE(seen(sig->s));
}

}  // namespace
}  // namespace gw::tpm::testing
