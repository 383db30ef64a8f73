// The SessionStore contract (src/ports/session_store.hpp): devices and login sessions.

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class SessionStoreContract : public StoreFixture<Factory> {};

TYPED_TEST_SUITE(SessionStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(SessionStoreContract, RevokingADeviceRevokesItsSessions) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  auto phone = store.create_device(zoe, "phone", at(5));
  auto laptop = store.create_device(zoe, "laptop", at(6));
  ASSERT_TRUE(phone.has_value() && laptop.has_value());
  EXPECT_EQ(store.list_devices(zoe)->size(), 2u);

  const std::string phone_token(32, '\x01');
  const std::string laptop_token(32, '\x02');
  for (const auto& [token, device] :
       {std::pair{phone_token, phone->id}, std::pair{laptop_token, laptop->id}}) {
    Session session;
    session.token_hash = token;
    session.user_id = zoe;
    session.device_id = device;
    session.created_at = at(7);
    session.last_used = at(7);
    session.expires_at = at(1000);
    ASSERT_TRUE(store.create_session(session).has_value());
  }
  Session duplicate;
  duplicate.token_hash = phone_token;
  duplicate.user_id = zoe;
  duplicate.device_id = phone->id;
  EXPECT_EQ(store.create_session(duplicate).error().code(), Code::kAlreadyExists);

  ASSERT_TRUE(store.touch_session(phone_token, at(50)).has_value());
  EXPECT_EQ(store.find_session(phone_token)->last_used, at(50));
  EXPECT_EQ(store.find_device(phone->id)->last_seen, at(50));
  EXPECT_EQ(store.touch_session(std::string(32, '\x09'), at(50)).error().code(), Code::kNotFound);

  ASSERT_TRUE(store.revoke_device(phone->id, at(60)).has_value());
  EXPECT_TRUE(store.find_device(phone->id)->revoked);
  EXPECT_TRUE(store.find_session(phone_token)->revoked);
  EXPECT_FALSE(store.find_session(laptop_token)->revoked);
  EXPECT_FALSE(store.find_device(laptop->id)->revoked);
  EXPECT_EQ(store.revoke_device(DeviceId(999), at(60)).error().code(), Code::kNotFound);
  EXPECT_EQ(store.create_device(UserId(999), "tablet", at(60)).error().code(), Code::kNotFound);

  ASSERT_TRUE(store.revoke_session(laptop_token).has_value());
  EXPECT_TRUE(store.find_session(laptop_token)->revoked);
  EXPECT_EQ(store.find_session(std::string(32, '\x09')).error().code(), Code::kNotFound);
}

TYPED_TEST(SessionStoreContract, LocksAndUnlocksSessionsAndKeepsPinsAndIdleLocks) {
  auto& store = *this->store_;
  EXPECT_EQ(store.find_org(this->org_)->idle_lock, std::chrono::minutes(30));
  ASSERT_TRUE(store.set_org_idle_lock(this->org_, std::chrono::seconds(300)).has_value());
  EXPECT_EQ(store.find_org(this->org_)->idle_lock, std::chrono::seconds(300));
  EXPECT_EQ(store.set_org_idle_lock(OrgId(999), std::chrono::seconds(300)).error().code(),
            Code::kNotFound);

  const UserId zoe = this->make_user("zoe");
  EXPECT_TRUE(store.find_user(zoe)->pin_hash.empty());
  ASSERT_TRUE(store.set_pin_hash(zoe, "$argon2id$pin").has_value());
  EXPECT_EQ(store.find_user(zoe)->pin_hash, "$argon2id$pin");
  EXPECT_EQ(store.set_pin_hash(UserId(999), "x").error().code(), Code::kNotFound);

  auto phone = store.create_device(zoe, "phone", at(5));
  ASSERT_TRUE(phone.has_value());
  const std::string token(32, '\x03');
  Session session;
  session.token_hash = token;
  session.user_id = zoe;
  session.device_id = phone->id;
  session.created_at = at(7);
  session.last_used = at(7);
  session.expires_at = at(1000);
  ASSERT_TRUE(store.create_session(session).has_value());
  EXPECT_FALSE(store.find_session(token)->locked);
  EXPECT_EQ(store.find_session(token)->pin_failures, 0);

  ASSERT_TRUE(store.lock_session(token).has_value());
  ASSERT_TRUE(store.set_session_pin_failures(token, 3).has_value());
  EXPECT_TRUE(store.find_session(token)->locked);
  EXPECT_EQ(store.find_session(token)->pin_failures, 3);
  ASSERT_TRUE(store.unlock_session(token, at(80)).has_value());
  const Session unlocked = store.find_session(token).value();
  EXPECT_FALSE(unlocked.locked);
  EXPECT_EQ(unlocked.pin_failures, 0);
  EXPECT_EQ(unlocked.last_used, at(80));
  EXPECT_EQ(store.find_device(phone->id)->last_seen, at(80));
  const std::string unknown(32, '\x09');
  EXPECT_EQ(store.lock_session(unknown).error().code(), Code::kNotFound);
  EXPECT_EQ(store.unlock_session(unknown, at(80)).error().code(), Code::kNotFound);
  EXPECT_EQ(store.set_session_pin_failures(unknown, 1).error().code(), Code::kNotFound);
}

TYPED_TEST(SessionStoreContract, PurgeSessionsDeletesOnlyThoseExpiredBeforeTheCutoff) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const DeviceId phone = store.create_device(zoe, "phone", at(5))->id;
  const auto open_session = [&](std::string token_hash, Timestamp expires, bool revoked) {
    Session session;
    session.token_hash = std::move(token_hash);
    session.user_id = zoe;
    session.device_id = phone;
    session.created_at = at(6);
    session.last_used = at(6);
    session.expires_at = expires;
    ASSERT_TRUE(store.create_session(session).has_value());
    if (revoked) {
      ASSERT_TRUE(store.revoke_session(session.token_hash).has_value());
    }
  };
  open_session("expired-long-ago", at(100), false);
  open_session("revoked-and-expired", at(200), true);
  open_session("expires-at-cutoff", at(300), false);
  open_session("current", at(5000), false);

  auto purged = commit_one<std::int64_t>(store, PurgeSessions{at(300)});
  ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
  EXPECT_EQ(*purged, 2);
  EXPECT_EQ(store.find_session("expired-long-ago").error().code(), Code::kNotFound);
  EXPECT_EQ(store.find_session("revoked-and-expired").error().code(), Code::kNotFound);
  EXPECT_TRUE(store.find_session("expires-at-cutoff").has_value());
  EXPECT_TRUE(store.find_session("current").has_value());
  EXPECT_EQ(*commit_one<std::int64_t>(store, PurgeSessions{at(300)}), 0);
}

}  // namespace
}  // namespace wl::testing
