#include "services/quick_notes/quick_note_service.hpp"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "core/utf8.hpp"
#include "ports/clock.hpp"
#include "ports/write_batch.hpp"
#include "services/audit/audit_log.hpp"
#include "services/keys/key_ring.hpp"

namespace wl {

namespace {

constexpr std::string_view kNoteKind = "quick_note";

constexpr std::array<std::string_view, 6> kPlaceholders = {
    "patient.name", "patient.room", "patient.location", "patient.mrn", "me.name", "me.callback"};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
}

std::string note_target(std::int64_t id) { return fmt::format("quick_note:{}", id); }

std::string_view scope_name(QuickNoteScope scope) {
  return scope == QuickNoteScope::kOrg ? "org" : "personal";
}

}  // namespace

std::span<const std::string_view> quick_note_placeholders() { return kPlaceholders; }

Result<void> check_placeholders(std::string_view text) {
  for (std::size_t open = text.find('{'); open != std::string_view::npos;
       open = text.find('{', open + 1)) {
    std::size_t end = open + 1;
    while (end < text.size() && is_name_char(text[end])) {
      ++end;
    }
    if (end == open + 1 || end >= text.size() || text[end] != '}') {
      continue;  // Not a placeholder: a brace as text.
    }
    const std::string_view name = text.substr(open + 1, end - open - 1);
    bool known = false;
    for (const std::string_view placeholder : kPlaceholders) {
      known = known || name == placeholder;
    }
    if (!known) {
      std::string names;
      for (const std::string_view placeholder : kPlaceholders) {
        names += fmt::format("{}{{{}}}", names.empty() ? "" : ", ", placeholder);
      }
      return error(Code::kInvalidArgument,
                   fmt::format("unknown placeholder {{{}}}: the known ones are {}",
                               utf8_prefix(name, 40), names));
    }
  }
  return ok();
}

QuickNoteService::QuickNoteService(Committer& committer, QuickNoteStore& notes, KeyRing& keys,
                                   AuditLog& audit, const Clock& clock, QuickNoteLimits limits)
    : committer_(committer),
      notes_(notes),
      keys_(keys),
      audit_(audit),
      clock_(clock),
      limits_(limits) {}

Result<std::string> QuickNoteService::seal(OrgId org, UserId created_by, Timestamp created_at,
                                           std::string_view field, std::string_view value) {
  // The record is the note's creator and creation instant: known before the insert
  // assigns the id, and kept by every edit (docs/sealed_values.md).
  const std::string record = fmt::format("by:{}/at:{}", created_by.value(), to_micros(created_at));
  return keys_.seal(SealContext{org, kNoteKind, record, field}, value);
}

Result<QuickNoteView> QuickNoteService::open(const QuickNote& note) {
  const std::string record =
      fmt::format("by:{}/at:{}", note.created_by.value(), to_micros(note.created_at));
  QuickNoteView view;
  view.id = note.id;
  view.scope = note.owner.is_set() ? QuickNoteScope::kPersonal : QuickNoteScope::kOrg;
  view.title =
      WL_TRY(keys_.open(SealContext{note.org_id, kNoteKind, record, "title"}, note.title_sealed));
  view.text =
      WL_TRY(keys_.open(SealContext{note.org_id, kNoteKind, record, "text"}, note.text_sealed));
  view.updated_at = note.updated_at;
  return view;
}

Result<void> QuickNoteService::check_note(std::string_view title, std::string_view text) const {
  if (!is_valid_utf8(title) || !is_valid_utf8(text)) {
    return error(Code::kInvalidArgument, "title and text must be UTF-8");
  }
  if (title.empty() || title.size() > limits_.max_title_bytes) {
    return error(Code::kInvalidArgument,
                 fmt::format("title is 1 to {} bytes", limits_.max_title_bytes));
  }
  for (const char c : title) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return error(Code::kInvalidArgument, "title is one line with no control characters");
    }
  }
  if (text.empty() || text.size() > limits_.max_text_bytes) {
    return error(Code::kInvalidArgument,
                 fmt::format("text is 1 to {} bytes", limits_.max_text_bytes));
  }
  return check_placeholders(text);
}

Result<std::vector<QuickNoteView>> QuickNoteService::list(const Principal& actor) {
  std::vector<QuickNoteView> views;
  for (const QuickNote& note : WL_TRY(notes_.list_quick_notes(actor.org, actor.user))) {
    views.push_back(WL_TRY(open(note)));
  }
  return views;
}

Result<QuickNoteView> QuickNoteService::create(const Principal& actor, QuickNoteScope scope,
                                               std::string_view title, std::string_view text) {
  const Timestamp now = clock_.now();
  if (scope == QuickNoteScope::kOrg && !actor.is_admin) {
    (void)audit_.record(audit_draft(actor, now, "quick_note.create",
                                    fmt::format("org:{}", actor.org.value()), "denied",
                                    "scope=org"));
    return error(Code::kPermissionDenied, "org quick notes are kept by the org's administrators");
  }
  WL_TRY(check_note(title, text));
  const UserId owner = scope == QuickNoteScope::kPersonal ? actor.user : UserId();
  SaveQuickNote save;
  save.org = actor.org;
  save.owner = owner;
  save.title_sealed = WL_TRY(seal(actor.org, actor.user, now, "title", title));
  save.text_sealed = WL_TRY(seal(actor.org, actor.user, now, "text", text));
  save.max_count = scope == QuickNoteScope::kOrg ? limits_.max_org : limits_.max_personal;
  save.actor = actor.user;
  save.at = now;
  WriteBatch batch;
  batch.add(std::move(save));
  batch.audit(audit_draft(actor, now, "quick_note.create", "", "ok",
                          fmt::format("scope={}", scope_name(scope))),
              [](AuditDraft& draft, const std::vector<MutationResult>& results) {
                draft.target = note_target(std::get<QuickNote>(results.front()).id);
                return true;
              });
  const BatchResult committed = WL_TRY(commit_and_wait(committer_, std::move(batch)));
  return QuickNoteView{committed.result<QuickNote>(0).id, scope, std::string(title),
                       std::string(text), now};
}

Result<QuickNote> QuickNoteService::editable(const Principal& actor, std::int64_t id,
                                             std::string_view action) {
  auto note = notes_.find_quick_note(id);
  if (!note && note.error().code() != Code::kNotFound) {
    return std::unexpected(note.error());
  }
  // Another org's note and another user's personal one are missing to the caller.
  if (!note || note->org_id != actor.org || (note->owner.is_set() && note->owner != actor.user)) {
    (void)audit_.record(
        audit_draft(actor, clock_.now(), action, note_target(id), "denied", "not_found"));
    return error(Code::kNotFound, "quick note not found");
  }
  if (!note->owner.is_set() && !actor.is_admin) {
    (void)audit_.record(
        audit_draft(actor, clock_.now(), action, note_target(id), "denied", "scope=org"));
    return error(Code::kPermissionDenied, "org quick notes are kept by the org's administrators");
  }
  return std::move(*note);
}

Result<QuickNoteView> QuickNoteService::update(const Principal& actor, std::int64_t id,
                                               std::string_view title, std::string_view text) {
  const QuickNote note = WL_TRY(editable(actor, id, "quick_note.update"));
  WL_TRY(check_note(title, text));
  const Timestamp now = clock_.now();
  SaveQuickNote save;
  save.id = id;
  save.org = note.org_id;
  save.owner = note.owner;
  save.title_sealed = WL_TRY(seal(note.org_id, note.created_by, note.created_at, "title", title));
  save.text_sealed = WL_TRY(seal(note.org_id, note.created_by, note.created_at, "text", text));
  save.actor = actor.user;
  save.at = now;
  WriteBatch batch;
  batch.add(std::move(save));
  batch.audit(audit_draft(actor, now, "quick_note.update", note_target(id), "ok"));
  WL_TRY(commit_and_wait(committer_, std::move(batch)));
  return QuickNoteView{id, note.owner.is_set() ? QuickNoteScope::kPersonal : QuickNoteScope::kOrg,
                       std::string(title), std::string(text), now};
}

Result<void> QuickNoteService::remove(const Principal& actor, std::int64_t id) {
  const QuickNote note = WL_TRY(editable(actor, id, "quick_note.delete"));
  WriteBatch batch;
  batch.add(DeleteQuickNote{id, note.org_id, note.owner});
  batch.audit(audit_draft(actor, clock_.now(), "quick_note.delete", note_target(id), "ok"));
  WL_TRY(commit_and_wait(committer_, std::move(batch)));
  return ok();
}

}  // namespace wl
