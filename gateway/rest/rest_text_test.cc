// Text that is not text over FHIR REST: control characters (JSON escapes such
// as \u0000 and raw bytes) and lone surrogates are refused with an
// OperationOutcome naming the element, never echoing the value, and nothing
// refused can be read back. TAB, CR and LF are text and are kept.
#include "gateway/rest/rest_test_util.h"

namespace gw::rest::testing {
namespace {

std::string patient(const std::string& id, const std::string& family_json) {
  return R"({"resourceType":"Patient","id":")" + id + R"(","name":[{"family":")" + family_json +
         R"(","given":["Ada"]}]})";
}

class RestTextTest : public RestFixture {
 protected:
  void SetUp() override {
    RestFixture::SetUp();
    start();
  }

  // The refusal: 422 like every other invalid resource, an OperationOutcome
  // whose one error names `path`, and no trace of the value.
  void ExpectRefused(const Reply& r, const std::string& path) {
    EXPECT_EQ(r.status, 422) << r.body;
    ASSERT_TRUE(is_operation_outcome(r)) << r.body;
    fhir::JsonValue oo = r.json();
    EXPECT_EQ(text_at(oo, {"issue", "0", "severity"}), "error") << r.body;
    EXPECT_EQ(text_at(oo, {"issue", "0", "code"}), "value") << r.body;
    EXPECT_EQ(text_at(oo, {"issue", "0", "expression", "0"}), path) << r.body;
    EXPECT_EQ(r.body.find("SECRET"), std::string::npos) << r.body;
  }
};

TEST_F(RestTextTest, ControlCharactersAreRefusedAndNotStored) {
  int n = 0;
  for (const char* bad :
       {"SECRET\\u0000B", "SECRET\\u0007B", "SECRET\\u001bB", "SECRET\\u007fB", "SECRET\\u0085B"}) {
    const std::string id = "ctl-" + std::to_string(n++);
    SCOPED_TRACE(id);
    ExpectRefused(call("PUT", "/Patient/" + id, patient(id, bad)), "Patient.name[0].family");
    ExpectRefused(call("POST", "/Patient", patient(id, bad)), "Patient.name[0].family");
    EXPECT_EQ(call("GET", "/Patient/" + id).status, 404);
  }
  // A raw control byte is not JSON at all (RFC 8259 wants it escaped): 400.
  Reply raw = call("PUT", "/Patient/ctl-raw",
                   patient("ctl-raw",
                           "SECRET\x01"
                           "B"));
  EXPECT_EQ(raw.status, 400) << raw.body;
  EXPECT_TRUE(is_operation_outcome(raw)) << raw.body;
  EXPECT_EQ(raw.body.find("SECRET"), std::string::npos) << raw.body;
  // Nothing refused was stored under a server-assigned id either.
  EXPECT_EQ(store_->count_records(), 0);
  // In a transaction, the entry is refused and nothing is written.
  const std::string bundle =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PUT","url":"Patient/ok-1"},"resource":)" +
      patient("ok-1", "Fine") +
      R"(},{"request":{"method":"PUT","url":"Patient/ctl-b"},"resource":)" +
      patient("ctl-b", "SECRET\\u0000B") + "}]}";
  Reply t = call("POST", "/", bundle);
  EXPECT_EQ(t.status, 422) << t.body;
  EXPECT_EQ(t.body.find("SECRET"), std::string::npos) << t.body;
  EXPECT_EQ(call("GET", "/Patient/ok-1").status, 404);
  EXPECT_EQ(call("GET", "/Patient/ctl-b").status, 404);
  EXPECT_EQ(store_->count_records(), 0);
}

TEST_F(RestTextTest, TabAndLineBreaksAreKept) {
  Reply put = call("PUT", "/Patient/ws-1", patient("ws-1", "A\\tB\\nC\\r\\nD"));
  ASSERT_EQ(put.status, 201) << put.body;
  Reply read = call("GET", "/Patient/ws-1");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(text_at(read.json(), {"name", "0", "family"}), "A\tB\nC\r\nD");
}

TEST_F(RestTextTest, LoneSurrogatesAreRefusedAsUnreadable) {
  for (const char* bad : {"SECRET\\ud800", "SECRET\\udc00B", "SECRET\xed\xa0\x80"}) {
    SCOPED_TRACE(bad);
    Reply r = call("PUT", "/Patient/sur-1", patient("sur-1", bad));
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_TRUE(is_operation_outcome(r)) << r.body;
    EXPECT_EQ(r.body.find("SECRET"), std::string::npos) << r.body;
  }
  EXPECT_EQ(call("GET", "/Patient/sur-1").status, 404);
}

}  // namespace
}  // namespace gw::rest::testing
