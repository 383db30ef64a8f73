// The KeyStore contract (src/ports/key_store.hpp).

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class KeyStoreContract : public StoreFixture<Factory> {};

TYPED_TEST_SUITE(KeyStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(KeyStoreContract, StoresListsAndRewrapsDataKeys) {
  auto& store = *this->store_;
  auto other = create_org(store, "County Clinic", at(1));
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

}  // namespace
}  // namespace wl::testing
