// Message search (docs/search.md): the tokens of a message's words, the search of the
// caller's messages, and the backfill of messages sent before search existed.
#include "services/messaging/message_search.hpp"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "core/crypto/encoding.hpp"
#include "core/log.hpp"
#include "core/utf8.hpp"
#include "services/audit/audit_log.hpp"
#include "services/directory/text_fold.hpp"
#include "services/identity/rate_limiter.hpp"
#include "services/keys/key_ring.hpp"
#include "services/messaging/messaging_service.hpp"
#include "services/messaging/records.hpp"

namespace wl {

namespace messaging {

std::vector<std::string> distinct_words(std::string_view text) {
  std::vector<std::string> words = fold_words(text);
  std::unordered_set<std::string_view> seen;
  std::vector<std::string> distinct;
  distinct.reserve(words.size());
  for (std::string& word : words) {
    if (seen.insert(word).second) {
      distinct.push_back(std::move(word));
    }
  }
  return distinct;
}

Result<std::vector<std::string>> word_tokens(KeyRing& keys, OrgId org,
                                             const std::vector<std::string>& words) {
  std::vector<std::string> tokens;
  tokens.reserve(words.size());
  std::string text(kWordTokenPrefix);
  for (const std::string& word : words) {
    text.resize(kWordTokenPrefix.size());
    text += word;
    // blind_token gives the whole HMAC in base64url; the index keeps its first 16 bytes.
    std::string digest = WL_TRY(crypto::base64url_decode(WL_TRY(keys.blind_token(org, text))));
    digest.resize(kSearchTokenBytes);
    tokens.push_back(std::move(digest));
  }
  return tokens;
}

}  // namespace messaging

namespace {

std::string search_target(PatientId patient) {
  return patient.is_set() ? fmt::format("patient:{}", patient.value()) : std::string("messages");
}

}  // namespace

Result<MessageSearchPage> MessagingService::search_messages(const Principal& actor,
                                                            const MessageSearchRequest& request) {
  if (request.limit == 0 || request.limit > limits_.max_search_page) {
    return error(Code::kInvalidArgument,
                 fmt::format("limit must be 1 to {}", limits_.max_search_page));
  }
  if (request.text.size() > limits_.max_search_query_bytes) {
    return error(Code::kInvalidArgument,
                 fmt::format("q is at most {} bytes", limits_.max_search_query_bytes));
  }
  if (!is_valid_utf8(request.text)) {
    return error(Code::kInvalidArgument, "q is not valid UTF-8");
  }
  MessageSearchPage page;
  page.words = messaging::distinct_words(request.text);
  if (page.words.size() > limits_.max_search_words) {
    return error(Code::kInvalidArgument,
                 fmt::format("q has at most {} words", limits_.max_search_words));
  }
  if (page.words.empty() && !request.patient.is_set()) {
    return error(Code::kInvalidArgument, "q needs a word (letters or digits) or a patient_id");
  }
  if (!searches_->try_acquire(fmt::format("user:{}", actor.user.value()))) {
    WL_TRY(
        audit(actor, "message.search", search_target(request.patient), "denied", "rate_limited"));
    return error(Code::kResourceExhausted, "too many searches: wait a moment and try again");
  }
  MessageQuery query;
  query.user = actor.user;
  query.tokens = WL_TRY(messaging::word_tokens(keys_, actor.org, page.words));
  query.patient = request.patient;
  query.before = request.before;
  // One more than asked tells whether there is a next page.
  query.limit = request.limit + 1;
  std::vector<Event> found = WL_TRY(log_.search_messages(query));
  const bool more = found.size() > request.limit;
  found.resize(std::min(found.size(), request.limit));
  page.hits.reserve(found.size());
  for (const Event& event : found) {
    page.hits.push_back(WL_TRY(open_event(event)));
  }
  if (more) {
    page.next_before = page.hits.back().event.id;
  }
  // The words are not audited, not even as tokens: a token is the same for every search
  // of that word, so a log of them would let the reader of the audit link searches.
  WL_TRY(audit(actor, "message.search", search_target(request.patient), "ok",
               fmt::format("words={} hits={}", page.words.size(), page.hits.size())));
  return page;
}

Result<std::vector<std::string>> MessagingService::search_tokens_of(const Event& message) {
  const OpenedEvent opened = WL_TRY(open_event(message));
  return messaging::word_tokens(keys_, message.org_id, messaging::distinct_words(opened.body));
}

Result<std::size_t> MessagingService::index_messages_sent_before_search() {
  auto logger = log::get("store");
  std::size_t indexed = 0;
  while (true) {
    const std::vector<Event> batch =
        WL_TRY(log_.list_unindexed_messages(limits_.search_backfill_batch));
    if (batch.empty()) {
      break;
    }
    IndexMessages write;
    write.messages.reserve(batch.size());
    for (const Event& message : batch) {
      auto tokens = search_tokens_of(message);
      if (!tokens && tokens.error().code() == Code::kNotFound) {
        // Its data key was destroyed (crypto-shredded): there is nothing left to find.
        tokens = std::vector<std::string>();
      }
      write.messages.push_back(
          IndexedMessage{message.id, message.thread_id, WL_TRY(std::move(tokens))});
    }
    // Newest first: every message from the batch's last (oldest) one up is indexed now.
    write.below = batch.back().id;
    WL_TRY(commit_one<std::monostate>(committer_, std::move(write)));
    indexed += batch.size();
    logger->info("search backfill: {} messages indexed, those below message {} remain", indexed,
                 batch.back().id.value());
  }
  if (indexed > 0) {
    logger->info("search backfill: done, {} messages indexed", indexed);
  }
  return indexed;
}

}  // namespace wl
