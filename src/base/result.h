// naos::Result<T> — the project's one error type.
//
// Shaped like C++23 std::expected (has_value(), value(), error(), operator bool)
// so it can become an alias later. Errors carry a small closed Code, a human
// message, and optional context (which file, which agent, which key).
// docs/errors.md says when each code is used and whether a caller may retry.
//
// Invariants: a Result holds exactly one of a value or an Error. Dropping a
// Result is a compile warning ([[nodiscard]]); drop one on purpose with
// ignore_error(). Code branches on Error::code, never on message text.
//
// Thread-safety: plain value type; no sharing rules beyond those of T.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace naos {

enum class Code {
  kInvalidArgument,    // the caller's input is wrong; do not retry unchanged
  kNotFound,           // the named thing does not exist
  kAlreadyExists,      // the named thing exists already
  kPermissionDenied,   // a capability or grant does not allow this
  kUnauthenticated,    // an identity could not be verified (a module that is not the one registered)
  kResourceExhausted,  // fuel, memory, output, budget or quota ran out
  kDeadlineExceeded,   // a timeout elapsed
  kFailedPrecondition, // the system is not in a state that allows this
  kAborted,            // a conflict or crash interrupted the operation; retry may work
  kUnavailable,        // a transient failure of a dependency (network, disk busy)
  kInternal,           // a bug or an invariant broke
};

std::string_view code_name(Code code);

class [[nodiscard]] Error {
 public:
  Error(Code code, std::string message, std::string context = {})
      : code_(code), message_(std::move(message)), context_(std::move(context)) {}

  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // What the error is about (a file:line:col, an agent name, an import); may be empty.
  const std::string& context() const { return context_; }

  // "context: message", the one-line form the CLI prints after "error: ".
  std::string to_string() const;

 private:
  Code code_;
  std::string message_;
  std::string context_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(state_); }
  const T& value() const& { assert(has_value()); return std::get<0>(state_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!has_value()); return std::get<1>(state_); }

  void ignore_error() const {}

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  void value() const { assert(has_value()); }
  const Error& error() const { assert(!has_value()); return *error_; }

  void ignore_error() const {}

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status ok() { return {}; }

}  // namespace naos

// Propagates an error from an expression returning Result<...>.
#define NAOS_TRY(expr)                                   \
  do {                                                   \
    auto naos_try_result_ = (expr);                      \
    if (!naos_try_result_) return naos_try_result_.error(); \
  } while (0)

#define NAOS_CONCAT_INNER_(a, b) a##b
#define NAOS_CONCAT_(a, b) NAOS_CONCAT_INNER_(a, b)

// `NAOS_ASSIGN_OR_RETURN(auto x, make_x());` binds the value or returns the error.
#define NAOS_ASSIGN_OR_RETURN(decl, expr)                                   \
  auto NAOS_CONCAT_(naos_aor_, __LINE__) = (expr);                          \
  if (!NAOS_CONCAT_(naos_aor_, __LINE__)) return NAOS_CONCAT_(naos_aor_, __LINE__).error(); \
  decl = std::move(NAOS_CONCAT_(naos_aor_, __LINE__)).value()
