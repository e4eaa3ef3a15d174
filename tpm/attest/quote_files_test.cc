// The file formats of quotes and credentials, without a TPM: tpm2-tools'
// PCR file byte for byte, and untrusted input refused.
#include <gtest/gtest.h>

#include <filesystem>

#include "tpm/attest/attest_internal.h"
#include "tpm/attest/quote.h"

namespace gw::tpm {
namespace {

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::vector<uint8_t> testdata(const std::string& name) {
  const std::string path =
      (std::filesystem::path(GW_SOURCE_DIR) / "tpm" / "attest" / "testdata" / name).string();
  std::vector<uint8_t> out;
  auto r = attest::read_file(path, 1 << 20, &out);
  EXPECT_TRUE(r.ok()) << r.message();
  return out;
}

// PCR 16 after one extend of 00..01 from zero, as in the golden files.
const char kPcr16[] = "90f4b39548df55ad6187a1d20d731ecee78c545b94afd16f42ef7592d99cd365";

// The golden files were written by `tpm2_quote -l sha256:... -o FILE`
// (tpm2-tools 5.4, swtpm 0.7.1) after `tpm2_pcrextend 16:sha256=00..01`.
TEST(PcrsFile, SameBytesAsTpm2Quote) {
  struct Case {
    const char* file;
    std::vector<int> pcrs;
  };
  for (const Case& c : {Case{"tpm2_quote_sha256_0-3_16.pcrs", {0, 1, 2, 3, 16}},
                        Case{"tpm2_quote_sha256_0-8_16.pcrs", {0, 1, 2, 3, 4, 5, 6, 7, 8, 16}}}) {
    SCOPED_TRACE(c.file);
    std::vector<std::vector<uint8_t>> values(c.pcrs.size(), std::vector<uint8_t>(32, 0));
    values.back() = from_hex(kPcr16);
    const PcrSelection selection{"sha256", c.pcrs};
    const std::vector<uint8_t> golden = testdata(c.file);
    ASSERT_FALSE(golden.empty());
    EXPECT_EQ(pcrs_file_bytes(selection, values), golden);

    PcrSelection parsed;
    std::vector<std::vector<uint8_t>> parsed_values;
    auto r2 = parse_pcrs_file(golden, &parsed, &parsed_values);
    ASSERT_TRUE(r2.ok()) << r2.message();
    EXPECT_EQ(parsed.bank, "sha256");
    EXPECT_EQ(parsed.pcrs, c.pcrs);
    EXPECT_EQ(parsed_values, values);
  }
}

// The other direction: a quote tpm2_quote made (the golden files' quote,
// qualifying data 0011223344) passes verify_quote, and fails it for another
// nonce or another key.
TEST(VerifyQuote, AcceptsTpm2ToolsQuote) {
  Quote q;
  q.message = testdata("tpm2_quote.msg");
  q.signature = testdata("tpm2_quote.sig");
  q.pcrs_file = testdata("tpm2_quote_sha256_0-3_16.pcrs");
  auto r3 = parse_pcrs_file(q.pcrs_file, &q.selection, &q.pcr_values);
  ASSERT_TRUE(r3.ok()) << r3.message();
  const std::vector<uint8_t> pem_bytes = testdata("tpm2_createak.pem");
  const std::string pem(pem_bytes.begin(), pem_bytes.end());
  EXPECT_TRUE(verify_quote(q, pem, from_hex("0011223344")).ok());
  EXPECT_FALSE(verify_quote(q, pem, from_hex("0011223345")).ok());
  // The PCR file must say what the quote's values say.
  Quote other_file = q;
  other_file.pcrs_file = pcrs_file_bytes({"sha256", {0, 1, 2, 3, 17}}, q.pcr_values);
  auto differs = verify_quote(other_file, pem, from_hex("0011223344"));
  ASSERT_FALSE(differs.ok());
  EXPECT_NE(differs.message().find("PCR file holds other"), std::string::npos) << differs.message();
  q.pcr_values[4][31] ^= 1;
  q.pcrs_file.clear();
  auto why = verify_quote(q, pem, from_hex("0011223344"));
  ASSERT_FALSE(why.ok());
  EXPECT_NE(why.message().find("pcrDigest"), std::string::npos) << why.message();
}

TEST(PcrsFile, RefusesMalformedFiles) {
  const std::vector<std::vector<uint8_t>> values(3, std::vector<uint8_t>(32, 0xab));
  const std::vector<uint8_t> good = pcrs_file_bytes({"sha256", {1, 2, 3}}, values);
  PcrSelection sel;
  std::vector<std::vector<uint8_t>> out;
  auto r4 = parse_pcrs_file(good, &sel, &out);
  ASSERT_TRUE(r4.ok()) << r4.message();

  auto refused = [&](std::vector<uint8_t> bytes, const std::string& why) {
    SCOPED_TRACE(why);
    Status s = parse_pcrs_file(bytes, &sel, &out);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(why), std::string::npos) << s.message();
  };
  refused({}, "not a tpm2-tools PCR file");
  refused(std::vector<uint8_t>(good.begin(), good.end() - 1), "not a tpm2-tools PCR file");
  auto two_banks = good;
  two_banks[0] = 2;
  refused(two_banks, "one bank is supported");
  auto lists = good;
  lists[132] = 2;  // says two TPML_DIGEST lists, holds one
  refused(lists, "count does not match");
  auto too_many = good;
  too_many[136] = 9;  // a TPML_DIGEST holds at most 8
  refused(too_many, "at most 8");
  auto size = good;
  size[140] = 31;  // first digest's size
  refused(size, "wrong size");
  auto bank = good;
  bank[4] = 0x99;  // hash algorithm
  refused(bank, "unsupported bank");
  auto select = good;
  select[7] |= 0x10;  // PCR 4 selected too: 4 PCRs, 3 values
  refused(select, "3 values for 4 selected PCRs");
  auto high = good;
  high[6] = 4;     // sizeofSelect 4 ...
  high[10] = 0x1;  // ... and PCR 24
  refused(high, "PCR 24");
}

TEST(QualifyingData, IsSha256OfNonceAddressAndKey) {
  const std::string nonce = "nonce-0123456789";
  std::array<uint8_t, 20> address;
  for (size_t i = 0; i < 20; ++i) address[i] = static_cast<uint8_t>(i + 1);
  std::vector<uint8_t> key{0x30, 0x59};
  key.insert(key.end(), 10, 0x01);
  // python3: hashlib.sha256(nonce + bytes(range(1, 21)) + key).hexdigest()
  EXPECT_EQ(attest::to_hex(appliance_qualifying_data(
                std::vector<uint8_t>(nonce.begin(), nonce.end()), address, key)),
            "d4b48a76852309623459baeb3887b9887d97b9233be007bad69b07f3f7480afc");
}

TEST(VerifyQuote, RefusesJunkWithReasons) {
  Quote q;
  q.selection = {"sha256", {0}};
  q.pcr_values = {std::vector<uint8_t>(32, 0)};
  auto why = verify_quote(q, "not a pem", {});
  ASSERT_FALSE(why.ok());
  EXPECT_NE(why.message().find("not a marshaled TPMT_SIGNATURE"), std::string::npos)
      << why.message();
  // An ECDSA/SHA-256 signature with r = s = 1 over junk: fails on the key.
  q.signature = {0x00, 0x18, 0x00, 0x0b, 0x00, 0x01, 0x01, 0x00, 0x01, 0x01};
  q.message = {1, 2, 3};
  why = verify_quote(q, "not a pem", {});
  ASSERT_FALSE(why.ok());
  EXPECT_NE(why.message().find("not an ECC public key"), std::string::npos) << why.message();
}

TEST(CredentialFile, ParsesTpm2MakecredentialFormatAndRefusesJunk) {
  std::vector<uint8_t> good{0xba, 0xdc, 0xc0, 0xde, 0, 0, 0, 1, 0, 3, 1, 2, 3, 0, 2, 9, 9};
  attest::CredentialFile cred;
  auto r5 = attest::parse_credential_file(good, &cred);
  ASSERT_TRUE(r5.ok()) << r5.message();
  EXPECT_EQ(cred.id_object.size, 3);
  EXPECT_EQ(cred.id_object.credential[2], 3);
  EXPECT_EQ(cred.secret.size, 2);
  EXPECT_EQ(cred.secret.secret[1], 9);

  auto refused = [&](std::vector<uint8_t> bytes, const std::string& why) {
    SCOPED_TRACE(why);
    Status s = attest::parse_credential_file(bytes, &cred);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(why), std::string::npos) << s.message();
  };
  refused({}, "magic 0xBADCC0DE");
  auto version = good;
  version[7] = 2;
  refused(version, "version 1");
  refused(std::vector<uint8_t>(good.begin(), good.end() - 1), "truncated");
  auto huge = good;
  huge[8] = 0xff;  // TPM2B_ID_OBJECT size 0xff03 > its buffer
  refused(huge, "out of range");
  auto extra = good;
  extra.push_back(0);
  refused(extra, "unexpected bytes");
}

}  // namespace
}  // namespace gw::tpm
