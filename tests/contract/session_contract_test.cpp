// The SessionStore contract (src/ports/session_store.hpp): devices and login sessions,
// written as mutations.

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class SessionStoreContract : public StoreFixture<Factory> {
 protected:
  // A session of `user` expiring at `expires`, not yet written.
  static Session session_of(UserId user, std::string token_hash, Timestamp created,
                            Timestamp expires = at(1000)) {
    Session session;
    session.token_hash = std::move(token_hash);
    session.user_id = user;
    session.created_at = created;
    session.last_used = created;
    session.expires_at = expires;
    return session;
  }

  Result<Device> open(UserId user, std::string token_hash, std::string device_name,
                      Timestamp created, Timestamp expires = at(1000),
                      const CommitHook& hook = {}) {
    return commit_one<Device>(*this->store_,
                              OpenSession{session_of(user, std::move(token_hash), created, expires),
                                          std::move(device_name)},
                              hook);
  }

  Result<std::monostate> write(Mutation mutation) {
    return commit_one<std::monostate>(*this->store_, std::move(mutation));
  }
};

TYPED_TEST_SUITE(SessionStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(SessionStoreContract, OpeningASessionCreatesItsDeviceAndTellsTheUser) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const StreamPosition start = *store.stream_head();  // After the user's own event.
  HookLog log;
  auto phone =
      this->open(zoe, std::string(32, '\x01'), "sealed phone", at(5), at(1000), log.hook());
  ASSERT_TRUE(phone.has_value()) << phone.error().to_string();
  EXPECT_EQ(phone->user_id, zoe);
  EXPECT_EQ(phone->name_sealed, "sealed phone");
  EXPECT_EQ(phone->created_at, at(5));
  EXPECT_EQ(phone->last_seen, at(5));
  EXPECT_EQ(store.find_device(phone->id)->name_sealed, "sealed phone");
  const Session stored = store.find_session(std::string(32, '\x01')).value();
  EXPECT_EQ(stored.device_id, phone->id);
  EXPECT_EQ(stored.user_id, zoe);
  EXPECT_EQ(stored.expires_at, at(1000));
  EXPECT_FALSE(stored.locked);

  // The user's own devices learn of it, nobody else.
  EXPECT_EQ(log.recipients(), (std::vector<std::vector<UserId>>{{zoe}}));
  const auto events = store.read_user_events(zoe, start, 10).value();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.front().kind, EventKind::kDevicesChanged);
  EXPECT_EQ(events.front().scope, EventScope::kUser);
  EXPECT_EQ(events.front().subject, zoe);
  EXPECT_EQ(events.front().created_at, at(5));

  // A taken token hash or an unknown user writes nothing, not even the device.
  EXPECT_EQ(this->open(zoe, std::string(32, '\x01'), "laptop", at(6)).error().code(),
            Code::kAlreadyExists);
  EXPECT_EQ(this->open(UserId(999), std::string(32, '\x02'), "tablet", at(6)).error().code(),
            Code::kNotFound);
  EXPECT_EQ(store.list_devices(zoe)->size(), 1u);
  EXPECT_EQ(store.read_user_events(zoe, start, 10)->size(), 1u);
}

TYPED_TEST(SessionStoreContract, RevokingADeviceRevokesItsSessions) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId admin = this->make_user("admin");
  const StreamPosition start = *store.stream_head();  // After the users' own events.
  const std::string phone_token(32, '\x01');
  const std::string laptop_token(32, '\x02');
  auto phone = this->open(zoe, phone_token, "phone", at(5));
  auto laptop = this->open(zoe, laptop_token, "laptop", at(6));
  ASSERT_TRUE(phone.has_value() && laptop.has_value());
  EXPECT_EQ(store.list_devices(zoe)->size(), 2u);

  ASSERT_TRUE(this->write(TouchSession{phone_token, at(50)}).has_value());
  EXPECT_EQ(store.find_session(phone_token)->last_used, at(50));
  EXPECT_EQ(store.find_device(phone->id)->last_seen, at(50));
  EXPECT_EQ(this->write(TouchSession{std::string(32, '\x09'), at(50)}).error().code(),
            Code::kNotFound);

  HookLog log;
  ASSERT_TRUE(commit_one<std::monostate>(store, RevokeDevice{phone->id, at(60), admin}, log.hook())
                  .has_value());
  EXPECT_TRUE(store.find_device(phone->id)->revoked);
  EXPECT_TRUE(store.find_session(phone_token)->revoked);
  EXPECT_FALSE(store.find_session(laptop_token)->revoked);
  EXPECT_FALSE(store.find_device(laptop->id)->revoked);
  EXPECT_EQ(log.recipients(), (std::vector<std::vector<UserId>>{{zoe}}));
  const auto events = store.read_user_events(zoe, start, 10).value();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events.back().kind, EventKind::kDevicesChanged);
  EXPECT_EQ(events.back().actor, admin);
  EXPECT_TRUE(store.read_user_events(admin, start, 10)->empty());
  EXPECT_EQ(this->write(RevokeDevice{DeviceId(999), at(60), admin}).error().code(),
            Code::kNotFound);

  ASSERT_TRUE(this->write(RevokeSession{laptop_token}).has_value());
  EXPECT_TRUE(store.find_session(laptop_token)->revoked);
  EXPECT_EQ(store.find_session(std::string(32, '\x09')).error().code(), Code::kNotFound);
  EXPECT_EQ(this->write(RevokeSession{std::string(32, '\x09')}).error().code(), Code::kNotFound);
}

TYPED_TEST(SessionStoreContract, LocksAndUnlocksSessionsAndKeepsPins) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  EXPECT_TRUE(store.find_user(zoe)->pin_hash.empty());
  ASSERT_TRUE(this->write(SetPinHash{zoe, "$argon2id$pin"}).has_value());
  EXPECT_EQ(store.find_user(zoe)->pin_hash, "$argon2id$pin");
  EXPECT_EQ(this->write(SetPinHash{UserId(999), "x"}).error().code(), Code::kNotFound);

  const std::string token(32, '\x03');
  auto phone = this->open(zoe, token, "phone", at(7));
  ASSERT_TRUE(phone.has_value());
  EXPECT_FALSE(store.find_session(token)->locked);
  EXPECT_EQ(store.find_session(token)->pin_failures, 0);

  ASSERT_TRUE(this->write(LockSession{token}).has_value());
  ASSERT_TRUE(this->write(SetSessionPinFailures{token, 3}).has_value());
  EXPECT_TRUE(store.find_session(token)->locked);
  EXPECT_EQ(store.find_session(token)->pin_failures, 3);
  ASSERT_TRUE(this->write(UnlockSession{token, at(80)}).has_value());
  const Session unlocked = store.find_session(token).value();
  EXPECT_FALSE(unlocked.locked);
  EXPECT_EQ(unlocked.pin_failures, 0);
  EXPECT_EQ(unlocked.last_used, at(80));
  EXPECT_EQ(store.find_device(phone->id)->last_seen, at(80));
  const std::string unknown(32, '\x09');
  EXPECT_EQ(this->write(LockSession{unknown}).error().code(), Code::kNotFound);
  EXPECT_EQ(this->write(UnlockSession{unknown, at(80)}).error().code(), Code::kNotFound);
  EXPECT_EQ(this->write(SetSessionPinFailures{unknown, 1}).error().code(), Code::kNotFound);
}

TYPED_TEST(SessionStoreContract, PurgeSessionsDeletesOnlyThoseExpiredBeforeTheCutoff) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const auto open_session = [&](std::string token_hash, Timestamp expires, bool revoked) {
    ASSERT_TRUE(this->open(zoe, token_hash, "phone", at(6), expires).has_value());
    if (revoked) {
      ASSERT_TRUE(this->write(RevokeSession{token_hash}).has_value());
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
