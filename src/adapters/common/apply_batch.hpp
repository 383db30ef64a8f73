#pragma once

// How both store adapters write a WriteBatch (ports/write_batch.hpp) inside one job of
// their writer: each mutation through the adapter's apply() overload for it, in order,
// then the audit entries, each completed with the results first. The first mutation
// that fails fails the job, so its savepoint takes the whole batch back. apply() and
// insert_audit() are the adapter's, found by argument-dependent lookup on its
// WriteContext. Internal to the adapters.

#include <utility>
#include <variant>

#include "core/status.hpp"
#include "ports/write_batch.hpp"

namespace wl::detail {

template <typename Context>
Result<BatchResult> apply_batch(Context& context, const WriteBatch& batch) {
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
}

}  // namespace wl::detail
