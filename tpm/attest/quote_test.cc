// test-needs: swtpm
// Quotes against swtpm, checked by tpm2_checkquote (tpm2-tools 5.4) as the
// independent verifier, and by verify_quote.
#include "tpm/attest/quote.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <filesystem>

#include "tpm/attest/attest_test_util.h"

namespace gw::tpm::testing {
namespace {

class TpmQuoteTest : public ProvisionedTpmTest {
 protected:
  void SetUp() override {
    ProvisionedTpmTest::SetUp();
    ASSERT_TRUE(tool_installed("tpm2_checkquote"));
    auto ak = tpm_->create_signing_key(Tpm::SigningKind::kAttestation);
    ASSERT_TRUE(ak) << ak.status().message();
    ak_ = *ak;
    auto pem = tpm_->public_key_pem(ak_);
    auto name = tpm_->object_name(ak_);
    ASSERT_TRUE(pem && name) << name.status().message();
    ak_pem_ = *pem;
    ak_name_ = *name;
    // PCR 16 (debug PCR, resettable) so that not every quoted value is zero.
    auto r = tpm_->extend_pcr(16, sha256(bytes_of("gateway 0.1.0")));
    ASSERT_TRUE(r.ok()) << r.message();
  }

  // `tpm2_checkquote` on the files of `dir` with qualifying data `hex` and
  // the AK public key from `ak_file` (ak.pub, the TPM2B_PUBLIC, or
  // ak.pub.pem).
  int checkquote(const std::string& dir, const std::string& hex, std::string* out,
                 const std::string& ak_file = "ak.pub") {
    return run("tpm2_checkquote -u " + dir + "/" + ak_file + " -m " + dir + "/quote.msg -s " + dir +
                   "/quote.sig -f " + dir + "/quote.pcrs -g sha256 -q " + hex,
               out);
  }

  KeyBlob ak_;
  std::string ak_pem_;
  std::vector<uint8_t> ak_name_;
};

// A TLS public key as the appliance's certificate would carry it.
std::vector<uint8_t> tls_public_key_der() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  std::vector<uint8_t> der;
  int len = key != nullptr ? i2d_PUBKEY(key, nullptr) : 0;
  if (len > 0) {
    der.resize(static_cast<size_t>(len));
    unsigned char* p = der.data();
    i2d_PUBKEY(key, &p);
  }
  EVP_PKEY_free(key);
  return der;
}

TEST_F(TpmQuoteTest, Tpm2CheckquoteAcceptsAndRejectsTampering) {
  const std::vector<uint8_t> nonce = bytes_of("verifier nonce 0123456789abcdef");
  const std::array<uint8_t, 20> address{0xde, 0xad, 0xbe, 0xef, 1,  2,  3,  4,  5,  6,
                                        7,    8,    9,    10,   11, 12, 13, 14, 15, 16};
  const std::vector<uint8_t> tls = tls_public_key_der();
  ASSERT_FALSE(tls.empty());
  const auto qualifying = appliance_qualifying_data(nonce, address, tls);

  // Named out of order: the quote sorts them (the TPM digests ascending).
  auto q = quote(*tpm_, ak_, {"sha256", {16, 0, 1, 2, 3}}, qualifying);
  ASSERT_TRUE(q) << q.status().message();
  EXPECT_EQ(q->selection.pcrs, (std::vector<int>{0, 1, 2, 3, 16}));
  auto now = tpm_->read_pcrs({"sha256", {0, 16}});
  ASSERT_TRUE(now) << now.status().message();
  ASSERT_EQ(q->pcr_values.size(), 5u);
  EXPECT_EQ(q->pcr_values[0], (*now)[0]);
  EXPECT_EQ(q->pcr_values[4], (*now)[1]);
  EXPECT_NE(q->pcr_values[4], std::vector<uint8_t>(32, 0));
  EXPECT_TRUE(verify_quote(*q, ak_pem_, qualifying).ok());

  const std::string dir = dir_.path() + "/quote";
  auto r2 = write_quote_files(*q, ak_, qualifying, {}, dir);
  ASSERT_TRUE(r2.ok()) << r2.message();
  EXPECT_EQ(read_bytes(dir + "/ak.name"), ak_name_);
  EXPECT_EQ(read_bytes(dir + "/ak.pub"), ak_.public_area);
  const std::vector<uint8_t> pem_file = read_bytes(dir + "/ak.pub.pem");
  EXPECT_EQ(std::string(pem_file.begin(), pem_file.end()), ak_pem_);
  // ak.name is nameAlg || SHA-256 of ak.pub without its size prefix: what
  // the README has the verifier recompute.
  const auto h = sha256(std::span<const uint8_t>(ak_.public_area).subspan(2));
  std::vector<uint8_t> name{0x00, 0x0b};
  name.insert(name.end(), h.begin(), h.end());
  EXPECT_EQ(name, ak_name_);
  std::string recomputed;  // the README's shell recipe for the same
  ASSERT_EQ(run("echo 000b$(tail -c +3 " + dir + "/ak.pub | openssl dgst -sha256 -r | cut -c1-64)",
                &recomputed),
            0);
  EXPECT_EQ(recomputed, attest::to_hex(ak_name_) + "\n");
  const std::vector<uint8_t> hex_file = read_bytes(dir + "/qualifying-data.hex");
  const std::string hex(hex_file.begin(), hex_file.end());
  EXPECT_EQ(hex, attest::to_hex(qualifying));

  std::string out;
  EXPECT_EQ(checkquote(dir, hex, &out, "ak.pub.pem"), 0) << out;
  out.clear();
  EXPECT_EQ(checkquote(dir, hex, &out), 0) << out;
  // It printed the values it checked: PCR 16's among them.
  std::string pcr16 = attest::to_hex(q->pcr_values[4]);
  for (char& c : pcr16) c = static_cast<char>(std::toupper(c));
  EXPECT_NE(out.find(pcr16), std::string::npos) << out;

  // Another nonce: another qualifying data.
  const auto other = appliance_qualifying_data(bytes_of("another nonce"), address, tls);
  out.clear();
  EXPECT_NE(checkquote(dir, attest::to_hex(other), &out), 0) << out;
  auto reason = verify_quote(*q, ak_pem_, other);
  ASSERT_FALSE(reason.ok());
  EXPECT_NE(reason.message().find("qualifying data"), std::string::npos) << reason.message();

  struct Tamper {
    const char* file;
    size_t offset;
    const char* reason;
  };
  const Tamper tampers[] = {
      // PCR 16's first byte: header (132 + 4), list count (4), 4 digests of
      // 2 + 64 bytes, its size (2).
      {"quote.pcrs", 136 + 4 + 4 * 66 + 2, "pcrDigest"},
      {"quote.sig", q->signature.size() - 1, "signature does not verify"},
      {"quote.msg", 44, "signature does not verify"},  // extraData's first byte
  };
  for (const Tamper& t : tampers) {
    SCOPED_TRACE(t.file);
    const std::string bad = dir_.path() + "/bad-" + t.file;
    copy_with_flipped_bit(dir, bad, t.file, t.offset);
    out.clear();
    EXPECT_NE(checkquote(bad, hex, &out), 0) << out;
    auto tampered = read_quote_files(bad);
    ASSERT_TRUE(tampered) << tampered.status().message();
    auto why = verify_quote(*tampered, ak_pem_, qualifying);
    ASSERT_FALSE(why.ok());
    EXPECT_NE(why.message().find(t.reason), std::string::npos) << why.message();
  }

  // The untouched files read back verify.
  auto back = read_quote_files(dir);
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_TRUE(verify_quote(*back, ak_pem_, qualifying).ok());
  // Another key's public key does not.
  auto other_ak = tpm_->create_signing_key(Tpm::SigningKind::kAttestation);
  ASSERT_TRUE(other_ak) << other_ak.status().message();
  auto other_pem = tpm_->public_key_pem(*other_ak);
  ASSERT_TRUE(other_pem) << other_pem.status().message();
  EXPECT_FALSE(verify_quote(*back, *other_pem, qualifying).ok());
  expect_no_tpm_handles(*tpm_);
}

// The recipe the README gives the security team, run with the openssl CLI.
TEST_F(TpmQuoteTest, QualifyingDataRecipeMatchesOpensslCli) {
  ASSERT_TRUE(tool_installed("openssl"));
  const std::string d = dir_.path();
  std::string out;
  ASSERT_EQ(run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "
                "/CN=gateway -days 1 -keyout " +
                    d + "/tls.key -out " + d + "/tls.crt",
                &out),
            0)
      << out;
  ASSERT_EQ(run("openssl x509 -in " + d +
                    "/tls.crt -pubkey -noout | openssl pkey -pubin "
                    "-outform DER -out " +
                    d + "/tls.pub.der",
                &out),
            0)
      << out;
  const std::vector<uint8_t> nonce = bytes_of("0123456789abcdef0123456789abcdef");
  std::array<uint8_t, 20> address;
  for (size_t i = 0; i < address.size(); ++i) address[i] = static_cast<uint8_t>(0xa0 + i);
  write_bytes(d + "/nonce.bin", nonce);
  write_bytes(d + "/address.bin", address);
  out.clear();
  ASSERT_EQ(run("cat " + d + "/nonce.bin " + d + "/address.bin " + d +
                    "/tls.pub.der | openssl dgst -sha256 -r",
                &out),
            0)
      << out;
  const auto expected = appliance_qualifying_data(nonce, address, read_bytes(d + "/tls.pub.der"));
  EXPECT_EQ(out.substr(0, 64), attest::to_hex(expected));
}

// Another process extends PCR 16 between the quote and the reading of the
// values (simulated: a raw TPM2_PCR_Extend sent on the TCTI just before the
// PCR_Read). The quote is taken again; if it happens every time, it fails.
TEST_F(TpmQuoteTest, RetriesWhenPcrsChangeBetweenQuoteAndRead) {
  internal::TpmState& s = internal::state(*tpm_);
  int extends_left = 0;
  int quotes = 0;
  auto tap = [&](bool is_command, const uint8_t* data, size_t size) {
    if (!is_command || size < 10) return;
    const uint32_t cc = uint32_t{data[6]} << 24 | data[7] << 16 | data[8] << 8 | data[9];
    if (cc == TPM2_CC_Quote) ++quotes;
    if (cc != TPM2_CC_PCR_Read || extends_left == 0) return;
    --extends_left;
    // TPM2_PCR_Extend(PCR 16, password session, one SHA-256 digest).
    std::vector<uint8_t> extend{0x80, 0x02, 0x00, 0x00, 0x00, 0x41, 0x00, 0x00, 0x01, 0x82, 0x00,
                                0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x09, 0x40, 0x00, 0x00, 0x09,
                                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b};
    extend.resize(extend.size() + 32, 0x77);
    ASSERT_EQ(extend.size(), 0x41u);
    ASSERT_EQ(Tss2_Tcti_Transmit(s.tcti.inner, extend.size(), extend.data()), TSS2_RC_SUCCESS);
    uint8_t response[64];
    size_t response_size = sizeof response;
    ASSERT_EQ(Tss2_Tcti_Receive(s.tcti.inner, &response_size, response, TSS2_TCTI_TIMEOUT_BLOCK),
              TSS2_RC_SUCCESS);
    ASSERT_EQ(response[9], 0);  // TPM_RC_SUCCESS
  };
  struct TapGuard {  // removes the tap (it refers to locals) however the test ends
    internal::TpmState& s;
    ~TapGuard() {
      std::lock_guard<std::mutex> lock(s.mu);
      s.tcti.tap = nullptr;
    }
  } guard{s};
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.tcti.tap = tap;
  }
  const std::vector<uint8_t> qd(32, 3);
  const PcrSelection sel{"sha256", {0, 16}};
  extends_left = 1;  // once: the second attempt succeeds
  auto q = quote(*tpm_, ak_, sel, qd);
  ASSERT_TRUE(q) << q.status().message();
  EXPECT_EQ(quotes, 2);
  EXPECT_TRUE(verify_quote(*q, ak_pem_, qd).ok());
  quotes = 0;
  extends_left = 100;  // every time
  auto r3 = quote(*tpm_, ak_, sel, qd);
  EXPECT_FALSE(r3.ok());
  EXPECT_NE(r3.status().message().find("changed between the quote and reading them"),
            std::string::npos)
      << r3.status().message();
  EXPECT_EQ(quotes, 3);
  expect_no_tpm_handles(*tpm_);
}

TEST_F(TpmQuoteTest, RefusesBadRequests) {
  const std::vector<uint8_t> qd(32, 7);
  auto r4 = quote(*tpm_, ak_, {"sha256", {0}}, std::vector<uint8_t>(65, 1));
  EXPECT_FALSE(r4.ok());
  EXPECT_NE(r4.status().message().find("at most 64 bytes"), std::string::npos)
      << r4.status().message();
  auto r5 = quote(*tpm_, ak_, {"sha256", {}}, qd);
  EXPECT_FALSE(r5.ok());
  EXPECT_NE(r5.status().message().find("at least one PCR"), std::string::npos)
      << r5.status().message();
  auto r6 = quote(*tpm_, ak_, {"md5", {0}}, qd);
  EXPECT_FALSE(r6.ok());
  EXPECT_NE(r6.status().message().find("unknown PCR bank"), std::string::npos)
      << r6.status().message();
  auto r7 = quote(*tpm_, ak_, {"sha256", {24}}, qd);
  EXPECT_FALSE(r7.ok());
  EXPECT_NE(r7.status().message().find("out of range"), std::string::npos) << r7.status().message();
  auto hmac_key = tpm_->create_hmac_key({});
  ASSERT_TRUE(hmac_key) << hmac_key.status().message();
  const uint64_t before = tpm_->commands_sent();
  auto r8 = quote(*tpm_, *hmac_key, {"sha256", {0}}, qd);
  EXPECT_FALSE(r8.ok());
  EXPECT_NE(r8.status().message().find("this blob is an HMAC key"), std::string::npos)
      << r8.status().message();
  // An unrestricted signing key could sign a forged TPMS_ATTEST: refused.
  auto general = tpm_->create_signing_key(Tpm::SigningKind::kGeneral);
  ASSERT_TRUE(general) << general.status().message();
  const uint64_t before_general = tpm_->commands_sent();
  auto r9 = quote(*tpm_, *general, {"sha256", {0}}, qd);
  EXPECT_FALSE(r9.ok());
  EXPECT_NE(r9.status().message().find("restricted ECC attestation key"), std::string::npos)
      << r9.status().message();
  EXPECT_EQ(tpm_->commands_sent(), before_general);
  EXPECT_LT(before, before_general);
  // Other banks work the same way (swtpm allocates sha1 too).
  auto q = quote(*tpm_, ak_, {"sha1", {16}}, qd);
  ASSERT_TRUE(q) << q.status().message();
  EXPECT_EQ(q->pcr_values[0].size(), 20u);
  EXPECT_TRUE(verify_quote(*q, ak_pem_, qd).ok());
  // More than 8 PCRs: two TPML_DIGEST lists in the file, like tpm2_quote's.
  auto wide = quote(*tpm_, ak_, {"sha256", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16}}, qd);
  ASSERT_TRUE(wide) << wide.status().message();
  EXPECT_TRUE(verify_quote(*wide, ak_pem_, qd).ok());
  EXPECT_EQ(wide->pcrs_file.size(), 132u + 4 + 2 * 532);
  const std::string dir = dir_.path() + "/wide";
  // (Written with the PEM-and-name overload: no ak.pub then.)
  auto r10 = write_quote_files(*wide, ak_pem_, ak_name_, qd, {}, dir);
  ASSERT_TRUE(r10.ok()) << r10.message();
  EXPECT_FALSE(std::filesystem::exists(dir + "/ak.pub"));
  std::string out;
  EXPECT_EQ(checkquote(dir, attest::to_hex(qd), &out, "ak.pub.pem"), 0) << out;
  expect_no_tpm_handles(*tpm_);
}

}  // namespace
}  // namespace gw::tpm::testing
