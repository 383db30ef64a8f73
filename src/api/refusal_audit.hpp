#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ports/clock.hpp"
#include "ports/records.hpp"
#include "services/identity/rate_limiter.hpp"

namespace wl {
class AuditLog;
}  // namespace wl

namespace wl::api {

class WorkPool;

// An entry for a refusal of someone not (yet) known: no org, no actor, at clock's now.
AuditDraft anonymous_refusal(const Clock& clock, std::string action, std::string target,
                             std::string outcome, std::string detail);

// Writes refusals that anyone can cause without an account (bad or ended tokens,
// throttled logins and sends, unknown routes) to the audit log, bounded per source
// address so that a flood cannot fill the disk: `burst` entries at once, then
// `per_second`. Refusals held back are counted, and the next entry written for that
// address says how many ("suppressed=N"). Never blocks: the entry is written on the
// WorkPool (a full pool counts as held back). Thread-safe. Everything passed in must
// outlive it.
class RefusalAudit {
 public:
  RefusalAudit(AuditLog& audit, WorkPool& pool, const Clock& clock, double per_second,
               double burst);
  RefusalAudit(const RefusalAudit&) = delete;
  RefusalAudit& operator=(const RefusalAudit&) = delete;

  // Records draft (its detail gains "remote=<source>") unless the source is over its
  // budget.
  void record(std::string_view source, AuditDraft draft);

 private:
  // How many were held back for the source since its last entry; resets it.
  std::uint64_t take_suppressed(const std::string& source);
  void count_suppressed(const std::string& source);

  static constexpr std::size_t kMaxSources = 10000;

  AuditLog& audit_;
  WorkPool& pool_;
  RateLimiter budget_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::uint64_t> suppressed_;  // GUARDED_BY(mutex_)
};

}  // namespace wl::api
