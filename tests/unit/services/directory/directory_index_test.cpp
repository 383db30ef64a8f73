#include "services/directory/directory_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace wl {
namespace {

DirectorySource person(std::int64_t id, std::string name, std::string department,
                       std::string title) {
  return DirectorySource{
      DirectoryKind::kPerson, id, std::move(name), std::move(department), {std::move(title)}};
}

DirectorySource role(std::int64_t id, std::string name) {
  return DirectorySource{DirectoryKind::kRole, id, std::move(name), "", {}};
}

std::vector<std::int64_t> ids(const DirectoryIndex& index,
                              const std::vector<DirectoryIndex::Hit>& hits) {
  std::vector<std::int64_t> out;
  for (const auto& hit : hits) {
    out.push_back(index.entry(hit.entry).id);
  }
  return out;
}

std::vector<DirectoryIndex::Hit> find(const DirectoryIndex& index, std::string_view query,
                                      KindSet kinds = {}, std::size_t limit = 20) {
  return index.search(query_terms(query), kinds, limit);
}

class DirectoryIndexTest : public ::testing::Test {
 protected:
  std::vector<DirectorySource> sources{
      person(1, "Dr. Nina Patel", "Cardiology", "Cardiology attending"),
      person(2, "Jordan Brooks, NP", "Cardiology", "Cardiology nurse practitioner"),
      person(3, "Lucía García", "Pediatrics", "Pediatrics"),
      person(4, "Jonas Müller, RN", "Emergency", "RN, Emergency"),
      person(5, "Patrick Smithson", "Surgery", "Surgeon"),
      person(6, "Ana Smith", "ICU", "RN, ICU"),
      person(7, "Carl Patelski", "Pharmacy", "Pharmacist"),
      role(10, "Cardiology On Call"),
      role(11, "Pharmacy On Call"),
  };
  DirectoryIndex index{sources};
};

TEST_F(DirectoryIndexTest, FindsByPrefixOfAnyWordWithoutCaseOrAccents) {
  EXPECT_EQ(ids(index, find(index, "garc")), (std::vector<std::int64_t>{3}));
  EXPECT_EQ(ids(index, find(index, "GARCÍA")), (std::vector<std::int64_t>{3}));
  EXPECT_EQ(ids(index, find(index, "mull")), (std::vector<std::int64_t>{4}));
  EXPECT_EQ(ids(index, find(index, "müll")), (std::vector<std::int64_t>{4}));
  // By department and title.
  EXPECT_EQ(ids(index, find(index, "pediat")), (std::vector<std::int64_t>{3}));
  EXPECT_EQ(ids(index, find(index, "surgeon")), (std::vector<std::int64_t>{5}));
  // No word begins with "atel" (it is inside "patel").
  EXPECT_TRUE(find(index, "atel").empty());
}

TEST_F(DirectoryIndexTest, EveryTermMustBeginSomeWord) {
  EXPECT_EQ(ids(index, find(index, "card nurse")), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(ids(index, find(index, "rn icu")), (std::vector<std::int64_t>{6}));
  EXPECT_TRUE(find(index, "card zebra").empty());
}

TEST_F(DirectoryIndexTest, RanksExactThenFirstWordThenOtherWord) {
  // "smith": Ana Smith has it as a whole word (exact); Patrick Smithson only as a prefix
  // of his second word.
  const auto smith = find(index, "smith");
  ASSERT_EQ(ids(index, smith), (std::vector<std::int64_t>{6, 5}));
  EXPECT_EQ(smith[0].rank, MatchRank::kExact);
  EXPECT_EQ(smith[1].rank, MatchRank::kWord);
  // "pat": Patrick's first word begins with it; Patel and Patelski only a later word.
  const auto pat = find(index, "pat");
  ASSERT_EQ(ids(index, pat), (std::vector<std::int64_t>{5, 7, 1}));
  EXPECT_EQ(pat[0].rank, MatchRank::kFirstWord);
  EXPECT_EQ(pat[1].rank, MatchRank::kWord);
  // Same rank: by folded name ("carl patelski" before "dr nina patel").
  EXPECT_EQ(pat[2].rank, MatchRank::kWord);
  // The whole name is exact.
  const auto whole = find(index, "cardiology on call");
  ASSERT_FALSE(whole.empty());
  EXPECT_EQ(index.entry(whole[0].entry).id, 10);
  EXPECT_EQ(whole[0].rank, MatchRank::kExact);
}

TEST_F(DirectoryIndexTest, FiltersKindsAndLimits) {
  EXPECT_EQ(ids(index, find(index, "cardiology", KindSet{false, true, false})),
            (std::vector<std::int64_t>{10}));
  EXPECT_EQ(ids(index, find(index, "cardiology", KindSet{true, false, false})),
            (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(find(index, "cardiology", {}, 1).size(), 1u);
  EXPECT_EQ(ids(index, find(index, "cardiology", {}, 1)), (std::vector<std::int64_t>{10}));
}

TEST_F(DirectoryIndexTest, AnEntryIsFoundOnceWhenSeveralWordsMatch) {
  // Nina Patel has "cardiology" twice (department and title).
  EXPECT_EQ(ids(index, find(index, "card")), (std::vector<std::int64_t>{10, 1, 2}));
}

TEST_F(DirectoryIndexTest, GroupsPeopleByFoldedDepartment) {
  const auto cardiology = index.in_department("cardiology");
  ASSERT_EQ(cardiology.size(), 2u);
  EXPECT_EQ(index.entry(cardiology[0]).id, 1);  // "dr nina patel" before "jordan brooks np".
  EXPECT_EQ(index.entry(cardiology[1]).id, 2);
  EXPECT_TRUE(index.in_department("oncology").empty());
}

TEST_F(DirectoryIndexTest, QueriesWithNothingToMatchFindNothing) {
  EXPECT_TRUE(find(index, "").empty());
  EXPECT_TRUE(find(index, " ,. ").empty());
}

// The index gives what a linear scan with the same rule gives, on random data.
TEST(DirectoryIndexScanTest, AgreesWithALinearScan) {
  std::mt19937 random(7);
  const std::vector<std::string> syllables{"an", "bel", "cor", "dé", "el", "fan", "gar",
                                           "hu", "ïs",  "jo",  "ka", "lu", "mé",  "no"};
  auto word = [&] {
    std::string text;
    const int parts = 1 + static_cast<int>(random() % 3);
    for (int i = 0; i < parts; ++i) {
      text += syllables[random() % syllables.size()];
    }
    return text;
  };
  std::vector<DirectorySource> sources;
  for (int id = 1; id <= 400; ++id) {
    sources.push_back(person(id, word() + " " + word(), word(), word() + " " + word()));
  }
  const DirectoryIndex index(sources);
  std::vector<FoldedEntry> folded;
  for (const auto& source : sources) {
    folded.push_back(fold_entry(source));
  }
  for (int round = 0; round < 300; ++round) {
    std::string query = word().substr(0, 1 + random() % 3);
    if (round % 3 == 0) {
      query += " " + word().substr(0, 2);
    }
    const auto terms = query_terms(query);
    std::vector<std::tuple<MatchRank, std::string, std::int64_t>> expected;
    for (const auto& entry : folded) {
      if (const auto rank = match_entry(entry, terms)) {
        expected.emplace_back(*rank, entry.folded_name, entry.id);
      }
    }
    std::sort(expected.begin(), expected.end());
    if (expected.size() > 10) {
      expected.resize(10);
    }
    std::vector<std::tuple<MatchRank, std::string, std::int64_t>> got;
    for (const auto& hit : index.search(terms, {}, 10)) {
      const auto& entry = index.entry(hit.entry);
      got.emplace_back(hit.rank, entry.folded_name, entry.id);
    }
    EXPECT_EQ(got, expected) << query;
  }
}

}  // namespace
}  // namespace wl
