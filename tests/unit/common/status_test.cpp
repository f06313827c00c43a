// Status, Result<T> and the propagation macros: the error-handling contract every module uses.
#include "common/status.h"

#include <gtest/gtest.h>

#include <memory>

namespace beacon {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(StatusTest, FactoriesSetCodeAndMessage) {
  const Status s = Status::NotFound("no such host 'web-01'");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "no such host 'web-01'");
  EXPECT_EQ(s.ToString(), "NotFound: no such host 'web-01'");
  EXPECT_EQ(Status::InvalidArgument("x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Status::AlreadyExists("x").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Status::Unauthenticated("x").code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Status::PermissionDenied("x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Status::ResourceExhausted("x").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(Status::FailedPrecondition("x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Status::Unavailable("x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(Status::DeadlineExceeded("x").code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Status::IoError("x").code(), StatusCode::kIoError);
  EXPECT_EQ(Status::Corruption("x").code(), StatusCode::kCorruption);
  EXPECT_EQ(Status::Internal("x").code(), StatusCode::kInternal);
}

TEST(StatusTest, CodeNamesAreDistinctAndReadable) {
  EXPECT_EQ(StatusCodeName(StatusCode::kInvalidArgument), "InvalidArgument");
  EXPECT_EQ(StatusCodeName(StatusCode::kResourceExhausted), "ResourceExhausted");
  EXPECT_EQ(StatusCodeName(StatusCode::kIoError), "IoError");
  EXPECT_EQ(Status::Corruption("bad crc").ToString(), "Corruption: bad crc");
}

TEST(StatusTest, OnlyUnavailableAndDeadlineAreTransient) {
  EXPECT_TRUE(Status::Unavailable("busy").IsTransient());
  EXPECT_TRUE(Status::DeadlineExceeded("timeout").IsTransient());
  EXPECT_FALSE(Status::InvalidArgument("bad").IsTransient());
  EXPECT_FALSE(Status::IoError("disk").IsTransient());
  EXPECT_FALSE(Status::Ok().IsTransient());
}

TEST(StatusTest, WithContextPrefixesMessageAndKeepsCode) {
  const Status s = Status::IoError("disk full").WithContext("loading spool");
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.message(), "loading spool: disk full");
  EXPECT_TRUE(Status::Ok().WithContext("ignored").ok());
  EXPECT_EQ(Status::Ok().WithContext("ignored").message(), "");
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> good = 42;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  EXPECT_EQ(good.value(), 42);
  EXPECT_TRUE(good.status().ok());
  EXPECT_EQ(good.value_or(7), 42);

  Result<int> bad = Status::NotFound("gone");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bad.status().message(), "gone");
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(ResultTest, SupportsMoveOnlyValuesAndArrow) {
  Result<std::unique_ptr<std::string>> r = std::make_unique<std::string>("hello");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->size(), 5u);
  std::unique_ptr<std::string> taken = std::move(r).value();
  EXPECT_EQ(*taken, "hello");

  Result<std::string> s = std::string("abc");
  EXPECT_EQ(s->size(), 3u);
}

Result<int> ParsePositive(int v) {
  if (v <= 0) return Status::InvalidArgument("not positive: " + std::to_string(v));
  return v;
}

Status Check(int v) {
  if (v == 13) return Status::FailedPrecondition("unlucky");
  return Status::Ok();
}

Result<int> Doubled(int v, int* reached) {
  BEACON_ASSIGN_OR_RETURN(int p, ParsePositive(v));
  BEACON_RETURN_IF_ERROR(Check(p));
  ++*reached;
  return p * 2;
}

TEST(MacrosTest, PropagateFirstErrorAndStopEarly) {
  int reached = 0;
  Result<int> ok = Doubled(4, &reached);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 8);
  EXPECT_EQ(reached, 1);

  Result<int> neg = Doubled(-1, &reached);
  ASSERT_FALSE(neg.ok());
  EXPECT_EQ(neg.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(neg.status().message(), "not positive: -1");

  Result<int> unlucky = Doubled(13, &reached);
  ASSERT_FALSE(unlucky.ok());
  EXPECT_EQ(unlucky.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(reached, 1);  // neither failing call got past its macro
}

Status TwoAssignsInOneScope(int a, int b, int* sum) {
  // Two ASSIGN_OR_RETURN in one scope must not collide on their temporaries.
  BEACON_ASSIGN_OR_RETURN(int x, ParsePositive(a));
  BEACON_ASSIGN_OR_RETURN(int y, ParsePositive(b));
  *sum = x + y;
  return Status::Ok();
}

TEST(MacrosTest, SeveralAssignsInOneFunction) {
  int sum = 0;
  ASSERT_TRUE(TwoAssignsInOneScope(2, 3, &sum).ok());
  EXPECT_EQ(sum, 5);
  EXPECT_EQ(TwoAssignsInOneScope(2, 0, &sum).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace beacon
