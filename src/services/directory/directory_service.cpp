#include "services/directory/directory_service.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/log.hpp"
#include "core/utf8.hpp"
#include "services/audit/audit_log.hpp"
#include "services/directory/text_fold.hpp"

namespace wl {
namespace json = boost::json;

// One org's directory as of one directory version: the index, and the users and roles
// it was built from (entry.source indexes sources).
struct DirectoryService::OrgDirectory {
  std::int64_t version = 0;
  std::vector<User> users;  // Enabled users, without hashes.
  std::vector<Role> roles;
  std::unique_ptr<DirectoryIndex> index;
  std::unordered_map<std::int64_t, std::size_t> user_at;  // UserId -> users index.

  const User* find_user(UserId id) const {
    const auto found = user_at.find(id.value());
    return found == user_at.end() ? nullptr : &users[found->second];
  }
};

namespace {

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

Result<void> check_text(std::string_view text, std::size_t limit, std::string_view what,
                        bool required) {
  if (required && text.empty()) {
    return error(Code::kInvalidArgument, fmt::format("{} is required", what));
  }
  if (text.size() > limit) {
    return error(Code::kInvalidArgument, fmt::format("{} is at most {} bytes", what, limit));
  }
  if (!is_valid_utf8(text) || has_control(text)) {
    return error(Code::kInvalidArgument,
                 fmt::format("{} must be UTF-8 without control characters", what));
  }
  return ok();
}

bool is_phone_text(std::string_view number) {
  bool digit = false;
  for (const char c : number) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != ' ' && c != '+' && c != '-' && c != '(' && c != ')' && c != '.' && c != 'x') {
      return false;
    }
  }
  return digit;
}

// https://host... with a host, or tel: with a phone number.
bool is_allowed_url(std::string_view url) {
  if (url.starts_with("https://")) {
    const std::string_view rest = url.substr(8);
    if (rest.empty() || rest.front() == '/' || rest.front() == '?' || rest.front() == '#') {
      return false;
    }
    return std::none_of(url.begin(), url.end(), [](char c) {
      return static_cast<unsigned char>(c) <= 0x20 || c == '"' || c == '<' || c == '>' ||
             c == '\\' || c == '`' || static_cast<unsigned char>(c) >= 0x7F;
    });
  }
  if (url.starts_with("tel:")) {
    return is_phone_text(url.substr(4)) && url.find(' ') == std::string_view::npos;
  }
  return false;
}

std::string_view type_name(ScreenItemType type) {
  switch (type) {
    case ScreenItemType::kLink:
      return "link";
    case ScreenItemType::kPhone:
      return "phone";
    case ScreenItemType::kStaff:
      return "staff";
    case ScreenItemType::kOnCall:
      return "on_call";
  }
  return "link";
}

std::optional<ScreenItemType> type_of(std::string_view name) {
  for (const auto type : {ScreenItemType::kLink, ScreenItemType::kPhone, ScreenItemType::kStaff,
                          ScreenItemType::kOnCall}) {
    if (type_name(type) == name) {
      return type;
    }
  }
  return std::nullopt;
}

std::string_view reason_of(HoldVia via) {
  return via == HoldVia::kSignIn ? "signed_in" : "on_call";
}

User without_secrets(User user) {
  user.password_hash.clear();
  user.pin_hash.clear();
  return user;
}

}  // namespace

std::string encode_org_screen(const OrgScreenPage& page) {
  json::array sections;
  for (const ScreenSection& section : page.sections) {
    json::array items;
    for (const ScreenItem& item : section.items) {
      json::object object{{"type", type_name(item.type)}};
      switch (item.type) {
        case ScreenItemType::kLink:
          object["label"] = item.label;
          object["url"] = item.url;
          break;
        case ScreenItemType::kPhone:
          object["label"] = item.label;
          object["number"] = item.number;
          break;
        case ScreenItemType::kStaff:
          object["department"] = item.department;
          break;
        case ScreenItemType::kOnCall:
          break;
      }
      items.push_back(std::move(object));
    }
    sections.push_back(json::object{{"title", section.title}, {"items", std::move(items)}});
  }
  return json::serialize(json::object{{"format", 1}, {"sections", std::move(sections)}});
}

Result<OrgScreenPage> parse_org_screen(std::string_view body) {
  const auto bad = [] { return error(Code::kDataLoss, "the stored org screen cannot be read"); };
  boost::system::error_code code;
  const json::value value = json::parse(body, code);
  if (code || !value.is_object()) {
    return bad();
  }
  const json::object& root = value.get_object();
  const auto* sections = root.if_contains("sections");
  if (sections == nullptr || !sections->is_array()) {
    return bad();
  }
  const auto text = [](const json::object& object, std::string_view key) -> std::string {
    const auto* found = object.if_contains(key);
    return found != nullptr && found->is_string() ? std::string(found->get_string()) : "";
  };
  OrgScreenPage page;
  for (const json::value& section_value : sections->get_array()) {
    if (!section_value.is_object()) {
      return bad();
    }
    const json::object& section_object = section_value.get_object();
    ScreenSection section;
    section.title = text(section_object, "title");
    const auto* items = section_object.if_contains("items");
    if (items == nullptr || !items->is_array()) {
      return bad();
    }
    for (const json::value& item_value : items->get_array()) {
      if (!item_value.is_object()) {
        return bad();
      }
      const json::object& item_object = item_value.get_object();
      const auto type = type_of(text(item_object, "type"));
      if (!type) {
        return bad();
      }
      section.items.push_back(ScreenItem{*type, text(item_object, "label"),
                                         text(item_object, "url"), text(item_object, "number"),
                                         text(item_object, "department")});
    }
    page.sections.push_back(std::move(section));
  }
  return page;
}

DirectoryService::DirectoryService(Committer& committer, UserStore& users, RoutingStore& routing,
                                   DirectoryStore& directory, AuditLog& audit, Bus& bus,
                                   const Clock& clock, DirectoryLimits limits)
    : committer_(committer),
      users_(users),
      routing_(routing),
      directory_(directory),
      audit_(audit),
      bus_(bus),
      clock_(clock),
      limits_(limits) {}

Result<std::shared_ptr<const DirectoryService::OrgDirectory>> DirectoryService::directory_of(
    OrgId org) {
  // The version is read before the rows: a change that commits in between makes the
  // next search build again, never keeps stale rows under a newer version.
  const std::int64_t version = WL_TRY(directory_.directory_version(org));
  {
    std::lock_guard lock(mutex_);
    const auto found = directories_.find(org.value());
    if (found != directories_.end() && found->second->version == version) {
      return found->second;
    }
  }
  std::lock_guard build(build_mutex_);
  {
    // Another search may have built it while this one waited.
    std::lock_guard lock(mutex_);
    const auto found = directories_.find(org.value());
    if (found != directories_.end() && found->second->version >= version) {
      return found->second;
    }
  }
  auto built = std::make_shared<OrgDirectory>();
  built->version = version;
  for (User& user : WL_TRY(users_.list_users(org))) {
    if (!user.disabled) {
      built->users.push_back(without_secrets(std::move(user)));
    }
  }
  built->roles = WL_TRY(routing_.list_roles(org));
  std::vector<DirectorySource> sources;
  sources.reserve(built->users.size() + built->roles.size());
  for (std::size_t index = 0; index < built->users.size(); ++index) {
    const User& user = built->users[index];
    built->user_at.emplace(user.id.value(), index);
    sources.push_back(DirectorySource{
        DirectoryKind::kPerson, user.id.value(), user.display_name, user.department, {user.title}});
  }
  for (const Role& role : built->roles) {
    sources.push_back(DirectorySource{DirectoryKind::kRole, role.id.value(), role.name, "", {}});
  }
  built->index = std::make_unique<DirectoryIndex>(sources);
  std::shared_ptr<const OrgDirectory> shared = std::move(built);
  std::lock_guard lock(mutex_);
  directories_[org.value()] = shared;
  return shared;
}

Result<std::vector<DirectoryHolder>> DirectoryService::holders_of(const OrgDirectory& directory,
                                                                  RoleId role, Timestamp now,
                                                                  std::size_t limit) {
  std::vector<DirectoryHolder> holders;
  for (const RoleHolder& holder : WL_TRY(routing_.list_role_holders(role, now))) {
    if (holders.size() == limit) {
      break;
    }
    const User* user = directory.find_user(holder.user_id);
    holders.push_back(DirectoryHolder{holder.user_id, user != nullptr ? user->display_name : "",
                                      std::string(reason_of(holder.via))});
  }
  return holders;
}

Result<std::vector<DirectoryResult>> DirectoryService::search(const Principal& actor,
                                                              const DirectoryQuery& query) {
  if (query.text.size() > limits_.max_query_bytes) {
    return error(Code::kInvalidArgument,
                 fmt::format("q is at most {} bytes", limits_.max_query_bytes));
  }
  if (!is_valid_utf8(query.text)) {
    return error(Code::kInvalidArgument, "q must be UTF-8");
  }
  const std::size_t limit = query.limit == 0 ? limits_.default_results : query.limit;
  if (limit > limits_.max_results) {
    return error(Code::kInvalidArgument, fmt::format("limit is 1 to {}", limits_.max_results));
  }
  const std::vector<std::string> terms = query_terms(query.text);
  if (terms.empty()) {
    return error(Code::kInvalidArgument, "q needs a letter or a digit");
  }
  if (terms.size() > limits_.max_terms) {
    return error(Code::kInvalidArgument, fmt::format("q has at most {} words", limits_.max_terms));
  }
  const auto directory = WL_TRY(directory_of(actor.org));
  const Timestamp now = clock_.now();

  struct Candidate {
    MatchRank rank;
    std::string_view folded_name;
    DirectoryKind kind;
    std::int64_t id;
    DirectoryResult result;
  };
  std::vector<Candidate> candidates;
  for (const DirectoryIndex::Hit& hit : directory->index->search(terms, query.kinds, limit)) {
    const FoldedEntry& entry = directory->index->entry(hit.entry);
    DirectoryResult result;
    result.kind = entry.kind;
    result.rank = hit.rank;
    result.id = entry.id;
    if (entry.kind == DirectoryKind::kPerson) {
      const User& user = directory->users[entry.source];
      result.name = user.display_name;
      result.username = user.username;
      result.title = user.title;
      result.department = user.department;
    } else {
      const Role& role = directory->roles[entry.source - directory->users.size()];
      result.name = role.name;
      result.description = role.description;
    }
    candidates.push_back(
        Candidate{hit.rank, entry.folded_name, entry.kind, entry.id, std::move(result)});
  }
  std::vector<FoldedEntry> groups;
  if (query.kinds.group && group_lister_) {
    for (const DirectoryGroup& group : WL_TRY(group_lister_(actor))) {
      FoldedEntry entry =
          fold_entry(DirectorySource{DirectoryKind::kGroup, group.id.value(), group.title, "", {}});
      if (const auto rank = match_entry(entry, terms)) {
        DirectoryResult result;
        result.kind = DirectoryKind::kGroup;
        result.rank = *rank;
        result.id = group.id.value();
        result.name = group.title;
        result.members = group.members;
        groups.push_back(std::move(entry));
        candidates.push_back(
            Candidate{*rank, {}, DirectoryKind::kGroup, group.id.value(), std::move(result)});
      }
    }
    // The views point into `groups`, which no longer grows.
    std::size_t next = 0;
    for (Candidate& candidate : candidates) {
      if (candidate.kind == DirectoryKind::kGroup) {
        candidate.folded_name = groups[next++].folded_name;
      }
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) {
                     return std::tie(a.rank, a.folded_name, a.kind, a.id) <
                            std::tie(b.rank, b.folded_name, b.kind, b.id);
                   });
  if (candidates.size() > limit) {
    candidates.resize(limit);
  }
  std::vector<DirectoryResult> results;
  results.reserve(candidates.size());
  std::size_t shown_groups = 0;
  for (Candidate& candidate : candidates) {
    if (candidate.kind == DirectoryKind::kRole) {
      candidate.result.on_call =
          WL_TRY(holders_of(*directory, RoleId(candidate.id), now, limits_.max_holders));
    }
    shown_groups += candidate.kind == DirectoryKind::kGroup ? 1 : 0;
    results.push_back(std::move(candidate.result));
  }
  if (shown_groups > 0) {
    // Group titles are sealed at rest (they may name patients): showing one is on the
    // trail, with counts only, never the query.
    audit_.record_async(
        audit_draft(actor, now, "directory.search", "directory", "ok",
                    fmt::format("results={},groups={}", results.size(), shown_groups)),
        [](Result<AuditEntry> entry) {
          if (!entry) {
            log::get("audit")->error("directory search audit entry not written: {}",
                                     entry.error().message());
          }
        });
  }
  return results;
}

Result<void> DirectoryService::require_admin_of(const Principal& actor, OrgId org) const {
  const bool system = !actor.user.is_set() && actor.is_admin;
  if (system || (actor.is_admin && actor.org == org)) {
    return ok();
  }
  return error(Code::kPermissionDenied, "this needs an administrator of the org");
}

Result<BatchResult> DirectoryService::commit(WriteBatch batch) {
  return commit_and_wait(committer_, std::move(batch), publish_to(bus_));
}

Result<User> DirectoryService::set_user_directory(const Principal& actor, UserId user_id,
                                                  std::string_view title,
                                                  std::string_view department) {
  const std::string target = fmt::format("user:{}", user_id.value());
  User user = WL_TRY(users_.find_user(user_id));
  const bool system = !actor.user.is_set() && actor.is_admin;
  if (!system && user.org_id != actor.org) {
    // Naming another org's user is a lookup across orgs: refused as if there were none,
    // and on the trail.
    (void)audit_.record(
        audit_draft(actor, clock_.now(), "admin.user.directory", target, "denied", "other_org"));
    return error(Code::kNotFound, "user not found");
  }
  if (auto allowed = require_admin_of(actor, user.org_id); !allowed) {
    (void)audit_.record(audit_draft(actor, clock_.now(), "admin.user.directory", target, "denied"));
    return std::unexpected(allowed.error());
  }
  WL_TRY(check_text(title, limits_.max_title_bytes, "title", false));
  WL_TRY(check_text(department, limits_.max_department_bytes, "department", false));
  WriteBatch batch;
  batch.add(SetUserDirectory{user.id, std::string(title), std::string(department), actor.user,
                             clock_.now()});
  batch.audit(audit_draft(actor, clock_.now(), "admin.user.directory", target, "ok"));
  WL_TRY(commit(std::move(batch)));
  user.title = title;
  user.department = department;
  return without_secrets(std::move(user));
}

Result<void> DirectoryService::check_page(const OrgScreenPage& page) const {
  if (page.sections.size() > limits_.max_sections) {
    return error(Code::kInvalidArgument,
                 fmt::format("an org screen has at most {} sections", limits_.max_sections));
  }
  std::size_t items = 0;
  for (std::size_t s = 0; s < page.sections.size(); ++s) {
    const ScreenSection& section = page.sections[s];
    const std::string where = fmt::format("sections[{}]", s);
    WL_TRY(check_text(section.title, limits_.max_text_bytes, where + ".title", true));
    if (section.items.size() > limits_.max_section_items) {
      return error(Code::kInvalidArgument,
                   fmt::format("{} has at most {} items", where, limits_.max_section_items));
    }
    items += section.items.size();
    for (std::size_t i = 0; i < section.items.size(); ++i) {
      const ScreenItem& item = section.items[i];
      const std::string at = fmt::format("{}.items[{}]", where, i);
      switch (item.type) {
        case ScreenItemType::kLink:
          WL_TRY(check_text(item.label, limits_.max_text_bytes, at + ".label", true));
          WL_TRY(check_text(item.url, limits_.max_url_bytes, at + ".url", true));
          if (!is_allowed_url(item.url)) {
            return error(Code::kInvalidArgument,
                         fmt::format("{}.url must be an https: or tel: URL", at));
          }
          break;
        case ScreenItemType::kPhone:
          WL_TRY(check_text(item.label, limits_.max_text_bytes, at + ".label", true));
          WL_TRY(check_text(item.number, limits_.max_phone_bytes, at + ".number", true));
          if (!is_phone_text(item.number)) {
            return error(Code::kInvalidArgument,
                         fmt::format("{}.number may hold only digits, spaces and + - ( ) . x", at));
          }
          break;
        case ScreenItemType::kStaff:
          WL_TRY(
              check_text(item.department, limits_.max_department_bytes, at + ".department", true));
          break;
        case ScreenItemType::kOnCall:
          break;
      }
    }
  }
  if (items > limits_.max_items) {
    return error(Code::kInvalidArgument,
                 fmt::format("an org screen has at most {} items", limits_.max_items));
  }
  return ok();
}

Result<void> DirectoryService::check_screen_editor(const Principal& actor, OrgId org) {
  if (auto allowed = require_admin_of(actor, org); !allowed) {
    (void)audit_.record(audit_draft(actor, clock_.now(), "admin.org_screen.save",
                                    fmt::format("org:{}", org.value()), "denied"));
    return std::unexpected(allowed.error());
  }
  return ok();
}

Result<std::int64_t> DirectoryService::save_org_screen(const Principal& actor, OrgId org,
                                                       const OrgScreenPage& page,
                                                       std::int64_t expected_version) {
  const std::string target = fmt::format("org:{}", org.value());
  WL_TRY(check_screen_editor(actor, org));
  if (expected_version < 0) {
    return error(Code::kInvalidArgument, "version is 0 or more");
  }
  WL_TRY(check_page(page));
  WriteBatch batch;
  const std::size_t saved = batch.add(
      SaveOrgScreen{org, expected_version, encode_org_screen(page), actor.user, clock_.now()});
  batch.audit(audit_draft(actor, clock_.now(), "admin.org_screen.save", target, "ok",
                          fmt::format("version={}", expected_version + 1)));
  auto result = commit(std::move(batch));
  if (!result) {
    if (result.error().code() == Code::kAborted) {
      (void)audit_.record(audit_draft(actor, clock_.now(), "admin.org_screen.save", target,
                                      "conflict", fmt::format("based_on={}", expected_version)));
    }
    return std::unexpected(result.error());
  }
  return std::get<OrgScreen>(result->results[saved]).version;
}

Result<RenderedOrgScreen> DirectoryService::org_screen(const Principal& actor) {
  return org_screen_of(actor, actor.org);
}

Result<RenderedOrgScreen> DirectoryService::org_screen_of(const Principal& actor, OrgId org) {
  const bool system = !actor.user.is_set() && actor.is_admin;
  if (!system && actor.org != org) {
    return error(Code::kNotFound, "org not found");
  }
  RenderedOrgScreen rendered;
  const auto stored = WL_TRY(directory_.find_org_screen(org));
  if (!stored) {
    return rendered;
  }
  rendered.version = stored->version;
  rendered.updated_by = stored->updated_by;
  rendered.updated_at = stored->updated_at;
  const OrgScreenPage page = WL_TRY(parse_org_screen(stored->body));
  const auto directory = WL_TRY(directory_of(org));
  const Timestamp now = clock_.now();
  std::optional<std::pair<std::vector<OnCallRole>, bool>> on_call;  // Read once per render.
  for (const ScreenSection& section : page.sections) {
    RenderedSection out{section.title, {}};
    for (const ScreenItem& item : section.items) {
      RenderedItem rendered_item{item, {}, false, {}};
      if (item.type == ScreenItemType::kStaff) {
        const auto people = directory->index->in_department(fold_text(item.department));
        for (const std::uint32_t entry : people) {
          if (rendered_item.staff.size() == limits_.max_staff) {
            rendered_item.truncated = true;
            break;
          }
          const User& user = directory->users[directory->index->entry(entry).source];
          rendered_item.staff.push_back(StaffMember{user.id, user.display_name, user.title});
        }
      } else if (item.type == ScreenItemType::kOnCall) {
        if (!on_call) {
          std::vector<OnCallRole> roles;
          bool truncated = false;
          for (const Role& role : directory->roles) {
            auto holders = WL_TRY(holders_of(*directory, role.id, now, limits_.max_holders));
            if (holders.empty()) {
              continue;
            }
            if (roles.size() == limits_.max_on_call_roles) {
              truncated = true;
              break;
            }
            roles.push_back(OnCallRole{role.id, role.name, std::move(holders)});
          }
          on_call.emplace(std::move(roles), truncated);
        }
        rendered_item.on_call = on_call->first;
        rendered_item.truncated = on_call->second;
      }
      out.items.push_back(std::move(rendered_item));
    }
    rendered.sections.push_back(std::move(out));
  }
  return rendered;
}

}  // namespace wl
