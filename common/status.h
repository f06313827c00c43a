// Status and Result<T>: errors as values. No exception crosses a component boundary;
// adapters (Poco, yaml-cpp, libcurl, nlohmann) convert theirs into a Status.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace beacon {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input from a caller, config or the network
  kNotFound,
  kAlreadyExists,
  kUnauthenticated,    // no or unknown credentials (HTTP 401)
  kPermissionDenied,   // known credentials, not allowed (HTTP 403)
  kResourceExhausted,  // size limits, quotas (HTTP 413 / 429)
  kFailedPrecondition,
  kUnavailable,       // transient: retry with backoff
  kDeadlineExceeded,  // timeouts: retry with backoff
  kIoError,           // filesystem or database I/O
  kCorruption,        // data that fails validation after it was stored or sent
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Unauthenticated(std::string m) {
    return {StatusCode::kUnauthenticated, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) {
    return {StatusCode::kDeadlineExceeded, std::move(m)};
  }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // True for errors worth retrying later (network, timeouts, busy database).
  bool IsTransient() const {
    return code_ == StatusCode::kUnavailable || code_ == StatusCode::kDeadlineExceeded;
  }
  // "NotFound: no such host 'web-01'"; "OK" for success.
  std::string ToString() const;
  // Same code, message prefixed with context: "loading spool: <message>".
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result constructed from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T value_or(T fallback) const { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace beacon

// Propagates a non-OK Status from an expression returning Status.
#define BEACON_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::beacon::Status beacon_status_ = (expr);        \
    if (!beacon_status_.ok()) return beacon_status_; \
  } while (0)

#define BEACON_CONCAT_INNER_(a, b) a##b
#define BEACON_CONCAT_(a, b) BEACON_CONCAT_INNER_(a, b)
// BEACON_ASSIGN_OR_RETURN(auto x, Foo()); returns the Status if Foo() failed.
#define BEACON_ASSIGN_OR_RETURN(lhs, expr) \
  BEACON_ASSIGN_OR_RETURN_IMPL_(BEACON_CONCAT_(beacon_result_, __LINE__), lhs, expr)
#define BEACON_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
