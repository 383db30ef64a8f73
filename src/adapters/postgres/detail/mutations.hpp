#pragma once

// How the PostgreSQL adapter writes each mutation of a WriteBatch (ports/write_batch.hpp):
// one apply() per mutation, run on the writer thread inside the batch's savepoint.
// Each is defined beside its port's statements (postgres_threads.cpp, ...). Internal to
// the adapter.

#include <cstddef>
#include <optional>
#include <variant>
#include <vector>

#include "adapters/postgres/detail/writer.hpp"
#include "ports/write_batch.hpp"

namespace wl::detail::pg {

Result<Org> apply(WriteContext& context, const CreateOrg& mutation);
Result<std::monostate> apply(WriteContext& context, const SetOrgIdleLock& mutation);
Result<User> apply(WriteContext& context, const CreateUser& mutation);
Result<std::monostate> apply(WriteContext& context, const SetPasswordHash& mutation);
Result<std::monostate> apply(WriteContext& context, const SetLoginFailures& mutation);
Result<std::monostate> apply(WriteContext& context, const SetUserDisabled& mutation);
Result<std::monostate> apply(WriteContext& context, const SetPinHash& mutation);
Result<std::monostate> apply(WriteContext& context, const SetUserOperator& mutation);
Result<std::monostate> apply(WriteContext& context, const SetUserScheduler& mutation);
Result<Device> apply(WriteContext& context, const OpenSession& mutation);
Result<std::monostate> apply(WriteContext& context, const RevokeDevice& mutation);
Result<std::monostate> apply(WriteContext& context, const TouchSession& mutation);
Result<std::monostate> apply(WriteContext& context, const RevokeSession& mutation);
Result<std::monostate> apply(WriteContext& context, const LockSession& mutation);
Result<std::monostate> apply(WriteContext& context, const UnlockSession& mutation);
Result<std::monostate> apply(WriteContext& context, const SetSessionPinFailures& mutation);
Result<MessageAppended> apply(WriteContext& context, const AppendMessage& mutation);
Result<MessageHeld> apply(WriteContext& context, const HoldMessage& mutation);
Result<bool> apply(WriteContext& context, const DeleteHeld& mutation);
Result<bool> apply(WriteContext& context, const ScreenHeld& mutation);
Result<std::vector<Event>> apply(WriteContext& context, const RecordDelivered& mutation);
Result<ThreadCreated> apply(WriteContext& context, const CreateThread& mutation);
Result<Event> apply(WriteContext& context, const AddMember& mutation);
Result<Event> apply(WriteContext& context, const RemoveMember& mutation);
Result<Event> apply(WriteContext& context, const RenameThread& mutation);
Result<std::optional<Event>> apply(WriteContext& context, const RecordRead& mutation);
Result<Event> apply(WriteContext& context, const AppendScopedEvent& mutation);
Result<PatientWritten> apply(WriteContext& context, const ChangePatient& mutation);
Result<Timer> apply(WriteContext& context, const ScheduleTimer& mutation);
Result<bool> apply(WriteContext& context, const CancelTimer& mutation);
Result<bool> apply(WriteContext& context, const CompleteTimer& mutation);
Result<std::int64_t> apply(WriteContext& context, const PurgeSessions& mutation);
Result<std::vector<Event>> apply(WriteContext& context, const RouteMessage& mutation);
Result<Role> apply(WriteContext& context, const CreateRole& mutation);
Result<Role> apply(WriteContext& context, const UpdateRole& mutation);
Result<ShiftSaved> apply(WriteContext& context, const SaveShift& mutation);
Result<bool> apply(WriteContext& context, const DeleteShift& mutation);
Result<bool> apply(WriteContext& context, const SignInRole& mutation);
Result<bool> apply(WriteContext& context, const SignOutRole& mutation);
Result<bool> apply(WriteContext& context, const SetBackups& mutation);
Result<bool> apply(WriteContext& context, const SetEscalationPolicy& mutation);
Result<AvailabilityPeriod> apply(WriteContext& context, const SetAvailability& mutation);
Result<Forwarding> apply(WriteContext& context, const SetForwarding& mutation);
Result<bool> apply(WriteContext& context, const ClearForwarding& mutation);
Result<bool> apply(WriteContext& context, const SetGatekeepers& mutation);
Result<std::optional<HandOff>> apply(WriteContext& context, const RecordHandOff& mutation);
Result<bool> apply(WriteContext& context, const AcceptHandOff& mutation);
Result<std::monostate> apply(WriteContext& context, const SetUserDirectory& mutation);
Result<OrgScreen> apply(WriteContext& context, const SaveOrgScreen& mutation);
Result<std::monostate> apply(WriteContext& context, const SetUserPhones& mutation);
Result<QuickNote> apply(WriteContext& context, const SaveQuickNote& mutation);
Result<std::monostate> apply(WriteContext& context, const DeleteQuickNote& mutation);
Result<bool> apply(WriteContext& context, const DeleteAvailability& mutation);
Result<std::int64_t> apply(WriteContext& context, const UpsertProviders& mutation);
Result<std::int64_t> apply(WriteContext& context, const UpsertTaxonomies& mutation);
Result<ProviderInvitation> apply(WriteContext& context, const InviteProvider& mutation);
Result<std::monostate> apply(WriteContext& context, const IndexMessages& mutation);

// Writes `tokens` as `message`'s rows of the search index (docs/search.md).
Result<void> insert_search_tokens(PgConnection& connection, ThreadId thread, EventId message,
                                  const std::vector<std::string>& tokens);

// The events the batch has appended since it had `first` of them.
inline std::vector<Event> events_since(const WriteContext& context, std::size_t first) {
  return std::vector<Event>(context.events->begin() + static_cast<std::ptrdiff_t>(first),
                            context.events->end());
}

}  // namespace wl::detail::pg
