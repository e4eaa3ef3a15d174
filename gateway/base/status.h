// One way to carry errors, shared by every module: Status (success, or a code
// and a message) and Result<T, E> (a T or an E), in the manner of Abseil's
// Status/StatusOr and LevelDB's Status. Header-only and dependent on nothing
// but the standard library, so that fhir/, adapters/, tpm/, ledger-client/
// and gateway/ may all include it without depending on one another.
//
// Domain error payloads stay in their modules and ride in the E slot:
// hl7::Error (table 0357 code and location), fhir::JsonError (offset and
// path), ledger::RpcFailure (what to do next with a node). Everything else
// uses the default E = Status.
//
// Messages are safe to log by contract: they never hold patient data, key
// bytes or payload contents. Callers that build a message from outside input
// describe it (its length, its position), never copy it.
//
// Errors are values: nothing here throws. Reading value() of an error (or
// error() of a value) is a bug, not a data error, and aborts.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace gw {

// Chosen by what the caller should do next, as absl::StatusCode is.
enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,     // the input is wrong: fix it; retrying unchanged fails again
  kNotFound,            // the thing asked for does not exist
  kAlreadyExists,       // it exists already (a create that must not repeat)
  kFailedPrecondition,  // the system is not in a state to do it: fix the state first
  kPermissionDenied,    // the caller is known and may not do this
  kUnauthenticated,     // the caller is not known
  kResourceExhausted,   // a configured limit was reached
  kUnavailable,         // transient (a peer, a device, a lock): retry later
  kDeadlineExceeded,    // it took too long; the outcome may be unknown
  kDataLoss,            // stored data is corrupt or missing
  kUnimplemented,       // not supported (yet): the message says what is missing
  kInternal,            // our own invariant broke: a bug
};

// "invalid-argument", "not-found", ...: stable, for logs and test output.
constexpr std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid-argument";
    case StatusCode::kNotFound:
      return "not-found";
    case StatusCode::kAlreadyExists:
      return "already-exists";
    case StatusCode::kFailedPrecondition:
      return "failed-precondition";
    case StatusCode::kPermissionDenied:
      return "permission-denied";
    case StatusCode::kUnauthenticated:
      return "unauthenticated";
    case StatusCode::kResourceExhausted:
      return "resource-exhausted";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kDeadlineExceeded:
      return "deadline-exceeded";
    case StatusCode::kDataLoss:
      return "data-loss";
    case StatusCode::kUnimplemented:
      return "unimplemented";
    case StatusCode::kInternal:
      return "internal";
  }
  return "unknown";
}

class [[nodiscard]] Status {
 public:
  Status() = default;  // success
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // The message alone, as the caller wrote it ("tpm: unseal failed: ...").
  const std::string& message() const { return message_; }
  // The message, with the code's name in front only when there is no message.
  std::string to_string() const {
    if (ok()) return "ok";
    if (message_.empty()) return std::string(status_code_name(code_));
    return message_;
  }
  // A copy whose message is "<context>: <message>", same code. For adding what
  // the caller was doing as an error travels up.
  Status with_context(std::string_view context) const {
    if (ok()) return *this;
    return Status(code_, std::string(context) + ": " + message_);
  }

  // Explicitly ignores a status where failure is truly of no consequence
  // (say why at the call site).
  void ignore() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status ok_status() { return Status(); }
inline Status invalid_argument_error(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status not_found_error(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
inline Status already_exists_error(std::string m) {
  return Status(StatusCode::kAlreadyExists, std::move(m));
}
inline Status failed_precondition_error(std::string m) {
  return Status(StatusCode::kFailedPrecondition, std::move(m));
}
inline Status permission_denied_error(std::string m) {
  return Status(StatusCode::kPermissionDenied, std::move(m));
}
inline Status unauthenticated_error(std::string m) {
  return Status(StatusCode::kUnauthenticated, std::move(m));
}
inline Status resource_exhausted_error(std::string m) {
  return Status(StatusCode::kResourceExhausted, std::move(m));
}
inline Status unavailable_error(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}
inline Status deadline_exceeded_error(std::string m) {
  return Status(StatusCode::kDeadlineExceeded, std::move(m));
}
inline Status data_loss_error(std::string m) { return Status(StatusCode::kDataLoss, std::move(m)); }
inline Status unimplemented_error(std::string m) {
  return Status(StatusCode::kUnimplemented, std::move(m));
}
inline Status internal_error(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }

// A T or an E. Small and must-use, in the manner of absl::StatusOr. With the
// default E = Status, constructing from an ok() Status is a bug (there is no
// value to hold) and is turned into an internal error rather than a value.
template <typename T, typename E = Status>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<T, E>, "Result<T, E> needs distinct T and E");

 public:
  using value_type = T;
  using error_type = E;

  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {   // NOLINT: implicit
    if constexpr (std::is_same_v<E, Status>) {
      auto& s = std::get<1>(v_);
      if (s.ok()) s = internal_error("an ok Status was returned as a Result's error");
    }
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Precondition: ok().
  const T& value() const& { return *checked<0>(); }
  T& value() & { return *checked<0>(); }
  T&& value() && { return std::move(*checked<0>()); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*checked<0>()); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

  // Precondition: !ok().
  const E& error() const& { return *checked<1>(); }
  E&& error() && { return std::move(*checked<1>()); }

  // With E = Status: the Status of this result (ok when it holds a value).
  Status status() const requires std::is_same_v<E, Status> { return ok() ? Status() : error(); }

 private:
  template <size_t I>
  auto* checked() const {
    auto* p = std::get_if<I>(const_cast<std::variant<T, E>*>(&v_));
    if (p == nullptr) std::abort();
    return p;
  }
  std::variant<T, E> v_;
};

namespace internal {
inline Status error_of(const Status& s) { return s; }
inline Status error_of(Status&& s) { return std::move(s); }
template <typename T, typename E>
E error_of(Result<T, E>&& r) {
  return std::move(r).error();
}
template <typename T, typename E>
E error_of(const Result<T, E>& r) {
  return r.error();
}
}  // namespace internal

}  // namespace gw

#define GW_STATUS_CONCAT_INNER_(a, b) a##b
#define GW_STATUS_CONCAT_(a, b) GW_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (a Status or a Result) once; if it failed, returns its
// error from the enclosing function (which returns a Status or a Result with
// the same error type).
#define GW_RETURN_IF_ERROR(expr)                                                          \
  do {                                                                                    \
    auto&& gw_status_tmp_ = (expr);                                                       \
    if (!gw_status_tmp_.ok()) return ::gw::internal::error_of(std::move(gw_status_tmp_)); \
  } while (false)

// GW_ASSIGN_OR_RETURN(auto x, make_x()); evaluates the Result once; on error
// returns its error from the enclosing function, else moves the value into
// the declaration or lvalue on the left.
#define GW_ASSIGN_OR_RETURN(lhs, expr) \
  GW_ASSIGN_OR_RETURN_IMPL_(GW_STATUS_CONCAT_(gw_result_tmp_, __LINE__), lhs, expr)
#define GW_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)                 \
  auto tmp = (expr);                                              \
  if (!tmp.ok()) return ::gw::internal::error_of(std::move(tmp)); \
  lhs = std::move(tmp).value()
