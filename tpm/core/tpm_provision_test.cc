// test-needs: swtpm
// Provisioning, opening, restarts and the test-mode latency, against swtpm.
#include <chrono>

#include "tpm/core/tpm_test_util.h"

namespace gw::tpm::testing {
namespace {

TEST(TpmProvisionTest, ProvisionTwiceReportsTheExistingKey) {
  TempDir dir;
  auto swtpm = start_swtpm(dir.path() + "/tpm");
  ASSERT_NE(swtpm, nullptr);
  std::string error;
  std::vector<uint8_t> first_name;
  {
    auto tpm = open_tpm(*swtpm);
    ASSERT_NE(tpm, nullptr);
    EXPECT_FALSE(tpm->primary_present(&error));
    auto info = tpm->ensure_primary(&error);
    ASSERT_TRUE(info) << error;
    EXPECT_TRUE(info->created);
    EXPECT_EQ(info->algorithm, "ecc-p256");
    EXPECT_EQ(info->name.size(), 34u);  // SHA-256 nameAlg + digest
    first_name = info->name;
    // The same Tpm again: nothing new.
    auto again = tpm->ensure_primary(&error);
    ASSERT_TRUE(again) << error;
    EXPECT_FALSE(again->created);
    EXPECT_TRUE(tpm->random_bytes(8, &error)) << error;  // still usable
    EXPECT_TRUE(tpm->seal(bytes_of("s"), {}, &error)) << error;
    ASSERT_TRUE(tpm->ensure_primary(&error)) << error;
    EXPECT_TRUE(tpm->seal(bytes_of("s"), {}, &error)) << error;
  }
  auto tpm = open_tpm(*swtpm);  // a later run of the provisioning
  ASSERT_NE(tpm, nullptr);
  auto info = tpm->ensure_primary(&error);
  ASSERT_TRUE(info) << error;
  EXPECT_FALSE(info->created);
  EXPECT_EQ(info->algorithm, "ecc-p256");
  EXPECT_EQ(info->name, first_name);
  EXPECT_TRUE(tpm->primary_present(&error)) << error;
}

// swtpm has ECC, so the RSA-2048 fallback is exercised by forcing it: the
// primary, salted sessions (RSA-OAEP salt) and objects under it must all work.
TEST(TpmProvisionTest, RsaPrimaryFallbackWorks) {
  TempDir dir;
  auto swtpm = start_swtpm(dir.path() + "/tpm");
  ASSERT_NE(swtpm, nullptr);
  TpmOptions options;
  options.primary_algorithm = PrimaryAlgorithm::kRsa;
  auto tpm = open_tpm(*swtpm, options);
  ASSERT_NE(tpm, nullptr);
  std::string error;
  auto info = tpm->ensure_primary(&error);
  ASSERT_TRUE(info) << error;
  EXPECT_TRUE(info->created);
  EXPECT_EQ(info->algorithm, "rsa-2048");
  auto secret = bytes_of("record key: 32 bytes of secret!!");
  auto sealed = tpm->seal(secret, {}, &error);
  ASSERT_TRUE(sealed) << error;
  auto plain = tpm->unseal(*sealed, {}, &error);
  ASSERT_TRUE(plain) << error;
  EXPECT_EQ(*plain, secret);
  auto key = bytes_of("consortium tokenization key 0001");
  auto hkey = tpm->create_hmac_key(key, &error);
  ASSERT_TRUE(hkey) << error;
  auto mac = tpm->hmac(*hkey, bytes_of("x"), &error);
  ASSERT_TRUE(mac) << error;
  EXPECT_EQ(*mac, openssl_hmac_sha256(key, bytes_of("x")));
}

TEST(TpmProvisionTest, MissingPrimarySaysToProvision) {
  TempDir dir;
  auto swtpm = start_swtpm(dir.path() + "/tpm");
  ASSERT_NE(swtpm, nullptr);
  auto tpm = open_tpm(*swtpm);
  ASSERT_NE(tpm, nullptr);
  std::string error;
  EXPECT_FALSE(tpm->primary_present(&error));
  EXPECT_NE(error.find("0x81000001"), std::string::npos) << error;
  EXPECT_NE(error.find("gatewayctl tpm provision"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(tpm->seal(bytes_of("s"), {}, &error));
  EXPECT_NE(error.find("gatewayctl tpm provision"), std::string::npos) << error;
}

// Another kind of key at the handle, put there independently with tpm2-tools:
// refused, named, with the way out, and left in place.
TEST(TpmProvisionTest, HandleOccupiedByAnotherKindOfKeyIsRefused) {
  TempDir dir;
  auto swtpm = start_swtpm(dir.path() + "/tpm");
  ASSERT_NE(swtpm, nullptr);
  const std::string t = " -T " + swtpm->tcti();
  std::string out;
  ASSERT_EQ(run_shell("tpm2_createprimary -Q -C o -G ecc256:ecdsa-sha256 "
                      "-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign' -c " +
                          dir.path() + "/signer.ctx" + t,
                      &out),
            0)
      << out;
  ASSERT_EQ(
      run_shell("tpm2_evictcontrol -Q -C o -c " + dir.path() + "/signer.ctx 0x81000001" + t, &out),
      0)
      << out;
  ASSERT_EQ(run_shell("tpm2_flushcontext -t" + t, &out), 0) << out;

  auto tpm = open_tpm(*swtpm);
  ASSERT_NE(tpm, nullptr);
  std::string error;
  EXPECT_FALSE(tpm->ensure_primary(&error));
  EXPECT_NE(error.find("0x81000001"), std::string::npos) << error;
  EXPECT_NE(error.find("ECC signing key"), std::string::npos) << error;
  EXPECT_NE(error.find("tpm2_evictcontrol -C o -c 0x81000001"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(tpm->primary_present(&error));
  EXPECT_NE(error.find("not a storage key"), std::string::npos) << error;
  // Still the signing key: a second attempt says the same.
  error.clear();
  EXPECT_FALSE(tpm->ensure_primary(&error));
  EXPECT_NE(error.find("ECC signing key"), std::string::npos) << error;
}

TEST(TpmProvisionTest, BadTctiIsNamedInTheError) {
  std::string error;
  TpmOptions options;
  options.tcti = "nosuchtcti:whatever=1";
  EXPECT_EQ(Tpm::open(options, &error), nullptr);
  EXPECT_NE(error.find("'nosuchtcti:whatever=1'"), std::string::npos) << error;

  // A swtpm that is no longer there.
  TempDir dir;
  auto swtpm = start_swtpm(dir.path() + "/tpm");
  ASSERT_NE(swtpm, nullptr);
  options.tcti = swtpm->tcti();
  swtpm->stop();
  error.clear();
  EXPECT_EQ(Tpm::open(options, &error), nullptr);
  EXPECT_NE(error.find("'" + options.tcti + "'"), std::string::npos) << error;

  options.tcti.clear();
  EXPECT_EQ(Tpm::open(options, &error), nullptr);
  EXPECT_NE(error.find("no TCTI"), std::string::npos) << error;
  options.tcti = "swtpm:host=127.0.0.1,port=1";
  options.primary_handle = 0x01000001;  // an NV index, not a persistent handle
  EXPECT_EQ(Tpm::open(options, &error), nullptr);
  EXPECT_NE(error.find("0x01000001"), std::string::npos) << error;
}

TEST(TpmProvisionTest, RestartedSwtpmKeepsPrimaryAndBlobs) {
  TempDir dir;
  const std::string state = dir.path() + "/tpm";
  auto swtpm = start_swtpm(state);
  ASSERT_NE(swtpm, nullptr);
  std::string error;
  const auto key = bytes_of("consortium tokenization key 0002");
  const auto secret = bytes_of("ledger account private key bytes");
  const auto data = bytes_of("MRN|12345|Hospital A");
  std::optional<KeyBlob> hkey, sealed, signer;
  std::vector<uint8_t> name;
  {
    auto tpm = open_tpm(*swtpm);
    ASSERT_NE(tpm, nullptr);
    auto info = tpm->ensure_primary(&error);
    ASSERT_TRUE(info) << error;
    name = info->name;
    hkey = tpm->create_hmac_key(key, &error);
    sealed = tpm->seal(secret, {}, &error);
    signer = tpm->create_signing_key(Tpm::SigningKind::kGeneral, &error);
    ASSERT_TRUE(hkey && sealed && signer) << error;
  }
  swtpm.reset();  // stops it
  swtpm = start_swtpm(state);
  ASSERT_NE(swtpm, nullptr);
  TpmOptions options;
  options.expected_primary_name = name;  // and it is the very same key
  auto tpm = open_tpm(*swtpm, options);
  ASSERT_NE(tpm, nullptr);
  auto info = tpm->ensure_primary(&error);
  ASSERT_TRUE(info) << error;
  EXPECT_FALSE(info->created);
  auto mac = tpm->hmac(*hkey, data, &error);
  ASSERT_TRUE(mac) << error;
  EXPECT_EQ(*mac, openssl_hmac_sha256(key, data));
  auto plain = tpm->unseal(*sealed, {}, &error);
  ASSERT_TRUE(plain) << error;
  EXPECT_EQ(*plain, secret);
  std::array<uint8_t, 32> digest = sha256(data);
  EXPECT_TRUE(tpm->sign_digest(*signer, digest, &error)) << error;
}

TEST(TpmProvisionTest, PinnedPrimaryNameMustMatch) {
  TempDir dir;
  auto swtpm = start_swtpm(dir.path() + "/tpm");
  ASSERT_NE(swtpm, nullptr);
  std::string error;
  std::vector<uint8_t> name;
  {
    auto tpm = open_tpm(*swtpm);
    ASSERT_NE(tpm, nullptr);
    auto info = tpm->ensure_primary(&error);
    ASSERT_TRUE(info) << error;
    name = info->name;
  }
  TpmOptions options;
  options.expected_primary_name = name;
  options.expected_primary_name.back() ^= 1;
  auto tpm = open_tpm(*swtpm, options);
  ASSERT_NE(tpm, nullptr);
  EXPECT_FALSE(tpm->seal(bytes_of("s"), {}, &error));
  EXPECT_NE(error.find("not the key this gateway provisioned"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(tpm->ensure_primary(&error));
  EXPECT_NE(error.find("not the key this gateway provisioned"), std::string::npos) << error;
  tpm.reset();

  // A cleared TPM (here: a fresh one) with the name still pinned: nothing is
  // created behind the operator's back.
  TempDir fresh_dir;
  auto fresh = start_swtpm(fresh_dir.path() + "/tpm");
  ASSERT_NE(fresh, nullptr);
  options.expected_primary_name = name;
  tpm = open_tpm(*fresh, options);
  ASSERT_NE(tpm, nullptr);
  error.clear();
  EXPECT_FALSE(tpm->ensure_primary(&error));
  EXPECT_NE(error.find("pinned"), std::string::npos) << error;
  EXPECT_FALSE(tpm->primary_present(&error));
}

TEST(TpmProvisionTest, InjectedLatencyDelaysEveryCommand) {
  TempDir dir;
  auto swtpm = start_swtpm(dir.path() + "/tpm");
  ASSERT_NE(swtpm, nullptr);
  TpmOptions options;
  options.injected_latency = std::chrono::milliseconds(50);
  auto tpm = open_tpm(*swtpm, options);
  ASSERT_NE(tpm, nullptr);
  std::string error;
  ASSERT_TRUE(tpm->ensure_primary(&error)) << error;
  const uint64_t before = tpm->commands_sent();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(tpm->random_bytes(16, &error)) << error;
  auto elapsed = std::chrono::steady_clock::now() - start;
  const uint64_t sent = tpm->commands_sent() - before;
  // StartAuthSession + GetRandom + FlushContext per call.
  EXPECT_GE(sent, 9u);
  EXPECT_GE(elapsed, sent * std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace gw::tpm::testing
