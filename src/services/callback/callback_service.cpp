#include "services/callback/callback_service.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "core/phone_number.hpp"
#include "ports/bus.hpp"
#include "ports/clock.hpp"
#include "ports/user_store.hpp"
#include "ports/write_batch.hpp"
#include "services/audit/audit_log.hpp"
#include "services/keys/key_ring.hpp"

namespace wl {

namespace {

constexpr std::string_view kPhoneKind = "user_phone";

// The sealed number's record (docs/sealed_values.md): its owner and kind, which a user
// has one number of.
std::string phone_record(UserId user, PhoneKind kind) {
  return fmt::format("user:{}/kind:{}", user.value(), static_cast<int>(kind));
}

std::string user_target(UserId user) { return fmt::format("user:{}", user.value()); }

}  // namespace

std::string_view phone_kind_name(PhoneKind kind) {
  switch (kind) {
    case PhoneKind::kWork:
      return "work";
    case PhoneKind::kMobile:
      return "mobile";
    case PhoneKind::kPager:
      return "pager";
  }
  return "work";
}

std::string_view phone_visibility_name(PhoneVisibility visibility) {
  switch (visibility) {
    case PhoneVisibility::kEveryone:
      return "everyone";
    case PhoneVisibility::kColleagues:
      return "colleagues";
    case PhoneVisibility::kAdmins:
      return "admins";
  }
  return "admins";
}

Result<PhoneKind> parse_phone_kind(std::string_view name, std::string_view field) {
  for (const PhoneKind kind : {PhoneKind::kWork, PhoneKind::kMobile, PhoneKind::kPager}) {
    if (name == phone_kind_name(kind)) {
      return kind;
    }
  }
  return error(Code::kInvalidArgument, fmt::format("{} is one of work, mobile, pager", field));
}

Result<PhoneVisibility> parse_phone_visibility(std::string_view name, std::string_view field) {
  for (const PhoneVisibility visibility :
       {PhoneVisibility::kEveryone, PhoneVisibility::kColleagues, PhoneVisibility::kAdmins}) {
    if (name == phone_visibility_name(visibility)) {
      return visibility;
    }
  }
  return error(Code::kInvalidArgument,
               fmt::format("{} is one of everyone, colleagues, admins", field));
}

CallbackService::CallbackService(Committer& committer, PhoneStore& phones, UserStore& users,
                                 KeyRing& keys, AuditLog& audit, Bus& bus, const Clock& clock)
    : committer_(committer),
      phones_(phones),
      users_(users),
      keys_(keys),
      audit_(audit),
      bus_(bus),
      clock_(clock) {}

Result<Phone> CallbackService::open(OrgId org, const StoredPhone& stored) {
  const std::string record = phone_record(stored.user_id, stored.kind);
  std::string number =
      WL_TRY(keys_.open(SealContext{org, kPhoneKind, record, "number"}, stored.number_sealed));
  return Phone{stored.kind, std::move(number), stored.visibility, stored.preferred};
}

Result<std::vector<Phone>> CallbackService::my_phones(const Principal& actor) {
  std::vector<Phone> phones;
  for (const StoredPhone& stored : WL_TRY(phones_.list_user_phones(actor.user))) {
    phones.push_back(WL_TRY(open(actor.org, stored)));
  }
  return phones;
}

Result<std::vector<Phone>> CallbackService::set_my_phones(const Principal& actor,
                                                          std::vector<Phone> phones) {
  std::size_t preferred = 0;
  for (std::size_t i = 0; i < phones.size(); ++i) {
    Phone& phone = phones[i];
    phone.number =
        WL_TRY(normalize_phone_number(phone.number, fmt::format("phones[{}].number", i)));
    for (std::size_t j = 0; j < i; ++j) {
      if (phones[j].kind == phone.kind) {
        return error(Code::kInvalidArgument,
                     fmt::format("phones has two {} numbers: one of each kind",
                                 phone_kind_name(phone.kind)));
      }
    }
    preferred += phone.preferred ? 1 : 0;
  }
  if (preferred > 1) {
    return error(Code::kInvalidArgument, "at most one number is preferred");
  }
  if (preferred == 0 && !phones.empty()) {
    phones.front().preferred = true;
  }
  std::sort(phones.begin(), phones.end(),
            [](const Phone& a, const Phone& b) { return a.kind < b.kind; });
  SetUserPhones change{actor.user, {}, actor.user, clock_.now()};
  for (const Phone& phone : phones) {
    const std::string record = phone_record(actor.user, phone.kind);
    change.phones.push_back(StoredPhone{
        actor.user, phone.kind,
        WL_TRY(keys_.seal(SealContext{actor.org, kPhoneKind, record, "number"}, phone.number)),
        phone.visibility, phone.preferred});
  }
  WriteBatch batch;
  batch.add(std::move(change));
  // Which kinds and who sees them; never the numbers.
  std::string detail = fmt::format("count={}", phones.size());
  for (const Phone& phone : phones) {
    detail += fmt::format(" {}={}{}", phone_kind_name(phone.kind),
                          phone_visibility_name(phone.visibility), phone.preferred ? "*" : "");
  }
  batch.audit(audit_draft(actor, clock_.now(), "phones.set", user_target(actor.user), "ok",
                          std::move(detail)));
  WL_TRY(commit_and_wait(committer_, std::move(batch), publish_to(bus_)));
  return phones;
}

bool CallbackService::may_see(const Principal& actor, UserId owner, const StoredPhone& phone,
                              const std::vector<UserId>& peers) {
  if (actor.user == owner) {
    return true;
  }
  switch (phone.visibility) {
    case PhoneVisibility::kEveryone:
      return true;
    case PhoneVisibility::kColleagues:
      return std::binary_search(peers.begin(), peers.end(), owner) || actor.is_admin;
    case PhoneVisibility::kAdmins:
      return actor.is_admin;
  }
  return false;
}

Result<std::vector<Phone>> CallbackService::visible_phones(const Principal& actor, UserId user) {
  auto found = users_.find_user(user);
  if (!found || found->org_id != actor.org) {
    if (!found && found.error().code() != Code::kNotFound) {
      return std::unexpected(found.error());
    }
    (void)audit_.record(
        audit_draft(actor, clock_.now(), "phones.read", user_target(user), "denied", "not_found"));
    return error(Code::kNotFound, "user not found");
  }
  const std::vector<StoredPhone> stored = WL_TRY(phones_.list_user_phones(user));
  std::vector<UserId> peers;
  const bool needs_peers = std::any_of(stored.begin(), stored.end(), [](const StoredPhone& phone) {
    return phone.visibility == PhoneVisibility::kColleagues;
  });
  if (needs_peers && actor.user != user) {
    peers = WL_TRY(phones_.list_thread_peers(actor.user));
  }
  std::vector<Phone> visible;
  for (const StoredPhone& phone : stored) {
    if (may_see(actor, user, phone, peers)) {
      visible.push_back(WL_TRY(open(actor.org, phone)));
    }
  }
  return visible;
}

std::string CallbackService::callback_of(const std::vector<Phone>& visible) {
  for (const Phone& phone : visible) {
    if (phone.preferred) {
      return phone.number;
    }
  }
  return visible.empty() ? std::string() : visible.front().number;
}

Result<std::map<UserId, std::string>> CallbackService::callbacks(const Principal& actor) {
  const std::vector<StoredPhone> stored = WL_TRY(phones_.list_org_phones(actor.org));
  const std::vector<UserId> peers = WL_TRY(phones_.list_thread_peers(actor.user));
  std::map<UserId, std::vector<Phone>> visible;
  for (const StoredPhone& phone : stored) {
    if (may_see(actor, phone.user_id, phone, peers)) {
      visible[phone.user_id].push_back(WL_TRY(open(actor.org, phone)));
    }
  }
  std::map<UserId, std::string> callbacks;
  for (const auto& [user, phones] : visible) {
    callbacks.emplace(user, callback_of(phones));
  }
  return callbacks;
}

}  // namespace wl
