// The ProviderStore contract (src/ports/provider_store.hpp).

#include <algorithm>

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

Provider provider(std::int64_t npi, std::string name, std::string name_key, std::string city_key,
                  std::string state, std::string taxonomy) {
  Provider one;
  one.npi = npi;
  one.name = std::move(name);
  one.name_key = std::move(name_key);
  one.credential = "MD";
  one.taxonomy = std::move(taxonomy);
  one.city = city_key;
  one.city_key = std::move(city_key);
  one.state = std::move(state);
  one.postal_code = "688451234";
  one.phone = "3082345678";
  one.updated_at = at(5);
  return one;
}

std::vector<std::int64_t> npis(const Result<std::vector<Provider>>& found) {
  std::vector<std::int64_t> all;
  if (found) {
    for (const Provider& one : *found) {
      all.push_back(one.npi);
    }
  }
  return all;
}

template <typename Factory>
class ProviderStoreContract : public StoreFixture<Factory> {
 protected:
  void load() {
    std::vector<Provider> providers = {
        provider(1679576722, "WIEBE, DAVID A", "wiebe david a", "kearney", "NE", "207X00000X"),
        provider(1234567893, "SMITH, ANN", "smith ann", "omaha", "NE", "207RC0000X"),
        provider(1245319599, "SMITHERS, JOHN", "smithers john", "kearney", "NE", "207RC0000X"),
        provider(1588667638, "SMITH, ZOE", "smith zoe", "boston", "MA", "207X00000X")};
    providers.back().entity = ProviderEntity::kIndividual;
    auto written = commit_one<std::int64_t>(*this->store_, UpsertProviders{providers});
    ASSERT_TRUE(written.has_value()) << written.error().to_string();
    EXPECT_EQ(*written, 4);
  }
};

TYPED_TEST_SUITE(ProviderStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(ProviderStoreContract, SearchesByNamePrefixPlaceTaxonomyAndNpi) {
  this->load();
  auto& store = *this->store_;
  EXPECT_EQ(npis(store.search_providers({.name_prefix = "smith"})),
            (std::vector<std::int64_t>{1234567893, 1588667638, 1245319599}));
  EXPECT_EQ(npis(store.search_providers({.name_prefix = "smith "})),
            (std::vector<std::int64_t>{1234567893, 1588667638}));
  EXPECT_EQ(npis(store.search_providers({.state = "NE", .limit = 2})),
            (std::vector<std::int64_t>{1245319599, 1679576722}))
      << "a search by place alone is by city, then name";
  EXPECT_EQ(npis(store.search_providers({.city_key = "kearney", .state = "NE"})),
            (std::vector<std::int64_t>{1245319599, 1679576722}));
  EXPECT_EQ(npis(store.search_providers({.taxonomies = {"207RC0000X"}})),
            (std::vector<std::int64_t>{1234567893, 1245319599}));
  EXPECT_EQ(
      npis(store.search_providers(
          {.name_prefix = "smith", .taxonomies = {"207X00000X", "207RC0000X"}, .state = "NE"})),
      (std::vector<std::int64_t>{1234567893, 1245319599}));
  EXPECT_EQ(npis(store.search_providers({.npi = 1679576722})),
            (std::vector<std::int64_t>{1679576722}));
  EXPECT_TRUE(store.search_providers({.name_prefix = "zz"})->empty());
  const auto found = store.find_provider(1588667638);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "SMITH, ZOE");
  EXPECT_EQ(found->taxonomy, "207X00000X");
  EXPECT_EQ(found->phone, "3082345678");
  EXPECT_EQ(found->updated_at, at(5));
  EXPECT_EQ(store.find_provider(1000000004).error().code(), Code::kNotFound);
}

TYPED_TEST(ProviderStoreContract, AMonthlyFileReplacesByNpiAndDeactivationHidesButKeeps) {
  this->load();
  auto& store = *this->store_;
  Provider moved =
      provider(1234567893, "SMITH, ANN B", "smith ann b", "lincoln", "NE", "207RC0000X");
  Provider gone;
  gone.npi = 1679576722;
  gone.deactivated = true;
  gone.updated_at = at(9);
  ASSERT_TRUE(commit_one<std::int64_t>(store, UpsertProviders{{moved, gone}}).has_value());
  EXPECT_EQ(store.find_provider(1234567893)->city, "lincoln");
  const auto kept = store.find_provider(1679576722);
  ASSERT_TRUE(kept.has_value());
  EXPECT_TRUE(kept->deactivated);
  EXPECT_EQ(kept->name, "WIEBE, DAVID A") << "a deactivation keeps what was known";
  EXPECT_TRUE(store.search_providers({.name_prefix = "wiebe"})->empty());
  EXPECT_TRUE(store.search_providers({.npi = 1679576722})->empty());
  // Reactivated by a later file that lists it in full again.
  ASSERT_TRUE(commit_one<std::int64_t>(
                  store, UpsertProviders{{provider(1679576722, "WIEBE, DAVID A", "wiebe david a",
                                                   "kearney", "NE", "207X00000X")}})
                  .has_value());
  EXPECT_EQ(npis(store.search_providers({.name_prefix = "wiebe"})),
            (std::vector<std::int64_t>{1679576722}));
}

TYPED_TEST(ProviderStoreContract, KeepsTaxonomyCodesByCode) {
  auto& store = *this->store_;
  TaxonomyCode cardiology{"207RC0000X",
                          "Allopathic & Osteopathic Physicians",
                          "Internal Medicine",
                          "Cardiovascular Disease",
                          "Cardiovascular Disease Physician",
                          "Individual",
                          "cardiovascular disease physician internal medicine"};
  TaxonomyCode family{"207Q00000X",
                      "Allopathic & Osteopathic Physicians",
                      "Family Medicine",
                      "",
                      "Family Medicine Physician",
                      "Individual",
                      "family medicine physician"};
  ASSERT_EQ(*commit_one<std::int64_t>(store, UpsertTaxonomies{{cardiology, family}}), 2);
  family.display_name = "Family Medicine Doctor";
  ASSERT_TRUE(commit_one<std::int64_t>(store, UpsertTaxonomies{{family}}).has_value());
  const auto found = store.find_taxonomies({"207Q00000X", "999999999X", "207RC0000X"});
  ASSERT_TRUE(found.has_value());
  ASSERT_EQ(found->size(), 2u);
  const auto named = std::ranges::find(*found, std::string("207Q00000X"), &TaxonomyCode::code);
  ASSERT_NE(named, found->end());
  EXPECT_EQ(named->display_name, "Family Medicine Doctor");
  const auto matching = store.search_taxonomies("cardio", 10);
  ASSERT_TRUE(matching.has_value());
  ASSERT_EQ(matching->size(), 1u);
  EXPECT_EQ(matching->front().code, "207RC0000X");
  EXPECT_EQ(matching->front().classification, "Internal Medicine");
  EXPECT_EQ(store.search_taxonomies("medicine", 1)->size(), 1u);
}

TYPED_TEST(ProviderStoreContract, InvitesAProviderToAThreadOnceWithAThreadEvent) {
  this->load();
  auto& store = *this->store_;
  const UserId ann = this->make_user("ann");
  const UserId bob = this->make_user("bob");
  const ThreadId thread = this->make_thread(ann, {ann, bob});
  std::vector<CommittedEvent> committed;
  CommitHook hook = [&committed](std::span<const CommittedEvent> events) {
    committed.assign(events.begin(), events.end());
  };
  auto invited =
      commit_one<ProviderInvitation>(store, InviteProvider{thread, 1234567893, ann, at(20)}, hook);
  ASSERT_TRUE(invited.has_value()) << invited.error().to_string();
  EXPECT_EQ(invited->id, invited->event.id);
  EXPECT_EQ(invited->event.kind, EventKind::kProviderInvited);
  EXPECT_EQ(invited->event.scope, EventScope::kThread);
  EXPECT_EQ(invited->event.reason, "1234567893");
  EXPECT_EQ(invited->event.actor, ann);
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(committed.front().recipients.size(), 2u) << "both members see it";
  // In the members' streams, as written.
  const auto stream = store.read_user_events(bob, StreamPosition{}, 100);
  ASSERT_TRUE(stream.has_value());
  ASSERT_FALSE(stream->empty());
  EXPECT_EQ(stream->back().kind, EventKind::kProviderInvited);
  EXPECT_EQ(stream->back().reason, "1234567893");

  EXPECT_EQ(commit_one<ProviderInvitation>(store, InviteProvider{thread, 1234567893, bob, at(21)})
                .error()
                .code(),
            Code::kAlreadyExists);
  EXPECT_EQ(commit_one<ProviderInvitation>(store, InviteProvider{thread, 1000000004, ann, at(21)})
                .error()
                .code(),
            Code::kNotFound);
  EXPECT_EQ(
      commit_one<ProviderInvitation>(store, InviteProvider{ThreadId(9999), 1245319599, ann, at(21)})
          .error()
          .code(),
      Code::kNotFound);
  Provider gone;
  gone.npi = 1588667638;
  gone.deactivated = true;
  gone.updated_at = at(21);
  ASSERT_TRUE(commit_one<std::int64_t>(store, UpsertProviders{{gone}}).has_value());
  EXPECT_EQ(commit_one<ProviderInvitation>(store, InviteProvider{thread, 1588667638, ann, at(22)})
                .error()
                .code(),
            Code::kFailedPrecondition);
  ASSERT_TRUE(commit_one<ProviderInvitation>(store, InviteProvider{thread, 1245319599, bob, at(23)})
                  .has_value());

  const auto listed = store.list_invitations(thread);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->at(0).npi, 1234567893);
  EXPECT_EQ(listed->at(0).invited_by, ann);
  EXPECT_EQ(listed->at(0).state, InvitationState::kPending);
  EXPECT_EQ(listed->at(0).created_at, at(20));
  EXPECT_EQ(listed->at(0).org_id, this->org_);
  EXPECT_EQ(listed->at(1).npi, 1245319599);
  EXPECT_EQ(listed->at(1).invited_by, bob);
}

}  // namespace
}  // namespace wl::testing
