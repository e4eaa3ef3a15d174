#include "gateway/rest/access.h"

#include <gtest/gtest.h>

namespace gw::rest {
namespace {

using auth::Interaction;

struct Row {
  const char* method;
  std::vector<std::string> segments;
  Interaction interaction;
  const char* type;
  const char* operation;
  bool conditional;
};

TEST(DescribeRequestTest, EveryServedPathIsDescribedBeforeAnythingAnswersIt) {
  const std::vector<Row> rows = {
      {"GET", {"metadata"}, Interaction::kCapabilities, "", "", false},
      {"POST", {}, Interaction::kBundle, "", "", false},
      {"GET", {}, Interaction::kSearchSystem, "", "", false},
      {"GET", {"_history"}, Interaction::kHistorySystem, "", "", false},
      {"POST", {"$request-transfer"}, Interaction::kOperation, "", "request-transfer", false},
      {"GET", {"Patient"}, Interaction::kSearchType, "Patient", "", false},
      {"POST", {"Patient", "_search"}, Interaction::kSearchType, "Patient", "", false},
      {"POST", {"Patient"}, Interaction::kCreate, "Patient", "", false},
      {"PUT", {"Patient"}, Interaction::kUpdate, "Patient", "", true},
      {"DELETE", {"Patient"}, Interaction::kDelete, "Patient", "", true},
      {"GET", {"Patient", "p1"}, Interaction::kRead, "Patient", "", false},
      {"PUT", {"Patient", "p1"}, Interaction::kUpdate, "Patient", "", false},
      {"PATCH", {"Patient", "p1"}, Interaction::kPatch, "Patient", "", false},
      {"DELETE", {"Patient", "p1"}, Interaction::kDelete, "Patient", "", false},
      {"GET", {"Patient", "_history"}, Interaction::kHistoryType, "Patient", "", false},
      {"GET", {"Patient", "p1", "_history"}, Interaction::kHistoryInstance, "Patient", "", false},
      {"GET", {"Patient", "p1", "_history", "2"}, Interaction::kVread, "Patient", "", false},
      {"POST",
       {"Patient", "p1", "$transfer"},
       Interaction::kOperation,
       "Patient",
       "transfer",
       false},
      {"GET",
       {"Patient", "p1", "$access-report"},
       Interaction::kOperation,
       "Patient",
       "access-report",
       false},
      {"GET", {"AuditEvent"}, Interaction::kSearchType, "AuditEvent", "", false},
  };
  for (const Row& r : rows) {
    const DescribedRequest d = describe_request(r.method, r.segments, {}, false);
    ASSERT_FALSE(d.error) << r.method;
    EXPECT_EQ(d.access.interaction, r.interaction) << r.method << " " << r.segments.size();
    EXPECT_EQ(d.access.resource_type, r.type);
    EXPECT_EQ(d.access.operation, r.operation);
    EXPECT_EQ(d.access.conditional, r.conditional) << r.method;
  }
  EXPECT_TRUE(describe_request("POST", {"Patient"}, {}, true).access.conditional);
}

TEST(DescribeRequestTest, WhatNamesNothingServableIsAnsweredAtOnce) {
  EXPECT_EQ(describe_request("GET", {"Patientx"}, {}, false).error->status, 404);
  EXPECT_EQ(describe_request("GET", {"Resource", "1"}, {}, false).error->status, 404);
  EXPECT_EQ(describe_request("DELETE", {"metadata"}, {}, false).error->status, 405);
  EXPECT_EQ(describe_request("PUT", {}, {}, false).error->status, 405);
  EXPECT_EQ(describe_request("GET", {"Patient", "p1", "x", "y"}, {}, false).error->status, 404);
  EXPECT_EQ(describe_request("TRACE", {"Patient", "p1"}, {}, false).error->status, 405);
}

TEST(DescribeRequestTest, IncludesAndSystemTypesAreNamedForThePolicy) {
  const QueryParams params = {{"_type", "Patient,Observation"},
                              {"_include", "Observation:subject:Patient"},
                              {"_include", "Observation:performer"},
                              {"_revinclude", "Provenance:target"}};
  const DescribedRequest d = describe_request("GET", {}, params, false);
  ASSERT_FALSE(d.error);
  EXPECT_EQ(d.access.types, (std::vector<std::string_view>{"Patient", "Observation"}));
  EXPECT_EQ(d.access.included_types, (std::vector<std::string_view>{"Patient", "*"}));
  EXPECT_EQ(d.access.revincluded_types, (std::vector<std::string_view>{"Provenance"}));
}

}  // namespace
}  // namespace gw::rest
