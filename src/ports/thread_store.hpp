#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ports/records.hpp"
#include "ports/write.hpp"

namespace wl {

struct NewThread {
  OrgId org_id;
  ThreadKind kind = ThreadKind::kGroup;
  std::string title_sealed;
  PatientId patient_id;
  std::string unique_key;  // Empty: always create. Otherwise return the existing one.
  // With no unique_key: return the newest thread of the org of this kind and patient
  // whose current members are exactly `members` (and created_by), if there is one,
  // instead of creating another.
  bool reuse_same_members = false;
  UserId created_by;
  Timestamp created_at;
  std::vector<UserId> members;  // Includes created_by.
};

struct ThreadCreated {
  Thread thread;
  bool created = false;  // False: an existing thread matched (unique_key or members).
  // Created: kThreadCreated and kMemberAdded events. Existing: the kMemberAdded that
  // brought it into created_by's stream, if it was not there yet (see create_thread).
  std::vector<Event> events;
};

struct ThreadSummary {
  Thread thread;
  std::vector<UserId> members;
  std::int64_t read_seq = 0;  // The asking user's read position.
  std::optional<Event> last_message;
  std::int64_t unread_count = 0;  // Messages from others with seq > read_seq.
  bool has_unread_urgent = false;
};

/// Threads and their members (services/messaging). Creating a thread and changing its
/// members or title append events to the message log in the same transaction.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class ThreadStore {
 public:
  virtual ~ThreadStore() = default;

  /// Creates a thread with its members, atomically with its kThreadCreated and
  /// kMemberAdded events. If unique_key is set and a thread with it exists, or
  /// reuse_same_members is set and one matches, returns that thread (created = false).
  ///
  /// A direct thread enters only its creator's stream and thread list: the other
  /// member's kMemberAdded is appended, and their membership period opened, by the
  /// first message (append_message) or when they open the thread themselves (this
  /// call returning it to them). Until then they are a member (list_members,
  /// is_member) whose stream holds none of it.
  virtual Result<ThreadCreated> create_thread(const NewThread& thread, const CommitHook& hook) = 0;
  /// Errors: NotFound.
  virtual Result<Thread> find_thread(ThreadId id) = 0;
  /// The user's threads with their members and unread state, most recent activity first:
  /// those whose stream they are in (see create_thread), not a direct thread that was
  /// opened with them and has no message yet.
  virtual Result<std::vector<ThreadSummary>> list_threads_for_user(UserId user) = 0;
  /// Current members ordered by user id. Errors: NotFound for an unknown thread.
  virtual Result<std::vector<Member>> list_members(ThreadId thread) = 0;
  virtual Result<bool> is_member(ThreadId thread, UserId user) = 0;
  /// Adds a member and appends kMemberAdded. Errors: AlreadyExists if a member.
  virtual Result<Event> add_member(ThreadId thread, UserId user, UserId actor, Timestamp now,
                                   const CommitHook& hook) = 0;
  /// Removes a member and appends kMemberRemoved. Errors: NotFound if not a member.
  virtual Result<Event> remove_member(ThreadId thread, UserId user, UserId actor, Timestamp now,
                                      const CommitHook& hook) = 0;
  /// Replaces the thread's sealed title and appends a kThreadRenamed event whose
  /// body_sealed is the same sealed title. Errors: NotFound for an unknown thread.
  virtual Result<Event> rename_thread(ThreadId thread, std::string_view title_sealed, UserId actor,
                                      Timestamp now, const CommitHook& hook) = 0;
};

}  // namespace wl
