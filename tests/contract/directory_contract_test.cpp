// The DirectoryStore contract (src/ports/directory_store.hpp): users' directory fields,
// org screens and the directory version.

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class DirectoryStoreContract : public StoreFixture<Factory> {
 protected:
  Result<OrgScreen> save(std::int64_t expected, std::string body, OrgId org = OrgId()) {
    return commit_one<OrgScreen>(
        *this->store_, SaveOrgScreen{org.is_set() ? org : this->org_, expected, std::move(body),
                                     admin_, at(10 + expected)});
  }

  UserId admin_;
};

TYPED_TEST_SUITE(DirectoryStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(DirectoryStoreContract, SetsTitleAndDepartmentAndTellsTheOrg) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  EXPECT_EQ(store.find_user(zoe)->department, "");
  const StreamPosition start = *store.stream_head();
  HookLog log;
  ASSERT_TRUE(commit_one<std::monostate>(
                  store, SetUserDirectory{zoe, "Cardiology attending", "Cardiología", zoe, at(20)},
                  log.hook())
                  .has_value());
  const User found = *store.find_user(zoe);
  EXPECT_EQ(found.title, "Cardiology attending");
  EXPECT_EQ(found.department, "Cardiología");
  EXPECT_EQ(store.list_users(this->org_)->at(0).department, "Cardiología");
  const auto events = *store.read_user_events(zoe, start, 10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::kUserChanged);
  EXPECT_EQ(events[0].subject, zoe);
  EXPECT_EQ(log.recipients(), std::vector<std::vector<UserId>>(1));
  EXPECT_EQ(commit_one<std::monostate>(store, SetUserDirectory{UserId(999), "x", "y", zoe, at(21)})
                .error()
                .code(),
            Code::kNotFound);
}

TYPED_TEST(DirectoryStoreContract, NewUsersCarryTheirDepartment) {
  NewUser user;
  user.org_id = this->org_;
  user.username = "ann";
  user.display_name = "Ann";
  user.department = "ICU";
  user.password_hash = "$argon2id$hash";
  user.created_at = at(2);
  const User created = *create_user(*this->store_, user);
  EXPECT_EQ(created.department, "ICU");
  EXPECT_EQ(this->store_->find_user(created.id)->department, "ICU");
}

TYPED_TEST(DirectoryStoreContract, TheVersionMovesWithEveryUserOrRoleChangeOfTheOrg) {
  auto& store = *this->store_;
  const OrgId other = create_org(store, "County Clinic", at(1))->id;
  const std::int64_t before = *store.directory_version(this->org_);
  EXPECT_EQ(*store.directory_version(other), 0);
  EXPECT_EQ(*store.directory_version(OrgId(999)), 0);
  const UserId zoe = this->make_user("zoe");
  const std::int64_t created = *store.directory_version(this->org_);
  EXPECT_GT(created, before);
  ASSERT_TRUE(commit_one<std::monostate>(store, SetUserDirectory{zoe, "RN", "ICU", zoe, at(3)})
                  .has_value());
  const std::int64_t changed = *store.directory_version(this->org_);
  EXPECT_GT(changed, created);
  ASSERT_TRUE(
      commit_one<std::monostate>(store, SetUserDisabled{zoe, true, zoe, at(4)}).has_value());
  const std::int64_t disabled = *store.directory_version(this->org_);
  EXPECT_GT(disabled, changed);
  Role role;
  role.org_id = this->org_;
  role.name = "Cardiology On Call";
  role.created_at = at(5);
  ASSERT_TRUE(commit_one<Role>(store, CreateRole{role, UserId()}).has_value());
  EXPECT_GT(*store.directory_version(this->org_), disabled);
  // Other orgs' versions stay; writes that change no directory entry move nothing.
  EXPECT_EQ(*store.directory_version(other), 0);
  const std::int64_t now = *store.directory_version(this->org_);
  ASSERT_TRUE(
      commit_one<std::monostate>(store, SetPasswordHash{zoe, "$argon2id$other"}).has_value());
  EXPECT_EQ(*store.directory_version(this->org_), now);
  // A refused write moves nothing either.
  ASSERT_FALSE(
      commit_one<std::monostate>(store, SetUserDirectory{UserId(999), "", "", zoe, at(6)}));
  EXPECT_EQ(*store.directory_version(this->org_), now);
}

TYPED_TEST(DirectoryStoreContract, OrgScreensSaveOnlyOverTheVersionTheyWereBasedOn) {
  auto& store = *this->store_;
  this->admin_ = this->make_user("admin");
  EXPECT_FALSE(store.find_org_screen(this->org_)->has_value());
  const StreamPosition start = *store.stream_head();

  const auto first = this->save(0, R"({"sections":[]})");
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_EQ(first->version, 1);
  EXPECT_EQ(first->org_id, this->org_);
  EXPECT_EQ(first->updated_by, this->admin_);
  // A second "first save" lost the race.
  EXPECT_EQ(this->save(0, "late").error().code(), Code::kAborted);
  const auto second = this->save(1, R"({"sections":[1]})");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->version, 2);
  // An editor still at version 1 is refused, and nothing of theirs is written.
  EXPECT_EQ(this->save(1, "stale").error().code(), Code::kAborted);
  EXPECT_EQ(this->save(5, "ahead").error().code(), Code::kAborted);
  EXPECT_EQ(this->save(-1, "bad").error().code(), Code::kInvalidArgument);

  const auto stored = *store.find_org_screen(this->org_);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->version, 2);
  EXPECT_EQ(stored->body, R"({"sections":[1]})");
  EXPECT_EQ(stored->updated_by, this->admin_);
  EXPECT_EQ(stored->updated_at, at(11));
  // Each save told the org (kOrgChanged); the refused ones did not.
  const auto events = *store.read_user_events(this->admin_, start, 10);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, EventKind::kOrgChanged);
  EXPECT_EQ(events[1].kind, EventKind::kOrgChanged);

  EXPECT_EQ(this->save(0, "x", OrgId(999)).error().code(), Code::kNotFound);
  // Another org's screen is its own.
  const OrgId other = create_org(store, "County Clinic", at(1))->id;
  EXPECT_FALSE(store.find_org_screen(other)->has_value());
  EXPECT_EQ(this->save(0, "other", other)->version, 1);
  EXPECT_EQ((*store.find_org_screen(this->org_))->version, 2);
}

TYPED_TEST(DirectoryStoreContract, SystemSavesHaveNoEditor) {
  auto saved =
      commit_one<OrgScreen>(*this->store_, SaveOrgScreen{this->org_, 0, "{}", UserId(), at(3)});
  ASSERT_TRUE(saved.has_value()) << saved.error().to_string();
  const auto stored = *this->store_->find_org_screen(this->org_);
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(stored->updated_by.is_set());
}

}  // namespace
}  // namespace wl::testing
