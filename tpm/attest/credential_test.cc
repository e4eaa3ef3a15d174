// test-needs: swtpm
// AK certification: tpm2_makecredential (offline, as the verifier runs it)
// for this TPM's EK and the AK's name, then activate_credential.
#include <algorithm>

#include "tpm/attest/attest_test_util.h"
#include "tpm/attest/endorsement.h"

namespace gw::tpm::testing {
namespace {

class CredentialTest : public ProvisionedTpmTest {
 protected:
  void SetUp() override {
    ProvisionedTpmTest::SetUp();
    ASSERT_TRUE(tool_installed("tpm2_makecredential"));
    std::string error;
    auto ak = tpm_->create_signing_key(Tpm::SigningKind::kAttestation, &error);
    ASSERT_TRUE(ak) << error;
    ak_ = *ak;
    auto name = tpm_->object_name(ak_, &error);
    ASSERT_TRUE(name) << error;
    ak_name_ = *name;
    secret_ = bytes_of("challenge-0123456789abcdefghijkl");  // 32 bytes
    write_bytes(dir_.path() + "/secret.bin", secret_);
  }

  // `tpm2_makecredential -T none -u <ek_public> [extra] ...`: the
  // credential file's bytes (empty on failure).
  std::vector<uint8_t> make_credential(const std::string& ek_public, const std::string& extra,
                                       const std::vector<uint8_t>& name) {
    const std::string out_path = dir_.path() + "/cred.blob";
    std::string out;
    const int rc =
        run("tpm2_makecredential -T none -u " + ek_public + " " + extra + " -s " + dir_.path() +
                "/secret.bin -n " + attest::to_hex(name) + " -o " + out_path,
            &out);
    EXPECT_EQ(rc, 0) << out;
    return rc == 0 ? read_bytes(out_path) : std::vector<uint8_t>{};
  }

  KeyBlob ak_;
  std::vector<uint8_t> ak_name_, secret_;
};

TEST_F(CredentialTest, ActivatesACredentialMadeForTheAk) {
  std::string error;
  auto ek = endorsement_key(*tpm_, &error);
  ASSERT_TRUE(ek) << error;
  const std::string d = dir_.path() + "/ek";
  ASSERT_TRUE(write_endorsement_files(*ek, d, &error)) << error;

  // With the EK public area (TPM2B_PUBLIC, as tpm2_createek writes it) ...
  auto cred = make_credential(d + "/ek.pub", "", ak_name_);
  ASSERT_FALSE(cred.empty());
  auto secret = activate_credential(*tpm_, ak_, cred, &error);
  ASSERT_TRUE(secret) << error;
  EXPECT_EQ(*secret, secret_);
  // ... and with the PEM public key and the default TCG template (-G ecc).
  cred = make_credential(d + "/ek.pub.pem", "-G ecc", ak_name_);
  ASSERT_FALSE(cred.empty());
  secret = activate_credential(*tpm_, ak_, cred, &error);
  ASSERT_TRUE(secret) << error;
  EXPECT_EQ(*secret, secret_);
  expect_no_tpm_handles(*tpm_);
}

TEST_F(CredentialTest, RsaEndorsementKey) {
  std::string error;
  auto ek = endorsement_key(*tpm_, &error, EkAlgorithm::kRsa);
  ASSERT_TRUE(ek) << error;
  const std::string d = dir_.path() + "/ek";
  ASSERT_TRUE(write_endorsement_files(*ek, d, &error)) << error;
  for (const char* args : {"/ek.pub ", "/ek.pub.pem -G rsa"}) {
    SCOPED_TRACE(args);
    const std::string a(args);
    auto cred = make_credential(d + a.substr(0, a.find(' ')), a.substr(a.find(' ') + 1), ak_name_);
    ASSERT_FALSE(cred.empty());
    // kAuto sees an RSA-wrapped seed and uses the RSA EK.
    auto secret = activate_credential(*tpm_, ak_, cred, &error);
    ASSERT_TRUE(secret) << error;
    EXPECT_EQ(*secret, secret_);
  }
  expect_no_tpm_handles(*tpm_);
}

TEST_F(CredentialTest, FailsForAnotherKeysName) {
  std::string error;
  auto ek = endorsement_key(*tpm_, &error);
  ASSERT_TRUE(ek) << error;
  const std::string d = dir_.path() + "/ek";
  ASSERT_TRUE(write_endorsement_files(*ek, d, &error)) << error;
  auto other = tpm_->create_signing_key(Tpm::SigningKind::kAttestation, &error);
  ASSERT_TRUE(other) << error;
  auto other_name = tpm_->object_name(*other, &error);
  ASSERT_TRUE(other_name) << error;

  // Made for the other AK's name: our AK cannot activate it ...
  auto cred = make_credential(d + "/ek.pub", "", *other_name);
  ASSERT_FALSE(cred.empty());
  EXPECT_FALSE(activate_credential(*tpm_, ak_, cred, &error));
  EXPECT_NE(error.find("not made for this TPM"), std::string::npos) << error;
  EXPECT_EQ(error.find(attest::to_hex(secret_)), std::string::npos);
  // ... the other AK can.
  auto secret = activate_credential(*tpm_, *other, cred, &error);
  ASSERT_TRUE(secret) << error;
  EXPECT_EQ(*secret, secret_);

  // Made for another TPM's EK (here: the RSA EK while kEcc is forced).
  auto rsa = endorsement_key(*tpm_, &error, EkAlgorithm::kRsa);
  ASSERT_TRUE(rsa) << error;
  ASSERT_TRUE(write_endorsement_files(*rsa, d + "-rsa", &error)) << error;
  cred = make_credential(d + "-rsa/ek.pub", "", ak_name_);
  ASSERT_FALSE(cred.empty());
  EXPECT_FALSE(activate_credential(*tpm_, ak_, cred, &error, EkAlgorithm::kEcc));
  EXPECT_NE(error.find("TPM2_ActivateCredential failed"), std::string::npos) << error;
  expect_no_tpm_handles(*tpm_);
}

// The secret reaches the TPM only inside the credential (encrypted to the
// EK) and comes back encrypted by the session; the credential blob itself is
// seen on the bus (the control that the tap works).
TEST_F(CredentialTest, SecretIsEncryptedOnTheBus) {
  std::string error;
  auto ek = endorsement_key(*tpm_, &error);
  ASSERT_TRUE(ek) << error;
  ASSERT_TRUE(write_endorsement_files(*ek, dir_.path(), &error)) << error;
  auto cred = make_credential(dir_.path() + "/ek.pub", "", ak_name_);
  ASSERT_FALSE(cred.empty());
  std::vector<std::vector<uint8_t>> traffic;
  internal::TpmState& s = internal::state(*tpm_);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.tcti.tap = [&traffic](bool, const uint8_t* data, size_t size) {
      traffic.emplace_back(data, data + size);
    };
  }
  auto secret = activate_credential(*tpm_, ak_, cred, &error);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.tcti.tap = nullptr;
  }
  ASSERT_TRUE(secret) << error;
  EXPECT_EQ(*secret, secret_);
  auto seen = [&traffic](std::span<const uint8_t> needle) {
    return std::any_of(traffic.begin(), traffic.end(), [&](const std::vector<uint8_t>& buf) {
      return std::search(buf.begin(), buf.end(), needle.begin(), needle.end()) != buf.end();
    });
  };
  EXPECT_TRUE(seen(std::span<const uint8_t>(cred).subspan(10, 32)));  // the ID object
  EXPECT_FALSE(seen(secret_));
  EXPECT_FALSE(seen(std::span<const uint8_t>(secret_).subspan(0, 8)));
}

TEST_F(CredentialTest, MalformedFileSendsNothingToTheTpm) {
  std::string error;
  const uint64_t before = tpm_->commands_sent();
  EXPECT_FALSE(activate_credential(*tpm_, ak_, bytes_of("not a credential"), &error));
  EXPECT_NE(error.find("tpm2_makecredential"), std::string::npos) << error;
  EXPECT_EQ(tpm_->commands_sent(), before);
}

}  // namespace
}  // namespace gw::tpm::testing
