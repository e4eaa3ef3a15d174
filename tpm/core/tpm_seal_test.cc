// test-needs: swtpm
// Sealing, PCR binding and PCR access against swtpm.
#include "tpm/core/tpm_test_util.h"

namespace gw::tpm::testing {
namespace {

class TpmSealTest : public ProvisionedTpmTest {};

TEST_F(TpmSealTest, RoundTripOfEverySize) {
  for (size_t n : {size_t{1}, size_t{32}, size_t{128}}) {
    std::vector<uint8_t> secret(n);
    for (size_t i = 0; i < n; ++i) secret[i] = static_cast<uint8_t>(i * 7 + 1);
    auto sealed = tpm_->seal(secret, {});
    ASSERT_TRUE(sealed) << "size " << n << ": " << sealed.status().message();
    auto plain = tpm_->unseal(*sealed, {});
    ASSERT_TRUE(plain) << plain.status().message();
    EXPECT_EQ(*plain, secret);
  }
  auto r = tpm_->seal(std::vector<uint8_t>(129, 1), {});
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("1..128"), std::string::npos) << r.status().message();
  auto r2 = tpm_->seal({}, {});
  EXPECT_FALSE(r2.ok());
}

TEST_F(TpmSealTest, SealedBlobSurvivesSerialization) {
  auto sealed = tpm_->seal(bytes_of("record key"), {});
  ASSERT_TRUE(sealed) << sealed.status().message();
  auto parsed = parse_blob(serialize_blob(*sealed));
  ASSERT_TRUE(parsed) << parsed.status().message();
  auto plain = tpm_->unseal(*parsed, {});
  ASSERT_TRUE(plain) << plain.status().message();
  EXPECT_EQ(*plain, bytes_of("record key"));
}

TEST_F(TpmSealTest, PcrBoundSecretFailsAfterExtend) {
  const PcrSelection sel{"sha256", {16, 23}};
  const auto secret = bytes_of("ledger account key");
  auto sealed = tpm_->seal(secret, sel);
  ASSERT_TRUE(sealed) << sealed.status().message();
  auto plain = tpm_->unseal(*sealed, sel);
  ASSERT_TRUE(plain) << plain.status().message();
  EXPECT_EQ(*plain, secret);
  // Unseal twice: the policy session is fresh each time.
  auto r3 = tpm_->unseal(*sealed, sel);
  ASSERT_TRUE(r3.ok()) << r3.status().message();

  auto r4 = tpm_->extend_pcr(23, sha256(bytes_of("new boot component")));
  ASSERT_TRUE(r4.ok()) << r4.message();
  auto r5 = tpm_->unseal(*sealed, sel);
  EXPECT_FALSE(r5.ok());
  EXPECT_NE(r5.status().message().find("PCR policy no longer matches"), std::string::npos)
      << r5.status().message();
  EXPECT_NE(r5.status().message().find("sha256:16,23"), std::string::npos) << r5.status().message();

  // Sealing again binds to the new values.
  auto resealed = tpm_->seal(secret, sel);
  ASSERT_TRUE(resealed) << resealed.status().message();
  plain = tpm_->unseal(*resealed, sel);
  ASSERT_TRUE(plain) << plain.status().message();
  EXPECT_EQ(*plain, secret);
}

TEST_F(TpmSealTest, SelectionMustMatchTheBinding) {
  const PcrSelection sel{"sha256", {16}};
  auto bound = tpm_->seal(bytes_of("a"), sel);
  auto unbound = tpm_->seal(bytes_of("b"), {});
  ASSERT_TRUE(bound && unbound) << unbound.status().message();
  auto r6 = tpm_->unseal(*bound, {});
  EXPECT_FALSE(r6.ok());
  EXPECT_NE(r6.status().message().find("sealed to PCR values"), std::string::npos)
      << r6.status().message();
  auto r7 = tpm_->unseal(*unbound, sel);
  EXPECT_FALSE(r7.ok());
  EXPECT_NE(r7.status().message().find("not bound to PCRs"), std::string::npos)
      << r7.status().message();
  // A different selection than at sealing does not satisfy the policy.
  auto r8 = tpm_->unseal(*bound, PcrSelection{"sha256", {17}});
  EXPECT_FALSE(r8.ok());
  EXPECT_NE(r8.status().message().find("PCR policy no longer matches"), std::string::npos)
      << r8.status().message();
}

TEST_F(TpmSealTest, BadSelectionsAreRefused) {
  auto r9 = tpm_->seal(bytes_of("a"), PcrSelection{"md5", {1}});
  EXPECT_FALSE(r9.ok());
  EXPECT_NE(r9.status().message().find("unknown PCR bank 'md5'"), std::string::npos)
      << r9.status().message();
  auto r10 = tpm_->seal(bytes_of("a"), PcrSelection{"sha256", {24}});
  EXPECT_FALSE(r10.ok());
  EXPECT_NE(r10.status().message().find("PCR 24"), std::string::npos) << r10.status().message();
  auto r11 = tpm_->read_pcrs(PcrSelection{"sha256", {-1}});
  EXPECT_FALSE(r11.ok());
  auto r12 = tpm_->extend_pcr(30, sha256(bytes_of("x")));
  EXPECT_FALSE(r12.ok());
}

TEST_F(TpmSealTest, ReadPcrsFollowsExtend) {
  const PcrSelection sel{"sha256", {16}};
  auto before = tpm_->read_pcrs(sel);
  ASSERT_TRUE(before) << before.status().message();
  ASSERT_EQ(before->size(), 1u);
  ASSERT_EQ((*before)[0].size(), 32u);
  const auto digest = sha256(bytes_of("measurement"));
  auto r13 = tpm_->extend_pcr(16, digest);
  ASSERT_TRUE(r13.ok()) << r13.message();
  auto after = tpm_->read_pcrs(sel);
  ASSERT_TRUE(after) << after.status().message();
  std::vector<uint8_t> concat = (*before)[0];
  concat.insert(concat.end(), digest.begin(), digest.end());
  const auto expected = sha256(concat);
  EXPECT_EQ((*after)[0], std::vector<uint8_t>(expected.begin(), expected.end()));

  // All 24 PCRs take several PCR_Read rounds (at most 8 per response); the
  // result follows the order asked for.
  PcrSelection all{"sha256", {}};
  for (int i = 23; i >= 0; --i) all.pcrs.push_back(i);
  auto values = tpm_->read_pcrs(all);
  ASSERT_TRUE(values) << values.status().message();
  ASSERT_EQ(values->size(), 24u);
  for (const auto& v : *values) EXPECT_EQ(v.size(), 32u);
  EXPECT_EQ((*values)[23 - 16], (*after)[0]);
}

}  // namespace
}  // namespace gw::tpm::testing
