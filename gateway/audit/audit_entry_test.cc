// The entry's checks and its canonical encoding: one encoding per entry, and a
// decoder that refuses anything else without reading past its input.
#include "gateway/audit/audit_entry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "gateway/audit/audit_test_util.h"

namespace gw::audit {
namespace {

using testing::sample_entry;

TEST(AuditEntryTest, EncodesAndDecodesEveryField) {
  AuditEntry e = sample_entry(7);
  e.outcome = {OutcomeKind::kRefused, 403, "scope"};
  e.detail = "no scope for Observation";
  const std::string bytes = encode(e);
  EXPECT_EQ(bytes.substr(0, 5), std::string("GWAE\x01", 5));
  auto back = decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, e);
  // Without a patient, the flag is 0 and no token follows.
  e.patient.reset();
  EXPECT_EQ(encode(e).size(), bytes.size() - 32);
  EXPECT_EQ(*decode(encode(e)), e);
}

// The encoding is what every stored chain hash commits to: it may never
// change under version 1. The fuzz corpus's seed was written by hand from the
// format in audit_entry.h.
TEST(AuditEntryTest, EncodingIsPinnedByTheHandWrittenSeed) {
  const std::filesystem::path seed_path =
      std::filesystem::path(GW_SOURCE_DIR) / "gateway/audit/audit_entry_fuzz_corpus/read.bin";
  std::ifstream in(seed_path, std::ios::binary);
  const std::string seed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(seed.empty());
  AuditEntry e = sample_entry(1);
  e.patient->fill(0xA1);
  EXPECT_EQ(encode(e), seed);
  auto back = decode(seed);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, e);
}

TEST(AuditEntryTest, EqualEntriesEncodeEquallyAndAnyChangeChangesTheBytes) {
  const AuditEntry a = sample_entry(1);
  EXPECT_EQ(encode(a), encode(sample_entry(1)));
  AuditEntry b = a;
  b.resource_id = "obs-2";
  EXPECT_NE(encode(a), encode(b));
  b = a;
  b.time_ms += 1;
  EXPECT_NE(encode(a), encode(b));
  // Moving a byte from one field to the next is not the same entry
  // (length prefixes).
  b = a;
  b.resource_type = "Observatio";
  b.resource_id = "nobs-1";
  EXPECT_NE(encode(a), encode(b));
}

TEST(AuditEntryTest, DecodeRefusesEveryTruncationAndTrailingBytes) {
  const std::string bytes = encode(sample_entry(3));
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode(bytes.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(decode(bytes + "x").ok());
  EXPECT_FALSE(decode(std::string(kMaxEncodedEntryBytes + 1, 'A')).ok());
  std::string bad_version = bytes;
  bad_version[4] = 2;
  EXPECT_FALSE(decode(bad_version).ok());
}

TEST(AuditEntryTest, DecodeRefusesUnknownKindsAndNonPrintableText) {
  const std::string bytes = encode(sample_entry(3));
  std::string bad = bytes;
  bad[13] = 9;  // actor kind (after magic, version and time)
  EXPECT_FALSE(decode(bad).ok());
  // The actor id "ehr" starts after its 2-byte length at 14.
  bad = bytes;
  bad[16] = '\n';
  EXPECT_FALSE(decode(bad).ok());
}

TEST(AuditEntryTest, ValidateBoundsFieldsWithoutEchoingThem) {
  AuditEntry e = sample_entry(1);
  EXPECT_TRUE(validate(e).ok());
  e.detail = std::string(kMaxDetailBytes + 1, 'x');
  Status s = validate(e);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().find("xxxx"), std::string::npos);
  e = sample_entry(1);
  e.detail = "Smith\x01";
  EXPECT_FALSE(validate(e).ok());
  e = sample_entry(1);
  e.outcome.http_status = 42;
  EXPECT_FALSE(validate(e).ok());
  e = sample_entry(1);
  e.action = static_cast<Action>(99);
  EXPECT_FALSE(validate(e).ok());
  e = sample_entry(1);
  e.actor = {ActorKind::kOperator, "someone"};
  EXPECT_FALSE(validate(e).ok());
}

TEST(AuditEntryTest, ActorsParseFromTheirWrittenForm) {
  for (const char* text : {"client:ehr-1", "operator", "anonymous",
                           "member:0x00112233445566778899aabbccddeeff00112233"}) {
    auto a = Actor::parse(text);
    ASSERT_TRUE(a.ok()) << text;
    EXPECT_EQ(a->to_string(), text);
  }
  for (const char* text : {"client:", "client:a b", "member:0x12", "root", "operator:x"}) {
    EXPECT_FALSE(Actor::parse(text).ok()) << text;
  }
}

TEST(AuditEntryTest, ActionNamesRoundTrip) {
  for (uint8_t i = 1; i <= kMaxAction; ++i) {
    const auto a = static_cast<Action>(i);
    EXPECT_EQ(parse_action(action_name(a)), a);
  }
  EXPECT_EQ(action_name(Action::kTransactionEntry), "transaction-entry");
  EXPECT_FALSE(parse_action("peek").has_value());
}

}  // namespace
}  // namespace gw::audit
