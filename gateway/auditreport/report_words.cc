#include "gateway/auditreport/report_words.h"

#include <array>
#include <cinttypes>
#include <cstdio>
#include <utility>

namespace gw::auditreport {
namespace {

// Days since 1970-01-01 -> civil date (H. Hinnant's days_from_civil inverse),
// exact for every int64 day count a millisecond time can give.
void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0);
}

// HL7 v3 PurposeOfUse (2.16.840.1.113883.1.11.20448) in words a patient reads.
constexpr std::array<std::pair<std::string_view, std::string_view>, 24> kPurposes = {{
    {"TREAT", "treatment"},
    {"ETREAT", "emergency treatment"},
    {"BTG", "break the glass"},
    {"HPAYMT", "payment"},
    {"HOPERAT", "healthcare operations"},
    {"HRESCH", "research"},
    {"CLINTRL", "clinical trial"},
    {"PUBHLTH", "public health"},
    {"PATRQT", "your own request"},
    {"FAMRQT", "family request"},
    {"PWATRNY", "power of attorney"},
    {"SUPNWK", "support network"},
    {"COC", "coordination of care"},
    {"CAREMGT", "care management"},
    {"HMARKT", "marketing"},
    {"HSYSADMIN", "system administration"},
    {"HLEGAL", "legal"},
    {"HACCRED", "accreditation"},
    {"HCOMPL", "compliance"},
    {"HQUALIMP", "quality improvement"},
    {"COVERAGE", "coverage"},
    {"FRAUD", "fraud investigation"},
    {"DISASTER", "disaster relief"},
    {"TRAIN", "training"},
}};

// Windows-1252 bytes 0x80..0x9F and the code points they stand for (0 where
// the byte is undefined).
constexpr std::array<uint16_t, 32> kCp1252High = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

char winansi_byte(uint32_t cp) {
  if (cp >= 0x20 && cp < 0x7F) return static_cast<char>(cp);
  if (cp >= 0xA0 && cp <= 0xFF) return static_cast<char>(cp);
  for (size_t i = 0; i < kCp1252High.size(); ++i)
    if (kCp1252High[i] != 0 && kCp1252High[i] == cp) return static_cast<char>(0x80 + i);
  return '?';
}

}  // namespace

std::string utc_time(int64_t ms) {
  // Floor division, so times before 1970 land on the right second.
  int64_t secs = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
  int64_t days = secs / 86400 - (secs % 86400 < 0 ? 1 : 0);
  const int64_t sod = secs - days * 86400;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, &y, &m, &d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02dZ", y, m, d,
                static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60),
                static_cast<int>(sod % 60));
  return buf;
}

std::string actor_words(const audit::Actor& actor) {
  switch (actor.kind) {
    case audit::ActorKind::kClient:
      return "client " + actor.id;
    case audit::ActorKind::kOperator:
      return "operator (gatewayctl)";
    case audit::ActorKind::kMember:
      return "member " + actor.id;
    case audit::ActorKind::kAnonymous:
      return "anonymous";
  }
  return "unknown";
}

std::string action_words(audit::Action action, std::string_view resource_type) {
  using audit::Action;
  std::string_view words = "unknown action";
  bool names_type = true;  // whether "(Type)" makes sense after it
  switch (action) {
    case Action::kRead:
      words = "read a record";
      break;
    case Action::kVread:
      words = "read an earlier version";
      break;
    case Action::kSearch:
      words = "searched records";
      break;
    case Action::kCreate:
      words = "added a record";
      break;
    case Action::kUpdate:
      words = "changed a record";
      break;
    case Action::kDelete:
      words = "deleted a record";
      break;
    case Action::kTransactionEntry:
      words = "wrote a record in a batch";
      break;
    case Action::kExport:
      words = "exported records";
      break;
    case Action::kConsentChange:
      words = "changed a consent";
      break;
    case Action::kTransferSent:
      words = "sent a transfer";
      names_type = false;
      break;
    case Action::kTransferReceived:
      words = "received a transfer";
      names_type = false;
      break;
    case Action::kTransferRefused:
      words = "refused a transfer";
      names_type = false;
      break;
    case Action::kEmergencyAccess:
      words = "emergency access";
      break;
    case Action::kAdmin:
      words = "administration";
      names_type = false;
      break;
    case Action::kAttestation:
      words = "attestation";
      names_type = false;
      break;
    case Action::kConfigLoad:
      words = "configuration loaded";
      names_type = false;
      break;
    case Action::kAuthFailure:
      words = "failed sign-in";
      names_type = false;
      break;
    case Action::kOperation:
      words = "asked for an operation";
      break;
  }
  std::string out(words);
  if (names_type && !resource_type.empty()) {
    out += " (";
    out += resource_type;
    out += ')';
  }
  return out;
}

std::string purpose_words(std::string_view code) {
  if (code.empty()) return "not stated";
  for (const auto& [c, words] : kPurposes)
    if (c == code) return std::string(words);
  return std::string(code);
}

std::string outcome_words(const audit::Outcome& outcome) {
  std::string out;
  switch (outcome.kind) {
    case audit::OutcomeKind::kSuccess:
      out = "allowed";
      break;
    case audit::OutcomeKind::kRefused:
      out = "refused";
      break;
    case audit::OutcomeKind::kFailed:
      out = "failed";
      break;
    default:
      out = "unknown";
      break;
  }
  if (outcome.http_status > 0) out += " (" + std::to_string(outcome.http_status) + ")";
  return out;
}

bool is_emergency(const audit::AuditEntry& entry) {
  return entry.action == audit::Action::kEmergencyAccess || entry.purpose == "ETREAT" ||
         entry.purpose == "BTG";
}

std::string to_winansi(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t len = b < 0x80             ? 1
                 : (b & 0xE0) == 0xC0 ? 2
                 : (b & 0xF0) == 0xE0 ? 3
                 : (b & 0xF8) == 0xF0 ? 4
                                      : 0;
    uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    bool valid = len != 0 && i + len <= s.size();
    for (size_t k = 1; valid && k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (c & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid too.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (valid && (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) valid = false;
    if (!valid) {
      out.push_back('?');
      ++i;  // resynchronize on the next byte
      continue;
    }
    out.push_back(winansi_byte(cp));
    i += len;
  }
  return out;
}

}  // namespace gw::auditreport
