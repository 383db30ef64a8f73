#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "core/status.hpp"
#include "services/identity/principal.hpp"
#include "services/routing/routing_service.hpp"

namespace wl::api {

class WorkPool;

// Where one schedule import stands, for the importer to show progress.
struct ImportStatus {
  enum class State { kRunning, kDone, kFailed };
  std::int64_t id = 0;
  OrgId org;
  State state = State::kRunning;
  std::size_t done = 0;         // Shift rows written so far...
  std::size_t total = 0;        // ...of these (0 until the file is read).
  ImportReport report;          // kDone.
  std::optional<Status> error;  // kFailed.
};

// Schedule imports running on the work pool, so that a 100,000-shift file neither holds
// an HTTP request open nor blocks an io thread: start() checks the caller and queues
// the import, and the importer polls find() for its progress and report. At most
// kMaxRunning run at once and the newest kKept are kept; they live in this node's
// memory (a re-import after a restart changes nothing it had finished). Thread-safe.
class ScheduleImports {
 public:
  static constexpr std::size_t kMaxRunning = 2;
  static constexpr std::size_t kKept = 32;

  ScheduleImports(RoutingService& routing, WorkPool& pool) : routing_(routing), pool_(pool) {}

  // Errors: PermissionDenied (audited); ResourceExhausted when kMaxRunning are running;
  // Unavailable if the pool is full or stopping.
  Result<ImportStatus> start(const Principal& actor, ScheduleImport file);
  // An import of the actor's org. Errors: NotFound.
  Result<ImportStatus> find(const Principal& actor, std::int64_t id) const;

 private:
  void run(std::shared_ptr<ImportStatus> status, Principal actor, ScheduleImport file);

  RoutingService& routing_;
  WorkPool& pool_;
  mutable std::mutex mutex_;
  std::int64_t next_id_ = 1;                        // GUARDED_BY(mutex_)
  std::size_t running_ = 0;                         // GUARDED_BY(mutex_)
  std::deque<std::shared_ptr<ImportStatus>> kept_;  // GUARDED_BY(mutex_), oldest first
};

}  // namespace wl::api
