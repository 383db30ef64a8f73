#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include "core/status.hpp"
#include "ports/records.hpp"

namespace wl {

class AuditLog;
class AuditTally;

// Signs an AuditLog's checkpoints on its own thread, so that neither the store's writer
// nor an io thread waits for a signature or for the checkpoint's write
// (docs/audit_chain.md, "When checkpoints are signed"): every `interval`, re-signing
// an idle head so the newest checkpoint stays recent; soon after `every_entries`
// entries have been chained past the last checkpoint, as counted by the tally the
// store's chainer feeds; and once more when destroyed, for a clean stop. Entries
// chained before construction count as signed: sign them before starting this.
//
// Each checkpoint's result goes to `on_signed` on the signing thread (the destructor's
// thread for the last one); it must not block for long. Construct and destroy on one
// thread.
class AuditCheckpointer {
 public:
  struct Options {
    std::chrono::milliseconds interval = std::chrono::seconds(10);
    std::int64_t every_entries = 1000;  // At least 1.
  };
  using Signed = std::function<void(const Result<AuditCheckpoint>&)>;

  // `log` and `tally` must outlive the checkpointer; `tally` must be the one given to
  // the chainer of the store `log` writes to.
  AuditCheckpointer(AuditLog& log, AuditTally& tally, Options options, Signed on_signed);
  // Stops the thread, then signs the head one last time (blocks on the store).
  ~AuditCheckpointer();
  AuditCheckpointer(const AuditCheckpointer&) = delete;
  AuditCheckpointer& operator=(const AuditCheckpointer&) = delete;

 private:
  void run();

  AuditLog& log_;
  AuditTally& tally_;
  const Options options_;
  const Signed on_signed_;
  const std::int64_t start_seq_;  // The tally at construction: counted as signed.
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace wl
