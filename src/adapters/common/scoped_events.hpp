#pragma once

// What both store adapters check of the events they write, or build of them, apart
// from the database: an AppendScopedEvent's checks, the events of a message, a
// delivery, a read mark and a renaming, the refusal of a sender who is not a member.
// Each event is built before its insert gives it an id. Internal to the adapters.

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "ports/message_log.hpp"
#include "ports/records.hpp"
#include "ports/thread_store.hpp"

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
  event.callback_sealed = message.callback_sealed;
  return event;
}

// The delivery of `message` (the `seq`th of `thread`, sent by `sender`, who is told)
// to `mutation.recipient`.
inline Event delivered_event(const RecordDelivered& mutation, EventId message, OrgId org,
                             ThreadId thread, std::int64_t seq, UserId sender) {
  Event event;
  event.org_id = org;
  event.thread_id = thread;
  event.kind = EventKind::kDelivered;
  event.actor = mutation.recipient;
  event.subject = sender;
  event.created_at = mutation.at;
  event.ref = message;
  event.ref_seq = seq;
  return event;
}

// `mutation.reader`'s read position moving to `up_to_seq` in a thread of `org`.
inline Event read_mark_event(OrgId org, const RecordRead& mutation, std::int64_t up_to_seq) {
  Event event;
  event.org_id = org;
  event.thread_id = mutation.thread;
  event.kind = EventKind::kRead;
  event.actor = mutation.reader;
  event.created_at = mutation.at;
  event.ref_seq = up_to_seq;
  return event;
}

// The renaming of a thread of `org`; the body is the sealed new title.
inline Event renamed_event(OrgId org, const RenameThread& mutation) {
  Event event;
  event.org_id = org;
  event.thread_id = mutation.thread;
  event.kind = EventKind::kThreadRenamed;
  event.actor = mutation.actor;
  event.created_at = mutation.at;
  event.body_sealed = std::string(mutation.title_sealed);
  return event;
}

// The message the batch (whose events so far are `events`) appended to `thread` last,
// if any: what a RouteMessage records the routing of.
inline const Event* batch_message(const std::vector<Event>& events, ThreadId thread) {
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->kind == EventKind::kMessage && it->thread_id == thread) {
      return &*it;
    }
  }
  return nullptr;
}

// `message` reaching `to` through `mutation.role`.
inline Event routed_event(const Event& message, const RouteMessage& mutation, const RoutedTo& to) {
  Event event;
  event.org_id = message.org_id;
  event.thread_id = message.thread_id;
  event.kind = EventKind::kRouted;
  event.actor = to.via.is_set() ? to.via : message.actor;
  event.created_at = mutation.at;
  event.ref = message.id;
  event.ref_seq = message.seq;
  event.subject = to.user;
  event.role = mutation.role;
  event.reason = to.reason;
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
