// Every sample in tests/data/hl7 (real test messages of open-source HL7 projects; see
// tests/data/hl7/SOURCES.md) parses, and the values the patient banner needs read right.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "core/hl7/message.hpp"

namespace wl::hl7 {
namespace {

const std::filesystem::path kSamples = std::filesystem::path(WL_TEST_DATA_DIR) / "hl7";

std::string read_sample(const std::string& name) {
  std::ifstream file(kSamples / name, std::ios::binary);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

Message parse_sample(const std::string& name) {
  const std::string bytes = read_sample(name);
  EXPECT_FALSE(bytes.empty()) << name;
  auto message = parse_message(bytes);
  EXPECT_TRUE(message.has_value()) << name << ": " << (message ? "" : message.error().to_string());
  return message ? *message : parse_message("MSH|^~\\&|").value();
}

TEST(Hl7SamplesTest, EverySampleParsesWithAHeader) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSamples)) {
    if (entry.path().extension() != ".hl7") {
      continue;
    }
    ++count;
    const Message message = parse_sample(entry.path().filename().string());
    EXPECT_EQ(message.segments().front().name(), "MSH") << entry.path();
    EXPECT_EQ(message.header().message_code.empty(), false) << entry.path();
    EXPECT_EQ(message.header().control_id.empty(), false) << entry.path();
    EXPECT_NE(message.segment("PID"), nullptr) << entry.path();
  }
  EXPECT_EQ(count, 28);
}

// Per sample: MSH-9.1, MSH-9.2, MSH-10, MSH-12, PID-3.1, PID-3.4 and PID-5.1 of the first
// repetition (first subcomponent), PID-7, PID-8.
struct Expected {
  const char* file;
  const char* message_code;
  const char* trigger_event;
  const char* control_id;
  const char* version;
  const char* identifier;
  const char* authority;
  const char* family_name;
  const char* birth;
  const char* sex;
};

constexpr Expected kExpected[] = {
    {"hapi_adt_a01_v24_ztrack.hl7", "ADT", "A01", "22139243", "2.4", "2216506", "", "Duck",
     "19720227", "M"},
    {"hapi_adt_a03_v25_repetitions.hl7", "ADT", "A03", "263206", "2.5", "5520255", "PK", "ZZZ",
     "19830824", "F"},
    {"hl7apy_adt_a01_v26.hl7", "ADT", "A01", "0123456789", "2.6", "123-456-789", "HOSPITAL",
     "SURNAME", "", "M"},
    {"hl7apy_zdt_z01_v25_zmessage.hl7", "ZDT", "Z01", "0123456789", "2.5", "123-456-789",
     "HOSPITAL", "SURNAME", "", "M"},
    {"ms_adt_a01_v23_bom.hl7", "ADT", "A01", "599102", "2.3", "10006579", "1", "DUCK", "19241010",
     "M"},
    {"ms_adt_a01_v251.hl7", "ADT", "A01", "MSG00001", "2.5.1", "PATID1234", "ADT1", "EVERYMAN",
     "19610615", "M"},
    {"ms_adt_a01_v28_full.hl7", "ADT", "A01", "MSG00001", "2.8", "PATID1234", "test1", "EVERYMAN",
     "198808181126+0215", "M"},
    {"ms_adt_a02_v28.hl7", "ADT", "A02", "MSG00001", "2.8", "PATID1234", "test1", "EVERYMAN",
     "198808181126+0215", "M"},
    {"ms_adt_a03_v28.hl7", "ADT", "A03", "MSG00001", "2.8", "PATID1234", "test1", "EVERYMAN",
     "198808181126+0215", "M"},
    {"ms_adt_a04_v23.hl7", "ADT", "A04", "Q123456789T123456789X123456", "2.3", "123456789", "",
     "BROS", "19850101000000+0700", "M"},
    {"ms_adt_a04_v23_no_evn.hl7", "ADT", "A04", "1270326314", "2.3", "MRN12345", "", "Doe",
     "19780101", "F"},
    {"ms_adt_a04_v28_short.hl7", "ADT", "A04", "MSG00001", "2.8", "PATID1234", "test1", "EVERYMAN",
     "198808181126+0215", "M"},
    {"ms_adt_a05_v28.hl7", "ADT", "A05", "MSG00001", "2.8", "PATID1234", "test1", "EVERYMAN",
     "198808181126+0215", "M"},
    {"ms_adt_a08_v28.hl7", "ADT", "A08", "MSG00001", "2.8", "PATID1234", "test1", "EVERYMAN",
     "198808181126+0215", "M"},
    {"ms_adt_a11_v28_evn_mismatch.hl7", "ADT", "A11", "MSG00001", "2.8", "PATID1234", "test1",
     "EVERYMAN", "198808181126+0215", "M"},
    {"ms_adt_a13_v28.hl7", "ADT", "A13", "MSG00001", "2.8", "PATID1234", "test1", "EVERYMAN",
     "198808181126+0215", "M"},
    {"ms_adt_a28_v28.hl7", "ADT", "A28", "MSG00001", "2.8", "PATID1234", "test1", "EVERYMAN",
     "198808181126+0215", "M"},
    {"ms_adt_a31_v28.hl7", "ADT", "A31", "MSG00001", "2.8", "PATID1234", "test1", "EVERYMAN",
     "198808181126+0215", "M"},
    {"ms_adt_a40_v28.hl7", "ADT", "A40", "8919-40", "2.8", "12345", "BCBS", "Test", "20180205",
     "F"},
    {"ms_adt_a40_v28_two_pairs.hl7", "ADT", "A40", "8919-40", "2.8", "12345", "BCBS", "Test",
     "20180205", "F"},
    {"nhapi_adt_a01_v21_z01.hl7", "ADT", "A01", "00000040", "2.1", "0699999", "", "XXXXXX",
     "20071006", "F"},
    {"nhapi_adt_a01_v23_v500.hl7", "ADT", "A01", "12345", "2.3", "12345", "PATIENT MASTER", "TEST",
     "20101114", "F"},
    {"nhapi_adt_a01_v26_zfa.hl7", "ADT", "A01", "9c906177-dfca-4bbe-9abd-d8eb43df93a0", "2.6",
     "397979797", "SN", "Williams", "19641028000000-0600", "M"},
    {"nhapi_adt_a04_v281_minimal.hl7", "ADT", "A04", "1", "2.8.1", "", "", "", "", ""},
    {"nhapi_adt_a08_v22_zin.hl7", "ADT", "A08", "1049691900", "2.2", "0216128", "51276", "BARDOUN",
     "19981201", "F"},
    {"nhapi_adt_a08_v23_in1_in2_zbe.hl7", "ADT", "A08", "36711904", "2.3", "1000", "", "Test",
     "19370609", "F"},
    {"nhapi_adt_a08_v23_many_ids.hl7", "ADT", "A08", "Q2043855220T2330403781X928163", "2.3",
     "25106376", "TEC MRN", "Patient", "19400101", "F"},
    {"nhapi_adt_a28_v25_minimal.hl7", "ADT", "A28", "1", "2.5", "", "", "", "", ""},
};

TEST(Hl7SamplesTest, ReadsTheHeaderAndPatientOfEachSample) {
  EXPECT_EQ(std::size(kExpected), 28u);
  for (const Expected& expected : kExpected) {
    SCOPED_TRACE(expected.file);
    const Message m = parse_sample(expected.file);
    EXPECT_EQ(m.header().message_code, expected.message_code);
    EXPECT_EQ(m.header().trigger_event, expected.trigger_event);
    EXPECT_EQ(m.header().control_id, expected.control_id);
    EXPECT_EQ(m.header().version, expected.version);
    EXPECT_EQ(m.value("PID", 3, 1, 1), expected.identifier);
    EXPECT_EQ(m.value("PID", 3, 1, 4, 1), expected.authority);
    EXPECT_EQ(m.value("PID", 5, 1, 1, 1), expected.family_name);
    EXPECT_EQ(m.value("PID", 7), expected.birth);
    EXPECT_EQ(m.value("PID", 8), expected.sex);
  }
}

TEST(Hl7SamplesTest, ReadsTheV251StandardExampleWithItsByteOrderMark) {
  const Message m = parse_sample("ms_adt_a01_v251.hl7");
  EXPECT_EQ(m.segments().front().name(), "MSH");
  EXPECT_EQ(m.header().message_code, "ADT");
  EXPECT_EQ(m.header().trigger_event, "A01");
  EXPECT_EQ(m.header().version, "2.5.1");
  EXPECT_EQ(m.header().sending_application, "ADT1");
  EXPECT_EQ(m.header().sending_facility, "GOOD HEALTH HOSPITAL");
  EXPECT_EQ(m.value("PID", 3, 1, 1), "PATID1234");
  EXPECT_EQ(m.value("PID", 3, 1, 4), "ADT1");
  EXPECT_EQ(m.value("PID", 3, 1, 5), "MR");
  EXPECT_EQ(m.value("PID", 3, 2, 1), "123456789");
  EXPECT_EQ(m.value("PID", 3, 2, 4), "USSSA");
  EXPECT_EQ(m.value("PID", 3, 2, 5), "SS");
  EXPECT_EQ(m.value("PID", 5, 1, 1), "EVERYMAN");
  EXPECT_EQ(m.value("PID", 5, 1, 2), "ADAM");
  EXPECT_EQ(m.value("PID", 5, 1, 4), "III");
  EXPECT_EQ(m.value("PID", 7), "19610615");
  EXPECT_EQ(m.value("PID", 8), "M");
  EXPECT_EQ(m.value("PV1", 3, 1, 1), "2000");
  EXPECT_EQ(m.value("PV1", 3, 1, 2), "2012");
  EXPECT_EQ(m.value("PV1", 3, 1, 3), "01");
  EXPECT_EQ(m.value("PV1", 7, 1, 1), "004777");
  EXPECT_EQ(m.value("PV1", 7, 1, 2), "ATTEND");
  ASSERT_TRUE(m.header().time.has_value());
  // 1988-08-18 11:26:00 at +07:00 is 04:26 UTC.
  EXPECT_EQ(m.header().time->utc(), parse_datetime("19880818042600+0000")->utc());
}

TEST(Hl7SamplesTest, ReadsTheV23SampleThatStartsWithAByteOrderMark) {
  const std::string bytes = read_sample("ms_adt_a01_v23_bom.hl7");
  ASSERT_TRUE(bytes.starts_with("\xEF\xBB\xBFMSH"));
  const Message m = parse_sample("ms_adt_a01_v23_bom.hl7");
  EXPECT_EQ(m.header().sending_application, "AccMgr");
  EXPECT_EQ(m.header().control_id, "599102");
  EXPECT_EQ(m.header().version, "2.3");
  EXPECT_EQ(m.value("PID", 3, 1, 1), "10006579");
  EXPECT_EQ(m.value("PID", 3, 1, 4), "1");
  EXPECT_EQ(m.value("PID", 3, 1, 5), "MR");
  EXPECT_EQ(m.value("PID", 5, 1, 1), "DUCK");
  EXPECT_EQ(m.value("PID", 5, 1, 2), "DONALD");
  EXPECT_EQ(m.value("PID", 7), "19241010");
  EXPECT_EQ(m.value("PID", 8), "M");
  EXPECT_EQ(m.value("PV1", 3, 1, 1), "PREOP");
  EXPECT_EQ(m.value("PV1", 3, 1, 2), "101");
  EXPECT_EQ(m.value("PV1", 7, 1, 2), "DISNEY");
  EXPECT_EQ(m.value("PV1", 19, 1, 1), "40007716");
  EXPECT_EQ(m.value("PV1", 19, 1, 5), "VN");
  EXPECT_EQ(m.value("PV1", 44), "20050110045502+0700");
  ASSERT_TRUE(m.header().event_time.has_value());
  EXPECT_EQ(m.header().event_time->offset, std::chrono::minutes(7 * 60));
}

TEST(Hl7SamplesTest, ReadsTheRepetitionsAndSubcomponentsOfTheHapiA03) {
  const Message m = parse_sample("hapi_adt_a03_v25_repetitions.hl7");
  const Segment& pid = *m.segment("PID");
  EXPECT_EQ(m.repetition_count(pid, 3), 4u);
  EXPECT_EQ(m.value(pid, 3, 1, 1), "5520255");
  EXPECT_EQ(m.value(pid, 3, 1, 4), "PK");
  EXPECT_EQ(m.value(pid, 3, 2, 4), "CF");
  EXPECT_EQ(m.value(pid, 3, 3, 1), "ZZZZZZ83M64Z148R");
  EXPECT_EQ(m.value(pid, 3, 3, 5), "SSN");
  EXPECT_EQ(m.value(pid, 3, 3, 7), "20070103");
  EXPECT_EQ(m.value(pid, 3, 4, 1), "");
  EXPECT_EQ(m.value(pid, 3, 4, 5), "TEAM");
  EXPECT_EQ(m.value(pid, 3, 5, 1), "");
  EXPECT_EQ(m.value(pid, 5, 1, 1), "ZZZ");
  EXPECT_EQ(m.value(pid, 7), "19830824");
  EXPECT_EQ(m.value(pid, 8), "F");
  EXPECT_EQ(m.value("PV1", 3, 1, 1), "6402DH");
  EXPECT_EQ(m.value("PV1", 3, 1, 11, 1), "OSPEDALE MAGGIORE DI LODI");
  EXPECT_EQ(m.value("PV1", 3, 1, 11, 2), "LODI");
  EXPECT_EQ(m.value("PV1", 7, 1, 1), "13936");
  EXPECT_EQ(m.value("PV1", 7, 1, 2), "TEST");
  EXPECT_EQ(m.value("PV1", 19), "2008003369");
  EXPECT_EQ(m.value("PV1", 45), "200803031508");
  EXPECT_EQ(m.header().message_code, "ADT");
  EXPECT_EQ(m.header().trigger_event, "A03");
  EXPECT_EQ(m.header().message_structure, "");
  EXPECT_EQ(m.header().event_time_text, "200803051509");
}

TEST(Hl7SamplesTest, ReadsTheHapiA01AndItsAttending) {
  const Message m = parse_sample("hapi_adt_a01_v24_ztrack.hl7");
  EXPECT_EQ(m.header().message_structure, "ADT_A01");
  EXPECT_EQ(m.header().control_id, "22139243");
  EXPECT_EQ(m.header().version, "2.4");
  EXPECT_EQ(m.value("PID", 3), "2216506");
  EXPECT_EQ(m.value("PID", 5, 1, 1), "Duck");
  EXPECT_EQ(m.value("PID", 5, 1, 5), "MR.");
  EXPECT_EQ(m.value("PID", 7), "19720227");
  EXPECT_EQ(m.value("PID", 11, 2, 7), "M");
  EXPECT_EQ(m.value("PV1", 3, 1, 1), "ZFAST TRACK");
  EXPECT_EQ(m.value("PV1", 3, 1, 2), "WAITING");
  EXPECT_EQ(m.value("PV1", 3, 1, 3), "13");
  EXPECT_EQ(m.value("PV1", 7, 1, 1), "");
  EXPECT_EQ(m.value("PV1", 7, 1, 2), "MOUSE");
  EXPECT_EQ(m.value("PV1", 7, 1, 3), "MICKEY");
  EXPECT_EQ(m.value("PV1", 19, 1, 1), "211004554");
  EXPECT_EQ(m.value("PV1", 44), "200105231927");
}

TEST(Hl7SamplesTest, ReadsTheV28KitchenSink) {
  const Message m = parse_sample("ms_adt_a01_v28_full.hl7");
  EXPECT_EQ(m.header().sending_facility, "GHHSFacility");
  EXPECT_EQ(m.value("MSH", 4, 1, 2), "2.16.840.1.122848.1.30");
  EXPECT_EQ(m.header().control_id, "MSG00001");
  EXPECT_EQ(m.header().version, "2.8");
  EXPECT_EQ(m.value("PID", 3, 1, 1), "PATID1234");
  EXPECT_EQ(m.value("PID", 3, 1, 4, 1), "test1");
  EXPECT_EQ(m.value("PID", 3, 1, 4, 2), "2.16.1");
  EXPECT_EQ(m.value("PID", 3, 1, 4, 3), "HCD");
  EXPECT_EQ(m.value("PID", 5, 1, 1, 1), "EVERYMAN");
  EXPECT_EQ(m.value("PID", 5, 1, 1, 5), "Aniston");
  EXPECT_EQ(m.value("PID", 5, 2, 7), "L");
  EXPECT_EQ(m.value("PID", 8), "M");
  ASSERT_TRUE(m.header().event_time.has_value());
  EXPECT_EQ(m.header().event_time->precision, DateTimePrecision::kSecond);
  EXPECT_EQ(m.value("PV1", 3, 1, 1, 1), "HUH AE OMU");
  EXPECT_EQ(m.value("PV1", 3, 1, 3), "Bed 03");
  EXPECT_EQ(m.value("PV1", 3, 1, 8), "Floor5");
  EXPECT_EQ(m.value("PV1", 7, 1, 2), "Alaz");
  EXPECT_EQ(m.value("PV1", 7, 1, 9, 2), "1.23");
}

TEST(Hl7SamplesTest, KeepsZSegmentsInOrder) {
  const Message zin = parse_sample("nhapi_adt_a08_v22_zin.hl7");
  ASSERT_NE(zin.segment("ZIN"), nullptr);
  EXPECT_EQ(zin.value("ZIN", 5, 1, 2), "Broken bone");
  EXPECT_EQ(zin.segments().back().name(), "ZIN");

  const Message z01 = parse_sample("nhapi_adt_a01_v21_z01.hl7");
  ASSERT_NE(z01.segment("Z01"), nullptr);
  EXPECT_GT(z01.segment("Z01")->field_count(), 90u);
  EXPECT_EQ(z01.value("Z01", 4), "NOUVEAU-NE");
  EXPECT_EQ(z01.header().version, "2.1");

  const Message zfa = parse_sample("nhapi_adt_a01_v26_zfa.hl7");
  EXPECT_EQ(zfa.value("ZFA", 4), "YARDI");
  EXPECT_EQ(zfa.header().processing_id, "D");
  ASSERT_TRUE(zfa.header().time.has_value());
  EXPECT_EQ(zfa.header().time->precision, DateTimePrecision::kFraction);
  EXPECT_EQ(zfa.header().time->offset, std::chrono::minutes(-5 * 60));

  const Message zdt = parse_sample("hl7apy_zdt_z01_v25_zmessage.hl7");
  EXPECT_EQ(zdt.header().message_code, "ZDT");
  EXPECT_EQ(zdt.header().trigger_event, "Z01");
  EXPECT_EQ(zdt.value("PID", 13, 2), "444-333-222");
}

TEST(Hl7SamplesTest, ReadsBothPairsOfAnA40) {
  const Message m = parse_sample("ms_adt_a40_v28_two_pairs.hl7");
  const auto pids = m.segments("PID");
  const auto mrgs = m.segments("MRG");
  ASSERT_EQ(pids.size(), 2u);
  ASSERT_EQ(mrgs.size(), 2u);
  EXPECT_EQ(m.value(*pids[0], 3, 1, 1), "12345");
  EXPECT_EQ(m.value(*pids[1], 3, 1, 1), "145");
  EXPECT_EQ(m.value(*mrgs[1], 1, 1, 1), "569");
  EXPECT_EQ(m.value(*mrgs[1], 1, 1, 4), "BCBS");
  EXPECT_EQ(m.header().trigger_event, "A40");
}

TEST(Hl7SamplesTest, KeepsHl7NullsApartFromEmptyValues) {
  const Message m = parse_sample("nhapi_adt_a08_v23_many_ids.hl7");
  const Segment& pid = *m.segment("PID");
  EXPECT_EQ(m.repetition_count(pid, 3), 4u);
  EXPECT_EQ(m.value(pid, 3, 4, 4), "EMPI");
  EXPECT_EQ(m.value(pid, 13, 2, 2), "YAHOO@YAHOO.COM");
  EXPECT_EQ(m.value(pid, 5, 1, 7), "Cur_Name");
  EXPECT_EQ(m.header().control_id, "Q2043855220T2330403781X928163");
}

TEST(Hl7SamplesTest, ReadsUmlautsAsUtf8) {
  const Message m = parse_sample("nhapi_adt_a08_v23_in1_in2_zbe.hl7");
  EXPECT_EQ(m.value("ZBE", 1, 1, 2), "ORBIS");
  EXPECT_EQ(m.value("MSH", 19), "DE");
  EXPECT_EQ(m.value("PID", 5, 1, 2), "Max");
}

TEST(Hl7SamplesTest, ReadsTheSamplesWithoutEvnAndWithAnEmptyEvn) {
  const Message no_evn = parse_sample("ms_adt_a04_v23_no_evn.hl7");
  EXPECT_EQ(no_evn.segment("EVN"), nullptr);
  EXPECT_EQ(no_evn.header().event_time_text, "");
  EXPECT_FALSE(no_evn.header().event_time.has_value());
  EXPECT_EQ(no_evn.value("PID", 5, 1, 1), "Doe");
  EXPECT_EQ(no_evn.value("PV1", 7, 1, 2), "Johnson");
  EXPECT_EQ(no_evn.header().processing_id, "T");

  const Message minimal = parse_sample("nhapi_adt_a28_v25_minimal.hl7");
  EXPECT_EQ(minimal.header().message_structure, "ADT_A05");
  EXPECT_EQ(minimal.segment("EVN")->field_count(), 1u);  // "EVN|": one empty field.
  EXPECT_EQ(minimal.segment("EVN")->raw_field(1), "");
  EXPECT_EQ(minimal.value("PID", 2), "12345");
}

TEST(Hl7SamplesTest, ReadsTheV500SampleWithAnEmptyProcessingId) {
  const Message m = parse_sample("nhapi_adt_a01_v23_v500.hl7");
  EXPECT_EQ(m.header().processing_id, "");
  EXPECT_EQ(m.value("MSH", 18), "8859/1");
  EXPECT_EQ(m.value("PV1", 3, 1, 3), "011");
  EXPECT_EQ(m.value("PV1", 19, 1, 5), "Visit Id");
  EXPECT_EQ(m.value("PV1", 44), "20170130125600");
}

}  // namespace
}  // namespace wl::hl7
