// The access report's PDF, read back as poppler reads it: pdftotext -layout
// finds every row with its time, who, action, purpose, outcome, emergency
// mark and ledger state, the header on every page, "page N of M", and the
// anchor section; text outside WinAnsi is replaced, long values are cut; the
// same input gives the same bytes; pdftoppm draws page 1 as a PNG.
#include "gateway/auditreport/access_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/auditreport/report_test_util.h"
#include "gateway/auditreport/report_words.h"
#include "gateway/store/store_test_util.h"

namespace gw::auditreport {
namespace {

using audit::Action;
using audit::ActorKind;
using audit::OutcomeKind;
using testing::pdf_text;

constexpr int64_t kBase = 1'793'520'000'000;  // 2026-11-01T08:00:00Z
const std::string kMember = "0x" + std::string(40, 'c');

audit::StoredAuditEntry row(int i) {
  audit::StoredAuditEntry r;
  r.seq = i + 1;
  audit::AuditEntry& e = r.entry;
  e.time_ms = kBase + int64_t{i} * 3'600'000;
  static const audit::Actor actors[] = {{ActorKind::kClient, "lab-interface"},
                                        {ActorKind::kOperator, ""},
                                        {ActorKind::kMember, kMember},
                                        {ActorKind::kAnonymous, ""}};
  e.actor = actors[i % 4];
  static const std::pair<Action, const char*> actions[] = {{Action::kRead, "Observation"},
                                                           {Action::kSearch, "Observation"},
                                                           {Action::kTransferSent, ""},
                                                           {Action::kEmergencyAccess, "Patient"},
                                                           {Action::kUpdate, "Condition"}};
  e.action = actions[i % 5].first;
  e.resource_type = actions[i % 5].second;
  static const char* purposes[] = {"TREAT",   "HPAYMT", "HOPERAT", "HRESCH",
                                   "PUBHLTH", "",       "XYZCODE", "ETREAT"};
  e.purpose = purposes[i % 8];
  static const audit::Outcome outcomes[] = {{OutcomeKind::kSuccess, 200, ""},
                                            {OutcomeKind::kRefused, 403, "scope"},
                                            {OutcomeKind::kFailed, 500, ""}};
  e.outcome = outcomes[i % 3];
  return r;
}

AccessReport sample_report(int rows) {
  AccessReport r;
  r.organization = "Riverside General Hospital";
  r.patient_display = "Maria Lopez, born 1970-02-03";
  r.from_ms = kBase;
  r.to_ms = kBase + 200LL * 3'600'000;
  r.generated_ms = kBase + 300LL * 3'600'000;
  for (int i = 0; i < rows; ++i) r.rows.push_back(row(i));
  audit::AuditBatch b;
  b.id = 7;
  b.first_seq = 91;
  b.last_seq = 100;
  for (size_t k = 0; k < b.root.size(); ++k) b.root[k] = static_cast<uint8_t>(k);
  b.anchor_tx = "0x" + std::string(64, 'e');
  b.anchored_ms = kBase + 101LL * 3'600'000;
  b.signer = "tpm";
  r.anchor = b;
  r.log_last_seq = 130;
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The table line whose first word is the row's seq (then a time, "...Z ").
std::string row_line(const std::vector<std::string>& lines, int64_t seq) {
  const std::string head = std::to_string(seq) + " ";
  for (const std::string& l : lines) {
    const size_t s = l.find_first_not_of(" \f");
    if (s != std::string::npos && l.compare(s, head.size(), head) == 0 &&
        l.find("Z ", s) != std::string::npos)
      return l;
  }
  return "";
}

// True if every cell occurs in `line`, in order.
bool in_order(const std::string& line, const std::vector<std::string>& cells) {
  size_t at = 0;
  for (const std::string& c : cells) {
    at = line.find(c, at);
    if (at == std::string::npos) return false;
    at += c.size();
  }
  return true;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class AccessReportTest : public ::testing::Test {
 protected:
  store::testing::TempDir dir_;
};

TEST_F(AccessReportTest, EveryRowIsThereInPlainWordsOverSeveralPages) {
  const AccessReport report = sample_report(120);
  auto pdf = render_access_report(report);
  ASSERT_TRUE(pdf.ok()) << pdf.error().message();
  const std::string path = dir_.file("report.pdf");
  const std::string text = pdf_text(*pdf, path);
  const std::vector<std::string> lines = lines_of(text);
  for (const audit::StoredAuditEntry& r : report.rows) {
    const audit::AuditEntry& e = r.entry;
    const std::string line = row_line(lines, r.seq);
    ASSERT_FALSE(line.empty()) << "row " << r.seq << " missing";
    const std::string who =
        e.actor.kind == ActorKind::kMember ? "member 0xcccc" : actor_words(e.actor);
    EXPECT_TRUE(in_order(line, {std::to_string(r.seq), utc_time(e.time_ms), who,
                                action_words(e.action, e.resource_type), purpose_words(e.purpose),
                                outcome_words(e.outcome)}))
        << line;
    EXPECT_EQ(line.find("YES") != std::string::npos, is_emergency(e)) << line;
    EXPECT_EQ(line.find("not yet anchored") != std::string::npos, r.seq > 100) << line;
    EXPECT_NE(line.find("anchored"), std::string::npos) << line;
    if (e.actor.kind == ActorKind::kMember) {
      EXPECT_NE(line.find("..."), std::string::npos) << line;
    }
  }
  // A few rows spelled out, so the words themselves are pinned here too.
  EXPECT_TRUE(in_order(row_line(lines, 1),
                       {"2026-11-01T08:00:00Z", "client lab-interface",
                        "read a record (Observation)", "treatment", "allowed (200)", "anchored"}));
  EXPECT_TRUE(in_order(row_line(lines, 4),
                       {"2026-11-01T11:00:00Z", "anonymous", "emergency access (Patient)",
                        "research", "allowed (200)", "YES", "anchored"}));
  EXPECT_TRUE(in_order(row_line(lines, 118), {"operator (gatewayctl)", "sent a transfer",
                                              "not stated", "allowed (200)", "not yet anchored"}));
  EXPECT_TRUE(in_order(row_line(lines, 23), {"XYZCODE", "refused (403)"}));

  const int pages = testing::pdf_pages(path);
  EXPECT_GE(pages, 3);
  EXPECT_EQ(count(text, "\f"), static_cast<size_t>(pages));
  for (int p = 1; p <= pages; ++p)
    EXPECT_EQ(count(text, "page " + std::to_string(p) + " of " + std::to_string(pages)), 1u) << p;
  // The table's header on every page that has rows (all of them here).
  size_t headers = 0;
  for (const std::string& l : lines)
    if (in_order(l, {"Entry", "Time (UTC)", "Who", "Action", "Purpose", "Outcome", "Emergency",
                     "Ledger"}))
      ++headers;
  EXPECT_EQ(headers, static_cast<size_t>(pages));

  EXPECT_NE(text.find("Maria Lopez, born 1970-02-03"), std::string::npos);
  EXPECT_NE(text.find("Riverside General Hospital"), std::string::npos);
  EXPECT_NE(text.find("Period: 2026-11-01T08:00:00Z to 2026-11-09T15:59:59Z"), std::string::npos);
  EXPECT_NE(text.find("120 entries."), std::string::npos);
  EXPECT_NE(text.find("Last anchored batch: 7, entries 91 to 100"), std::string::npos);
  EXPECT_NE(text.find("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
            std::string::npos);
  EXPECT_NE(text.find("0x" + std::string(64, 'e')), std::string::npos);
  EXPECT_NE(text.find("Anchored at: 2026-11-05T13:00:00Z; signed by: the gateway's TPM"),
            std::string::npos);
  EXPECT_NE(text.find("ended at entry 130"), std::string::npos);
  EXPECT_NE(text.find("20 rows above come after the last anchored batch"), std::string::npos);
  EXPECT_EQ(text.find("retention period"), std::string::npos);
}

// The completeness section goes under the table when it fits, else alone on
// a page of its own; either way once, and every page is numbered.
TEST_F(AccessReportTest, TheSectionFitsUnderTheTableOrMovesToANewPage) {
  for (int rows : {1, 30, 31, 60, 69, 70, 108, 200}) {
    AccessReport report = sample_report(rows);
    report.log_pruned_through_seq = 40;
    auto pdf = render_access_report(report);
    ASSERT_TRUE(pdf.ok()) << rows;
    const std::string path = dir_.file("r.pdf");
    const std::string text = pdf_text(*pdf, path);
    const int pages = testing::pdf_pages(path);
    EXPECT_EQ(count(text, "How this list is proven complete"), 1u) << rows;
    EXPECT_EQ(count(text, "Entries up to 40 were deleted at the end of the retention period"), 1u);
    EXPECT_EQ(count(text, " of " + std::to_string(pages) + "\n"), static_cast<size_t>(pages))
        << rows;
    const std::vector<std::string> lines = lines_of(text);
    for (int seq = 1; seq <= rows; ++seq) ASSERT_FALSE(row_line(lines, seq).empty()) << seq;
  }
}

TEST_F(AccessReportTest, TextOutsideWinAnsiIsReplacedAndLongValuesAreCut) {
  AccessReport report = sample_report(2);
  report.patient_display =
      "Jos\xC3\xA9 M\xC3\xBCller \xE2\x80\x93 \xE7\x8E\x8B\xE5\xB0\x8F\xE6\x98\x8E "
      "\xF0\x9F\x98\x80\xFF";
  report.organization = "Klinik Z\xC3\xBCrich \xE2\x82\xAC";
  // Rendering does not rely on entries having passed audit::validate.
  report.rows[0].entry.resource_type = "Obs\xE2\x82\xACrvation\x01\xE7\x8E\x8B";
  report.rows[1].entry.actor = {ActorKind::kClient, std::string(64, 'n')};
  report.organization += std::string(1 << 20, 'i');  // cut without measuring it all
  auto pdf = render_access_report(report);
  ASSERT_TRUE(pdf.ok()) << pdf.error().message();
  const std::string text = pdf_text(*pdf, dir_.file("report.pdf"));
  EXPECT_NE(text.find("Jos\xC3\xA9 M\xC3\xBCller \xE2\x80\x93 ??? ??"), std::string::npos) << text;
  EXPECT_NE(text.find("Klinik Z\xC3\xBCrich \xE2\x82\xAC"), std::string::npos);
  const std::vector<std::string> lines = lines_of(text);
  EXPECT_NE(row_line(lines, 1).find("read a record (Obs\xE2\x82\xACrvation?"
                                    "?)"),
            std::string::npos)
      << row_line(lines, 1);
  const std::string cut = row_line(lines, 2);
  EXPECT_NE(cut.find("client nnnnnnnnnn"), std::string::npos) << cut;
  EXPECT_NE(cut.find("nnn..."), std::string::npos) << cut;
  EXPECT_EQ(cut.find(std::string(64, 'n')), std::string::npos) << cut;
}

TEST_F(AccessReportTest, AnEmptyPeriodSaysNoAccessRecorded) {
  AccessReport report = sample_report(0);
  report.anchor.reset();
  auto pdf = render_access_report(report);
  ASSERT_TRUE(pdf.ok()) << pdf.error().message();
  const std::string path = dir_.file("empty.pdf");
  const std::string text = pdf_text(*pdf, path);
  EXPECT_NE(text.find("No access recorded in this period."), std::string::npos) << text;
  EXPECT_NE(text.find("0 entries."), std::string::npos);
  EXPECT_NE(text.find("No batch of the audit log is anchored on the ledger yet"),
            std::string::npos);
  EXPECT_EQ(text.find("Time (UTC)"), std::string::npos);
  EXPECT_EQ(testing::pdf_pages(path), 1);
  EXPECT_NE(text.find("page 1 of 1"), std::string::npos);
}

TEST_F(AccessReportTest, TheSameInputGivesTheSameBytes) {
  AccessReport report = sample_report(50);
  auto a = render_access_report(report);
  auto b = render_access_report(report);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  report.generated_ms += 1000;  // the creation date and the footers change
  auto c = render_access_report(report);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(*a, *c);
  const std::string path = dir_.file("dated.pdf");
  testing::write_file(path, *a);
  EXPECT_NE(testing::run_capture("pdfinfo '" + path + "'").find("2026"), std::string::npos);
}

TEST_F(AccessReportTest, BadInputIsRefused) {
  AccessReport report = sample_report(1);
  report.to_ms = report.from_ms;
  EXPECT_EQ(render_access_report(report).error().code(), StatusCode::kInvalidArgument);
  report = sample_report(0);
  report.rows.assign(kMaxReportRows + 1, row(0));
  EXPECT_EQ(render_access_report(report).error().code(), StatusCode::kInvalidArgument);
}

// Page 1 as a PNG, for a person to look at: a copy of it and of the PDF stay
// in gtest's temporary directory (the paths are printed).
TEST_F(AccessReportTest, PageOneRendersAsAnImage) {
  auto pdf = render_access_report(sample_report(120));
  ASSERT_TRUE(pdf.ok());
  const std::string path = dir_.file("report.pdf");
  testing::write_file(path, *pdf);
  testing::run_capture("pdftoppm -png -r 60 -f 1 -l 1 -singlefile '" + path + "' '" +
                       dir_.file("page1") + "'");
  std::ifstream f(dir_.file("page1.png"), std::ios::binary);
  const std::string png((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1a\n");
  auto be32 = [&](size_t at) {
    return (uint32_t{static_cast<uint8_t>(png[at])} << 24) |
           (uint32_t{static_cast<uint8_t>(png[at + 1])} << 16) |
           (uint32_t{static_cast<uint8_t>(png[at + 2])} << 8) | static_cast<uint8_t>(png[at + 3]);
  };
  // IHDR: A4 landscape at 60 dpi is 702 x 496 pixels.
  EXPECT_NEAR(be32(16), 702, 2);
  EXPECT_NEAR(be32(20), 496, 2);
  // A page of text compresses to tens of kilobytes; a blank one to very little.
  EXPECT_GT(png.size(), 20'000u);
  EXPECT_LT(png.size(), 2'000'000u);
  const std::string keep = ::testing::TempDir() + "access_report_page1.png";
  std::filesystem::copy_file(dir_.file("page1.png"), keep,
                             std::filesystem::copy_options::overwrite_existing);
  const std::string keep_pdf = ::testing::TempDir() + "access_report.pdf";
  std::filesystem::copy_file(path, keep_pdf, std::filesystem::copy_options::overwrite_existing);
  std::printf("access report page 1: %s (the PDF: %s)\n", keep.c_str(), keep_pdf.c_str());
}

}  // namespace
}  // namespace gw::auditreport
