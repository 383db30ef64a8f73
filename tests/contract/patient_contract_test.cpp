// The PatientStore contract (src/ports/patient_store.hpp), on every store.

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class PatientStoreContract : public StoreFixture<Factory> {
 protected:
  PatientWritten write(ChangePatient change) {
    auto written = commit_one<PatientWritten>(*this->store_, std::move(change));
    EXPECT_TRUE(written.has_value()) << written.error().to_string();
    return written.value_or(PatientWritten{});
  }

  // An update of `patient` decided from what the store holds now.
  ChangePatient update_of(PatientId patient) {
    const Patient stored = this->store_->find_patient(patient).value();
    ChangePatient change;
    change.org = this->org_;
    change.at = at(5);
    change.expect_patients.push_back({patient.value(), stored.version});
    change.patient = ChangePatient::PatientChange{};
    change.patient->id = patient;
    return change;
  }

  ChangePatient::EncounterChange new_visit(std::string token) {
    ChangePatient::EncounterChange visit;
    visit.seal_record = "encounter:" + token;
    visit.visit_token = std::move(token);
    visit.state = EncounterState::kAdmitted;
    visit.location_sealed = "sealed-4W";
    visit.moved_to = EncounterLocation{0, "sealed-moved-4W", "sealed-at-1"};
    return visit;
  }

  Hl7Message message(std::string control_token, std::string outcome = "applied") {
    Hl7Message message;
    message.org_id = this->org_;
    message.control_token = std::move(control_token);
    message.seal_record = "hl7:1";
    message.message_type = "ADT^A01";
    message.outcome = std::move(outcome);
    message.ack_code = message.outcome == "applied" ? "AA" : "AE";
    message.raw_sealed = "sealed-raw";
    message.received_at = at(1);
    return message;
  }
};

TYPED_TEST_SUITE(PatientStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(PatientStoreContract, CreatesAPatientWithItsIdentifiersAndUpdatesOnlyWhatIsGiven) {
  auto& store = *this->store_;
  const PatientWritten created = this->write(this->new_patient("mrn-1"));
  ASSERT_TRUE(created.patient.is_set());
  const Patient stored = *store.find_patient(created.patient);
  EXPECT_EQ(stored.seal_record, "patient:mrn-1");
  EXPECT_EQ(stored.name_sealed, "sealed-name");
  EXPECT_EQ(stored.version, 1);
  const auto holder = store.find_identifier(this->org_, "mrn-1");
  ASSERT_TRUE(holder.has_value() && holder->has_value());
  EXPECT_EQ((*holder)->patient_id, created.patient);
  EXPECT_EQ((*holder)->value_sealed, "sealed-value-mrn-1");
  EXPECT_FALSE(store.find_identifier(this->org_, "mrn-2")->has_value());

  ChangePatient change = this->update_of(created.patient);
  change.patient->sex_sealed = "sealed-sex";
  change.patient->event_at = at(4);
  change.identifiers.push_back(PatientIdentifier{"ssn-1", PatientId(), "v", "a", "t"});
  this->write(std::move(change));
  const Patient updated = *store.find_patient(created.patient);
  EXPECT_EQ(updated.name_sealed, "sealed-name");  // Not given: kept.
  EXPECT_EQ(updated.sex_sealed, "sealed-sex");
  EXPECT_EQ(updated.event_at, at(4));
  EXPECT_EQ(updated.version, 2);
  EXPECT_EQ(store.list_identifiers(created.patient)->size(), 2u);
  EXPECT_EQ(store.find_patient(PatientId(999)).error().code(), Code::kNotFound);
}

TYPED_TEST(PatientStoreContract, AChangeDecidedFromAnOlderStateIsAbortedWhole) {
  auto& store = *this->store_;
  const PatientWritten created = this->write(this->new_patient("mrn-1"));
  ChangePatient first = this->update_of(created.patient);
  ChangePatient second = this->update_of(created.patient);
  first.patient->name_sealed = "first";
  this->write(std::move(first));
  second.patient->name_sealed = "second";
  second.message = this->message("ctl-2");
  auto refused = commit_one<PatientWritten>(store, std::move(second));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kAborted);
  EXPECT_EQ(store.find_patient(created.patient)->name_sealed, "first");
  EXPECT_FALSE(store.find_hl7_message(this->org_, "ctl-2")->has_value());

  // Another patient may not take an identifier someone holds, nor be created with it.
  auto taken = commit_one<PatientWritten>(store, this->new_patient("mrn-1"));
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().code(), Code::kAborted);
  EXPECT_EQ(store.list_patients(this->org_)->size(), 1u);
}

TYPED_TEST(PatientStoreContract, EncountersKeepTheirStateAndLocationHistory) {
  auto& store = *this->store_;
  ChangePatient admit = this->new_patient("mrn-1");
  admit.encounter = this->new_visit("visit-1");
  admit.expect_no_visit = ChangePatient::IdentifierHolder{"visit-1", PatientId()};
  const PatientWritten admitted = this->write(std::move(admit));
  ASSERT_TRUE(admitted.encounter.is_set());
  auto found = store.find_encounter_by_visit(this->org_, "visit-1");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->id, admitted.encounter);
  EXPECT_EQ((*found)->state, EncounterState::kAdmitted);

  ChangePatient transfer = this->update_of(admitted.patient);
  transfer.expect_encounters.push_back({admitted.encounter.value(), (*found)->version});
  ChangePatient::EncounterChange moved;
  moved.id = admitted.encounter;
  moved.location_sealed = "sealed-5E";
  moved.moved_to = EncounterLocation{0, "sealed-moved-5E", "sealed-at-2"};
  transfer.encounter = moved;
  ChangePatient again = transfer;  // Decided from the same state: must be refused.
  again.expect_patients.clear();   // (by the visit's version alone)
  const PatientWritten transferred = this->write(std::move(transfer));
  EXPECT_EQ(transferred.patient, admitted.patient);
  EXPECT_EQ(commit_one<PatientWritten>(store, std::move(again)).error().code(), Code::kAborted);

  const auto history = store.list_locations(admitted.encounter);
  ASSERT_TRUE(history.has_value());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].location_sealed, "sealed-moved-4W");
  EXPECT_EQ((*history)[1].location_sealed, "sealed-moved-5E");
  EXPECT_LT((*history)[0].seq, (*history)[1].seq);

  // The visit number is unique in the org.
  ChangePatient twice = this->new_patient("mrn-2");
  twice.encounter = this->new_visit("visit-1");
  twice.expect_no_visit = ChangePatient::IdentifierHolder{"visit-1", PatientId()};
  EXPECT_EQ(commit_one<PatientWritten>(store, std::move(twice)).error().code(), Code::kAborted);
  const auto encounters = store.list_encounters(admitted.patient);
  ASSERT_EQ(encounters->size(), 1u);
  EXPECT_EQ(encounters->front().location_sealed, "sealed-5E");
}

TYPED_TEST(PatientStoreContract, AMergeMovesIdentifiersVisitsAndThreadsToTheSurvivor) {
  auto& store = *this->store_;
  ChangePatient first = this->new_patient("mrn-old");
  first.encounter = this->new_visit("visit-1");
  const PatientWritten merged = this->write(std::move(first));
  const PatientWritten survivor = this->write(this->new_patient("mrn-new"));
  const UserId adam = this->make_user("adam");
  NewThread about = this->new_group(adam, {adam});
  about.kind = ThreadKind::kPatient;
  about.patient_id = merged.patient;
  const ThreadId thread = commit_one<ThreadCreated>(store, CreateThread{about})->thread.id;

  ChangePatient merge = this->update_of(survivor.patient);
  merge.merge_from = merged.patient;
  merge.patient->name_sealed = "sealed-merged-name";
  const PatientWritten written = this->write(std::move(merge));
  EXPECT_EQ(written.patient, survivor.patient);
  EXPECT_EQ((*store.find_identifier(this->org_, "mrn-old"))->patient_id, survivor.patient);
  EXPECT_EQ(store.list_encounters(survivor.patient)->size(), 1u);
  EXPECT_EQ(store.find_thread(thread)->patient_id, survivor.patient);
  EXPECT_EQ(store.find_patient(merged.patient)->merged_into, survivor.patient);
  const auto listed = store.list_patients(this->org_);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, survivor.patient);
  // The thread about the patient is told.
  ASSERT_EQ(written.events.size(), 1u);
  EXPECT_EQ(written.events[0].kind, EventKind::kPatientChanged);
  EXPECT_EQ(written.events[0].thread_id, thread);
}

TYPED_TEST(PatientStoreContract, InpatientsAreFoundByEveryTokenOfTheQuery) {
  auto& store = *this->store_;
  ChangePatient alma = this->new_patient("mrn-1");
  alma.encounter = this->new_visit("visit-1");
  alma.search_tokens = std::vector<std::string>{"t-alma", "t-4w"};
  const PatientWritten admitted = this->write(std::move(alma));
  ChangePatient bob = this->new_patient("mrn-2");
  bob.search_tokens = std::vector<std::string>{"t-bob", "t-4w"};  // No visit: not an inpatient.
  this->write(std::move(bob));

  auto all = store.search_inpatients(this->org_, {}, 10);
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().id, admitted.patient);
  EXPECT_EQ(store.search_inpatients(this->org_, {"t-alma", "t-4w"}, 10)->size(), 1u);
  EXPECT_TRUE(store.search_inpatients(this->org_, {"t-alma", "t-bob"}, 10)->empty());
  EXPECT_TRUE(store.search_inpatients(this->org_, {"t-bob"}, 10)->empty());

  // Tokens are replaced, not added to; those kept stay.
  ChangePatient renamed = this->update_of(admitted.patient);
  renamed.search_tokens = std::vector<std::string>{"t-alba", "t-4w", "t-alba"};
  this->write(std::move(renamed));
  EXPECT_TRUE(store.search_inpatients(this->org_, {"t-alma"}, 10)->empty());
  EXPECT_EQ(store.search_inpatients(this->org_, {"t-alba", "t-4w"}, 10)->size(), 1u);
  ChangePatient moved = this->update_of(admitted.patient);
  moved.search_tokens = std::vector<std::string>{"t-alba"};
  this->write(std::move(moved));
  EXPECT_TRUE(store.search_inpatients(this->org_, {"t-4w"}, 10)->empty());
  EXPECT_EQ(store.search_inpatients(this->org_, {"t-alba"}, 10)->size(), 1u);
}

TYPED_TEST(PatientStoreContract, MessagesAreStoredOnceAndUpdatedOnReplay) {
  auto& store = *this->store_;
  ChangePatient failed;
  failed.org = this->org_;
  failed.at = at(2);
  failed.message = this->message("ctl-1", "error");
  const PatientWritten first = this->write(failed);
  EXPECT_GT(first.message_id, 0);
  // Decided as new although it was stored: refused.
  EXPECT_EQ(commit_one<PatientWritten>(store, failed).error().code(), Code::kAborted);

  ChangePatient replayed = this->new_patient("mrn-1");
  replayed.expect_attempts = 1;
  replayed.message = this->message("ctl-1", "applied");
  const PatientWritten second = this->write(std::move(replayed));
  EXPECT_EQ(second.message_id, first.message_id);
  const auto stored = store.find_hl7_message(this->org_, "ctl-1");
  ASSERT_TRUE(stored.has_value() && stored->has_value());
  EXPECT_EQ((*stored)->attempts, 2);
  EXPECT_EQ((*stored)->outcome, "applied");
  EXPECT_EQ((*stored)->patient_id, second.patient);
  EXPECT_EQ((*stored)->raw_sealed, "sealed-raw");

  this->write(
      ChangePatient{.org = this->org_, .message = this->message("ctl-2", "error"), .at = at(3)});
  EXPECT_EQ(store.list_hl7_messages({this->org_, "", 0, 10})->size(), 2u);
  const auto errors = store.list_hl7_messages({this->org_, "error", 0, 10});
  ASSERT_EQ(errors->size(), 1u);
  EXPECT_EQ(store.get_hl7_message(this->org_, errors->front().id)->control_token, "ctl-2");
  EXPECT_EQ(store.list_hl7_messages({this->org_, "", errors->front().id, 10})->size(), 1u);
  EXPECT_EQ(store.get_hl7_message(this->org_, 9999).error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace wl::testing
