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
  RoleId role_id;          // Role threads.
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
  // brought it into created_by's stream, if it was not there yet (see CreateThread).
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

// ---- Mutations (written through a WriteBatch, ports/write_batch.hpp) ----

/// Creates a thread with its members and its kThreadCreated and kMemberAdded events.
/// If unique_key is set and a thread with it exists, or reuse_same_members is set and
/// one matches, gives that thread (created = false) instead.
///
/// A direct thread enters only its creator's stream and thread list: the other
/// member's kMemberAdded is appended, and their membership period opened, by the first
/// message (AppendMessage) or when they open the thread themselves (this mutation
/// giving it to them). Until then they are a member (list_members, is_member) whose
/// stream holds none of it. Result: ThreadCreated.
/// Errors: NotFound if a member or the creator is not a user of the org.
struct CreateThread {
  NewThread thread;
};

/// Adds a member and appends kMemberAdded. Result: the event.
/// Errors: AlreadyExists if a member; NotFound for an unknown thread.
struct AddMember {
  ThreadId thread;
  UserId user;
  UserId actor;
  Timestamp at;
};

/// Removes a member and appends kMemberRemoved, which the removed user is sent.
/// Result: the event. Errors: NotFound if not a member or an unknown thread.
struct RemoveMember {
  ThreadId thread;
  UserId user;
  UserId actor;
  Timestamp at;
};

/// Replaces the thread's sealed title and appends a kThreadRenamed event whose
/// body_sealed is the same sealed title. Result: the event.
/// Errors: NotFound for an unknown thread.
struct RenameThread {
  ThreadId thread;
  std::string title_sealed;
  UserId actor;
  Timestamp at;
};

/// Threads and their members (services/messaging): the reads. Creating a thread and
/// changing its members or title are mutations (above) that append events to the
/// message log in the same transaction.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class ThreadStore {
 public:
  virtual ~ThreadStore() = default;

  /// Errors: NotFound.
  virtual Result<Thread> find_thread(ThreadId id) = 0;
  /// The user's threads with their members and unread state, most recent activity first:
  /// those whose stream they are in (see CreateThread), not a direct thread that was
  /// opened with them and has no message yet.
  virtual Result<std::vector<ThreadSummary>> list_threads_for_user(UserId user) = 0;
  /// Current members ordered by user id. Errors: NotFound for an unknown thread.
  virtual Result<std::vector<Member>> list_members(ThreadId thread) = 0;
  virtual Result<bool> is_member(ThreadId thread, UserId user) = 0;
};

}  // namespace wl
