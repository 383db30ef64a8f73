// The ThreadStore contract (src/ports/thread_store.hpp): threads, members, and the
// events and stream periods their changes open.

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class ThreadStoreContract : public StoreFixture<Factory> {};

TYPED_TEST_SUITE(ThreadStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(ThreadStoreContract, AnEmptyDirectThreadReachesItsOtherMemberWithTheFirstMessage) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const StreamPosition start = *store.stream_head();  // After the users' own events.
  NewThread direct;
  direct.org_id = this->org_;
  direct.kind = ThreadKind::kDirect;
  direct.unique_key = "direct:zoe:adam";
  direct.created_by = zoe;
  direct.created_at = at(3);
  direct.members = {adam};
  const ThreadId thread =
      commit_one<ThreadCreated>(store, CreateThread{direct}, this->no_hook_)->thread.id;
  // A member, but not yet in adam's stream or list.
  EXPECT_TRUE(store.is_member(thread, adam).value_or(false));
  EXPECT_EQ(store.list_members(thread)->size(), 2u);
  EXPECT_TRUE(store.list_threads_for_user(adam)->empty());
  EXPECT_TRUE(store.read_user_events(adam, start, 100)->empty());
  ASSERT_EQ(store.list_threads_for_user(zoe)->size(), 1u);

  HookLog log;
  const auto sent = this->send(thread, zoe, "first", false, nullptr);
  ASSERT_TRUE(sent.has_value()) << sent.error().to_string();
  const auto adam_events = store.read_user_events(adam, start, 100);
  ASSERT_EQ(adam_events->size(), 2u);
  EXPECT_EQ((*adam_events)[0].kind, EventKind::kMemberAdded);
  EXPECT_EQ((*adam_events)[0].subject, adam);
  EXPECT_EQ((*adam_events)[0].actor, zoe);
  EXPECT_EQ((*adam_events)[1].id, sent->event.id);
  EXPECT_EQ(store.list_threads_for_user(adam)->size(), 1u);
  // Both streams hold the addition; the second message adds nobody.
  EXPECT_EQ(store.read_user_events(zoe, start, 100)->size(), 4u);
  const CommitHook hook = log.hook();
  const auto second = this->send(thread, zoe, "second", false, &hook);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(log.calls().size(), 1u);
  EXPECT_EQ(log.calls()[0], (std::vector<EventId>{second->event.id}));
  EXPECT_EQ(log.recipients(), (std::vector<std::vector<UserId>>{{zoe, adam}}));
}

TYPED_TEST(ThreadStoreContract, OpeningAnExistingDirectThreadBringsItIntoTheCallersStream) {
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
  const ThreadId thread =
      commit_one<ThreadCreated>(store, CreateThread{direct}, this->no_hook_)->thread.id;
  direct.created_by = adam;
  direct.members = {zoe};
  HookLog log;
  const auto opened = commit_one<ThreadCreated>(store, CreateThread{direct}, log.hook());
  ASSERT_TRUE(opened.has_value());
  EXPECT_FALSE(opened->created);
  EXPECT_EQ(opened->thread.id, thread);
  ASSERT_EQ(opened->events.size(), 1u);
  EXPECT_EQ(opened->events[0].kind, EventKind::kMemberAdded);
  EXPECT_EQ(opened->events[0].subject, adam);
  EXPECT_EQ(log.recipients(), (std::vector<std::vector<UserId>>{{zoe, adam}}));
  EXPECT_EQ(store.list_threads_for_user(adam)->size(), 1u);
  // Opening it again changes nothing.
  EXPECT_TRUE(commit_one<ThreadCreated>(store, CreateThread{direct}, log.hook())->events.empty());
}

TYPED_TEST(ThreadStoreContract, ReuseSameMembersReturnsTheThreadWithExactlyThoseMembers) {
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
  const auto first = commit_one<ThreadCreated>(store, CreateThread{group}, this->no_hook_);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->created);
  group.created_by = eve;
  group.members = {zoe, adam};
  const auto again = commit_one<ThreadCreated>(store, CreateThread{group}, this->no_hook_);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->thread.id, first->thread.id);
  EXPECT_TRUE(again->events.empty());
  group.members = {zoe};
  EXPECT_TRUE(commit_one<ThreadCreated>(store, CreateThread{group}, this->no_hook_)->created);
  ASSERT_TRUE(
      commit_one<Event>(store, RemoveMember{first->thread.id, adam, zoe, at(4)}, this->no_hook_));
  group.members = {zoe, adam};
  EXPECT_TRUE(commit_one<ThreadCreated>(store, CreateThread{group}, this->no_hook_)->created);
}

TYPED_TEST(ThreadStoreContract, RenameThreadReplacesTheTitleAndAppendsAnEvent) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const StreamPosition start = *store.stream_head();  // After the users' own events.
  const ThreadId thread = this->make_thread(zoe, {adam});
  HookLog log;
  const std::string title("\x01new-title\x00\xfe", 13);
  const auto renamed =
      commit_one<Event>(store, RenameThread{thread, std::string(title), adam, at(5)}, log.hook());
  ASSERT_TRUE(renamed.has_value()) << renamed.error().to_string();
  EXPECT_EQ(renamed->kind, EventKind::kThreadRenamed);
  EXPECT_EQ(renamed->actor, adam);
  EXPECT_EQ(store.find_thread(thread)->title_sealed, title);
  EXPECT_EQ(store.find_event(renamed->id)->body_sealed, title);
  EXPECT_EQ(log.recipients(), (std::vector<std::vector<UserId>>{{zoe, adam}}));
  EXPECT_EQ(store.read_user_events(adam, start, 100)->back().id, renamed->id);
  EXPECT_EQ(commit_one<Event>(store, RenameThread{ThreadId(9999), std::string(title), adam, at(5)},
                              log.hook())
                .error()
                .code(),
            Code::kNotFound);
}

TYPED_TEST(ThreadStoreContract, CreateThreadWithUniqueKeyReturnsTheExistingThread) {
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
  auto first = commit_one<ThreadCreated>(store, CreateThread{thread}, log.hook());
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
  auto second = commit_one<ThreadCreated>(store, CreateThread{thread}, log.hook());
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
  EXPECT_EQ(commit_one<ThreadCreated>(store, CreateThread{orphan}, log.hook()).error().code(),
            Code::kNotFound);

  thread.unique_key = "";
  auto group_one = commit_one<ThreadCreated>(store, CreateThread{thread}, this->no_hook_);
  auto group_two = commit_one<ThreadCreated>(store, CreateThread{thread}, this->no_hook_);
  ASSERT_TRUE(group_one.has_value() && group_two.has_value());
  EXPECT_NE(group_one->thread.id, group_two->thread.id);
}

TYPED_TEST(ThreadStoreContract, AddsAndRemovesMembers) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const UserId bea = this->make_user("bea");
  const ThreadId thread = this->make_thread(zoe, {adam});
  HookLog log;

  auto added = commit_one<Event>(store, AddMember{thread, bea, zoe, at(20)}, log.hook());
  ASSERT_TRUE(added.has_value()) << added.error().to_string();
  EXPECT_EQ(added->kind, EventKind::kMemberAdded);
  EXPECT_EQ(added->subject, bea);
  EXPECT_EQ(added->actor, zoe);
  EXPECT_EQ(added->thread_id, thread);
  EXPECT_EQ(
      commit_one<Event>(store, AddMember{thread, bea, zoe, at(21)}, log.hook()).error().code(),
      Code::kAlreadyExists);
  EXPECT_EQ(commit_one<Event>(store, AddMember{ThreadId(999), bea, zoe, at(21)}, log.hook())
                .error()
                .code(),
            Code::kNotFound);

  auto members = store.list_members(thread);
  ASSERT_TRUE(members.has_value());
  ASSERT_EQ(members->size(), 3u);
  EXPECT_TRUE(
      std::is_sorted(members->begin(), members->end(),
                     [](const Member& a, const Member& b) { return a.user_id < b.user_id; }));
  EXPECT_TRUE(*store.is_member(thread, bea));

  auto removed = commit_one<Event>(store, RemoveMember{thread, bea, bea, at(22)}, log.hook());
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->kind, EventKind::kMemberRemoved);
  EXPECT_GT(removed->id, added->id);
  EXPECT_FALSE(*store.is_member(thread, bea));
  EXPECT_EQ(
      commit_one<Event>(store, RemoveMember{thread, bea, bea, at(23)}, log.hook()).error().code(),
      Code::kNotFound);
  EXPECT_EQ(store.list_members(ThreadId(999)).error().code(), Code::kNotFound);
  ASSERT_EQ(log.calls().size(), 2u);
  EXPECT_EQ(log.calls()[0], std::vector<EventId>{added->id});
  EXPECT_EQ(log.calls()[1], std::vector<EventId>{removed->id});
}

TYPED_TEST(ThreadStoreContract, ListThreadsForUserCountsUnreadAndOrdersByActivity) {
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

  ASSERT_TRUE(
      commit_one<std::optional<Event>>(store, RecordRead{busy, adam, 1, at(60)}, this->no_hook_)
          .has_value());
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

TYPED_TEST(ThreadStoreContract, HooksNameTheMembersAtCommitAsRecipients) {
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
  auto created = commit_one<ThreadCreated>(store, CreateThread{thread}, log.hook());
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
  ASSERT_TRUE(commit_one<Event>(store, AddMember{id, bea, zoe, at(4)}, hook).has_value());
  EXPECT_EQ(log.recipients().back().size(), 3u);
  // The removed user still gets the removal, and nothing after it.
  ASSERT_TRUE(commit_one<Event>(store, RemoveMember{id, bea, zoe, at(5)}, hook).has_value());
  auto removal = log.recipients().back();
  EXPECT_EQ(removal.size(), 3u);
  EXPECT_TRUE(std::find(removal.begin(), removal.end(), bea) != removal.end());
  EXPECT_TRUE(std::is_sorted(removal.begin(), removal.end()));
  ASSERT_TRUE(this->send(id, adam, "2", false, &hook).has_value());
  EXPECT_EQ(log.recipients().back(), zoe_adam);
  auto delivered =
      record_delivered(store, zoe, std::vector<EventId>{log.calls().back()[0]}, at(6), hook);
  ASSERT_TRUE(delivered.has_value());
  ASSERT_EQ(delivered->size(), 1u);
  EXPECT_EQ(log.recipients().back(), zoe_adam);
  auto read = commit_one<std::optional<Event>>(store, RecordRead{id, zoe, 2, at(7)}, hook);
  ASSERT_TRUE(read.has_value() && read->has_value());
  EXPECT_EQ(log.recipients().back(), zoe_adam);
}

}  // namespace
}  // namespace wl::testing
