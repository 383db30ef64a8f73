#include "api/schedule_imports.hpp"

#include <utility>

#include "api/work_pool.hpp"

namespace wl::api {

Result<ImportStatus> ScheduleImports::start(const Principal& actor, ScheduleImport file) {
  WL_TRY(routing_.check_import(actor));
  auto status = std::make_shared<ImportStatus>();
  {
    const std::lock_guard lock(mutex_);
    if (running_ >= kMaxRunning) {
      return error(Code::kResourceExhausted,
                   "other schedule imports are running: try again when they finish");
    }
    status->id = next_id_++;
    status->org = actor.org;
    ++running_;
    kept_.push_back(status);
    if (kept_.size() > kKept) {
      kept_.pop_front();
    }
  }
  const ImportStatus started = *status;
  const bool queued = pool_.try_submit([this, status, actor, file = std::move(file)]() mutable {
    run(std::move(status), std::move(actor), std::move(file));
  });
  if (!queued) {
    const std::lock_guard lock(mutex_);
    --running_;
    std::erase(kept_, status);
    return error(Code::kUnavailable, "the server is busy: retry shortly");
  }
  return started;
}

void ScheduleImports::run(std::shared_ptr<ImportStatus> status, Principal actor,
                          ScheduleImport file) {
  auto report =
      routing_.import_schedule(actor, file, [this, &status](std::size_t done, std::size_t total) {
        const std::lock_guard lock(mutex_);
        status->done = done;
        status->total = total;
      });
  const std::lock_guard lock(mutex_);
  --running_;
  if (report) {
    status->state = ImportStatus::State::kDone;
    status->report = std::move(*report);
  } else {
    status->state = ImportStatus::State::kFailed;
    status->error = report.error();
  }
}

Result<ImportStatus> ScheduleImports::find(const Principal& actor, std::int64_t id) const {
  const std::lock_guard lock(mutex_);
  for (const auto& status : kept_) {
    if (status->id == id && status->org == actor.org) {
      return *status;
    }
  }
  return error(Code::kNotFound, "no such import (imports are kept on the server that ran them)");
}

}  // namespace wl::api
