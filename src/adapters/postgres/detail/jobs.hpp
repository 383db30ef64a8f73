#pragma once

// How the PostgreSQL adapter's writes reach its writer thread: a blocking write (the
// caller waits for the batch's commit) and an asynchronous one (a callback gets the
// result on the writer thread). Internal to the adapter; included by postgres_*.cpp.

#include <memory>
#include <utility>

#include "adapters/postgres/detail/rows.hpp"
#include "adapters/postgres/detail/writer.hpp"
#include "adapters/postgres/postgres_store.hpp"

namespace wl {
namespace detail::pg {

// A blocking write and an asynchronous one, on this adapter's WriteContext
// (adapters/common/batch_queue.hpp).
template <typename T, typename Body>
using TypedJob = TypedBatchJob<T, Body, WriteContext>;
template <typename T, typename Body>
using AsyncJob = AsyncBatchJob<T, Body, WriteContext>;

}  // namespace detail::pg

template <typename T, typename Body>
void PostgresStore::write_async(CommitHook hook, Body body, WriteDone<T> done,
                                std::chrono::milliseconds max_wait, bool ahead) {
  writer_->submit_async(std::make_unique<detail::pg::AsyncJob<T, Body>>(
                            std::move(body), std::move(hook), std::move(done)),
                        max_wait, ahead);
}

template <typename T, typename Body>
Result<T> PostgresStore::write(const CommitHook* hook, Body body, bool ahead) {
  detail::pg::TypedJob<T, Body> job(body, hook);
  writer_->submit(job, ahead);
  return job.take();
}

}  // namespace wl
