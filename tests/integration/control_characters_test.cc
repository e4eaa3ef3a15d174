// test-needs: integration swtpm
// Issue 18, attack 4, against a real gatewayd: content that is not text.
//  - MLLP: a control character in a field, written as a byte (NUL, 0x01, DEL)
//    or decoded from \X00\, is answered AE with ERR 102 at the element, no
//    record is stored, and neither the ACK nor the log carries the content;
//    line breaks written \.br\ (FT, TX, OBX-5) are text and stored as "\n".
//  - Undecodable escapes (\XZZ\, an unterminated \X41424, \X414\, an empty
//    \\, an unknown \Q\) are kept as literal text: AA with an ERR of severity
//    W at the element, and the stored record holds the text as received.
//  - FHIR REST: "A\u0000B" or "A\u0007B" in a resource is refused with an
//    OperationOutcome naming the path and is not readable afterwards; TAB and
//    line breaks are accepted and read back unchanged.
#include <Poco/Net/NetSSL.h>
#include <gtest/gtest.h>

#include <sstream>

#include "adapters/hl7/ack.h"
#include "adapters/mllp/client.h"
#include "fhir/json/json.h"
#include "gateway/rest/rest_test_util.h"
#include "tests/support/gatewayd_process.h"
#include "tests/support/test_certs.h"

namespace gw::testing {
namespace {

using namespace std::chrono_literals;
using rest::testing::Reply;
using rest::testing::text_at;

// Every message's content holds this marker; it must never appear in an ACK,
// an OperationOutcome or the log.
constexpr char kMarker[] = "ZQSECRET";

// An ADT^A01 in original acknowledgement mode whose PID-5 is `pid5` (raw ER7).
std::string adt(const std::string& control_id, const std::string& mrn, const std::string& pid5) {
  return "MSH|^~\\&|CTLAPP|CTLFAC|GW|REGIONAL|20240315103005-0500||ADT^A01^ADT_A01|" + control_id +
         "|P|2.5.1\r"
         "EVN|A01|20240315103000-0500\r"
         "PID|1||" +
         mrn + "^^^CTLFAC^MR||" + pid5 +
         "||19800214|F\r"
         "PV1|1|I|4EAST^412^B\r";
}

// An ORU^R01 whose OBX-5 (of type `type`) is `value` (raw ER7).
std::string oru(const std::string& control_id, const std::string& type, const std::string& value) {
  return "MSH|^~\\&|CTLLAB|CTLFAC|GW|REGIONAL|20240706120000||ORU^R01^ORU_R01|" + control_id +
         "|P|2.5.1\r"
         "PID|1||ORU-1^^^CTLFAC^MR||DOE^JANE||19711111|F\r"
         "OBR|1|PL-" +
         control_id + "|FL-" + control_id +
         "^CTLFAC|NOTE^Note^99LAB|||20240706113000\r"
         "OBX|1|" +
         type + "|NOTE^Note^99LAB||" + value + "||||||F|||20240706113000\r";
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

class ControlCharactersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Poco::Net::initializeSSL();
    auto pki = make_test_pki(dir_.path(), "writer");
    ASSERT_TRUE(pki.ok()) << pki.status().message();
    pki_ = *pki;
    gw_ = std::make_unique<GatewaydProcess>(
        dir_.path(), "\n[https]\nenabled = true\nlisten = \"127.0.0.1:0\"\ncert_file = \"" +
                         pki_.server_cert + "\"\nkey_file = \"" + pki_.server_key +
                         "\"\nclient_ca_file = \"" + pki_.ca_cert +
                         "\"\n[client.writer]\ncert_subject = \"CN=writer,O=gateway tests\"\n"
                         "scopes = [\"system/*.cruds\"]\n");
    gw::Status started = gw_->start();
    ASSERT_TRUE(started.ok()) << started.message();
    fhir_port_ = gw_->channel_ports()["fhir"];
    ASSERT_NE(fhir_port_, 0) << gw_->output();
    ctx_ = rest::testing::client_context(pki_.ca_cert, pki_.client_cert, pki_.client_key);
  }
  void TearDown() override {
    if (gw_) EXPECT_EQ(gw_->output().find(kMarker), std::string::npos) << "content in the log";
  }

  // Sends one message; returns the ACK as received and parsed.
  hl7::AckSummary send(const std::string& msg, std::string* raw = nullptr) {
    auto c = mllp::Client::connect("127.0.0.1", gw_->port(), 5s);
    EXPECT_TRUE(c.ok()) << c.status().message();
    if (!c.ok()) return {};
    gw::Status sent = (*c)->send(msg);
    EXPECT_TRUE(sent.ok()) << sent.message();
    auto reply = (*c)->receive(10s);
    EXPECT_TRUE(reply.ok()) << reply.status().message();
    if (raw != nullptr) *raw = reply.value_or("");
    auto ack = hl7::read_ack(reply.value_or(""));
    EXPECT_TRUE(ack.ok());
    return ack.value_or(hl7::AckSummary{});
  }
  // The stored records of `type`, as `gatewayctl records export` reads them.
  std::vector<fhir::JsonValue> records(const std::string& type) {
    std::string out, err;
    EXPECT_EQ(run_command({gatewayctl_path(), "records", "export", "--config", gw_->config_path(),
                           "--type", type},
                          &out, &err),
              0)
        << err;
    std::vector<fhir::JsonValue> found;
    for (const std::string& l : lines(out)) {
      auto v = fhir::parse_json(l);
      EXPECT_TRUE(v.ok()) << l;
      if (v.ok()) found.push_back(std::move(v).value());
    }
    return found;
  }
  // The stored Patient with an identifier whose value is `mrn`, or nullopt.
  std::optional<fhir::JsonValue> patient(const std::string& mrn) {
    for (fhir::JsonValue& p : records("Patient")) {
      const fhir::JsonValue* ids = p.find("identifier");
      if (ids == nullptr) continue;
      for (const fhir::JsonValue& i : ids->items())
        if (text_at(i, {"value"}) == mrn) return std::move(p);
    }
    return std::nullopt;
  }
  Reply call(const std::string& method, const std::string& target, const std::string& body = "") {
    return rest::testing::https_call(ctx_, fhir_port_, method, target, body);
  }

  TempDir dir_;
  TestPki pki_;
  std::unique_ptr<GatewaydProcess> gw_;
  uint16_t fhir_port_ = 0;
  Poco::Net::Context::Ptr ctx_;
};

TEST_F(ControlCharactersTest, MllpControlCharactersAreAnsweredAe102AndNothingIsMapped) {
  const std::string m = kMarker;
  struct Case {
    std::string label, pid5;
  };
  const std::vector<Case> cases = {
      {"NUL", m + std::string(1, '\0') + "B^EVE"},
      {"\\X00\\", m + "\\X00\\B^EVE"},
      {"0x01", m + "\x01" + "B^EVE"},
      {"DEL", m + "\x7f" + "B^EVE"},
      {"0x01 in the given name", "FAMILY^" + m + "\x01"},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    const std::string control_id = "CTL-" + std::to_string(n);
    const std::string mrn = "MRN-CTL-" + std::to_string(n++);
    std::string raw;
    hl7::AckSummary ack = send(adt(control_id, mrn, c.pid5), &raw);
    EXPECT_EQ(ack.code, "AE");
    EXPECT_EQ(ack.control_id, control_id);
    ASSERT_EQ(ack.errors.size(), 1u) << raw;
    EXPECT_EQ(ack.errors[0].code, "102");
    EXPECT_EQ(ack.errors[0].severity, "E");
    EXPECT_EQ(ack.errors[0].where.segment_id, "PID");
    EXPECT_EQ(ack.errors[0].where.field, 5);
    EXPECT_EQ(ack.errors[0].where.repetition, 1);
    EXPECT_EQ(ack.errors[0].where.component, c.pid5.rfind("FAMILY", 0) == 0 ? 2 : 1);
    EXPECT_EQ(raw.find(kMarker), std::string::npos) << "content in the ACK";
    EXPECT_FALSE(patient(mrn).has_value()) << "a refused message was mapped";
  }
  // Kept in the error queue (nothing lost), with the location and no content.
  std::string out;
  ASSERT_EQ(run_command({gatewayctl_path(), "messages", "list", "--config", gw_->config_path(),
                         "--rejected"},
                        &out),
            0);
  for (int i = 0; i < n; ++i)
    EXPECT_NE(out.find("CTL-" + std::to_string(i)), std::string::npos) << out;
  EXPECT_NE(out.find("PID(1)-5(1).1.1: Data type error (102)"), std::string::npos) << out;
  EXPECT_EQ(out.find(kMarker), std::string::npos) << out;
}

TEST_F(ControlCharactersTest, EscapedLineBreaksAndTabAreTextAndStored) {
  // TAB as a byte in a name is text.
  hl7::AckSummary ack = send(adt("CTL-TAB", "MRN-TAB", "TAB\tNAME^EVE"));
  EXPECT_EQ(ack.code, "AA");
  auto p = patient("MRN-TAB");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(text_at(*p, {"name", "0", "family"}), "TAB\tNAME");

  int n = 0;
  for (const char* type : {"FT", "TX", "ST"}) {
    SCOPED_TRACE(type);
    const std::string id = "CTL-BR-" + std::to_string(n++);
    ack = send(oru(id, type, "first line\\.br\\second\\X0A\\third"));
    EXPECT_EQ(ack.code, "AA");
    EXPECT_TRUE(ack.errors.empty());
  }
  std::vector<std::string> values;
  for (const fhir::JsonValue& o : records("Observation"))
    values.push_back(text_at(o, {"valueString"}));
  ASSERT_EQ(values.size(), 3u);
  for (const std::string& v : values) EXPECT_EQ(v, "first line\nsecond\nthird");
}

TEST_F(ControlCharactersTest, UndecodableEscapesAreKeptAsTextWithAWarning) {
  struct Case {
    std::string family_raw, family_stored;
  };
  const std::vector<Case> cases = {
      {"QFAM\\XZZ\\A", "QFAM\\XZZ\\A"},    // not hex
      {"QFAM\\X41424", "QFAM\\X41424"},    // unterminated
      {"QFAM\\X414\\A", "QFAM\\X414\\A"},  // odd number of digits
      {"QFAM\\\\A", "QFAM\\\\A"},          // empty sequence
      {"QFAM\\Q\\A", "QFAM\\Q\\A"},        // unknown
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.family_raw);
    const std::string id = "CTL-ESC-" + std::to_string(n);
    const std::string mrn = "MRN-ESC-" + std::to_string(n++);
    std::string raw;
    hl7::AckSummary ack = send(adt(id, mrn, c.family_raw + "^" + kMarker), &raw);
    EXPECT_EQ(ack.code, "AA");
    ASSERT_EQ(ack.errors.size(), 1u) << raw;
    EXPECT_EQ(ack.errors[0].code, "102");
    EXPECT_EQ(ack.errors[0].severity, "W");
    EXPECT_EQ(ack.errors[0].where.segment_id, "PID");
    EXPECT_EQ(ack.errors[0].where.field, 5);
    EXPECT_EQ(ack.errors[0].where.component, 1);
    EXPECT_EQ(raw.find(kMarker), std::string::npos);
    EXPECT_EQ(raw.find("QFAM"), std::string::npos) << "content in the ACK";
    auto p = patient(mrn);
    ASSERT_TRUE(p.has_value()) << "kept, not lost";
    EXPECT_EQ(text_at(*p, {"name", "0", "family"}), c.family_stored);
  }
}

TEST_F(ControlCharactersTest, RestRefusesControlCharactersAndKeepsTabAndLineBreaks) {
  const std::string m = kMarker;
  auto body = [&](const std::string& id, const std::string& family_json) {
    return R"({"resourceType":"Patient","id":")" + id +
           R"(","identifier":[{"system":"urn:oid:1.2.36.1","value":")" + id +
           R"("}],"name":[{"family":")" + family_json + R"("}]})";
  };
  int n = 0;
  for (const std::string& bad : {m + "\\u0000B", m + "\\u0007B", m + "\\u009fB"}) {
    SCOPED_TRACE(bad);
    const std::string id = "rest-ctl-" + std::to_string(n++);
    for (const char* method : {"PUT", "POST"}) {
      Reply r =
          call(method, std::string("/Patient") + (method[1] == 'U' ? "/" + id : ""), body(id, bad));
      EXPECT_EQ(r.status, 422) << r.body;
      ASSERT_TRUE(rest::testing::is_operation_outcome(r)) << r.body;
      EXPECT_EQ(text_at(r.json(), {"issue", "0", "expression", "0"}), "Patient.name[0].family");
      EXPECT_EQ(r.body.find(kMarker), std::string::npos) << r.body;
    }
    EXPECT_EQ(call("GET", "/Patient/" + id).status, 404);
    Reply search = call("GET", "/Patient?identifier=urn:oid:1.2.36.1%7C" + id);
    EXPECT_EQ(search.status, 200) << search.body;
    EXPECT_EQ(search.body.find(kMarker), std::string::npos) << search.body;
  }
  // A lone surrogate is not UTF-8: the body cannot be read at all.
  Reply lone = call("PUT", "/Patient/rest-sur", body("rest-sur", m + "\\ud800"));
  EXPECT_EQ(lone.status, 400) << lone.body;
  EXPECT_TRUE(rest::testing::is_operation_outcome(lone)) << lone.body;
  EXPECT_EQ(call("GET", "/Patient/rest-sur").status, 404);

  Reply ok = call("PUT", "/Patient/rest-ws", body("rest-ws", "A\\tB\\nC\\r\\nD"));
  ASSERT_EQ(ok.status, 201) << ok.body;
  Reply read = call("GET", "/Patient/rest-ws");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(text_at(read.json(), {"name", "0", "family"}), "A\tB\nC\r\nD");
}

}  // namespace
}  // namespace gw::testing
