// The UserStore contract (src/ports/user_store.hpp): orgs and users.

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class UserStoreContract : public StoreFixture<Factory> {};

TYPED_TEST_SUITE(UserStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(UserStoreContract, CreatesOrgsAndRejectsDuplicateNames) {
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

TYPED_TEST(UserStoreContract, CreatesUsersUniqueWithinTheirOrg) {
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

TYPED_TEST(UserStoreContract, UpdatesLoginStateOfUsers) {
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

}  // namespace
}  // namespace wl::testing
