#include "core/hl7/message.hpp"

#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace wl::hl7 {
namespace {

constexpr std::string_view kAdmit =
    "MSH|^~\\&|EPIC|GH|WARDLINE|GH|20261124083000-0500||ADT^A01^ADT_A01|MSG0001|P|2.5.1|||AL|NE\r"
    "EVN|A01|20261124082955-0500\r"
    "PID|1||E1234^^^GH^MR~999887777^^^SSA^SS||DOE^JANE^Q^^^^L||19700101|F\r"
    "PV1|1|I|4W^412^B^GH||||1234567893^SMITH^ANN^^^DR^MD^^NPPES^^^^NPI\r";

Message parse_ok(std::string_view bytes) {
  auto message = parse_message(bytes);
  EXPECT_TRUE(message.has_value()) << (message ? "" : message.error().to_string());
  return message ? *message : parse_message("MSH|^~\\&|").value();
}

std::string parse_error(std::string_view bytes, ParseLimits limits = {}) {
  auto message = parse_message(bytes, limits);
  EXPECT_FALSE(message.has_value());
  if (message) {
    return "";
  }
  EXPECT_EQ(message.error().code(), Code::kInvalidArgument);
  return message.error().message();
}

TEST(Hl7MessageTest, NumbersFieldsAsTheStandardDoes) {
  const Message m = parse_ok(kAdmit);
  EXPECT_EQ(m.value("MSH", 1), "|");
  EXPECT_EQ(m.value("MSH", 2), "^~\\&");
  EXPECT_EQ(m.value("MSH", 9), "ADT");
  EXPECT_EQ(m.value("MSH", 10), "MSG0001");
  EXPECT_EQ(m.value("MSH", 15), "AL");
  EXPECT_EQ(m.value("PID", 3, 2, 4), "SSA");
  EXPECT_EQ(m.value("PID", 8), "F");
  EXPECT_EQ(m.value("PV1", 7, 1, 13), "NPI");
  const Header& header = m.header();
  EXPECT_EQ(header.sending_application, "EPIC");
  EXPECT_EQ(header.receiving_application, "WARDLINE");
  EXPECT_EQ(header.message_code, "ADT");
  EXPECT_EQ(header.trigger_event, "A01");
  EXPECT_EQ(header.message_structure, "ADT_A01");
  EXPECT_EQ(header.control_id, "MSG0001");
  EXPECT_EQ(header.processing_id, "P");
  EXPECT_EQ(header.version, "2.5.1");
  EXPECT_EQ(header.time->utc(), parse_rfc3339("2026-11-24T13:30:00Z"));
  EXPECT_EQ(header.event_time->utc(), parse_rfc3339("2026-11-24T13:29:55Z"));
}

TEST(Hl7MessageTest, OutOfRangePositionsReadAsEmpty) {
  const Message m = parse_ok(kAdmit);
  const Segment& pid = *m.segment("PID");
  EXPECT_EQ(m.value(pid, 0), "");
  EXPECT_EQ(m.value(pid, 9), "");
  EXPECT_EQ(m.value(pid, 1000000), "");
  EXPECT_EQ(m.value(pid, 3, 0), "");
  EXPECT_EQ(m.value(pid, 3, 3), "");
  EXPECT_EQ(m.value(pid, 3, 1, 0), "");
  EXPECT_EQ(m.value(pid, 3, 1, 99), "");
  EXPECT_EQ(m.value(pid, 3, 1, 1, 2), "");
  EXPECT_EQ(m.value("MSH", 1, 2), "");
  EXPECT_EQ(m.value("MSH", 2, 1, 2), "");
  EXPECT_EQ(m.value("OBX", 1), "");
}

TEST(Hl7MessageTest, ReadsDeclaredEncodingCharacters) {
  const Message m = parse_ok(
      "MSH#*!$%#APP#FAC#####ADT*A08#C1#P#2.5\r"
      "PID#1##ID1*X*Y*AUTH%OID*MR!ID2#|^~&#PE$F$$R$$S$$T$$E$\r");
  EXPECT_EQ(m.encoding().field, '#');
  EXPECT_EQ(m.encoding().component, '*');
  EXPECT_EQ(m.encoding().repetition, '!');
  EXPECT_EQ(m.encoding().escape, '$');
  EXPECT_EQ(m.encoding().subcomponent, '%');
  EXPECT_EQ(m.header().trigger_event, "A08");
  EXPECT_EQ(m.value("PID", 3, 1, 4, 1), "AUTH");
  EXPECT_EQ(m.value("PID", 3, 1, 4, 2), "OID");
  EXPECT_EQ(m.value("PID", 3, 2), "ID2");
  EXPECT_EQ(m.value("PID", 4), "|^~&");
  EXPECT_EQ(m.value("PID", 5), "PE#!*%$");
}

TEST(Hl7MessageTest, ResolvesEveryEscape) {
  const Message m = parse_ok(
      "MSH|^~\\&#|A|B|||||ADT^A01|1|P|2.7\r"
      "NTE|1|a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\P\\g|\\X48692C\\|x\\.br\\y\\.sp 2\\z\\H\\on\\N\\|"
      "\\X0A\\\\X0D\\\r");
  EXPECT_EQ(m.encoding().truncation, '#');
  EXPECT_EQ(m.value("NTE", 2), "a|b^c&d~e\\f#g");
  EXPECT_EQ(m.value("NTE", 3), "Hi,");
  EXPECT_EQ(m.value("NTE", 4), "x\nyzon");
  EXPECT_EQ(m.value("NTE", 5), "\n\r");
  EXPECT_EQ(m.raw(*m.segment("NTE"), 3), "\\X48692C\\");
}

TEST(Hl7MessageTest, EscapeIsTheInverseOfUnescape) {
  const Message m = parse_ok("MSH#*!$%@#A\r");
  const std::string text = "a#b*c!d$e%f@g|^~\\&\n";
  EXPECT_EQ(m.escape(text), "a$F$b$S$c$R$d$E$e$T$f$P$g|^~\\&\n");
  EXPECT_EQ(m.unescape(m.escape(text)), text);
}

TEST(Hl7MessageTest, KeepsUnknownAndUnterminatedEscapesLiterally) {
  const Message m = parse_ok(
      "MSH|^~\\&|A|B|||||ADT^A01|1|P|2.5\r"
      "NTE|1|4\\5|a\\Zlocal\\b|\\X4\\|\\XZZ\\|\\P\\|\\.zz\\|\\\\\r");
  EXPECT_EQ(m.value("NTE", 2), "4\\5");
  EXPECT_EQ(m.value("NTE", 3), "a\\Zlocal\\b");
  EXPECT_EQ(m.value("NTE", 4), "\\X4\\");
  EXPECT_EQ(m.value("NTE", 5), "\\XZZ\\");
  EXPECT_EQ(m.value("NTE", 6), "\\P\\");  // No truncation character declared.
  EXPECT_EQ(m.value("NTE", 7), "\\.zz\\");
  EXPECT_EQ(m.value("NTE", 8), "\\\\");
}

TEST(Hl7MessageTest, ReplacesInvalidUtf8FromHexEscapesAndRawBytes) {
  const Message m = parse_ok(
      "MSH|^~\\&|A|B|||||ADT^A01|1|P|2.5\r"
      "NTE|1|\\XC3A9\\|\\XFF\\ok|caf\xE9|\\XED\\\\XA0\\\\X80\\\r");
  EXPECT_EQ(m.value("NTE", 2), "\xC3\xA9");
  EXPECT_EQ(m.value("NTE", 3), "\xEF\xBF\xBDok");
  EXPECT_EQ(m.value("NTE", 4), "caf\xEF\xBF\xBD");
  // A UTF-16 surrogate spelled in UTF-8 is not UTF-8.
  EXPECT_EQ(m.value("NTE", 5), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Hl7MessageTest, TellsEmptyAbsentAndNullApart) {
  const Message m = parse_ok(
      "MSH|^~\\&|A|B|||||ADT^A08|1|P|2.5\r"
      "PID|1||ID^^^GH^MR|\"\"|\"\"^JANE||\r");
  const Segment& pid = *m.segment("PID");
  EXPECT_EQ(pid.field_count(), 7u);
  EXPECT_EQ(pid.raw_field(2), "");  // Present, empty: not sent.
  EXPECT_EQ(pid.raw_field(8), "");  // Absent.
  EXPECT_TRUE(m.is_null(pid, 4));
  EXPECT_EQ(m.value(pid, 4), "\"\"");
  EXPECT_TRUE(m.is_null(pid, 5, 1, 1));
  EXPECT_FALSE(m.is_null(pid, 5, 1, 2));
  EXPECT_EQ(m.value(pid, 5, 1, 2), "JANE");
  EXPECT_FALSE(m.is_null(pid, 2));
  EXPECT_FALSE(m.is_null(pid, 8));
  EXPECT_EQ(m.repetition_count(pid, 2), 0u);
  EXPECT_EQ(m.repetition_count(pid, 3), 1u);
}

TEST(Hl7MessageTest, AcceptsLfAndCrlfAndSkipsBlankLines) {
  for (const std::string_view separator : {"\n", "\r\n", "\r\r", "\n \n"}) {
    const std::string text = "MSH|^~\\&|A|B|||||ADT^A01|1|P|2.5" + std::string(separator) +
                             "PID|1||X" + std::string(separator);
    const Message m = parse_ok(text);
    ASSERT_EQ(m.segments().size(), 2u) << separator.size();
    EXPECT_EQ(m.value("PID", 3), "X");
    EXPECT_EQ(m.header().version, "2.5");
  }
}

TEST(Hl7MessageTest, KeepsUnknownSegments) {
  const Message m = parse_ok("MSH|^~\\&|A\rZZ1|a|b\rQQQ|x\rZZ1|c\r");
  ASSERT_EQ(m.segments().size(), 4u);
  EXPECT_EQ(m.segments()[2].name(), "QQQ");
  EXPECT_EQ(m.segments("ZZ1").size(), 2u);
  EXPECT_EQ(m.value(*m.segments("ZZ1")[1], 1), "c");
}

TEST(Hl7MessageTest, RejectsAMessageThatDoesNotStartWithMsh) {
  EXPECT_EQ(parse_error(""), "segment 1: the message does not start with MSH");
  EXPECT_EQ(parse_error("PID|1\r"), "segment 1: the message does not start with MSH");
  EXPECT_EQ(parse_error("\rMSH|^~\\&|A\r"), "segment 1: the message does not start with MSH");
  EXPECT_EQ(parse_error("\xEF\xBB\xBF\xEF\xBB\xBFMSH|^~\\&|A\r"),
            "segment 1: the message does not start with MSH");
}

TEST(Hl7MessageTest, RejectsBadDelimiters) {
  const std::string missing = "MSH-1: the field separator is missing or not a delimiter";
  const std::string count = "MSH-2: the encoding characters must be 4 or 5 characters";
  const std::string repeated = "MSH-2: an encoding character is repeated or not a delimiter";
  EXPECT_EQ(parse_error("MSH"), missing);
  EXPECT_EQ(parse_error("MSHA^~\\&A"), missing);
  EXPECT_EQ(parse_error("MSH ^~\\& "), missing);
  EXPECT_EQ(parse_error("MSH|"), count);
  EXPECT_EQ(parse_error("MSH|^~\\|A"), count);
  EXPECT_EQ(parse_error("MSH|^~\\&#!|A"), count);
  EXPECT_EQ(parse_error("MSH|^~\\^|A"), repeated);
  EXPECT_EQ(parse_error("MSH|^~\\||A"), count);
  EXPECT_EQ(parse_error("MSH|^~|&|A"), count);
  EXPECT_EQ(parse_error("MSH|^~\\A|A"), repeated);
  EXPECT_EQ(parse_error("MSH|^~\\\x01|A"), repeated);
}

TEST(Hl7MessageTest, RejectsABadSegmentIdNamingTheSegment) {
  EXPECT_EQ(parse_error("MSH|^~\\&|A\rPID|1\rpv1|1\r"),
            "segment 3: the segment id is not three capital letters or digits");
  EXPECT_EQ(parse_error("MSH|^~\\&|A\rPIDX|1\r"),
            "segment 2: the segment id is not three capital letters or digits");
}

TEST(Hl7MessageTest, ParsesTruncatedMessages) {
  const std::string full(kAdmit);
  // Any prefix that holds the whole MSH-2 parses, unless it cuts a segment id short; what
  // was cut off is simply absent.
  for (std::size_t length = 8; length <= full.size(); ++length) {
    auto message = parse_message(std::string_view(full).substr(0, length));
    const std::size_t line_start = full.rfind('\r', length - 1) + 1;
    const bool cuts_an_id = length - line_start == 1 || length - line_start == 2;
    ASSERT_EQ(message.has_value(), !cuts_an_id) << length;
  }
  const Message cut = parse_ok(full.substr(0, full.find("SMITH") + 2));
  EXPECT_EQ(cut.value("PV1", 7, 1, 2), "SM");
  EXPECT_EQ(cut.value("PV1", 7, 1, 3), "");
}

TEST(Hl7MessageTest, EnforcesItsLimits) {
  const std::string message(kAdmit);
  EXPECT_EQ(parse_error(message, ParseLimits{.max_bytes = 100}),
            fmt::format("the message is {} bytes, over the limit of 100", message.size()));
  EXPECT_EQ(parse_error(message, ParseLimits{.max_segments = 3}),
            "segment 4: the message has more than 3 segments");
  EXPECT_EQ(parse_error(message, ParseLimits{.max_fields = 10}), "segment 1: more than 9 fields");
  EXPECT_EQ(parse_error(message, ParseLimits{.max_repetitions = 1}),
            "segment 3 field 3: more than 1 repetitions");
  EXPECT_TRUE(parse_message(message, ParseLimits{.max_bytes = message.size(),
                                                 .max_segments = 4,
                                                 .max_fields = 17,
                                                 .max_repetitions = 2})
                  .has_value());
}

TEST(Hl7MessageTest, CopiesShareTheBytesSafely) {
  Message copy = parse_ok("MSH|^~\\&|A\rPID|1||X\r");
  {
    const Message original = parse_ok("MSH|^~\\&|A\rPID|1||Y\r");
    copy = original;
  }
  EXPECT_EQ(copy.value("PID", 3), "Y");
}

TEST(Hl7MessageTest, ToValidUtf8KeepsValidTextAndReplacesTheRest) {
  EXPECT_EQ(to_valid_utf8("plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(to_valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // Overlong.
  EXPECT_EQ(to_valid_utf8("\xF4\x90\x80\x80"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");     // Above U+10FFFF.
  EXPECT_EQ(to_valid_utf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // Cut short.
}

}  // namespace
}  // namespace wl::hl7
