// Typed readers for the HL7 v2 data types mappers need most.
//
// Each reader takes an Element (a field, meaning its first repetition, or a
// repetition; HD and CWE also accept a component, reading subcomponents) or a
// Message and path ("PID-3(2)"). Absent and null elements read as empty
// values, not errors; malformed values are kDataType errors. Strings are
// decoded UTF-8; an ISO 2022 escape anywhere in the value is an error (see
// Element::text()).
#pragma once

#include <string>
#include <string_view>

#include "adapters/hl7/er7.h"

namespace gw::hl7 {

// ---- DTM / TS --------------------------------------------------------------

enum class Precision : unsigned char {
  kNone,  // absent or null
  kYear,
  kMonth,
  kDay,
  kHour,
  kMinute,
  kSecond,
  kFraction,
};

// A DTM value as sent: YYYY[MM[DD[HH[MM[SS[.S...]]]]]][+/-ZZZZ]. Precision
// is meaning (a birth date known to the month is not the first of the month),
// so fields below `precision` are 0 and are never invented.
struct Timestamp {
  Precision precision = Precision::kNone;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::string fraction;  // digits after the decimal point (1..9), as sent
  bool has_offset = false;
  int offset_minutes = 0;  // east of UTC; -0500 is -300

  // ISO 8601 with the same precision: "2024", "2024-03", "2024-03-15",
  // "2024-03-15T10", "2024-03-15T10:30", "2024-03-15T10:30:05",
  // "2024-03-15T10:30:05.1234", then "+01:00"/"-05:00" when an offset was
  // sent. The offset is only written with a time (ISO 8601 has no offset for
  // a date); it stays available in has_offset/offset_minutes. Note FHIR
  // dateTime needs at least minutes and an offset once a time is present:
  // deciding how to complete a value is the mapper's policy, not this parser's.
  // Empty for kNone.
  std::string to_iso8601() const;
};

// Parses DTM text. Calendar checked (month 1-12, day within the month with
// leap years, hour < 24, minute and second < 60; offset within -12:59..+14:59).
Result<Timestamp> parse_timestamp(std::string_view dtm);
// TS (v2.5 and earlier: DTM ^ degree of precision) or DTM: reads part(1).
Result<Timestamp> read_timestamp(const Element& e);
Result<Timestamp> read_timestamp(const Message& m, std::string_view path);

// ---- NM --------------------------------------------------------------------

// NM kept as exact decimal text: precision ("1.50") is meaning.
struct Number {
  std::string text;  // as sent, surrounding spaces removed; empty if absent

  // The same value in FHIR decimal syntax: no '+', no leading zeros before
  // the integer digit, "0." added before a bare fraction, a trailing '.'
  // dropped; trailing fractional zeros kept. Empty when text is empty.
  std::string fhir_decimal() const;
};

// NM: optional sign, digits with at most one decimal point, at least one
// digit; at most 64 characters. No exponent (HL7 NM has none).
Result<Number> parse_number(std::string_view nm);
Result<Number> read_number(const Element& e);
Result<Number> read_number(const Message& m, std::string_view path);

// ---- Composites ------------------------------------------------------------

// HD is declared in er7.h (Header uses it).
struct CX {
  std::string id;                  // CX.1
  std::string check_digit;         // CX.2
  std::string check_digit_scheme;  // CX.3
  HD assigning_authority;          // CX.4 (subcomponents)
  std::string identifier_type;     // CX.5 (table 0203: MR, SS, ...)
  HD assigning_facility;           // CX.6
};

struct XPN {
  std::string family;     // XPN.1.1 (surname of FN)
  std::string given;      // XPN.2
  std::string middle;     // XPN.3 (second and further given names or initials)
  std::string suffix;     // XPN.4
  std::string prefix;     // XPN.5
  std::string degree;     // XPN.6
  std::string name_type;  // XPN.7 (table 0200: L, D, ...)
};

// CE (v2.5 and earlier) and CWE share the first six components.
struct CWE {
  std::string identifier, text, coding_system;                                // .1 .2 .3
  std::string alternate_identifier, alternate_text, alternate_coding_system;  // .4 .5 .6
  std::string coding_system_version, alternate_coding_system_version;         // .7 .8 (CWE)
  std::string original_text;                                                  // .9 (CWE)
};

struct XAD {
  std::string street;             // XAD.1.1
  std::string other_designation;  // XAD.2
  std::string city;               // XAD.3
  std::string state;              // XAD.4
  std::string postal_code;        // XAD.5
  std::string country;            // XAD.6
  std::string address_type;       // XAD.7 (table 0190)
  std::string other_geographic;   // XAD.8
  std::string county;             // XAD.9
};

struct XTN {
  std::string formatted;       // XTN.1 (deprecated free-form number)
  std::string use_code;        // XTN.2 (table 0201: PRN, WPN, NET, ...)
  std::string equipment_type;  // XTN.3 (table 0202: PH, CP, Internet, ...)
  std::string email;           // XTN.4
  std::string country_code;    // XTN.5
  std::string area_code;       // XTN.6
  std::string local_number;    // XTN.7
  std::string extension;       // XTN.8
  std::string any_text;        // XTN.9
};

Result<HD> read_hd(const Element& e);
Result<CX> read_cx(const Element& e);
Result<XPN> read_xpn(const Element& e);
Result<CWE> read_cwe(const Element& e);
Result<XAD> read_xad(const Element& e);
Result<XTN> read_xtn(const Element& e);

Result<HD> read_hd(const Message& m, std::string_view path);
Result<CX> read_cx(const Message& m, std::string_view path);
Result<XPN> read_xpn(const Message& m, std::string_view path);
Result<CWE> read_cwe(const Message& m, std::string_view path);
Result<XAD> read_xad(const Message& m, std::string_view path);
Result<XTN> read_xtn(const Message& m, std::string_view path);

}  // namespace gw::hl7
