#pragma once

// Whose streams each committed event belongs to (ports/write.hpp, CommittedEvent): the
// rule both store adapters apply inside the write's transaction. Internal to the
// adapters.

#include <algorithm>
#include <utility>
#include <vector>

#include "core/status.hpp"
#include "ports/write.hpp"

namespace wl::detail {

// `open_members(thread)` gives the users with an open membership period of the thread,
// ordered by id (Result<std::vector<UserId>>); it is asked once per run of events of
// one thread.
template <typename OpenMembers>
Result<std::vector<CommittedEvent>> assign_recipients(const std::vector<Event>& events,
                                                      OpenMembers&& open_members) {
  std::vector<CommittedEvent> committed;
  committed.reserve(events.size());
  ThreadId members_of;
  std::vector<UserId> members;
  for (const Event& event : events) {
    if (event.scope == EventScope::kUser) {
      committed.push_back(CommittedEvent{event, {event.user_id}});
      continue;
    }
    if (event.scope == EventScope::kOrg) {
      committed.push_back(CommittedEvent{event, {}});  // Every user of event.org_id.
      continue;
    }
    if (event.thread_id != members_of) {
      members = WL_TRY(open_members(event.thread_id));
      members_of = event.thread_id;
    }
    CommittedEvent entry{event, members};
    if (event.kind == EventKind::kDelivered) {
      // A delivery is news to the message's sender and to the recipient's own other
      // devices, not to every member: one per member, not one per member squared.
      entry.recipients.clear();
      for (const UserId told :
           {std::min(event.actor, event.subject), std::max(event.actor, event.subject)}) {
        if (std::binary_search(members.begin(), members.end(), told) &&
            (entry.recipients.empty() || entry.recipients.back() != told)) {
          entry.recipients.push_back(told);
        }
      }
    }
    // The removed user is told of their removal, which closes their period.
    if (event.kind == EventKind::kMemberRemoved &&
        !std::binary_search(members.begin(), members.end(), event.subject)) {
      entry.recipients.insert(
          std::lower_bound(entry.recipients.begin(), entry.recipients.end(), event.subject),
          event.subject);
    }
    committed.push_back(std::move(entry));
  }
  return committed;
}

}  // namespace wl::detail
