#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "ports/records.hpp"

namespace wl {

// What every store port's writes share: how a write reports its result, how it hands
// its committed events to fan-out, and how audit entries are chained.

/// Computes an audit entry's hash from the entry with seq and prev_hash filled in.
/// Supplied by services/audit (the chain format is a product rule); the store calls it
/// inside the transaction that appends the entry, so the chain has no forks.
using AuditChainer = std::function<std::string(const AuditEntry& entry)>;

/// An event as committed, with the users whose streams it belongs to: for a thread
/// event, the members of its thread at commit time, plus the removed user for
/// kMemberRemoved, and of a delivery only its recipient and the message's sender; for
/// a user event, that user; for an org event, none are listed: it is every user of
/// event.org_id. The store decides this inside the write's transaction, so a live
/// fan-out never disagrees with what a later replay (read_user_events) returns.
struct CommittedEvent {
  Event event;
  std::vector<UserId> recipients;
};

/// Receives an asynchronous write's result, once, on the store's commit thread (or on
/// the calling thread if the write could not be queued). It must not block: it hands
/// the result to the caller's thread.
template <typename T>
using WriteDone = std::function<void(Result<T>)>;

/// Called with the events a write created, after they are durable, in commit order
/// (a later call never carries smaller stream positions than an earlier one), on the
/// store's commit thread. It must not block: it hands events to the Bus.
using CommitHook = std::function<void(std::span<const CommittedEvent> events)>;

}  // namespace wl
