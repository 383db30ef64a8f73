#include "services/directory/directory_index.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
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
  for (std::uint32_t index = 0; index < tokens_.size(); ++index) {
    if (index == 0 || word_of(tokens_[index]) != word_of(tokens_[index - 1])) {
      runs_.push_back(index);
    }
  }
  runs_.push_back(static_cast<std::uint32_t>(tokens_.size()));
}

std::span<const DirectoryIndex::Token> DirectoryIndex::tokens_equal(std::string_view word) const {
  const auto less = [this](const Token& token, std::string_view value) {
    return word_of(token) < value;
  };
  const auto begin = std::lower_bound(tokens_.begin(), tokens_.end(), word, less);
  auto end = begin;
  // One run: find its end among the run starts.
  if (begin != tokens_.end() && word_of(*begin) == word) {
    const auto offset = static_cast<std::uint32_t>(begin - tokens_.begin());
    const auto run = std::upper_bound(runs_.begin(), runs_.end(), offset);
    end = tokens_.begin() + *run;
  }
  return {begin, end};
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
  // Each rank in entry (name) order, best rank first; a rank is read only while the
  // ranks before it did not fill the limit, so it then holds all of theirs.
  const auto take = [&](std::uint32_t entry, MatchRank wanted) {
    const FoldedEntry& found = entries_[entry];
    if (!kinds.has(found.kind) || match_entry(found, terms) != wanted) {
      return;
    }
    hits.push_back(Hit{entry, wanted});
  };

  // Exact: every term a whole word of the name. From the run of tokens equal to the
  // term with the fewest; an entry with that word twice in its name comes twice in a
  // row, once taken.
  std::span<const Token> exact = tokens_equal(terms[0]);
  for (std::size_t index = 1; index < terms.size() && !exact.empty(); ++index) {
    const auto run = tokens_equal(terms[index]);
    if (run.size() < exact.size()) {
      exact = run;
    }
  }
  std::uint32_t previous = UINT32_MAX;
  for (const Token& token : exact) {
    if (hits.size() == limit) {
      return hits;
    }
    if (token.word < entries_[token.entry].name_words && token.entry != previous) {
      previous = token.entry;
      take(token.entry, MatchRank::kExact);
    }
  }

  // First word: the name begins with the first term, so the folded name does (a term
  // holds no space), and those entries are one range of the sorted entries.
  const std::string& first = terms[0];
  auto by_name = [](const FoldedEntry& entry, std::string_view value) {
    return std::string_view(entry.folded_name) < value;
  };
  const auto name_begin = std::lower_bound(entries_.begin(), entries_.end(), first, by_name);
  for (auto entry = name_begin; entry != entries_.end() && entry->folded_name.starts_with(first);
       ++entry) {
    if (hits.size() == limit) {
      return hits;
    }
    take(static_cast<std::uint32_t>(entry - entries_.begin()), MatchRank::kFirstWord);
  }

  // Other words: the tokens that begin with the rarest term, one run per distinct word,
  // each in entry order, merged with a heap so that entries come in name order.
  std::span<const Token> driver = tokens_with_prefix(terms[0]);
  for (std::size_t index = 1; index < terms.size() && !driver.empty(); ++index) {
    const auto range = tokens_with_prefix(terms[index]);
    if (range.size() < driver.size()) {
      driver = range;
    }
  }
  if (driver.empty()) {
    return hits;
  }
  const auto driver_begin = static_cast<std::uint32_t>(driver.data() - tokens_.data());
  const auto driver_end = static_cast<std::uint32_t>(driver_begin + driver.size());
  // The runs inside [driver_begin, driver_end): the range starts and ends on run starts.
  auto run = std::lower_bound(runs_.begin(), runs_.end(), driver_begin);
  struct Cursor {
    std::uint32_t at;
    std::uint32_t end;
  };
  std::vector<Cursor> heap;
  for (; run + 1 != runs_.end() && *run < driver_end; ++run) {
    heap.push_back(Cursor{*run, *(run + 1)});
  }
  const auto later = [this](const Cursor& a, const Cursor& b) {
    return tokens_[a.at].entry > tokens_[b.at].entry;
  };
  std::make_heap(heap.begin(), heap.end(), later);
  previous = UINT32_MAX;
  while (!heap.empty() && hits.size() < limit) {
    std::pop_heap(heap.begin(), heap.end(), later);
    Cursor& cursor = heap.back();
    const std::uint32_t entry = tokens_[cursor.at].entry;
    if (entry != previous) {
      previous = entry;
      take(entry, MatchRank::kWord);
    }
    if (++cursor.at == cursor.end) {
      heap.pop_back();
    } else {
      std::push_heap(heap.begin(), heap.end(), later);
    }
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
