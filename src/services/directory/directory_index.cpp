#include "services/directory/directory_index.hpp"

#include <algorithm>
#include <tuple>

#include "services/directory/text_fold.hpp"

namespace wl {

FoldedEntry fold_entry(const DirectorySource& source) {
  FoldedEntry entry;
  entry.kind = source.kind;
  entry.id = source.id;
  entry.folded_name = fold_text(source.name);
  entry.words = fold_words(source.name);
  entry.name_words = static_cast<std::uint32_t>(entry.words.size());
  entry.folded_department = fold_text(source.department);
  for (std::string& word : fold_words(source.department)) {
    entry.words.push_back(std::move(word));
  }
  for (const std::string& field : source.fields) {
    for (std::string& word : fold_words(field)) {
      entry.words.push_back(std::move(word));
    }
  }
  return entry;
}

std::vector<std::string> query_terms(std::string_view query) { return fold_words(query); }

std::optional<MatchRank> match_entry(const FoldedEntry& entry, std::span<const std::string> terms) {
  if (terms.empty()) {
    return std::nullopt;
  }
  bool every_term_whole_name_word = true;
  for (const std::string& term : terms) {
    bool begins_one = false;
    bool whole_name_word = false;
    for (std::uint32_t index = 0; index < entry.words.size(); ++index) {
      const std::string& word = entry.words[index];
      if (word.starts_with(term)) {
        begins_one = true;
        if (index < entry.name_words && word.size() == term.size()) {
          whole_name_word = true;
          break;
        }
      }
    }
    if (!begins_one) {
      return std::nullopt;
    }
    every_term_whole_name_word = every_term_whole_name_word && whole_name_word;
  }
  if (every_term_whole_name_word) {
    return MatchRank::kExact;
  }
  if (entry.name_words > 0 && entry.words[0].starts_with(terms[0])) {
    return MatchRank::kFirstWord;
  }
  return MatchRank::kWord;
}

DirectoryIndex::DirectoryIndex(std::span<const DirectorySource> sources) {
  entries_.reserve(sources.size());
  for (const DirectorySource& source : sources) {
    entries_.push_back(fold_entry(source));
    entries_.back().source = static_cast<std::uint32_t>(entries_.size() - 1);
  }
  std::sort(entries_.begin(), entries_.end(), [](const FoldedEntry& a, const FoldedEntry& b) {
    return std::tie(a.folded_name, a.kind, a.id) < std::tie(b.folded_name, b.kind, b.id);
  });
  std::size_t words = 0;
  for (const FoldedEntry& entry : entries_) {
    words += entry.words.size();
  }
  tokens_.reserve(words);
  for (std::uint32_t index = 0; index < entries_.size(); ++index) {
    const FoldedEntry& entry = entries_[index];
    for (std::uint32_t word = 0; word < entry.words.size(); ++word) {
      tokens_.push_back(Token{index, word});
    }
    if (!entry.folded_department.empty()) {
      departments_[entry.folded_department].push_back(index);
    }
  }
  std::sort(tokens_.begin(), tokens_.end(), [this](const Token& a, const Token& b) {
    const auto word_a = word_of(a);
    const auto word_b = word_of(b);
    return std::tie(word_a, a.entry, a.word) < std::tie(word_b, b.entry, b.word);
  });
}

std::span<const DirectoryIndex::Token> DirectoryIndex::tokens_with_prefix(
    std::string_view prefix) const {
  const auto begin = std::lower_bound(
      tokens_.begin(), tokens_.end(), prefix,
      [this](const Token& token, std::string_view value) { return word_of(token) < value; });
  // Folded words are valid UTF-8, which never holds the byte 0xFF: every word that
  // begins with `prefix` sorts before prefix + "\xFF".
  std::string bound(prefix);
  bound.push_back('\xFF');
  const auto end = std::lower_bound(
      begin, tokens_.end(), std::string_view(bound),
      [this](const Token& token, std::string_view value) { return word_of(token) < value; });
  return {begin, end};
}

std::vector<DirectoryIndex::Hit> DirectoryIndex::search(std::span<const std::string> terms,
                                                        KindSet kinds, std::size_t limit) const {
  std::vector<Hit> hits;
  if (terms.empty() || limit == 0) {
    return hits;
  }
  // Drive the search by the term that begins the fewest words.
  std::span<const Token> driver = tokens_with_prefix(terms[0]);
  std::size_t driver_term = 0;
  for (std::size_t index = 1; index < terms.size() && !driver.empty(); ++index) {
    const auto range = tokens_with_prefix(terms[index]);
    if (range.size() < driver.size()) {
      driver = range;
      driver_term = index;
    }
  }
  const std::string& term = terms[driver_term];
  for (const Token& token : driver) {
    const FoldedEntry& entry = entries_[token.entry];
    if (!kinds.has(entry.kind)) {
      continue;
    }
    // An entry with several words that begin with the term is looked at once: at the
    // first of them.
    bool first = true;
    for (std::uint32_t word = 0; word < token.word; ++word) {
      if (entry.words[word].starts_with(term)) {
        first = false;
        break;
      }
    }
    if (!first) {
      continue;
    }
    if (const auto rank = match_entry(entry, terms)) {
      hits.push_back(Hit{token.entry, *rank});
    }
  }
  const auto better = [](const Hit& a, const Hit& b) {
    return std::tie(a.rank, a.entry) < std::tie(b.rank, b.entry);
  };
  if (hits.size() > limit) {
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(limit), hits.end(),
                      better);
    hits.resize(limit);
  } else {
    std::sort(hits.begin(), hits.end(), better);
  }
  return hits;
}

std::span<const std::uint32_t> DirectoryIndex::in_department(
    std::string_view folded_department) const {
  const auto found = departments_.find(std::string(folded_department));
  if (found == departments_.end()) {
    return {};
  }
  return found->second;
}

}  // namespace wl
