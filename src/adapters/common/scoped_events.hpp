#pragma once

// What both store adapters check of the events they write, or build of them, apart
// from the database: an AppendScopedEvent's checks, a message's event, the refusal of
// a sender who is not a member. Internal to the adapters.

#include "core/status.hpp"
#include "ports/message_log.hpp"
#include "ports/records.hpp"

namespace wl::detail {

// The event of `message`, the next in `thread` (seq = last_seq + 1), before its insert
// gives it an id.
inline Event message_event(const Thread& thread, const NewMessage& message) {
  Event event;
  event.org_id = thread.org_id;
  event.thread_id = thread.id;
  event.kind = EventKind::kMessage;
  event.actor = message.sender;
  event.created_at = message.created_at;
  event.seq = thread.last_seq + 1;
  event.client_token = message.client_token;
  event.client_id_sealed = message.client_id_sealed;
  event.urgent = message.urgent;
  event.body_sealed = message.body_sealed;
  event.written_at = message.written_at;
  return event;
}

// A send by someone who is not a member of the thread: they are told whether they
// were removed from it (their client may still hold messages queued before that).
inline Status not_a_member(bool was_removed) {
  return Status(Code::kPermissionDenied, was_removed ? "you were removed from this thread"
                                                     : "you are not a member of this thread");
}

// Errors: InvalidArgument for a thread kind, or a user event naming no user.
inline Result<void> check_scoped_event(const AppendScopedEvent& mutation) {
  const EventScope scope = scope_of(mutation.kind);
  if (scope == EventScope::kThread) {
    return error(Code::kInvalidArgument, "a thread event needs its thread");
  }
  if (scope == EventScope::kUser && !mutation.user.is_set()) {
    return error(Code::kInvalidArgument, "a user event needs its user");
  }
  return ok();
}

}  // namespace wl::detail
