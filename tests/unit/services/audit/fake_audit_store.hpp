#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "ports/audit_store.hpp"

namespace wl::testing {

// The rows of an audit log in memory: entries by chain and seq, and the checkpoints,
// as database tables would hold them. Shared by the FakeAuditStores of one "database".
struct FakeAuditTables {
  std::mutex mutex;
  std::map<std::int64_t, std::map<std::int64_t, AuditEntry>> chains;  // GUARDED_BY(mutex)
  std::vector<AuditCheckpoint> checkpoints;                           // GUARDED_BY(mutex)
};

// The AuditStore port, in memory, appending to chain `chain` of `tables` and chaining
// with the AuditChainer it is given like the real adapters. Tests reach the stored rows
// through the _for_test hooks to simulate someone editing the database directly.
class FakeAuditStore final : public AuditStore {
 public:
  explicit FakeAuditStore(
      AuditChainer chainer,
      std::shared_ptr<FakeAuditTables> tables = std::make_shared<FakeAuditTables>(),
      std::int64_t chain = 1)
      : chainer_(std::move(chainer)), tables_(std::move(tables)), chain_(chain) {}

  std::int64_t audit_chain() const override { return chain_; }

  Result<std::vector<std::int64_t>> list_audit_chains() override {
    std::lock_guard lock(tables_->mutex);
    std::vector<std::int64_t> chains;
    for (const auto& [chain, entries] : tables_->chains) {
      if (!entries.empty()) {
        chains.push_back(chain);
      }
    }
    return chains;
  }

  Result<AuditEntry> append_audit(const AuditDraft& draft) override {
    std::lock_guard lock(tables_->mutex);
    auto& entries = tables_->chains[chain_];
    AuditEntry entry;
    entry.chain = chain_;
    entry.draft = draft;
    if (entries.empty()) {
      entry.seq = 1;
      entry.prev_hash = std::string(32, '\0');
    } else {
      entry.seq = entries.rbegin()->first + 1;
      entry.prev_hash = entries.rbegin()->second.hash;
    }
    entry.hash = chainer_(entry);
    entries[entry.seq] = entry;
    return entry;
  }

  void append_audit_async(AuditDraft draft, WriteDone<AuditEntry> done) override {
    done(append_audit(draft));
  }

  Result<std::vector<AuditEntry>> read_audit(std::int64_t after, std::size_t limit) override {
    return read_audit_chain(chain_, after, limit);
  }

  Result<std::vector<AuditEntry>> read_audit_chain(std::int64_t chain, std::int64_t after,
                                                   std::size_t limit) override {
    std::lock_guard lock(tables_->mutex);
    std::vector<AuditEntry> page;
    const auto& entries = tables_->chains[chain];
    for (auto it = entries.upper_bound(after); it != entries.end() && page.size() < limit; ++it) {
      page.push_back(it->second);
    }
    ++read_calls_;
    return page;
  }

  // As the SQLite store: a later signature of the same head replaces the stored one.
  Result<void> put_audit_checkpoint(const AuditCheckpoint& checkpoint) override {
    std::lock_guard lock(tables_->mutex);
    for (AuditCheckpoint& stored : tables_->checkpoints) {
      if (stored.chain == checkpoint.chain && stored.seq == checkpoint.seq) {
        if (stored.hash != checkpoint.hash) {
          return error(Code::kAlreadyExists, "another audit checkpoint at this seq");
        }
        if (stored.at < checkpoint.at) {
          stored = checkpoint;
        }
        return {};
      }
    }
    tables_->checkpoints.push_back(checkpoint);
    return {};
  }

  Result<std::vector<AuditCheckpoint>> list_audit_checkpoints() override {
    std::lock_guard lock(tables_->mutex);
    return tables_->checkpoints;
  }

  // This store's chain's rows keyed by seq, and every checkpoint. Not thread-safe: use
  // only while no other thread touches the store.
  std::map<std::int64_t, AuditEntry>& entries_for_test() { return tables_->chains[chain_]; }
  std::vector<AuditCheckpoint>& checkpoints_for_test() { return tables_->checkpoints; }
  int read_calls_for_test() const { return read_calls_; }
  // The tables, to open another store on the same "database".
  const std::shared_ptr<FakeAuditTables>& tables_for_test() const { return tables_; }

  // Rewrites seq `from` onward so that every hash and link is consistent again, as an
  // attacker who knows the (public) chain rule would after an edit.
  void rechain_from_for_test(std::int64_t from) {
    auto& entries = entries_for_test();
    for (auto it = entries.lower_bound(from); it != entries.end(); ++it) {
      auto previous = entries.find(it->first - 1);
      it->second.prev_hash =
          previous == entries.end() ? std::string(32, '\0') : previous->second.hash;
      it->second.hash = chainer_(it->second);
    }
  }

 private:
  AuditChainer chainer_;
  std::shared_ptr<FakeAuditTables> tables_;
  std::int64_t chain_;
  int read_calls_ = 0;
};

}  // namespace wl::testing
