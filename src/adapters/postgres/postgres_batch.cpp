// Committer on PostgreSQL: a WriteBatch is one job for the writer thread, so its
// mutations and audit entries share one savepoint of one group commit.
#include "adapters/postgres/postgres_store.hpp"

#include <utility>
#include <variant>

#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/rows.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

void PostgresStore::commit(WriteBatch batch, CommitHook hook, WriteDone<BatchResult> done) {
  write_async<BatchResult>(
      std::move(hook),
      [batch = std::move(batch)](WriteContext& context) -> Result<BatchResult> {
        BatchResult committed;
        committed.results.reserve(batch.mutations().size());
        for (const Mutation& mutation : batch.mutations()) {
          auto result = std::visit(
              [&context](const auto& one) -> Result<MutationResult> {
                auto applied = apply(context, one);
                if (!applied) {
                  return std::unexpected(applied.error());
                }
                return MutationResult(std::move(*applied));
              },
              mutation);
          committed.results.push_back(WL_TRY(std::move(result)));
        }
        for (const WriteBatch::Audit& audit : batch.audits()) {
          AuditDraft draft = audit.draft;
          if (audit.complete && !audit.complete(draft, committed.results)) {
            continue;
          }
          committed.audited.push_back(WL_TRY(insert_audit(context, draft)));
        }
        return committed;
      },
      std::move(done));
}

}  // namespace wl
