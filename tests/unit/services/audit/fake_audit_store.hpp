#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

#include "ports/audit_store.hpp"

namespace wl::testing {

// The AuditStore port, in memory, chaining with the AuditChainer it is
// given like the real adapters. Tests reach the stored rows through the _for_test
// hooks to simulate someone editing the database directly.
class FakeAuditStore final : public AuditStore {
 public:
  explicit FakeAuditStore(AuditChainer chainer) : chainer_(std::move(chainer)) {}

  Result<AuditEntry> append_audit(const AuditDraft& draft) override {
    std::lock_guard lock(mutex_);
    AuditEntry entry;
    entry.draft = draft;
    if (entries_.empty()) {
      entry.seq = 1;
      entry.prev_hash = std::string(32, '\0');
    } else {
      entry.seq = entries_.rbegin()->first + 1;
      entry.prev_hash = entries_.rbegin()->second.hash;
    }
    entry.hash = chainer_(entry);
    entries_[entry.seq] = entry;
    return entry;
  }

  void append_audit_async(AuditDraft draft, WriteDone<AuditEntry> done) override {
    done(append_audit(draft));
  }

  Result<std::vector<AuditEntry>> read_audit(std::int64_t after, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    std::vector<AuditEntry> page;
    for (auto it = entries_.upper_bound(after); it != entries_.end() && page.size() < limit;
         ++it) {
      page.push_back(it->second);
    }
    ++read_calls_;
    return page;
  }

  // As the SQLite store: a later signature of the same head replaces the stored one.
  Result<void> put_audit_checkpoint(const AuditCheckpoint& checkpoint) override {
    std::lock_guard lock(mutex_);
    for (AuditCheckpoint& stored : checkpoints_) {
      if (stored.seq == checkpoint.seq) {
        if (stored.hash != checkpoint.hash) {
          return error(Code::kAlreadyExists, "another audit checkpoint at this seq");
        }
        if (stored.at < checkpoint.at) {
          stored = checkpoint;
        }
        return {};
      }
    }
    checkpoints_.push_back(checkpoint);
    return {};
  }

  Result<std::vector<AuditCheckpoint>> list_audit_checkpoints() override {
    std::lock_guard lock(mutex_);
    return checkpoints_;
  }

  // Rows keyed by seq, as a database table would hold them. Not thread-safe: use only
  // while no other thread touches the store.
  std::map<std::int64_t, AuditEntry>& entries_for_test() { return entries_; }
  std::vector<AuditCheckpoint>& checkpoints_for_test() { return checkpoints_; }
  int read_calls_for_test() const { return read_calls_; }

  // Rewrites seq `from` onward so that every hash and link is consistent again, as an
  // attacker who knows the (public) chain rule would after an edit.
  void rechain_from_for_test(std::int64_t from) {
    for (auto it = entries_.lower_bound(from); it != entries_.end(); ++it) {
      auto previous = entries_.find(it->first - 1);
      it->second.prev_hash =
          previous == entries_.end() ? std::string(32, '\0') : previous->second.hash;
      it->second.hash = chainer_(it->second);
    }
  }

 private:
  AuditChainer chainer_;
  std::mutex mutex_;
  std::map<std::int64_t, AuditEntry> entries_;
  std::vector<AuditCheckpoint> checkpoints_;
  int read_calls_ = 0;
};

}  // namespace wl::testing
