#include "adapters/hl7/batch.h"

#include <gtest/gtest.h>

#include <string>

#include "adapters/hl7/test_util.h"

namespace gw::hl7 {
namespace {

using testing::Msg;

std::string M(const char* id) {
  return "MSH|^~\\&|A|B|C|D|20240101||ADT^A08|" + std::string(id) + "|P|2.5\rPID|1||" + id + "\r";
}

TEST(BatchTest, FullEnvelope) {
  std::string text =
      "FHS|^~\\&|FA|FF|FRA|FRF|20240329||file.hl7|nightly|FILE-1|REF-0\r"
      "BHS|^~\\&|BA|BF|BRA|BRF|20240329||batch|comment|BATCH-1\r" +
      M("M1") + M("M2") + M("M3") +
      "BTS|3|done\r"
      "FTS|1|eof\r";
  BatchFile f = split_batch(text);
  EXPECT_TRUE(f.errors.empty());
  for (const Error& e : f.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(f.file_header);
  EXPECT_EQ(f.file_header->segment_id, "FHS");
  EXPECT_EQ(f.file_header->sending_application, "FA");
  EXPECT_EQ(f.file_header->receiving_facility, "FRF");
  EXPECT_EQ(f.file_header->creation_time, "20240329");
  EXPECT_EQ(f.file_header->name_id_type, "file.hl7");
  EXPECT_EQ(f.file_header->comment, "nightly");
  EXPECT_EQ(f.file_header->control_id, "FILE-1");
  EXPECT_EQ(f.file_header->reference_control_id, "REF-0");
  ASSERT_TRUE(f.file_trailer);
  EXPECT_EQ(f.file_trailer->count, 1);
  EXPECT_EQ(f.file_trailer->comment, "eof");
  ASSERT_EQ(f.batches.size(), 1u);
  const Batch& b = f.batches[0];
  ASSERT_TRUE(b.header);
  EXPECT_EQ(b.header->control_id, "BATCH-1");
  ASSERT_TRUE(b.trailer);
  EXPECT_EQ(b.trailer->count, 3);
  EXPECT_EQ(b.trailer->comment, "done");
  ASSERT_EQ(b.messages.size(), 3u);
  EXPECT_EQ(b.messages[0], M("M1"));
  EXPECT_EQ(b.messages[2], M("M3"));
  EXPECT_EQ(f.message_count(), 3u);

  ParsedBatch p = parse_batch(text);
  ASSERT_EQ(p.messages.size(), 3u);
  for (const ParseResult& r : p.messages) EXPECT_TRUE(r.ok());
  EXPECT_EQ(p.messages[1].message->get("PID-3"), "M2");
}

TEST(BatchTest, PlainConcatenation) {
  std::string text = M("A1") + "\n" + M("A2") + M("A3");
  BatchFile f = split_batch(text);
  EXPECT_TRUE(f.errors.empty());
  EXPECT_FALSE(f.file_header);
  ASSERT_EQ(f.batches.size(), 1u);
  EXPECT_FALSE(f.batches[0].header);
  EXPECT_EQ(f.batches[0].messages.size(), 3u);
  ParsedBatch p = parse_batch(text);
  ASSERT_EQ(p.messages.size(), 3u);
  EXPECT_EQ(p.messages[2].message->header().control_id, "A3");
}

TEST(BatchTest, BatchWithoutFileHeader) {
  std::string text = "BHS|^~\\&|BA\r" + M("B1") + M("B2") + "BTS|2\r";
  BatchFile f = split_batch(text);
  EXPECT_TRUE(f.errors.empty());
  ASSERT_EQ(f.batches.size(), 1u);
  EXPECT_EQ(f.batches[0].messages.size(), 2u);
}

TEST(BatchTest, MultipleBatches) {
  std::string text =
      "FHS|^~\\&\rBHS|^~\\&\r" + M("1") + "BTS|1\rBHS|^~\\&\r" + M("2") + M("3") + "BTS|2\rFTS|2\r";
  BatchFile f = split_batch(text);
  EXPECT_TRUE(f.errors.empty());
  ASSERT_EQ(f.batches.size(), 2u);
  EXPECT_EQ(f.batches[0].messages.size(), 1u);
  EXPECT_EQ(f.batches[1].messages.size(), 2u);
}

TEST(BatchTest, EmptyBatch) {
  BatchFile f = split_batch("FHS|^~\\&\rBHS|^~\\&\rBTS|0\rFTS|1\r");
  EXPECT_TRUE(f.errors.empty());
  EXPECT_EQ(f.message_count(), 0u);
  f = split_batch("");
  EXPECT_TRUE(f.errors.empty());
  EXPECT_EQ(f.message_count(), 0u);
}

TEST(BatchTest, CountMismatch) {
  std::string text = "BHS|^~\\&\r" + M("1") + M("2") + "BTS|5\r";
  BatchFile f = split_batch(text);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].code, ErrorCode::kDataType);
  EXPECT_EQ(f.errors[0].where.segment_id, "BTS");
  EXPECT_EQ(f.errors[0].where.field, 1);
  EXPECT_EQ(f.message_count(), 2u);  // messages are still delivered

  text = "FHS|^~\\&\rBHS|^~\\&\r" + M("1") + "BTS|1\rFTS|3\r";
  f = split_batch(text);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].where.segment_id, "FTS");
  EXPECT_EQ(f.errors[0].where.field, 1);

  text = "BHS|^~\\&\r" + M("1") + "BTS|one\r";
  f = split_batch(text);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].code, ErrorCode::kDataType);
  EXPECT_FALSE(f.batches[0].trailer->count);

  // No BHS at all: FTS-1 may count the implicit batch as 0 or 1.
  EXPECT_TRUE(split_batch("FHS|^~\\&\r" + M("1") + "FTS|1\r").errors.empty());
  EXPECT_TRUE(split_batch("FHS|^~\\&\r" + M("1") + "FTS|0\r").errors.empty());
  EXPECT_FALSE(split_batch("FHS|^~\\&\r" + M("1") + "FTS|2\r").errors.empty());
  // Empty counts are not checked.
  EXPECT_TRUE(split_batch("BHS|^~\\&\r" + M("1") + "BTS\r").errors.empty());
}

TEST(BatchTest, StructureErrors) {
  struct Case {
    std::string text;
    size_t messages;
  } cases[] = {
      {"BHS|^~\\&\r" + M("1"), 1},                       // missing BTS
      {"FHS|^~\\&\r" + M("1"), 1},                       // missing FTS
      {M("1") + "FHS|^~\\&\r", 1},                       // FHS not first
      {M("1") + "BTS|1\r", 1},                           // BTS without BHS
      {M("1") + "FTS|1\r", 1},                           // FTS without FHS
      {"PID|1\r" + M("1"), 1},                           // segment before any message
      {"BHS|^~\\&\r" + M("1") + "BTS|1\rPID|1\r", 1},    // segment after BTS
      {"BHS|^~\\&\r" + M("1") + "BTS|1\r" + M("2"), 2},  // message after BTS
      {"BHS|^~\\&\r" + M("1") + "BHS|^~\\&\r" + M("2") + "BTS|1\r", 2},  // nested BHS
      {"FHS|^~\\&\r" + M("1") + "FTS|0\r" + M("2"), 2},                  // message after FTS
      {"FHS|^~\\&\rBHS|^~\\&\r" + M("1") + "FTS|1\r", 1},                // FTS before BTS
      {"FHS|^~\\&\rFTS|0\rFTS|0\r", 0},                                  // second FTS
      {"FHS|^^\\&\r" + M("1") + "FTS|0\r", 1},                           // bad FHS delimiters
  };
  for (const Case& c : cases) {
    BatchFile f = split_batch(c.text);
    EXPECT_FALSE(f.errors.empty()) << c.text;
    EXPECT_EQ(f.message_count(), c.messages) << c.text;
  }
}

TEST(BatchTest, Limits) {
  Limits l;
  l.max_batch_messages = 2;
  BatchFile f = split_batch(M("1") + M("2") + M("3"), l);
  ASSERT_FALSE(f.errors.empty());
  EXPECT_EQ(f.errors.back().code, ErrorCode::kValueTooLong);
  EXPECT_LE(f.message_count(), 2u);
  l = Limits();
  l.max_batch_bytes = 10;
  f = split_batch(M("1"), l);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].code, ErrorCode::kValueTooLong);
  EXPECT_EQ(f.message_count(), 0u);
  l = Limits();
  l.max_errors = 3;
  std::string junk;
  for (int i = 0; i < 100; ++i) junk += "PID|1\r";
  f = split_batch(junk, l);
  EXPECT_EQ(f.errors.size(), 3u);
}

TEST(BatchTest, CustomDelimitersInEnvelope) {
  std::string text =
      "BHS#!@$%#APP!X#FAC\r"
      "MSH#!@$%#APP#FAC#R#RF#2024##ADT!A08#C1#P#2.5\r"
      "BTS#1#ok\r";
  BatchFile f = split_batch(text);
  EXPECT_TRUE(f.errors.empty());
  ASSERT_EQ(f.batches.size(), 1u);
  EXPECT_EQ(f.batches[0].header->sending_application, "APP!X");
  EXPECT_EQ(f.batches[0].trailer->count, 1);
  EXPECT_EQ(f.batches[0].trailer->comment, "ok");
}

TEST(BatchTest, ErrorsNeverEchoJunkLines) {
  BatchFile f = split_batch("SECRET PATIENT NAME|x\r" + M("1"));
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].to_string().find("SECRET"), std::string::npos);
  EXPECT_EQ(f.errors[0].where.segment_index, 1);
}

// A capture of an MLLP stream: each message framed by VT ... FS CR.
TEST(BatchTest, MllpFrameBytesAreSkippedAndNoted) {
  const std::string text = "\x0B" + M("M1") + "\x1C\r\x0B" + M("M2") + "\x1C\r\n";
  BatchFile f = split_batch(text);
  for (const Error& e : f.errors) ADD_FAILURE() << e.to_string();
  ASSERT_EQ(f.message_count(), 2u);
  EXPECT_EQ(f.batches[0].messages[0], M("M1"));  // frames and line breaks left out
  EXPECT_EQ(f.batches[0].messages[1], M("M2"));
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_EQ(f.notes[0].severity, Severity::kInformation);
  ParsedBatch p = parse_batch(text);
  ASSERT_EQ(p.messages.size(), 2u);
  for (const ParseResult& r : p.messages) EXPECT_TRUE(r.ok());
}

}  // namespace
}  // namespace gw::hl7

namespace gw::hl7 {
namespace {

// Files saved with a UTF-8 byte-order mark, alone or concatenated, still
// yield every message; each mark is noted, never an error.
TEST(BatchTest, ByteOrderMarksAreSkippedAndNoted) {
  const std::string bom = "\xEF\xBB\xBF";
  std::string text = bom + M("M1") + bom + M("M2") + M("M3");
  BatchFile f = split_batch(text);
  for (const Error& e : f.errors) ADD_FAILURE() << e.to_string();
  ASSERT_EQ(f.message_count(), 3u);
  ASSERT_EQ(f.notes.size(), 2u);
  EXPECT_EQ(f.notes[0].severity, Severity::kInformation);
  EXPECT_EQ(f.notes[1].where.segment_index, 3);  // the line where the second mark is
  ParsedBatch p = parse_batch(text);
  ASSERT_EQ(p.messages.size(), 3u);
  for (const ParseResult& r : p.messages) {
    ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
    EXPECT_EQ(r.message->header().message_code, "ADT");
  }
  EXPECT_EQ(p.messages[1].message->header().control_id, "M2");
}

TEST(BatchTest, ByteOrderMarkBeforeFileHeader) {
  std::string text =
      "\xEF\xBB\xBF"
      "FHS|^~\\&|FA\rBHS|^~\\&|BA\r" +
      M("M1") + "BTS|1\rFTS|1\r";
  BatchFile f = split_batch(text);
  for (const Error& e : f.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(f.file_header);
  EXPECT_EQ(f.message_count(), 1u);
}

}  // namespace
}  // namespace gw::hl7
