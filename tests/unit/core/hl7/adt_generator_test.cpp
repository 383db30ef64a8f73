#include "core/hl7/adt_generator.hpp"

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/hl7/message.hpp"

namespace wl::hl7 {
namespace {

TEST(AdtGeneratorTest, EveryMessageParsesWithTheFieldsTheFeedCarries) {
  AdtGenerator generator({.seed = 7, .patients = 20, .control_id_prefix = "T"});
  for (int index = 0; index < 500; ++index) {
    const GeneratedAdt generated = generator.next();
    auto message = parse_message(generated.message);
    ASSERT_TRUE(message) << message.error().to_string();
    const Header& header = message->header();
    EXPECT_EQ(header.message_code, "ADT");
    EXPECT_EQ(header.trigger_event, trigger_event(generated.event));
    EXPECT_EQ(header.control_id, generated.control_id);
    EXPECT_EQ(header.version, "2.5.1");
    ASSERT_TRUE(header.time.has_value());
    ASSERT_TRUE(header.event_time.has_value());
    EXPECT_EQ(message->value("PID", 3), generated.mrn);
    EXPECT_EQ(message->value("PID", 3, 1, 4), "GENHOSP");
    EXPECT_EQ(message->value("PID", 3, 1, 5), "MR");
    EXPECT_FALSE(message->value("PID", 5, 1, 1).empty());
    EXPECT_FALSE(message->value("PID", 5, 1, 2).empty());
    EXPECT_TRUE(parse_datetime(message->value("PID", 7)).has_value());
    EXPECT_NE(std::string("FMU").find(message->value("PID", 8)), std::string::npos);
    EXPECT_FALSE(message->value("PV1", 3, 1, 1).empty());
    EXPECT_FALSE(message->value("PV1", 7, 1, 1).empty());
    EXPECT_FALSE(message->value("PV1", 19, 1, 1).empty());
    EXPECT_TRUE(parse_datetime(message->value("PV1", 44)).has_value());
    if (generated.event == AdtEvent::kDischarge) {
      EXPECT_TRUE(parse_datetime(message->value("PV1", 45)).has_value());
    } else {
      EXPECT_EQ(message->value("PV1", 45), "");
    }
    if (generated.event == AdtEvent::kTransfer) {
      EXPECT_FALSE(message->value("PV1", 6, 1, 1).empty());
      const Segment* pv1 = message->segment("PV1");
      EXPECT_NE(pv1->raw_field(6), pv1->raw_field(3));  // Another bed, maybe the same unit.
    }
  }
}

TEST(AdtGeneratorTest, EventsFollowEachPatientsStayAndControlIdsAreUnique) {
  AdtGenerator generator({.seed = 3, .first_patient = 100, .patients = 10});
  std::map<std::string, bool> admitted;  // By MRN.
  std::set<std::string> control_ids;
  std::map<AdtEvent, int> seen;
  for (int index = 0; index < 2000; ++index) {
    const GeneratedAdt generated = generator.next();
    EXPECT_TRUE(control_ids.insert(generated.control_id).second) << generated.control_id;
    const bool was_admitted = admitted[generated.mrn];
    if (generated.event == AdtEvent::kAdmit) {
      EXPECT_FALSE(was_admitted) << generated.mrn;
      admitted[generated.mrn] = true;
    } else {
      EXPECT_TRUE(was_admitted) << generated.mrn;
      if (generated.event == AdtEvent::kDischarge) {
        admitted[generated.mrn] = false;
      }
    }
    ++seen[generated.event];
    EXPECT_GE(generated.mrn, "MRN00000100");
    EXPECT_LE(generated.mrn, "MRN00000109");
  }
  EXPECT_EQ(seen.size(), 4u);  // A01, A02, A03 and A08 all occur.
}

TEST(AdtGeneratorTest, IsDeterministicForASeed) {
  AdtGenerator first({.seed = 11});
  AdtGenerator second({.seed = 11});
  for (int index = 0; index < 50; ++index) {
    EXPECT_EQ(first.next().message, second.next().message);
  }
}

TEST(AcceptAckTest, AcceptsTheMessageInItsOwnEncoding) {
  auto message =
      parse_message("MSH#*!$%#SENDER#FAC A#WARD#FAC B#20260105080000##ADT*A01#C42#P#2.4\rPID#1\r");
  ASSERT_TRUE(message) << message.error().to_string();
  auto ack = parse_message(accept_ack(*message));
  ASSERT_TRUE(ack) << ack.error().to_string();
  EXPECT_EQ(ack->encoding().field, '#');
  EXPECT_EQ(ack->header().message_code, "ACK");
  EXPECT_EQ(ack->header().trigger_event, "A01");
  EXPECT_EQ(ack->header().sending_application, "WARD");
  EXPECT_EQ(ack->header().receiving_application, "SENDER");
  EXPECT_EQ(ack->header().receiving_facility, "FAC A");
  EXPECT_EQ(ack->header().version, "2.4");
  EXPECT_TRUE(ack->header().time.has_value());
  EXPECT_EQ(ack->value("MSA", 1), "AA");
  EXPECT_EQ(ack->value("MSA", 2), "C42");
}

}  // namespace
}  // namespace wl::hl7
