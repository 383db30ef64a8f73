// libFuzzer target: the WebSocket frame decoder (src/api/frames.hpp), the first code
// that reads what an unauthenticated client sends. Built with clang by
// scripts/fuzz.sh, with Boost.JSON compiled in (so the parser is instrumented too),
// under AddressSanitizer and UndefinedBehaviorSanitizer. Beyond "no crash, no
// undefined behaviour, no leak", each input must give either a frame or an error
// that obeys the protocol's promises, checked below.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include <boost/json/src.hpp>

#include "api/frames.hpp"
#include "core/utf8.hpp"

namespace {

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

// A ref is what the server echoes back: bounded, and valid UTF-8 so the answer is
// valid JSON.
void check_ref(std::string_view ref) {
  require(ref.size() <= wl::api::kMaxRefBytes);
  require(wl::is_valid_utf8(ref));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = wl::api::decode_client_frame(text);
  if (!decoded) {
    const wl::api::FrameError& bad = decoded.error();
    // Every refusal of a frame is the client's mistake, said briefly.
    require(bad.status.code() == wl::Code::kInvalidArgument);
    require(!bad.status.message().empty() && bad.status.message().size() <= 200);
    require(wl::is_valid_utf8(bad.status.message()));
    check_ref(bad.ref);
    return 0;
  }
  check_ref(decoded->ref);
  if (const auto* hello = std::get_if<wl::api::HelloFrame>(&decoded->frame)) {
    require(decoded->ref.empty());
    require(wl::is_valid_utf8(hello->token) && wl::is_valid_utf8(hello->cursor));
  }
  if (const auto* send = std::get_if<wl::api::SendFrame>(&decoded->frame)) {
    // A send answers by its client id.
    require(decoded->ref == std::string_view(send->client_id).substr(0, decoded->ref.size()));
    require(wl::is_valid_utf8(send->body));
  }
  return 0;
}
