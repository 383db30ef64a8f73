#pragma once

#include <map>
#include <mutex>
#include <utility>

#include "ports/key_store.hpp"

namespace wl::testing {

// The KeyStore port, in memory. put_data_key refuses an existing
// (org, key id) with AlreadyExists, like the real stores' primary key.
class FakeKeyStore final : public KeyStore {
 public:
  Result<void> put_data_key(const DataKeyRecord& key) override {
    std::lock_guard lock(mutex_);
    if (fail_next_put_) {
      fail_next_put_ = false;
      return std::unexpected(Status(Code::kUnavailable, "injected failure"));
    }
    if (!keys_.emplace(std::pair(key.org_id, key.key_id), key).second) {
      return std::unexpected(Status(Code::kAlreadyExists, "data key exists"));
    }
    return {};
  }

  Result<std::vector<DataKeyRecord>> list_data_keys() override {
    std::lock_guard lock(mutex_);
    std::vector<DataKeyRecord> keys;
    for (const auto& [id, key] : keys_) {
      keys.push_back(key);
    }
    return keys;
  }

  Result<void> rewrap_data_keys(std::span<const DataKeyRecord> keys) override {
    std::lock_guard lock(mutex_);
    for (const DataKeyRecord& key : keys) {
      if (!keys_.contains(std::pair(key.org_id, key.key_id))) {
        return std::unexpected(Status(Code::kNotFound, "no such data key"));
      }
    }
    for (const DataKeyRecord& key : keys) {
      keys_[std::pair(key.org_id, key.key_id)].wrapped = key.wrapped;
    }
    ++rewrap_calls_;
    return {};
  }

  // Crypto-shreds a key the way retention will: the wrapped form is erased.
  void destroy_for_test(OrgId org, std::uint32_t key_id) {
    std::lock_guard lock(mutex_);
    DataKeyRecord& key = keys_.at(std::pair(org, key_id));
    key.wrapped.clear();
    key.destroyed = true;
  }

  void fail_next_put_for_test() {
    std::lock_guard lock(mutex_);
    fail_next_put_ = true;
  }

  std::vector<DataKeyRecord> keys_for_test() { return list_data_keys().value(); }

  int rewrap_calls_for_test() {
    std::lock_guard lock(mutex_);
    return rewrap_calls_;
  }

 private:
  std::mutex mutex_;
  std::map<std::pair<OrgId, std::uint32_t>, DataKeyRecord> keys_;
  bool fail_next_put_ = false;
  int rewrap_calls_ = 0;
};

}  // namespace wl::testing
