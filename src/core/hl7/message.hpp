#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/hl7/datetime.hpp"
#include "core/status.hpp"

namespace wl::hl7 {

// Indexing convention: every number in this API counts from 1, as the standard does.
// Field n of a segment is "SEG-n" (PID-3 is field 3). MSH-1 is the field separator itself
// and MSH-2 the encoding characters, so MSH-9 is the message type as in the standard.
// Repetitions, components and subcomponents also start at 1. Index 0, or one past what the
// message holds, reads as absent: an empty value, never an out-of-bounds access.

// The delimiters a message declares in MSH-1 and MSH-2 (docs/hl7.md, "Encoding characters").
struct EncodingCharacters {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
  std::optional<char> truncation;  // v2.7+, when MSH-2 has a fifth character.
};

// Bounds checked while parsing, before storage grows with the input.
struct ParseLimits {
  std::size_t max_bytes = std::size_t{1} << 20;
  std::size_t max_segments = 2000;
  std::size_t max_fields = 500;        // Per segment, counting the segment id as field 0.
  std::size_t max_repetitions = 1000;  // Per field.
};

// One segment: its id and its fields as they were written (still escaped). Views into the
// Message that holds it; valid while any copy of that Message lives.
class Segment {
 public:
  std::string_view name() const { return fields_.front(); }
  // The highest field number present: 0 for a segment with only its id. A field below it
  // may be present but empty ("||"); a field above it is absent.
  std::size_t field_count() const { return fields_.size() - 1; }
  // Field `number` exactly as written, or "" when absent.
  std::string_view raw_field(std::size_t number) const;

 private:
  friend class MessageBuilder;
  std::vector<std::string_view> fields_;  // fields_[0] is the id; fields_[n] is SEG-n.
};

// The facts about a message that routing and acknowledgement need, read once at parse.
// Text members are unescaped values (Message::value), "" when absent.
struct Header {
  std::string sending_application;     // MSH-3.1
  std::string sending_facility;        // MSH-4.1
  std::string receiving_application;   // MSH-5.1
  std::string receiving_facility;      // MSH-6.1
  std::string time_text;               // MSH-7.1 as written
  std::optional<DateTime> time;        // MSH-7.1 parsed, when it is a valid DTM
  std::string message_code;            // MSH-9.1, e.g. ADT
  std::string trigger_event;           // MSH-9.2, e.g. A01
  std::string message_structure;       // MSH-9.3, a hint only (senders get it wrong)
  std::string control_id;              // MSH-10
  std::string processing_id;           // MSH-11.1: P, D or T
  std::string version;                 // MSH-12.1, e.g. 2.5.1
  std::string event_time_text;         // EVN-2.1 as written, "" without EVN
  std::optional<DateTime> event_time;  // EVN-2.1 parsed
};

// A parsed HL7 v2 message: immutable, cheap to copy (the bytes are shared), safe to read
// from any thread. Values are unescaped on each read (docs/hl7.md, "Escapes").
class Message {
 public:
  const EncodingCharacters& encoding() const { return encoding_; }
  const Header& header() const { return header_; }

  // Every segment in order, Z-segments and unknown ones included.
  std::span<const Segment> segments() const { return segments_; }
  // The segments with id `name`, in order (e.g. each PID of an A40 with two pairs).
  std::vector<const Segment*> segments(std::string_view name) const;
  // The first segment with id `name`, or nullptr.
  const Segment* segment(std::string_view name) const;

  // The unescaped text at SEG-field[repetition].component.subcomponent of the first
  // segment named `segment`: "" when absent. Always valid UTF-8: bytes that are not
  // (from \X..\ escapes or a non-UTF-8 feed) read as U+FFFD. MSH-1 and MSH-2 read as
  // written, without splitting or unescaping.
  std::string value(std::string_view segment, std::size_t field, std::size_t repetition = 1,
                    std::size_t component = 1, std::size_t subcomponent = 1) const;
  std::string value(const Segment& segment, std::size_t field, std::size_t repetition = 1,
                    std::size_t component = 1, std::size_t subcomponent = 1) const;

  // The same position still escaped, as a view into the message ("" when absent).
  std::string_view raw(const Segment& segment, std::size_t field, std::size_t repetition = 1,
                       std::size_t component = 1, std::size_t subcomponent = 1) const;
  // How many repetitions field `field` holds: 0 when absent or empty.
  std::size_t repetition_count(const Segment& segment, std::size_t field) const;
  // True when the position holds the HL7 null `""`: "delete the stored value", unlike an
  // empty or absent value, which means "not sent, leave it unchanged".
  bool is_null(const Segment& segment, std::size_t field, std::size_t repetition = 1,
               std::size_t component = 1, std::size_t subcomponent = 1) const;

  // `text` with the escape sequences of this message's encoding characters resolved.
  std::string unescape(std::string_view text) const;
  // `text` with this message's delimiters written as escape sequences, so that it can be
  // placed in a field of a message with the same encoding characters (an ACK's text, say).
  // For valid UTF-8 text, unescape(escape(text)) == text.
  std::string escape(std::string_view text) const;

 private:
  friend class MessageBuilder;
  std::shared_ptr<const std::string> bytes_;  // What segments_ views into.
  EncodingCharacters encoding_;
  std::vector<Segment> segments_;
  Header header_;
};

// Parses one HL7 v2 message (docs/hl7.md). Segments end with CR; LF and CRLF are accepted
// too. A leading UTF-8 byte order mark is skipped. Returns InvalidArgument, naming the
// segment and position, when the message does not start with MSH, when MSH-1 or MSH-2 is
// missing, repeated or alphanumeric, when a segment id is not three letters or digits, or
// when a limit is exceeded. Never reads outside `bytes`; any input gives a result.
[[nodiscard]] Result<Message> parse_message(std::string_view bytes, ParseLimits limits = {});

// Replaces every byte that is not part of well-formed UTF-8 with U+FFFD.
std::string to_valid_utf8(std::string_view text);

}  // namespace wl::hl7
