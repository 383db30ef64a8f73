#include "api/refusal_audit.hpp"

#include <fmt/format.h>

#include "api/work_pool.hpp"
#include "core/log.hpp"
#include "services/audit/audit_log.hpp"

namespace wl::api {

AuditDraft anonymous_refusal(const Clock& clock, std::string action, std::string target,
                             std::string outcome, std::string detail) {
  return AuditDraft{clock.now(),       OrgId(),           UserId(),           DeviceId(),
                    std::move(action), std::move(target), std::move(outcome), std::move(detail)};
}

RefusalAudit::RefusalAudit(AuditLog& audit, WorkPool& pool, const Clock& clock, double per_second,
                           double burst)
    : audit_(audit), pool_(pool), budget_(clock, per_second, burst) {}

void RefusalAudit::record(std::string_view source, AuditDraft draft) {
  const std::string key(source);
  if (!budget_.try_acquire(key)) {
    count_suppressed(key);
    return;
  }
  const std::uint64_t suppressed = take_suppressed(key);
  draft.detail = fmt::format("{}{}remote={}", draft.detail, draft.detail.empty() ? "" : " ", key);
  if (suppressed > 0) {
    draft.detail += fmt::format(" suppressed={}", suppressed);
  }
  const bool queued = pool_.try_submit([this, draft = std::move(draft)]() mutable {
    // The request was refused either way; an operator must learn that the trail is not
    // being written.
    if (auto written = audit_.record(std::move(draft)); !written) {
      log::get("audit")->error("cannot audit a refusal: {}", written.error().to_string());
    }
  });
  if (!queued) {
    count_suppressed(key);
  }
}

std::uint64_t RefusalAudit::take_suppressed(const std::string& source) {
  std::lock_guard lock(mutex_);
  const auto found = suppressed_.find(source);
  if (found == suppressed_.end()) {
    return 0;
  }
  const std::uint64_t count = found->second;
  suppressed_.erase(found);
  return count;
}

void RefusalAudit::count_suppressed(const std::string& source) {
  std::lock_guard lock(mutex_);
  if (suppressed_.size() >= kMaxSources && !suppressed_.contains(source)) {
    // Beyond this many flooding sources the counts of new ones are not kept.
    return;
  }
  ++suppressed_[source];
}

}  // namespace wl::api
