#include "services/audit/audit_counts.hpp"

namespace wl {

void AuditCounts::note(std::string_view action, std::string_view outcome) {
  const std::lock_guard lock(mutex_);
  const auto counted = [&](std::string_view name) {
    const auto by_action = counts_.find(name);
    if (by_action == counts_.end()) {
      return false;
    }
    const auto found = by_action->second.find(outcome);
    if (found == by_action->second.end()) {
      return false;
    }
    ++found->second;
    return true;
  };
  if (counted(action)) {
    return;
  }
  if (pairs_ >= kMaxPairs) {
    action = "other";  // A new pair past the bound.
    if (counted(action)) {
      return;
    }
  }
  auto by_action = counts_.find(action);
  if (by_action == counts_.end()) {
    by_action = counts_.emplace(std::string(action), Outcomes()).first;
  }
  by_action->second.emplace(std::string(outcome), 1);
  ++pairs_;
}

std::vector<AuditCounts::Count> AuditCounts::snapshot() const {
  const std::lock_guard lock(mutex_);
  std::vector<Count> counts;
  counts.reserve(pairs_);
  for (const auto& [action, outcomes] : counts_) {
    for (const auto& [outcome, count] : outcomes) {
      counts.push_back(Count{action, outcome, count});
    }
  }
  return counts;
}

}  // namespace wl
