#include "gateway/base/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace gw {
namespace {

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.to_string(), "ok");
}

TEST(Status, CarriesCodeAndMessage) {
  Status s = not_found_error("record 7 not found");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "record 7 not found");
  EXPECT_EQ(s.with_context("export").message(), "export: record 7 not found");
  EXPECT_EQ(s.with_context("export").code(), StatusCode::kNotFound);
  EXPECT_TRUE(ok_status().with_context("x").ok());
  EXPECT_EQ(Status(StatusCode::kUnavailable, "").to_string(), "unavailable");
}

TEST(Result, HoldsValueOrError) {
  Result<int> v = 42;
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 42);
  EXPECT_TRUE(v.status().ok());
  Result<int> e = invalid_argument_error("bad");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(e.value_or(5), 5);
}

TEST(Result, OkStatusAsErrorBecomesInternal) {
  Result<int> r = Status();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::kInternal);
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(3);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 3);
}

struct DomainError {
  int code = 0;
};

TEST(Result, DomainErrorPayload) {
  Result<std::string, DomainError> r = DomainError{102};
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 102);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r = internal_error("x");
  EXPECT_DEATH((void)r.value(), "");
}

Status fails_when(bool fail) { return fail ? data_loss_error("torn") : ok_status(); }
Result<int> half(int x) {
  if (x % 2 != 0) return invalid_argument_error("odd");
  return x / 2;
}

Status chain(bool fail) {
  GW_RETURN_IF_ERROR(fails_when(fail));
  return ok_status();
}

Result<int> quarter(int x) {
  GW_ASSIGN_OR_RETURN(int h, half(x));
  GW_RETURN_IF_ERROR(half(h));
  GW_ASSIGN_OR_RETURN(h, half(h));
  return h;
}

Result<int, DomainError> domain_step(bool fail) {
  if (fail) return DomainError{7};
  return 1;
}
Result<std::string, DomainError> domain_chain(bool fail) {
  GW_ASSIGN_OR_RETURN(int one, domain_step(fail));
  return std::to_string(one);
}

TEST(Macros, PropagateTheFirstError) {
  EXPECT_TRUE(chain(false).ok());
  EXPECT_EQ(chain(true).code(), StatusCode::kDataLoss);
  ASSERT_TRUE(quarter(8).ok());
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_EQ(quarter(6).error().message(), "odd");
  EXPECT_EQ(quarter(3).error().message(), "odd");
  EXPECT_EQ(*domain_chain(false), "1");
  EXPECT_EQ(domain_chain(true).error().code, 7);
}

}  // namespace
}  // namespace gw
