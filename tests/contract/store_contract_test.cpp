// What holds across every port of one adapter (src/ports/store.hpp): nothing written
// in clear, and everything still there after a close and reopen.

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class StoreContract : public StoreFixture<Factory> {};

TYPED_TEST_SUITE(StoreContract, StoreFactories, FactoryNames);

TYPED_TEST(StoreContract, NothingWrittenThroughThePortIsInClear) {
  auto& store = *this->store_;
  const UserId zoe = this->make_user("zoe");
  auto phone = open_device(store, zoe, "sealed name", at(5));
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

TYPED_TEST(StoreContract, EverythingSurvivesCloseAndReopen) {
  const UserId zoe = this->make_user("zoe");
  const UserId adam = this->make_user("adam");
  const ThreadId thread = this->make_thread(zoe, {adam}, "direct:zoe:adam");
  const EventId message = this->send_ok(thread, zoe, "1");
  ASSERT_TRUE(commit_one<std::optional<Event>>(*this->store_, RecordRead{thread, adam, 1, at(70)},
                                               this->no_hook_)
                  .has_value());
  ASSERT_TRUE(this->store_->put_data_key({this->org_, 1, "wrapped", at(1), false}).has_value());
  const std::string instance = this->store_->instance_id();
  EXPECT_EQ(instance.size(), 32u);
  const StreamPosition last = *this->store_->stream_head();
  const auto audit_before = *this->store_->read_audit(0, 100);

  this->reopen();
  auto& store = *this->store_;
  EXPECT_EQ(store.instance_id(), instance);
  EXPECT_EQ(store.find_user_by_name(this->org_, "zoe")->id, zoe);
  EXPECT_EQ(store.find_thread(thread)->last_seq, 1);
  EXPECT_EQ(store.find_event(message)->client_token, "1");
  EXPECT_EQ(*store.stream_head(), last);
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
  EXPECT_GT(next->event.position(), last);
  NewThread same_key;
  same_key.org_id = this->org_;
  same_key.unique_key = "direct:zoe:adam";
  same_key.created_by = zoe;
  EXPECT_FALSE(commit_one<ThreadCreated>(store, CreateThread{same_key}, this->no_hook_)->created);
  auto entry = store.append_audit(draft("after.reopen", this->org_));
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->seq, audit_before.back().seq + 2);
  auto audit_after = *store.read_audit(0, 100);
  EXPECT_EQ(audit_after[audit_before.size()].prev_hash, audit_before.back().hash);
}

}  // namespace
}  // namespace wl::testing
