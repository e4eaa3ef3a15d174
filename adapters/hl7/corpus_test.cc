// Parses every sample in tests/corpus/hl7 and checks what each one is for
// (see tests/corpus/hl7/README.md).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "adapters/hl7/batch.h"
#include "adapters/hl7/er7.h"
#include "adapters/hl7/test_util.h"
#include "adapters/hl7/types.h"

namespace gw::hl7 {
namespace {

using testing::CorpusDir;
using testing::Hl7Files;
using testing::ReadFile;

bool IsBatch(const std::filesystem::path& p) {
  return p.filename().string().rfind("batch_", 0) == 0;
}

TEST(CorpusTest, EveryWellFormedFileParses) {
  auto files = Hl7Files(CorpusDir());
  ASSERT_GE(files.size(), 19u) << CorpusDir();
  std::set<std::string> control_ids;
  for (const auto& path : files) {
    std::string text = ReadFile(path);
    ASSERT_FALSE(text.empty()) << path;
    ParsedBatch b = parse_batch(text);
    EXPECT_TRUE(b.file.errors.empty()) << path;
    if (!IsBatch(path)) {
      EXPECT_EQ(b.messages.size(), 1u) << path;
    }
    for (const ParseResult& r : b.messages) {
      ASSERT_TRUE(r.ok()) << path << ": " << (r.errors.empty() ? "" : r.errors[0].to_string());
      const Header& h = r.message->header();
      EXPECT_FALSE(h.sending_application.empty()) << path;
      EXPECT_FALSE(h.sending_facility.empty()) << path;
      EXPECT_TRUE(control_ids.insert(h.control_id).second) << "duplicate MSH-10 in " << path;
      // Walk everything: no value may fail to decode except the ISO 2022 sample.
      for (SegmentView s : r.message->segments()) {
        for (int f = 1; f <= s.field_count(); ++f) {
          Element field = s.field(f);
          for (int rep = 1; rep <= field.child_count(); ++rep) {
            for (int c = 1; c <= field.child(rep).child_count(); ++c) {
              Element comp = field.child(rep).child(c);
              for (int sc = 1; sc <= comp.child_count(); ++sc) {
                Result<std::string> t = comp.child(sc).text();
                if (path.filename() != "escapes.hl7") {
                  EXPECT_TRUE(t.ok()) << path;
                }
                if (t.ok()) {
                  EXPECT_TRUE(is_valid_utf8(*t)) << path;
                }
              }
            }
          }
        }
      }
      if (path.filename() != "escapes.hl7") {
        EXPECT_TRUE(r.warnings.empty()) << path;
      }
    }
  }
}

TEST(CorpusTest, MalformedFilesFailCleanly) {
  struct Expect {
    ErrorCode code;
    bool header;
    const char* segment;
    int field;
  };
  std::map<std::string, Expect> expected = {
      {"no_msh.hl7", {ErrorCode::kSegmentSequence, false, "", 0}},
      {"truncated_msh.hl7", {ErrorCode::kDataType, false, "MSH", 2}},
      {"bad_delimiters.hl7", {ErrorCode::kDataType, false, "MSH", 2}},
      {"alnum_delimiters.hl7", {ErrorCode::kDataType, false, "MSH", 2}},
      {"oversize_field_count.hl7", {ErrorCode::kValueTooLong, true, "ZZZ", 0}},
      {"invalid_utf8.hl7", {ErrorCode::kDataType, true, "PID", 5}},
      {"ascii_high_byte.hl7", {ErrorCode::kDataType, true, "PID", 5}},
      {"unknown_charset.hl7", {ErrorCode::kTableValueNotFound, true, "MSH", 18}},
      {"missing_control_id.hl7", {ErrorCode::kRequiredFieldMissing, true, "MSH", 10}},
      {"bad_segment_id.hl7", {ErrorCode::kSegmentSequence, true, "", 0}},
  };
  auto files = Hl7Files(CorpusDir() / "malformed");
  ASSERT_GE(files.size(), expected.size() + 1);
  for (const auto& path : files) {
    std::string text = ReadFile(path);
    std::string name = path.filename().string();
    if (IsBatch(path)) {
      BatchFile f = split_batch(text);
      EXPECT_FALSE(f.errors.empty()) << name;
      EXPECT_EQ(f.message_count(), 2u) << name;
      for (std::string_view m : f.batches[0].messages) EXPECT_TRUE(parse(m).ok()) << name;
      continue;
    }
    ParseResult r = parse(text);
    EXPECT_FALSE(r.ok()) << name;
    EXPECT_FALSE(r.message) << name;
    ASSERT_FALSE(r.errors.empty()) << name;
    auto it = expected.find(name);
    ASSERT_NE(it, expected.end()) << "add an expectation for " << name;
    const Expect& e = it->second;
    EXPECT_EQ(r.errors[0].code, e.code) << name << ": " << r.errors[0].to_string();
    EXPECT_EQ(r.header != nullptr, e.header) << name;
    EXPECT_EQ(r.errors[0].where.segment_id, e.segment) << name;
    EXPECT_EQ(r.errors[0].where.field, e.field) << name;
  }
}

ParseResult ParseFile(const char* name, std::string* keep) {
  *keep = ReadFile(CorpusDir() / name);
  return parse(*keep);
}

TEST(CorpusTest, SpotChecks) {
  std::string buf;
  ParseResult r = ParseFile("adt_a01.hl7", &buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->repetition_count("PID-3"), 3);
  EXPECT_EQ(read_cx(*r.message, "PID-3(3)")->assigning_authority.universal_id,
            "2.16.840.1.113883.4.3.25");
  EXPECT_EQ(read_xpn(*r.message, "PID-5(2)")->given, "EVIE");
  EXPECT_EQ(read_xtn(*r.message, "PID-13(2)")->email, "eve.everywoman@example.org");
  EXPECT_EQ(r.message->count("AL1"), 2);
  EXPECT_EQ(r.message->get("AL1(1)-5(2)"), "Anaphylaxis");

  r = ParseFile("oru_r01.hl7", &buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->count("OBX"), 12);
  EXPECT_EQ(read_number(*r.message, "OBX(4)-5")->fhir_decimal(), "-0.5");
  EXPECT_EQ(read_number(*r.message, "OBX(10)-5")->fhir_decimal(), "105");
  EXPECT_EQ(r.message->get("OBX(8)-5"),
            "Oxacillin: resistant (MRSA).\nVancomycin: susceptible, MIC 1 ug/mL.\nPlease "
            "contact infection control.");
  EXPECT_EQ(r.message->get("OBX(11)-5"), "Probe h\\molysiert – bitte wiederholen");
  EXPECT_EQ(r.message->get("OBX(12)-5"), "Gross: two fragments.\nMicro: see addendum.");
  EXPECT_EQ(read_cwe(*r.message, "OBX(7)-5")->original_text, "Staphylococcus aureus isolated");
  EXPECT_EQ(r.message->get("NTE(3)-3"), "Befund erstellt von Dr. Müller.");
  EXPECT_EQ(read_timestamp(*r.message, "MSH-7")->to_iso8601(), "2024-03-15T14:12:33.1234+01:00");

  r = ParseFile("adt_a40.hl7", &buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(read_cx(*r.message, "MRG-1")->id, "300999");
  EXPECT_EQ(r.message->header().trigger_event, "A40");

  r = ParseFile("custom_delimiters.hl7", &buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->get("PID-11.1"), "10 PIPE|CARET^LN");
  EXPECT_EQ(r.message->get("PID-11.3"), "TILDE~TOWN");
  EXPECT_EQ(r.message->get("PID-3(2).5"), "PI");
  EXPECT_EQ(r.message->get("NTE-3"),
            "Literal pipe | caret ^ tilde ~ backslash \\ ampersand & are data here; escaped: # "
            "! @ $ %");

  r = ParseFile("escapes.hl7", &buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->get("PID-5.1"), "O^BRIEN-SMITH&JONES");
  EXPECT_EQ(r.message->get("PID-5.2"), "ANNE~MARIE");
  EXPECT_EQ(r.message->get("OBX(1)-5"), "Field|Comp^Sub&Rep~Esc\\Trunc#end");
  EXPECT_EQ(r.message->get("OBX(2)-5"),
            "Line1\nLine2\nLine3\n\nLine4\nCenteredFillIndentedTemp   Skipped");
  EXPECT_EQ(r.message->get("OBX(3)-5"),
            "Highlighted normal; hex CRLF:\r\n hex A:A local:\\Zcustom\\ end");
  EXPECT_FALSE(r.message->value("OBX(4)-5").ok());
  EXPECT_EQ(r.message->get("NTE-3"), "Unterminated escape \\Foo kept literally");
  EXPECT_EQ(r.warnings.size(), 2u);

  r = ParseFile("latin1.hl7", &buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->charset(), Charset::kLatin1);
  EXPECT_EQ(read_xpn(*r.message, "PID-5")->family, "MÜLLER");
  EXPECT_EQ(read_xpn(*r.message, "PID-5")->middle, "Émile");
  r = ParseFile("latin9.hl7", &buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->get("PID-5.2"), "ŒDIPE");
  EXPECT_NE(r.message->get("NTE-3").find("25 €"), std::string::npos);
  r = ParseFile("utf8.hl7", &buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->get("PID-5(2).1"), "山田");
  EXPECT_EQ(r.message->get("PID-11.3"), "Tromsø");

  r = ParseFile("enhanced_al_ne.hl7", &buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.header->accept_ack_type, "AL");
  EXPECT_EQ(r.header->application_ack_type, "NE");
  r = ParseFile("enhanced_er.hl7", &buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.header->accept_ack_type, "ER");
}

TEST(CorpusTest, BatchFile) {
  std::string text = ReadFile(CorpusDir() / "batch_adt.hl7");
  BatchFile f = split_batch(text);
  EXPECT_TRUE(f.errors.empty());
  ASSERT_TRUE(f.file_header);
  EXPECT_EQ(f.file_header->control_id, "FILE-20240329-01");
  ASSERT_EQ(f.batches.size(), 1u);
  EXPECT_EQ(f.batches[0].header->control_id, "BATCH-20240329-01");
  EXPECT_EQ(f.batches[0].messages.size(), 3u);
  EXPECT_EQ(f.batches[0].trailer->count, 3);
  EXPECT_EQ(f.file_trailer->count, 1);
}

}  // namespace
}  // namespace gw::hl7
