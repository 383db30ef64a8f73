// The Committer contract (src/ports/write_batch.hpp): a batch's mutations and audit
// entries are written together or not at all, in one commit, and audit completions
// see the results.

#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class WriteBatchContract : public StoreFixture<Factory> {
 protected:
  std::int64_t audit_count() {
    auto entries = this->store_->read_audit(0, 100'000);
    EXPECT_TRUE(entries.has_value());
    return entries ? static_cast<std::int64_t>(entries->size()) : -1;
  }
};

TYPED_TEST_SUITE(WriteBatchContract, StoreFactories, FactoryNames);

TYPED_TEST(WriteBatchContract, CommitsEveryMutationAndItsAuditOnce) {
  auto& store = *this->store_;
  const UserId adam = this->make_user("adam");
  const UserId zoe = this->make_user("zoe");
  const NewThread thread = this->new_group(adam, {adam, zoe});

  WriteBatch batch;
  const std::size_t created = batch.add(CreateThread{thread});
  const std::size_t upserted = batch.add(this->new_patient("mrn-1"));
  batch.audit(draft("thread.create", this->org_),
              [created](AuditDraft& entry, const std::vector<MutationResult>& results) {
                entry.target =
                    "thread:" +
                    std::to_string(std::get<ThreadCreated>(results.at(created)).thread.id.value());
                return true;
              });
  batch.audit(draft("patient.upsert", this->org_));
  HookLog log;
  auto committed = commit_and_wait(store, std::move(batch), log.hook());
  ASSERT_TRUE(committed.has_value()) << committed.error().to_string();

  const ThreadCreated& made = committed->template result<ThreadCreated>(created);
  EXPECT_TRUE(made.created);
  EXPECT_TRUE(store.find_thread(made.thread.id).has_value());
  EXPECT_TRUE(
      store.find_patient(committed->template result<PatientWritten>(upserted).patient).has_value());
  // Both entries, in order, after the mutations' results were known.
  ASSERT_EQ(committed->audited.size(), 2u);
  EXPECT_EQ(committed->audited[0].draft.target, "thread:" + std::to_string(made.thread.id.value()));
  EXPECT_EQ(committed->audited[1].draft.action, "patient.upsert");
  EXPECT_EQ(committed->audited[1].seq, committed->audited[0].seq + 1);
  auto stored = store.read_audit(committed->audited[0].seq - 1, 10);
  ASSERT_TRUE(stored.has_value());
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].hash, committed->audited[0].hash);
  // One hook call for the batch, with the thread's events.
  ASSERT_EQ(log.calls().size(), 1u);
  EXPECT_EQ(log.calls()[0].size(), made.events.size());
}

TYPED_TEST(WriteBatchContract, LaterMutationsSeeTheEarlierOnesOfTheirBatch) {
  WriteBatch batch;
  batch.add(this->new_patient("mrn-2"));
  // Decided as if nobody held mrn-2: the first mutation of the batch took it.
  batch.add(this->new_patient("mrn-2", "sealed-name-changed"));
  auto committed = commit_and_wait(*this->store_, std::move(batch));
  ASSERT_FALSE(committed.has_value());
  EXPECT_EQ(committed.error().code(), Code::kAborted);
  EXPECT_TRUE(this->store_->list_patients(this->org_)->empty());
}

TYPED_TEST(WriteBatchContract, ACompletionThatDeclinesWritesNoEntry) {
  const UserId adam = this->make_user("adam");
  const ThreadId thread = this->make_thread(adam, {adam});
  const std::int64_t before = this->audit_count();
  WriteBatch batch;
  // Nothing to read: the position does not move and the completion declines.
  const std::size_t read = batch.add(RecordRead{thread, adam, 5, at(4)});
  batch.audit(draft("thread.mark_read", this->org_),
              [read](AuditDraft&, const std::vector<MutationResult>& results) {
                return std::get<std::optional<Event>>(results.at(read)).has_value();
              });
  auto committed = commit_and_wait(*this->store_, std::move(batch));
  ASSERT_TRUE(committed.has_value()) << committed.error().to_string();
  EXPECT_FALSE(committed->template result<std::optional<Event>>(read).has_value());
  EXPECT_TRUE(committed->audited.empty());
  EXPECT_EQ(this->audit_count(), before);
}

TYPED_TEST(WriteBatchContract, AnEmptyBatchSucceedsAndWritesNothing) {
  const std::int64_t before = this->audit_count();
  auto committed = commit_and_wait(*this->store_, WriteBatch{});
  ASSERT_TRUE(committed.has_value()) << committed.error().to_string();
  EXPECT_TRUE(committed->results.empty());
  EXPECT_EQ(this->audit_count(), before);
}

// For each audited mutation (every identity, thread, message and patient write): in a
// batch with its audit entry and a mutation that then fails, neither it nor its entry
// is written, no event is published, and the error is the failing mutation's.
TYPED_TEST(WriteBatchContract, AFailingMutationTakesTheWholeBatchWithIt) {
  auto& store = *this->store_;
  const UserId adam = this->make_user("adam");
  const UserId zoe = this->make_user("zoe");
  const UserId cal = this->make_user("cal");
  const ThreadId thread = this->make_thread(adam, {adam, zoe});
  ASSERT_TRUE(this->send(thread, zoe, "token-1").has_value());
  const std::string title = store.find_thread(thread)->title_sealed;
  const NewThread another = this->new_group(cal, {cal, zoe});
  const std::string token(32, '\x05');
  const Device phone = open_device(store, zoe, "phone", at(5)).value();
  Session session;
  session.token_hash = token;
  session.user_id = zoe;
  session.created_at = at(5);
  session.last_used = at(5);
  session.expires_at = at(1000);
  ASSERT_TRUE(commit_one<Device>(store, OpenSession{session, "tablet"}).has_value());
  NewUser newcomer;
  newcomer.org_id = this->org_;
  newcomer.username = "newcomer";
  newcomer.display_name = "Newcomer";
  newcomer.created_at = at(6);
  Session another_session = session;
  another_session.token_hash = std::string(32, '\x06');
  const User before_zoe = store.find_user(zoe).value();
  const auto zoe_unchanged = [&] {
    const User now = store.find_user(zoe).value();
    EXPECT_EQ(now.password_hash, before_zoe.password_hash);
    EXPECT_EQ(now.pin_hash, before_zoe.pin_hash);
    EXPECT_EQ(now.failed_logins, before_zoe.failed_logins);
    EXPECT_EQ(now.disabled, before_zoe.disabled);
    EXPECT_EQ(now.is_operator, before_zoe.is_operator);
  };
  const auto session_unchanged = [&] {
    const Session now = store.find_session(token).value();
    EXPECT_FALSE(now.locked);
    EXPECT_FALSE(now.revoked);
    EXPECT_EQ(now.pin_failures, 0);
    EXPECT_EQ(now.last_used, at(5));
  };

  struct Case {
    std::string name;
    Mutation mutation;
    std::function<void()> unchanged;
  };
  const std::vector<Case> cases = {
      {"CreateThread", CreateThread{another},
       [&] { EXPECT_TRUE(store.list_threads_for_user(cal)->empty()); }},
      {"AddMember", AddMember{thread, cal, adam, at(6)},
       [&] { EXPECT_FALSE(*store.is_member(thread, cal)); }},
      {"RemoveMember", RemoveMember{thread, zoe, adam, at(6)},
       [&] { EXPECT_TRUE(*store.is_member(thread, zoe)); }},
      {"RenameThread", RenameThread{thread, "sealed-new-title", adam, at(6)},
       [&] { EXPECT_EQ(store.find_thread(thread)->title_sealed, title); }},
      {"RecordRead", RecordRead{thread, adam, 1, at(6)},
       [&] {
         const auto members = store.list_members(thread);
         ASSERT_TRUE(members.has_value());
         for (const Member& member : *members) {
           EXPECT_EQ(member.read_seq, 0) << member.user_id.value();
         }
       }},
      {"ChangePatient", this->new_patient("mrn-3"),
       [&] { EXPECT_TRUE(store.list_patients(this->org_)->empty()); }},
      {"CreateOrg", CreateOrg{"County Clinic", at(6)},
       [&] { EXPECT_EQ(store.list_orgs()->size(), 1u); }},
      {"SetOrgIdleLock", SetOrgIdleLock{this->org_, std::chrono::seconds(120), adam, at(6)},
       [&] { EXPECT_EQ(store.find_org(this->org_)->idle_lock, std::chrono::minutes(30)); }},
      {"CreateUser", CreateUser{newcomer, adam},
       [&] {
         EXPECT_EQ(store.find_user_by_name(this->org_, "newcomer").error().code(), Code::kNotFound);
       }},
      {"SetPasswordHash", SetPasswordHash{zoe, "$argon2id$other"}, zoe_unchanged},
      {"SetLoginFailures", SetLoginFailures{zoe, 7, at(100)}, zoe_unchanged},
      {"SetUserDisabled", SetUserDisabled{zoe, true, adam, at(6)}, zoe_unchanged},
      {"SetPinHash", SetPinHash{zoe, "$argon2id$pin"}, zoe_unchanged},
      {"SetUserOperator", SetUserOperator{zoe, true}, zoe_unchanged},
      {"OpenSession", OpenSession{another_session, "laptop"},
       [&] { EXPECT_EQ(store.list_devices(zoe)->size(), 2u); }},
      {"RevokeDevice", RevokeDevice{phone.id, at(6), adam},
       [&] { EXPECT_FALSE(store.find_device(phone.id)->revoked); }},
      {"TouchSession", TouchSession{token, at(9)}, session_unchanged},
      {"RevokeSession", RevokeSession{token}, session_unchanged},
      {"LockSession", LockSession{token}, session_unchanged},
      {"UnlockSession", UnlockSession{token, at(9)}, session_unchanged},
      {"SetSessionPinFailures", SetSessionPinFailures{token, 2}, session_unchanged},
  };
  for (const Case& one : cases) {
    SCOPED_TRACE(one.name);
    const std::int64_t before = this->audit_count();
    WriteBatch batch;
    batch.add(one.mutation);
    batch.audit(draft(one.name, this->org_));
    batch.add(AddMember{ThreadId(999'999), cal, adam, at(6)});
    HookLog log;
    auto committed = commit_and_wait(store, std::move(batch), log.hook());
    ASSERT_FALSE(committed.has_value());
    EXPECT_EQ(committed.error().code(), Code::kNotFound);
    one.unchanged();
    EXPECT_EQ(this->audit_count(), before);
    EXPECT_TRUE(log.calls().empty());
  }
}

TYPED_TEST(WriteBatchContract, ABatchThatMayWaitCommitsWithTheNextWrite) {
  auto& store = *this->store_;
  const std::uint64_t commits_before = store.stats().commits;
  WriteBatch waiting;
  waiting.add(this->new_patient("mrn-waiting"));
  waiting.audit(draft("patient.upsert", this->org_));
  // Far longer than the test: only the next write can commit it.
  waiting.may_wait(std::chrono::hours(1));
  std::promise<Result<BatchResult>> waited;
  store.commit(std::move(waiting), {},
               [&waited](Result<BatchResult> result) { waited.set_value(std::move(result)); });
  std::future<Result<BatchResult>> waited_result = waited.get_future();

  WriteBatch next;
  next.add(this->new_patient("mrn-next"));
  auto committed = commit_and_wait(store, std::move(next));
  ASSERT_TRUE(committed.has_value()) << committed.error().to_string();
  ASSERT_EQ(waited_result.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  auto first = waited_result.get();
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_EQ(first->audited.size(), 1u);
  EXPECT_EQ(store.stats().commits - commits_before, 1u);
  EXPECT_EQ(this->audit_count(), 1);
}

TYPED_TEST(WriteBatchContract, ABatchThatMayWaitCommitsAloneOnceItsBoundHasPassed) {
  auto& store = *this->store_;
  const std::uint64_t commits_before = store.stats().commits;
  WriteBatch waiting;
  waiting.add(this->new_patient("mrn-alone"));
  waiting.may_wait(std::chrono::milliseconds(5));
  auto committed = commit_and_wait(store, std::move(waiting));
  ASSERT_TRUE(committed.has_value()) << committed.error().to_string();
  EXPECT_EQ(store.stats().commits - commits_before, 1u);
}

}  // namespace
}  // namespace wl::testing
