// The deployment file and the founders file: strict reading (every field,
// the right shapes, nothing unknown), errors naming the field, and the
// deployment file written atomically with mode 0644.
#include "gateway/anchoring/ledger_deployment.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "ledger-client/account/account.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/testing/anvil_process.h"

namespace gw::anchoring {
namespace {

ledger::Address addr(uint8_t fill) {
  ledger::Address a{};
  a.fill(fill);
  a[0] = 0xA0;  // mixed hex letters, so the EIP-55 form has both cases
  return a;
}

LedgerDeployment sample() {
  LedgerDeployment d;
  d.chain_id = 31337;
  d.contracts.registry = addr(1);
  d.contracts.consents = addr(2);
  d.contracts.transfers = addr(3);
  d.contracts.anchors = addr(4);
  d.contracts.tokens = addr(5);
  d.deployed_by = addr(9);
  d.block = 7;
  return d;
}

std::string hex_address(uint8_t fill) { return "0x" + ledger::to_hex(addr(fill)); }

std::string deployment_json(const std::string& chain_id, const std::string& contracts_extra = "",
                            const std::string& extra = "") {
  return "{\"chain_id\": " + chain_id + ", \"contracts\": {\"ProviderRegistry\": \"" +
         hex_address(1) + "\", \"ConsentRegistry\": \"" + hex_address(2) +
         "\", \"TransferLog\": \"" + hex_address(3) + "\", \"AuditAnchor\": \"" + hex_address(4) +
         "\"" + contracts_extra + "}, \"deployed_by\": \"" + hex_address(9) + "\", \"block\": 7" +
         extra + "}";
}

TEST(LedgerDeploymentTest, FormatAndParseRoundTrip) {
  const LedgerDeployment d = sample();
  const std::string text = format_deployment(d);
  EXPECT_NE(text.find("\"AuditAnchor\": \"" + ledger::to_checksum_hex(addr(4)) + "\""),
            std::string::npos)
      << text;
  EXPECT_EQ(text.back(), '\n');
  auto back = parse_deployment(text);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_TRUE(same_deployment(*back, d));
  LedgerDeployment other = d;
  other.contracts.tokens = addr(6);
  EXPECT_FALSE(same_deployment(other, d));
  // Lowercase addresses (no checksum) are accepted too.
  auto lower =
      parse_deployment(deployment_json("31337", ", \"RecordToken\": \"" + hex_address(5) + "\""));
  ASSERT_TRUE(lower) << lower.error().message();
  EXPECT_TRUE(same_deployment(*lower, d));
}

struct BadDeployment {
  std::string text;
  std::string expected;
};

TEST(LedgerDeploymentTest, RefusesMalformedFilesNamingTheField) {
  const std::string token = ", \"RecordToken\": \"" + hex_address(5) + "\"";
  // A valid EIP-55 form with one letter's case flipped (an address with many
  // hex letters, so the checksum mixes cases).
  ledger::Address lettered{};
  lettered.fill(0xcd);
  std::string bad_checksum = ledger::to_checksum_hex(lettered);
  ASSERT_TRUE(parse_address(bad_checksum));
  for (size_t i = 2; i < bad_checksum.size(); ++i) {
    char& c = bad_checksum[i];
    if (c >= 'a' && c <= 'f') {
      c = static_cast<char>(c - 'a' + 'A');
      break;
    }
    if (c >= 'A' && c <= 'F') {
      c = static_cast<char>(c - 'A' + 'a');
      break;
    }
  }
  const std::vector<BadDeployment> cases = {
      {deployment_json("31337"), "contracts.RecordToken: missing"},
      {deployment_json("31337", ", \"RecordToken\": \"0x1234\""),
       "contracts.RecordToken: expected an address"},
      {deployment_json("31337", ", \"RecordToken\": \"" + bad_checksum + "\""),
       "contracts.RecordToken: the address's EIP-55 checksum"},
      {deployment_json("31337", ", \"RecordToken\": \"0x" + std::string(40, '0') + "\""),
       "contracts.RecordToken: the zero address"},
      {deployment_json("31337", ", \"RecordToken\": \"" + hex_address(1) + "\""),
       "contracts.RecordToken: the same address as another contract"},
      {deployment_json("31337", token + ", \"Extra\": \"" + hex_address(7) + "\""),
       "contracts: unknown field \"Extra\""},
      {deployment_json("31337", token, ", \"note\": 1"), "unknown field \"note\""},
      {deployment_json("0", token), "chain_id: must not be 0"},
      {deployment_json("\"31337\"", token), "chain_id: expected a non-negative integer"},
      {deployment_json("-1", token), "chain_id: expected a non-negative integer"},
      {deployment_json("1.5", token), "chain_id: expected a non-negative integer"},
      {deployment_json("99999999999999999999", token), "chain_id: expected a non-negative"},
      {"[1, 2]", "expected a JSON object"},
      {"{\"chain_id\": 1", "not acceptable JSON"},
      {"{\"chain_id\": 1, \"contracts\": []}", "contracts: expected an object"},
  };
  for (const auto& c : cases) {
    auto d = parse_deployment(c.text);
    ASSERT_FALSE(d) << c.text;
    EXPECT_NE(d.error().message().find(c.expected), std::string::npos) << d.error().message();
    EXPECT_EQ(d.error().message().rfind("deployment file", 0), 0u) << d.error().message();
  }
  // Oversized input stops at the size limit instead of being parsed.
  std::string huge = deployment_json(
      "1", token, ", \"pad\": \"" + std::string(kMaxDeploymentFileBytes, 'x') + "\"");
  EXPECT_FALSE(parse_deployment(huge));
}

TEST(LedgerDeploymentTest, WritesAtomicallyWithMode0644AndReadsBack) {
  ledger::testing::TempDir dir;
  const std::string path = dir.path() + "/ledger/consortium.json";
  ASSERT_TRUE(write_deployment(path, sample()).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  ASSERT_EQ(::stat((dir.path() + "/ledger").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);  // next to patient data
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto back = read_deployment(path);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_TRUE(same_deployment(*back, sample()));
  // Replacing keeps the mode and the content is whole.
  LedgerDeployment d2 = sample();
  d2.block = 99;
  ASSERT_TRUE(write_deployment(path, d2).ok());
  back = read_deployment(path);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->block, 99u);
  auto missing = read_deployment(dir.path() + "/none.json");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("none.json"), std::string::npos)
      << missing.error().message();
}

std::string founder(const std::string& account, const std::string& org, const std::string& name,
                    const std::string& key_hex = std::string(64, 'a')) {
  return "{\"account\": \"" + account + "\", \"org_id\": \"" + org + "\", \"name\": \"" + name +
         "\", \"encryption_key\": \"" + key_hex + "\", \"tls_fingerprint\": \"0x" +
         std::string(64, 'b') + "\", \"signing_key_hash\": \"" + std::string(64, 'c') +
         "\", \"accreditation\": \"ACC-1\"}";
}

TEST(LedgerDeploymentTest, ParsesFounders) {
  auto f = parse_founders("[" + founder(hex_address(1), "urn:oid:1.2.3", "General Hospital") + "," +
                          founder(hex_address(2), "urn:oid:1.2.4", "Clinic") + "]");
  ASSERT_TRUE(f) << f.error().message();
  ASSERT_EQ(f->size(), 2u);
  EXPECT_EQ((*f)[0].account, addr(1));
  EXPECT_EQ((*f)[0].org_id, "urn:oid:1.2.3");
  EXPECT_EQ((*f)[0].name, "General Hospital");
  EXPECT_EQ((*f)[0].encryption_key[0], 0xaa);
  EXPECT_EQ((*f)[0].tls_fingerprint[31], 0xbb);
  EXPECT_EQ((*f)[0].signing_key_hash[5], 0xcc);
  EXPECT_EQ((*f)[1].accreditation, "ACC-1");
}

TEST(LedgerDeploymentTest, FormatMembersReadsBackUnchanged) {
  auto f =
      parse_founders("[" + founder(hex_address(1), "urn:oid:1.2.3", "St. \\\"Mary's\\\" \\u00e9") +
                     "," + founder(hex_address(2), "urn:oid:1.2.4", "Clinic") + "]");
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ((*f)[0].name, "St. \"Mary's\" \u00e9");
  const std::string text = format_members(*f);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(text.find(ledger::to_checksum_hex(addr(1))), std::string::npos) << text;
  auto back = parse_founders(text);
  ASSERT_TRUE(back) << back.error().message() << "\n" << text;
  EXPECT_EQ(*back, *f);
}

TEST(LedgerDeploymentTest, RefusesBadFoundersNamingTheEntry) {
  const std::string a = founder(hex_address(1), "urn:oid:1", "A");
  const std::vector<BadDeployment> cases = {
      {"[]", "non-empty JSON array"},
      {"{}", "non-empty JSON array"},
      {"[" + founder(hex_address(1), "urn:oid:1", "A", "abcd") + "]",
       "[0].encryption_key: expected 32 bytes"},
      {"[" + founder("0x12", "urn:oid:1", "A") + "]", "[0].account: expected an address"},
      {"[" + a + "," + founder(hex_address(1), "urn:oid:2", "B") + "]",
       "[1].account: listed twice"},
      {"[" + a + "," + founder(hex_address(2), "urn:oid:1", "B") + "]", "[1].org_id: listed twice"},
      {"[" + founder(hex_address(1), "urn:oid:1", "") + "]", "[0]: "},
      {"[{\"account\": \"" + hex_address(1) + "\"}]", "[0].org_id: missing"},
      {"[{\"acount\": 1}]", "[0]: unknown field \"acount\""},
  };
  for (const auto& c : cases) {
    auto f = parse_founders(c.text);
    ASSERT_FALSE(f) << c.text;
    EXPECT_NE(f.error().message().find(c.expected), std::string::npos) << f.error().message();
  }
}

}  // namespace
}  // namespace gw::anchoring
