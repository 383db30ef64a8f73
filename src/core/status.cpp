#include "core/status.hpp"

#include <cstdio>
#include <cstdlib>

namespace wl {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kNotFound: return "not_found";
    case Code::kAlreadyExists: return "already_exists";
    case Code::kPermissionDenied: return "permission_denied";
    case Code::kUnauthenticated: return "unauthenticated";
    case Code::kResourceExhausted: return "resource_exhausted";
    case Code::kFailedPrecondition: return "failed_precondition";
    case Code::kAborted: return "aborted";
    case Code::kUnavailable: return "unavailable";
    case Code::kDeadlineExceeded: return "deadline_exceeded";
    case Code::kInternal: return "internal";
    case Code::kDataLoss: return "data_loss";
    case Code::kSessionLocked: return "session_locked";
  }
  return "unknown";
}

std::string Status::to_string() const {
  std::string text(code_name(code_));
  text += ": ";
  text += message_;
  return text;
}

namespace detail {
void check_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "WL_CHECK failed: %s at %s:%d\n", condition, file, line);
  std::abort();
}
}  // namespace detail

}  // namespace wl
