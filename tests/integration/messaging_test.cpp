#include <boost/json/serialize.hpp>

#include "integration/fixture.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;

using MessagingTest = ServerTest;

TEST_F(MessagingTest, DemoUserLogsInAndSeesSeededThreads) {
  auto patel = login("dr.patel");
  const json::value threads = patel->get("/api/v1/threads");
  const auto& list = threads.at("threads").as_array();
  ASSERT_GE(list.size(), 2u);
  bool saw_patient_thread = false;
  for (const json::value& thread : list) {
    if (thread.at("kind").as_string() == "patient") {
      saw_patient_thread = true;
      EXPECT_EQ(thread.at("patient").at("mrn").as_string(), "100234");
      EXPECT_EQ(thread.at("patient").at("location").as_string(), "4 West, room 12");
    }
  }
  EXPECT_TRUE(saw_patient_thread);
}

TEST_F(MessagingTest, PatientThreadsAreSeparatePerPatient) {
  auto patel = login("dr.patel");
  const json::value patients = patel->get("/api/v1/patients");
  const auto& list = patients.at("patients").as_array();
  ASSERT_GE(list.size(), 2u);
  const std::int64_t okafor = patel->user_id_of("dr.okafor");
  auto open = [&](const json::value& patient) {
    return patel
        ->post("/api/v1/threads", json::object{{"kind", "patient"},
                                               {"patient_id", patient.at("id")},
                                               {"member_ids", json::array{okafor}}})
        .at("id")
        .as_int64();
  };
  const std::int64_t about_first = open(list[0]);
  const std::int64_t about_second = open(list[1]);
  EXPECT_NE(about_first, about_second);
  EXPECT_EQ(open(list[0]), about_first);  // Same pair, same patient: same thread.
}

TEST_F(MessagingTest, PresenceIsVisibleToColleagues) {
  auto harper = login("rn.harper");
  auto patel = login("dr.patel");
  harper->connect();
  harper->next_matching([](auto& f) { return is_type(f, "caught_up"); });
  patel->connect();
  const json::value online = harper->next_matching([&](auto& f) {
    return is_type(f, "presence") && f.at("user_id").as_int64() == patel->user_id();
  });
  ASSERT_FALSE(online.is_null());
  EXPECT_TRUE(online.at("online").as_bool());
  bool listed_online = false;
  const json::value directory = harper->get("/api/v1/users");
  for (const json::value& user : directory.at("users").as_array()) {
    if (user.at("id").as_int64() == patel->user_id()) {
      listed_online = user.at("online").as_bool();
    }
  }
  EXPECT_TRUE(listed_online);
  patel->disconnect();
  const json::value offline = harper->next_matching([&](auto& f) {
    return is_type(f, "presence") && f.at("user_id").as_int64() == patel->user_id() &&
           !f.at("online").as_bool();
  });
  EXPECT_FALSE(offline.is_null());
}

}  // namespace
}  // namespace wl::testing
