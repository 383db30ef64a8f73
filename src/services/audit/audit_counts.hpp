#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace wl {

// How many audit entries the store chained since the server started, by action and
// outcome: for /metrics, the sign-ins and their refusals, the messages sent, every
// refused request (docs/operations.md, "Monitoring"). Noted by the chainer from
// make_audit_chainer on the store's writer thread, inside the write's transaction: an
// entry of a batch that then fails to commit counts too, once per attempt, so the
// counts can run a little ahead of the log, never behind it.
//
// Actions and outcomes are the code's own names, a few hundred pairs at most; past
// kMaxPairs distinct pairs, new ones count under action "other". Thread-safe.
class AuditCounts {
 public:
  static constexpr std::size_t kMaxPairs = 1000;

  struct Count {
    std::string action;
    std::string outcome;
    std::uint64_t count = 0;
  };

  void note(std::string_view action, std::string_view outcome);
  // Every pair counted so far, by action then outcome.
  std::vector<Count> snapshot() const;

 private:
  // Action, then outcome: looked up by string_view, so a pair seen before (nearly
  // every entry) allocates nothing on the writer thread.
  using Outcomes = std::map<std::string, std::uint64_t, std::less<>>;
  mutable std::mutex mutex_;
  std::map<std::string, Outcomes, std::less<>> counts_;  // Guarded by mutex_.
  std::size_t pairs_ = 0;                                // Guarded by mutex_.
};

}  // namespace wl
