// HL7 v2 parsing (docs/hl7.md). The message is split into segments and fields once, at
// parse; repetitions, components and subcomponents are found on each read, so storage is
// one view per field and reads of a bounded message do bounded work.
#include "core/hl7/message.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

namespace wl::hl7 {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr std::string_view kNull = "\"\"";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// A delimiter must be visible ASCII and not a letter or digit: anything else could not be
// told apart from data or from the segment terminator.
bool is_delimiter(char c) {
  const bool alphanumeric =
      (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  return c > ' ' && c < 0x7F && !alphanumeric;
}

bool is_segment_id(std::string_view id) {
  return id.size() == 3 && std::ranges::all_of(id, [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
         });
}

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// The n-th (1-based) piece of `text` split on `separator`; "" when there is no such piece.
std::string_view piece(std::string_view text, std::size_t n, char separator) {
  if (n == 0) {
    return {};
  }
  std::size_t begin = 0;
  for (std::size_t i = 1; i < n; ++i) {
    const std::size_t next = text.find(separator, begin);
    if (next == std::string_view::npos) {
      return {};
    }
    begin = next + 1;
  }
  const std::size_t end = text.find(separator, begin);
  return text.substr(begin, end == std::string_view::npos ? text.size() - begin : end - begin);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

// Appends the bytes of \Xhhhh\ to `out`; false (nothing appended) unless `hex` is a
// non-empty, even number of hex digits.
bool append_hex(std::string_view hex, std::string& out) {
  if (hex.empty() || hex.size() % 2 != 0 ||
      !std::ranges::all_of(hex, [](char c) { return hex_value(c) >= 0; })) {
    return false;
  }
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out.push_back(static_cast<char>(hex_value(hex[i]) * 16 + hex_value(hex[i + 1])));
  }
  return true;
}

// Formatting commands (HL7 v2.5.1 section 2.7.6) other than \.br\ only make sense to a
// formatted-text renderer, which Wardline is not: they are dropped.
bool is_formatting_command(std::string_view content) {
  static constexpr std::array<std::string_view, 7> kCommands = {".sp", ".fi", ".nf", ".in",
                                                                ".ti", ".sk", ".ce"};
  return std::ranges::any_of(
      kCommands, [&](std::string_view command) { return content.starts_with(command); });
}

// Resolves one escape sequence's content (between the escape characters) into `out`.
// Returns false when it is unknown, so the caller keeps it literally.
bool append_escape(std::string_view content, const EncodingCharacters& encoding, std::string& out) {
  if (content.size() == 1) {
    switch (content[0]) {
      case 'F':
        out.push_back(encoding.field);
        return true;
      case 'S':
        out.push_back(encoding.component);
        return true;
      case 'T':
        out.push_back(encoding.subcomponent);
        return true;
      case 'R':
        out.push_back(encoding.repetition);
        return true;
      case 'E':
        out.push_back(encoding.escape);
        return true;
      case 'P':
        if (encoding.truncation) {
          out.push_back(*encoding.truncation);
          return true;
        }
        return false;
      case 'H':  // Highlighting on and off: display hints, dropped.
      case 'N':
        return true;
      default:
        return false;
    }
  }
  if (content.starts_with('X')) {
    return append_hex(content.substr(1), out);
  }
  if (content == ".br") {
    out.push_back('\n');
    return true;
  }
  return is_formatting_command(content);
}

// Length of the well-formed UTF-8 sequence at the start of `text` (RFC 3629, table 3-7 of
// the Unicode standard), or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t lead = byte(0);
  if (lead < 0x80) {
    return 1;
  }
  std::size_t length = 0;
  std::uint8_t low = 0x80;
  std::uint8_t high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    low = lead == 0xE0 ? 0xA0 : 0x80;
    high = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    low = lead == 0xF0 ? 0x90 : 0x80;
    high = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) {
    return 0;
  }
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) {
      return 0;
    }
  }
  return length;
}

Status invalid(std::string message) { return Status(Code::kInvalidArgument, std::move(message)); }

}  // namespace

std::string to_valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t length = utf8_sequence_length(text);
    if (length == 0) {
      out.append(kReplacement);
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, length));
      text.remove_prefix(length);
    }
  }
  return out;
}

std::string_view Segment::raw_field(std::size_t number) const {
  return number < fields_.size() ? fields_[number] : std::string_view();
}

// Builds a Message from bytes; the one place that knows the segment layout.
class MessageBuilder {
 public:
  MessageBuilder(std::string_view bytes, const ParseLimits& limits) : limits_(limits) {
    message_.bytes_ = std::make_shared<const std::string>(bytes);
  }

  Result<Message> build() {
    WL_TRY(read_delimiters());
    WL_TRY(split_segments());
    read_header();
    return std::move(message_);
  }

 private:
  // MSH-1 is the byte after "MSH"; MSH-2 runs from there to the next field separator.
  Result<void> read_delimiters() {
    const std::string_view text = *message_.bytes_;
    if (!text.starts_with("MSH")) {
      return std::unexpected(invalid("segment 1: the message does not start with MSH"));
    }
    if (text.size() < 4 || !is_delimiter(text[3])) {
      return std::unexpected(invalid("MSH-1: the field separator is missing or not a delimiter"));
    }
    EncodingCharacters& encoding = message_.encoding_;
    encoding.field = text[3];
    const std::size_t end = text.find_first_of(std::string{encoding.field, '\r', '\n'}, 4);
    const std::string_view declared =
        text.substr(4, end == std::string_view::npos ? std::string_view::npos : end - 4);
    if (declared.size() < 4 || declared.size() > 5) {
      return std::unexpected(invalid("MSH-2: the encoding characters must be 4 or 5 characters"));
    }
    std::string seen{encoding.field};
    for (const char c : declared) {
      if (!is_delimiter(c) || seen.find(c) != std::string::npos) {
        return std::unexpected(
            invalid("MSH-2: an encoding character is repeated or not a delimiter"));
      }
      seen.push_back(c);
    }
    encoding.component = declared[0];
    encoding.repetition = declared[1];
    encoding.escape = declared[2];
    encoding.subcomponent = declared[3];
    if (declared.size() == 5) {
      encoding.truncation = declared[4];
    }
    return ok();
  }

  // Segments end with CR; LF and CRLF are accepted too, and blank lines are skipped, since
  // real feeds send them.
  Result<void> split_segments() {
    std::string_view rest = *message_.bytes_;
    while (!rest.empty()) {
      const std::size_t end = rest.find_first_of("\r\n");
      const std::string_view line = rest.substr(0, end);
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
      if (is_blank(line)) {
        continue;
      }
      if (message_.segments_.size() == limits_.max_segments) {
        return std::unexpected(
            invalid(fmt::format("segment {}: the message has more than {} segments",
                                message_.segments_.size() + 1, limits_.max_segments)));
      }
      WL_TRY(add_segment(line));
    }
    return ok();
  }

  Result<void> add_segment(std::string_view line) {
    const std::size_t number = message_.segments_.size() + 1;
    const char separator = message_.encoding_.field;
    Segment segment;
    std::string_view rest = line;
    const bool is_header = line.starts_with("MSH") && line.size() > 3 && line[3] == separator;
    if (is_header) {
      // MSH-1 is the separator itself, so MSH-n keeps its standard number.
      segment.fields_.push_back(line.substr(0, 3));
      segment.fields_.push_back(line.substr(3, 1));
      rest = line.substr(4);
    }
    while (true) {
      if (segment.fields_.size() == limits_.max_fields) {
        return std::unexpected(invalid(
            fmt::format("segment {}: more than {} fields", number, limits_.max_fields - 1)));
      }
      const std::size_t end = rest.find(separator);
      const std::string_view field = rest.substr(0, end);
      const bool is_encoding_field = is_header && segment.fields_.size() == 2;
      if (!is_encoding_field &&
          static_cast<std::size_t>(std::ranges::count(field, message_.encoding_.repetition)) >=
              limits_.max_repetitions) {
        return std::unexpected(
            invalid(fmt::format("segment {} field {}: more than {} repetitions", number,
                                segment.fields_.size(), limits_.max_repetitions)));
      }
      segment.fields_.push_back(field);
      if (end == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(end + 1);
    }
    if (!is_segment_id(segment.fields_.front())) {
      return std::unexpected(invalid(fmt::format(
          "segment {}: the segment id is not three capital letters or digits", number)));
    }
    message_.segments_.push_back(std::move(segment));
    return ok();
  }

  void read_header() {
    const Message& m = message_;
    Header& header = message_.header_;
    header.sending_application = m.value("MSH", 3);
    header.sending_facility = m.value("MSH", 4);
    header.receiving_application = m.value("MSH", 5);
    header.receiving_facility = m.value("MSH", 6);
    header.time_text = m.value("MSH", 7);
    header.time = parse_datetime(header.time_text);
    header.message_code = m.value("MSH", 9, 1, 1);
    header.trigger_event = m.value("MSH", 9, 1, 2);
    header.message_structure = m.value("MSH", 9, 1, 3);
    header.control_id = m.value("MSH", 10);
    header.processing_id = m.value("MSH", 11);
    header.version = m.value("MSH", 12);
    header.event_time_text = m.value("EVN", 2);
    header.event_time = parse_datetime(header.event_time_text);
  }

  const ParseLimits& limits_;
  Message message_;
};

std::vector<const Segment*> Message::segments(std::string_view name) const {
  std::vector<const Segment*> found;
  for (const Segment& segment : segments_) {
    if (segment.name() == name) {
      found.push_back(&segment);
    }
  }
  return found;
}

const Segment* Message::segment(std::string_view name) const {
  const auto found =
      std::ranges::find_if(segments_, [&](const Segment& s) { return s.name() == name; });
  return found == segments_.end() ? nullptr : &*found;
}

std::string Message::value(std::string_view segment_name, std::size_t field, std::size_t repetition,
                           std::size_t component, std::size_t subcomponent) const {
  const Segment* found = segment(segment_name);
  return found == nullptr ? std::string()
                          : value(*found, field, repetition, component, subcomponent);
}

std::string Message::value(const Segment& segment, std::size_t field, std::size_t repetition,
                           std::size_t component, std::size_t subcomponent) const {
  const std::string_view text = raw(segment, field, repetition, component, subcomponent);
  if (segment.name() == "MSH" && (field == 1 || field == 2)) {
    return to_valid_utf8(text);
  }
  return unescape(text);
}

std::string_view Message::raw(const Segment& segment, std::size_t field, std::size_t repetition,
                              std::size_t component, std::size_t subcomponent) const {
  if (field == 0) {
    return {};
  }
  const std::string_view text = segment.raw_field(field);
  if (segment.name() == "MSH" && (field == 1 || field == 2)) {
    return repetition == 1 && component == 1 && subcomponent == 1 ? text : std::string_view();
  }
  const std::string_view one = piece(text, repetition, encoding_.repetition);
  return piece(piece(one, component, encoding_.component), subcomponent, encoding_.subcomponent);
}

std::size_t Message::repetition_count(const Segment& segment, std::size_t field) const {
  const std::string_view text = segment.raw_field(field);
  if (text.empty()) {
    return 0;
  }
  if (segment.name() == "MSH" && (field == 1 || field == 2)) {
    return 1;
  }
  return static_cast<std::size_t>(std::ranges::count(text, encoding_.repetition)) + 1;
}

bool Message::is_null(const Segment& segment, std::size_t field, std::size_t repetition,
                      std::size_t component, std::size_t subcomponent) const {
  return raw(segment, field, repetition, component, subcomponent) == kNull;
}

// An escape sequence runs from one escape character to the next. One that is unknown, or
// has no closing escape character, is kept as written (docs/hl7.md, "Escapes").
std::string Message::unescape(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t start = text.find(encoding_.escape);
    out.append(text.substr(0, start));
    if (start == std::string_view::npos) {
      break;
    }
    const std::size_t end = text.find(encoding_.escape, start + 1);
    if (end == std::string_view::npos) {
      out.append(text.substr(start));
      break;
    }
    if (!append_escape(text.substr(start + 1, end - start - 1), encoding_, out)) {
      out.append(text.substr(start, end - start + 1));
    }
    text.remove_prefix(end + 1);
  }
  return to_valid_utf8(out);
}

std::string Message::escape(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    char code = 0;
    if (c == encoding_.field) {
      code = 'F';
    } else if (c == encoding_.component) {
      code = 'S';
    } else if (c == encoding_.subcomponent) {
      code = 'T';
    } else if (c == encoding_.repetition) {
      code = 'R';
    } else if (c == encoding_.escape) {
      code = 'E';
    } else if (encoding_.truncation && c == *encoding_.truncation) {
      code = 'P';
    }
    if (code == 0) {
      out.push_back(c);
    } else {
      out += {encoding_.escape, code, encoding_.escape};
    }
  }
  return out;
}

Result<Message> parse_message(std::string_view bytes, ParseLimits limits) {
  if (bytes.size() > limits.max_bytes) {
    return error(Code::kInvalidArgument,
                 fmt::format("the message is {} bytes, over the limit of {}", bytes.size(),
                             limits.max_bytes));
  }
  if (bytes.starts_with(kByteOrderMark)) {
    bytes.remove_prefix(kByteOrderMark.size());
  }
  return MessageBuilder(bytes, limits).build();
}

}  // namespace wl::hl7
