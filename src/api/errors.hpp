#pragma once

#include <string>

#include "core/status.hpp"

namespace wl::api {

// The one table from Status codes to HTTP statuses (docs/protocol.md, Errors).
int http_status_of(Code code);

// {"error":{"code":"invalid_argument","message":"..."}}
std::string error_body(const Status& status);

// {"type":"error","code":"...","message":"...","ref":"<client ref>"}; ref omitted if empty.
std::string error_frame(const Status& status, std::string_view ref = {});

}  // namespace wl::api
