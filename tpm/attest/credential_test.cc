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
    auto ak = tpm_->create_signing_key(Tpm::SigningKind::kAttestation);
    ASSERT_TRUE(ak) << ak.status().message();
    ak_ = *ak;
    auto name = tpm_->object_name(ak_);
    ASSERT_TRUE(name) << name.status().message();
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
  auto ek = endorsement_key(*tpm_);
  ASSERT_TRUE(ek) << ek.status().message();
  const std::string d = dir_.path() + "/ek";
  auto r = write_endorsement_files(*ek, d);
  ASSERT_TRUE(r.ok()) << r.message();

  // With the EK public area (TPM2B_PUBLIC, as tpm2_createek writes it) ...
  auto cred = make_credential(d + "/ek.pub", "", ak_name_);
  ASSERT_FALSE(cred.empty());
  auto secret = activate_credential(*tpm_, ak_, cred);
  ASSERT_TRUE(secret) << secret.status().message();
  EXPECT_EQ(*secret, secret_);
  // ... and with the PEM public key and the default TCG template (-G ecc).
  cred = make_credential(d + "/ek.pub.pem", "-G ecc", ak_name_);
  ASSERT_FALSE(cred.empty());
  secret = activate_credential(*tpm_, ak_, cred);
  ASSERT_TRUE(secret) << secret.status().message();
  EXPECT_EQ(*secret, secret_);
  expect_no_tpm_handles(*tpm_);
}

TEST_F(CredentialTest, RsaEndorsementKey) {
  auto ek = endorsement_key(*tpm_, EkAlgorithm::kRsa);
  ASSERT_TRUE(ek) << ek.status().message();
  const std::string d = dir_.path() + "/ek";
  auto r2 = write_endorsement_files(*ek, d);
  ASSERT_TRUE(r2.ok()) << r2.message();
  for (const char* args : {"/ek.pub ", "/ek.pub.pem -G rsa"}) {
    SCOPED_TRACE(args);
    const std::string a(args);
    auto cred = make_credential(d + a.substr(0, a.find(' ')), a.substr(a.find(' ') + 1), ak_name_);
    ASSERT_FALSE(cred.empty());
    // kAuto sees an RSA-wrapped seed and uses the RSA EK.
    auto secret = activate_credential(*tpm_, ak_, cred);
    ASSERT_TRUE(secret) << secret.status().message();
    EXPECT_EQ(*secret, secret_);
  }
  expect_no_tpm_handles(*tpm_);
}

TEST_F(CredentialTest, FailsForAnotherKeysName) {
  auto ek = endorsement_key(*tpm_);
  ASSERT_TRUE(ek) << ek.status().message();
  const std::string d = dir_.path() + "/ek";
  auto r3 = write_endorsement_files(*ek, d);
  ASSERT_TRUE(r3.ok()) << r3.message();
  auto other = tpm_->create_signing_key(Tpm::SigningKind::kAttestation);
  ASSERT_TRUE(other) << other.status().message();
  auto other_name = tpm_->object_name(*other);
  ASSERT_TRUE(other_name) << other_name.status().message();

  // Made for the other AK's name: our AK cannot activate it ...
  auto cred = make_credential(d + "/ek.pub", "", *other_name);
  ASSERT_FALSE(cred.empty());
  auto r4 = activate_credential(*tpm_, ak_, cred);
  EXPECT_FALSE(r4.ok());
  EXPECT_NE(r4.status().message().find("not made for this TPM"), std::string::npos)
      << r4.status().message();
  EXPECT_EQ(r4.status().message().find(attest::to_hex(secret_)), std::string::npos);
  // ... the other AK can.
  auto secret = activate_credential(*tpm_, *other, cred);
  ASSERT_TRUE(secret) << secret.status().message();
  EXPECT_EQ(*secret, secret_);

  // Made for another TPM's EK (here: the RSA EK while kEcc is forced).
  auto rsa = endorsement_key(*tpm_, EkAlgorithm::kRsa);
  ASSERT_TRUE(rsa) << rsa.status().message();
  auto r5 = write_endorsement_files(*rsa, d + "-rsa");
  ASSERT_TRUE(r5.ok()) << r5.message();
  cred = make_credential(d + "-rsa/ek.pub", "", ak_name_);
  ASSERT_FALSE(cred.empty());
  auto r6 = activate_credential(*tpm_, ak_, cred, EkAlgorithm::kEcc);
  EXPECT_FALSE(r6.ok());
  EXPECT_NE(r6.status().message().find("TPM2_ActivateCredential failed"), std::string::npos)
      << r6.status().message();
  expect_no_tpm_handles(*tpm_);
}

// The secret reaches the TPM only inside the credential (encrypted to the
// EK) and comes back encrypted by the session; the credential blob itself is
// seen on the bus (the control that the tap works).
TEST_F(CredentialTest, SecretIsEncryptedOnTheBus) {
  auto ek = endorsement_key(*tpm_);
  ASSERT_TRUE(ek) << ek.status().message();
  auto r7 = write_endorsement_files(*ek, dir_.path());
  ASSERT_TRUE(r7.ok()) << r7.message();
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
  auto secret = activate_credential(*tpm_, ak_, cred);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.tcti.tap = nullptr;
  }
  ASSERT_TRUE(secret) << secret.status().message();
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
  const uint64_t before = tpm_->commands_sent();
  auto r8 = activate_credential(*tpm_, ak_, bytes_of("not a credential"));
  EXPECT_FALSE(r8.ok());
  EXPECT_NE(r8.status().message().find("tpm2_makecredential"), std::string::npos)
      << r8.status().message();
  EXPECT_EQ(tpm_->commands_sent(), before);
}

}  // namespace
}  // namespace gw::tpm::testing
