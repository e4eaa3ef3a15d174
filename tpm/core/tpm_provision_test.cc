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
  std::vector<uint8_t> first_name;
  {
    auto tpm = open_tpm(*swtpm);
    ASSERT_NE(tpm, nullptr);
    auto r = tpm->primary_present();
    EXPECT_FALSE(r.ok());
    auto info = tpm->ensure_primary();
    ASSERT_TRUE(info) << info.status().message();
    EXPECT_TRUE(info->created);
    EXPECT_EQ(info->algorithm, "ecc-p256");
    EXPECT_EQ(info->name.size(), 34u);  // SHA-256 nameAlg + digest
    first_name = info->name;
    // The same Tpm again: nothing new.
    auto again = tpm->ensure_primary();
    ASSERT_TRUE(again) << again.status().message();
    EXPECT_FALSE(again->created);
    auto r2 = tpm->random_bytes(8);
    EXPECT_TRUE(r2.ok()) << r2.status().message();  // still usable
    auto r3 = tpm->seal(bytes_of("s"), {});
    EXPECT_TRUE(r3.ok()) << r3.status().message();
    auto r4 = tpm->ensure_primary();
    ASSERT_TRUE(r4.ok()) << r4.status().message();
    auto r5 = tpm->seal(bytes_of("s"), {});
    EXPECT_TRUE(r5.ok()) << r5.status().message();
  }
  auto tpm = open_tpm(*swtpm);  // a later run of the provisioning
  ASSERT_NE(tpm, nullptr);
  auto info = tpm->ensure_primary();
  ASSERT_TRUE(info) << info.status().message();
  EXPECT_FALSE(info->created);
  EXPECT_EQ(info->algorithm, "ecc-p256");
  EXPECT_EQ(info->name, first_name);
  auto r6 = tpm->primary_present();
  EXPECT_TRUE(r6.ok()) << r6.message();
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
  auto info = tpm->ensure_primary();
  ASSERT_TRUE(info) << info.status().message();
  EXPECT_TRUE(info->created);
  EXPECT_EQ(info->algorithm, "rsa-2048");
  auto secret = bytes_of("record key: 32 bytes of secret!!");
  auto sealed = tpm->seal(secret, {});
  ASSERT_TRUE(sealed) << sealed.status().message();
  auto plain = tpm->unseal(*sealed, {});
  ASSERT_TRUE(plain) << plain.status().message();
  EXPECT_EQ(*plain, secret);
  auto key = bytes_of("consortium tokenization key 0001");
  auto hkey = tpm->create_hmac_key(key);
  ASSERT_TRUE(hkey) << hkey.status().message();
  auto mac = tpm->hmac(*hkey, bytes_of("x"));
  ASSERT_TRUE(mac) << mac.status().message();
  EXPECT_EQ(*mac, openssl_hmac_sha256(key, bytes_of("x")));
}

TEST(TpmProvisionTest, MissingPrimarySaysToProvision) {
  TempDir dir;
  auto swtpm = start_swtpm(dir.path() + "/tpm");
  ASSERT_NE(swtpm, nullptr);
  auto tpm = open_tpm(*swtpm);
  ASSERT_NE(tpm, nullptr);
  auto r7 = tpm->primary_present();
  EXPECT_FALSE(r7.ok());
  EXPECT_NE(r7.message().find("0x81000001"), std::string::npos) << r7.message();
  EXPECT_NE(r7.message().find("gatewayctl tpm provision"), std::string::npos) << r7.message();
  auto r8 = tpm->seal(bytes_of("s"), {});
  EXPECT_FALSE(r8.ok());
  EXPECT_NE(r8.status().message().find("gatewayctl tpm provision"), std::string::npos)
      << r8.status().message();
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
  auto r9 = tpm->ensure_primary();
  EXPECT_FALSE(r9.ok());
  EXPECT_NE(r9.status().message().find("0x81000001"), std::string::npos) << r9.status().message();
  EXPECT_NE(r9.status().message().find("ECC signing key"), std::string::npos)
      << r9.status().message();
  EXPECT_NE(r9.status().message().find("tpm2_evictcontrol -C o -c 0x81000001"), std::string::npos)
      << r9.status().message();
  auto r10 = tpm->primary_present();
  EXPECT_FALSE(r10.ok());
  EXPECT_NE(r10.message().find("not a storage key"), std::string::npos) << r10.message();
  // Still the signing key: a second attempt says the same.
  auto r11 = tpm->ensure_primary();
  EXPECT_FALSE(r11.ok());
  EXPECT_NE(r11.status().message().find("ECC signing key"), std::string::npos)
      << r11.status().message();
}

TEST(TpmProvisionTest, BadTctiIsNamedInTheError) {
  TpmOptions options;
  options.tcti = "nosuchtcti:whatever=1";
  auto r12 = Tpm::open(options);
  EXPECT_FALSE(r12.ok());
  EXPECT_NE(r12.status().message().find("'nosuchtcti:whatever=1'"), std::string::npos)
      << r12.status().message();

  // A swtpm that is no longer there.
  TempDir dir;
  auto swtpm = start_swtpm(dir.path() + "/tpm");
  ASSERT_NE(swtpm, nullptr);
  options.tcti = swtpm->tcti();
  swtpm->stop();
  auto r13 = Tpm::open(options);
  EXPECT_FALSE(r13.ok());
  EXPECT_NE(r13.status().message().find("'" + options.tcti + "'"), std::string::npos)
      << r13.status().message();

  options.tcti.clear();
  auto r14 = Tpm::open(options);
  EXPECT_FALSE(r14.ok());
  EXPECT_NE(r14.status().message().find("no TCTI"), std::string::npos) << r14.status().message();
  options.tcti = "swtpm:host=127.0.0.1,port=1";
  options.primary_handle = 0x01000001;  // an NV index, not a persistent handle
  auto r15 = Tpm::open(options);
  EXPECT_FALSE(r15.ok());
  EXPECT_NE(r15.status().message().find("0x01000001"), std::string::npos) << r15.status().message();
}

TEST(TpmProvisionTest, RestartedSwtpmKeepsPrimaryAndBlobs) {
  TempDir dir;
  const std::string state = dir.path() + "/tpm";
  auto swtpm = start_swtpm(state);
  ASSERT_NE(swtpm, nullptr);
  const auto key = bytes_of("consortium tokenization key 0002");
  const auto secret = bytes_of("ledger account private key bytes");
  const auto data = bytes_of("MRN|12345|Hospital A");
  std::optional<KeyBlob> hkey, sealed, signer;
  std::vector<uint8_t> name;
  {
    auto tpm = open_tpm(*swtpm);
    ASSERT_NE(tpm, nullptr);
    auto info = tpm->ensure_primary();
    ASSERT_TRUE(info) << info.status().message();
    name = info->name;
    auto h = tpm->create_hmac_key(key);
    ASSERT_TRUE(h.ok()) << h.error().message();
    auto s = tpm->seal(secret, {});
    ASSERT_TRUE(s.ok()) << s.error().message();
    auto k = tpm->create_signing_key(Tpm::SigningKind::kGeneral);
    ASSERT_TRUE(k.ok()) << k.error().message();
    hkey = *h;
    sealed = *s;
    signer = *k;
  }
  swtpm.reset();  // stops it
  swtpm = start_swtpm(state);
  ASSERT_NE(swtpm, nullptr);
  TpmOptions options;
  options.expected_primary_name = name;  // and it is the very same key
  auto tpm = open_tpm(*swtpm, options);
  ASSERT_NE(tpm, nullptr);
  auto info = tpm->ensure_primary();
  ASSERT_TRUE(info) << info.status().message();
  EXPECT_FALSE(info->created);
  auto mac = tpm->hmac(*hkey, data);
  ASSERT_TRUE(mac) << mac.status().message();
  EXPECT_EQ(*mac, openssl_hmac_sha256(key, data));
  auto plain = tpm->unseal(*sealed, {});
  ASSERT_TRUE(plain) << plain.status().message();
  EXPECT_EQ(*plain, secret);
  std::array<uint8_t, 32> digest = sha256(data);
  auto r16 = tpm->sign_digest(*signer, digest);
  EXPECT_TRUE(r16.ok()) << r16.status().message();
}

TEST(TpmProvisionTest, PinnedPrimaryNameMustMatch) {
  TempDir dir;
  auto swtpm = start_swtpm(dir.path() + "/tpm");
  ASSERT_NE(swtpm, nullptr);
  std::vector<uint8_t> name;
  {
    auto tpm = open_tpm(*swtpm);
    ASSERT_NE(tpm, nullptr);
    auto info = tpm->ensure_primary();
    ASSERT_TRUE(info) << info.status().message();
    name = info->name;
  }
  TpmOptions options;
  options.expected_primary_name = name;
  options.expected_primary_name.back() ^= 1;
  auto tpm = open_tpm(*swtpm, options);
  ASSERT_NE(tpm, nullptr);
  auto r17 = tpm->seal(bytes_of("s"), {});
  EXPECT_FALSE(r17.ok());
  EXPECT_NE(r17.status().message().find("not the key this gateway provisioned"), std::string::npos)
      << r17.status().message();
  auto r18 = tpm->ensure_primary();
  EXPECT_FALSE(r18.ok());
  EXPECT_NE(r18.status().message().find("not the key this gateway provisioned"), std::string::npos)
      << r18.status().message();
  tpm.reset();

  // A cleared TPM (here: a fresh one) with the name still pinned: nothing is
  // created behind the operator's back.
  TempDir fresh_dir;
  auto fresh = start_swtpm(fresh_dir.path() + "/tpm");
  ASSERT_NE(fresh, nullptr);
  options.expected_primary_name = name;
  tpm = open_tpm(*fresh, options);
  ASSERT_NE(tpm, nullptr);
  auto r19 = tpm->ensure_primary();
  EXPECT_FALSE(r19.ok());
  EXPECT_NE(r19.status().message().find("pinned"), std::string::npos) << r19.status().message();
  auto r20 = tpm->primary_present();
  EXPECT_FALSE(r20.ok());
}

TEST(TpmProvisionTest, InjectedLatencyDelaysEveryCommand) {
  TempDir dir;
  auto swtpm = start_swtpm(dir.path() + "/tpm");
  ASSERT_NE(swtpm, nullptr);
  TpmOptions options;
  options.injected_latency = std::chrono::milliseconds(50);
  auto tpm = open_tpm(*swtpm, options);
  ASSERT_NE(tpm, nullptr);
  auto r21 = tpm->ensure_primary();
  ASSERT_TRUE(r21.ok()) << r21.status().message();
  const uint64_t before = tpm->commands_sent();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    auto random = tpm->random_bytes(16);
    ASSERT_TRUE(random.ok()) << random.error().message();
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  const uint64_t sent = tpm->commands_sent() - before;
  // StartAuthSession + GetRandom + FlushContext per call.
  EXPECT_GE(sent, 9u);
  EXPECT_GE(elapsed, sent * std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace gw::tpm::testing
