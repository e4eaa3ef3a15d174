// GET /AuditEvent through the real FHIR router (FhirApi) over a real audit
// log: searches by patient, date at each precision, agent and their
// combination; paging that stays right while entries are appended; read by
// id (and 410 for a pruned one); refusals of unknown parameters and
// malformed dates; writes refused; a row that does not open.
#include "gateway/auditview/audit_event_extension.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "fhir/validate/validator.h"
#include "gateway/audit/audit_test_util.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/store/store_test_util.h"

namespace gw::auditview {
namespace {

using audit::Action;
using audit::ActorKind;
using audit::AuditEntry;
using fhir::JsonValue;

constexpr char kBase[] = "https://gw.example:8443";
constexpr int64_t kDec7 = 1'796'601'600'000;  // 2026-12-07T00:00:00Z
constexpr int64_t kHour = 3'600'000;
const std::string kMember = "0x" + std::string(40, 'd');

audit::PatientToken token(uint8_t fill) {
  audit::PatientToken t;
  t.fill(fill);
  return t;
}
const audit::PatientToken kPatientA = token(0xAA), kPatientB = token(0xBB);

AuditEntry entry(int64_t time_ms, audit::Actor actor, Action action,
                 std::optional<audit::PatientToken> patient) {
  AuditEntry e = audit::testing::sample_entry(1);
  e.time_ms = time_ms;
  e.actor = std::move(actor);
  e.action = action;
  e.patient = patient;
  return e;
}

class AuditEventViewTest : public ::testing::Test {
 protected:
  void SetUp() override { open({}); }

  void open(audit::AuditLogOptions log_options) {
    api_.reset();
    log_.reset();
    // A new file each time: the keys are new too.
    log_path_ = dir_.file("audit-" + std::to_string(++opened_) + ".db");
    auto log = audit::AuditLog::open(log_path_, audit::AuditKeys::random_for_tests(), log_options);
    ASSERT_TRUE(log.ok()) << log.error().message();
    log_ = std::move(log).value();
    store::StoreOptions so;
    so.path = dir_.file("store.db");
    so.keys = store::testing::test_keys();
    if (!store_) store_ = store::testing::open_or_die(so);
    AuditEventViewOptions view;
    view.base_url = kBase;
    view.context.observer_name = "gateway-a";
    view.resolve_patient = [](std::string_view id) -> std::optional<audit::PatientToken> {
      if (id == "pa") return kPatientA;
      if (id == "pb") return kPatientB;
      return std::nullopt;
    };
    rest::ApiOptions options;
    options.base_url = kBase;
    options.extensions.push_back(make_audit_event_extension(log_, view));
    api_ = std::make_unique<rest::FhirApi>(store_.get(), options);
  }

  // The six entries most tests search.
  void append_sample() {
    append(entry(kDec7 + 10 * kHour, {ActorKind::kClient, "ehr"}, Action::kRead, kPatientA));
    append(
        entry(kDec7 + 10 * kHour + 1000, {ActorKind::kClient, "lab"}, Action::kCreate, kPatientB));
    append(entry(kDec7 + 33 * kHour, {ActorKind::kOperator, ""}, Action::kExport, kPatientA));
    AuditEntry failure = entry(kDec7 - 6 * 24 * kHour - 500,  // 2026-11-30T23:59:59.500Z
                               {ActorKind::kAnonymous, ""}, Action::kAuthFailure, {});
    failure.resource_type.clear();
    failure.resource_id.clear();
    failure.outcome = {audit::OutcomeKind::kRefused, 401, "no-credentials"};
    append(failure);
    append(entry(1'798'761'600'000, {ActorKind::kMember, kMember}, Action::kTransferReceived,
                 kPatientA));  // 2027-01-01T00:00:00Z
    append(
        entry(kDec7 + 10 * kHour + 250, {ActorKind::kClient, "ehr"}, Action::kSearch, kPatientB));
  }

  int64_t append(const AuditEntry& e) {
    auto seq = log_->append(e);
    EXPECT_TRUE(seq.ok()) << seq.error().message();
    return seq.ok() ? *seq : 0;
  }

  rest::RestResponse call(const std::string& method, const std::string& target,
                          const std::string& prefer = "") {
    rest::RestRequest r;
    // The auditor role: what the HTTPS server would have established.
    r.grant = std::make_shared<const auth::ClientGrant>(*auth::make_client_grant({}, {"auditor"}));
    r.method = method;
    r.target = target;
    r.prefer = prefer;
    if (method == "POST" || method == "PUT") {
      r.content_type = "application/fhir+json";
      r.body = R"({"resourceType":"AuditEvent"})";
    }
    return api_->handle(r);
  }

  JsonValue get_json(const std::string& target, int expected_status = 200,
                     const std::string& prefer = "") {
    const rest::RestResponse r = call("GET", target, prefer);
    EXPECT_EQ(r.status, expected_status) << target << "\n" << r.body;
    auto parsed = fhir::parse_json(r.body);
    EXPECT_TRUE(parsed.ok()) << target;
    return parsed.ok() ? *parsed : JsonValue();
  }

  // The seqs of a searchset page; every resource and the Bundle validated.
  std::vector<int64_t> seqs(const JsonValue& bundle) {
    const fhir::ValidationResult valid = fhir::validate_resource(bundle);
    EXPECT_TRUE(valid.ok()) << (valid.issues.empty()
                                    ? ""
                                    : valid.issues[0].path + ": " + valid.issues[0].message);
    std::vector<int64_t> out;
    const JsonValue* entries = bundle.find("entry");
    if (entries == nullptr) return out;
    for (const JsonValue& e : entries->items()) {
      const std::string id = e.find("resource")->find("id")->text();
      EXPECT_EQ(e.find("fullUrl")->text(), std::string(kBase) + "/AuditEvent/" + id);
      out.push_back(std::stoll(id));
    }
    return out;
  }
  std::vector<int64_t> search(const std::string& query) {
    return seqs(get_json("/AuditEvent?" + query));
  }

  // The link of a relation as a request target ("" if absent).
  static std::string link(const JsonValue& bundle, const std::string& relation) {
    for (const JsonValue& l : bundle.find("link")->items()) {
      if (l.find("relation")->text() != relation) continue;
      std::string url = l.find("url")->text();
      EXPECT_TRUE(url.starts_with(kBase)) << url;
      return url.substr(std::string(kBase).size());
    }
    return "";
  }

  store::testing::TempDir dir_;
  int opened_ = 0;
  std::string log_path_;
  std::shared_ptr<audit::AuditLog> log_;
  std::unique_ptr<store::MessageStore> store_;
  std::unique_ptr<rest::FhirApi> api_;
};

using Seqs = std::vector<int64_t>;

TEST_F(AuditEventViewTest, SearchByPatientIdOrToken) {
  append_sample();
  EXPECT_EQ(search("patient=Patient/pa"), (Seqs{1, 3, 5}));
  EXPECT_EQ(search("patient=pb"), (Seqs{2, 6}));
  EXPECT_EQ(
      search("patient.identifier=urn:gateway:consortium-patient-token%7C0x" + std::string(64, 'b')),
      (Seqs{2, 6}));
  EXPECT_EQ(search("patient=Patient/unknown"), Seqs{});
  EXPECT_EQ(search(""), (Seqs{1, 2, 3, 4, 5, 6}));
  // The patient entity carries the token the entry holds.
  const JsonValue b = get_json("/AuditEvent?patient=pb&_count=1");
  const JsonValue& ev = *b.find("entry")->items()[0].find("resource");
  const JsonValue* patient = ev.find("entity")->items()[1].find("what")->find("identifier");
  EXPECT_EQ(patient->find("value")->text(), patient_token_text(kPatientB));
}

TEST_F(AuditEventViewTest, SearchByDateAtEachPrecisionAndPrefix) {
  append_sample();
  EXPECT_EQ(search("date=2026"), (Seqs{1, 2, 3, 4, 6}));
  EXPECT_EQ(search("date=2026-12"), (Seqs{1, 2, 3, 6}));
  EXPECT_EQ(search("date=2026-11"), (Seqs{4}));
  EXPECT_EQ(search("date=2026-12-07"), (Seqs{1, 2, 6}));
  EXPECT_EQ(search("date=2026-12-07T10:00:00Z"), (Seqs{1, 6}));
  EXPECT_EQ(search("date=eq2026-12-07T10:00:00.250Z"), (Seqs{6}));
  EXPECT_EQ(search("date=2026-12-07T11:00:01%2B01:00"), (Seqs{2}));  // %2B: '+'
  EXPECT_EQ(search("date=gt2026-12-07"), (Seqs{3, 5}));
  EXPECT_EQ(search("date=ge2026-12-08&date=lt2027"), (Seqs{3}));
  EXPECT_EQ(search("date=le2026-11-30"), (Seqs{4}));
  EXPECT_EQ(search("date=lt2026-12-07T10:00:00Z"), (Seqs{4}));
  EXPECT_EQ(search("date=ge2027&date=lt2026"), Seqs{});
}

TEST_F(AuditEventViewTest, SearchByAgentAndCombined) {
  append_sample();
  EXPECT_EQ(search("agent=ehr"), (Seqs{1, 6}));
  EXPECT_EQ(search("agent=client:lab"), (Seqs{2}));
  EXPECT_EQ(search("agent=operator"), (Seqs{3}));
  EXPECT_EQ(search("agent=anonymous"), (Seqs{4}));
  EXPECT_EQ(search("agent=member:" + kMember), (Seqs{5}));
  EXPECT_EQ(search("agent=ehr&patient=pb"), (Seqs{6}));
  EXPECT_EQ(search("agent=ehr&patient=pa&date=2026-12-07&_format=json"), (Seqs{1}));
  EXPECT_EQ(search("agent=ehr&date=2026-12-08"), Seqs{});
}

TEST_F(AuditEventViewTest, PagingByNextLinksStaysRightWhileEntriesArrive) {
  append_sample();
  JsonValue page = get_json("/AuditEvent?_count=2");
  EXPECT_EQ(link(page, "self"), "/AuditEvent?_count=2");
  Seqs all = seqs(page);
  EXPECT_EQ(all, (Seqs{1, 2}));
  // New entries arrive while the auditor reads: they come at the end, once.
  append(entry(kDec7, {ActorKind::kClient, "ehr"}, Action::kUpdate, kPatientA));
  append(entry(kDec7, {ActorKind::kClient, "ehr"}, Action::kDelete, kPatientB));
  std::string next = link(page, "next");
  EXPECT_EQ(next, "/AuditEvent?_count=2&_after=2");
  int pages = 1;
  while (!next.empty() && pages < 20) {
    page = get_json(next);
    for (int64_t s : seqs(page)) all.push_back(s);
    next = link(page, "next");
    if (next.empty()) break;
    ++pages;
    if (pages == 2) append(entry(kDec7, {ActorKind::kOperator, ""}, Action::kAdmin, {}));
  }
  EXPECT_EQ(all, (Seqs{1, 2, 3, 4, 5, 6, 7, 8, 9}));

  // With a filter: the links repeat it (percent-encoded), pages hold only matches.
  page = get_json("/AuditEvent?agent=client:ehr&date=ge2026-12-07T00:00:00%2B00:00&_count=1");
  EXPECT_EQ(link(page, "self"),
            "/AuditEvent?agent=client:ehr&date=ge2026-12-07T00:00:00%2B00:00&_count=1");
  all = seqs(page);
  for (next = link(page, "next"); !next.empty(); next = link(page, "next")) {
    page = get_json(next);
    for (int64_t s : seqs(page)) all.push_back(s);
  }
  EXPECT_EQ(all, (Seqs{1, 6, 7, 8}));
}

TEST_F(AuditEventViewTest, ReadOneEntryById) {
  append_sample();
  const JsonValue ev = get_json("/AuditEvent/3");
  EXPECT_TRUE(fhir::validate_resource(ev).ok());
  EXPECT_EQ(ev.find("id")->text(), "3");
  EXPECT_EQ(ev.find("type")->find("code")->text(), "110106");  // export
  EXPECT_EQ(ev.find("agent")->items()[0].find("who")->find("display")->text(), "operator");
  EXPECT_EQ(get_json("/AuditEvent/6").find("id")->text(), "6");
  for (const char* missing : {"/AuditEvent/7", "/AuditEvent/0", "/AuditEvent/abc",
                              "/AuditEvent/0003", "/AuditEvent/99999999999999999999"}) {
    const JsonValue outcome = get_json(missing, 404);
    EXPECT_EQ(outcome.find("resourceType")->text(), "OperationOutcome") << missing;
  }
}

TEST_F(AuditEventViewTest, APrunedEntryIsGone) {
  audit::AuditLogOptions small;
  small.batch_max_entries = 2;
  open(small);
  append_sample();
  auto batches = log_->batches(0, 10);
  ASSERT_TRUE(batches.ok());
  ASSERT_FALSE(batches->empty());
  const std::vector<uint8_t> signature(64, 1);
  ASSERT_TRUE(log_->set_batch_signature(batches->front().id, signature, "software").ok());
  ASSERT_TRUE(log_->set_batch_anchor(batches->front().id, "0x01", kDec7).ok());
  auto pruned = log_->prune_before(INT64_MAX);
  ASSERT_TRUE(pruned.ok());
  // Only the signed and anchored first batch goes (its size depends on when
  // it closed: the sample's times are old enough to close a batch at once).
  const int64_t through = pruned->pruned_through_seq;
  ASSERT_GE(through, 1);
  ASSERT_LT(through, 6);
  EXPECT_EQ(get_json("/AuditEvent/1", 410).find("resourceType")->text(), "OperationOutcome");
  EXPECT_EQ(get_json("/AuditEvent/6").find("id")->text(), "6");
  Seqs rest;
  for (int64_t s = through + 1; s <= 6; ++s) rest.push_back(s);
  EXPECT_EQ(search(""), rest);
}

TEST_F(AuditEventViewTest, UnknownParametersAndMalformedValuesAre400) {
  append_sample();
  JsonValue outcome = get_json("/AuditEvent?agent=ehr&_sort=-date", 400);
  const std::string diagnostics = outcome.find("issue")->items()[0].find("diagnostics")->text();
  EXPECT_NE(diagnostics.find("'_sort'"), std::string::npos) << diagnostics;
  // Prefer: handling=lenient ignores it; the self link shows what was applied.
  const JsonValue lenient =
      get_json("/AuditEvent?agent=ehr&_sort=-date", 200, "return=representation, handling=lenient");
  EXPECT_EQ(seqs(lenient), (Seqs{1, 6}));
  EXPECT_EQ(link(lenient, "self"), "/AuditEvent?agent=ehr&_count=50");

  for (const char* bad :
       {"date=2026-13", "date=2026-12-07T25:00:00Z", "date=yesterday", "date=ge",
        "date=", "date=2026-02-30", "date=ne2026", "date=2026,2027",
        "date=2026-12-07T10:00:00%2B99:00", "_count=many", "_after=-1", "agent=bad%20name",
        "patient=Patient/a%20b", "patient.identifier=0x12", "date=%00%ff%fe"}) {
    const rest::RestResponse r = call("GET", std::string("/AuditEvent?") + bad);
    if (std::string(bad) == "date=") {
      EXPECT_EQ(r.status, 200) << bad;  // a parameter without a value is ignored
      continue;
    }
    EXPECT_EQ(r.status, 400) << bad << "\n" << r.body;
    EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos) << bad;
  }
}

TEST_F(AuditEventViewTest, NobodyWritesTheAuditTrail) {
  append_sample();
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
    const std::string target = std::string(method) == "POST" ? "/AuditEvent" : "/AuditEvent/1";
    // The policy refuses every write before the extension sees it (the
    // extension's own 405 is the second line).
    const rest::RestResponse r = call(method, target);
    EXPECT_EQ(r.status, 403) << method;
    EXPECT_NE(r.body.find("written by the gateway only"), std::string::npos) << r.body;
  }
  EXPECT_EQ(call("POST", "/AuditEvent/_search").status, 405);
  EXPECT_EQ(call("GET", "/AuditEvent/1/_history").status, 404);
  EXPECT_EQ(call("GET", "/AuditEvent/1/_history/1").status, 404);
  // Other types are not claimed: the generic API answers them, and the
  // auditor role reads no records (separation of duties).
  EXPECT_EQ(call("GET", "/Patient/pa").status, 403);
  EXPECT_EQ(call("GET", "/Patient?identifier=x").status, 403);
}

TEST_F(AuditEventViewTest, ARowThatDoesNotOpenIsAServerErrorNamingVerify) {
  append_sample();
  ASSERT_EQ(audit::testing::exec_sql(log_path_,
                                     "UPDATE entries SET envelope = zeroblob(120) WHERE seq = 2"),
            "");
  const rest::RestResponse r = call("GET", "/AuditEvent?agent=client:lab");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("audit verify"), std::string::npos);
  EXPECT_EQ(call("GET", "/AuditEvent/2").status, 500);
  EXPECT_EQ(call("GET", "/AuditEvent/3").status, 200);
}

}  // namespace
}  // namespace gw::auditview
