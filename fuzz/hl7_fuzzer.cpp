// libFuzzer target: the HL7 v2 parser and the MLLP decoder (src/core/hl7, docs/hl7.md),
// the code that reads what an interface engine sends before anything else looks at it.
// Built with clang by scripts/fuzz.sh under AddressSanitizer and
// UndefinedBehaviorSanitizer. Beyond "no crash, no undefined behaviour, no leak", each
// input must give a message or an error that keeps the parser's promises, checked below.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/hl7/message.hpp"
#include "core/hl7/mllp.hpp"
#include "core/utf8.hpp"

namespace {

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

// Every value is valid UTF-8, no longer than three bytes per input byte (a U+FFFD for
// each), and survives escaping for the same encoding characters.
void check_value(const wl::hl7::Message& message, const std::string& value, std::size_t input) {
  require(wl::is_valid_utf8(value));
  require(value.size() <= 3 * input);
  require(message.unescape(message.escape(value)) == value);
}

void check_message(const wl::hl7::Message& message, std::size_t input) {
  const wl::hl7::ParseLimits limits;
  require(!message.segments().empty() && message.segments().front().name() == "MSH");
  require(message.segments().size() <= limits.max_segments);
  const wl::hl7::Header& header = message.header();
  for (const std::string* text :
       {&header.sending_application, &header.message_code, &header.trigger_event,
        &header.control_id, &header.version, &header.time_text, &header.event_time_text}) {
    check_value(message, *text, input);
  }
  for (const wl::hl7::Segment& segment : message.segments()) {
    require(segment.name().size() == 3);
    require(segment.field_count() < limits.max_fields);
    // One past the end of each level too: it must read as empty.
    for (std::size_t field = 0; field <= segment.field_count() + 1; ++field) {
      const std::size_t repetitions = message.repetition_count(segment, field);
      require(repetitions <= limits.max_repetitions);
      for (std::size_t repetition = 1; repetition <= std::min<std::size_t>(repetitions + 1, 4);
           ++repetition) {
        for (std::size_t component = 1; component <= 4; ++component) {
          for (std::size_t subcomponent = 1; subcomponent <= 3; ++subcomponent) {
            check_value(message, message.value(segment, field, repetition, component, subcomponent),
                        input);
          }
        }
      }
    }
  }
}

// Feeds `bytes` through a decoder in chunks whose sizes come from `seed`; returns the
// messages joined, for comparison.
std::string decode_in_chunks(std::string_view bytes, std::uint8_t seed, bool& failed,
                             bool& partial) {
  wl::hl7::MllpDecoder decoder(4096);
  std::string decoded;
  std::size_t chunk = 1 + seed % 17;
  while (!bytes.empty() && !decoder.failed()) {
    const std::size_t take = std::min(chunk, bytes.size());
    (void)decoder.feed(bytes.substr(0, take));
    bytes.remove_prefix(take);
    chunk = 1 + (chunk * 7 + seed) % 31;
    while (auto message = decoder.next()) {
      require(message->size() <= 4096);
      decoded += *message;
      decoded += '\x1C';
    }
  }
  failed = decoder.failed();
  partial = decoder.has_partial_frame();
  require(decoder.finish().has_value() == !partial);
  return decoded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = wl::hl7::parse_message(text);
  if (parsed) {
    check_message(*parsed, size);
  } else {
    // Every refusal is the sender's mistake, said briefly and without quoting the input.
    require(parsed.error().code() == wl::Code::kInvalidArgument);
    require(!parsed.error().message().empty() && parsed.error().message().size() <= 200);
    require(wl::is_valid_utf8(parsed.error().message()));
  }

  // The raw input as a byte stream: whatever framing it holds, the decoder stays bounded.
  const std::uint8_t seed = size > 0 ? data[0] : 0;
  bool failed = false;
  bool partial = false;
  decode_in_chunks(text, seed, failed, partial);

  // The input framed: it comes back whole, in any chunking, or fails as oversize. (Framing
  // bytes inside it end or break the frame early, which the first pass covers.)
  const bool frameable =
      text.find_first_of(std::string_view("\x0B\x1C", 2)) == std::string_view::npos;
  const std::string decoded = decode_in_chunks(wl::hl7::encode_mllp(text), seed, failed, partial);
  if (frameable && size <= 4096) {
    require(!failed && !partial);
    require(decoded == std::string(text) + '\x1C');
  } else if (frameable) {
    require(failed);
  }
  return 0;
}
