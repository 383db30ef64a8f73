// The ADT feed over the real SQLite store on a manual clock: each event's effect on the
// patient and the visit, the ACK and the stored message, repeats and messages out of
// order, merges, refusals and their replay, the inpatient search, and the public samples.

#include "services/patients/adt_service.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include <gtest/gtest.h>

#include "core/hl7/message.hpp"
#include "services/patients/patient_service.hpp"
#include "support/service_fixture.hpp"

namespace wl {
namespace {

using testing::ServiceFixture;

// One ADT message: MSH, EVN, PID, PV1, with the fields the feed reads.
struct Adt {
  std::string event = "A01";
  std::string control = "ctl-1";
  std::string version = "2.5.1";
  std::string event_time = "20270115080000";
  std::string pid3 = "100234^^^GH^MR";
  std::string name = "Testpatient^Alma^J";
  std::string dob = "19480312";
  std::string sex = "F";
  std::string location = "4W^412^A";
  std::string attending = "1234^Patel^Nina^^^Dr";
  std::string visit = "V1001^^^GH";
  std::string admit = "20270115075500";
  std::string discharge;
  std::string mrg;  // A40: MRG-1.
  bool pv1 = true;

  std::string text() const {
    std::string message = fmt::format(
        "MSH|^~\\&|EPIC|GH|WARDLINE|GH|{}||ADT^{}|{}|P|{}\rEVN|{}|{}\rPID|1||{}||{}||{}|{}\r",
        event_time, event, control, version, event, event_time, pid3, name, dob, sex);
    if (!mrg.empty()) {
      message += "MRG|" + mrg + "\r";
    }
    if (pv1) {
      message += fmt::format("PV1|1|I|{}||||{}||||||||||||{}|||||||||||||||||||||||||{}|{}\r",
                             location, attending, visit, admit, discharge);
    }
    return message;
  }
};

class AdtServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    org_ = fx_.create_org("General Hospital").id;
    admin_ = ServiceFixture::principal_of(fx_.create_user(org_, "admin", true));
    nurse_ = ServiceFixture::principal_of(fx_.create_user(org_, "nurse"));
    adt_ = std::make_unique<AdtService>(
        *fx_.store, *fx_.store, *fx_.patients, *fx_.keys, *fx_.audit, fx_.bus, fx_.clock,
        AdtOptions{org_, "America/New_York"}, [this](std::function<void()> task) {
          std::lock_guard lock(mutex_);
          retries_.push_back(std::async(std::launch::async, std::move(task)));
        });
  }

  void TearDown() override {
    std::lock_guard lock(mutex_);
    for (auto& retry : retries_) {
      retry.wait();
    }
  }

  AdtResult send(const Adt& adt) { return send_text(adt.text()); }

  AdtResult send_text(std::string text) {
    auto result = adt_->receive_and_wait(std::move(text));
    EXPECT_TRUE(result.has_value()) << result.error().to_string();
    return result.value_or(AdtResult{});
  }

  PatientView patient(PatientId id) {
    auto view = fx_.patients->get(nurse_, id);
    EXPECT_TRUE(view.has_value()) << view.error().to_string();
    return view.value_or(PatientView{});
  }

  std::vector<EncounterLocation> history(PatientId id) {
    const auto encounters = fx_.store->list_encounters(id).value();
    return encounters.empty() ? std::vector<EncounterLocation>{}
                              : fx_.store->list_locations(encounters.front().id).value();
  }

  // MSA-1 and MSA-2 of an ACK, and its ERR segment's presence.
  static std::tuple<std::string, std::string, bool> msa(const std::string& ack) {
    auto parsed = hl7::parse_message(ack);
    EXPECT_TRUE(parsed.has_value()) << ack;
    if (!parsed) {
      return {};
    }
    return {parsed->value("MSA", 1), parsed->value("MSA", 2), parsed->segment("ERR") != nullptr};
  }

  ServiceFixture fx_;
  OrgId org_;
  Principal admin_;
  Principal nurse_;
  std::unique_ptr<AdtService> adt_;
  std::mutex mutex_;
  std::vector<std::future<void>> retries_;
};

TEST_F(AdtServiceTest, AnAdmissionCreatesThePatientAndTheVisitAndIsAcknowledgedOnceStored) {
  const AdtResult result = send(Adt{});
  EXPECT_EQ(result.ack_code, "AA");
  EXPECT_EQ(result.outcome, "applied");
  EXPECT_EQ(msa(result.ack), std::make_tuple(std::string("AA"), std::string("ctl-1"), false));
  ASSERT_TRUE(result.patient.is_set());

  const PatientView banner = patient(result.patient);
  EXPECT_EQ(banner.mrn, "100234");
  EXPECT_EQ(banner.name, "Testpatient, Alma J");
  EXPECT_EQ(banner.date_of_birth, "1948-03-12");
  EXPECT_EQ(banner.sex, "F");
  EXPECT_EQ(banner.location, "4W, room 412, bed A");
  EXPECT_EQ(banner.attending, "Dr Nina Patel");
  EXPECT_EQ(banner.status, "admitted");
  // 07:55 in New York (the feed's zone) in January is 12:55 UTC.
  EXPECT_EQ(banner.admitted_at, "2027-01-15T12:55:00.000000Z");
  ASSERT_EQ(banner.identifiers.size(), 1u);
  EXPECT_EQ(banner.identifiers[0].authority, "GH");
  EXPECT_EQ(banner.identifiers[0].type, "MR");

  const auto stored = fx_.store->get_hl7_message(org_, result.message_id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->outcome, "applied");
  EXPECT_EQ(stored->message_type, "ADT^A01");
  EXPECT_EQ(stored->patient_id, result.patient);
  EXPECT_EQ(fx_.audit_entries("hl7.adt", "ok").size(), 1u);
  EXPECT_EQ(history(result.patient).size(), 1u);
}

TEST_F(AdtServiceTest, ARepeatedMessageIsAcknowledgedWithoutBeingAppliedTwice) {
  const AdtResult first = send(Adt{});
  Adt transfer{
      .event = "A02", .control = "ctl-2", .event_time = "20270115090000", .location = "5E^501^B"};
  send(transfer);
  const AdtResult again = send(Adt{});  // The admission again, after the transfer.
  EXPECT_EQ(again.ack_code, "AA");
  EXPECT_EQ(again.outcome, "duplicate");
  EXPECT_EQ(std::get<1>(msa(again.ack)), "ctl-1");
  EXPECT_EQ(patient(first.patient).location, "5E, room 501, bed B");
  EXPECT_EQ(history(first.patient).size(), 2u);
  EXPECT_EQ(fx_.store->get_hl7_message(org_, first.message_id)->attempts, 1);
  EXPECT_EQ(fx_.audit_entries("hl7.adt").size(), 2u);
}

TEST_F(AdtServiceTest, TransfersMoveThePatientAndAnOlderOneDoesNotMoveThemBack) {
  const PatientId id = send(Adt{}).patient;
  send(Adt{
      .event = "A02", .control = "ctl-2", .event_time = "20270115100000", .location = "ICU^3^1"});
  // Sent late: it happened before the move to the ICU.
  const AdtResult late = send(Adt{
      .event = "A02", .control = "ctl-3", .event_time = "20270115090000", .location = "5E^501^B"});
  EXPECT_EQ(late.ack_code, "AA");
  EXPECT_EQ(late.outcome, "stale");
  EXPECT_EQ(patient(id).location, "ICU, room 3, bed 1");
  EXPECT_EQ(history(id).size(), 2u);

  // Nor does an older demographics update rename them.
  send(Adt{.event = "A08",
           .control = "ctl-4",
           .event_time = "20270115110000",
           .name = "Testpatient^Alba"});
  const AdtResult old = send(Adt{
      .event = "A08", .control = "ctl-5", .event_time = "20270115083000", .name = "Wrongname^Old"});
  EXPECT_EQ(old.outcome, "stale");
  EXPECT_EQ(patient(id).name, "Testpatient, Alba");
}

TEST_F(AdtServiceTest, DischargeAndTheCancellationsChangeTheVisitState) {
  const PatientId id = send(Adt{}).patient;
  send(Adt{.event = "A03",
           .control = "ctl-2",
           .event_time = "20270116120000",
           .discharge = "20270116115500"});
  PatientView banner = patient(id);
  EXPECT_EQ(banner.status, "discharged");
  EXPECT_EQ(banner.discharged_at, "2027-01-16T16:55:00.000000Z");
  EXPECT_TRUE(fx_.patients->search_inpatients(nurse_, "", 10)->empty());

  send(Adt{.event = "A13", .control = "ctl-3", .event_time = "20270116130000"});
  banner = patient(id);
  EXPECT_EQ(banner.status, "admitted");
  EXPECT_EQ(banner.discharged_at, "");
  EXPECT_EQ(fx_.patients->search_inpatients(nurse_, "", 10)->size(), 1u);

  send(Adt{.event = "A11", .control = "ctl-4", .event_time = "20270116140000"});
  EXPECT_EQ(patient(id).status, "");  // The only visit was cancelled.
  EXPECT_TRUE(fx_.patients->search_inpatients(nurse_, "", 10)->empty());
  // A second cancel finds no open visit.
  const AdtResult again =
      send(Adt{.event = "A11", .control = "ctl-5", .event_time = "20270116150000"});
  EXPECT_EQ(again.ack_code, "AE");
}

TEST_F(AdtServiceTest, AMergeMovesTheIdentifiersAndThreadsToTheSurvivor) {
  const PatientId prior = send(Adt{.pid3 = "555^^^GH^MR", .visit = "V1"}).patient;
  const PatientId survivor =
      send(Adt{.control = "ctl-2", .pid3 = "100234^^^GH^MR", .visit = "V2"}).patient;
  ASSERT_NE(prior, survivor);
  const std::vector<UserId> members{admin_.user};
  const ThreadId thread = fx_.messaging->open_patient_thread(nurse_, prior, members, "")->thread.id;
  fx_.published.clear();

  const AdtResult merged = send(Adt{.event = "A40",
                                    .control = "ctl-3",
                                    .event_time = "20270115090000",
                                    .pid3 = "100234^^^GH^MR",
                                    .mrg = "555^^^GH^MR",
                                    .pv1 = false});
  EXPECT_EQ(merged.ack_code, "AA");
  EXPECT_EQ(merged.patient, survivor);
  EXPECT_EQ(fx_.store->find_thread(thread)->patient_id, survivor);
  EXPECT_EQ(patient(survivor).identifiers.size(), 2u);
  EXPECT_EQ(fx_.store->find_patient(prior)->merged_into, survivor);
  const auto gone = fx_.patients->get(nurse_, prior);
  ASSERT_FALSE(gone.has_value()) << "a merged patient is no longer shown";
  EXPECT_EQ(gone.error().code(), Code::kNotFound);
  // The prior MRN now finds the survivor.
  const AdtResult update = send(Adt{.event = "A08",
                                    .control = "ctl-4",
                                    .event_time = "20270115100000",
                                    .pid3 = "555^^^GH^MR",
                                    .pv1 = false});
  EXPECT_EQ(update.patient, survivor);
  // The thread's members were told its banner changed.
  bool told = false;
  for (const auto& published : fx_.published.events_of_kind(EventKind::kPatientChanged)) {
    told = told || published.event.thread_id == thread;
  }
  EXPECT_TRUE(told);
}

TEST_F(AdtServiceTest, MessagesThatCannotBeAppliedAreRefusedStoredAndReplayedAfterAFix) {
  // A transfer of a patient not yet admitted: an application error.
  const AdtResult early = send(Adt{.event = "A02", .control = "ctl-9"});  // As `sent` below.
  EXPECT_EQ(early.ack_code, "AE");
  EXPECT_EQ(early.outcome, "error");
  auto [code, control, has_err] = msa(early.ack);
  EXPECT_EQ(code, "AE");
  EXPECT_EQ(control, "ctl-9");
  EXPECT_TRUE(has_err);
  EXPECT_EQ(fx_.store->get_hl7_message(org_, early.message_id)->outcome, "error");
  EXPECT_EQ(fx_.audit_entries("hl7.adt", "refused").size(), 1u);

  // Only administrators list, read and replay the stored messages.
  EXPECT_EQ(fx_.patients->list_hl7_messages(nurse_, {org_, "error", 0, 10}).error().code(),
            Code::kPermissionDenied);
  const auto failures = fx_.patients->list_hl7_messages(admin_, {org_, "error", 0, 10});
  ASSERT_TRUE(failures.has_value());
  ASSERT_EQ(failures->size(), 1u);
  const Adt sent{.event = "A02", .control = "ctl-9"};
  EXPECT_EQ(fx_.patients->get_hl7_message(admin_, early.message_id)->raw, sent.text());

  send(Adt{.control = "ctl-10"});  // The admission arrives.
  const auto replayed = adt_->replay(admin_, early.message_id);
  ASSERT_TRUE(replayed.has_value()) << replayed.error().to_string();
  EXPECT_EQ(replayed->ack_code, "AA");
  EXPECT_EQ(replayed->message_id, early.message_id);
  const auto stored = fx_.store->get_hl7_message(org_, early.message_id);
  EXPECT_EQ(stored->outcome, "applied");
  EXPECT_EQ(stored->attempts, 2);
  // Once applied, it is a duplicate.
  EXPECT_EQ(adt_->replay(admin_, early.message_id)->outcome, "duplicate");
  EXPECT_EQ(fx_.audit_entries("hl7.replay").size(), 2u);
}

TEST_F(AdtServiceTest, MessagesOutsideWhatTheFeedTakesAreRejected) {
  const AdtResult garbage = send_text("this is not HL7");
  EXPECT_EQ(garbage.ack_code, "AR");
  EXPECT_EQ(std::get<0>(msa(garbage.ack)), "AR");
  EXPECT_EQ(send(Adt{.version = "2.2"}).ack_code, "AR");
  EXPECT_EQ(send(Adt{.event = "A28", .control = "ctl-2"}).ack_code, "AR");
  const AdtResult lab = send_text(
      "MSH|^~\\&|LAB|GH|WARDLINE|GH|20270115||ORU^R01|ctl-3|P|2.5.1\rPID|1||100234^^^GH^MR\r");
  EXPECT_EQ(lab.ack_code, "AR");
  const AdtResult no_id = send(Adt{.control = "ctl-4", .pid3 = ""});
  EXPECT_EQ(no_id.ack_code, "AE");
  EXPECT_EQ(fx_.store->list_hl7_messages({org_, "rejected", 0, 10})->size(), 4u);
  EXPECT_TRUE(fx_.store->list_patients(org_)->empty());
}

TEST_F(AdtServiceTest, InpatientsAreFoundByNameMrnOrLocationWithoutAccents) {
  send(Adt{.name = "Núñez^Zoë"});
  send(Adt{.control = "ctl-2",
           .pid3 = "200^^^GH^MR",
           .name = "Okafor^Ben",
           .location = "5E^501^B",
           .visit = "V2"});
  auto names = [&](std::string_view query) {
    std::vector<std::string> found;
    const auto views = fx_.patients->search_inpatients(nurse_, query, 10);
    EXPECT_TRUE(views.has_value());
    for (const PatientView& view : views.value_or(std::vector<PatientView>{})) {
      found.push_back(view.name);
    }
    return found;
  };
  EXPECT_EQ(names("nunez"), std::vector<std::string>{"Núñez, Zoë"});
  EXPECT_EQ(names("ZOE NU"), std::vector<std::string>{"Núñez, Zoë"});
  EXPECT_EQ(names("1002"), std::vector<std::string>{"Núñez, Zoë"});
  EXPECT_EQ(names("5e"), std::vector<std::string>{"Okafor, Ben"});
  EXPECT_TRUE(names("smith").empty());
  EXPECT_EQ(names("").size(), 2u);
  EXPECT_EQ(fx_.patients->search_inpatients(nurse_, std::string(201, 'a'), 10).error().code(),
            Code::kInvalidArgument);
}

TEST_F(AdtServiceTest, EveryPublicSampleIsAnsweredWithAnAckThatEchoesItsControlId) {
  for (const auto& entry : std::filesystem::directory_iterator(WL_TEST_DATA_DIR "/hl7")) {
    if (entry.path().extension() != ".hl7") {
      continue;
    }
    std::ifstream file(entry.path(), std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    const AdtResult result = send_text(text.str());
    const auto sample = hl7::parse_message(text.str());
    auto [code, control, has_err] = msa(result.ack);
    SCOPED_TRACE(entry.path().filename().string() + " " + result.text);
    EXPECT_EQ(code, result.ack_code);
    EXPECT_EQ(has_err, code != "AA");
    if (sample) {
      EXPECT_EQ(control, sample->header().control_id);
      if (sample->header().message_code == "ADT" && sample->header().trigger_event == "A01" &&
          sample->header().version >= "2.3") {
        EXPECT_EQ(code, "AA");
      }
    }
  }
}

}  // namespace
}  // namespace wl
