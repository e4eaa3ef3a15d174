// A value or an error message: how the ledger client's decoders and signers
// report failure (errors are values; nothing here throws or aborts on bad
// input). Shared by rlp/, abi/ and tx/.
#pragma once

#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace gw::ledger {

// Why an operation failed, as one sentence that names what failed and, where
// it helps, how to recover. Never holds key bytes or payload contents, so it
// is safe to log.
struct Error {
  std::string message;
};

// A T or an Error. Small and must-use, in the manner of absl::StatusOr.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // Precondition: ok(). Violations abort: they are bugs, not data errors.
  const T& value() const& { return *checked<0>(); }
  T& value() & { return *checked<0>(); }
  T&& value() && { return std::move(*checked<0>()); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  // Precondition: !ok().
  const std::string& error() const { return checked<1>()->message; }

 private:
  template <size_t I>
  auto* checked() const {
    auto* p = std::get_if<I>(const_cast<std::variant<T, Error>*>(&v_));
    if (p == nullptr) std::abort();
    return p;
  }
  std::variant<T, Error> v_;
};

// Success or an Error, for operations without a value.
using Status = Result<std::monostate>;
inline Status ok_status() { return std::monostate{}; }

}  // namespace gw::ledger
