// The message search contract (src/ports/message_log.hpp: search_messages, the index
// rows AppendMessage writes, and the backfill's IndexMessages): docs/search.md.

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

// A search token: the store sees only these opaque 16-byte values.
std::string token(std::string_view word) {
  std::string bytes(word.substr(0, kSearchTokenBytes));
  bytes.resize(kSearchTokenBytes, '\0');
  return bytes;
}

template <typename Factory>
class MessageSearchContract : public StoreFixture<Factory> {
 protected:
  // Appends a message whose body has `words`; returns its id.
  EventId say(ThreadId thread, UserId sender, const std::string& client,
              std::vector<std::string> words) {
    NewMessage message;
    message.org_id = this->org_;
    message.thread_id = thread;
    message.sender = sender;
    message.client_token = client;
    message.client_id_sealed = "sealed-" + client;
    message.body_sealed = "sealed-body";
    message.created_at = at(10);
    for (const std::string& word : words) {
      message.search_tokens.push_back(token(word));
    }
    auto sent =
        append_message(*this->store_, message, draft("message.send", this->org_), this->no_hook_);
    EXPECT_TRUE(sent.has_value()) << sent.error().to_string();
    return sent ? sent->event.id : EventId();
  }

  // The ids search_messages gives `user` for `words`.
  std::vector<EventId> find(UserId user, std::vector<std::string> words,
                            PatientId patient = PatientId(), EventId before = EventId(),
                            std::size_t limit = 50) {
    MessageQuery query;
    query.user = user;
    for (const std::string& word : words) {
      query.tokens.push_back(token(word));
    }
    query.patient = patient;
    query.before = before;
    query.limit = limit;
    auto found = this->store_->search_messages(query);
    EXPECT_TRUE(found.has_value()) << found.error().to_string();
    std::vector<EventId> ids;
    for (const Event& event : found.value_or(std::vector<Event>())) {
      EXPECT_EQ(event.kind, EventKind::kMessage);
      ids.push_back(event.id);
    }
    return ids;
  }
};

TYPED_TEST_SUITE(MessageSearchContract, StoreFactories, FactoryNames);

TYPED_TEST(MessageSearchContract, AMessageIsFoundByEachOfItsWordsNewestFirst) {
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const ThreadId thread = this->make_thread(zoe, {yan});
  const EventId first = this->say(thread, zoe, "a", {"chest", "pain"});
  const EventId second = this->say(thread, yan, "b", {"chest", "xray"});
  const EventId third = this->say(thread, zoe, "c", {"lunch"});

  EXPECT_EQ(this->find(zoe, {"chest"}), (std::vector<EventId>{second, first}));
  EXPECT_EQ(this->find(yan, {"chest"}), (std::vector<EventId>{second, first}));
  EXPECT_EQ(this->find(yan, {"lunch"}), (std::vector<EventId>{third}));
  // Every word must be there.
  EXPECT_EQ(this->find(zoe, {"chest", "pain"}), (std::vector<EventId>{first}));
  EXPECT_EQ(this->find(zoe, {"pain", "chest"}), (std::vector<EventId>{first}));
  EXPECT_TRUE(this->find(zoe, {"chest", "lunch"}).empty());
  EXPECT_TRUE(this->find(zoe, {"absent"}).empty());
  // The full event comes back, as the thread's history reads it.
  MessageQuery query;
  query.user = zoe;
  query.tokens = {token("xray")};
  const auto found = this->store_->search_messages(query);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().thread_id, thread);
  EXPECT_EQ(found->front().seq, 2);
  EXPECT_EQ(found->front().actor, yan);
  EXPECT_EQ(found->front().body_sealed, "sealed-body");
}

TYPED_TEST(MessageSearchContract, PagesGoBackFromTheLastIdAndTheLimitHolds) {
  const UserId zoe = this->make_user("zoe");
  const ThreadId one = this->make_thread(zoe, {});
  const ThreadId two = this->make_thread(zoe, {});
  std::vector<EventId> sent;
  for (int i = 0; i < 5; ++i) {
    sent.push_back(this->say(i % 2 == 0 ? one : two, zoe, "m" + std::to_string(i), {"rounds"}));
  }
  const auto page = this->find(zoe, {"rounds"}, PatientId(), EventId(), 2);
  EXPECT_EQ(page, (std::vector<EventId>{sent[4], sent[3]}));
  const auto next = this->find(zoe, {"rounds"}, PatientId(), page.back(), 2);
  EXPECT_EQ(next, (std::vector<EventId>{sent[2], sent[1]}));
  const auto last = this->find(zoe, {"rounds"}, PatientId(), next.back(), 2);
  EXPECT_EQ(last, (std::vector<EventId>{sent[0]}));
}

TYPED_TEST(MessageSearchContract, AResendWritesNoSecondRowsAndARepeatedWordIsOneRow) {
  const UserId zoe = this->make_user("zoe");
  const ThreadId thread = this->make_thread(zoe, {});
  const EventId sent = this->say(thread, zoe, "same", {"sats", "sats", "low"});
  EXPECT_EQ(this->say(thread, zoe, "same", {"sats", "low"}), sent);
  EXPECT_EQ(this->find(zoe, {"sats"}), (std::vector<EventId>{sent}));
  EXPECT_EQ(this->find(zoe, {"sats", "sats"}), (std::vector<EventId>{sent}));
}

TYPED_TEST(MessageSearchContract, OnlyTheThreadsOfTheUserAreSearched) {
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const UserId ann = this->make_user("ann");
  const ThreadId theirs = this->make_thread(zoe, {yan});
  const ThreadId hers = this->make_thread(ann, {});
  const EventId private_note = this->say(theirs, zoe, "a", {"sepsis"});
  const EventId own = this->say(hers, ann, "b", {"sepsis"});
  EXPECT_EQ(this->find(ann, {"sepsis"}), (std::vector<EventId>{own}));
  EXPECT_EQ(this->find(zoe, {"sepsis"}), (std::vector<EventId>{private_note}));
  // Another org's user, with the same tokens, finds nothing of this org.
  auto other = create_org(*this->store_, "Other Clinic", at(0));
  ASSERT_TRUE(other.has_value());
  const UserId stranger = this->make_user("stranger", other->id);
  EXPECT_TRUE(this->find(stranger, {"sepsis"}).empty());
}

TYPED_TEST(MessageSearchContract, AFormerMemberFindsOnlyWhatWasSentWhileTheyWereOne) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const ThreadId thread = this->make_thread(zoe, {yan});
  const EventId before = this->say(thread, zoe, "a", {"plan"});
  ASSERT_TRUE(
      commit_one<Event>(store, RemoveMember{thread, yan, zoe, at(11)}, this->no_hook_).has_value());
  const EventId after = this->say(thread, zoe, "b", {"plan"});
  EXPECT_EQ(this->find(yan, {"plan"}), (std::vector<EventId>{before}));
  EXPECT_EQ(this->find(zoe, {"plan"}), (std::vector<EventId>{after, before}));
  // Without words, every message they may see: the same one.
  EXPECT_EQ(this->find(yan, {}), (std::vector<EventId>{before}));

  // Added again, a member sees the whole thread, as its history shows them.
  ASSERT_TRUE(
      commit_one<Event>(store, AddMember{thread, yan, zoe, at(12)}, this->no_hook_).has_value());
  EXPECT_EQ(this->find(yan, {"plan"}), (std::vector<EventId>{after, before}));
}

TYPED_TEST(MessageSearchContract, AMemberAddedLaterFindsTheWholeHistory) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const ThreadId thread = this->make_thread(zoe, {});
  const EventId early = this->say(thread, zoe, "a", {"consult"});
  EXPECT_TRUE(this->find(yan, {"consult"}).empty());
  ASSERT_TRUE(
      commit_one<Event>(store, AddMember{thread, yan, zoe, at(12)}, this->no_hook_).has_value());
  EXPECT_EQ(this->find(yan, {"consult"}), (std::vector<EventId>{early}));
}

TYPED_TEST(MessageSearchContract, APatientNarrowsTheSearchToThreadsAboutThem) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const PatientId alma = commit_one<PatientWritten>(store, this->new_patient("mrn-1"))->patient;
  const PatientId bert = commit_one<PatientWritten>(store, this->new_patient("mrn-2"))->patient;
  auto about = [&](PatientId patient, std::vector<UserId> members) {
    NewThread thread = this->new_group(zoe, std::move(members));
    thread.kind = ThreadKind::kPatient;
    thread.patient_id = patient;
    return commit_one<ThreadCreated>(store, CreateThread{thread})->thread.id;
  };
  const ThreadId alma_thread = about(alma, {yan});
  const ThreadId bert_thread = about(bert, {});
  const ThreadId plain = this->make_thread(zoe, {yan});
  const EventId on_alma = this->say(alma_thread, zoe, "a", {"potassium"});
  const EventId on_alma_too = this->say(alma_thread, yan, "b", {"dose"});
  const EventId on_bert = this->say(bert_thread, zoe, "c", {"potassium"});
  this->say(plain, zoe, "d", {"potassium"});

  EXPECT_EQ(this->find(zoe, {"potassium"}, alma), (std::vector<EventId>{on_alma}));
  EXPECT_EQ(this->find(zoe, {"potassium"}, bert), (std::vector<EventId>{on_bert}));
  // Without words: every message of the patient's threads the user may see.
  EXPECT_EQ(this->find(zoe, {}, alma), (std::vector<EventId>{on_alma_too, on_alma}));
  EXPECT_EQ(this->find(yan, {}, alma), (std::vector<EventId>{on_alma_too, on_alma}));
  EXPECT_TRUE(this->find(yan, {}, bert).empty());
  EXPECT_TRUE(this->find(yan, {"potassium"}, bert).empty());
  EXPECT_EQ(this->find(zoe, {}, alma, on_alma_too), (std::vector<EventId>{on_alma}));
}

TYPED_TEST(MessageSearchContract, ANewDatabaseHasNothingToBackfill) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const ThreadId thread = this->make_thread(zoe, {});
  const EventId sent = this->say(thread, zoe, "a", {"word"});
  EXPECT_EQ(store.search_backfill_position()->value(), 1);
  EXPECT_TRUE(store.list_unindexed_messages(10)->empty());
  // The backfill cannot move a position that is already at the start: nothing written.
  auto refused = commit_one<std::monostate>(
      store, IndexMessages{{IndexedMessage{sent, thread, {token("other")}}}, EventId(1)},
      this->no_hook_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(this->find(zoe, {"other"}).empty());
}

TYPED_TEST(MessageSearchContract, TooManyTokensAreRefused) {
  const UserId zoe = this->make_user("zoe");
  MessageQuery query;
  query.user = zoe;
  query.tokens.assign(9, token("x"));
  EXPECT_EQ(this->store_->search_messages(query).error().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace wl::testing
