#include "services/audit/audit_checkpointer.hpp"

#include <algorithm>
#include <utility>

#include "core/thread_name.hpp"
#include "services/audit/audit_log.hpp"
#include "services/audit/audit_tally.hpp"

namespace wl {

AuditCheckpointer::AuditCheckpointer(AuditLog& log, AuditTally& tally, Options options,
                                     Signed on_signed)
    : log_(log),
      tally_(tally),
      options_(options),
      on_signed_(std::move(on_signed)),
      start_seq_(tally.seq()),
      thread_([this] {
        name_this_thread("wl-audit-sign");
        run();
      }) {}

AuditCheckpointer::~AuditCheckpointer() {
  stopping_.store(true);
  tally_.interrupt();
  thread_.join();
  on_signed_(log_.checkpoint());
}

void AuditCheckpointer::run() {
  const std::int64_t every = std::max<std::int64_t>(options_.every_entries, 1);
  std::int64_t signed_seq = start_seq_;
  std::int64_t woken_at = signed_seq;
  while (!stopping_.load()) {
    // Wake once `every` entries are chained past the last checkpoint, but never twice
    // for the same entries: a chained entry may not be committed yet, and signing the
    // same committed head again at once would spin.
    const std::int64_t mark = std::max(signed_seq + every, woken_at + 1);
    woken_at = tally_.wait(mark, std::chrono::steady_clock::now() + options_.interval);
    if (stopping_.load()) {
      return;
    }
    Result<AuditCheckpoint> checkpoint = log_.checkpoint();
    if (checkpoint) {
      signed_seq = checkpoint->seq;
    }
    on_signed_(checkpoint);
  }
}

}  // namespace wl
