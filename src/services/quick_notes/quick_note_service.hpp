#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/status.hpp"
#include "core/time.hpp"
#include "ports/quick_note_store.hpp"
#include "services/identity/principal.hpp"

namespace wl {

class AuditLog;
class Clock;
class Committer;
class KeyRing;

// Whether a note is the org's (kept by its admins) or the caller's own.
enum class QuickNoteScope : std::uint8_t { kOrg = 1, kPersonal = 2 };

struct QuickNoteLimits {
  std::size_t max_title_bytes = 80;
  std::size_t max_text_bytes = 2000;
  std::size_t max_personal = 50;  // Per user.
  std::size_t max_org = 100;      // Org-wide notes per org.
};

// One note, opened.
struct QuickNoteView {
  std::int64_t id = 0;
  QuickNoteScope scope = QuickNoteScope::kPersonal;
  std::string title;
  std::string text;
  Timestamp updated_at;
};

// The placeholders a note's text may hold ("{patient.room}"), which the composer
// expands from the conversation's patient and the sender (docs/quick_notes.md).
std::span<const std::string_view> quick_note_placeholders();

// Checks a note's text: every "{name}" whose name is lower-case letters, digits, dots
// and underscores must be a known placeholder. Errors: InvalidArgument naming the first
// unknown one and the known ones.
Result<void> check_placeholders(std::string_view text);

// Quick notes (docs/quick_notes.md): canned messages, org-wide or personal, sealed at
// rest. Every user reads their org's and their own; admins keep the org's, each user
// their own. Thread-safe; every method blocks on the store (call from a worker thread).
class QuickNoteService {
 public:
  // Every reference must outlive the service.
  QuickNoteService(Committer& committer, QuickNoteStore& notes, KeyRing& keys, AuditLog& audit,
                   const Clock& clock, QuickNoteLimits limits = {});
  QuickNoteService(const QuickNoteService&) = delete;
  QuickNoteService& operator=(const QuickNoteService&) = delete;

  const QuickNoteLimits& limits() const { return limits_; }

  /// The org's notes, then the caller's own, each oldest first.
  Result<std::vector<QuickNoteView>> list(const Principal& actor);

  /// Adds a note (audited as quick_note.create). Errors: PermissionDenied for an org
  /// note by a non-admin (audited, denied); InvalidArgument for a title or text that is
  /// empty, too long, not UTF-8, or holds an unknown placeholder; ResourceExhausted at
  /// the count limit.
  Result<QuickNoteView> create(const Principal& actor, QuickNoteScope scope, std::string_view title,
                               std::string_view text);

  /// Replaces a note's title and text (quick_note.update). Errors: NotFound for no
  /// note, another org's, or another user's personal note (audited, denied);
  /// PermissionDenied for an org note by a non-admin (audited); InvalidArgument as
  /// create.
  Result<QuickNoteView> update(const Principal& actor, std::int64_t id, std::string_view title,
                               std::string_view text);

  /// Deletes a note (quick_note.delete). Errors: as update.
  Result<void> remove(const Principal& actor, std::int64_t id);

 private:
  Result<void> check_note(std::string_view title, std::string_view text) const;
  // The note `id` if the caller may change it, auditing `action` denied if not.
  Result<QuickNote> editable(const Principal& actor, std::int64_t id, std::string_view action);
  Result<QuickNoteView> open(const QuickNote& note);
  Result<std::string> seal(OrgId org, UserId created_by, Timestamp created_at,
                           std::string_view field, std::string_view value);

  Committer& committer_;
  QuickNoteStore& notes_;
  KeyRing& keys_;
  AuditLog& audit_;
  const Clock& clock_;
  QuickNoteLimits limits_;
};

}  // namespace wl
