#pragma once

// How the PostgreSQL adapter's writes reach its writer thread: a blocking write (the
// caller waits for the batch's commit) and an asynchronous one (a callback gets the
// result on the writer thread). Internal to the adapter; included by postgres_*.cpp.

#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "adapters/postgres/detail/rows.hpp"
#include "adapters/postgres/detail/writer.hpp"
#include "adapters/postgres/postgres_store.hpp"

namespace wl {
namespace detail::pg {

// A write submitted to the writer: runs `body` and keeps its result for the caller.
template <typename T, typename Body>
class TypedJob final : public WriteJob {
 public:
  TypedJob(Body& body, const CommitHook* hook) : body_(body), hook_(hook) {}

  Result<void> run(WriteContext& context) override {
    events_.clear();
    committed_.clear();
    context.events = &events_;
    result_.emplace(body_(context));
    if (*result_ && hook_ != nullptr && *hook_ && !events_.empty()) {
      auto committed = with_recipients(context.connection, events_);
      if (committed) {
        committed_ = std::move(*committed);
      } else {
        result_.emplace(std::unexpected(committed.error()));
      }
    }
    if (!*result_) {
      committed_.clear();
      return std::unexpected(result_->error());
    }
    return ok();
  }

  void fail(const Status& status) override {
    committed_.clear();
    result_.emplace(std::unexpected(status));
  }

  void on_committed() override {
    if (hook_ != nullptr && *hook_ && result_ && *result_ && !committed_.empty()) {
      (*hook_)(std::span<const CommittedEvent>(committed_));
    }
  }

  Result<T> take() {
    if (!result_) {
      return error(Code::kInternal, "store: write did not run");
    }
    return std::move(*result_);
  }

 private:
  Body& body_;
  const CommitHook* hook_;
  std::optional<Result<T>> result_;
  std::vector<Event> events_;              // What the write created, for its result.
  std::vector<CommittedEvent> committed_;  // The same with recipients, for the hook.
};

// An asynchronous write: owns its body, hook and completion. The writer destroys it
// after complete().
template <typename T, typename Body>
class AsyncJob final : public WriteJob {
 public:
  AsyncJob(Body body, CommitHook hook, WriteDone<T> done)
      : body_(std::move(body)),
        hook_(std::move(hook)),
        done_(std::move(done)),
        job_(body_, hook_ ? &hook_ : nullptr) {}

  Result<void> run(WriteContext& context) override { return job_.run(context); }
  void fail(const Status& status) override { job_.fail(status); }
  void on_committed() override { job_.on_committed(); }
  void complete() override { done_(job_.take()); }

 private:
  Body body_;
  CommitHook hook_;
  WriteDone<T> done_;
  TypedJob<T, Body> job_;  // Last: refers to body_ and hook_.
};

}  // namespace detail::pg

template <typename T, typename Body>
void PostgresStore::write_async(CommitHook hook, Body body, WriteDone<T> done) {
  writer_->submit_async(std::make_unique<detail::pg::AsyncJob<T, Body>>(
      std::move(body), std::move(hook), std::move(done)));
}

template <typename T, typename Body>
Result<T> PostgresStore::write(const CommitHook* hook, Body body) {
  detail::pg::TypedJob<T, Body> job(body, hook);
  writer_->submit(job);
  return job.take();
}

}  // namespace wl
