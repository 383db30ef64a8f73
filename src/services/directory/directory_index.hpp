#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

// The in-memory search index of one org's directory (docs/directory.md, "Search"):
// prefix search over the folded words of each entry, ranked. Pure code, no I/O.
namespace wl {

enum class DirectoryKind : std::uint8_t { kPerson = 1, kRole = 2, kGroup = 3 };

// How well an entry matches a query; lower is better.
enum class MatchRank : std::uint8_t {
  kExact = 0,      // The query is the whole name, or each term is a whole word of it.
  kFirstWord = 1,  // The first term begins the name's first word.
  kWord = 2,       // Each term begins some word of the name or the other fields.
};

// An entry as it is indexed: its name, its department (people) and the other fields
// searched (a person's title; a role's description is not searched).
struct DirectorySource {
  DirectoryKind kind = DirectoryKind::kPerson;
  std::int64_t id = 0;
  std::string name;
  std::string department;
  std::vector<std::string> fields;
};

// An entry's folded words: the name's first (name_words of them), then the fields'.
struct FoldedEntry {
  DirectoryKind kind = DirectoryKind::kPerson;
  std::int64_t id = 0;
  std::uint32_t source = 0;  // Its DirectorySource's index in what the index was built from.
  std::string folded_name;
  std::string folded_department;
  std::vector<std::string> words;
  std::uint32_t name_words = 0;
};

FoldedEntry fold_entry(const DirectorySource& source);

// The terms of a query: its folded words. Empty when nothing in it can match.
std::vector<std::string> query_terms(std::string_view query);

// How `entry` matches `terms` (at least one), or nullopt if some term begins none of
// its words. The rule the index and a linear scan share.
std::optional<MatchRank> match_entry(const FoldedEntry& entry, std::span<const std::string> terms);

// Which kinds a search returns.
struct KindSet {
  bool person = true;
  bool role = true;
  bool group = true;
  bool has(DirectoryKind kind) const {
    return kind == DirectoryKind::kPerson ? person : kind == DirectoryKind::kRole ? role : group;
  }
};

// One org's people and roles, indexed for search. Built once, then immutable, so any
// number of threads may search it at once.
class DirectoryIndex {
 public:
  struct Hit {
    std::uint32_t entry = 0;  // Index into entries().
    MatchRank rank = MatchRank::kWord;
  };

  explicit DirectoryIndex(std::span<const DirectorySource> sources);

  // At most `limit` entries of `kinds` matching every term (at least one), best rank
  // first, then by folded name, then kind, then id. Each rank is read in that order and
  // the search stops once it has `limit`: exact matches from the run of tokens equal to
  // a term, first-word matches from the entries whose name begins with the first term
  // (a contiguous range, as entries are sorted by name), the rest from the tokens that
  // begin with the rarest term, merged across their words in entry order.
  std::vector<Hit> search(std::span<const std::string> terms, KindSet kinds,
                          std::size_t limit) const;

  // The people whose department folds to `folded_department`, by folded name.
  std::span<const std::uint32_t> in_department(std::string_view folded_department) const;

  const FoldedEntry& entry(std::uint32_t index) const { return entries_[index]; }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Token {
    std::uint32_t entry;
    std::uint32_t word;
  };
  std::string_view word_of(const Token& token) const {
    return entries_[token.entry].words[token.word];
  }
  // The tokens whose word begins with `prefix`.
  std::span<const Token> tokens_with_prefix(std::string_view prefix) const;
  // The tokens whose word is `word`, in entry order.
  std::span<const Token> tokens_equal(std::string_view word) const;

  std::vector<FoldedEntry> entries_;  // By (folded name, kind, id).
  std::vector<Token> tokens_;         // By (word, entry, word index).
  std::vector<std::uint32_t> runs_;   // Where each distinct word's tokens start, then the end.
  std::unordered_map<std::string, std::vector<std::uint32_t>> departments_;
};

}  // namespace wl
