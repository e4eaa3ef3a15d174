// The store's verdicts as HTTP answers.
#include "gateway/rest/http_mapping.h"

#include <gtest/gtest.h>

#include "fhir/json/write.h"

namespace gw::rest {
namespace {

using Kind = store::CommitResult::Kind;

TEST(HttpMappingTest, ConflictsAre409Or412WithIfMatch) {
  EXPECT_EQ(http_for_commit(Kind::kConflict, false).status, 409);
  EXPECT_EQ(http_for_commit(Kind::kConflict, true).status, 412);
  EXPECT_EQ(http_for_commit(Kind::kConflict, true).issue_code, "conflict");
  EXPECT_EQ(http_for_commit(Kind::kConflict, true).retry_after_s, 0);
}

TEST(HttpMappingTest, WhatWasNotStoredIsATransient503WithRetryAfter) {
  for (Kind k : {Kind::kFailed, Kind::kDuplicate, Kind::kDuplicateConflict}) {
    const HttpMapping m = http_for_commit(k, false);
    EXPECT_EQ(m.status, 503);
    EXPECT_EQ(m.issue_code, "transient");
    EXPECT_EQ(m.retry_after_s, 5);
  }
  ApiResult r = commit_error_result(Kind::kFailed, false);
  EXPECT_EQ(r.status, 503);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>("Retry-After", "5")));
  ASSERT_TRUE(r.body.has_value());
  EXPECT_NE(fhir::write_json(*r.body).find("the store could not commit; retry later"),
            std::string::npos);
}

TEST(HttpMappingTest, TheCallersTextReplacesTheDefault) {
  ApiResult r = commit_error_result(Kind::kConflict, true, "entry 2: version does not match");
  EXPECT_EQ(r.status, 412);
  EXPECT_TRUE(r.headers.empty());
  EXPECT_NE(fhir::write_json(*r.body).find("entry 2: version does not match"), std::string::npos);
}

}  // namespace
}  // namespace gw::rest
