#include "api/errors.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace wl::api {

int http_status_of(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
      return 409;
    case Code::kAborted:
      return 409;
    case Code::kFailedPrecondition:
      return 412;
    case Code::kResourceExhausted:
      return 429;
    case Code::kInternal:
      return 500;
    case Code::kDataLoss:
      return 500;
    case Code::kSessionLocked:
      return 423;
    case Code::kUnavailable:
      return 503;
    case Code::kDeadlineExceeded:
      return 504;
  }
  return 500;
}

std::string error_body(const Status& status) {
  boost::json::object inner;
  inner["code"] = code_name(status.code());
  inner["message"] = status.message();
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return boost::json::serialize(outer);
}

std::string error_frame(const Status& status, std::string_view ref) {
  boost::json::object frame;
  frame["type"] = "error";
  frame["code"] = code_name(status.code());
  frame["message"] = status.message();
  if (!ref.empty()) {
    frame["ref"] = ref;
  }
  return boost::json::serialize(frame);
}

}  // namespace wl::api
