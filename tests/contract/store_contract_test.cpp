// The Store contract (src/ports/store.hpp), run against every adapter. To add an
// adapter, write a factory like SqliteFactory (open() opens the same fresh database
// each time it is called, until the factory is destroyed) and add it to StoreFactories.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "contract/sqlite_factory.hpp"
#include "contract/test_chainer.hpp"
#include "ports/store.hpp"

namespace wl {
namespace {

Timestamp at(std::int64_t seconds) {
  return from_micros(1'800'000'000'000'000 + seconds * 1'000'000);
}

// Records every CommitHook call: the event ids of each call, in call order, and the
// recipients of every event.
class HookLog {
 public:
  CommitHook hook() {
    return [this](std::span<const CommittedEvent> events) {
      std::lock_guard lock(mutex_);
      std::vector<EventId> ids;
      for (const CommittedEvent& committed : events) {
        ids.push_back(committed.event.id);
        recipients_.push_back(committed.recipients);
      }
      calls_.push_back(std::move(ids));
    };
  }
  std::vector<std::vector<EventId>> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  // Recipients of every hooked event, in hook order.
  std::vector<std::vector<UserId>> recipients() {
    std::lock_guard lock(mutex_);
    return recipients_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::vector<EventId>> calls_;
  std::vector<std::vector<UserId>> recipients_;
};

AuditDraft draft(std::string action, OrgId org = OrgId(1)) {
  AuditDraft audit;
  audit.at = at(1);
  audit.org_id = org;
  audit.actor = UserId(1);
  audit.device = DeviceId(1);
  audit.action = std::move(action);
  audit.target = "thread:1";
  audit.outcome = "ok";
  audit.detail = "";
  return audit;
}

template <typename Factory>
class StoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = factory_.open();
    ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
    store_ = std::move(*opened);
    auto org = store_->create_org("General Hospital", at(0));
    ASSERT_TRUE(org.has_value()) << org.error().to_string();
    org_ = org->id;
  }

  void reopen() {
    store_.reset();
    auto opened = factory_.open();
    ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
    store_ = std::move(*opened);
  }

  UserId make_user(const std::string& username, OrgId org = OrgId()) {
    NewUser user;
    user.org_id = org.is_set() ? org : org_;
    user.username = username;
    user.display_name = "Display " + username;
    user.title = "RN";
    user.password_hash = "$argon2id$hash";
    user.created_at = at(2);
    auto created = store_->create_user(user);
    EXPECT_TRUE(created.has_value()) << created.error().to_string();
    return created ? created->id : UserId();
  }

  ThreadId make_thread(UserId creator, std::vector<UserId> members, std::string key = "",
                       const CommitHook* hook = nullptr) {
    NewThread thread;
    thread.org_id = org_;
    thread.kind = ThreadKind::kGroup;
    thread.title_sealed = std::string("\x01sealed-title\x00\xff", 16);
    thread.unique_key = std::move(key);
    thread.created_by = creator;
    thread.created_at = at(3);
    thread.members = std::move(members);
    auto created = store_->create_thread(thread, hook != nullptr ? *hook : no_hook_);
    EXPECT_TRUE(created.has_value()) << created.error().to_string();
    return created ? created->thread.id : ThreadId();
  }

  Result<MessageAppended> send(ThreadId thread, UserId sender, std::string client_token,
                               bool urgent = false, const CommitHook* hook = nullptr) {
    NewMessage message;
    message.org_id = org_;
    message.thread_id = thread;
    message.sender = sender;
    message.client_id_sealed = std::string("\x01sealed\x00", 8) + client_token;
    message.client_token = std::move(client_token);
    message.urgent = urgent;
    message.body_sealed = std::string("\x02sealed\x00body", 12);
    message.created_at = at(10);
    return store_->append_message(message, draft("message.send", org_),
                                  hook != nullptr ? *hook : no_hook_);
  }

  EventId send_ok(ThreadId thread, UserId sender, std::string client_token, bool urgent = false) {
    auto sent = send(thread, sender, std::move(client_token), urgent);
    EXPECT_TRUE(sent.has_value()) << sent.error().to_string();
    return sent ? sent->event.id : EventId();
  }

  Factory factory_;
  std::unique_ptr<Store> store_;
  OrgId org_;
  CommitHook no_hook_ = [](std::span<const CommittedEvent>) {};
};

using StoreFactories = ::testing::Types<testing::SqliteFactory>;

class FactoryNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

TYPED_TEST_SUITE(StoreContractTest, StoreFactories, FactoryNames);

TYPED_TEST(StoreContractTest, CreatesOrgsAndRejectsDuplicateNames) {
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

TYPED_TEST(StoreContractTest, CreatesUsersUniqueWithinTheirOrg) {
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

TYPED_TEST(StoreContractTest, UpdatesLoginStateOfUsers) {
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

// Only versions before schema 4 stored device names and client ids in clear (the
// SQLite upgrade test seals some); nothing written through the port is listed, and
// sealing what is not in clear changes nothing.
TYPED_TEST(StoreContractTest, NothingWrittenThroughThePortIsInClear) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  auto phone = store.create_device(zoe, "sealed name", at(5));
  ASSERT_TRUE(phone.has_value());
  EXPECT_EQ(phone->name_sealed, "sealed name");
  EXPECT_EQ(store.find_device(phone->id)->name_sealed, "sealed name");
  const ThreadId thread = this->make_thread(zoe, {});
  const EventId message = this->send_ok(thread, zoe, "token");
  EXPECT_TRUE(store.list_device_names_in_clear(DeviceId(), 10)->empty());
  EXPECT_TRUE(store.list_client_ids_in_clear(EventId(), 10)->empty());

  const SealedDeviceName names[] = {{phone->id, "other"}, {DeviceId(999), "other"}};
  EXPECT_EQ(store.seal_device_names(names).error().code(), Code::kNotFound);
  EXPECT_EQ(store.find_device(phone->id)->name_sealed, "sealed name");
  const SealedClientId ids[] = {{message, "other", "other"}};
  EXPECT_EQ(store.seal_client_ids(ids).error().code(), Code::kNotFound);
  EXPECT_EQ(store.find_event(message)->client_token, "token");
}

TYPED_TEST(StoreContractTest, RevokingADeviceRevokesItsSessions) {
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

TYPED_TEST(StoreContractTest, LocksAndUnlocksSessionsAndKeepsPinsAndIdleLocks) {
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

TYPED_TEST(StoreContractTest, UpsertsPatientsByMrnToken) {
  auto& store = *this->store_;
  Patient patient;
  patient.org_id = this->org_;
  patient.mrn_token = std::string("\x10token\x00", 7);
  patient.name_sealed = "sealed-name-1";
  patient.updated_at = at(1);
  auto first = store.upsert_patient(patient);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  patient.name_sealed = "sealed-name-2";
  patient.updated_at = at(2);
  auto second = store.upsert_patient(patient);
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

TYPED_TEST(StoreContractTest, AnEmptyDirectThreadReachesItsOtherMemberWithTheFirstMessage) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  NewThread direct;
  direct.org_id = this->org_;
  direct.kind = ThreadKind::kDirect;
  direct.unique_key = "direct:zoe:adam";
  direct.created_by = zoe;
  direct.created_at = at(3);
  direct.members = {adam};
  const ThreadId thread = store.create_thread(direct, this->no_hook_)->thread.id;
  // A member, but not yet in adam's stream or list.
  EXPECT_TRUE(store.is_member(thread, adam).value_or(false));
  EXPECT_EQ(store.list_members(thread)->size(), 2u);
  EXPECT_TRUE(store.list_threads_for_user(adam)->empty());
  EXPECT_TRUE(store.read_user_events(adam, EventId(), 100)->empty());
  ASSERT_EQ(store.list_threads_for_user(zoe)->size(), 1u);

  HookLog log;
  const auto sent = this->send(thread, zoe, "first", false, nullptr);
  ASSERT_TRUE(sent.has_value()) << sent.error().to_string();
  const auto adam_events = store.read_user_events(adam, EventId(), 100);
  ASSERT_EQ(adam_events->size(), 2u);
  EXPECT_EQ((*adam_events)[0].kind, EventKind::kMemberAdded);
  EXPECT_EQ((*adam_events)[0].subject, adam);
  EXPECT_EQ((*adam_events)[0].actor, zoe);
  EXPECT_EQ((*adam_events)[1].id, sent->event.id);
  EXPECT_EQ(store.list_threads_for_user(adam)->size(), 1u);
  // Both streams hold the addition; the second message adds nobody.
  EXPECT_EQ(store.read_user_events(zoe, EventId(), 100)->size(), 4u);
  const CommitHook hook = log.hook();
  const auto second = this->send(thread, zoe, "second", false, &hook);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(log.calls().size(), 1u);
  EXPECT_EQ(log.calls()[0], (std::vector<EventId>{second->event.id}));
  EXPECT_EQ(log.recipients(), (std::vector<std::vector<UserId>>{{zoe, adam}}));
}

TYPED_TEST(StoreContractTest, OpeningAnExistingDirectThreadBringsItIntoTheCallersStream) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  NewThread direct;
  direct.org_id = this->org_;
  direct.kind = ThreadKind::kDirect;
  direct.unique_key = "direct:zoe:adam";
  direct.created_by = zoe;
  direct.created_at = at(3);
  direct.members = {adam};
  const ThreadId thread = store.create_thread(direct, this->no_hook_)->thread.id;
  direct.created_by = adam;
  direct.members = {zoe};
  HookLog log;
  const auto opened = store.create_thread(direct, log.hook());
  ASSERT_TRUE(opened.has_value());
  EXPECT_FALSE(opened->created);
  EXPECT_EQ(opened->thread.id, thread);
  ASSERT_EQ(opened->events.size(), 1u);
  EXPECT_EQ(opened->events[0].kind, EventKind::kMemberAdded);
  EXPECT_EQ(opened->events[0].subject, adam);
  EXPECT_EQ(log.recipients(), (std::vector<std::vector<UserId>>{{zoe, adam}}));
  EXPECT_EQ(store.list_threads_for_user(adam)->size(), 1u);
  // Opening it again changes nothing.
  EXPECT_TRUE(store.create_thread(direct, log.hook())->events.empty());
}

TYPED_TEST(StoreContractTest, ReuseSameMembersReturnsTheThreadWithExactlyThoseMembers) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const UserId eve = this->make_user("eve");
  NewThread group;
  group.org_id = this->org_;
  group.kind = ThreadKind::kGroup;
  group.created_by = zoe;
  group.created_at = at(3);
  group.members = {adam, eve};
  group.reuse_same_members = true;
  const auto first = store.create_thread(group, this->no_hook_);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->created);
  group.created_by = eve;
  group.members = {zoe, adam};
  const auto again = store.create_thread(group, this->no_hook_);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->thread.id, first->thread.id);
  EXPECT_TRUE(again->events.empty());
  group.members = {zoe};
  EXPECT_TRUE(store.create_thread(group, this->no_hook_)->created);
  ASSERT_TRUE(store.remove_member(first->thread.id, adam, zoe, at(4), this->no_hook_));
  group.members = {zoe, adam};
  EXPECT_TRUE(store.create_thread(group, this->no_hook_)->created);
}

TYPED_TEST(StoreContractTest, RenameThreadReplacesTheTitleAndAppendsAnEvent) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const ThreadId thread = this->make_thread(zoe, {adam});
  HookLog log;
  const std::string title("\x01new-title\x00\xfe", 13);
  const auto renamed = store.rename_thread(thread, title, adam, at(5), log.hook());
  ASSERT_TRUE(renamed.has_value()) << renamed.error().to_string();
  EXPECT_EQ(renamed->kind, EventKind::kThreadRenamed);
  EXPECT_EQ(renamed->actor, adam);
  EXPECT_EQ(store.find_thread(thread)->title_sealed, title);
  EXPECT_EQ(store.find_event(renamed->id)->body_sealed, title);
  EXPECT_EQ(log.recipients(), (std::vector<std::vector<UserId>>{{zoe, adam}}));
  EXPECT_EQ(store.read_user_events(adam, EventId(), 100)->back().id, renamed->id);
  EXPECT_EQ(store.rename_thread(ThreadId(9999), title, adam, at(5), log.hook()).error().code(),
            Code::kNotFound);
}

TYPED_TEST(StoreContractTest, AMessageKeepsItsWrittenTime) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const ThreadId thread = this->make_thread(zoe, {});
  NewMessage message;
  message.org_id = this->org_;
  message.thread_id = thread;
  message.sender = zoe;
  message.client_token = "written";
  message.client_id_sealed = "sealed";
  message.body_sealed = "body";
  message.created_at = at(10);
  message.written_at = at(7);
  const auto sent = store.append_message(message, draft("message.send", this->org_), this->no_hook_);
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->event.written_at, at(7));
  EXPECT_EQ(store.find_event(sent->event.id)->written_at, at(7));
  EXPECT_EQ(store.read_thread_messages(thread, 0, 1)->front().written_at, at(7));
  EXPECT_EQ(store.find_event(this->send_ok(thread, zoe, "plain"))->written_at, std::nullopt);
}

TYPED_TEST(StoreContractTest, CreateThreadWithUniqueKeyReturnsTheExistingThread) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  HookLog log;
  NewThread thread;
  thread.org_id = this->org_;
  thread.kind = ThreadKind::kDirect;
  thread.unique_key = "direct:1:2";
  thread.created_by = zoe;
  thread.created_at = at(3);
  thread.members = {adam};
  auto first = store.create_thread(thread, log.hook());
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_TRUE(first->created);
  // A direct thread enters only its creator's stream (see the next test).
  ASSERT_EQ(first->events.size(), 2u);
  EXPECT_EQ(first->events[0].kind, EventKind::kThreadCreated);
  EXPECT_EQ(first->events[1].kind, EventKind::kMemberAdded);
  EXPECT_EQ(first->events[1].subject, zoe);
  ASSERT_EQ(log.calls().size(), 1u);
  EXPECT_EQ(log.calls()[0].size(), 2u);
  EXPECT_EQ(log.recipients(), (std::vector<std::vector<UserId>>{{zoe}, {zoe}}));

  thread.members = {};
  auto second = store.create_thread(thread, log.hook());
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->thread.id, first->thread.id);
  EXPECT_TRUE(second->events.empty());
  EXPECT_EQ(log.calls().size(), 1u);
  EXPECT_EQ(store.list_members(first->thread.id)->size(), 2u);

  auto found = store.find_thread(first->thread.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->kind, ThreadKind::kDirect);
  EXPECT_EQ(found->unique_key, "direct:1:2");
  EXPECT_EQ(found->created_by, zoe);
  EXPECT_EQ(store.find_thread(ThreadId(999)).error().code(), Code::kNotFound);

  NewThread orphan = thread;
  orphan.org_id = OrgId(999);
  orphan.unique_key = "";
  EXPECT_EQ(store.create_thread(orphan, log.hook()).error().code(), Code::kNotFound);

  thread.unique_key = "";
  auto group_one = store.create_thread(thread, this->no_hook_);
  auto group_two = store.create_thread(thread, this->no_hook_);
  ASSERT_TRUE(group_one.has_value() && group_two.has_value());
  EXPECT_NE(group_one->thread.id, group_two->thread.id);
}

TYPED_TEST(StoreContractTest, AddsAndRemovesMembers) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const UserId bea = this->make_user("bea");
  const ThreadId thread = this->make_thread(zoe, {adam});
  HookLog log;

  auto added = store.add_member(thread, bea, zoe, at(20), log.hook());
  ASSERT_TRUE(added.has_value()) << added.error().to_string();
  EXPECT_EQ(added->kind, EventKind::kMemberAdded);
  EXPECT_EQ(added->subject, bea);
  EXPECT_EQ(added->actor, zoe);
  EXPECT_EQ(added->thread_id, thread);
  EXPECT_EQ(store.add_member(thread, bea, zoe, at(21), log.hook()).error().code(),
            Code::kAlreadyExists);
  EXPECT_EQ(store.add_member(ThreadId(999), bea, zoe, at(21), log.hook()).error().code(),
            Code::kNotFound);

  auto members = store.list_members(thread);
  ASSERT_TRUE(members.has_value());
  ASSERT_EQ(members->size(), 3u);
  EXPECT_TRUE(
      std::is_sorted(members->begin(), members->end(),
                     [](const Member& a, const Member& b) { return a.user_id < b.user_id; }));
  EXPECT_TRUE(*store.is_member(thread, bea));

  auto removed = store.remove_member(thread, bea, bea, at(22), log.hook());
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->kind, EventKind::kMemberRemoved);
  EXPECT_GT(removed->id, added->id);
  EXPECT_FALSE(*store.is_member(thread, bea));
  EXPECT_EQ(store.remove_member(thread, bea, bea, at(23), log.hook()).error().code(),
            Code::kNotFound);
  EXPECT_EQ(store.list_members(ThreadId(999)).error().code(), Code::kNotFound);
  ASSERT_EQ(log.calls().size(), 2u);
  EXPECT_EQ(log.calls()[0], std::vector<EventId>{added->id});
  EXPECT_EQ(log.calls()[1], std::vector<EventId>{removed->id});
}

TYPED_TEST(StoreContractTest, AppendMessageNumbersEachThreadFromOne) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const ThreadId first = this->make_thread(zoe, {});
  const ThreadId second = this->make_thread(zoe, {});
  HookLog log;
  const CommitHook hook = log.hook();
  std::vector<std::int64_t> seqs;
  for (const auto& [thread, client] : {std::pair{first, "a"}, std::pair{first, "b"},
                                       std::pair{second, "c"}, std::pair{first, "d"}}) {
    auto sent = this->send(thread, zoe, client, false, &hook);
    ASSERT_TRUE(sent.has_value()) << sent.error().to_string();
    EXPECT_FALSE(sent->duplicate);
    EXPECT_EQ(sent->event.kind, EventKind::kMessage);
    EXPECT_EQ(sent->event.org_id, this->org_);
    seqs.push_back(sent->event.seq);
  }
  EXPECT_EQ(seqs, (std::vector<std::int64_t>{1, 2, 1, 3}));
  EXPECT_EQ(store.find_thread(first)->last_seq, 3);
  EXPECT_EQ(store.find_thread(second)->last_seq, 1);
  ASSERT_EQ(log.calls().size(), 4u);

  auto stored = store.find_event(log.calls()[0][0]);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->client_token, "a");
  EXPECT_EQ(stored->client_id_sealed, std::string("\x01sealed\x00", 8) + "a");
  EXPECT_EQ(stored->body_sealed, std::string("\x02sealed\x00body", 12));
  EXPECT_EQ(store.find_event(EventId(99999)).error().code(), Code::kNotFound);
  EXPECT_EQ(*store.last_event_id(), log.calls()[3][0]);
}

TYPED_TEST(StoreContractTest, DuplicateClientIdReturnsTheOriginalAndWritesNothing) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const ThreadId thread = this->make_thread(zoe, {});
  HookLog log;
  const CommitHook hook = log.hook();
  auto original = this->send(thread, zoe, "client-1", false, &hook);
  ASSERT_TRUE(original.has_value());
  const EventId last_before = *store.last_event_id();

  auto again = this->send(thread, zoe, "client-1", true, &hook);
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->event.id, original->event.id);
  EXPECT_EQ(again->event.seq, 1);
  EXPECT_FALSE(again->event.urgent);
  EXPECT_EQ(log.calls().size(), 1u);
  EXPECT_EQ(*store.last_event_id(), last_before);
  EXPECT_EQ(store.read_thread_messages(thread, 0, 10)->size(), 1u);
  EXPECT_EQ(store.read_audit(0, 100)->size(), 1u);
  EXPECT_EQ(store.find_thread(thread)->last_seq, 1);

  // The same client id from another sender is another message.
  const UserId adam = this->make_user("adam");
  ASSERT_TRUE(store.add_member(thread, adam, zoe, at(5), this->no_hook_).has_value());
  auto other = this->send(thread, adam, "client-1");
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(other->duplicate);
  EXPECT_EQ(other->event.seq, 2);
}

TYPED_TEST(StoreContractTest, AppendToUnknownThreadIsNotFoundAndWritesNoAudit) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  auto sent = this->send(ThreadId(999), zoe, "x");
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code(), Code::kNotFound);
  EXPECT_TRUE(store.read_audit(0, 10)->empty());
}

TYPED_TEST(StoreContractTest, AppendByANonMemberIsRefusedAndWritesNothing) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const ThreadId thread = this->make_thread(zoe, {adam});
  ASSERT_TRUE(store.remove_member(thread, adam, zoe, at(5), this->no_hook_).has_value());
  const EventId last_before = *store.last_event_id();
  auto sent = this->send(thread, adam, "late");
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code(), Code::kPermissionDenied);
  // Another org's user, naming their own org, is refused the same way.
  const OrgId other_org = store.create_org("Other Hospital", at(1))->id;
  const UserId stranger = this->make_user("stranger", other_org);
  NewMessage message;
  message.org_id = other_org;
  message.thread_id = thread;
  message.sender = stranger;
  message.client_token = "x";
  message.body_sealed = "sealed";
  message.created_at = at(10);
  auto foreign = store.append_message(message, draft("message.send", other_org), this->no_hook_);
  ASSERT_FALSE(foreign.has_value());
  // Another org's thread is answered as a missing one.
  EXPECT_EQ(foreign.error().code(), Code::kNotFound);
  EXPECT_EQ(*store.last_event_id(), last_before);
  EXPECT_TRUE(store.read_audit(0, 10)->empty());
  EXPECT_EQ(store.find_thread(thread)->last_seq, 0);
}

TYPED_TEST(StoreContractTest, ConcurrentAppendsGiveAGapFreeSequenceAndOrderedHooks) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const ThreadId thread = this->make_thread(zoe, {});
  constexpr int kWriters = 8;
  constexpr int kPerWriter = 40;
  HookLog log;
  const CommitHook hook = log.hook();
  std::atomic<int> failures = 0;
  std::vector<std::thread> writers;
  for (int writer = 0; writer < kWriters; ++writer) {
    writers.emplace_back([&, writer] {
      for (int i = 0; i < kPerWriter; ++i) {
        // Every writer also resends one of its earlier ids: never a second message.
        const int number = i % 10 == 9 ? i - 1 : i;
        auto sent = this->send(thread, zoe, std::to_string(writer) + "-" + std::to_string(number),
                               false, &hook);
        if (!sent.has_value()) {
          ++failures;
        }
      }
    });
  }
  for (auto& writer : writers) {
    writer.join();
  }
  EXPECT_EQ(failures.load(), 0);

  const int distinct = kWriters * (kPerWriter - kPerWriter / 10);
  auto messages = store.read_thread_messages(thread, 0, 10000);
  ASSERT_TRUE(messages.has_value());
  ASSERT_EQ(messages->size(), static_cast<std::size_t>(distinct));
  std::set<std::string> client_ids;
  for (std::size_t i = 0; i < messages->size(); ++i) {
    EXPECT_EQ((*messages)[i].seq, distinct - static_cast<std::int64_t>(i));
    client_ids.insert((*messages)[i].client_token);
  }
  EXPECT_EQ(client_ids.size(), static_cast<std::size_t>(distinct));
  EXPECT_EQ(store.find_thread(thread)->last_seq, distinct);

  // Hooks ran in commit order: ids strictly increase across and within calls.
  std::vector<EventId> hooked;
  for (const auto& call : log.calls()) {
    hooked.insert(hooked.end(), call.begin(), call.end());
  }
  ASSERT_EQ(hooked.size(), static_cast<std::size_t>(distinct));
  for (std::size_t i = 1; i < hooked.size(); ++i) {
    EXPECT_LT(hooked[i - 1], hooked[i]);
  }
  EXPECT_EQ(store.read_audit(0, 10000)->size(), static_cast<std::size_t>(distinct));
}

// The asynchronous writes: many in flight from one thread, each completed exactly
// once, after its hook, with the same results and sequence rules as the blocking ones.
TYPED_TEST(StoreContractTest, AsyncWritesCompleteOnceAfterTheirHooks) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const ThreadId thread = this->make_thread(zoe, {yan});
  constexpr int kMessages = 60;
  std::mutex mutex;
  std::condition_variable changed;
  std::set<std::int64_t> hooked;  // Event ids the hooks saw.
  std::vector<Result<MessageAppended>> results;
  bool completed_before_hook = false;
  const CommitHook hook = [&](std::span<const CommittedEvent> events) {
    std::lock_guard lock(mutex);
    for (const CommittedEvent& committed : events) {
      hooked.insert(committed.event.id.value());
    }
  };
  for (int i = 0; i < kMessages; ++i) {
    NewMessage message;
    message.org_id = this->org_;
    message.thread_id = thread;
    message.sender = zoe;
    // The last one resends the first: answered as a duplicate, no new message.
    message.client_token = "async-" + std::to_string(i == kMessages - 1 ? 0 : i);
    message.body_sealed = std::string("\x02sealed", 7);
    message.created_at = at(10);
    store.append_message_async(
        message, draft("message.send", this->org_), hook, [&](Result<MessageAppended> appended) {
          std::lock_guard lock(mutex);
          if (appended && !appended->duplicate && !hooked.contains(appended->event.id.value())) {
            completed_before_hook = true;
          }
          results.push_back(std::move(appended));
          changed.notify_all();
        });
  }
  std::vector<Result<std::vector<Event>>> delivered;
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(20),
                                 [&] { return results.size() == kMessages; }));
  }
  EXPECT_FALSE(completed_before_hook);
  std::set<std::int64_t> seqs;
  std::vector<EventId> ids;
  int duplicates = 0;
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value()) << result.error().to_string();
    if (result->duplicate) {
      ++duplicates;
      EXPECT_EQ(result->event.client_token, "async-0");
      continue;
    }
    seqs.insert(result->event.seq);
    ids.push_back(result->event.id);
  }
  EXPECT_EQ(duplicates, 1);
  ASSERT_EQ(seqs.size(), static_cast<std::size_t>(kMessages - 1));
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), kMessages - 1);

  store.record_delivered_async(
      yan, ids, at(20), this->no_hook_,
      [&](std::span<const Event> receipts) -> std::optional<AuditDraft> {
        EXPECT_EQ(receipts.size(), ids.size());
        return draft("message.delivered", this->org_);
      },
      [&](Result<std::vector<Event>> events) {
        std::lock_guard lock(mutex);
        delivered.push_back(std::move(events));
        changed.notify_all();
      });
  std::vector<Result<AuditEntry>> audits;
  store.append_audit_async(draft("message.delivered", this->org_), [&](Result<AuditEntry> entry) {
    std::lock_guard lock(mutex);
    audits.push_back(std::move(entry));
    changed.notify_all();
  });
  std::unique_lock lock(mutex);
  ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(20),
                               [&] { return delivered.size() == 1 && audits.size() == 1; }));
  ASSERT_TRUE(delivered[0].has_value()) << delivered[0].error().to_string();
  EXPECT_EQ(delivered[0]->size(), ids.size());
  ASSERT_TRUE(audits[0].has_value());
  // Every send's audit entry, the delivery's (in its transaction), then the one
  // appended here: one chain.
  EXPECT_EQ(audits[0]->seq, kMessages + 1);
  auto chain = store.read_audit(0, 1000);
  ASSERT_TRUE(chain.has_value());
  ASSERT_EQ(chain->size(), static_cast<std::size_t>(kMessages + 1));
  EXPECT_EQ((*chain)[kMessages - 1].draft.action, "message.delivered");
}

TYPED_TEST(StoreContractTest, ReadUserEventsReplaysTheUsersThreadsInIdOrder) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const ThreadId shared = this->make_thread(zoe, {adam});
  const ThreadId private_thread = this->make_thread(zoe, {});
  this->send_ok(shared, zoe, "1");
  this->send_ok(private_thread, zoe, "2");
  this->send_ok(shared, adam, "3");

  auto all = store.read_user_events(adam, EventId(), 100);
  ASSERT_TRUE(all.has_value());
  for (std::size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].thread_id, shared);
    if (i > 0) {
      EXPECT_LT((*all)[i - 1].id, (*all)[i].id);
    }
  }
  // Created, two member-added events and two messages.
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].kind, EventKind::kThreadCreated);
  EXPECT_EQ((*all)[4].client_token, "3");

  auto page_one = store.read_user_events(adam, EventId(), 2);
  ASSERT_EQ(page_one->size(), 2u);
  auto page_two = store.read_user_events(adam, page_one->back().id, 2);
  ASSERT_EQ(page_two->size(), 2u);
  EXPECT_EQ(page_two->front().id, (*all)[2].id);
  auto tail = store.read_user_events(adam, (*all)[4].id, 10);
  EXPECT_TRUE(tail->empty());

  EXPECT_EQ(store.read_user_events(zoe, EventId(), 100)->size(), 5u + 3u);

  // After leaving, the removal is replayed but later events of the thread are not.
  auto removed = store.remove_member(shared, adam, zoe, at(30), this->no_hook_);
  ASSERT_TRUE(removed.has_value());
  this->send_ok(shared, zoe, "4");
  auto after_leaving = store.read_user_events(adam, (*all)[4].id, 10);
  ASSERT_EQ(after_leaving->size(), 1u);
  EXPECT_EQ(after_leaving->front().kind, EventKind::kMemberRemoved);
  EXPECT_EQ(after_leaving->front().subject, adam);
}

// Replay is what live delivery sent: a member added late does not get the thread's
// earlier events, and one removed and added again gets neither the events of the gap
// nor loses those of either period.
TYPED_TEST(StoreContractTest, ReplayedStreamsAreExactlyWhatWasDeliveredLive) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const UserId late = this->make_user("late");
  HookLog log;
  const CommitHook hook = log.hook();
  const ThreadId thread = this->make_thread(zoe, {adam}, "", &hook);
  auto say = [&](UserId sender, const std::string& client_token) {
    ASSERT_TRUE(this->send(thread, sender, client_token, false, &hook).has_value());
  };
  say(zoe, "before-late");
  ASSERT_TRUE(store.add_member(thread, late, zoe, at(20), hook).has_value());
  say(adam, "with-late");
  ASSERT_TRUE(store.remove_member(thread, late, zoe, at(21), hook).has_value());
  say(zoe, "gap");
  ASSERT_TRUE(store.add_member(thread, late, adam, at(22), hook).has_value());
  say(late, "back");

  std::map<UserId, std::vector<EventId>> live;
  const auto calls = log.calls();
  const auto recipients = log.recipients();
  std::size_t index = 0;
  for (const auto& call : calls) {
    for (EventId id : call) {
      for (UserId user : recipients[index]) {
        live[user].push_back(id);
      }
      ++index;
    }
  }
  for (UserId user : {zoe, adam, late}) {
    auto replayed = store.read_user_events(user, EventId(), 100);
    ASSERT_TRUE(replayed.has_value());
    std::vector<EventId> ids;
    for (const Event& event : *replayed) {
      ids.push_back(event.id);
    }
    EXPECT_EQ(ids, live[user]) << "user " << user.value();
  }
  // The late member's stream: added, the message while in, removed, added, their own.
  auto stream = store.read_user_events(late, EventId(), 100);
  std::vector<std::string> seen;
  for (const Event& event : *stream) {
    seen.push_back(event.kind == EventKind::kMessage
                       ? event.client_token
                       : std::to_string(static_cast<int>(event.kind)));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"4", "with-late", "5", "4", "back"}));
  // Resuming inside the gap starts at the re-addition.
  auto resumed = store.read_user_events(late, (*stream)[2].id, 100);
  ASSERT_EQ(resumed->size(), 2u);
  EXPECT_EQ(resumed->front().id, (*stream)[3].id);
}

TYPED_TEST(StoreContractTest, ReadThreadMessagesPagesBackwards) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const ThreadId thread = this->make_thread(zoe, {});
  for (int i = 1; i <= 5; ++i) {
    this->send_ok(thread, zoe, std::to_string(i));
  }
  auto newest = store.read_thread_messages(thread, 0, 2);
  ASSERT_TRUE(newest.has_value());
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].seq, 5);
  EXPECT_EQ((*newest)[1].seq, 4);
  auto older = store.read_thread_messages(thread, 4, 2);
  ASSERT_EQ(older->size(), 2u);
  EXPECT_EQ((*older)[0].seq, 3);
  EXPECT_EQ((*older)[1].seq, 2);
  auto oldest = store.read_thread_messages(thread, 2, 10);
  ASSERT_EQ(oldest->size(), 1u);
  EXPECT_EQ((*oldest)[0].seq, 1);
  EXPECT_TRUE(store.read_thread_messages(thread, 1, 10)->empty());
}

TYPED_TEST(StoreContractTest, RecordDeliveredSkipsOwnUnknownAndRepeatedMessages) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const UserId outsider = this->make_user("outsider");
  const ThreadId thread = this->make_thread(zoe, {adam});
  const EventId from_zoe = this->send_ok(thread, zoe, "1");
  const EventId from_adam = this->send_ok(thread, adam, "2");
  HookLog log;

  const std::vector<EventId> ids = {from_zoe, from_adam, EventId(99999), from_zoe};
  auto delivered = store.record_delivered(adam, ids, at(40), log.hook());
  ASSERT_TRUE(delivered.has_value()) << delivered.error().to_string();
  ASSERT_EQ(delivered->size(), 1u);
  const Event& event = delivered->front();
  EXPECT_EQ(event.kind, EventKind::kDelivered);
  EXPECT_EQ(event.actor, adam);
  EXPECT_EQ(event.ref, from_zoe);
  EXPECT_EQ(event.ref_seq, 1);
  EXPECT_EQ(event.thread_id, thread);
  EXPECT_EQ(event.created_at, at(40));
  ASSERT_EQ(log.calls().size(), 1u);
  EXPECT_EQ(log.calls()[0], std::vector<EventId>{event.id});

  auto again = store.record_delivered(adam, ids, at(41), log.hook());
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(log.calls().size(), 1u);
  EXPECT_TRUE(store.record_delivered(outsider, ids, at(41), log.hook())->empty());

  auto receipts = store.list_receipts(from_zoe);
  ASSERT_EQ(receipts->size(), 1u);
  EXPECT_EQ(receipts->front().delivered_at, std::optional<Timestamp>(at(40)));
  EXPECT_FALSE(receipts->front().read_at.has_value());
}

TYPED_TEST(StoreContractTest, RecordReadClampsMovesForwardOnlyAndMarksRead) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const UserId outsider = this->make_user("outsider");
  const ThreadId thread = this->make_thread(zoe, {adam});
  const EventId first = this->send_ok(thread, zoe, "1");
  const EventId second = this->send_ok(thread, zoe, "2");
  const EventId own = this->send_ok(thread, adam, "3");
  ASSERT_TRUE(store.record_delivered(adam, std::vector<EventId>{first}, at(40), this->no_hook_)
                  .has_value());
  HookLog log;

  auto read = store.record_read(thread, adam, 2, at(50), log.hook());
  ASSERT_TRUE(read.has_value()) << read.error().to_string();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->kind, EventKind::kRead);
  EXPECT_EQ((*read)->ref_seq, 2);
  EXPECT_EQ((*read)->actor, adam);
  EXPECT_EQ(log.calls().size(), 1u);

  auto first_receipts = store.list_receipts(first);
  ASSERT_EQ(first_receipts->size(), 1u);
  EXPECT_EQ(first_receipts->front().delivered_at, std::optional<Timestamp>(at(40)));
  EXPECT_EQ(first_receipts->front().read_at, std::optional<Timestamp>(at(50)));
  auto second_receipts = store.list_receipts(second);
  EXPECT_EQ(second_receipts->front().delivered_at, std::optional<Timestamp>(at(50)));
  EXPECT_EQ(second_receipts->front().read_at, std::optional<Timestamp>(at(50)));

  auto backwards = store.record_read(thread, adam, 1, at(51), log.hook());
  ASSERT_TRUE(backwards.has_value());
  EXPECT_FALSE(backwards->has_value());
  EXPECT_EQ(log.calls().size(), 1u);

  auto clamped = store.record_read(thread, adam, 100, at(52), log.hook());
  ASSERT_TRUE(clamped.has_value() && clamped->has_value());
  EXPECT_EQ((*clamped)->ref_seq, 3);
  EXPECT_FALSE(store.record_read(thread, adam, 100, at(53), log.hook())->has_value());
  // Adam's own message gets no receipt row for Adam.
  auto own_receipts = store.list_receipts(own);
  ASSERT_EQ(own_receipts->size(), 1u);
  EXPECT_EQ(own_receipts->front().user_id, zoe);
  EXPECT_FALSE(own_receipts->front().read_at.has_value());

  EXPECT_EQ(store.record_read(thread, outsider, 1, at(54), log.hook()).error().code(),
            Code::kNotFound);
  auto members = store.list_members(thread);
  for (const Member& member : *members) {
    EXPECT_EQ(member.read_seq, member.user_id == adam ? 3 : 0);
  }
}

// The receipts of a history page: each member's read position, and the sender's
// messages in the seq range that a current member received but has not read.
TYPED_TEST(StoreContractTest, HistoryReceiptsGiveReadPositionsAndDeliveredUnread) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const UserId bea = this->make_user("bea");
  const UserId cal = this->make_user("cal");
  const ThreadId thread = this->make_thread(zoe, {adam, bea, cal});
  const EventId first = this->send_ok(thread, zoe, "1");
  const EventId second = this->send_ok(thread, zoe, "2");
  const EventId from_adam = this->send_ok(thread, adam, "3");
  const EventId fourth = this->send_ok(thread, zoe, "4");
  const std::vector<EventId> all = {first, second, from_adam, fourth};
  ASSERT_TRUE(store.record_delivered(adam, all, at(40), this->no_hook_).has_value());
  ASSERT_TRUE(store.record_delivered(bea, std::vector<EventId>{second}, at(41), this->no_hook_)
                  .has_value());
  ASSERT_TRUE(store.record_delivered(cal, all, at(42), this->no_hook_).has_value());
  ASSERT_TRUE(store.record_read(thread, adam, 2, at(50), this->no_hook_).has_value());
  // Cal leaves: what they received is no longer listed.
  ASSERT_TRUE(store.remove_member(thread, cal, cal, at(60), this->no_hook_).has_value());

  auto receipts = store.read_history_receipts(thread, zoe, 1, 4);
  ASSERT_TRUE(receipts.has_value()) << receipts.error().to_string();
  std::vector<std::pair<UserId, std::int64_t>> read;
  for (const ReadPosition& position : receipts->read) {
    read.emplace_back(position.user_id, position.read_seq);
  }
  std::vector<std::pair<UserId, std::int64_t>> expected_read = {{zoe, 0}, {adam, 2}, {bea, 0}};
  std::ranges::sort(expected_read);
  EXPECT_EQ(read, expected_read);

  // Adam read 1 and 2 (not listed) and received 4; Bea received 2. Adam's own message 3
  // is not Zoe's, so its receipts are not asked for.
  std::vector<std::tuple<EventId, UserId, std::optional<Timestamp>>> delivered;
  for (const Receipt& receipt : receipts->delivered_unread) {
    EXPECT_FALSE(receipt.read_at.has_value());
    delivered.emplace_back(receipt.message_id, receipt.user_id, receipt.delivered_at);
  }
  const std::vector<std::tuple<EventId, UserId, std::optional<Timestamp>>> expected = {
      {second, bea, at(41)}, {fourth, adam, at(40)}};
  EXPECT_EQ(delivered, expected);

  // The seq range bounds the messages asked for.
  auto older = store.read_history_receipts(thread, zoe, 1, 3);
  ASSERT_TRUE(older.has_value());
  ASSERT_EQ(older->delivered_unread.size(), 1u);
  EXPECT_EQ(older->delivered_unread.front().message_id, second);
  EXPECT_TRUE(store.read_history_receipts(thread, zoe, 1, 0)->delivered_unread.empty());

  auto unknown = store.read_history_receipts(ThreadId(99999), zoe, 1, 4);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_TRUE(unknown->read.empty());
  EXPECT_TRUE(unknown->delivered_unread.empty());
}

TYPED_TEST(StoreContractTest, ListReceiptsHasOneRowPerCurrentMemberButTheSender) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const UserId bea = this->make_user("bea");
  const ThreadId thread = this->make_thread(zoe, {bea, adam});
  const EventId message = this->send_ok(thread, zoe, "1");
  ASSERT_TRUE(store.record_delivered(bea, std::vector<EventId>{message}, at(40), this->no_hook_)
                  .has_value());
  auto receipts = store.list_receipts(message);
  ASSERT_TRUE(receipts.has_value());
  ASSERT_EQ(receipts->size(), 2u);
  const UserId low = std::min(adam, bea);
  const UserId high = std::max(adam, bea);
  EXPECT_EQ((*receipts)[0].user_id, low);
  EXPECT_EQ((*receipts)[1].user_id, high);
  for (const Receipt& receipt : *receipts) {
    EXPECT_EQ(receipt.message_id, message);
    EXPECT_EQ(receipt.delivered_at.has_value(), receipt.user_id == bea);
    EXPECT_FALSE(receipt.read_at.has_value());
  }
  EXPECT_EQ(store.list_receipts(EventId(99999)).error().code(), Code::kNotFound);
}

TYPED_TEST(StoreContractTest, ListThreadsForUserCountsUnreadAndOrdersByActivity) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const ThreadId quiet = this->make_thread(zoe, {adam});
  const ThreadId busy = this->make_thread(zoe, {adam});
  const ThreadId not_mine = this->make_thread(zoe, {});
  this->send_ok(busy, zoe, "1");
  this->send_ok(busy, zoe, "2", true);
  this->send_ok(busy, adam, "3");
  this->send_ok(not_mine, zoe, "4");

  auto threads = store.list_threads_for_user(adam);
  ASSERT_TRUE(threads.has_value()) << threads.error().to_string();
  ASSERT_EQ(threads->size(), 2u);
  const ThreadSummary& first = (*threads)[0];
  EXPECT_EQ(first.thread.id, busy);
  EXPECT_EQ(first.unread_count, 2);
  EXPECT_TRUE(first.has_unread_urgent);
  EXPECT_EQ(first.read_seq, 0);
  ASSERT_TRUE(first.last_message.has_value());
  EXPECT_EQ(first.last_message->seq, 3);
  EXPECT_EQ(first.members.size(), 2u);
  const ThreadSummary& second = (*threads)[1];
  EXPECT_EQ(second.thread.id, quiet);
  EXPECT_EQ(second.unread_count, 0);
  EXPECT_FALSE(second.last_message.has_value());

  ASSERT_TRUE(store.record_read(busy, adam, 1, at(60), this->no_hook_).has_value());
  this->send_ok(quiet, zoe, "5");
  threads = store.list_threads_for_user(adam);
  ASSERT_EQ(threads->size(), 2u);
  EXPECT_EQ((*threads)[0].thread.id, quiet);
  EXPECT_EQ((*threads)[0].unread_count, 1);
  EXPECT_EQ((*threads)[1].thread.id, busy);
  EXPECT_EQ((*threads)[1].read_seq, 1);
  EXPECT_EQ((*threads)[1].unread_count, 1);
  EXPECT_TRUE((*threads)[1].has_unread_urgent);
  EXPECT_TRUE(store.list_threads_for_user(UserId(999))->empty());
}

TYPED_TEST(StoreContractTest, StoresListsAndRewrapsDataKeys) {
  auto& store = *this->store_;
  auto other = store.create_org("County Clinic", at(1));
  ASSERT_TRUE(other.has_value());
  ASSERT_TRUE(store.put_data_key({other->id, 1, "wrapped-c1", at(1), false}).has_value());
  ASSERT_TRUE(store.put_data_key({this->org_, 2, "wrapped-a2", at(2), false}).has_value());
  ASSERT_TRUE(store.put_data_key({this->org_, 1, "wrapped-a1", at(1), false}).has_value());
  auto keys = store.list_data_keys();
  ASSERT_TRUE(keys.has_value());
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0].wrapped, "wrapped-a1");
  EXPECT_EQ((*keys)[1].key_id, 2u);
  EXPECT_EQ((*keys)[2].org_id, other->id);

  const std::vector<DataKeyRecord> rewrapped = {{this->org_, 1, "new-a1", at(1), false},
                                                {other->id, 1, "new-c1", at(1), false}};
  ASSERT_TRUE(store.rewrap_data_keys(rewrapped).has_value());
  keys = store.list_data_keys();
  EXPECT_EQ((*keys)[0].wrapped, "new-a1");
  EXPECT_EQ((*keys)[1].wrapped, "wrapped-a2");
  EXPECT_EQ((*keys)[2].wrapped, "new-c1");

  // One unknown key fails the whole rewrap: nothing changes.
  const std::vector<DataKeyRecord> partly_unknown = {{this->org_, 2, "newer-a2", at(2), false},
                                                     {this->org_, 9, "unknown", at(2), false}};
  EXPECT_FALSE(store.rewrap_data_keys(partly_unknown).has_value());
  EXPECT_EQ((*store.list_data_keys())[1].wrapped, "wrapped-a2");

  ASSERT_TRUE(store.put_data_key({this->org_, 2, "", at(2), true}).has_value());
  EXPECT_TRUE((*store.list_data_keys())[1].destroyed);
  EXPECT_TRUE((*store.list_data_keys())[1].wrapped.empty());
}

TYPED_TEST(StoreContractTest, AuditEntriesFormAHashChain) {
  auto& store = *this->store_;
  std::vector<AuditEntry> appended;
  for (int i = 0; i < 5; ++i) {
    auto entry = store.append_audit(draft("login." + std::to_string(i), this->org_));
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    appended.push_back(*entry);
  }
  EXPECT_EQ(appended[0].seq, 1);
  EXPECT_EQ(appended[0].prev_hash, std::string(32, '\0'));
  for (std::size_t i = 0; i < appended.size(); ++i) {
    EXPECT_EQ(appended[i].hash, testing::test_chain_hash(appended[i]));
    EXPECT_EQ(appended[i].hash.size(), 32u);
    if (i > 0) {
      EXPECT_EQ(appended[i].seq, appended[i - 1].seq + 1);
      EXPECT_EQ(appended[i].prev_hash, appended[i - 1].hash);
    }
  }
  auto page = store.read_audit(2, 2);
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, 3);
  EXPECT_EQ((*page)[0].hash, appended[2].hash);
  EXPECT_EQ((*page)[0].prev_hash, appended[1].hash);
  EXPECT_EQ((*page)[0].draft.action, "login.2");
  EXPECT_EQ((*page)[0].draft.at, at(1));
  EXPECT_EQ((*page)[1].seq, 4);
  EXPECT_TRUE(store.read_audit(5, 10)->empty());

  // Messages chain into the same log.
  const UserId zoe = this->make_user("zoe");
  this->send_ok(this->make_thread(zoe, {}), zoe, "1");
  auto all = store.read_audit(0, 100);
  ASSERT_EQ(all->size(), 6u);
  EXPECT_EQ((*all)[5].prev_hash, appended[4].hash);
  EXPECT_EQ((*all)[5].draft.action, "message.send");

  AuditCheckpoint checkpoint{4, appended[3].hash, std::string(32, 'k'), std::string(64, 's'),
                             at(9)};
  ASSERT_TRUE(store.put_audit_checkpoint(checkpoint).has_value());
  // The same head signed again later replaces it (an idle head's refresh); an older
  // signature of it is dropped.
  AuditCheckpoint later = checkpoint;
  later.signature = std::string(64, 't');
  later.at = at(10);
  ASSERT_TRUE(store.put_audit_checkpoint(later).has_value());
  ASSERT_TRUE(store.put_audit_checkpoint(checkpoint).has_value());
  // Another hash at the same seq is a fork, never stored.
  AuditCheckpoint forked = later;
  forked.hash = appended[2].hash;
  forked.at = at(11);
  EXPECT_EQ(store.put_audit_checkpoint(forked).error().code(), Code::kAlreadyExists);
  auto checkpoints = store.list_audit_checkpoints();
  ASSERT_EQ(checkpoints->size(), 1u);
  EXPECT_EQ(checkpoints->front().hash, appended[3].hash);
  EXPECT_EQ(checkpoints->front().signature, std::string(64, 't'));
  EXPECT_EQ(checkpoints->front().at, at(10));
}

TYPED_TEST(StoreContractTest, HooksNameTheMembersAtCommitAsRecipients) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const UserId bea = this->make_user("bea");
  const std::vector<UserId> zoe_adam = {std::min(zoe, adam), std::max(zoe, adam)};
  HookLog log;
  NewThread thread;
  thread.org_id = this->org_;
  thread.created_by = zoe;
  thread.created_at = at(3);
  thread.members = {adam};
  auto created = store.create_thread(thread, log.hook());
  ASSERT_TRUE(created.has_value());
  const ThreadId id = created->thread.id;
  // Creation and both member-added events go to the members after the write.
  ASSERT_EQ(log.recipients().size(), 3u);
  for (const auto& recipients : log.recipients()) {
    EXPECT_EQ(recipients, zoe_adam);
  }
  const CommitHook hook = log.hook();
  ASSERT_TRUE(this->send(id, zoe, "1", false, &hook).has_value());
  EXPECT_EQ(log.recipients().back(), zoe_adam);
  ASSERT_TRUE(store.add_member(id, bea, zoe, at(4), hook).has_value());
  EXPECT_EQ(log.recipients().back().size(), 3u);
  // The removed user still gets the removal, and nothing after it.
  ASSERT_TRUE(store.remove_member(id, bea, zoe, at(5), hook).has_value());
  auto removal = log.recipients().back();
  EXPECT_EQ(removal.size(), 3u);
  EXPECT_TRUE(std::find(removal.begin(), removal.end(), bea) != removal.end());
  EXPECT_TRUE(std::is_sorted(removal.begin(), removal.end()));
  ASSERT_TRUE(this->send(id, adam, "2", false, &hook).has_value());
  EXPECT_EQ(log.recipients().back(), zoe_adam);
  auto delivered =
      store.record_delivered(zoe, std::vector<EventId>{log.calls().back()[0]}, at(6), hook);
  ASSERT_TRUE(delivered.has_value());
  ASSERT_EQ(delivered->size(), 1u);
  EXPECT_EQ(log.recipients().back(), zoe_adam);
  auto read = store.record_read(id, zoe, 2, at(7), hook);
  ASSERT_TRUE(read.has_value() && read->has_value());
  EXPECT_EQ(log.recipients().back(), zoe_adam);
}

TYPED_TEST(StoreContractTest, EverythingSurvivesCloseAndReopen) {
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const ThreadId thread = this->make_thread(zoe, {adam}, "direct:zoe:adam");
  const EventId message = this->send_ok(thread, zoe, "1");
  ASSERT_TRUE(this->store_->record_read(thread, adam, 1, at(70), this->no_hook_).has_value());
  ASSERT_TRUE(this->store_->put_data_key({this->org_, 1, "wrapped", at(1), false}).has_value());
  const std::string instance = this->store_->instance_id();
  EXPECT_EQ(instance.size(), 32u);
  const EventId last = *this->store_->last_event_id();
  const auto audit_before = *this->store_->read_audit(0, 100);

  this->reopen();
  auto& store = *this->store_;
  EXPECT_EQ(store.instance_id(), instance);
  EXPECT_EQ(store.find_user_by_name(this->org_, "zoe")->id, zoe);
  EXPECT_EQ(store.find_thread(thread)->last_seq, 1);
  EXPECT_EQ(store.find_event(message)->client_token, "1");
  EXPECT_EQ(*store.last_event_id(), last);
  EXPECT_EQ(store.list_receipts(message)->front().read_at, std::optional<Timestamp>(at(70)));
  EXPECT_EQ(store.list_data_keys()->size(), 1u);
  EXPECT_EQ(store.read_audit(0, 100)->size(), audit_before.size());

  // Sequences, idempotency, uniqueness keys and the audit chain continue.
  auto duplicate = this->send(thread, zoe, "1");
  ASSERT_TRUE(duplicate.has_value());
  EXPECT_TRUE(duplicate->duplicate);
  auto next = this->send(thread, zoe, "2");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->event.seq, 2);
  EXPECT_GT(next->event.id, last);
  NewThread same_key;
  same_key.org_id = this->org_;
  same_key.unique_key = "direct:zoe:adam";
  same_key.created_by = zoe;
  EXPECT_FALSE(store.create_thread(same_key, this->no_hook_)->created);
  auto entry = store.append_audit(draft("after.reopen", this->org_));
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->seq, audit_before.back().seq + 2);
  auto audit_after = *store.read_audit(0, 100);
  EXPECT_EQ(audit_after[audit_before.size()].prev_hash, audit_before.back().hash);
}

}  // namespace
}  // namespace wl
