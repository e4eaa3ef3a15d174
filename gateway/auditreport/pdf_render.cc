// render_access_report: the PDF, with libharu. Two passes: the layout decides
// which rows go on which page (fixed row heights: values are cut to their
// column, never wrapped), so that every page can say "page N of M"; then the
// drawing. Nothing random goes in (libharu writes no document id without
// encryption, and the creation date is the report's generation time), so
// the same report gives the same bytes.
#include <hpdf.h>

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "gateway/auditreport/access_report.h"
#include "gateway/auditreport/report_words.h"

namespace gw::auditreport {
namespace {

// A4 landscape, in points.
constexpr float kPageW = 841.89f, kPageH = 595.28f;
constexpr float kMargin = 36;
constexpr float kTop = kPageH - kMargin;
constexpr float kTableBottom = 52;  // above the footer
constexpr float kRowH = 12, kFontSize = 8;
constexpr float kTitleBlockH = 132;   // title, five header lines, the summary
constexpr float kRunningHeadH = 22;   // pages after the first
constexpr float kSectionH = 10 * 13;  // "How this list is proven complete"

struct Column {
  const char* title;
  float width;
};
constexpr Column kColumns[] = {{"Entry", 44},     {"Time (UTC)", 100}, {"Who", 150},
                               {"Action", 170},   {"Purpose", 110},    {"Outcome", 70},
                               {"Emergency", 50}, {"Ledger", 76}};
constexpr float kCellPad = 3;
constexpr size_t kMaxTextBytes = 600;

struct Page {
  size_t first_row = 0, end_row = 0;
  bool section = false;  // the completeness section goes after the rows
};

// Which rows go on which page, and where the section goes.
std::vector<Page> layout(size_t rows) {
  std::vector<Page> pages;
  size_t next = 0;
  float y = kTop - kTitleBlockH;  // where the first page's table starts
  while (true) {
    Page p;
    p.first_row = next;
    const auto fit = static_cast<size_t>((y - kRowH - kTableBottom) / kRowH);  // header row first
    p.end_row = std::min(rows, next + fit);
    next = p.end_row;
    const float after = y - kRowH * static_cast<float>(p.end_row - p.first_row + 1) - 16;
    if (next == rows && after - kSectionH >= kTableBottom - 20) {
      p.section = true;
      pages.push_back(p);
      return pages;
    }
    pages.push_back(p);
    y = kTop - kRunningHeadH;
    if (next == rows) {  // the section alone on a last page
      pages.push_back(Page{rows, rows, true});
      return pages;
    }
  }
}

// libharu reports errors to a handler; the first one is kept and checked.
struct HaruErrors {
  HPDF_STATUS first = HPDF_OK, detail = 0;
};
void on_haru_error(HPDF_STATUS error, HPDF_STATUS detail, void* data) {
  auto* e = static_cast<HaruErrors*>(data);
  if (e->first == HPDF_OK) {
    e->first = error;
    e->detail = detail;
  }
}

struct DocDeleter {
  void operator()(HPDF_Doc d) const { HPDF_Free(d); }
};

class Renderer {
 public:
  Renderer(const AccessReport& r, HPDF_Doc doc) : r_(r), doc_(doc) {
    regular_ = HPDF_GetFont(doc, "Helvetica", "WinAnsiEncoding");
    bold_ = HPDF_GetFont(doc, "Helvetica-Bold", "WinAnsiEncoding");
    mono_ = HPDF_GetFont(doc, "Courier", "WinAnsiEncoding");
  }

  void draw(const std::vector<Page>& pages) {
    for (size_t i = 0; i < pages.size(); ++i) {
      page_ = HPDF_AddPage(doc_);
      HPDF_Page_SetSize(page_, HPDF_PAGE_SIZE_A4, HPDF_PAGE_LANDSCAPE);
      float y = i == 0 ? title_block() : running_head();
      if (r_.rows.empty() && i == 0) {
        text(regular_, 11, kMargin, y - 14, "No access recorded in this period.", 770);
        y -= 36;
      } else if (pages[i].end_row > pages[i].first_row) {
        y = table(pages[i], y);
      }
      if (pages[i].section) section(y - 16);
      footer(i + 1, pages.size());
    }
  }

 private:
  // Cuts `s` (WinAnsi) to `width` points, ending in "..." when it was cut.
  std::string fit(HPDF_Font font, float size, std::string s, float width) const {
    auto w = [&](const std::string& t) {
      HPDF_TextWidth tw = HPDF_Font_TextWidth(font, reinterpret_cast<const HPDF_BYTE*>(t.data()),
                                              static_cast<HPDF_UINT>(t.size()));
      return static_cast<float>(tw.width) * size / 1000.0f;
    };
    // No column is wider than 770 points and no glyph of these fonts is
    // narrower than 0.19 em at 8 points, so 600 bytes never fit: cutting
    // there first keeps the loop below short for any input.
    if (s.size() > kMaxTextBytes) s.resize(kMaxTextBytes);
    if (w(s) <= width) return s;
    while (!s.empty() && w(s + "...") > width) s.pop_back();
    return s + "...";
  }

  void text(HPDF_Font font, float size, float x, float y, const std::string& utf8, float width) {
    const std::string t = fit(font, size, to_winansi(utf8), width);
    HPDF_Page_BeginText(page_);
    HPDF_Page_SetFontAndSize(page_, font, size);
    HPDF_Page_TextOut(page_, x, y, t.c_str());
    HPDF_Page_EndText(page_);
  }

  void rule(float y) {
    HPDF_Page_SetLineWidth(page_, 0.5f);
    HPDF_Page_MoveTo(page_, kMargin, y);
    HPDF_Page_LineTo(page_, kPageW - kMargin, y);
    HPDF_Page_Stroke(page_);
  }

  void band(float y_top, float h, float grey) {
    HPDF_Page_SetGrayFill(page_, grey);
    HPDF_Page_Rectangle(page_, kMargin, y_top - h, kPageW - 2 * kMargin, h);
    HPDF_Page_Fill(page_);
    HPDF_Page_SetGrayFill(page_, 0);
  }

  // Returns where the table starts.
  float title_block() {
    const float w = kPageW - 2 * kMargin;
    float y = kTop - 16;
    text(bold_, 16, kMargin, y, "Record access report", w);
    y -= 20;
    text(regular_, 9, kMargin, y, "Patient: " + r_.patient_display, w);
    y -= 13;
    text(regular_, 9, kMargin, y, "Provided by: " + r_.organization, w);
    y -= 13;
    text(regular_, 9, kMargin, y,
         "Period: " + utc_time(r_.from_ms) + " to " + utc_time(r_.to_ms - 1) + " (UTC)", w);
    y -= 13;
    text(regular_, 9, kMargin, y, "Generated: " + utc_time(r_.generated_ms), w);
    y -= 18;
    text(regular_, 9, kMargin, y,
         "Every access to your records and every transfer of them recorded in the gateway's "
         "audit log during this period, oldest first.",
         w);
    y -= 13;
    text(regular_, 9, kMargin, y,
         std::to_string(r_.rows.size()) + (r_.rows.size() == 1 ? " entry." : " entries."), w);
    return kTop - kTitleBlockH;
  }

  float running_head() {
    text(regular_, 8, kMargin, kTop - 8,
         "Record access report - " + r_.patient_display + " - " + r_.organization,
         kPageW - 2 * kMargin);
    return kTop - kRunningHeadH;
  }

  void cells(HPDF_Font font, float y, const std::vector<std::string>& values) {
    float x = kMargin;
    for (size_t c = 0; c < values.size(); ++c) {
      text(font, kFontSize, x + kCellPad, y, values[c], kColumns[c].width - 2 * kCellPad);
      x += kColumns[c].width;
    }
  }

  // Returns the y under the table.
  float table(const Page& p, float y) {
    band(y, kRowH, 0.85f);
    std::vector<std::string> head;
    for (const Column& c : kColumns) head.emplace_back(c.title);
    cells(bold_, y - kRowH + 3.5f, head);
    y -= kRowH;
    for (size_t i = p.first_row; i < p.end_row; ++i) {
      const audit::StoredAuditEntry& row = r_.rows[i];
      const audit::AuditEntry& e = row.entry;
      if ((i - p.first_row) % 2 == 1) band(y, kRowH, 0.95f);
      const bool anchored = r_.anchor && row.seq <= r_.anchor->last_seq;
      cells(regular_, y - kRowH + 3.5f,
            {std::to_string(row.seq), utc_time(e.time_ms), actor_words(e.actor),
             action_words(e.action, e.resource_type), purpose_words(e.purpose),
             outcome_words(e.outcome), is_emergency(e) ? "YES" : "",
             anchored ? "anchored" : "not yet anchored"});
      y -= kRowH;
    }
    rule(y);
    return y;
  }

  void section(float y) {
    const float w = kPageW - 2 * kMargin;
    text(bold_, 10, kMargin, y, "How this list is proven complete", w);
    y -= 15;
    text(regular_, 8.5f, kMargin, y,
         "Each entry of the audit log is chained to the one before it by a SHA-256 hash. Runs of "
         "entries form batches whose Merkle root is",
         w);
    y -= 11;
    text(regular_, 8.5f, kMargin, y,
         "signed with the gateway's batch key and anchored on the consortium ledger: no entry up "
         "to the last anchored one can be removed or altered unnoticed.",
         w);
    y -= 15;
    const size_t after = count_unanchored();
    if (!r_.anchor) {
      text(regular_, 8.5f, kMargin, y,
           "No batch of the audit log is anchored on the ledger yet: every row above is marked "
           "\"not yet anchored\" and is protected by the hash chain only.",
           w);
      return;
    }
    const audit::AuditBatch& b = *r_.anchor;
    text(regular_, 8.5f, kMargin, y,
         "Last anchored batch: " + std::to_string(b.id) + ", entries " +
             std::to_string(b.first_seq) + " to " + std::to_string(b.last_seq) +
             "; its root commits to every entry up to " + std::to_string(b.last_seq) + ".",
         w);
    y -= 12;
    static const char kHex[] = "0123456789abcdef";
    std::string root;
    for (uint8_t v : b.root) {
      root.push_back(kHex[v >> 4]);
      root.push_back(kHex[v & 15]);
    }
    text(regular_, 8.5f, kMargin, y, "Merkle root:", 120);
    text(mono_, 8, kMargin + 110, y, root, w - 110);
    y -= 12;
    text(regular_, 8.5f, kMargin, y, "Ledger transaction:", 120);
    text(mono_, 8, kMargin + 110, y, b.anchor_tx, w - 110);
    y -= 12;
    text(regular_, 8.5f, kMargin, y,
         "Anchored at: " + utc_time(b.anchored_ms) + "; signed by: " +
             (b.signer == "tpm"        ? std::string("the gateway's TPM")
              : b.signer == "software" ? std::string("a software key (development only)")
                                       : "unknown (" + b.signer + ")"),
         w);
    y -= 15;
    if (r_.log_pruned_through_seq > 0) {
      text(regular_, 8.5f, kMargin, y,
           "Entries up to " + std::to_string(r_.log_pruned_through_seq) +
               " were deleted at the end of the retention period and cannot be listed; "
               "the anchored roots still commit to them.",
           w);
      y -= 11;
    }
    text(regular_, 8.5f, kMargin, y,
         "The log ended at entry " + std::to_string(r_.log_last_seq) +
             " when this report was made. " + std::to_string(after) +
             (after == 1 ? " row above comes" : " rows above come") +
             " after the last anchored batch, marked \"not yet anchored\":",
         w);
    y -= 11;
    text(regular_, 8.5f, kMargin, y,
         "they are protected by the hash chain, and by the ledger once their batch is anchored.",
         w);
  }

  size_t count_unanchored() const {
    size_t n = 0;
    for (const auto& row : r_.rows)
      if (!r_.anchor || row.seq > r_.anchor->last_seq) ++n;
    return n;
  }

  void footer(size_t n, size_t of) {
    rule(kTableBottom - 16);
    text(regular_, 8, kMargin, kTableBottom - 28, "Generated " + utc_time(r_.generated_ms), 300);
    const std::string label = "page " + std::to_string(n) + " of " + std::to_string(of);
    HPDF_TextWidth tw = HPDF_Font_TextWidth(
        regular_, reinterpret_cast<const HPDF_BYTE*>(label.data()), label.size());
    text(regular_, 8, kPageW - kMargin - static_cast<float>(tw.width) * 8 / 1000.0f,
         kTableBottom - 28, label, 200);
  }

  const AccessReport& r_;
  HPDF_Doc doc_;
  HPDF_Page page_ = nullptr;
  HPDF_Font regular_ = nullptr, bold_ = nullptr, mono_ = nullptr;
};

void set_creation_date(HPDF_Doc doc, int64_t ms) {
  HPDF_Date d{};
  if (std::sscanf(utc_time(ms).c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &d.year, &d.month, &d.day,
                  &d.hour, &d.minutes, &d.seconds) != 6)
    return;  // outside years 0..9999: no date rather than a wrong one
  d.ind = 'Z';
  HPDF_SetInfoDateAttr(doc, HPDF_INFO_CREATION_DATE, d);
}

}  // namespace

Result<std::string> render_access_report(const AccessReport& report) {
  if (report.to_ms <= report.from_ms)
    return invalid_argument_error("access report: the period is empty (to must be after from)");
  if (report.rows.size() > kMaxReportRows)
    return invalid_argument_error("access report: " + std::to_string(report.rows.size()) +
                                  " rows, more than " + std::to_string(kMaxReportRows));
  HaruErrors errors;
  std::unique_ptr<_HPDF_Doc_Rec, DocDeleter> doc(HPDF_New(on_haru_error, &errors));
  if (!doc) return internal_error("access report: libharu could not start a document");
  HPDF_SetCompressionMode(doc.get(), HPDF_COMP_ALL);
  HPDF_SetInfoAttr(doc.get(), HPDF_INFO_TITLE, "Record access report");
  HPDF_SetInfoAttr(doc.get(), HPDF_INFO_CREATOR, "gateway audit report");
  set_creation_date(doc.get(), report.generated_ms);
  Renderer renderer(report, doc.get());
  renderer.draw(layout(report.rows.size()));
  if (errors.first == HPDF_OK) HPDF_SaveToStream(doc.get());
  if (errors.first == HPDF_OK) HPDF_ResetStream(doc.get());
  std::string out;
  if (errors.first == HPDF_OK) {
    out.resize(HPDF_GetStreamSize(doc.get()));
    HPDF_UINT32 size = static_cast<HPDF_UINT32>(out.size());
    HPDF_STATUS st =
        HPDF_ReadFromStream(doc.get(), reinterpret_cast<HPDF_BYTE*>(out.data()), &size);
    if (st != HPDF_OK && st != HPDF_STREAM_EOF) on_haru_error(st, 0, &errors);
    out.resize(size);
  }
  if (errors.first != HPDF_OK) {
    char code[48];
    std::snprintf(code, sizeof code, "0x%04X (detail %u)", static_cast<unsigned>(errors.first),
                  static_cast<unsigned>(errors.detail));
    return internal_error(std::string("access report: libharu error ") + code);
  }
  return out;
}

}  // namespace gw::auditreport
