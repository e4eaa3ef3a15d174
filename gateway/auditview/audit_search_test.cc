// The search parameters of GET /AuditEvent: dates at each precision and with
// each prefix, patients by id and by token, agents, paging and page sizes,
// and the refusals (malformed, unsupported, unknown) that name the parameter
// and never its value.
#include "gateway/auditview/audit_search.h"

#include <gtest/gtest.h>

#include <string>

#include "gateway/auditview/audit_event.h"

namespace gw::auditview {
namespace {

using audit::ActorKind;
using audit::PatientToken;

// 2026-12-07T00:00:00Z in Unix ms.
constexpr int64_t kDec7 = 1'796'601'600'000;
constexpr int64_t kDay = 86'400'000;

TimeInterval date(std::string_view text) {
  auto r = parse_date_value(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error().message();
  return r.ok() ? *r : TimeInterval{};
}

TEST(AuditSearchDateTest, EachPrecisionSpansItsInterval) {
  EXPECT_EQ(date("2026-12-07").from_ms, kDec7);
  EXPECT_EQ(date("2026-12-07").to_ms, kDec7 + kDay);
  EXPECT_EQ(date("2026-12").from_ms, kDec7 - 6 * kDay);
  EXPECT_EQ(date("2026-12").to_ms, kDec7 + 25 * kDay);  // 2027-01-01
  EXPECT_EQ(date("2026").from_ms, date("2026-01-01").from_ms);
  EXPECT_EQ(date("2026").to_ms, date("2027-01-01").from_ms);
  EXPECT_EQ(date("2024-02").to_ms - date("2024-02").from_ms, 29 * kDay);  // leap year
  EXPECT_EQ(date("9999").to_ms, date("9999-12-31").to_ms);
  EXPECT_EQ(date("1969-12-31").from_ms, -kDay);

  const TimeInterval s = date("2026-12-07T15:30:05Z");
  EXPECT_EQ(s.from_ms, kDec7 + (15 * 3600 + 30 * 60 + 5) * 1000);
  EXPECT_EQ(s.to_ms, s.from_ms + 1000);
  EXPECT_EQ(date("2026-12-07T15:30:05").from_ms, s.from_ms);  // no zone: UTC
  EXPECT_EQ(date("2026-12-07T17:30:05+02:00").from_ms, s.from_ms);
  EXPECT_EQ(date("2026-12-07T10:00:05-05:30").from_ms, s.from_ms);
  EXPECT_EQ(date("2026-12-07T15:30:05.25Z").from_ms, s.from_ms + 250);
  EXPECT_EQ(date("2026-12-07T15:30:05.25Z").to_ms, s.from_ms + 260);
  EXPECT_EQ(date("2026-12-07T15:30:05.123456Z").from_ms, s.from_ms + 123);
  EXPECT_EQ(date("2026-12-07T15:30:05.123456Z").to_ms, s.from_ms + 124);
}

TEST(AuditSearchDateTest, MalformedDatesAreRefused) {
  for (std::string_view bad : std::vector<std::string_view>{"",
                                                            "26",
                                                            "20261",
                                                            "2026-1",
                                                            "2026-13",
                                                            "2026-00",
                                                            "2026-02-29",
                                                            "2026-12-32",
                                                            "0000",
                                                            "2026-12-07T",
                                                            "2026-12-07T15:30",
                                                            "2026-12-07T24:00:00Z",
                                                            "2026-12-07T15:60:00Z",
                                                            "2026-12-07T15:30:60Z",
                                                            "2026-12-07T15:30:05.Z",
                                                            "2026-12-07T15:30:05.1234567890Z",
                                                            "2026-12-07T15:30:05+15:00",
                                                            "2026-12-07T15:30:05+14:30",
                                                            "2026-12-07T15:30:05+0200",
                                                            "2026-12-07T15:30:05Zjunk",
                                                            "2026-12-07 15:30:05Z",
                                                            "-2026",
                                                            "+2026",
                                                            "2026-12-07Z",
                                                            "１９９９",
                                                            std::string_view("2026\0", 5)}) {
    auto r = parse_date_value(bad);
    EXPECT_FALSE(r.ok()) << bad;
    // The value is never quoted (values shorter than a date could occur by chance).
    if (!r.ok() && bad.size() > 4) {
      EXPECT_EQ(r.error().message().find(std::string(bad)), std::string::npos);
    }
  }
}

TEST(AuditSearchDateTest, PrefixesNarrowTheRange) {
  const auto range = [](std::initializer_list<std::string_view> values) {
    int64_t from = INT64_MIN, to = INT64_MAX;
    for (std::string_view v : values) EXPECT_TRUE(apply_date_param(v, &from, &to).ok()) << v;
    return std::pair(from, to);
  };
  EXPECT_EQ(range({"2026-12-07"}), std::pair(kDec7, kDec7 + kDay));
  EXPECT_EQ(range({"eq2026-12-07"}), std::pair(kDec7, kDec7 + kDay));
  EXPECT_EQ(range({"ge2026-12-07"}), std::pair(kDec7, INT64_MAX));
  EXPECT_EQ(range({"gt2026-12-07"}), std::pair(kDec7 + kDay, INT64_MAX));
  EXPECT_EQ(range({"le2026-12-07"}), std::pair(INT64_MIN, kDec7 + kDay));
  EXPECT_EQ(range({"lt2026-12-07"}), std::pair(INT64_MIN, kDec7));
  EXPECT_EQ(range({"ge2026-12", "lt2026-12-07"}), std::pair(kDec7 - 6 * kDay, kDec7));
  int64_t from = INT64_MIN, to = INT64_MAX;
  for (std::string_view v : {"ne2026", "sa2026", "eb2026", "ap2026"}) {
    EXPECT_EQ(apply_date_param(v, &from, &to).code(), StatusCode::kUnimplemented) << v;
  }
  EXPECT_EQ(apply_date_param("xx2026", &from, &to).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(apply_date_param("ge", &from, &to).code(), StatusCode::kInvalidArgument);
}

PatientToken token(uint8_t fill) {
  PatientToken t;
  t.fill(fill);
  return t;
}

// Knows one patient, "p1", whose token is all 0x11.
std::optional<PatientToken> resolve(std::string_view id) {
  if (id == "p1") return token(0x11);
  return std::nullopt;
}

Result<AuditEventSearch> parse(rest::QueryParams params, SearchOptions options = {}) {
  return parse_audit_event_search(params, resolve, options);
}

TEST(AuditSearchTest, PatientByIdOrByToken) {
  auto s = parse({{"patient", "Patient/p1"}});
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->query.patient, token(0x11));
  EXPECT_FALSE(s->matches_nothing);
  EXPECT_EQ(parse({{"patient", "p1"}})->query.patient, token(0x11));
  // An unknown patient matches nothing (it is not an error: FHIR's empty result).
  s = parse({{"patient", "Patient/nobody"}});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->matches_nothing);

  const std::string hex(64, '2');
  for (const std::string& v : {std::string(kPatientTokenSystem) + "|0x" + hex,
                               std::string(kPatientTokenSystem) + "|" + hex, "0x" + hex}) {
    s = parse({{"patient.identifier", v}});
    ASSERT_TRUE(s.ok()) << v << ": " << s.error().message();
    EXPECT_EQ(s->query.patient, token(0x22));
  }
  EXPECT_EQ(patient_token_text(token(0x22)), "0x" + hex);
  // The same patient twice is that patient; two different ones, nobody.
  s = parse({{"patient", "p1"}, {"patient.identifier", "0x" + std::string(64, '1')}});
  EXPECT_FALSE(s->matches_nothing);
  s = parse({{"patient", "p1"}, {"patient.identifier", "0x" + hex}});
  EXPECT_TRUE(s->matches_nothing);
}

TEST(AuditSearchTest, PatientRefusals) {
  const std::string hex(64, '2');
  struct Case {
    rest::QueryParams params;
    StatusCode code;
  };
  for (const Case& c : std::vector<Case>{
           {{{"patient", "Patient/"}}, StatusCode::kInvalidArgument},
           {{{"patient", "Observation/x y"}}, StatusCode::kInvalidArgument},
           {{{"patient", "p1,p2"}}, StatusCode::kUnimplemented},
           {{{"patient.identifier", "0x1234"}}, StatusCode::kInvalidArgument},
           {{{"patient.identifier", "0x" + std::string(64, 'g')}}, StatusCode::kInvalidArgument},
           {{{"patient.identifier", "urn:oid:1.2.3|0x" + hex}}, StatusCode::kUnimplemented},
           {{{"patient.identifier", "|0x" + hex}}, StatusCode::kUnimplemented},
           {{{"patient.identifier", "urn:x|"}}, StatusCode::kInvalidArgument},
       }) {
    auto s = parse(c.params);
    ASSERT_FALSE(s.ok()) << c.params[0].second;
    EXPECT_EQ(s.error().code(), c.code) << c.params[0].second;
    EXPECT_NE(s.error().message().find(c.params[0].first), std::string::npos);
    if (c.params[0].second.size() > 8) {  // "Patient/" is in the text that says what is expected
      EXPECT_EQ(s.error().message().find(c.params[0].second), std::string::npos);
    }
  }
  auto no_resolver = parse_audit_event_search({{"patient", "p1"}}, nullptr);
  EXPECT_EQ(no_resolver.error().code(), StatusCode::kFailedPrecondition);
}

TEST(AuditSearchTest, AgentsInEveryWrittenFormAndTheBareClientName) {
  EXPECT_EQ(parse({{"agent", "client:ehr"}})->query.actor,
            (audit::Actor{ActorKind::kClient, "ehr"}));
  EXPECT_EQ(parse({{"agent", "ehr"}})->query.actor, (audit::Actor{ActorKind::kClient, "ehr"}));
  EXPECT_EQ(parse({{"agent", "operator"}})->query.actor, (audit::Actor{ActorKind::kOperator, ""}));
  EXPECT_EQ(parse({{"agent", "anonymous"}})->query.actor,
            (audit::Actor{ActorKind::kAnonymous, ""}));
  const std::string member = "0x" + std::string(40, 'c');
  EXPECT_EQ(parse({{"agent", "member:" + member}})->query.actor,
            (audit::Actor{ActorKind::kMember, member}));
  EXPECT_TRUE(parse({{"agent", "ehr"}, {"agent", "lab"}})->matches_nothing);
  for (std::string_view bad : {"client:", "member:0x12", "bad name", "robot:x"}) {
    auto s = parse({{"agent", std::string(bad)}});
    EXPECT_EQ(s.ok() ? StatusCode::kOk : s.error().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(AuditSearchTest, CountAfterAndTheLinksParameters) {
  auto s = parse({{"date", "ge2026"}, {"_format", "json"}, {"agent", "ehr"}, {"_after", "17"}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->count, 50u);
  EXPECT_EQ(s->query.limit, 50u);
  EXPECT_EQ(s->query.after_seq, 17);
  const rest::QueryParams used = {{"date", "ge2026"}, {"agent", "ehr"}, {"_count", "50"}};
  EXPECT_EQ(s->used, used);
  EXPECT_EQ(parse({{"_count", "7"}})->query.limit, 7u);
  EXPECT_EQ(parse({{"_count", "5000"}})->count, 1000u);  // at most the maximum
  SearchOptions small;
  small.max_count = 20;
  EXPECT_EQ(parse({{"_count", "5000"}}, small)->count, 20u);
  EXPECT_TRUE(parse({{"_count", "0"}})->matches_nothing);
  EXPECT_TRUE(parse({{"date", "ge2027"}, {"date", "lt2026"}})->matches_nothing);
  for (const rest::QueryParams& bad :
       std::vector<rest::QueryParams>{{{"_count", "-1"}},
                                      {{"_count", "ten"}},
                                      {{"_after", "1e3"}},
                                      {{"_after", std::string(19, '9')}},
                                      {{"date", "ge2026-99"}}}) {
    EXPECT_EQ(parse(bad).error().code(), StatusCode::kInvalidArgument) << bad[0].second;
  }
  // FHIR: a parameter without a value is ignored.
  EXPECT_EQ(parse({{"agent", ""}})->query.actor, std::nullopt);
}

TEST(AuditSearchTest, UnknownParametersAreNamedUnlessLenient) {
  auto s = parse({{"agent", "ehr"}, {"_sort", "-date"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), StatusCode::kUnimplemented);
  EXPECT_NE(s.error().message().find("'_sort'"), std::string::npos);
  // Modifiers are not supported either: "date:missing" is no parameter here.
  EXPECT_NE(parse({{"date:missing", "true"}}).error().message().find("'date:missing'"),
            std::string::npos);
  // A name that does not look like one is not quoted.
  s = parse({{"John Smith <1970>", "x"}});
  EXPECT_EQ(s.error().message().find("John"), std::string::npos);
  SearchOptions lenient;
  lenient.lenient = true;
  s = parse({{"agent", "ehr"}, {"_sort", "-date"}}, lenient);
  ASSERT_TRUE(s.ok());
  const rest::QueryParams used = {{"agent", "ehr"}, {"_count", "50"}};
  EXPECT_EQ(s->used, used);  // the self link shows what was applied
}

TEST(AuditSearchTest, SizesAreBounded) {
  rest::QueryParams many(kMaxSearchParams + 1, {"date", "ge2026"});
  EXPECT_EQ(parse(many).error().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(parse(rest::QueryParams(kMaxSearchParams, {"date", "ge2026"})).ok());
  auto s = parse({{"agent", std::string(kMaxSearchValueBytes + 1, 'a')}});
  EXPECT_EQ(s.error().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gw::auditview
