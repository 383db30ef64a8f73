#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.hpp"
#include "ports/bus.hpp"
#include "ports/clock.hpp"
#include "ports/directory_store.hpp"
#include "ports/routing_store.hpp"
#include "ports/user_store.hpp"
#include "ports/write_batch.hpp"
#include "services/directory/directory_index.hpp"
#include "services/identity/principal.hpp"

namespace wl {

class AuditLog;

struct DirectoryLimits {
  std::size_t max_query_bytes = 100;
  std::size_t max_terms = 6;
  std::size_t default_results = 20;
  std::size_t max_results = 50;
  std::size_t max_holders = 10;  // On-call people shown with a role.
  std::size_t max_title_bytes = 200;
  std::size_t max_department_bytes = 100;
  // The org screen (docs/directory.md, "The org screen").
  std::size_t max_sections = 20;
  std::size_t max_section_items = 50;
  std::size_t max_items = 300;
  std::size_t max_text_bytes = 200;  // Section titles, labels, departments.
  std::size_t max_url_bytes = 1000;
  std::size_t max_phone_bytes = 40;
  std::size_t max_staff = 200;          // People one staff list shows.
  std::size_t max_on_call_roles = 100;  // Roles the on-call list shows.
};

// A role's holder now, as the directory shows them.
struct DirectoryHolder {
  UserId user;
  std::string display_name;
  std::string reason;  // "on_call" (a shift) or "signed_in".
};

// One search result. Fields not of its kind are empty.
struct DirectoryResult {
  DirectoryKind kind = DirectoryKind::kPerson;
  MatchRank rank = MatchRank::kWord;
  std::int64_t id = 0;  // UserId, RoleId or ThreadId.
  std::string name;     // Display name, role name or group title.
  std::string username;
  std::string title;
  std::string department;
  std::string description;               // Roles.
  std::vector<DirectoryHolder> on_call;  // Roles: who holds it now (at most max_holders).
  std::size_t members = 0;               // Groups.
};

struct DirectoryQuery {
  std::string text;
  KindSet kinds;
  std::size_t limit = 0;  // 0: DirectoryLimits::default_results.
};

// A group thread the caller may see, with its title opened.
struct DirectoryGroup {
  ThreadId id;
  std::string title;
  std::size_t members = 0;
};
// The groups `actor` is a member of. Messaging provides it (it opens the sealed
// titles); the directory comes before messaging in the services' order, so it is given
// as a function. Called on the searching thread; may block.
using GroupLister = std::function<Result<std::vector<DirectoryGroup>>(const Principal& actor)>;

// ---- The org screen ----

enum class ScreenItemType : std::uint8_t { kLink = 1, kPhone = 2, kStaff = 3, kOnCall = 4 };

struct ScreenItem {
  ScreenItemType type = ScreenItemType::kLink;
  std::string label;       // Links and phones.
  std::string url;         // Links: https: or tel:.
  std::string number;      // Phones.
  std::string department;  // Staff lists.
};

struct ScreenSection {
  std::string title;
  std::vector<ScreenItem> items;
};

// The page as admins edit it.
struct OrgScreenPage {
  std::vector<ScreenSection> sections;
};

struct StaffMember {
  UserId id;
  std::string display_name;
  std::string title;
};

struct OnCallRole {
  RoleId role;
  std::string name;
  std::vector<DirectoryHolder> holders;
};

// An item as users see it: staff lists and the on-call list resolved now.
struct RenderedItem {
  ScreenItem item;
  std::vector<StaffMember> staff;   // kStaff: by name, at most max_staff.
  bool truncated = false;           // kStaff, kOnCall: more than shown.
  std::vector<OnCallRole> on_call;  // kOnCall: the roles someone holds now, by name.
};

struct RenderedSection {
  std::string title;
  std::vector<RenderedItem> items;
};

struct RenderedOrgScreen {
  std::int64_t version = 0;  // 0: never saved (no sections).
  UserId updated_by;
  std::optional<Timestamp> updated_at;
  std::vector<RenderedSection> sections;
};

// The org's directory (docs/directory.md): search over people, roles and the caller's
// groups, users' directory fields, and the org screen.
//
// Search runs over an in-memory index per org, built from the store and rebuilt when
// the store's directory version (DirectoryStore::directory_version, which every user or
// role change moves, on any node) differs from the one it was built at; each search
// reads that version once, so a change on any node is seen by the next search on every
// node. Thread-safe; blocks on the store, so call it from worker threads. The stores,
// audit log, bus and clock must outlive it.
class DirectoryService {
 public:
  DirectoryService(Committer& committer, UserStore& users, RoutingStore& routing,
                   DirectoryStore& directory, AuditLog& audit, Bus& bus, const Clock& clock,
                   DirectoryLimits limits = {});

  // Sets where groups come from; without it, searches find no groups. Call before
  // serving.
  void set_group_lister(GroupLister lister) { group_lister_ = std::move(lister); }

  // The entries of the actor's org (people enabled, roles, the actor's groups) matching
  // every word of query.text as a prefix of some word of their name, department or title
  // (without case or accents; docs/directory.md, "Folding"), best first (MatchRank, then
  // name), at most query.limit. Roles carry who holds them now. Audited
  // ("directory.search", counts only) when a group's title is shown, as group titles are
  // sealed at rest. Errors: InvalidArgument for a query empty after folding, longer than
  // max_query_bytes, of more than max_terms words, not UTF-8, or a limit above
  // max_results; as the stores.
  Result<std::vector<DirectoryResult>> search(const Principal& actor, const DirectoryQuery& query);

  // Sets a user's title and department. The system principal or an admin of the user's
  // org. Audited ("admin.user.directory"). Returns the user (no hashes). Errors:
  // PermissionDenied (audited); NotFound (also for another org's user); InvalidArgument
  // for text longer than its limit, not UTF-8 or with control characters.
  Result<User> set_user_directory(const Principal& actor, UserId user, std::string_view title,
                                  std::string_view department);

  // The actor's org screen with its staff and on-call lists resolved now. Any user of
  // the org. Errors: as the stores; DataLoss if the stored page cannot be read.
  Result<RenderedOrgScreen> org_screen(const Principal& actor);
  // As org_screen, for `org` (the system principal, or a user of the org).
  Result<RenderedOrgScreen> org_screen_of(const Principal& actor, OrgId org);

  // Replaces `org`'s screen, if it is still at `expected_version` (the version the
  // editor loaded: 0 before the first save). The system principal or an admin of the
  // org. Audited ("admin.org_screen.save"). Returns the new version. Errors:
  // PermissionDenied (audited); InvalidArgument (the first problem found: counts,
  // lengths, an URL that is not https: or tel:, a phone number with other characters
  // than digits, spaces and + - ( ) . x); Aborted when someone saved since
  // expected_version (audited, "conflict"); NotFound for no org.
  Result<std::int64_t> save_org_screen(const Principal& actor, OrgId org, const OrgScreenPage& page,
                                       std::int64_t expected_version);

  // Whether `actor` may edit `org`'s screen (the system principal or an admin of the org),
  // checked before the page is read. Errors: PermissionDenied (audited).
  Result<void> check_screen_editor(const Principal& actor, OrgId org);

  // Checks a page against the limits. Errors: InvalidArgument with the first problem.
  Result<void> check_page(const OrgScreenPage& page) const;

 private:
  struct OrgDirectory;

  // The org's index, rebuilt first if the store's directory version moved.
  Result<std::shared_ptr<const OrgDirectory>> directory_of(OrgId org);
  Result<std::vector<DirectoryHolder>> holders_of(const OrgDirectory& directory, RoleId role,
                                                  Timestamp now, std::size_t limit);
  Result<void> require_admin_of(const Principal& actor, OrgId org) const;
  Result<BatchResult> commit(WriteBatch batch);

  Committer& committer_;
  UserStore& users_;
  RoutingStore& routing_;
  DirectoryStore& directory_;
  AuditLog& audit_;
  Bus& bus_;
  const Clock& clock_;
  DirectoryLimits limits_;
  GroupLister group_lister_;

  std::mutex mutex_;
  // By org id; each index immutable once built. GUARDED_BY(mutex_)
  std::unordered_map<std::int64_t, std::shared_ptr<const OrgDirectory>> directories_;
  std::mutex build_mutex_;  // One index build at a time; taken before mutex_, never after.
};

// The stored form of a page (docs/directory.md, "The org screen"), and back. Errors
// (parse): DataLoss for text that is not a page.
std::string encode_org_screen(const OrgScreenPage& page);
Result<OrgScreenPage> parse_org_screen(std::string_view body);

}  // namespace wl
