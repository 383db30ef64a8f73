#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/status.hpp"
#include "ports/phone_store.hpp"
#include "services/identity/principal.hpp"

namespace wl {

class AuditLog;
class Bus;
class Clock;
class Committer;
class KeyRing;
class UserStore;

// One number of a user, opened.
struct Phone {
  PhoneKind kind = PhoneKind::kWork;
  std::string number;  // Normalised (normalize_phone_number): "+15551234567" or "4412".
  PhoneVisibility visibility = PhoneVisibility::kEveryone;
  bool preferred = false;
};

// The names the API and the docs use for kinds and visibilities.
std::string_view phone_kind_name(PhoneKind kind);
std::string_view phone_visibility_name(PhoneVisibility visibility);
// Errors: InvalidArgument naming `field` and the names allowed.
Result<PhoneKind> parse_phone_kind(std::string_view name, std::string_view field);
Result<PhoneVisibility> parse_phone_visibility(std::string_view name, std::string_view field);

// Users' call-back numbers (docs/callback.md): each user keeps at most one work, one
// mobile and one pager number, sealed at rest, each with who may see it; others see the
// numbers their relation to the owner allows, and the one to call back on.
//
// Thread-safe; every method blocks on the store (call from a worker thread).
class CallbackService {
 public:
  // Every reference must outlive the service.
  CallbackService(Committer& committer, PhoneStore& phones, UserStore& users, KeyRing& keys,
                  AuditLog& audit, Bus& bus, const Clock& clock);
  CallbackService(const CallbackService&) = delete;
  CallbackService& operator=(const CallbackService&) = delete;

  /// The caller's own numbers, by kind.
  Result<std::vector<Phone>> my_phones(const Principal& actor);

  /// Replaces the caller's numbers with `phones` (audited as phones.set) and tells the
  /// org (a user_changed event). Each number is normalised. Errors: InvalidArgument for
  /// a number that breaks the rule, two numbers of one kind, or more than one preferred.
  /// With numbers and none preferred, the first is preferred.
  Result<std::vector<Phone>> set_my_phones(const Principal& actor, std::vector<Phone> phones);

  /// The numbers of `user` the caller may see, by kind: all of their own; another's
  /// `everyone` ones, `colleagues` ones if they share a thread now, `admins` ones if the
  /// caller is an admin of the org. Errors: NotFound for a user not of the caller's org
  /// (audited as phones.read, denied).
  Result<std::vector<Phone>> visible_phones(const Principal& actor, UserId user);

  /// For every user of the caller's org with a number the caller may see: the number to
  /// call them back on (the preferred one if visible, else the first visible by kind).
  Result<std::map<UserId, std::string>> callbacks(const Principal& actor);

  /// The number to call `user` back on as the caller sees it; "" for none.
  static std::string callback_of(const std::vector<Phone>& visible);

 private:
  Result<Phone> open(OrgId org, const StoredPhone& stored);
  // Whether the caller may see `phone` of `owner`, given the caller's thread peers.
  static bool may_see(const Principal& actor, UserId owner, const StoredPhone& phone,
                      const std::vector<UserId>& peers);

  Committer& committer_;
  PhoneStore& phones_;
  UserStore& users_;
  KeyRing& keys_;
  AuditLog& audit_;
  Bus& bus_;
  const Clock& clock_;
};

}  // namespace wl
