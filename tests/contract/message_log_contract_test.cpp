// The MessageLog contract (src/ports/message_log.hpp): appending messages, receipts,
// and every user's stream read from a cursor.

#include <algorithm>

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class MessageLogContract : public StoreFixture<Factory> {};

TYPED_TEST_SUITE(MessageLogContract, StoreFactories, FactoryNames);

TYPED_TEST(MessageLogContract, AMessageKeepsItsWrittenTime) {
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
  const auto sent =
      append_message(store, message, draft("message.send", this->org_), this->no_hook_);
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->event.written_at, at(7));
  EXPECT_EQ(store.find_event(sent->event.id)->written_at, at(7));
  EXPECT_EQ(store.read_thread_messages(thread, 0, 1)->front().written_at, at(7));
  EXPECT_EQ(store.find_event(this->send_ok(thread, zoe, "plain"))->written_at, std::nullopt);
}

TYPED_TEST(MessageLogContract, AMessageIsFoundByItsSendersClientToken) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const ThreadId thread = this->make_thread(zoe, {yan});
  const EventId sent = this->send_ok(thread, zoe, std::string("tok\x00en", 6));
  auto found = store.find_message_by_client_token(zoe, std::string("tok\x00en", 6));
  ASSERT_TRUE(found.has_value()) << found.error().to_string();
  EXPECT_EQ(found->id, sent);
  EXPECT_EQ(found->kind, EventKind::kMessage);
  // Another sender's token, or an unknown one, is not found.
  EXPECT_EQ(store.find_message_by_client_token(yan, std::string("tok\x00en", 6)).error().code(),
            Code::kNotFound);
  EXPECT_EQ(store.find_message_by_client_token(zoe, "other").error().code(), Code::kNotFound);
}

TYPED_TEST(MessageLogContract, AppendMessageNumbersEachThreadFromOne) {
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
  EXPECT_EQ(store.stream_head()->id, log.calls()[3][0]);
}

TYPED_TEST(MessageLogContract, DuplicateClientIdReturnsTheOriginalAndWritesNothing) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const ThreadId thread = this->make_thread(zoe, {});
  HookLog log;
  const CommitHook hook = log.hook();
  auto original = this->send(thread, zoe, "client-1", false, &hook);
  ASSERT_TRUE(original.has_value());
  const StreamPosition last_before = *store.stream_head();

  auto again = this->send(thread, zoe, "client-1", true, &hook);
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->event.id, original->event.id);
  EXPECT_EQ(again->event.seq, 1);
  EXPECT_FALSE(again->event.urgent);
  EXPECT_EQ(log.calls().size(), 1u);
  EXPECT_EQ(*store.stream_head(), last_before);
  EXPECT_EQ(store.read_thread_messages(thread, 0, 10)->size(), 1u);
  EXPECT_EQ(store.read_audit(0, 100)->size(), 1u);
  EXPECT_EQ(store.find_thread(thread)->last_seq, 1);

  // The same client id from another sender is another message.
  const UserId adam = this->make_user("adam");
  ASSERT_TRUE(
      commit_one<Event>(store, AddMember{thread, adam, zoe, at(5)}, this->no_hook_).has_value());
  auto other = this->send(thread, adam, "client-1");
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(other->duplicate);
  EXPECT_EQ(other->event.seq, 2);
}

TYPED_TEST(MessageLogContract, AppendToUnknownThreadIsNotFoundAndWritesNoAudit) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  auto sent = this->send(ThreadId(999), zoe, "x");
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code(), Code::kNotFound);
  EXPECT_TRUE(store.read_audit(0, 10)->empty());
}

TYPED_TEST(MessageLogContract, AppendByANonMemberIsRefusedAndWritesNothing) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const ThreadId thread = this->make_thread(zoe, {adam});
  ASSERT_TRUE(
      commit_one<Event>(store, RemoveMember{thread, adam, zoe, at(5)}, this->no_hook_).has_value());
  const OrgId other_org = create_org(store, "Other Hospital", at(1))->id;
  const UserId stranger = this->make_user("stranger", other_org);
  const StreamPosition last_before = *store.stream_head();
  auto sent = this->send(thread, adam, "late");
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code(), Code::kPermissionDenied);
  // Another org's user, naming their own org, is refused the same way.
  NewMessage message;
  message.org_id = other_org;
  message.thread_id = thread;
  message.sender = stranger;
  message.client_token = "x";
  message.body_sealed = "sealed";
  message.created_at = at(10);
  auto foreign = append_message(store, message, draft("message.send", other_org), this->no_hook_);
  ASSERT_FALSE(foreign.has_value());
  // Another org's thread is answered as a missing one.
  EXPECT_EQ(foreign.error().code(), Code::kNotFound);
  EXPECT_EQ(*store.stream_head(), last_before);
  EXPECT_TRUE(store.read_audit(0, 10)->empty());
  EXPECT_EQ(store.find_thread(thread)->last_seq, 0);
}

TYPED_TEST(MessageLogContract, ConcurrentAppendsGiveAGapFreeSequenceAndOrderedHooks) {
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

TYPED_TEST(MessageLogContract, AsyncWritesCompleteOnceAfterTheirHooks) {
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
    store.commit(
        send_batch(message, draft("message.send", this->org_)), hook,
        [&](Result<BatchResult> committed) {
          std::lock_guard lock(mutex);
          Result<MessageAppended> appended =
              committed ? Result<MessageAppended>(
                              std::get<MessageAppended>(std::move(committed->results.front())))
                        : std::unexpected(committed.error());
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

  WriteBatch receipts;
  receipts.add(RecordDelivered{yan, ids, at(20)});
  receipts.audit(draft("message.delivered", this->org_),
                 [&](AuditDraft&, const std::vector<MutationResult>& results) {
                   EXPECT_EQ(std::get<std::vector<Event>>(results.front()).size(), ids.size());
                   return true;
                 });
  store.commit(std::move(receipts), this->no_hook_, [&](Result<BatchResult> committed) {
    std::lock_guard lock(mutex);
    delivered.push_back(committed ? Result<std::vector<Event>>(std::get<std::vector<Event>>(
                                        std::move(committed->results.front())))
                                  : std::unexpected(committed.error()));
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

TYPED_TEST(MessageLogContract, ReadUserEventsReplaysTheUsersThreadsInPositionOrder) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const StreamPosition start = *store.stream_head();  // After the users' own events.
  const ThreadId shared = this->make_thread(zoe, {adam});
  const ThreadId private_thread = this->make_thread(zoe, {});
  this->send_ok(shared, zoe, "1");
  this->send_ok(private_thread, zoe, "2");
  this->send_ok(shared, adam, "3");

  auto all = store.read_user_events(adam, start, 100);
  ASSERT_TRUE(all.has_value());
  for (std::size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].thread_id, shared);
    if (i > 0) {
      EXPECT_LT((*all)[i - 1].position(), (*all)[i].position());
    }
  }
  // Created, two member-added events and two messages.
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].kind, EventKind::kThreadCreated);
  EXPECT_EQ((*all)[4].client_token, "3");

  auto page_one = store.read_user_events(adam, start, 2);
  ASSERT_EQ(page_one->size(), 2u);
  auto page_two = store.read_user_events(adam, page_one->back().position(), 2);
  ASSERT_EQ(page_two->size(), 2u);
  EXPECT_EQ(page_two->front().id, (*all)[2].id);
  auto tail = store.read_user_events(adam, (*all)[4].position(), 10);
  EXPECT_TRUE(tail->empty());

  EXPECT_EQ(store.read_user_events(zoe, start, 100)->size(), 5u + 3u);

  // After leaving, the removal is replayed but later events of the thread are not.
  auto removed = commit_one<Event>(store, RemoveMember{shared, adam, zoe, at(30)}, this->no_hook_);
  ASSERT_TRUE(removed.has_value());
  this->send_ok(shared, zoe, "4");
  auto after_leaving = store.read_user_events(adam, (*all)[4].position(), 10);
  ASSERT_EQ(after_leaving->size(), 1u);
  EXPECT_EQ(after_leaving->front().kind, EventKind::kMemberRemoved);
  EXPECT_EQ(after_leaving->front().subject, adam);
}

TYPED_TEST(MessageLogContract, ReplayedStreamsAreExactlyWhatWasDeliveredLive) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const UserId late = this->make_user("late");
  const StreamPosition start = *store.stream_head();  // After the users' own events.
  HookLog log;
  const CommitHook hook = log.hook();
  const ThreadId thread = this->make_thread(zoe, {adam}, "", &hook);
  auto say = [&](UserId sender, const std::string& client_token) {
    ASSERT_TRUE(this->send(thread, sender, client_token, false, &hook).has_value());
  };
  say(zoe, "before-late");
  ASSERT_TRUE(commit_one<Event>(store, AddMember{thread, late, zoe, at(20)}, hook).has_value());
  say(adam, "with-late");
  ASSERT_TRUE(commit_one<Event>(store, RemoveMember{thread, late, zoe, at(21)}, hook).has_value());
  say(zoe, "gap");
  ASSERT_TRUE(commit_one<Event>(store, AddMember{thread, late, adam, at(22)}, hook).has_value());
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
    auto replayed = store.read_user_events(user, start, 100);
    ASSERT_TRUE(replayed.has_value());
    std::vector<EventId> ids;
    for (const Event& event : *replayed) {
      ids.push_back(event.id);
    }
    EXPECT_EQ(ids, live[user]) << "user " << user.value();
  }
  // The late member's stream: added, the message while in, removed, added, their own.
  auto stream = store.read_user_events(late, start, 100);
  std::vector<std::string> seen;
  for (const Event& event : *stream) {
    seen.push_back(event.kind == EventKind::kMessage
                       ? event.client_token
                       : std::to_string(static_cast<int>(event.kind)));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"4", "with-late", "5", "4", "back"}));
  // Resuming inside the gap starts at the re-addition.
  auto resumed = store.read_user_events(late, (*stream)[2].position(), 100);
  ASSERT_EQ(resumed->size(), 2u);
  EXPECT_EQ(resumed->front().id, (*stream)[3].id);
}

TYPED_TEST(MessageLogContract, ReadThreadMessagesPagesBackwards) {
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

TYPED_TEST(MessageLogContract, RecordDeliveredSkipsOwnUnknownAndRepeatedMessages) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const UserId outsider = this->make_user("outsider");
  const ThreadId thread = this->make_thread(zoe, {adam});
  const EventId from_zoe = this->send_ok(thread, zoe, "1");
  const EventId from_adam = this->send_ok(thread, adam, "2");
  HookLog log;

  const std::vector<EventId> ids = {from_zoe, from_adam, EventId(99999), from_zoe};
  auto delivered = record_delivered(store, adam, ids, at(40), log.hook());
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

  auto again = record_delivered(store, adam, ids, at(41), log.hook());
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(log.calls().size(), 1u);
  EXPECT_TRUE(record_delivered(store, outsider, ids, at(41), log.hook())->empty());

  auto receipts = store.list_receipts(from_zoe);
  ASSERT_EQ(receipts->size(), 1u);
  EXPECT_EQ(receipts->front().delivered_at, std::optional<Timestamp>(at(40)));
  EXPECT_FALSE(receipts->front().read_at.has_value());
}

// In a group, a delivery goes to the message's sender and the recipient's own streams
// only, live and on replay: a message to N members makes O(N) delivery events, not
// O(N squared).
TYPED_TEST(MessageLogContract, ADeliveryReachesOnlyTheSenderAndTheRecipient) {
  auto& store = *this->store_;
  constexpr int kMembers = 50;
  const UserId zoe = this->make_user("zoe");
  std::vector<UserId> members;
  for (int i = 0; i < kMembers - 1; ++i) {
    members.push_back(this->make_user("member-" + std::to_string(i)));
  }
  const ThreadId thread = this->make_thread(zoe, members);
  const EventId message = this->send_ok(thread, zoe, "to-everyone");
  const StreamPosition before = *store.stream_head();
  HookLog log;
  for (const UserId member : members) {
    ASSERT_EQ(record_delivered(store, member, {message}, at(40), log.hook())->size(), 1u);
  }
  std::size_t told = 0;
  const auto recipients = log.recipients();
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    told += recipients[i].size();
    std::vector<UserId> expected = {zoe, members[i]};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(recipients[i], expected) << i;
  }
  EXPECT_EQ(told, 2u * (kMembers - 1));

  // Replay agrees: the sender has every delivery, a member only their own.
  const auto deliveries = [&](UserId user) {
    std::vector<UserId> by;
    const auto events = store.read_user_events(user, before, 10'000);
    EXPECT_TRUE(events.has_value());
    for (const Event& event : events.value_or(std::vector<Event>{})) {
      if (event.kind == EventKind::kDelivered) {
        by.push_back(event.actor);
      }
    }
    return by;
  };
  EXPECT_EQ(deliveries(zoe), members);
  EXPECT_EQ(deliveries(members[7]), std::vector<UserId>{members[7]});
}

TYPED_TEST(MessageLogContract, RecordReadClampsMovesForwardOnlyAndMarksRead) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const UserId outsider = this->make_user("outsider");
  const ThreadId thread = this->make_thread(zoe, {adam});
  const EventId first = this->send_ok(thread, zoe, "1");
  const EventId second = this->send_ok(thread, zoe, "2");
  const EventId own = this->send_ok(thread, adam, "3");
  ASSERT_TRUE(record_delivered(store, adam, std::vector<EventId>{first}, at(40), this->no_hook_)
                  .has_value());
  HookLog log;

  auto read =
      commit_one<std::optional<Event>>(store, RecordRead{thread, adam, 2, at(50)}, log.hook());
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

  auto backwards =
      commit_one<std::optional<Event>>(store, RecordRead{thread, adam, 1, at(51)}, log.hook());
  ASSERT_TRUE(backwards.has_value());
  EXPECT_FALSE(backwards->has_value());
  EXPECT_EQ(log.calls().size(), 1u);

  auto clamped =
      commit_one<std::optional<Event>>(store, RecordRead{thread, adam, 100, at(52)}, log.hook());
  ASSERT_TRUE(clamped.has_value() && clamped->has_value());
  EXPECT_EQ((*clamped)->ref_seq, 3);
  EXPECT_FALSE(
      commit_one<std::optional<Event>>(store, RecordRead{thread, adam, 100, at(53)}, log.hook())
          ->has_value());
  // Adam's own message gets no receipt row for Adam.
  auto own_receipts = store.list_receipts(own);
  ASSERT_EQ(own_receipts->size(), 1u);
  EXPECT_EQ(own_receipts->front().user_id, zoe);
  EXPECT_FALSE(own_receipts->front().read_at.has_value());

  EXPECT_EQ(
      commit_one<std::optional<Event>>(store, RecordRead{thread, outsider, 1, at(54)}, log.hook())
          .error()
          .code(),
      Code::kNotFound);
  auto members = store.list_members(thread);
  for (const Member& member : *members) {
    EXPECT_EQ(member.read_seq, member.user_id == adam ? 3 : 0);
  }
}

TYPED_TEST(MessageLogContract, HistoryReceiptsGiveReadPositionsAndDeliveredUnread) {
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
  ASSERT_TRUE(record_delivered(store, adam, all, at(40), this->no_hook_).has_value());
  ASSERT_TRUE(record_delivered(store, bea, std::vector<EventId>{second}, at(41), this->no_hook_)
                  .has_value());
  ASSERT_TRUE(record_delivered(store, cal, all, at(42), this->no_hook_).has_value());
  ASSERT_TRUE(
      commit_one<std::optional<Event>>(store, RecordRead{thread, adam, 2, at(50)}, this->no_hook_)
          .has_value());
  // Cal leaves: what they received is no longer listed.
  ASSERT_TRUE(
      commit_one<Event>(store, RemoveMember{thread, cal, cal, at(60)}, this->no_hook_).has_value());

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

TYPED_TEST(MessageLogContract, ListReceiptsHasOneRowPerCurrentMemberButTheSender) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const UserId bea = this->make_user("bea");
  const ThreadId thread = this->make_thread(zoe, {bea, adam});
  const EventId message = this->send_ok(thread, zoe, "1");
  ASSERT_TRUE(record_delivered(store, bea, std::vector<EventId>{message}, at(40), this->no_hook_)
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

// A user's stream after `after`, read a page of `page` events at a time, until it ends.
std::vector<Event> read_all(Store& store, UserId user, std::size_t page, StreamPosition after) {
  std::vector<Event> events;
  while (true) {
    auto read = store.read_user_events(user, after, page);
    EXPECT_TRUE(read.has_value()) << read.error().to_string();
    if (!read || read->empty()) {
      return events;
    }
    after = read->back().position();
    events.insert(events.end(), read->begin(), read->end());
  }
}

std::vector<EventKind> kinds_of(const std::vector<Event>& events) {
  std::vector<EventKind> kinds;
  for (const Event& event : events) {
    kinds.push_back(event.kind);
  }
  return kinds;
}

TYPED_TEST(MessageLogContract, AUserEventIsInThatUsersStreamOnlyInPositionOrder) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const StreamPosition start = *store.stream_head();  // After the users' own events.
  const ThreadId thread = this->make_thread(zoe, {adam});
  this->send_ok(thread, adam, "before");
  HookLog log;
  auto devices = commit_one<Event>(
      store, AppendScopedEvent{EventKind::kDevicesChanged, this->org_, zoe, zoe, zoe, at(20)},
      log.hook());
  ASSERT_TRUE(devices.has_value()) << devices.error().to_string();
  this->send_ok(thread, adam, "after");

  EXPECT_EQ(devices->scope, EventScope::kUser);
  EXPECT_EQ(devices->user_id, zoe);
  EXPECT_EQ(devices->subject, zoe);
  EXPECT_FALSE(devices->thread_id.is_set());
  EXPECT_EQ(log.recipients(), (std::vector<std::vector<UserId>>{{zoe}}));
  auto found = store.find_event(devices->id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->scope, EventScope::kUser);
  EXPECT_EQ(found->user_id, zoe);
  EXPECT_EQ(found->kind, EventKind::kDevicesChanged);
  EXPECT_EQ(found->created_at, at(20));

  // Between the two messages in zoe's stream, whatever the page size; not in adam's.
  const std::vector<EventKind> zoe_kinds = {EventKind::kThreadCreated,  EventKind::kMemberAdded,
                                            EventKind::kMemberAdded,    EventKind::kMessage,
                                            EventKind::kDevicesChanged, EventKind::kMessage};
  for (const std::size_t page : {std::size_t{1}, std::size_t{2}, std::size_t{100}}) {
    EXPECT_EQ(kinds_of(read_all(store, zoe, page, start)), zoe_kinds) << page;
  }
  const auto adam_events = read_all(store, adam, 100, start);
  EXPECT_EQ(adam_events.size(), zoe_kinds.size() - 1);
  for (const Event& event : adam_events) {
    EXPECT_EQ(event.scope, EventScope::kThread);
  }
}

TYPED_TEST(MessageLogContract, AnOrgEventIsInTheStreamOfEveryUserOfTheOrgOnly) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const OrgId other_org = create_org(store, "Other Hospital", at(1))->id;
  const UserId stranger = this->make_user("stranger", other_org);
  const StreamPosition start = *store.stream_head();  // After the users' own events.
  HookLog log;
  auto changed = commit_one<Event>(
      store, AppendScopedEvent{EventKind::kUserChanged, this->org_, UserId(), zoe, adam, at(20)},
      log.hook());
  ASSERT_TRUE(changed.has_value()) << changed.error().to_string();
  EXPECT_EQ(changed->scope, EventScope::kOrg);
  EXPECT_EQ(changed->org_id, this->org_);
  EXPECT_FALSE(changed->user_id.is_set());
  // An org event names no recipients: it is for every user of its org.
  EXPECT_EQ(log.recipients(), std::vector<std::vector<UserId>>(1));

  for (const UserId user : {zoe, adam}) {
    const auto events = read_all(store, user, 100, start);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events.front().id, changed->id);
    EXPECT_EQ(events.front().kind, EventKind::kUserChanged);
    EXPECT_EQ(events.front().subject, adam);
    EXPECT_EQ(events.front().actor, zoe);
  }
  EXPECT_TRUE(read_all(store, stranger, 100, start).empty());
}

TYPED_TEST(MessageLogContract, AScopedEventWithoutItsTargetIsRefusedAndWritesNothing) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const OrgId other_org = create_org(store, "Other Hospital", at(1))->id;
  const UserId stranger = this->make_user("stranger", other_org);
  const StreamPosition head = *store.stream_head();
  const auto refused = [&](AppendScopedEvent mutation) {
    auto appended = commit_one<Event>(store, mutation, this->no_hook_);
    EXPECT_FALSE(appended.has_value());
    return appended ? Code::kOk : appended.error().code();
  };
  EXPECT_EQ(refused({EventKind::kMessage, this->org_, zoe, zoe, zoe, at(2)}),
            Code::kInvalidArgument);
  EXPECT_EQ(refused({EventKind::kDevicesChanged, this->org_, UserId(), zoe, zoe, at(2)}),
            Code::kInvalidArgument);
  EXPECT_EQ(refused({EventKind::kDevicesChanged, this->org_, stranger, zoe, stranger, at(2)}),
            Code::kNotFound);
  EXPECT_EQ(refused({EventKind::kUserChanged, this->org_, UserId(), zoe, stranger, at(2)}),
            Code::kNotFound);
  EXPECT_EQ(*store.stream_head(), head);
  EXPECT_TRUE(read_all(store, zoe, 100, head).empty());
}

// Held messages (docs/routing.md, "Off duty: held messages").
NewMessage held_message(OrgId org, ThreadId thread, UserId sender, std::string token,
                        Timestamp created) {
  NewMessage message;
  message.org_id = org;
  message.thread_id = thread;
  message.sender = sender;
  message.client_token = std::move(token);
  message.client_id_sealed = "sealed id";
  message.body_sealed = "sealed body";
  message.urgent = true;
  message.created_at = created;
  message.written_at = created - std::chrono::seconds(30);
  return message;
}

TYPED_TEST(MessageLogContract, AHeldMessageIsStoredOutsideItsThreadUntilReleased) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const ThreadId thread = this->make_thread(zoe, {yan});
  HookLog log;
  const CommitHook hook = log.hook();
  const StreamPosition head = *store.stream_head();
  auto held = commit_one<MessageHeld>(
      store,
      HoldMessage{held_message(this->org_, thread, zoe, std::string("h\x00ld", 4), at(10)), yan,
                  at(100), std::chrono::minutes(5)},
      hook);
  ASSERT_TRUE(held.has_value()) << held.error().to_string();
  EXPECT_FALSE(held->duplicate);
  EXPECT_FALSE(held->sent);
  EXPECT_TRUE(held->held.id.is_set());
  EXPECT_EQ(*store.stream_head(), head) << "no event: nobody's stream has it";
  EXPECT_TRUE(store.read_thread_messages(thread, 0, 10)->empty());
  EXPECT_EQ(store.find_thread(thread)->last_seq, 0);

  auto found = store.find_held(held->held.id);
  ASSERT_TRUE(found.has_value()) << found.error().to_string();
  EXPECT_EQ(found->message.client_token, std::string("h\x00ld", 4));
  EXPECT_EQ(found->message.client_id_sealed, "sealed id");
  EXPECT_EQ(found->message.body_sealed, "sealed body");
  EXPECT_TRUE(found->message.urgent);
  EXPECT_EQ(found->message.created_at, at(10));
  EXPECT_EQ(found->message.written_at, at(10) - std::chrono::seconds(30));
  EXPECT_EQ(found->recipient, yan);
  EXPECT_EQ(found->held_at, at(10));
  EXPECT_EQ(found->until, at(100));
  EXPECT_EQ(found->remind_after, std::chrono::minutes(5));
  EXPECT_EQ(store.list_held_for(yan, std::nullopt, 10)->size(), 1u);
  EXPECT_TRUE(store.list_held_for(zoe, std::nullopt, 10)->empty());
  EXPECT_EQ(store.list_held_in(thread, zoe, 10)->size(), 1u);
  EXPECT_TRUE(store.list_held_in(thread, yan, 10)->empty());

  // The same token again: the held original, nothing written.
  auto again = commit_one<MessageHeld>(
      store,
      HoldMessage{held_message(this->org_, thread, zoe, std::string("h\x00ld", 4), at(20)), yan,
                  std::nullopt, std::nullopt},
      hook);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->held.id, held->held.id);
  EXPECT_EQ(again->held.held_at, at(10));
  EXPECT_EQ(store.list_held_for(yan, std::nullopt, 10)->size(), 1u);

  // Released: appended as a message and deleted, in one batch.
  WriteBatch release;
  NewMessage message = found->message;
  message.created_at = at(100);
  const std::size_t appended = release.add(AppendMessage{message});
  const std::size_t removed = release.add(DeleteHeld{found->id, UserId()});
  auto released = commit_and_wait(store, std::move(release), hook);
  ASSERT_TRUE(released.has_value()) << released.error().to_string();
  EXPECT_FALSE(released->template result<MessageAppended>(appended).duplicate);
  EXPECT_TRUE(released->template result<bool>(removed));
  EXPECT_EQ(store.read_thread_messages(thread, 0, 10)->size(), 1u);
  EXPECT_EQ(store.find_held(found->id).error().code(), Code::kNotFound);
  EXPECT_TRUE(store.list_held_for(yan, std::nullopt, 10)->empty());

  // Holding a token that is now a message gives the message.
  auto after = commit_one<MessageHeld>(
      store,
      HoldMessage{held_message(this->org_, thread, zoe, std::string("h\x00ld", 4), at(200)), yan,
                  std::nullopt, std::nullopt},
      hook);
  ASSERT_TRUE(after.has_value());
  ASSERT_TRUE(after->sent.has_value());
  EXPECT_EQ(after->sent->id, released->template result<MessageAppended>(appended).event.id);
  EXPECT_TRUE(store.list_held_for(yan, std::nullopt, 10)->empty());
}

TYPED_TEST(MessageLogContract, HoldingIsCheckedAsAppendingAndDeleteHeldChecksTheSender) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const UserId adam = this->make_user("adam");
  const ThreadId thread = this->make_thread(zoe, {yan});
  auto unknown = commit_one<MessageHeld>(
      store, HoldMessage{held_message(this->org_, ThreadId(999), zoe, "a", at(1)), yan, {}, {}},
      this->no_hook_);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code(), Code::kNotFound);
  auto stranger = commit_one<MessageHeld>(
      store, HoldMessage{held_message(this->org_, thread, adam, "b", at(1)), yan, {}, {}},
      this->no_hook_);
  ASSERT_FALSE(stranger.has_value());
  EXPECT_EQ(stranger.error().code(), Code::kPermissionDenied);
  const OrgId other_org = create_org(store, "Other Hospital", at(1))->id;
  const UserId foreign = this->make_user("foreign", other_org);
  auto foreign_recipient = commit_one<MessageHeld>(
      store, HoldMessage{held_message(this->org_, thread, zoe, "c", at(1)), foreign, {}, {}},
      this->no_hook_);
  ASSERT_FALSE(foreign_recipient.has_value());
  EXPECT_EQ(foreign_recipient.error().code(), Code::kNotFound);
  EXPECT_TRUE(store.list_held_in(thread, zoe, 10)->empty());

  // Oldest first, and limited.
  std::vector<HeldId> ids;
  for (const char* token : {"d", "e", "f"}) {
    ids.push_back(commit_one<MessageHeld>(
                      store,
                      HoldMessage{held_message(this->org_, thread, zoe, token, at(2)), yan, {}, {}},
                      this->no_hook_)
                      ->held.id);
  }
  const auto two = *store.list_held_for(yan, std::nullopt, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].id, ids[0]);
  EXPECT_EQ(two[1].id, ids[1]);
  EXPECT_EQ(store.list_held_in(thread, zoe, 10)->back().id, ids[2]);

  // Only its sender deletes one by name.
  EXPECT_FALSE(*commit_one<bool>(store, DeleteHeld{ids[0], yan}, this->no_hook_));
  EXPECT_TRUE(*commit_one<bool>(store, DeleteHeld{ids[0], zoe}, this->no_hook_));
  EXPECT_FALSE(*commit_one<bool>(store, DeleteHeld{ids[0], zoe}, this->no_hook_));
  EXPECT_EQ(store.list_held_for(yan, std::nullopt, 10)->size(), 2u);
}

TYPED_TEST(MessageLogContract, AHeldMessagesStateMovesOnlyFromTheStateNamedAndIsListedBy) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const UserId gatekeeper = this->make_user("gatekeeper");
  const ThreadId thread = this->make_thread(zoe, {yan});
  HoldMessage screened{held_message(this->org_, thread, zoe, "s", at(1)), yan, {}, {}};
  screened.state = HeldState::kScreening;
  const HeldId first = commit_one<MessageHeld>(store, screened, this->no_hook_)->held.id;
  const HeldId second =
      commit_one<MessageHeld>(
          store, HoldMessage{held_message(this->org_, thread, zoe, "o", at(2)), yan, {}, {}},
          this->no_hook_)
          ->held.id;
  EXPECT_EQ(store.find_held(first)->state, HeldState::kScreening);
  EXPECT_EQ(store.find_held(second)->state, HeldState::kOffDuty) << "the default";
  EXPECT_FALSE(store.find_held(first)->screened_by.is_set());
  const auto screening = *store.list_held_for(yan, HeldState::kScreening, 10);
  ASSERT_EQ(screening.size(), 1u);
  EXPECT_EQ(screening[0].id, first);
  EXPECT_EQ(store.list_held_for(yan, HeldState::kOffDuty, 10)->size(), 1u);
  EXPECT_EQ(store.list_held_for(yan, std::nullopt, 10)->size(), 2u);

  // Decided once: from the state named only.
  EXPECT_TRUE(*commit_one<bool>(
      store, ScreenHeld{first, HeldState::kScreening, HeldState::kKept, gatekeeper},
      this->no_hook_));
  EXPECT_FALSE(*commit_one<bool>(
      store, ScreenHeld{first, HeldState::kScreening, HeldState::kOffDuty, zoe}, this->no_hook_));
  EXPECT_FALSE(*commit_one<bool>(
      store, ScreenHeld{HeldId(first.value() + 100), HeldState::kScreening, HeldState::kKept, zoe},
      this->no_hook_));
  const auto kept = *store.find_held(first);
  EXPECT_EQ(kept.state, HeldState::kKept);
  EXPECT_EQ(kept.screened_by, gatekeeper);
  EXPECT_TRUE(store.list_held_for(yan, HeldState::kScreening, 10)->empty());
  EXPECT_EQ(store.list_held_for(yan, HeldState::kKept, 10)->size(), 1u);

  // A delete in a state named: only in that state.
  EXPECT_FALSE(*commit_one<bool>(store, DeleteHeld{first, UserId(), false, HeldState::kScreening},
                                 this->no_hook_));
  EXPECT_TRUE(*commit_one<bool>(store, DeleteHeld{first, UserId(), false, HeldState::kKept},
                                this->no_hook_));
  EXPECT_EQ(store.find_held(first).error().code(), Code::kNotFound);
}

TYPED_TEST(MessageLogContract, AHeldMessageIsFoundByItsSendersClientToken) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const ThreadId thread = this->make_thread(zoe, {yan});
  const std::string token("t\x00k", 3);
  const HeldId held =
      commit_one<MessageHeld>(
          store, HoldMessage{held_message(this->org_, thread, zoe, token, at(1)), yan, {}, {}},
          this->no_hook_)
          ->held.id;
  auto found = store.find_held_by_token(zoe, token);
  ASSERT_TRUE(found.has_value()) << found.error().to_string();
  EXPECT_EQ(found->id, held);
  EXPECT_EQ(found->message.client_token, token);
  EXPECT_EQ(store.find_held_by_token(yan, token).error().code(), Code::kNotFound)
      << "another sender's token";
  EXPECT_EQ(store.find_held_by_token(zoe, "t").error().code(), Code::kNotFound);
}

TYPED_TEST(MessageLogContract, ADeleteHeldThatMustFindItFailsItsWholeBatch) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const ThreadId thread = this->make_thread(zoe, {yan});
  const auto held =
      commit_one<MessageHeld>(
          store, HoldMessage{held_message(this->org_, thread, zoe, "w", at(1)), yan, {}, {}},
          this->no_hook_)
          ->held;
  ASSERT_TRUE(*commit_one<bool>(store, DeleteHeld{held.id, zoe}, this->no_hook_));  // Withdrawn.
  // A gatekeeper's decision on it now: nothing of the batch is written.
  WriteBatch release;
  release.add(DeleteHeld{held.id, UserId(), true});
  release.add(AppendMessage{held.message});
  auto refused = commit_and_wait(store, std::move(release), this->no_hook_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kNotFound);
  EXPECT_TRUE(store.read_thread_messages(thread, 0, 10)->empty()) << "never appended";
  // Without must_exist, a missing one is only false.
  EXPECT_FALSE(*commit_one<bool>(store, DeleteHeld{held.id, UserId()}, this->no_hook_));
}

}  // namespace
}  // namespace wl::testing
