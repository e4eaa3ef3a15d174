#include "adapters/hl7/error.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace gw::hl7 {

const char* error_code_text(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMessageAccepted:
      return "Message accepted";
    case ErrorCode::kSegmentSequence:
      return "Segment sequence error";
    case ErrorCode::kRequiredFieldMissing:
      return "Required field missing";
    case ErrorCode::kDataType:
      return "Data type error";
    case ErrorCode::kTableValueNotFound:
      return "Table value not found";
    case ErrorCode::kValueTooLong:
      return "Value too long";
    case ErrorCode::kUnsupportedMessageType:
      return "Unsupported message type";
    case ErrorCode::kUnsupportedEventCode:
      return "Unsupported event code";
    case ErrorCode::kUnsupportedProcessingId:
      return "Unsupported processing id";
    case ErrorCode::kUnsupportedVersionId:
      return "Unsupported version id";
    case ErrorCode::kUnknownKeyIdentifier:
      return "Unknown key identifier";
    case ErrorCode::kDuplicateKeyIdentifier:
      return "Duplicate key identifier";
    case ErrorCode::kApplicationRecordLocked:
      return "Application record locked";
    case ErrorCode::kApplicationInternalError:
      return "Application internal error";
  }
  return "Application internal error";
}

namespace {

// Segment ids defined by HL7 v2.1 through v2.9 (sorted for binary search).
// Kept as one string of 3-letter ids so the table costs no static init.
constexpr std::string_view kStandardIds =
    "ABSACCADDADJAFFAIGAILAIPAISAL1APRARQARVAUTBHSBLCBLGBPOBPXBTSBTXBUICDMCDOCERCM0CM1CM2CNS"
    "CONCSPCSRCSSCTDCTIDB1DG1DMIDONDRGDSCDSPECDECREDUEQLEQPEQUERQERRESQEVNFACFHSFT1FTSGOLGP1"
    "GP2GT1IAMIIMILTIN1IN2IN3INVIPCIPRISDITMIVCIVTLANLCCLCHLDPLOCLRLMFAMFEMFIMRGMSAMSHNCKNDS"
    "NK1NPUNSCNSTNTEOBROBXODSODTOM1OM2OM3OM4OM5OM6OM7ORCORGOVRPACPCEPCRPD1PDAPDCPEOPESPIDPKG"
    "PMTPR1PRAPRBPRCPRDPRTPSGPSHPTHPV1PV2PYEQAKQIDQPDQRDQRFQRIRCPRDFRDTRELRF1RFIRGSRMIROLRQ1"
    "RQDRXARXCRXDRXERXGRXORXRRXVSACSCDSCHSCPSDDSFTSGHSGTSHPSIDSLTSPMSPRSTFSTZTCCTCDTQ1TQ2TXA"
    "UACUB1UB2URDURSVARVNDVTQ";

bool IsIdChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

bool is_valid_segment_id(std::string_view id) {
  return id.size() == 3 && id[0] >= 'A' && id[0] <= 'Z' && IsIdChar(id[1]) && IsIdChar(id[2]);
}

bool is_reportable_segment_id(std::string_view id) {
  if (!is_valid_segment_id(id)) return false;
  if (id[0] == 'Z') return true;
  size_t lo = 0, hi = kStandardIds.size() / 3;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = kStandardIds.substr(mid * 3, 3).compare(id);
    if (c == 0) return true;
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return false;
}

std::string ErrorLocation::to_string() const {
  std::string out;
  if (!segment_id.empty()) {
    out = segment_id;
    if (segment_sequence > 0) out += "(" + std::to_string(segment_sequence) + ")";
  } else if (segment_index > 0) {
    out = "segment #" + std::to_string(segment_index);
  }
  if (field > 0) {
    out += "-" + std::to_string(field);
    if (repetition > 0) out += "(" + std::to_string(repetition) + ")";
    if (component > 0) {
      out += "." + std::to_string(component);
      if (subcomponent > 0) out += "." + std::to_string(subcomponent);
    }
  }
  return out;
}

std::string Error::to_string() const {
  std::string out = where.to_string();
  if (!out.empty()) out += ": ";
  out += error_code_text(code);
  out += " (" + std::to_string(static_cast<int>(code)) + ")";
  if (!detail.empty()) out += ": " + detail;
  return out;
}

}  // namespace gw::hl7
