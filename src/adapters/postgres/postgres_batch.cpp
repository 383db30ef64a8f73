// Committer on PostgreSQL: a WriteBatch is one job for the writer thread, so its
// mutations and audit entries share one savepoint of one group commit.
#include "adapters/postgres/postgres_store.hpp"

#include <utility>

#include "adapters/common/apply_batch.hpp"
#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/rows.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

void PostgresStore::commit(WriteBatch batch, CommitHook hook, WriteDone<BatchResult> done) {
  const std::chrono::milliseconds max_wait = batch.max_wait();
  const bool ahead = batch.ahead();
  write_async<BatchResult>(
      std::move(hook),
      [batch = std::move(batch)](WriteContext& context) -> Result<BatchResult> {
        return detail::apply_batch(context, batch);
      },
      std::move(done), max_wait, ahead);
}

}  // namespace wl
