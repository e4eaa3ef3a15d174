#include "adapters/hl7/ack.h"

#include <gtest/gtest.h>

#include <string>

#include "adapters/hl7/test_util.h"

namespace gw::hl7 {
namespace {

using testing::Msg;

Header HeaderOf(const std::string& text) {
  ParseResult r = parse(text);
  EXPECT_TRUE(r.header);
  return r.header ? *r.header : Header();
}

Header Modes(const char* accept, const char* app) {
  Header h;
  h.accept_ack_type = accept;
  h.application_ack_type = app;
  return h;
}

TEST(DecideAckTest, OriginalMode) {
  Header h;
  EXPECT_FALSE(h.enhanced_ack_mode());
  AckDecision d = decide_ack(h, Outcome::kAccept);
  EXPECT_TRUE(d.send);
  EXPECT_EQ(d.code, AckCode::kAA);
  d = decide_ack(h, Outcome::kError);
  EXPECT_TRUE(d.send);
  EXPECT_EQ(d.code, AckCode::kAE);
  d = decide_ack(h, Outcome::kReject);
  EXPECT_TRUE(d.send);
  EXPECT_EQ(d.code, AckCode::kAR);
  EXPECT_EQ(decide_application_ack(h, Outcome::kError).code, AckCode::kAE);
}

TEST(DecideAckTest, EnhancedMode) {
  struct Case {
    const char* accept;
    bool on_accept, on_error, on_reject;
  } cases[] = {
      {"AL", true, true, true},   {"NE", false, false, false}, {"ER", false, true, true},
      {"SU", true, false, false}, {"", true, true, true},      {"XX", true, true, true},
  };
  for (const Case& c : cases) {
    Header h = Modes(c.accept, "NE");
    ASSERT_TRUE(h.enhanced_ack_mode());
    AckDecision a = decide_ack(h, Outcome::kAccept);
    AckDecision e = decide_ack(h, Outcome::kError);
    AckDecision r = decide_ack(h, Outcome::kReject);
    EXPECT_EQ(a.send, c.on_accept) << c.accept;
    EXPECT_EQ(e.send, c.on_error) << c.accept;
    EXPECT_EQ(r.send, c.on_reject) << c.accept;
    EXPECT_EQ(a.code, AckCode::kCA);
    EXPECT_EQ(e.code, AckCode::kCE);
    EXPECT_EQ(r.code, AckCode::kCR);
  }
  // MSH-16 alone makes the mode enhanced; empty MSH-15 then means AL.
  Header h = Modes("", "AL");
  EXPECT_TRUE(h.enhanced_ack_mode());
  EXPECT_TRUE(decide_ack(h, Outcome::kAccept).send);
  EXPECT_EQ(decide_ack(h, Outcome::kAccept).code, AckCode::kCA);
  // Application acknowledgements follow MSH-16 with AA/AE/AR.
  h = Modes("AL", "ER");
  EXPECT_FALSE(decide_application_ack(h, Outcome::kAccept).send);
  EXPECT_TRUE(decide_application_ack(h, Outcome::kError).send);
  EXPECT_EQ(decide_application_ack(h, Outcome::kError).code, AckCode::kAE);
  h = Modes("AL", "NE");
  EXPECT_FALSE(decide_application_ack(h, Outcome::kReject).send);
}

TEST(AckCodeTest, Text) {
  for (AckCode c :
       {AckCode::kAA, AckCode::kAE, AckCode::kAR, AckCode::kCA, AckCode::kCE, AckCode::kCR}) {
    AckCode back;
    ASSERT_TRUE(parse_ack_code(ack_code_text(c), &back));
    EXPECT_EQ(back, c);
  }
  AckCode x;
  EXPECT_FALSE(parse_ack_code("AX", &x));
  EXPECT_FALSE(parse_ack_code("", &x));
}

const std::string kIn251 = Msg({
    R"(MSH|^~\&|SENDAPP^1.2.3^ISO|SENDFAC|RECVAPP|RECVFAC^2.3.4^ISO|20240315103005||ADT^A01^ADT_A01|CTRL-1|P^T|2.5.1|||AL|NE||UNICODE UTF-8)",
    R"(PID|1||123)",
});

TEST(BuildAckTest, AcceptV251) {
  Header in = HeaderOf(kIn251);
  AckParams p;
  p.control_id = "ACK-9";
  p.timestamp = "20240315103006+0100";
  p.text = "stored";
  std::string ack = build_ack(in, AckCode::kCA, p);
  EXPECT_EQ(ack,
            "MSH|^~\\&|RECVAPP|RECVFAC^2.3.4^ISO|SENDAPP^1.2.3^ISO|SENDFAC|20240315103006+0100||"
            "ACK^A01^ACK|ACK-9|P|2.5.1||||||UNICODE UTF-8\r"
            "MSA|CA|CTRL-1|stored\r");
}

TEST(BuildAckTest, ErrorsV251) {
  Header in = HeaderOf(kIn251);
  AckParams p;
  p.control_id = "ACK-10";
  p.timestamp = "20240315103006";
  Error e1{ErrorCode::kDataType, {}, "invalid UTF-8 sequence"};
  e1.where.segment_id = "PID";
  e1.where.segment_sequence = 1;
  e1.where.field = 5;
  e1.where.repetition = 1;
  e1.where.component = 2;
  Error e2{ErrorCode::kRequiredFieldMissing, {}, "required MSH field is empty"};
  e2.where.segment_id = "MSH";
  e2.where.segment_sequence = 1;
  e2.where.field = 10;
  Error e3{ErrorCode::kSegmentSequence, {}, "invalid segment identifier"};
  e3.where.segment_index = 4;
  Error e4{ErrorCode::kApplicationInternalError, {}, "store a|b^c", Severity::kWarning};
  p.errors = {e1, e2, e3, e4};
  std::string ack = build_ack(in, AckCode::kAE, p);
  EXPECT_EQ(ack,
            "MSH|^~\\&|RECVAPP|RECVFAC^2.3.4^ISO|SENDAPP^1.2.3^ISO|SENDFAC|20240315103006||"
            "ACK^A01^ACK|ACK-10|P|2.5.1||||||UNICODE UTF-8\r"
            "MSA|AE|CTRL-1\r"
            "ERR||PID^1^5^1^2|102^Data type error^HL70357|E||||invalid UTF-8 sequence\r"
            "ERR||MSH^1^10|101^Required field missing^HL70357|E||||required MSH field is empty\r"
            "ERR|||100^Segment sequence error^HL70357|E||||invalid segment identifier [at "
            "segment #4]\r"
            "ERR|||207^Application internal error^HL70357|W||||store a\\F\\b\\S\\c\r");
}

TEST(BuildAckTest, OldErrFormV23) {
  std::string text = Msg({R"(MSH|^~\&|OLD|OF|GW|GF|199901061000||ADT^A04|000001|P|2.3)"});
  Header in = HeaderOf(text);
  AckParams p;
  p.control_id = "A1";
  p.timestamp = "199901061001";
  Error e{ErrorCode::kUnsupportedEventCode, {}, "not routed"};
  e.where.segment_id = "EVN";
  e.where.segment_sequence = 1;
  e.where.field = 1;
  Error g{ErrorCode::kApplicationInternalError, {}, "oops"};
  p.errors = {e, g};
  std::string ack = build_ack(in, AckCode::kAR, p);
  EXPECT_EQ(ack,
            "MSH|^~\\&|GW|GF|OLD|OF|199901061001||ACK^A04^ACK|A1|P|2.3\r"
            "MSA|AR|000001|EVN(1)-1: Unsupported event code (201): not routed\r"
            "ERR|EVN^1^1^201&Unsupported event code&HL70357\r"
            "ERR|^^^207&Application internal error&HL70357\r");
  p.text = "explicit";
  ack = build_ack(in, AckCode::kAR, p);
  EXPECT_NE(ack.find("MSA|AR|000001|explicit\r"), std::string::npos);
}

TEST(BuildAckTest, V27HasNoMsa3) {
  std::string text = Msg({R"(MSH|^~\&#|A|B|C|D|20240101||ORU^R01^ORU_R01|C27|P|2.7)"});
  Header in = HeaderOf(text);
  AckParams p;
  p.control_id = "K";
  p.timestamp = "20240101";
  p.text = "dropped";
  std::string ack = build_ack(in, AckCode::kAA, p);
  EXPECT_EQ(ack,
            "MSH|^~\\&#|C|D|A|B|20240101||ACK^R01^ACK|K|P|2.7\r"
            "MSA|AA|C27\r");
}

TEST(BuildAckTest, CustomDelimitersAndEscaping) {
  std::string text = Msg({"MSH#!@$%#APP!1.2#FAC#GW#GF#2024##ADT!A08#ID$F$1#P#2.5"});
  Header in = HeaderOf(text);
  EXPECT_EQ(in.control_id, "ID#1");
  AckParams p;
  p.control_id = "K#1!x";
  p.timestamp = "2024";
  Error e{ErrorCode::kDataType, {}, "bad # ! @ $ % and \r\n"};
  e.where.segment_id = "PID";
  e.where.segment_sequence = 1;
  e.where.field = 3;
  p.errors = {e};
  std::string ack = build_ack(in, AckCode::kAE, p);
  EXPECT_EQ(ack,
            "MSH#!@$%#GW#GF#APP!1.2#FAC#2024##ACK!A08!ACK#K$F$1$S$x#P#2.5\r"
            "MSA#AE#ID$F$1\r"  // an empty MSA-3 is trimmed
            "ERR##PID!1!3#102!Data type error!HL70357#E####bad $F$ $S$ $R$ $E$ $T$ and "
            "$X0D$$X0A$\r");
  ParseResult again = parse(ack);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.message->get("MSA-2"), "ID#1");
  EXPECT_EQ(again.message->get("ERR-8"), "bad # ! @ $ % and \r\n");
}

TEST(BuildAckTest, EchoedFieldsAreSanitized) {
  Header in;
  in.sending_application = std::string("EVIL\x1C\x0B\rAPP|X");
  in.sending_facility = std::string(2000, 'F');  // too long to echo
  in.control_id = "C";
  in.version_id = "2.5";
  AckParams p;
  p.sending_application = "OWN^APP";
  std::string ack = build_ack(in, AckCode::kAR, p);
  EXPECT_EQ(ack,
            "MSH|^~\\&|OWN^APP||EVIL\\X1C\\\\X0B\\\\X0D\\APP\\F\\X||||ACK^^ACK|||2.5\r"
            "MSA|AR|C\r");
  EXPECT_EQ(ack.find('\x1C'), std::string::npos);
  EXPECT_EQ(ack.find('\x0B'), std::string::npos);
}

TEST(BuildAckTest, WritesInIncomingCharset) {
  std::string text = Msg({"MSH|^~\\&|A|B|C|D|2024||ADT^A08|CAF\xC9|P|2.5||||||8859/1"});
  Header in = HeaderOf(text);
  EXPECT_EQ(in.control_id, "CAFÉ");
  AckParams p;
  p.control_id = "Ω€é";
  p.timestamp = "2024";
  std::string ack = build_ack(in, AckCode::kAA, p);
  EXPECT_NE(ack.find("|??\xE9|"), std::string::npos);  // Ω, € not in Latin-1
  EXPECT_NE(ack.find("MSA|AA|CAF\xC9\r"), std::string::npos);
  ParseResult back = parse(ack);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.message->get("MSA-2"), "CAFÉ");

  text = Msg({"MSH|^~\\&|A|B|C|D|2024||ADT^A08|X|P|2.5||||||8859/15"});
  in = HeaderOf(text);
  p.control_id = "€";
  ack = build_ack(in, AckCode::kAA, p);
  EXPECT_NE(ack.find("|\xA4|"), std::string::npos);
}

TEST(BuildAckTest, Unparseable) {
  AckParams p;
  p.control_id = "K1";
  p.timestamp = "20240101";
  Error e{ErrorCode::kSegmentSequence, {}, "message does not start with MSH"};
  e.where.segment_index = 1;
  p.errors = {e};
  std::string ack = build_ack_for_unparseable("garbage\x0B\x1C", AckCode::kAR, p);
  EXPECT_EQ(ack,
            "MSH|^~\\&|||||20240101||ACK^^ACK|K1||2.5.1\r"
            "MSA|AR\r"
            "ERR|||100^Segment sequence error^HL70357|E||||message does not start with MSH "
            "[at segment #1]\r");
  // Truncated MSH with good delimiters: salvage what is there.
  ack = build_ack_for_unparseable("MSH#!@$%#APP#FAC#GW#GF#2024##ADT!A01#CTL$F$9#P#2.4",
                                  AckCode::kAR, AckParams{"K2", "2024", "", {}, "", ""});
  EXPECT_EQ(ack,
            "MSH#!@$%#GW#GF#APP#FAC#2024##ACK!A01!ACK#K2#P#2.4\r"
            "MSA#AR#CTL$F$9\r");
  // Bad delimiters: nothing salvaged (MSH-12 is required: the ACK states
  // the version it is written in).
  ack = build_ack_for_unparseable("MSH|^^\\&|APP|FAC|||||ADT^A01|CTL|P|2.5", AckCode::kAR,
                                  AckParams{"K3", "2024", "", {}, "", ""});
  EXPECT_EQ(ack, "MSH|^~\\&|||||2024||ACK^^ACK|K3||2.5.1\rMSA|AR\r");
  // Unknown charset: declared none, written in UTF-8.
  ack = build_ack_for_unparseable("MSH|^~\\&|A|B|C|D|1||ADT^A01|CTL|P|2.5||||||ISO IR87\rPID|",
                                  AckCode::kAR, AckParams{"K4", "2024", "", {}, "", ""});
  EXPECT_EQ(ack, "MSH|^~\\&|C|D|A|B|2024||ACK^A01^ACK|K4|P|2.5\rMSA|AR|CTL\r");
  ack = build_ack_for_unparseable("", AckCode::kAR, AckParams{"K5", "2024", "", {}, "", ""});
  EXPECT_EQ(ack, "MSH|^~\\&|||||2024||ACK^^ACK|K5||2.5.1\rMSA|AR\r");
}

TEST(ReadAckTest, RoundTripV251) {
  Header in = HeaderOf(kIn251);
  AckParams p;
  p.control_id = "ACK-10";
  p.timestamp = "20240315103006";
  Error e1{ErrorCode::kDataType, {}, "invalid UTF-8 sequence"};
  e1.where.segment_id = "PID";
  e1.where.segment_sequence = 2;
  e1.where.field = 5;
  e1.where.repetition = 1;
  e1.where.component = 2;
  e1.where.subcomponent = 3;
  p.errors = {e1};
  std::string ack = build_ack(in, AckCode::kCE, p);
  auto s = read_ack(ack);
  ASSERT_TRUE(s) << s.status().message();
  EXPECT_EQ(s->code, "CE");
  EXPECT_EQ(s->ack_code, AckCode::kCE);
  EXPECT_FALSE(s->accepted());
  EXPECT_EQ(s->control_id, "CTRL-1");
  EXPECT_EQ(s->message_control_id, "ACK-10");
  ASSERT_EQ(s->errors.size(), 1u);
  EXPECT_EQ(s->errors[0].code, "102");
  EXPECT_EQ(s->errors[0].text, "Data type error");
  EXPECT_EQ(s->errors[0].coding_system, "HL70357");
  EXPECT_EQ(s->errors[0].severity, "E");
  EXPECT_EQ(s->errors[0].user_message, "invalid UTF-8 sequence");
  EXPECT_EQ(s->errors[0].where.segment_id, "PID");
  EXPECT_EQ(s->errors[0].where.segment_sequence, 2);
  EXPECT_EQ(s->errors[0].where.field, 5);
  EXPECT_EQ(s->errors[0].where.repetition, 1);
  EXPECT_EQ(s->errors[0].where.component, 2);
  EXPECT_EQ(s->errors[0].where.subcomponent, 3);
}

TEST(ReadAckTest, OldForm) {
  std::string ack = Msg(
      {R"(MSH|^~\&|R|RF|S|SF|1999||ACK|A9|P|2.3)", R"(MSA|AR|000001|Rejected: unsupported)",
       R"(ERR|EVN^1^1^201&Unsupported event code&HL70357~MSH^1^9^200&Unsupported message type&HL70357)"});
  auto s = read_ack(ack);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->ack_code, AckCode::kAR);
  EXPECT_EQ(s->text, "Rejected: unsupported");
  ASSERT_EQ(s->errors.size(), 2u);
  EXPECT_EQ(s->errors[0].where.segment_id, "EVN");
  EXPECT_EQ(s->errors[0].where.segment_sequence, 1);
  EXPECT_EQ(s->errors[0].where.field, 1);
  EXPECT_EQ(s->errors[0].code, "201");
  EXPECT_EQ(s->errors[0].text, "Unsupported event code");
  EXPECT_EQ(s->errors[1].where.field, 9);
  EXPECT_EQ(s->errors[1].code, "200");
}

TEST(ReadAckTest, Accepted) {
  std::string ack = Msg({R"(MSH|^~\&|R|RF|S|SF|2024||ACK^A01^ACK|A9|P|2.5)", R"(MSA|AA|X1)"});
  auto s = read_ack(ack);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->accepted());
  EXPECT_TRUE(s->errors.empty());
  ack = Msg({R"(MSH|^~\&|R|RF|S|SF|2024||ACK|A9|P|2.5)", R"(MSA|ZZ|X1)"});
  s = read_ack(ack);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->code, "ZZ");
  EXPECT_FALSE(s->ack_code);
  EXPECT_FALSE(s->accepted());
}

TEST(ReadAckTest, Failures) {
  auto garbage = read_ack("garbage PATIENT-SECRET");
  ASSERT_FALSE(garbage.ok());
  const std::string& err = garbage.error().message();
  EXPECT_NE(err.find("could not be parsed"), std::string::npos);
  EXPECT_EQ(err.find("SECRET"), std::string::npos);
  std::string no_msa = Msg({R"(MSH|^~\&|R|RF|S|SF|2024||ACK|A9|P|2.5)", "ERR|||102"});
  auto missing = read_ack(no_msa);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "ACK has no MSA segment");
  EXPECT_FALSE(read_ack(""));
}

TEST(ReadAckTest, CorpusAcks) {
  std::string v251 = testing::ReadFile(testing::CorpusDir() / "ack_ae_v251.hl7");
  auto s = read_ack(v251);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->ack_code, AckCode::kAE);
  EXPECT_EQ(s->control_id, "ADT0001A01");
  ASSERT_EQ(s->errors.size(), 2u);
  EXPECT_EQ(s->errors[0].where.segment_id, "PID");
  EXPECT_EQ(s->errors[0].where.field, 5);
  EXPECT_EQ(s->errors[1].severity, "W");
  std::string v23 = testing::ReadFile(testing::CorpusDir() / "ack_ar_v23.hl7");
  s = read_ack(v23);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->ack_code, AckCode::kAR);
  EXPECT_EQ(s->errors.size(), 2u);
}

// Every incoming corpus message gets a parseable ACK that echoes MSH-10.
TEST(BuildAckTest, CorpusRoundTrip) {
  for (const auto& path : testing::Hl7Files(testing::CorpusDir())) {
    if (path.filename().string().rfind("batch_", 0) == 0) continue;
    std::string text = testing::ReadFile(path);
    ParseResult r = parse(text);
    ASSERT_TRUE(r.header) << path;
    AckParams p;
    p.control_id = "GW-1";
    p.timestamp = "20240101120000";
    p.errors = {Error{ErrorCode::kDataType, {}, "detail"}};
    std::string ack = build_ack(*r.header, AckCode::kAE, p);
    auto s = read_ack(ack);
    ASSERT_TRUE(s) << path << ": " << s.status().message();
    EXPECT_EQ(s->control_id, r.header->control_id) << path;
    EXPECT_EQ(s->ack_code, AckCode::kAE);
    ParseResult ack_parsed = parse(ack);
    ASSERT_TRUE(ack_parsed.ok()) << path;
    EXPECT_EQ(ack_parsed.message->header().sending_application, r.header->receiving_application);
    EXPECT_EQ(ack_parsed.message->header().receiving_facility, r.header->sending_facility);
    EXPECT_EQ(ack_parsed.message->header().trigger_event, r.header->trigger_event);
    EXPECT_EQ(ack_parsed.message->header().charset, r.header->charset);
  }
}

}  // namespace
}  // namespace gw::hl7
