// The IdentityStore contract (src/ports/identity_store.hpp): orgs, users, devices and
// sessions.

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class IdentityStoreContract : public StoreFixture<Factory> {};

TYPED_TEST_SUITE(IdentityStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(IdentityStoreContract, CreatesOrgsAndRejectsDuplicateNames) {
  auto& store = *this->store_;
  auto duplicate = store.create_org("General Hospital", at(1));
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code(), Code::kAlreadyExists);
  EXPECT_EQ(duplicate.error().message().find("General"), std::string::npos);

  auto second = store.create_org("County Clinic", at(1));
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->id, this->org_);

  auto found = store.find_org_by_name("County Clinic");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, second->id);
  EXPECT_EQ(found->created_at, at(1));
  EXPECT_EQ(store.find_org(this->org_)->name, "General Hospital");
  EXPECT_EQ(store.find_org(OrgId(999)).error().code(), Code::kNotFound);
  EXPECT_EQ(store.find_org_by_name("Nowhere").error().code(), Code::kNotFound);

  auto orgs = store.list_orgs();
  ASSERT_TRUE(orgs.has_value());
  ASSERT_EQ(orgs->size(), 2u);
  EXPECT_EQ((*orgs)[0].id, this->org_);
  EXPECT_EQ((*orgs)[1].id, second->id);
}

TYPED_TEST(IdentityStoreContract, CreatesUsersUniqueWithinTheirOrg) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");

  NewUser duplicate;
  duplicate.org_id = this->org_;
  duplicate.username = "zoe";
  duplicate.display_name = "Other";
  duplicate.created_at = at(4);
  auto taken = store.create_user(duplicate);
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().code(), Code::kAlreadyExists);

  auto other_org = store.create_org("County Clinic", at(1));
  ASSERT_TRUE(other_org.has_value());
  duplicate.org_id = other_org->id;
  EXPECT_TRUE(store.create_user(duplicate).has_value());

  duplicate.org_id = OrgId(999);
  EXPECT_EQ(store.create_user(duplicate).error().code(), Code::kNotFound);

  auto found = store.find_user_by_name(this->org_, "zoe");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, zoe);
  EXPECT_EQ(found->display_name, "Display zoe");
  EXPECT_EQ(found->password_hash, "$argon2id$hash");
  EXPECT_FALSE(found->disabled);
  EXPECT_EQ(store.find_user_by_name(this->org_, "nobody").error().code(), Code::kNotFound);
  EXPECT_EQ(store.find_user(UserId(999)).error().code(), Code::kNotFound);

  auto users = store.list_users(this->org_);
  ASSERT_TRUE(users.has_value());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].id, adam);
  EXPECT_EQ((*users)[1].id, zoe);
}

TYPED_TEST(IdentityStoreContract, UpdatesLoginStateOfUsers) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  ASSERT_TRUE(store.set_login_failures(zoe, 5, at(100)).has_value());
  auto locked = store.find_user(zoe);
  EXPECT_EQ(locked->failed_logins, 5);
  EXPECT_EQ(locked->locked_until, std::optional<Timestamp>(at(100)));

  ASSERT_TRUE(store.set_password_hash(zoe, "$argon2id$new").has_value());
  auto reset = store.find_user(zoe);
  EXPECT_EQ(reset->password_hash, "$argon2id$new");
  EXPECT_EQ(reset->failed_logins, 0);
  EXPECT_FALSE(reset->locked_until.has_value());

  ASSERT_TRUE(store.set_user_disabled(zoe, true).has_value());
  EXPECT_TRUE(store.find_user(zoe)->disabled);
  EXPECT_EQ(store.set_user_disabled(UserId(999), true).error().code(), Code::kNotFound);
  EXPECT_FALSE(store.find_user(zoe)->is_operator);
  ASSERT_TRUE(store.set_user_operator(zoe, true).has_value());
  EXPECT_TRUE(store.find_user(zoe)->is_operator);
  EXPECT_EQ(store.set_user_operator(UserId(999), true).error().code(), Code::kNotFound);
  EXPECT_EQ(store.set_password_hash(UserId(999), "x").error().code(), Code::kNotFound);
  EXPECT_EQ(store.set_login_failures(UserId(999), 1, std::nullopt).error().code(), Code::kNotFound);
}

TYPED_TEST(IdentityStoreContract, RevokingADeviceRevokesItsSessions) {
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

TYPED_TEST(IdentityStoreContract, LocksAndUnlocksSessionsAndKeepsPinsAndIdleLocks) {
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

TYPED_TEST(IdentityStoreContract, PurgeSessionsDeletesOnlyThoseExpiredBeforeTheCutoff) {
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
