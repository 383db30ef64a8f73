// The PhoneStore and QuickNoteStore contracts (src/ports/phone_store.hpp,
// src/ports/quick_note_store.hpp), and a message's call-back number (message_log.hpp).

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class CallbackContract : public StoreFixture<Factory> {
 protected:
  static StoredPhone phone(UserId user, PhoneKind kind, std::string sealed,
                           PhoneVisibility visibility, bool preferred = false) {
    return StoredPhone{user, kind, std::move(sealed), visibility, preferred};
  }

  Result<QuickNote> save_note(std::int64_t id, UserId owner, std::string title, std::string text,
                              std::size_t max_count = 10, OrgId org = OrgId()) {
    return commit_one<QuickNote>(
        *this->store_, SaveQuickNote{id, org.is_set() ? org : this->org_, owner, std::move(title),
                                     std::move(text), max_count, owner, at(30 + id)});
  }
};

TYPED_TEST_SUITE(CallbackContract, StoreFactories, FactoryNames);

TYPED_TEST(CallbackContract, PhonesAreReplacedWholeAndTellTheOrg) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  EXPECT_TRUE(store.list_user_phones(zoe)->empty());
  const StreamPosition start = *store.stream_head();
  HookLog log;
  const std::string sealed_mobile("\x01m\x00bile", 7);
  ASSERT_TRUE(
      commit_one<std::monostate>(
          store,
          SetUserPhones{
              zoe,
              {this->phone(zoe, PhoneKind::kPager, "sealed-pager", PhoneVisibility::kColleagues),
               this->phone(zoe, PhoneKind::kMobile, sealed_mobile, PhoneVisibility::kAdmins, true)},
              zoe,
              at(20)},
          log.hook())
          .has_value());
  const auto phones = *store.list_user_phones(zoe);
  ASSERT_EQ(phones.size(), 2u);
  EXPECT_EQ(phones[0].kind, PhoneKind::kMobile);  // By kind.
  EXPECT_EQ(phones[0].number_sealed, sealed_mobile);
  EXPECT_EQ(phones[0].visibility, PhoneVisibility::kAdmins);
  EXPECT_TRUE(phones[0].preferred);
  EXPECT_EQ(phones[1].kind, PhoneKind::kPager);
  EXPECT_EQ(phones[1].visibility, PhoneVisibility::kColleagues);
  EXPECT_FALSE(phones[1].preferred);
  const auto events = *store.read_user_events(yan, start, 10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::kUserChanged);
  EXPECT_EQ(events[0].subject, zoe);

  ASSERT_TRUE(commit_one<std::monostate>(
                  store, SetUserPhones{zoe,
                                       {this->phone(zoe, PhoneKind::kWork, "sealed-work",
                                                    PhoneVisibility::kEveryone, true)},
                                       zoe,
                                       at(21)})
                  .has_value());
  ASSERT_EQ(store.list_user_phones(zoe)->size(), 1u);
  EXPECT_EQ(store.list_user_phones(zoe)->front().kind, PhoneKind::kWork);
  ASSERT_TRUE(commit_one<std::monostate>(
                  store, SetUserPhones{yan,
                                       {this->phone(yan, PhoneKind::kPager, "sealed-yan",
                                                    PhoneVisibility::kEveryone)},
                                       yan,
                                       at(22)})
                  .has_value());
  const auto org = *store.list_org_phones(this->org_);
  ASSERT_EQ(org.size(), 2u);
  EXPECT_EQ(org[0].user_id, zoe);
  EXPECT_EQ(org[1].user_id, yan);
}

TYPED_TEST(CallbackContract, PhonesRefuseTwoOfAKindAnUnknownUserAndAnotherUsersNumber) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  ASSERT_TRUE(
      commit_one<std::monostate>(store, SetUserPhones{zoe,
                                                      {this->phone(zoe, PhoneKind::kWork, "kept",
                                                                   PhoneVisibility::kEveryone)},
                                                      zoe,
                                                      at(20)})
          .has_value());
  EXPECT_EQ(commit_one<std::monostate>(
                store,
                SetUserPhones{zoe,
                              {this->phone(zoe, PhoneKind::kWork, "a", PhoneVisibility::kEveryone),
                               this->phone(zoe, PhoneKind::kWork, "b", PhoneVisibility::kEveryone)},
                              zoe,
                              at(21)})
                .error()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(commit_one<std::monostate>(
                store,
                SetUserPhones{zoe,
                              {this->phone(yan, PhoneKind::kWork, "a", PhoneVisibility::kEveryone)},
                              zoe,
                              at(21)})
                .error()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(
      commit_one<std::monostate>(store, SetUserPhones{UserId(999), {}, zoe, at(21)}).error().code(),
      Code::kNotFound);
  ASSERT_EQ(store.list_user_phones(zoe)->size(), 1u) << "a failed batch wrote nothing";
  EXPECT_EQ(store.list_user_phones(zoe)->front().number_sealed, "kept");
}

TYPED_TEST(CallbackContract, ThreadPeersAreTheCurrentMembersOfTheUsersThreads) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const UserId ada = this->make_user("ada");
  const UserId bob = this->make_user("bob");
  this->make_user("cyd");
  const ThreadId first = this->make_thread(zoe, {yan, ada});
  this->make_thread(zoe, {yan});
  this->make_thread(bob, {ada});
  EXPECT_EQ(*store.list_thread_peers(zoe), (std::vector<UserId>{yan, ada}));
  EXPECT_EQ(*store.list_thread_peers(ada), (std::vector<UserId>{zoe, yan, bob}));
  ASSERT_TRUE(commit_one<Event>(store, RemoveMember{first, ada, zoe, at(9)}).has_value());
  EXPECT_EQ(*store.list_thread_peers(ada), (std::vector<UserId>{bob}));
  EXPECT_EQ(*store.list_thread_peers(zoe), (std::vector<UserId>{yan}));
}

TYPED_TEST(CallbackContract, AMessageKeepsItsCallbackNumberSentOrHeld) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const ThreadId thread = this->make_thread(zoe, {yan});
  NewMessage message;
  message.org_id = this->org_;
  message.thread_id = thread;
  message.sender = zoe;
  message.client_token = "cb";
  message.client_id_sealed = "sealed";
  message.body_sealed = "body";
  message.created_at = at(10);
  message.callback_sealed = std::string(
      "\x01"
      "call\x00me",
      8);
  const auto sent =
      append_message(store, message, draft("message.send", this->org_), this->no_hook_);
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->event.callback_sealed, message.callback_sealed);
  EXPECT_EQ(store.find_event(sent->event.id)->callback_sealed, message.callback_sealed);
  EXPECT_EQ(store.read_thread_messages(thread, 0, 1)->front().callback_sealed,
            message.callback_sealed);
  EXPECT_EQ(store.find_event(this->send_ok(thread, zoe, "plain"))->callback_sealed, "");

  message.client_token = "held";
  auto held = commit_one<MessageHeld>(store, HoldMessage{message, yan, at(100), std::nullopt});
  ASSERT_TRUE(held.has_value()) << held.error().to_string();
  EXPECT_EQ(store.find_held(held->held.id)->message.callback_sealed, message.callback_sealed);
}

TYPED_TEST(CallbackContract, QuickNotesAreOrgWideOrPersonalAndListedForTheirOwner) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  const auto org_note = this->save_note(0, UserId(), "sealed-title", "sealed-text");
  ASSERT_TRUE(org_note.has_value()) << org_note.error().to_string();
  EXPECT_GT(org_note->id, 0);
  EXPECT_FALSE(org_note->owner.is_set());
  const auto mine = this->save_note(0, zoe, std::string("t\x00z", 3), "zoe's");
  ASSERT_TRUE(mine.has_value()) << mine.error().to_string();
  EXPECT_EQ(mine->owner, zoe);
  ASSERT_TRUE(this->save_note(0, yan, "yan-title", "yan's").has_value());

  const auto for_zoe = *store.list_quick_notes(this->org_, zoe);
  ASSERT_EQ(for_zoe.size(), 2u);
  EXPECT_EQ(for_zoe[0].id, org_note->id);  // Org-wide first.
  EXPECT_EQ(for_zoe[1].id, mine->id);
  EXPECT_EQ(for_zoe[1].title_sealed, std::string("t\x00z", 3));
  EXPECT_EQ(for_zoe[1].created_by, zoe);
  EXPECT_EQ(store.list_quick_notes(this->org_, UserId())->size(), 1u);

  // An edit keeps the creation and moves the update.
  const auto edited = this->save_note(mine->id, zoe, "new-title", "new-text");
  ASSERT_TRUE(edited.has_value()) << edited.error().to_string();
  EXPECT_EQ(edited->created_at, mine->created_at);
  const QuickNote found = *store.find_quick_note(mine->id);
  EXPECT_EQ(found.title_sealed, "new-title");
  EXPECT_EQ(found.text_sealed, "new-text");
  EXPECT_EQ(found.created_at, mine->created_at);
  EXPECT_EQ(found.updated_at, edited->updated_at);
  EXPECT_NE(found.updated_at, found.created_at);

  // Another owner's note, or an org note as a personal one, is not found.
  EXPECT_EQ(this->save_note(mine->id, yan, "x", "y").error().code(), Code::kNotFound);
  EXPECT_EQ(this->save_note(org_note->id, zoe, "x", "y").error().code(), Code::kNotFound);
  EXPECT_EQ(
      commit_one<std::monostate>(store, DeleteQuickNote{mine->id, this->org_, yan}).error().code(),
      Code::kNotFound);
  ASSERT_TRUE(
      commit_one<std::monostate>(store, DeleteQuickNote{mine->id, this->org_, zoe}).has_value());
  EXPECT_EQ(store.find_quick_note(mine->id).error().code(), Code::kNotFound);
  EXPECT_EQ(
      commit_one<std::monostate>(store, DeleteQuickNote{mine->id, this->org_, zoe}).error().code(),
      Code::kNotFound);
}

TYPED_TEST(CallbackContract, QuickNotesAreBoundedPerOwnerAndPerOrg) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  const UserId yan = this->make_user("yan");
  ASSERT_TRUE(this->save_note(0, zoe, "a", "a", 2).has_value());
  ASSERT_TRUE(this->save_note(0, zoe, "b", "b", 2).has_value());
  EXPECT_EQ(this->save_note(0, zoe, "c", "c", 2).error().code(), Code::kResourceExhausted);
  ASSERT_TRUE(this->save_note(0, yan, "a", "a", 2).has_value()) << "bounded per owner";
  ASSERT_TRUE(this->save_note(0, UserId(), "a", "a", 1).has_value());
  EXPECT_EQ(this->save_note(0, UserId(), "b", "b", 1).error().code(), Code::kResourceExhausted);
  EXPECT_EQ(store.list_quick_notes(this->org_, zoe)->size(), 3u);

  const OrgId other = create_org(store, "Other Hospital", at(1))->id;
  EXPECT_EQ(this->save_note(0, zoe, "x", "x", 10, other).error().code(), Code::kNotFound);
  EXPECT_EQ(this->save_note(0, UserId(), "x", "x", 10, OrgId(999)).error().code(), Code::kNotFound);
  EXPECT_TRUE(store.list_quick_notes(other, UserId())->empty());
}

}  // namespace
}  // namespace wl::testing
