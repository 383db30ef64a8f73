#pragma once

// What every contract file of the store ports shares (tests/contract/*_contract_test.cpp):
// the adapters they run against, a fresh store with one org per test, and helpers that
// make users, threads and messages. To add an adapter, write a factory like
// SqliteFactory or PostgresFactory (open() opens the same fresh database each time it is called,
// until the factory is destroyed) and add it to StoreFactories.

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

#include "contract/postgres_factory.hpp"
#include "contract/sqlite_factory.hpp"
#include "contract/test_chainer.hpp"
#include "ports/store.hpp"

namespace wl::testing {

inline Timestamp at(std::int64_t seconds) {
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

inline AuditDraft draft(std::string action, OrgId org = OrgId(1)) {
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

// A send as the messaging service writes it: the message, and its audit entry unless
// the client id was seen before, in one batch.
inline WriteBatch send_batch(NewMessage message, AuditDraft audit) {
  WriteBatch batch;
  batch.add(AppendMessage{std::move(message)});
  batch.audit(std::move(audit), [](AuditDraft&, const std::vector<MutationResult>& results) {
    return !std::get<MessageAppended>(results.front()).duplicate;
  });
  return batch;
}

inline Result<MessageAppended> append_message(Committer& store, NewMessage message,
                                              AuditDraft audit, CommitHook hook = {}) {
  auto committed =
      commit_and_wait(store, send_batch(std::move(message), std::move(audit)), std::move(hook));
  if (!committed) {
    return std::unexpected(committed.error());
  }
  return std::get<MessageAppended>(std::move(committed->results.front()));
}

inline Result<Org> create_org(Committer& store, std::string name, Timestamp at) {
  return commit_one<Org>(store, CreateOrg{std::move(name), at});
}

inline Result<User> create_user(Committer& store, NewUser user) {
  return commit_one<User>(store, CreateUser{std::move(user), UserId()});
}

// Opens a session of `user` on a new device named `name_sealed`, as a login does.
inline Result<Device> open_device(Committer& store, UserId user, std::string name_sealed,
                                  Timestamp at) {
  static std::atomic<int> opened{0};
  Session session;
  session.token_hash = "session-" + std::to_string(++opened);
  session.user_id = user;
  session.created_at = at;
  session.last_used = at;
  session.expires_at = at + std::chrono::hours(12);
  return commit_one<Device>(store, OpenSession{std::move(session), std::move(name_sealed)});
}

inline Result<std::vector<Event>> record_delivered(Committer& store, UserId recipient,
                                                   std::vector<EventId> messages, Timestamp at,
                                                   CommitHook hook = {}) {
  return commit_one<std::vector<Event>>(store, RecordDelivered{recipient, std::move(messages), at},
                                        std::move(hook));
}

template <typename Factory>
class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = factory_.open();
    ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
    store_ = std::move(*opened);
    auto org = create_org(*store_, "General Hospital", at(0));
    ASSERT_TRUE(org.has_value()) << org.error().to_string();
    org_ = org->id;
  }

  void reopen() {
    store_.reset();
    auto opened = factory_.open();
    ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
    store_ = std::move(*opened);
  }

  // A ChangePatient that creates a patient of the fixture's org holding identifier
  // `token` (the store sees only sealed values: these stand in for them).
  ChangePatient new_patient(const std::string& token, std::string name_sealed = "sealed-name") {
    ChangePatient change;
    change.org = org_;
    change.at = at(1);
    change.expect_identifiers.push_back({token, PatientId()});
    ChangePatient::PatientChange patient;
    patient.seal_record = "patient:" + token;
    patient.mrn_token = token;
    patient.mrn_sealed = "sealed-mrn-" + token;
    patient.name_sealed = std::move(name_sealed);
    change.patient = std::move(patient);
    change.identifiers.push_back(
        PatientIdentifier{token, PatientId(), "sealed-value-" + token, "", "sealed-type"});
    return change;
  }

  UserId make_user(const std::string& username, OrgId org = OrgId()) {
    NewUser user;
    user.org_id = org.is_set() ? org : org_;
    user.username = username;
    user.display_name = "Display " + username;
    user.title = "RN";
    user.password_hash = "$argon2id$hash";
    user.created_at = at(2);
    auto created = create_user(*store_, user);
    EXPECT_TRUE(created.has_value()) << created.error().to_string();
    return created ? created->id : UserId();
  }

  // A group of the org, created by `creator`, not yet written.
  NewThread new_group(UserId creator, std::vector<UserId> members) {
    NewThread thread;
    thread.org_id = org_;
    thread.kind = ThreadKind::kGroup;
    thread.title_sealed = std::string("\x01sealed-title\x00\xff", 16);
    thread.created_by = creator;
    thread.created_at = at(3);
    thread.members = std::move(members);
    return thread;
  }

  ThreadId make_thread(UserId creator, std::vector<UserId> members, std::string key = "",
                       const CommitHook* hook = nullptr) {
    NewThread thread = new_group(creator, std::move(members));
    thread.unique_key = std::move(key);
    auto created = commit_one<ThreadCreated>(*store_, CreateThread{thread},
                                             hook != nullptr ? *hook : no_hook_);
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
    return append_message(*store_, message, draft("message.send", org_),
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

using StoreFactories = ::testing::Types<testing::SqliteFactory, testing::PostgresFactory>;

class FactoryNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

}  // namespace wl::testing
