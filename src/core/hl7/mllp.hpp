#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace wl::hl7 {

// MLLP release 1 framing (HL7 v2.5.1 Appendix C): 0x0B, the message, 0x1C 0x0D.
inline constexpr char kMllpStart = '\x0B';
inline constexpr char kMllpEnd = '\x1C';
inline constexpr char kMllpTrailer = '\x0D';

// `message` framed for sending. The message must not contain 0x0B or 0x1C (UTF-8 and
// single-byte character sets never do).
std::string encode_mllp(std::string_view message);

// Streaming decoder for one connection's bytes: feed() them as they arrive, in any
// chunking; next() yields each complete message, in order, without its framing. Bytes
// outside a frame (line noise, keep-alive newlines) are skipped and counted. Memory is
// bounded: a frame longer than max_frame_bytes is an error, and so is broken framing; after
// an error the decoder stays failed and the caller closes the connection. Not thread-safe:
// owned by the connection that reads.
class MllpDecoder {
 public:
  static constexpr std::size_t kDefaultMaxFrameBytes = std::size_t{1} << 20;

  explicit MllpDecoder(std::size_t max_frame_bytes = kDefaultMaxFrameBytes);

  // Takes the next bytes. Returns ResourceExhausted when a frame grows past the limit and
  // InvalidArgument when 0x0B arrives inside a frame or 0x1C is not followed by 0x0D; frames
  // completed before the error stay available from next(). Once failed, returns the same
  // error without reading.
  [[nodiscard]] Result<void> feed(std::string_view bytes);

  // The oldest complete message not yet taken, or nullopt.
  std::optional<std::string> next();

  // Call when the peer closes: DataLoss when it closed inside a frame (a partial message
  // that must not be acknowledged), ok otherwise.
  [[nodiscard]] Result<void> finish() const;

  bool has_partial_frame() const { return state_ != State::kBetweenFrames; }
  std::size_t skipped_bytes() const { return skipped_bytes_; }
  bool failed() const { return failure_.has_value(); }

 private:
  enum class State { kBetweenFrames, kInFrame, kAfterEnd };

  Result<void> fail(Code code, std::string message);
  std::size_t take_between(std::string_view bytes);
  Result<std::size_t> take_in_frame(std::string_view bytes);
  Result<void> take_after_end(char byte);

  std::size_t max_frame_bytes_;
  State state_ = State::kBetweenFrames;
  std::string frame_;  // The open frame's payload so far.
  std::deque<std::string> complete_;
  std::size_t skipped_bytes_ = 0;
  std::optional<Status> failure_;
};

}  // namespace wl::hl7
