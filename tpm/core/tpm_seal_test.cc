// test-needs: swtpm
// Sealing, PCR binding and PCR access against swtpm.
#include "tpm/core/tpm_test_util.h"

namespace gw::tpm::testing {
namespace {

class TpmSealTest : public ProvisionedTpmTest {};

TEST_F(TpmSealTest, RoundTripOfEverySize) {
  std::string error;
  for (size_t n : {size_t{1}, size_t{32}, size_t{128}}) {
    std::vector<uint8_t> secret(n);
    for (size_t i = 0; i < n; ++i) secret[i] = static_cast<uint8_t>(i * 7 + 1);
    auto sealed = tpm_->seal(secret, {}, &error);
    ASSERT_TRUE(sealed) << "size " << n << ": " << error;
    auto plain = tpm_->unseal(*sealed, {}, &error);
    ASSERT_TRUE(plain) << error;
    EXPECT_EQ(*plain, secret);
  }
  EXPECT_FALSE(tpm_->seal(std::vector<uint8_t>(129, 1), {}, &error));
  EXPECT_NE(error.find("1..128"), std::string::npos) << error;
  EXPECT_FALSE(tpm_->seal({}, {}, &error));
}

TEST_F(TpmSealTest, SealedBlobSurvivesSerialization) {
  std::string error;
  auto sealed = tpm_->seal(bytes_of("record key"), {}, &error);
  ASSERT_TRUE(sealed) << error;
  auto parsed = parse_blob(serialize_blob(*sealed), &error);
  ASSERT_TRUE(parsed) << error;
  auto plain = tpm_->unseal(*parsed, {}, &error);
  ASSERT_TRUE(plain) << error;
  EXPECT_EQ(*plain, bytes_of("record key"));
}

TEST_F(TpmSealTest, PcrBoundSecretFailsAfterExtend) {
  std::string error;
  const PcrSelection sel{"sha256", {16, 23}};
  const auto secret = bytes_of("ledger account key");
  auto sealed = tpm_->seal(secret, sel, &error);
  ASSERT_TRUE(sealed) << error;
  auto plain = tpm_->unseal(*sealed, sel, &error);
  ASSERT_TRUE(plain) << error;
  EXPECT_EQ(*plain, secret);
  // Unseal twice: the policy session is fresh each time.
  ASSERT_TRUE(tpm_->unseal(*sealed, sel, &error)) << error;

  ASSERT_TRUE(tpm_->extend_pcr(23, sha256(bytes_of("new boot component")), &error)) << error;
  error.clear();
  EXPECT_FALSE(tpm_->unseal(*sealed, sel, &error));
  EXPECT_NE(error.find("PCR policy no longer matches"), std::string::npos) << error;
  EXPECT_NE(error.find("sha256:16,23"), std::string::npos) << error;

  // Sealing again binds to the new values.
  auto resealed = tpm_->seal(secret, sel, &error);
  ASSERT_TRUE(resealed) << error;
  plain = tpm_->unseal(*resealed, sel, &error);
  ASSERT_TRUE(plain) << error;
  EXPECT_EQ(*plain, secret);
}

TEST_F(TpmSealTest, SelectionMustMatchTheBinding) {
  std::string error;
  const PcrSelection sel{"sha256", {16}};
  auto bound = tpm_->seal(bytes_of("a"), sel, &error);
  auto unbound = tpm_->seal(bytes_of("b"), {}, &error);
  ASSERT_TRUE(bound && unbound) << error;
  EXPECT_FALSE(tpm_->unseal(*bound, {}, &error));
  EXPECT_NE(error.find("sealed to PCR values"), std::string::npos) << error;
  EXPECT_FALSE(tpm_->unseal(*unbound, sel, &error));
  EXPECT_NE(error.find("not bound to PCRs"), std::string::npos) << error;
  // A different selection than at sealing does not satisfy the policy.
  error.clear();
  EXPECT_FALSE(tpm_->unseal(*bound, PcrSelection{"sha256", {17}}, &error));
  EXPECT_NE(error.find("PCR policy no longer matches"), std::string::npos) << error;
}

TEST_F(TpmSealTest, BadSelectionsAreRefused) {
  std::string error;
  EXPECT_FALSE(tpm_->seal(bytes_of("a"), PcrSelection{"md5", {1}}, &error));
  EXPECT_NE(error.find("unknown PCR bank 'md5'"), std::string::npos) << error;
  EXPECT_FALSE(tpm_->seal(bytes_of("a"), PcrSelection{"sha256", {24}}, &error));
  EXPECT_NE(error.find("PCR 24"), std::string::npos) << error;
  EXPECT_FALSE(tpm_->read_pcrs(PcrSelection{"sha256", {-1}}, &error));
  EXPECT_FALSE(tpm_->extend_pcr(30, sha256(bytes_of("x")), &error));
}

TEST_F(TpmSealTest, ReadPcrsFollowsExtend) {
  std::string error;
  const PcrSelection sel{"sha256", {16}};
  auto before = tpm_->read_pcrs(sel, &error);
  ASSERT_TRUE(before) << error;
  ASSERT_EQ(before->size(), 1u);
  ASSERT_EQ((*before)[0].size(), 32u);
  const auto digest = sha256(bytes_of("measurement"));
  ASSERT_TRUE(tpm_->extend_pcr(16, digest, &error)) << error;
  auto after = tpm_->read_pcrs(sel, &error);
  ASSERT_TRUE(after) << error;
  std::vector<uint8_t> concat = (*before)[0];
  concat.insert(concat.end(), digest.begin(), digest.end());
  const auto expected = sha256(concat);
  EXPECT_EQ((*after)[0], std::vector<uint8_t>(expected.begin(), expected.end()));

  // All 24 PCRs take several PCR_Read rounds (at most 8 per response); the
  // result follows the order asked for.
  PcrSelection all{"sha256", {}};
  for (int i = 23; i >= 0; --i) all.pcrs.push_back(i);
  auto values = tpm_->read_pcrs(all, &error);
  ASSERT_TRUE(values) << error;
  ASSERT_EQ(values->size(), 24u);
  for (const auto& v : *values) EXPECT_EQ(v.size(), 32u);
  EXPECT_EQ((*values)[23 - 16], (*after)[0]);
}

}  // namespace
}  // namespace gw::tpm::testing
