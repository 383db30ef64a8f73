// The PatientStore contract (src/ports/patient_store.hpp).

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class PatientStoreContract : public StoreFixture<Factory> {};

TYPED_TEST_SUITE(PatientStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(PatientStoreContract, UpsertsPatientsByMrnToken) {
  auto& store = *this->store_;
  Patient patient;
  patient.org_id = this->org_;
  patient.mrn_token = std::string("\x10token\x00", 7);
  patient.name_sealed = "sealed-name-1";
  patient.updated_at = at(1);
  auto first = commit_one<Patient>(store, UpsertPatient{patient});
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  patient.name_sealed = "sealed-name-2";
  patient.updated_at = at(2);
  auto second = commit_one<Patient>(store, UpsertPatient{patient});
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->id, first->id);
  auto found = store.find_patient(first->id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name_sealed, "sealed-name-2");
  EXPECT_EQ(found->mrn_token, patient.mrn_token);
  EXPECT_EQ(found->updated_at, at(2));
  EXPECT_EQ(store.list_patients(this->org_)->size(), 1u);
  EXPECT_EQ(store.find_patient(PatientId(999)).error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace wl::testing
