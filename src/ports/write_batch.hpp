#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <future>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "core/status.hpp"
#include "ports/directory_store.hpp"
#include "ports/message_log.hpp"
#include "ports/patient_store.hpp"
#include "ports/phone_store.hpp"
#include "ports/provider_store.hpp"
#include "ports/quick_note_store.hpp"
#include "ports/records.hpp"
#include "ports/routing_store.hpp"
#include "ports/session_store.hpp"
#include "ports/thread_store.hpp"
#include "ports/timer_store.hpp"
#include "ports/user_store.hpp"
#include "ports/write.hpp"

// The one write path (docs/architecture.md, "Write batches"): an operation puts every
// change it makes, and the audit entries that record it, in one WriteBatch, and a
// Committer writes the batch atomically, once. Nothing audited is audited in a second
// commit.
namespace wl {

/// Every kind of change a batch can carry. Each is documented in its port's header
/// (user_store.hpp, session_store.hpp, thread_store.hpp, message_log.hpp,
/// patient_store.hpp, timer_store.hpp, routing_store.hpp, provider_store.hpp,
/// directory_store.hpp, phone_store.hpp, quick_note_store.hpp), with its result and errors.
using Mutation =
    std::variant<CreateOrg, SetOrgIdleLock, CreateUser, SetPasswordHash, SetLoginFailures,
                 SetUserDisabled, SetPinHash, SetUserOperator, SetUserScheduler, OpenSession,
                 RevokeDevice, TouchSession, RevokeSession, LockSession, UnlockSession,
                 SetSessionPinFailures, PurgeSessions, AppendMessage, RecordDelivered, CreateThread,
                 AddMember, RemoveMember, RenameThread, RecordRead, AppendScopedEvent,
                 ChangePatient, ScheduleTimer, CancelTimer, CompleteTimer, RouteMessage, CreateRole,
                 UpdateRole, SaveShift, DeleteShift, SignInRole, SignOutRole, SetBackups,
                 SetEscalationPolicy, SetAvailability, DeleteAvailability, HoldMessage, DeleteHeld,
                 SetForwarding, ClearForwarding, ScreenHeld, SetGatekeepers, RecordHandOff,
                 AcceptHandOff, UpsertProviders, UpsertTaxonomies, InviteProvider, SetUserDirectory,
                 SaveOrgScreen, IndexMessages, SetUserPhones, SaveQuickNote, DeleteQuickNote>;

/// A mutation's result: std::monostate (a write with nothing to give back: the
/// identity writes but those below), Org (CreateOrg), User (CreateUser), Device
/// (OpenSession), MessageAppended (AppendMessage), std::vector<Event>
/// (RecordDelivered, RouteMessage), ThreadCreated (CreateThread), Event (AddMember,
/// RemoveMember, RenameThread, AppendScopedEvent), std::optional<Event> (RecordRead),
/// PatientWritten (ChangePatient), Timer (ScheduleTimer), bool (CancelTimer, CompleteTimer,
/// DeleteShift, SignInRole, SignOutRole, SetBackups, SetEscalationPolicy,
/// DeleteAvailability, DeleteHeld, ClearForwarding, ScreenHeld, SetGatekeepers,
/// AcceptHandOff), std::optional<HandOff> (RecordHandOff),
/// AvailabilityPeriod (SetAvailability),
/// MessageHeld (HoldMessage), Forwarding (SetForwarding), std::int64_t (PurgeSessions,
/// UpsertProviders, UpsertTaxonomies), ProviderInvitation (InviteProvider), Role (CreateRole,
/// UpdateRole), ShiftSaved (SaveShift), OrgScreen (SaveOrgScreen); SetUserDirectory,
/// IndexMessages, SetUserPhones and DeleteQuickNote give std::monostate, SaveQuickNote a
/// QuickNote.
using MutationResult =
    std::variant<std::monostate, Org, User, Device, MessageAppended, std::vector<Event>,
                 ThreadCreated, Event, std::optional<Event>, PatientWritten, Timer, bool,
                 std::int64_t, Role, ShiftSaved, AvailabilityPeriod, MessageHeld, Forwarding,
                 std::optional<HandOff>, ProviderInvitation, OrgScreen, QuickNote>;

/// Fills in, inside the transaction, what only the mutations' results tell: a new
/// thread's id, whether a read position moved. Returns false to write no entry (the
/// operation did nothing that is audited, e.g. an existing thread was returned).
using AuditCompletion =
    std::function<bool(AuditDraft& draft, const std::vector<MutationResult>& results)>;

class WriteBatch {
 public:
  struct Audit {
    AuditDraft draft;
    AuditCompletion complete;  // Empty: the draft is written as it is.
  };

  /// Adds a mutation; returns the index of its result in BatchResult::results.
  std::size_t add(Mutation mutation) {
    mutations_.push_back(std::move(mutation));
    return mutations_.size() - 1;
  }

  /// Adds an audit entry, appended after the mutations in the same transaction.
  void audit(AuditDraft draft, AuditCompletion complete = {}) {
    audits_.push_back(Audit{std::move(draft), std::move(complete)});
  }

  /// Lets the batch wait up to `bound` for another write to commit with, instead of
  /// starting a commit (and an fsync) of its own: for a write no one is waiting on,
  /// such as a delivery receipt, whose result is only needed soon. Zero, the default,
  /// commits it in the next group commit.
  void may_wait(std::chrono::milliseconds bound) { max_wait_ = bound; }
  std::chrono::milliseconds max_wait() const { return max_wait_; }

  /// Commits the batch ahead of every queued write that is not itself ahead (and
  /// never lets it wait): for work whose deadline has come, such as a fired timer's,
  /// which must not queue behind a full load of messages. Batches ahead keep their
  /// order among themselves.
  void go_ahead() { ahead_ = true; }
  bool ahead() const { return ahead_; }

  bool empty() const { return mutations_.empty() && audits_.empty(); }
  /// The mutations added: the index the next one gets.
  std::size_t size() const { return mutations_.size(); }
  const std::vector<Mutation>& mutations() const { return mutations_; }
  const std::vector<Audit>& audits() const { return audits_; }

 private:
  std::vector<Mutation> mutations_;
  std::vector<Audit> audits_;
  std::chrono::milliseconds max_wait_{0};
  bool ahead_ = false;
};

/// What a committed batch gives back.
struct BatchResult {
  std::vector<MutationResult> results;  // One per mutation, in the order added.
  std::vector<AuditEntry> audited;      // The entries appended, in order.

  /// The result of mutation `index`, of the type its mutation gives.
  template <typename T>
  const T& result(std::size_t index) const {
    return std::get<T>(results.at(index));
  }
};

/// Writes batches. Thread-safe.
class Committer {
 public:
  virtual ~Committer() = default;

  /// Writes every mutation of the batch, in order, then its audit entries, in one
  /// transaction, and returns at once; the transaction starts at once or, for a batch
  /// that may wait, with the next write (at most max_wait later). `done` gets the result once it is
  /// durable (committed and fsync'd, after `hook` ran with the batch's events) or failed, once, on
  /// the commit thread; it must not block. A mutation that fails fails the batch: nothing of it is
  /// written, and the error is that mutation's. An empty batch succeeds and writes nothing.
  ///
  /// Errors: those of the mutations; Unavailable if the database cannot be reached or
  /// is busy beyond its retry budget; Internal for a failed invariant.
  virtual void commit(WriteBatch batch, CommitHook hook, WriteDone<BatchResult> done) = 0;
};

/// Commits and waits for the result: for callers on worker threads, never on an io
/// thread or in a commit callback.
inline Result<BatchResult> commit_and_wait(Committer& committer, WriteBatch batch,
                                           CommitHook hook = {}) {
  std::promise<Result<BatchResult>> promise;
  std::future<Result<BatchResult>> future = promise.get_future();
  committer.commit(std::move(batch), std::move(hook), [&promise](Result<BatchResult> result) {
    promise.set_value(std::move(result));
  });
  return future.get();
}

/// Commits a batch of one mutation and waits (see commit_and_wait); gives its result,
/// of the type the mutation gives.
template <typename T>
Result<T> commit_one(Committer& committer, Mutation mutation, CommitHook hook = {}) {
  WriteBatch batch;
  batch.add(std::move(mutation));
  Result<BatchResult> committed = commit_and_wait(committer, std::move(batch), std::move(hook));
  if (!committed) {
    return std::unexpected(committed.error());
  }
  return std::get<T>(std::move(committed->results.front()));
}

}  // namespace wl
