#include "core/hl7/mllp.hpp"

#include <utility>

#include <fmt/format.h>

namespace wl::hl7 {

std::string encode_mllp(std::string_view message) {
  std::string framed;
  framed.reserve(message.size() + 3);
  framed.push_back(kMllpStart);
  framed.append(message);
  framed.push_back(kMllpEnd);
  framed.push_back(kMllpTrailer);
  return framed;
}

MllpDecoder::MllpDecoder(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

Result<void> MllpDecoder::feed(std::string_view bytes) {
  if (failure_) {
    return std::unexpected(*failure_);
  }
  while (!bytes.empty()) {
    switch (state_) {
      case State::kBetweenFrames:
        bytes.remove_prefix(take_between(bytes));
        break;
      case State::kInFrame:
        bytes.remove_prefix(WL_TRY(take_in_frame(bytes)));
        break;
      case State::kAfterEnd:
        WL_TRY(take_after_end(bytes.front()));
        bytes.remove_prefix(1);
        break;
    }
  }
  return ok();
}

std::optional<std::string> MllpDecoder::next() {
  if (complete_.empty()) {
    return std::nullopt;
  }
  std::string message = std::move(complete_.front());
  complete_.pop_front();
  return message;
}

Result<void> MllpDecoder::finish() const {
  if (has_partial_frame()) {
    return error(Code::kDataLoss, "the connection closed inside an MLLP frame");
  }
  return ok();
}

Result<void> MllpDecoder::fail(Code code, std::string message) {
  failure_ = Status(code, std::move(message));
  frame_ = std::string();  // Release the buffer: nothing more will be read.
  return std::unexpected(*failure_);
}

// Skips to the start block; returns how many bytes it consumed.
std::size_t MllpDecoder::take_between(std::string_view bytes) {
  const std::size_t start = bytes.find(kMllpStart);
  if (start == std::string_view::npos) {
    skipped_bytes_ += bytes.size();
    return bytes.size();
  }
  skipped_bytes_ += start;
  state_ = State::kInFrame;
  return start + 1;
}

// Appends payload up to the end block, checking the limit before the buffer grows.
Result<std::size_t> MllpDecoder::take_in_frame(std::string_view bytes) {
  const std::size_t stop = bytes.find_first_of(std::string_view("\x0B\x1C", 2));
  const std::size_t payload = stop == std::string_view::npos ? bytes.size() : stop;
  if (frame_.size() + payload > max_frame_bytes_) {
    return std::unexpected(
        fail(Code::kResourceExhausted,
             fmt::format("an MLLP frame is longer than {} bytes", max_frame_bytes_))
            .error());
  }
  frame_.append(bytes.substr(0, payload));
  if (stop == std::string_view::npos) {
    return payload;
  }
  if (bytes[stop] == kMllpStart) {
    return std::unexpected(
        fail(Code::kInvalidArgument, "an MLLP start block arrived inside a frame").error());
  }
  state_ = State::kAfterEnd;
  return stop + 1;
}

Result<void> MllpDecoder::take_after_end(char byte) {
  if (byte != kMllpTrailer) {
    return fail(Code::kInvalidArgument, "an MLLP end block was not followed by a carriage return");
  }
  complete_.push_back(std::move(frame_));
  frame_ = std::string();
  state_ = State::kBetweenFrames;
  return ok();
}

}  // namespace wl::hl7
