// Error and warning texts are logged and sent back in ACKs; message content
// is patient data. These tests put distinctive PHI-like strings in every
// malformed position we can think of, then mutate the corpus with them at
// random, and check that no error text ever contains them.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "adapters/hl7/ack.h"
#include "adapters/hl7/batch.h"
#include "adapters/hl7/er7.h"
#include "adapters/hl7/test_util.h"
#include "adapters/hl7/types.h"

namespace gw::hl7 {
namespace {

using testing::Msg;

constexpr const char* kPhi = "ZEBRAFISH42";
constexpr const char* kPhiProbe = "ZEBRA";  // any 5-byte fragment would be a leak

void ExpectClean(const std::vector<Error>& errors, const std::string& context) {
  for (const Error& e : errors) {
    EXPECT_EQ(e.to_string().find(kPhiProbe), std::string::npos) << context << ": " << e.to_string();
    EXPECT_EQ(e.detail.find(kPhiProbe), std::string::npos) << context;
    EXPECT_TRUE(e.where.segment_id.empty() || is_reportable_segment_id(e.where.segment_id))
        << context;
  }
}

void ExpectCleanParse(const std::string& text, const ParseOptions& o = {}) {
  ParseResult r = parse(text, o);
  ExpectClean(r.errors, text);
  ExpectClean(r.warnings, text);
  BatchFile f = split_batch(text, o.limits);
  ExpectClean(f.errors, text);
  if (auto ack = read_ack(text); !ack.ok()) {
    const std::string& err = ack.error().message();
    EXPECT_EQ(err.find(kPhiProbe), std::string::npos) << err;
  }
}

const std::string kHead = "MSH|^~\\&|A|B|C|D|20240101||ADT^A08|X1|P|2.5";

TEST(ErrorPrivacyTest, TargetedPositions) {
  const std::string phi = kPhi;
  std::vector<std::string> cases = {
      // Not an MSH at all, or unreadable delimiters.
      phi + "|EVERYWOMAN^EVE",
      "MSH|^~\\&" + phi + "|A|B",
      "MSH" + phi,
      // Segment ids made of content (a stray line break).
      Msg({kHead, phi + "|x"}),
      Msg({kHead, "ZEB", "NTE|1||broken", phi.substr(0, 4) + " of text|more"}),
      Msg({kHead, std::string(kPhi) + std::string("\xC3\x28")}),
      // Charsets.
      Msg({kHead + "||||||" + phi, "PID|1"}),
      Msg({kHead + "||||||UNICODE UTF-8", "PID|1||" + phi + "\xC3\x28" + phi}),
      Msg({kHead + "||||||ASCII", "PID|1||" + phi + "\xE9"}),
      // Escapes.
      Msg({kHead, "NTE|1||\\" + phi}),
      Msg({kHead, "NTE|1||\\C" + phi + "\\"}),
      Msg({kHead, "NTE|1||\\X" + phi + "\\"}),
      Msg({kHead, "NTE|1||\\." + phi + "\\"}),
      // Limits.
      Msg({kHead, "PID|1||" + std::string(2000, 'x') + phi}),
      Msg({kHead, "PID|1||" + phi + std::string(2000, '~')}),
      Msg({kHead, "PID|1||" + phi + std::string(2000, '^')}),
      Msg({kHead, "PID|1||" + phi + std::string(2000, '&')}),
      Msg({kHead, "PID" + std::string(2000, '|') + phi}),
      // Structure.
      Msg({kHead, "MSH|^~\\&|" + phi}),
      Msg({kHead, "BHS|^~\\&|" + phi}),
      Msg({"MSH|^~\\&|A|B|C|D|20240101||||", "PID|" + phi}),
      // Batches.
      Msg({phi + " free text", kHead}),
      Msg({"BHS|^~\\&", kHead, "BTS|" + phi}),
      Msg({"FHS|^~\\&", kHead, "FTS|" + phi}),
      Msg({"FHS|^^\\&" + phi, kHead}),
  };
  ParseOptions small;
  small.limits.max_field_bytes = 1000;
  small.limits.max_repetitions_per_field = 100;
  small.limits.max_components = 100;
  small.limits.max_subcomponents = 100;
  small.limits.max_fields_per_segment = 100;
  small.strict_escapes = true;
  for (const std::string& c : cases) {
    ExpectCleanParse(c);
    ExpectCleanParse(c, small);
  }
}

TEST(ErrorPrivacyTest, TypedReadersAndPaths) {
  const std::string phi = kPhi;
  std::string text = Msg({kHead, "OBX|1|NM|X||" + phi + "|" + phi + "\\C" + phi + "\\|2024" + phi});
  ParseResult r = parse(text);
  ASSERT_TRUE(r.ok());
  auto check = [](const auto& result) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().to_string().find(kPhiProbe), std::string::npos);
  };
  check(read_number(*r.message, "OBX-5"));
  check(read_timestamp(*r.message, "OBX-5"));
  check(read_cwe(*r.message, "OBX-6"));
  check(read_timestamp(*r.message, "OBX-7"));
  check(r.message->value("OBX-6"));
  check(r.message->value("ZEBRAFISH42-1"));  // a path is not content, but stays out too
  check(r.message->element(std::string("OBX-") + phi));
  check(parse_timestamp(phi));
  check(parse_number(phi));
}

TEST(ErrorPrivacyTest, AckErrorTextComesOnlyFromErrors) {
  // The ACK's ERR segments carry error texts; built from a parse that saw
  // content-bearing problems, they must not carry content either.
  const std::string phi = kPhi;
  std::string text = Msg({kHead + "||||||UNICODE UTF-8", "PID|1||" + phi + "\xC3\x28", phi + "|x"});
  ParseResult r = parse(text);
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.header);
  AckParams p;
  p.control_id = "K";
  p.timestamp = "2024";
  p.errors = r.errors;
  std::string ack = build_ack(*r.header, AckCode::kAE, p);
  EXPECT_EQ(ack.find(kPhiProbe), std::string::npos) << ack;
}

TEST(ErrorPrivacyTest, RandomMutationsOfCorpus) {
  std::vector<std::string> corpus;
  for (const auto& p : testing::Hl7Files(testing::CorpusDir())) {
    corpus.push_back(testing::ReadFile(p));
  }
  ASSERT_FALSE(corpus.empty());
  const std::string phi = kPhi;
  const std::vector<std::string> snippets = {
      phi,
      "\r" + phi + "|",
      "\n" + phi,
      "\\" + phi,
      "\\C" + phi + "\\",
      "\\X" + phi + "\\",
      "\xC3" + phi,
      "\xE9" + phi,
      "|" + phi + std::string(300, '|'),
      "~" + phi + std::string(300, '~'),
      "^" + phi + std::string(300, '^'),
      "&" + phi + std::string(300, '&'),
      "\rMSH|^~\\&|" + phi,
      "\rBTS|" + phi,
      "\rFTS|" + phi + "\r",
      "\r\r" + phi,
      std::string(1, '\0') + phi,
  };
  ParseOptions o;
  o.limits.max_fields_per_segment = 200;
  o.limits.max_repetitions_per_field = 200;
  o.limits.max_components = 200;
  o.limits.max_subcomponents = 200;
  o.limits.max_field_bytes = 4000;
  std::mt19937 rng(20240315);
  for (int i = 0; i < 3000; ++i) {
    std::string text = corpus[rng() % corpus.size()];
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      const std::string& s = snippets[rng() % snippets.size()];
      size_t pos = rng() % (text.size() + 1);
      if (rng() % 4 == 0 && pos < text.size()) {
        text.replace(pos, std::min<size_t>(s.size(), text.size() - pos), s);
      } else {
        text.insert(pos, s);
      }
    }
    o.strict_escapes = (i % 2) == 0;
    o.default_charset = static_cast<DefaultCharset>(i % 4);
    ParseResult r = parse(text, o);
    ExpectClean(r.errors, "mutation");
    ExpectClean(r.warnings, "mutation");
    ExpectClean(split_batch(text, o.limits).errors, "mutation batch");
    if (HasFailure()) {
      ADD_FAILURE() << "input: " << text;
      break;
    }
  }
}

}  // namespace
}  // namespace gw::hl7
