#include "services/audit/audit_counts.hpp"

namespace wl {

void AuditCounts::note(std::string_view action, std::string_view outcome) {
  std::pair<std::string, std::string> key{std::string(action), std::string(outcome)};
  const std::lock_guard lock(mutex_);
  auto found = counts_.find(key);
  if (found != counts_.end()) {
    ++found->second;
    return;
  }
  if (counts_.size() >= kMaxPairs) {
    key.first = "other";
  }
  ++counts_[std::move(key)];
}

std::vector<AuditCounts::Count> AuditCounts::snapshot() const {
  const std::lock_guard lock(mutex_);
  std::vector<Count> counts;
  counts.reserve(counts_.size());
  for (const auto& [key, count] : counts_) {
    counts.push_back(Count{key.first, key.second, count});
  }
  return counts;
}

}  // namespace wl
