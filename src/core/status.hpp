#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace wl {

// Canonical error codes, chosen by what the caller should do next (abseil's model).
// api/error_mapping.cpp holds the one table that maps them to HTTP statuses and
// WebSocket error frames; docs/protocol.md lists them for clients.
enum class Code {
  kOk = 0,
  kInvalidArgument,     // Fix the request; retrying it unchanged fails again.
  kNotFound,            // The named thing does not exist (or is not visible to the caller).
  kAlreadyExists,       // Creating something that exists.
  kPermissionDenied,    // Authenticated, but not allowed.
  kUnauthenticated,     // No valid credentials: log in again.
  kResourceExhausted,   // Rate limit, lockout or quota: retry later.
  kFailedPrecondition,  // Fix the state first (e.g. a revoked device).
  kAborted,             // Concurrency conflict: redo the read-modify-write.
  kUnavailable,         // Transient: retry the same call.
  kDeadlineExceeded,    // Took too long.
  kInternal,            // A bug or broken invariant.
  kDataLoss,            // Stored data failed an integrity check.
  kSessionLocked,       // The session is locked: unlock it (PIN or password), then retry.
};

std::string_view code_name(Code code);

// An error: a code and a message safe to show a client. Messages never carry PHI,
// SQL, keys or file paths (STYLE.md section 4).
class Status {
 public:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string to_string() const;

 private:
  Code code_;
  std::string message_;
};

template <typename T>
using Result = std::expected<T, Status>;

inline std::unexpected<Status> error(Code code, std::string message) {
  return std::unexpected<Status>(Status(code, std::move(message)));
}

inline Result<void> ok() { return {}; }

}  // namespace wl

// WL_TRY(expr): evaluates a Result; on error returns it from the enclosing function,
// otherwise yields the value (or nothing, for Result<void>).
#define WL_TRY(expr)                                                     \
  ({                                                                     \
    auto&& wl_try_result_ = (expr);                                      \
    if (!wl_try_result_) {                                               \
      return std::unexpected<::wl::Status>(std::move(wl_try_result_).error()); \
    }                                                                    \
    std::move(wl_try_result_).value();                                   \
  })

#define WL_CHECK(condition)                                                   \
  do {                                                                        \
    if (!(condition)) {                                                       \
      ::wl::detail::check_failed(#condition, __FILE__, __LINE__);             \
    }                                                                         \
  } while (false)

#ifdef NDEBUG
#define WL_DCHECK(condition) \
  do {                       \
  } while (false)
#else
#define WL_DCHECK(condition) WL_CHECK(condition)
#endif

namespace wl::detail {
[[noreturn]] void check_failed(const char* condition, const char* file, int line);
}  // namespace wl::detail
