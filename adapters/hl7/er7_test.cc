#include "adapters/hl7/er7.h"

#include <gtest/gtest.h>

#include <string>

#include "adapters/hl7/test_util.h"

namespace gw::hl7 {
namespace {

using testing::Msg;

const std::string kAdt = Msg({
    R"(MSH|^~\&|SENDAPP^1.2.3^ISO|SENDFAC|RECVAPP|RECVFAC|20240315103005-0500||ADT^A01^ADT_A01|CTRL001|P|2.5.1|42||AL|NE|USA)",
    R"(EVN|A01|20240315103000)",
    R"(PID|1||100001^^^HOSP&1.2.3&ISO^MR~999-00-1234^^^USSSA^SS||EVERYWOMAN^EVE^E^JR||19800214|F|||""|||x&y&z)",
    R"(NK1|1|EVERYMAN^ADAM)",
    R"(NK1|2|EVERYCHILD^ABEL)",
    R"(OBX|1|NM|A^a^L||7.2)",
    R"(OBX|2|ST|B^b^L||text)",
    R"(OBX|3|ST|C^c^L||third|||)",
});

ParseResult MustParse(std::string_view text, const ParseOptions& o = {}) {
  ParseResult r = parse(text, o);
  EXPECT_TRUE(r.ok());
  for (const Error& e : r.errors) ADD_FAILURE() << e.to_string();
  return r;
}

TEST(Er7Test, HeaderFields) {
  ParseResult r = MustParse(kAdt);
  ASSERT_TRUE(r.header);
  const Header& h = r.message->header();
  EXPECT_EQ(h.sending_application, "SENDAPP^1.2.3^ISO");
  EXPECT_EQ(h.sending_application_hd.namespace_id, "SENDAPP");
  EXPECT_EQ(h.sending_application_hd.universal_id, "1.2.3");
  EXPECT_EQ(h.sending_application_hd.universal_id_type, "ISO");
  EXPECT_EQ(h.sending_facility, "SENDFAC");
  EXPECT_EQ(h.receiving_application, "RECVAPP");
  EXPECT_EQ(h.receiving_facility, "RECVFAC");
  EXPECT_EQ(h.timestamp, "20240315103005-0500");
  EXPECT_EQ(h.message_code, "ADT");
  EXPECT_EQ(h.trigger_event, "A01");
  EXPECT_EQ(h.message_structure, "ADT_A01");
  EXPECT_EQ(h.control_id, "CTRL001");
  EXPECT_EQ(h.processing_id, "P");
  EXPECT_EQ(h.version_id, "2.5.1");
  EXPECT_EQ(h.sequence_number, "42");
  EXPECT_EQ(h.accept_ack_type, "AL");
  EXPECT_EQ(h.application_ack_type, "NE");
  EXPECT_TRUE(h.enhanced_ack_mode());
  EXPECT_TRUE(h.version_at_least(2, 5));
  EXPECT_FALSE(h.version_at_least(2, 6));
  EXPECT_TRUE(h.version_at_least(1, 9));
  EXPECT_EQ(h.charset, "");
  EXPECT_EQ(r.header->control_id, "CTRL001");
}

TEST(Er7Test, MshSpecialFields) {
  ParseResult r = MustParse(kAdt);
  const Message& m = *r.message;
  EXPECT_EQ(m.get("MSH-1"), "|");
  EXPECT_EQ(m.get("MSH-2"), "^~\\&");
  EXPECT_EQ(m.raw("MSH-2"), "^~\\&");
  EXPECT_EQ(m.get("MSH-2.2"), "");  // verbatim: one component, never split
  EXPECT_EQ(m.get("MSH-3"), "SENDAPP");
  EXPECT_EQ(m.get("MSH-3.2"), "1.2.3");
  EXPECT_EQ(m.get("MSH-9.2"), "A01");
  EXPECT_EQ(m.get("MSH-12"), "2.5.1");
  EXPECT_EQ(m.segment(0).field_count(), 17);
  EXPECT_EQ(m.segment(0).field(1).raw(), "|");
}

TEST(Er7Test, PathForms) {
  ParseResult r = MustParse(kAdt);
  const Message& m = *r.message;
  EXPECT_EQ(m.get("PID-5"), "EVERYWOMAN");  // defaults to .1
  EXPECT_EQ(m.get("PID-5.1"), "EVERYWOMAN");
  EXPECT_EQ(m.get("PID-5.2"), "EVE");
  EXPECT_EQ(m.get("PID-5.4"), "JR");
  EXPECT_EQ(m.get("PID-5.5"), "");
  EXPECT_EQ(m.get("PID-3(2).1"), "999-00-1234");
  EXPECT_EQ(m.get("PID-3(2).5"), "SS");
  EXPECT_EQ(m.get("PID-3(1).4.2"), "1.2.3");
  EXPECT_EQ(m.get("PID-3.4.1"), "HOSP");
  EXPECT_EQ(m.get("PID-3.4"), "HOSP");
  EXPECT_EQ(m.get("PID-3(3).1"), "");
  EXPECT_EQ(m.get("NK1(2)-2.1"), "EVERYCHILD");
  EXPECT_EQ(m.get("NK1-2.2"), "ADAM");
  EXPECT_EQ(m.get("OBX(3)-5"), "third");
  EXPECT_EQ(m.get("OBX(4)-5"), "");
  EXPECT_EQ(m.get("PID(1)-8"), "F");
  EXPECT_EQ(m.get("ZZZ-1"), "");
  EXPECT_EQ(m.get("PID-99"), "");
  EXPECT_EQ(m.get("PID-14.1.3"), "z");
}

TEST(Er7Test, RawAccess) {
  ParseResult r = MustParse(kAdt);
  const Message& m = *r.message;
  EXPECT_EQ(m.raw("PID-3"), "100001^^^HOSP&1.2.3&ISO^MR~999-00-1234^^^USSSA^SS");
  EXPECT_EQ(m.raw("PID-3(1)"), "100001^^^HOSP&1.2.3&ISO^MR");
  EXPECT_EQ(m.raw("PID-3(1).4"), "HOSP&1.2.3&ISO");
  EXPECT_EQ(m.raw("PID-3.4.3"), "ISO");
  EXPECT_EQ(m.raw("NK1(2)"), "NK1|2|EVERYCHILD^ABEL");
  EXPECT_EQ(m.raw("PID-99"), "");
  EXPECT_EQ(m.raw("bogus"), "");
}

TEST(Er7Test, NullVersusEmpty) {
  ParseResult r = MustParse(kAdt);
  const Message& m = *r.message;
  EXPECT_TRUE(m.is_null("PID-11"));
  EXPECT_FALSE(m.is_present("PID-11"));
  EXPECT_EQ(m.get("PID-11"), "");
  EXPECT_FALSE(m.is_null("PID-10"));
  EXPECT_FALSE(m.is_present("PID-10"));
  EXPECT_TRUE(m.is_present("PID-8"));
  Result<Value> v = m.value("PID-11");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->state, ValueState::kNull);
  v = m.value("PID-10");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->state, ValueState::kAbsent);
  v = m.value("PID-8");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->state, ValueState::kValue);
  EXPECT_EQ(v->text, "F");
  // A null component.
  const std::string text2 = Msg({"MSH|^~\\&|A|B|C|D|1||ADT^A08|X|P|2.5", R"(PID|1||""^x)"});
  ParseResult r2 = MustParse(text2);
  EXPECT_TRUE(r2.message->is_null("PID-3.1"));
  EXPECT_TRUE(r2.message->is_null("PID-3"));  // defaulted to PID-3(1).1.1
  EXPECT_TRUE(r2.message->is_present("PID-3.2"));
}

TEST(Er7Test, Iteration) {
  ParseResult r = MustParse(kAdt);
  const Message& m = *r.message;
  EXPECT_EQ(m.segment_count(), 8u);
  EXPECT_EQ(m.count("OBX"), 3);
  EXPECT_EQ(m.count("NK1"), 2);
  EXPECT_EQ(m.count("ZZZ"), 0);
  std::vector<std::string> values;
  for (SegmentView obx : m.segments("OBX")) values.push_back(obx.get(5));
  EXPECT_EQ(values, (std::vector<std::string>{"7.2", "text", "third"}));
  std::vector<std::string> ids;
  for (SegmentView s : m.segments()) ids.emplace_back(s.id());
  EXPECT_EQ(ids,
            (std::vector<std::string>{"MSH", "EVN", "PID", "NK1", "NK1", "OBX", "OBX", "OBX"}));
  EXPECT_EQ(m.repetition_count("PID-3"), 2);
  EXPECT_EQ(m.repetition_count("PID-5"), 1);
  EXPECT_EQ(m.repetition_count("PID-10"), 0);
  EXPECT_EQ(m.repetition_count("ZZZ-1"), 0);
  Element pid3 = m.element("PID-3").value();
  ASSERT_EQ(pid3.child_count(), 2);
  EXPECT_EQ(pid3.child(2).part(1).text_or_empty(), "999-00-1234");
  SegmentView obx3 = m.segments("OBX")[2];
  EXPECT_EQ(obx3.sequence(), 3);
  EXPECT_EQ(obx3.index(), 7u);
  EXPECT_EQ(obx3.field_count(), 8);  // trailing empty fields count
  EXPECT_EQ(obx3.get(3, 1, 2), "c");
  EXPECT_EQ(obx3.value(5).text, "third");
  EXPECT_EQ(obx3.at(3).child_count(), 1);
  EXPECT_EQ(obx3.at(3, 1).child_count(), 3);
  EXPECT_EQ(m.find("NK1", 2)->get(2, 1, 1), "EVERYCHILD");
  EXPECT_FALSE(m.find("NK1", 3));
}

TEST(Er7Test, InvalidPaths) {
  ParseResult r = MustParse(kAdt);
  const Message& m = *r.message;
  for (const char* bad : {"", "PI", "pid-5", "PID-", "PID-0", "PID-5.", "PID-5.1.", "PID-5.0",
                          "PID(0)-5", "PID(-1)-5", "PID-3(0)", "PID-3()", "PID-3(1", "PID-5.1.1.1",
                          "PID-5x", "PID-1234567890", "PID 5", "PID-5..1", "1ID-5"}) {
    EXPECT_FALSE(Path::parse(bad).ok()) << bad;
    EXPECT_EQ(m.get(bad), "") << bad;
    EXPECT_FALSE(m.value(bad).ok()) << bad;
    EXPECT_FALSE(m.is_present(bad)) << bad;
    EXPECT_EQ(m.repetition_count(bad), 0) << bad;
  }
  EXPECT_FALSE(m.element("PID").ok());  // element() needs a field
  EXPECT_TRUE(Path::parse("PID").ok());
  Result<Path> p = Path::parse("OBX(12)-5(3).2.1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(std::string(p->segment), "OBX");
  EXPECT_EQ(p->occurrence, 12);
  EXPECT_EQ(p->field, 5);
  EXPECT_EQ(p->repetition, 3);
  EXPECT_EQ(p->component, 2);
  EXPECT_EQ(p->subcomponent, 1);
  EXPECT_TRUE(Path::parse("ZP1-1").ok());
}

TEST(Er7Test, LineEndings) {
  std::string base = "MSH|^~\\&|A|B|C|D|1||ADT^A08|X|P|2.5";
  for (std::string sep : {"\r", "\n", "\r\n", "\r\r", "\n\n"}) {
    std::string text = "\r\n" + base + sep + "PID|1||123" + sep + "PV1|1|I" + sep;
    ParseResult r = MustParse(text);
    ASSERT_TRUE(r.message);
    EXPECT_EQ(r.message->segment_count(), 3u);
    EXPECT_EQ(r.message->get("PID-3"), "123");
    EXPECT_EQ(r.message->get("PV1-2"), "I");
  }
  // No final terminator.
  const std::string unterminated = base + "\rPID|1||123";
  ParseResult r = MustParse(unterminated);
  EXPECT_EQ(r.message->get("PID-3"), "123");
}

TEST(Er7Test, NonDefaultDelimiters) {
  std::string text = Msg({"MSH#!@$%#APP!1.2!ISO#FAC#R#RF#2024##ORU!R01#ID9#P#2.5",
                          "PID#1##A1!!!AUTH%2.3%ISO!MR@B2#|^~\\&#X$F$Y$S$Z$R$W$E$V$T$U"});
  ParseResult r = MustParse(text);
  const Message& m = *r.message;
  EXPECT_EQ(m.delimiters().field, '#');
  EXPECT_EQ(m.delimiters().component, '!');
  EXPECT_EQ(m.delimiters().repetition, '@');
  EXPECT_EQ(m.delimiters().escape, '$');
  EXPECT_EQ(m.delimiters().subcomponent, '%');
  EXPECT_EQ(m.get("MSH-1"), "#");
  EXPECT_EQ(m.get("MSH-2"), "!@$%");
  EXPECT_EQ(m.header().sending_application_hd.universal_id, "1.2");
  EXPECT_EQ(m.header().trigger_event, "R01");
  EXPECT_EQ(m.get("PID-3(1).4.2"), "2.3");
  EXPECT_EQ(m.get("PID-3(2)"), "B2");
  EXPECT_EQ(m.get("PID-4"), "|^~\\&");
  EXPECT_EQ(m.get("PID-5"), "X#Y!Z@W$V%U");
}

TEST(Er7Test, TruncationCharacter) {
  const std::string text = Msg({"MSH|^~\\&#|A|B|C|D|1||ADT^A08|X|P|2.7", "NTE|1||cut\\P\\#"});
  ParseResult r = MustParse(text);
  EXPECT_EQ(r.message->delimiters().truncation, '#');
  EXPECT_EQ(r.message->get("MSH-2"), "^~\\&#");
  EXPECT_EQ(r.message->get("NTE-3"), "cut##");
  EXPECT_EQ(r.message->header().control_id, "X");
}

TEST(Er7Test, RejectsBadDelimiters) {
  for (const char* bad :
       {"MSH|^^\\&|A", "MSH|^~\\|A", "MSHA^~\\&A", "MSH|^~\\&&|A", "MSH|^~1&|A", "MSH|^~\\&ab|A",
        "MSH\r^~\\&|", "MSH| ~\\&|A", "MSH|^~\\", "MSH", "MSH|^~\\&#!|A", "MSH|^~\\\xC3&|A"}) {
    ParseResult r = parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_FALSE(r.header) << bad;
    ASSERT_EQ(r.errors.size(), 1u) << bad;
    EXPECT_EQ(r.errors[0].code, ErrorCode::kDataType) << bad;
    EXPECT_EQ(r.errors[0].where.field, 2);
  }
}

TEST(Er7Test, RejectsMissingMsh) {
  for (const char* bad : {"", "\r\n", "PID|1", "MS", "msh|^~\\&|", " MSH|^~\\&|A"}) {
    ParseResult r = parse(bad);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.header);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].code, ErrorCode::kSegmentSequence);
  }
}

TEST(Er7Test, RequiredHeaderFields) {
  ParseResult r = parse(Msg({"MSH|^~\\&|A|B|C|D|1||||"}));
  EXPECT_FALSE(r.ok());
  ASSERT_TRUE(r.header);
  ASSERT_EQ(r.errors.size(), 3u);
  for (const Error& e : r.errors) {
    EXPECT_EQ(e.code, ErrorCode::kRequiredFieldMissing);
    EXPECT_EQ(e.where.segment_id, "MSH");
  }
  EXPECT_EQ(r.errors[0].where.field, 9);
  EXPECT_EQ(r.errors[1].where.field, 10);
  EXPECT_EQ(r.errors[2].where.field, 11);
  // An empty MSH-12 is read as kAssumedVersion, with a warning.
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].where.field, 12);
  EXPECT_EQ(r.warnings[0].severity, Severity::kWarning);
  ParseResult no_version = parse(Msg({"MSH|^~\\&|A|B|C|D|1||ADT^A08|X1|P|", "PID|1||7^^^H"}));
  EXPECT_TRUE(no_version.ok());
  ASSERT_EQ(no_version.warnings.size(), 1u);
  EXPECT_NE(no_version.warnings[0].detail.find("read as HL7 v2.5.1"), std::string::npos);
  ParseOptions lenient;
  lenient.require_header_fields = false;
  EXPECT_TRUE(parse(Msg({"MSH|^~\\&|A|B|C|D|1||||"}), lenient).ok());
}

TEST(Er7Test, SegmentIdErrors) {
  ParseResult r = parse(Msg({"MSH|^~\\&|A|B|C|D|1||ADT^A08|X|P|2.5", "PID|1", "pv1|1", "AB|1",
                             "ABCD|1", "free text line", "PV1"}));
  EXPECT_FALSE(r.ok());
  ASSERT_TRUE(r.header);
  ASSERT_EQ(r.errors.size(), 4u);
  for (const Error& e : r.errors) {
    EXPECT_EQ(e.code, ErrorCode::kSegmentSequence);
    EXPECT_EQ(e.where.segment_id, "");  // never echoed: it may be content
  }
  EXPECT_EQ(r.errors[0].where.segment_index, 3);
  EXPECT_EQ(r.errors[3].where.segment_index, 6);
}

TEST(Er7Test, SegmentWithoutFields) {
  const std::string text =
      Msg({"MSH|^~\\&|A|B|C|D|1||ADT^A40|X|P|2.5", "PID|1||9", "PD1", "MRG|8"});
  ParseResult r = MustParse(text);
  const Message& m = *r.message;
  EXPECT_EQ(m.segment(2).id(), "PD1");
  EXPECT_EQ(m.segment(2).field_count(), 0);
  EXPECT_EQ(m.get("PD1-1"), "");
  EXPECT_EQ(m.get("MRG-1"), "8");
}

TEST(Er7Test, RejectsSecondMessageAndBatchSegments) {
  std::string one = "MSH|^~\\&|A|B|C|D|1||ADT^A08|X|P|2.5";
  for (const char* extra :
       {"MSH|^~\\&|A|B|C|D|1||ADT^A08|Y|P|2.5", "BHS|^~\\&|A", "FHS|^~\\&|A", "BTS|1", "FTS|1"}) {
    ParseResult r = parse(Msg({one, extra}));
    EXPECT_FALSE(r.ok()) << extra;
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].code, ErrorCode::kSegmentSequence);
    EXPECT_EQ(r.errors[0].where.segment_index, 2);
  }
}

TEST(Er7Test, LimitsAreEnforced) {
  std::string head = "MSH|^~\\&|A|B|C|D|1||ADT^A08|X|P|2.5\r";
  struct Case {
    std::string body;
    void (*tweak)(Limits*);
  };
  Case cases[] = {
      {"PID|1|2|3|4|5|6|7|8|9|10|11|12|13|14\r", [](Limits* l) { l->max_fields_per_segment = 13; }},
      {"PID|1~2~3~4\r", [](Limits* l) { l->max_repetitions_per_field = 3; }},
      {"PID|1^2^3^4\r", [](Limits* l) { l->max_components = 3; }},
      {"PID|1^a&b&c&d\r", [](Limits* l) { l->max_subcomponents = 3; }},
      {"PID|123456789\r", [](Limits* l) { l->max_field_bytes = 8; }},
      {"PID|1\rPID|2\rPID|3\r", [](Limits* l) { l->max_segments = 3; }},
      {"PID|1\r", [](Limits* l) { l->max_message_bytes = 20; }},
  };
  for (Case& c : cases) {
    ParseOptions o;
    c.tweak(&o.limits);
    ParseResult r = parse(head + c.body, o);
    EXPECT_FALSE(r.ok()) << c.body;
    ASSERT_FALSE(r.errors.empty()) << c.body;
    EXPECT_EQ(r.errors[0].code, ErrorCode::kValueTooLong) << c.body;
    EXPECT_TRUE(r.header) << c.body;  // the MSH was readable
    // The default limits accept the same message.
    EXPECT_TRUE(parse(head + c.body).ok()) << c.body;
  }
  // The limit error names the segment and field.
  ParseOptions o;
  o.limits.max_repetitions_per_field = 3;
  ParseResult r = parse(head + "PID|1||a~b~c~d\r", o);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0].where.segment_id, "PID");
  EXPECT_EQ(r.errors[0].where.field, 3);
  // Limits on MSH itself: the header cannot be read when its own segment is over.
  o = ParseOptions();
  o.limits.max_fields_per_segment = 5;
  r = parse(head, o);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.header);
}

TEST(Er7Test, ManyErrorsAreCapped) {
  std::string text = "MSH|^~\\&|A|B|C|D|1||ADT^A08|X|P|2.5||||||ASCII\r";
  for (int i = 0; i < 500; ++i) text += "NTE|1||caf\xE9\r";
  ParseOptions o;
  o.limits.max_errors = 10;
  ParseResult r = parse(text, o);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.errors.size(), 10u);
  EXPECT_NE(r.errors.back().detail.find("error limit"), std::string::npos);
}

TEST(Er7Test, EscapeWarnings) {
  std::string text = Msg({"MSH|^~\\&|A|B|C|D|1||ORU^R01|X|P|2.5", "NTE|1||ok \\F\\ then \\C2842\\",
                          "NTE|2||a^b&unterminated \\F"});
  ParseResult r = parse(text);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0].severity, Severity::kWarning);
  EXPECT_EQ(r.warnings[0].where.segment_id, "NTE");
  EXPECT_EQ(r.warnings[0].where.segment_sequence, 1);
  EXPECT_EQ(r.warnings[0].where.field, 3);
  EXPECT_NE(r.warnings[0].detail.find("ISO 2022"), std::string::npos);
  EXPECT_EQ(r.warnings[1].where.segment_sequence, 2);
  EXPECT_EQ(r.warnings[1].where.component, 2);
  EXPECT_EQ(r.warnings[1].where.subcomponent, 2);
  // Values: unsupported escapes are an error from value(), kept by get().
  const Message& m = *r.message;
  Result<Value> v = m.value("NTE(1)-3");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, ErrorCode::kDataType);
  EXPECT_EQ(v.error().where.segment_id, "NTE");
  EXPECT_EQ(v.error().where.field, 3);
  EXPECT_EQ(m.get("NTE(1)-3"), "ok | then \\C2842\\");
  EXPECT_EQ(m.get("NTE(2)-3.2.2"), "unterminated \\F");
  EXPECT_TRUE(m.value("NTE(2)-3.2.2").ok());

  ParseOptions strict;
  strict.strict_escapes = true;
  ParseResult s = parse(text, strict);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.errors.size(), 2u);
  ParseOptions off;
  off.check_escapes = false;
  ParseResult q = parse(text, off);
  EXPECT_TRUE(q.ok());
  EXPECT_TRUE(q.warnings.empty());
}

TEST(Er7Test, ElementNavigation) {
  Delimiters d;
  Element f("a^b&c~d", Element::Level::kField, d, Charset::kAscii);
  EXPECT_EQ(f.child_count(), 2);
  EXPECT_EQ(f.child(1).raw(), "a^b&c");
  EXPECT_EQ(f.child(1).level(), Element::Level::kRepetition);
  EXPECT_EQ(f.child(2).raw(), "d");
  EXPECT_TRUE(f.child(3).empty());
  EXPECT_TRUE(f.child(0).empty());
  EXPECT_TRUE(f.child(-1).empty());
  EXPECT_EQ(f.part(2).raw(), "b&c");
  EXPECT_EQ(f.part(2).part(2).raw(), "c");
  EXPECT_EQ(f.part(2).part(2).part(1).raw(), "c");
  EXPECT_TRUE(f.part(2).part(2).part(2).empty());
  EXPECT_EQ(f.leaf().raw(), "a");
  EXPECT_EQ(f.leaf().level(), Element::Level::kSubcomponent);
  Element absent;
  EXPECT_EQ(absent.child_count(), 0);
  EXPECT_TRUE(absent.child(1).empty());
  EXPECT_EQ(absent.state(), ValueState::kAbsent);
  EXPECT_EQ(absent.text_or_empty(), "");
  EXPECT_TRUE(absent.text().ok());
}

TEST(Er7Test, ChildrenRange) {
  Delimiters d;
  auto collect = [](const Element& e) {
    std::vector<std::string> out;
    for (Element c : e.children()) out.emplace_back(c.raw());
    return out;
  };
  using V = std::vector<std::string>;
  Element f("a^b&c~~d^", Element::Level::kField, d, Charset::kAscii);
  EXPECT_EQ(collect(f), (V{"a^b&c", "", "d^"}));
  EXPECT_EQ(collect(f.child(1)), (V{"a", "b&c"}));
  EXPECT_EQ(collect(f.child(3)), (V{"d", ""}));
  EXPECT_EQ(collect(f.child(1).child(2)), (V{"b", "c"}));
  EXPECT_EQ(collect(f.child(1).child(2).child(2)), (V{"c"}));
  EXPECT_EQ(collect(Element()), V{});
  EXPECT_EQ(collect(Element("~", Element::Level::kField, d, Charset::kAscii)), (V{"", ""}));
  // Agrees with child(i) and child_count() everywhere.
  for (Element e : {f, f.child(1), f.child(3), f.child(1).child(2)}) {
    int i = 0;
    for (Element c : e.children()) {
      ++i;
      EXPECT_EQ(c.raw(), e.child(i).raw());
      EXPECT_EQ(c.level(), e.child(i).level());
    }
    EXPECT_EQ(i, e.child_count());
  }
  // Verbatim MSH-2 has one child, itself.
  std::string text = Msg({"MSH|^~\\&|A|B|C|D|1||ADT^A08|X|P|2.5"});
  ParseResult r = parse(text);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(collect(r.message->segment(0).field(2)), (V{"^~\\&"}));
}

TEST(Er7Test, HeaderAvailableWhenBodyFails) {
  ParseResult r =
      parse(Msg({"MSH|^~\\&|A|B|C|D|1||ADT^A08|CTL|P|2.5||||||UNICODE UTF-8", "PID|1||\xC3\x28"}));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.message);
  ASSERT_TRUE(r.header);
  EXPECT_EQ(r.header->control_id, "CTL");
  EXPECT_EQ(r.header->charset, "UNICODE UTF-8");
}

TEST(Er7Test, MessageOutlivesParseResultMove) {
  std::string text = kAdt;
  std::optional<Message> kept;
  {
    ParseResult r = parse(text);
    kept = std::move(r.message);
  }
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->get("PID-5.2"), "EVE");
  Message copy = *kept;
  EXPECT_EQ(copy.get("OBX(2)-5"), "text");
}

TEST(Er7Test, ErrorToString) {
  Error e{ErrorCode::kDataType, {}, "bad"};
  e.where.segment_id = "PID";
  e.where.segment_sequence = 2;
  e.where.field = 5;
  e.where.repetition = 1;
  e.where.component = 2;
  e.where.subcomponent = 3;
  EXPECT_EQ(e.to_string(), "PID(2)-5(1).2.3: Data type error (102): bad");
  Error g{ErrorCode::kSegmentSequence, {}, "x"};
  g.where.segment_index = 4;
  EXPECT_EQ(g.to_string(), "segment #4: Segment sequence error (100): x");
  EXPECT_STREQ(error_code_text(ErrorCode::kTableValueNotFound), "Table value not found");
  EXPECT_STREQ(error_code_text(static_cast<ErrorCode>(999)), "Application internal error");
  EXPECT_TRUE(is_reportable_segment_id("PID"));
  EXPECT_TRUE(is_reportable_segment_id("ZPD"));
  EXPECT_TRUE(is_reportable_segment_id("VTQ"));
  EXPECT_TRUE(is_reportable_segment_id("ABS"));
  EXPECT_FALSE(is_reportable_segment_id("DOE"));
  EXPECT_FALSE(is_reportable_segment_id("pid"));
  EXPECT_FALSE(is_reportable_segment_id("PIDX"));
  EXPECT_TRUE(is_valid_segment_id("PV1"));
  EXPECT_TRUE(is_valid_segment_id("DOE"));
  EXPECT_FALSE(is_valid_segment_id("1AB"));
  EXPECT_FALSE(is_valid_segment_id("Pid"));
  EXPECT_FALSE(is_valid_segment_id("PI"));
}

}  // namespace
}  // namespace gw::hl7

namespace gw::hl7 {
namespace {

// A UTF-8 byte-order mark before MSH (a file or an MLLP frame from an engine
// that writes one) is skipped with an information note, not a refusal; the
// message reads exactly as without it, whatever MSH-18 declares.
TEST(Er7Test, ByteOrderMarkIsSkippedAndNoted) {
  const std::string plain =
      "MSH|^~\\&|APP|FAC|GW|GWFAC|20240101120000||ADT^A01|C1|P|2.5.1|||||ASCII\rPID|1||P1\r";
  for (const std::string& text : {"\xEF\xBB\xBF" + plain, "\r\n\xEF\xBB\xBF" + plain}) {
    ParseResult r = parse(text);
    ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
    EXPECT_EQ(r.message->header().control_id, "C1");
    EXPECT_EQ(r.message->get("PID-3"), "P1");
    ASSERT_FALSE(r.warnings.empty());
    EXPECT_EQ(r.warnings[0].severity, Severity::kInformation);
    EXPECT_EQ(r.warnings[0].detail, "UTF-8 byte-order mark skipped");
  }
  // Only one mark, only at the start: one in the middle of a field is content.
  ParseResult r = parse(plain);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.warnings.empty());
}

}  // namespace
}  // namespace gw::hl7
