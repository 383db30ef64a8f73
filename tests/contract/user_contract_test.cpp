// The UserStore contract (src/ports/user_store.hpp): orgs and users.

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class UserStoreContract : public StoreFixture<Factory> {
 protected:
  Result<std::monostate> write(Mutation mutation) {
    return commit_one<std::monostate>(*this->store_, std::move(mutation));
  }
};

TYPED_TEST_SUITE(UserStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(UserStoreContract, CreatesOrgsAndRejectsDuplicateNames) {
  auto& store = *this->store_;
  auto duplicate = create_org(store, "General Hospital", at(1));
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code(), Code::kAlreadyExists);
  EXPECT_EQ(duplicate.error().message().find("General"), std::string::npos);

  auto second = create_org(store, "County Clinic", at(1));
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

TYPED_TEST(UserStoreContract, CreatesUsersUniqueWithinTheirOrg) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");

  NewUser duplicate;
  duplicate.org_id = this->org_;
  duplicate.username = "zoe";
  duplicate.display_name = "Other";
  duplicate.created_at = at(4);
  auto taken = create_user(store, duplicate);
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().code(), Code::kAlreadyExists);

  auto other_org = create_org(store, "County Clinic", at(1));
  ASSERT_TRUE(other_org.has_value());
  duplicate.org_id = other_org->id;
  EXPECT_TRUE(create_user(store, duplicate).has_value());

  duplicate.org_id = OrgId(999);
  EXPECT_EQ(create_user(store, duplicate).error().code(), Code::kNotFound);

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

TYPED_TEST(UserStoreContract, UpdatesLoginStateOfUsers) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  ASSERT_TRUE(this->write(SetLoginFailures{zoe, 5, at(100)}).has_value());
  auto locked = store.find_user(zoe);
  EXPECT_EQ(locked->failed_logins, 5);
  EXPECT_EQ(locked->locked_until, std::optional<Timestamp>(at(100)));

  ASSERT_TRUE(this->write(SetPasswordHash{zoe, "$argon2id$new"}).has_value());
  auto reset = store.find_user(zoe);
  EXPECT_EQ(reset->password_hash, "$argon2id$new");
  EXPECT_EQ(reset->failed_logins, 0);
  EXPECT_FALSE(reset->locked_until.has_value());

  EXPECT_FALSE(store.find_user(zoe)->is_operator);
  ASSERT_TRUE(this->write(SetUserOperator{zoe, true}).has_value());
  EXPECT_TRUE(store.find_user(zoe)->is_operator);
  EXPECT_EQ(this->write(SetUserOperator{UserId(999), true}).error().code(), Code::kNotFound);
  EXPECT_EQ(this->write(SetPasswordHash{UserId(999), "x"}).error().code(), Code::kNotFound);
  EXPECT_EQ(this->write(SetLoginFailures{UserId(999), 1, std::nullopt}).error().code(),
            Code::kNotFound);
}

// A new user, a disabled or enabled one and new org settings are news for the whole
// org (and only that org): each write appends an org event in the same transaction.
TYPED_TEST(UserStoreContract, DirectoryAndSettingsChangesTellTheWholeOrg) {
  auto& store = *this->store_;
  const UserId admin = this->make_user("admin");
  const OrgId other_org = create_org(store, "County Clinic", at(1))->id;
  const UserId stranger = this->make_user("stranger", other_org);
  const StreamPosition start = *store.stream_head();
  const auto org_events = [&](UserId reader) {
    std::vector<Event> events = store.read_user_events(reader, start, 100).value();
    for (const Event& event : events) {
      EXPECT_EQ(event.scope, EventScope::kOrg);
      EXPECT_EQ(event.org_id, this->org_);
      EXPECT_EQ(event.actor, admin);
    }
    return events;
  };

  NewUser user;
  user.org_id = this->org_;
  user.username = "zoe";
  user.display_name = "Zoe";
  user.password_hash = "$argon2id$hash";
  user.created_at = at(20);
  HookLog log;
  auto zoe = commit_one<User>(store, CreateUser{user, admin}, log.hook());
  ASSERT_TRUE(zoe.has_value()) << zoe.error().to_string();
  EXPECT_EQ(log.recipients(), std::vector<std::vector<UserId>>(1));
  ASSERT_TRUE(this->write(SetUserDisabled{zoe->id, true, admin, at(30)}).has_value());
  EXPECT_TRUE(store.find_user(zoe->id)->disabled);
  ASSERT_TRUE(this->write(SetUserDisabled{zoe->id, false, admin, at(31)}).has_value());
  EXPECT_FALSE(store.find_user(zoe->id)->disabled);
  EXPECT_EQ(store.find_org(this->org_)->idle_lock, std::chrono::minutes(30));
  ASSERT_TRUE(this->write(SetOrgIdleLock{this->org_, std::chrono::seconds(300), admin, at(40)})
                  .has_value());
  EXPECT_EQ(store.find_org(this->org_)->idle_lock, std::chrono::seconds(300));

  for (const UserId reader : {admin, zoe->id}) {
    const auto events = org_events(reader);
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[0].kind, EventKind::kUserChanged);
    EXPECT_EQ(events[0].subject, zoe->id);
    EXPECT_EQ(events[0].created_at, at(20));
    EXPECT_EQ(events[1].kind, EventKind::kUserChanged);
    EXPECT_EQ(events[2].kind, EventKind::kUserChanged);
    EXPECT_EQ(events[2].created_at, at(31));
    EXPECT_EQ(events[3].kind, EventKind::kOrgChanged);
    EXPECT_EQ(events[3].created_at, at(40));
  }
  EXPECT_TRUE(store.read_user_events(stranger, start, 100)->empty());

  // Refused writes announce nothing.
  EXPECT_EQ(this->write(SetUserDisabled{UserId(999), true, admin, at(50)}).error().code(),
            Code::kNotFound);
  EXPECT_EQ(this->write(SetOrgIdleLock{OrgId(999), std::chrono::seconds(300), admin, at(50)})
                .error()
                .code(),
            Code::kNotFound);
  EXPECT_EQ(create_user(store, user).error().code(), Code::kAlreadyExists);
  EXPECT_EQ(org_events(admin).size(), 4u);
}

}  // namespace
}  // namespace wl::testing
