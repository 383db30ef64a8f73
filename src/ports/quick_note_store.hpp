#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/status.hpp"
#include "core/time.hpp"
#include "ports/records.hpp"

// Quick notes (services/quick_notes, docs/quick_notes.md): canned messages, org-wide
// (kept by the org's admins) or personal (kept by their owner). Title and text are what
// users type, so they are sealed; the store never sees them in clear.
namespace wl {

struct QuickNote {
  std::int64_t id = 0;
  OrgId org_id;
  UserId owner;  // Unset: an org-wide note.
  std::string title_sealed;
  std::string text_sealed;
  UserId created_by;
  Timestamp created_at;  // With created_by, the sealed values' record (stable).
  UserId updated_by;
  Timestamp updated_at;
};

// ---- Mutations (written through a WriteBatch, ports/write_batch.hpp) ----

/// Adds a note (id == 0) of `org`, personal to `owner` if set, unless `org` (owner unset)
/// or `owner` already has `max_count` notes; or, with an id, replaces the title and text
/// of the note with that id, which must be of `org` with the same owner. created_by and
/// created_at are kept from the first save. Result: the saved QuickNote.
/// Errors: NotFound for an unknown id, or one of another org or owner; ResourceExhausted
/// at max_count; NotFound for an unknown org or owner.
struct SaveQuickNote {
  std::int64_t id = 0;
  OrgId org;
  UserId owner;
  std::string title_sealed;
  std::string text_sealed;
  std::size_t max_count = 0;
  UserId actor;
  Timestamp at;
};

/// Deletes the note `id` of `org` with owner `owner` (unset: an org-wide one).
/// Result: std::monostate. Errors: NotFound if there is no such note.
struct DeleteQuickNote {
  std::int64_t id = 0;
  OrgId org;
  UserId owner;
};

/// Reads quick notes.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class QuickNoteStore {
 public:
  virtual ~QuickNoteStore() = default;

  /// The org-wide notes of `org` and, if `owner` is set, the personal notes of `owner`
  /// (of that org), org-wide first, each by id.
  virtual Result<std::vector<QuickNote>> list_quick_notes(OrgId org, UserId owner) = 0;
  /// The note with this id. Errors: NotFound.
  virtual Result<QuickNote> find_quick_note(std::int64_t id) = 0;
};

}  // namespace wl
