#include "adapters/hl7/types.h"

#include <gtest/gtest.h>

#include <string>

#include "adapters/hl7/test_util.h"

namespace gw::hl7 {
namespace {

using testing::Msg;

TEST(TimestampTest, Precisions) {
  struct Case {
    const char* in;
    Precision p;
    const char* iso;
  } cases[] = {
      {"2024", Precision::kYear, "2024"},
      {"202403", Precision::kMonth, "2024-03"},
      {"20240315", Precision::kDay, "2024-03-15"},
      {"2024031510", Precision::kHour, "2024-03-15T10"},
      {"202403151030", Precision::kMinute, "2024-03-15T10:30"},
      {"20240315103005", Precision::kSecond, "2024-03-15T10:30:05"},
      {"20240315103005.1", Precision::kFraction, "2024-03-15T10:30:05.1"},
      {"20240315103005.1234", Precision::kFraction, "2024-03-15T10:30:05.1234"},
      {"20240315103005.1234-0500", Precision::kFraction, "2024-03-15T10:30:05.1234-05:00"},
      {"20240315103005+0100", Precision::kSecond, "2024-03-15T10:30:05+01:00"},
      {"202403151030+0000", Precision::kMinute, "2024-03-15T10:30+00:00"},
      {"20240315-0500", Precision::kDay, "2024-03-15"},  // no offset on a date
      {"20000229", Precision::kDay, "2000-02-29"},
      {"  20240315  ", Precision::kDay, "2024-03-15"},
      {"20240315235959+1400", Precision::kSecond, "2024-03-15T23:59:59+14:00"},
      {"20240315235959-1200", Precision::kSecond, "2024-03-15T23:59:59-12:00"},
  };
  for (const Case& c : cases) {
    Result<Timestamp> t = parse_timestamp(c.in);
    ASSERT_TRUE(t.ok()) << c.in << " " << t.error().to_string();
    EXPECT_EQ(t->precision, c.p) << c.in;
    EXPECT_EQ(t->to_iso8601(), c.iso) << c.in;
  }
  Result<Timestamp> t = parse_timestamp("20240315103005.12-0530");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->year, 2024);
  EXPECT_EQ(t->month, 3);
  EXPECT_EQ(t->day, 15);
  EXPECT_EQ(t->hour, 10);
  EXPECT_EQ(t->minute, 30);
  EXPECT_EQ(t->second, 5);
  EXPECT_EQ(t->fraction, "12");
  EXPECT_TRUE(t->has_offset);
  EXPECT_EQ(t->offset_minutes, -330);
  t = parse_timestamp("2024");
  EXPECT_FALSE(t->has_offset);
  EXPECT_EQ(t->month, 0);
}

TEST(TimestampTest, EmptyAndNull) {
  for (const char* s : {"", "\"\"", "   "}) {
    Result<Timestamp> t = parse_timestamp(s);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->precision, Precision::kNone);
    EXPECT_EQ(t->to_iso8601(), "");
  }
}

TEST(TimestampTest, Invalid) {
  for (const char* s : {"24",
                        "202",
                        "2024031",
                        "20241301",
                        "20240001",
                        "20240230",
                        "20230229",
                        "19000229",
                        "2024031524",
                        "202403151060",
                        "20240315105960",
                        "20240315.5",
                        "20240315103005.",
                        "20240315103005.1234567890",
                        "20240315103005.12a",
                        "20240315+01",
                        "20240315+1500",
                        "20240315-1300",
                        "20240315+0160",
                        "2024-03-15",
                        "20240315T1030",
                        "abcd",
                        "2024031510305",
                        "20240315103005+0100Z",
                        "+0100"}) {
    Result<Timestamp> t = parse_timestamp(s);
    EXPECT_FALSE(t.ok()) << s;
    if (!t.ok()) {
      EXPECT_EQ(t.error().code, ErrorCode::kDataType);
    }
  }
}

TEST(NumberTest, Valid) {
  struct Case {
    const char* in;
    const char* text;
    const char* fhir;
  } cases[] = {
      {"7.20", "7.20", "7.20"},
      {"-0.5", "-0.5", "-0.5"},
      {"+105.", "+105.", "105"},
      {".5", ".5", "0.5"},
      {"-.5", "-.5", "-0.5"},
      {"007", "007", "7"},
      {"000.010", "000.010", "0.010"},
      {" 42 ", "42", "42"},
      {"0", "0", "0"},
      {"-0", "-0", "-0"},
  };
  for (const Case& c : cases) {
    Result<Number> n = parse_number(c.in);
    ASSERT_TRUE(n.ok()) << c.in;
    EXPECT_EQ(n->text, c.text);
    EXPECT_EQ(n->fhir_decimal(), c.fhir);
  }
  EXPECT_EQ(parse_number("")->text, "");
  EXPECT_EQ(parse_number("\"\"")->fhir_decimal(), "");
}

TEST(NumberTest, Invalid) {
  for (const char* s : {"+", "-", ".", "1.2.3", "1e5", "1,5", "12a", "--1", "+-1", "1 2", "0x10",
                        "NaN", "Infinity"}) {
    EXPECT_FALSE(parse_number(s).ok()) << s;
  }
  EXPECT_FALSE(parse_number(std::string(65, '1')).ok());
  EXPECT_TRUE(parse_number(std::string(64, '1')).ok());
}

const std::string kMsg = Msg({
    R"(MSH|^~\&|A|B|C|D|20240315103005.1234-0500||ADT^A01|X|P|2.5.1)",
    R"(PID|1||100001^4^M11^HOSP&1.2.3&ISO^MR^FAC&2.3.4&ISO~999-00-1234^^^USSSA^SS||O\S\BRIEN&VAN&DER^EVE^E M^JR^DR^MD^L~^Evie^^^^^N||19800214|F|||1 MAIN ST&MAIN&1^APT 4B^ANYTOWN^MA^01234^USA^H^^MIDDLESEX||(617)555-1212^PRN^PH^^1^617^5551212^99^call evenings~^NET^Internet^eve@example.org)",
    R"(OBX|1|CWE|600-7^Bacteria^LN^STAU^Staph aureus^L^2023^1.0^Staph isolated||3092008^Staphylococcus aureus^SCT||||||F)",
    R"(OBX|2|NM|718-7^Hgb^LN||12.50|g/dL)",
    R"(OBX|3|NM|718-7^Hgb^LN||12,5|g/dL)",
    R"(OBX|4|TS|X^Y^L||20241301)",
    R"(OBX|5|CE|X^has \C2842\ escape^L)",
});

TEST(TypesTest, Cx) {
  ParseResult r = parse(kMsg);
  ASSERT_TRUE(r.ok());
  Result<CX> cx = read_cx(*r.message, "PID-3");
  ASSERT_TRUE(cx.ok());
  EXPECT_EQ(cx->id, "100001");
  EXPECT_EQ(cx->check_digit, "4");
  EXPECT_EQ(cx->check_digit_scheme, "M11");
  EXPECT_EQ(cx->assigning_authority.namespace_id, "HOSP");
  EXPECT_EQ(cx->assigning_authority.universal_id, "1.2.3");
  EXPECT_EQ(cx->assigning_authority.universal_id_type, "ISO");
  EXPECT_EQ(cx->identifier_type, "MR");
  EXPECT_EQ(cx->assigning_facility.namespace_id, "FAC");
  EXPECT_EQ(cx->assigning_facility.universal_id, "2.3.4");
  cx = read_cx(*r.message, "PID-3(2)");
  ASSERT_TRUE(cx.ok());
  EXPECT_EQ(cx->id, "999-00-1234");
  EXPECT_EQ(cx->assigning_authority.namespace_id, "USSSA");
  EXPECT_EQ(cx->identifier_type, "SS");
  cx = read_cx(*r.message, "PID-3(3)");
  ASSERT_TRUE(cx.ok());
  EXPECT_EQ(cx->id, "");
  // Looping over repetitions with Element.
  Element pid3 = r.message->element("PID-3").value();
  std::vector<std::string> ids;
  for (int i = 1; i <= pid3.child_count(); ++i) ids.push_back(read_cx(pid3.child(i))->id);
  EXPECT_EQ(ids, (std::vector<std::string>{"100001", "999-00-1234"}));
}

TEST(TypesTest, Hd) {
  ParseResult r = parse(kMsg);
  ASSERT_TRUE(r.ok());
  Result<HD> hd = read_hd(*r.message, "PID-3.4");
  ASSERT_TRUE(hd.ok());
  EXPECT_EQ(hd->namespace_id, "HOSP");
  EXPECT_EQ(hd->universal_id, "1.2.3");
  EXPECT_EQ(hd->universal_id_type, "ISO");
  hd = read_hd(*r.message, "MSH-4");
  EXPECT_EQ(hd->namespace_id, "B");
}

TEST(TypesTest, Xpn) {
  ParseResult r = parse(kMsg);
  ASSERT_TRUE(r.ok());
  Result<XPN> n = read_xpn(*r.message, "PID-5");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->family, "O^BRIEN");
  EXPECT_EQ(n->given, "EVE");
  EXPECT_EQ(n->middle, "E M");
  EXPECT_EQ(n->suffix, "JR");
  EXPECT_EQ(n->prefix, "DR");
  EXPECT_EQ(n->degree, "MD");
  EXPECT_EQ(n->name_type, "L");
  n = read_xpn(*r.message, "PID-5(2)");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->family, "");
  EXPECT_EQ(n->given, "Evie");
  EXPECT_EQ(n->name_type, "N");
}

TEST(TypesTest, Xad) {
  ParseResult r = parse(kMsg);
  ASSERT_TRUE(r.ok());
  Result<XAD> a = read_xad(*r.message, "PID-11");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->street, "1 MAIN ST");
  EXPECT_EQ(a->other_designation, "APT 4B");
  EXPECT_EQ(a->city, "ANYTOWN");
  EXPECT_EQ(a->state, "MA");
  EXPECT_EQ(a->postal_code, "01234");
  EXPECT_EQ(a->country, "USA");
  EXPECT_EQ(a->address_type, "H");
  EXPECT_EQ(a->other_geographic, "");
  EXPECT_EQ(a->county, "MIDDLESEX");
}

TEST(TypesTest, Xtn) {
  ParseResult r = parse(kMsg);
  ASSERT_TRUE(r.ok());
  Result<XTN> t = read_xtn(*r.message, "PID-13");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->formatted, "(617)555-1212");
  EXPECT_EQ(t->use_code, "PRN");
  EXPECT_EQ(t->equipment_type, "PH");
  EXPECT_EQ(t->country_code, "1");
  EXPECT_EQ(t->area_code, "617");
  EXPECT_EQ(t->local_number, "5551212");
  EXPECT_EQ(t->extension, "99");
  EXPECT_EQ(t->any_text, "call evenings");
  t = read_xtn(*r.message, "PID-13(2)");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->use_code, "NET");
  EXPECT_EQ(t->email, "eve@example.org");
}

TEST(TypesTest, Cwe) {
  ParseResult r = parse(kMsg);
  ASSERT_TRUE(r.ok());
  Result<CWE> c = read_cwe(*r.message, "OBX-3");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->identifier, "600-7");
  EXPECT_EQ(c->text, "Bacteria");
  EXPECT_EQ(c->coding_system, "LN");
  EXPECT_EQ(c->alternate_identifier, "STAU");
  EXPECT_EQ(c->alternate_text, "Staph aureus");
  EXPECT_EQ(c->alternate_coding_system, "L");
  EXPECT_EQ(c->coding_system_version, "2023");
  EXPECT_EQ(c->alternate_coding_system_version, "1.0");
  EXPECT_EQ(c->original_text, "Staph isolated");
  c = read_cwe(*r.message, "OBX(1)-5");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->identifier, "3092008");
  EXPECT_EQ(c->coding_system, "SCT");
  // An ISO 2022 escape makes the value unreadable, located at the path.
  c = read_cwe(*r.message, "OBX(5)-3");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kDataType);
  EXPECT_EQ(c.error().where.segment_id, "OBX");
  EXPECT_EQ(c.error().where.segment_sequence, 5);
  EXPECT_EQ(c.error().where.field, 3);
}

TEST(TypesTest, NumbersAndTimestampsFromMessage) {
  ParseResult r = parse(kMsg);
  ASSERT_TRUE(r.ok());
  Result<Number> n = read_number(*r.message, "OBX(2)-5");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->text, "12.50");
  n = read_number(*r.message, "OBX(3)-5");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().where.segment_sequence, 3);
  EXPECT_EQ(n.error().where.field, 5);
  n = read_number(*r.message, "OBX(9)-5");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->text, "");
  Result<Timestamp> t = read_timestamp(*r.message, "MSH-7");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->to_iso8601(), "2024-03-15T10:30:05.1234-05:00");
  t = read_timestamp(*r.message, "PID-7");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->to_iso8601(), "1980-02-14");
  t = read_timestamp(*r.message, "OBX(4)-5");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().where.field, 5);
  EXPECT_FALSE(read_timestamp(*r.message, "bad path").ok());
  EXPECT_FALSE(read_cx(*r.message, "PID").ok());
}

TEST(TypesTest, TsWithDegreeOfPrecision) {
  Delimiters d;
  Element ts("200403^M", Element::Level::kField, d, Charset::kAscii);
  Result<Timestamp> t = read_timestamp(ts);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->precision, Precision::kMonth);
}

}  // namespace
}  // namespace gw::hl7
