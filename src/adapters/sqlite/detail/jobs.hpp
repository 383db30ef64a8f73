#pragma once

// How the SQLite adapter's writes reach its writer thread: a blocking write (the
// caller waits for the batch's commit) and an asynchronous one (a callback gets the
// result on the writer thread). Internal to the adapter; included by sqlite_*.cpp.

#include <memory>
#include <utility>

#include "adapters/sqlite/detail/rows.hpp"
#include "adapters/sqlite/detail/writer.hpp"
#include "adapters/sqlite/sqlite_store.hpp"

namespace wl {
namespace detail {

// A blocking write and an asynchronous one, on this adapter's WriteContext
// (adapters/common/batch_queue.hpp).
template <typename T, typename Body>
using TypedJob = TypedBatchJob<T, Body, WriteContext>;
template <typename T, typename Body>
using AsyncJob = AsyncBatchJob<T, Body, WriteContext>;

}  // namespace detail

template <typename T, typename Body>
void SqliteStore::write_async(CommitHook hook, Body body, WriteDone<T> done,
                              std::chrono::milliseconds max_wait, bool ahead) {
  if (writer_ == nullptr) {
    done(error(Code::kFailedPrecondition, "store: opened read-only"));
    return;
  }
  writer_->submit_async(std::make_unique<detail::AsyncJob<T, Body>>(
                            std::move(body), std::move(hook), std::move(done)),
                        max_wait, ahead);
}

template <typename T, typename Body>
Result<T> SqliteStore::write(const CommitHook* hook, Body body, bool ahead) {
  if (writer_ == nullptr) {
    return error(Code::kFailedPrecondition, "store: opened read-only");
  }
  detail::TypedJob<T, Body> job(body, hook);
  writer_->submit(job, ahead);
  return job.take();
}

}  // namespace wl
