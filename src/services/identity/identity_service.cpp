#include "services/identity/identity_service.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/crypto/encoding.hpp"
#include "core/crypto/hash.hpp"
#include "core/crypto/random.hpp"
#include "core/utf8.hpp"
#include "services/audit/audit_log.hpp"
#include "services/keys/key_ring.hpp"

namespace wl {
namespace {

constexpr std::string_view kBadCredentials = "unknown user or wrong password";
constexpr std::string_view kDeviceKind = "device";
// Device names sealed per store call by seal_device_names_in_clear.
constexpr std::size_t kSealBatch = 500;

// The web app reads the time after "locked until".
std::string locked_message(Timestamp until) {
  return fmt::format("too many failed attempts: sign-in is locked until {}",
                     format_rfc3339(until));
}

std::string user_target(UserId id) { return fmt::format("user:{}", id.value()); }

}  // namespace

Result<std::string> normalize_username(std::string_view username) {
  if (username.empty() || username.size() > 64) {
    return error(Code::kInvalidArgument, "username must be 1 to 64 characters");
  }
  std::string normalized;
  normalized.reserve(username.size());
  for (const char c : username) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool allowed = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') ||
                         lower == '.' || lower == '_' || lower == '-';
    if (!allowed) {
      return error(Code::kInvalidArgument,
                   "username may contain only letters, digits, '.', '_' and '-'");
    }
    normalized.push_back(lower);
  }
  return normalized;
}

std::string device_record_key(UserId user, Timestamp created_at) {
  return fmt::format("user:{}/at:{}", user.value(), to_micros(created_at));
}

IdentityService::IdentityService(Store& store, KeyRing& keys, const Clock& clock, AuditLog& audit,
                                 const PasswordHasher& hasher, IdentityPolicy policy)
    : store_(store),
      keys_(keys),
      clock_(clock),
      audit_(audit),
      hasher_(hasher),
      policy_(policy),
      throttle_(clock, LoginThrottle::Policy{policy.source_lock_threshold, policy.lockout,
                                             policy.max_lockout, policy.throttle_capacity}) {}

Principal IdentityService::system_principal() {
  Principal principal;
  principal.is_admin = true;
  return principal;
}

Result<void> IdentityService::check_password_rules(std::string_view password) const {
  if (!is_valid_utf8(password)) {
    return error(Code::kInvalidArgument, "password must be valid UTF-8");
  }
  if (password.size() < policy_.min_password_length) {
    return error(Code::kInvalidArgument,
                 fmt::format("password must be at least {} characters",
                             policy_.min_password_length));
  }
  if (password.size() > policy_.max_password_length) {
    return error(Code::kInvalidArgument,
                 fmt::format("password must be at most {} characters",
                             policy_.max_password_length));
  }
  return ok();
}

Result<std::optional<OrgId>> IdentityService::resolve_org(std::string_view name) {
  if (!name.empty()) {
    auto org = store_.find_org_by_name(name);
    if (!org) {
      if (org.error().code() == Code::kNotFound) {
        return std::optional<OrgId>();
      }
      return std::unexpected(org.error());
    }
    return std::optional<OrgId>(org->id);
  }
  const auto orgs = WL_TRY(store_.list_orgs());
  if (orgs.size() != 1) {
    return error(Code::kInvalidArgument, "this server hosts several orgs: name the org");
  }
  return std::optional<OrgId>(orgs.front().id);
}

// Spends the time of a real password check, so that refusing an unknown org, an
// unknown user or a disabled account takes as long as a wrong password.
void IdentityService::verify_against_nothing(std::string_view password) const {
  static const std::string kDummyHash =
      hasher_.hash("wardline-timing-equaliser").value_or(std::string());
  (void)hasher_.verify(kDummyHash, password);
}

Result<LoginResult> IdentityService::login(const LoginRequest& request) {
  if (request.username.empty() || request.password.empty()) {
    return error(Code::kInvalidArgument, "username and password are required");
  }
  const Timestamp now = clock_.now();
  const std::string detail = fmt::format("remote={}", request.remote_address);
  auto username = normalize_username(request.username);
  // Failures count per username and source address together (docs/security.md,
  // "Sign-in throttling"), whether or not the account exists, so the answers are the
  // same for both and a guesser locks out only its own address.
  const std::string throttle_key =
      fmt::format("{}|{}", username.value_or(request.username), request.remote_address);
  const auto refuse = [&](const Principal& actor, std::string target, std::string_view reason,
                          std::optional<Timestamp> locked_until) -> Status {
    if (const auto source_lock = throttle_.record_failure(throttle_key)) {
      (void)audit_event(actor, "login.source_locked", target, "ok", detail);
      locked_until = source_lock;
    }
    (void)audit_event(actor, "login", std::move(target), "failed",
                      fmt::format("{} reason={}", detail, reason));
    if (locked_until) {
      return Status(Code::kResourceExhausted, locked_message(*locked_until));
    }
    return Status(Code::kUnauthenticated, std::string(kBadCredentials));
  };

  Principal anonymous;
  if (const auto locked_until = throttle_.locked_until(throttle_key)) {
    (void)audit_event(anonymous, "login", "user:unknown", "denied",
                      detail + " reason=source_locked");
    return error(Code::kResourceExhausted, locked_message(*locked_until));
  }
  const std::optional<OrgId> org = WL_TRY(resolve_org(request.org));
  if (!org || !username || request.password.size() > policy_.max_password_length) {
    verify_against_nothing(request.password);
    return std::unexpected(refuse(anonymous, "user:unknown",
                                  !org ? "unknown_org" : "bad_username", std::nullopt));
  }
  anonymous.org = *org;
  auto found = store_.find_user_by_name(*org, *username);
  if (!found) {
    if (found.error().code() != Code::kNotFound) {
      return std::unexpected(found.error());
    }
    verify_against_nothing(request.password);
    return std::unexpected(refuse(anonymous, "user:unknown", "unknown_user", std::nullopt));
  }
  User user = std::move(*found);
  Principal subject{user.id, *org, DeviceId(), user.is_admin, user.is_operator, ""};

  // The password is checked first in every case, so that how long the answer takes
  // says nothing about the account's state.
  const bool is_right = hasher_.verify(user.password_hash, request.password);
  if (user.locked_until && *user.locked_until > now) {
    (void)audit_event(subject, "login", user_target(user.id), "denied", detail + " reason=locked");
    return error(Code::kResourceExhausted, locked_message(*user.locked_until));
  }
  if (!is_right) {
    // Consecutive failures of the account from every address: a slower, account-wide
    // back-off that keeps counting across lock ends (lock_duration).
    const int failures = user.failed_logins + 1;
    const auto duration = lock_duration(failures, policy_.account_lock_threshold,
                                        policy_.lockout, policy_.max_lockout);
    std::optional<Timestamp> locked_until;
    if (duration) {
      locked_until = now + *duration;
    }
    WL_TRY(store_.set_login_failures(user.id, failures, locked_until));
    if (locked_until) {
      WL_TRY(audit_event(subject, "account.locked", user_target(user.id), "ok",
                         fmt::format("{} failures={}", detail, failures)));
    }
    return std::unexpected(refuse(subject, user_target(user.id),
                                  fmt::format("wrong_password failures={}", failures),
                                  locked_until));
  }
  if (user.disabled) {
    // The same answer as a wrong password: a refusal says nothing about the account.
    (void)audit_event(subject, "login", user_target(user.id), "denied",
                      detail + " reason=disabled");
    return error(Code::kUnauthenticated, std::string(kBadCredentials));
  }
  throttle_.record_success(throttle_key);
  if (user.failed_logins != 0 || user.locked_until) {
    WL_TRY(store_.set_login_failures(user.id, 0, std::nullopt));
  }

  std::string device_name = request.device_name.empty() ? "unnamed device" : request.device_name;
  if (device_name.size() > 100 || !is_valid_utf8(device_name)) {
    return error(Code::kInvalidArgument, "device_name must be valid UTF-8 of at most 100 bytes");
  }
  // Users name their devices freely ("Dr Lee's phone", "bed 12 tablet"): sealed like
  // any other typed text. The record is fixed before the device has an id.
  const std::string name_sealed = WL_TRY(keys_.seal(
      SealContext{user.org_id, kDeviceKind, device_record_key(user.id, now), "name"}, device_name));
  const Device device = WL_TRY(store_.create_device(user.id, name_sealed, now));
  const std::string token = crypto::base64url_encode(crypto::random_bytes(32));
  Session session;
  session.token_hash = crypto::sha256(token);
  session.user_id = user.id;
  session.device_id = device.id;
  session.created_at = now;
  session.last_used = now;
  session.expires_at = now + policy_.absolute_timeout;
  WL_TRY(store_.create_session(session));
  subject.device = device.id;
  WL_TRY(audit_event(subject, "login", user_target(user.id), "ok",
              fmt::format("{} device={}", detail, device.id.value())));
  DeviceView view{device.id,         device.user_id,   std::move(device_name),
                  device.created_at, device.last_seen, device.revoked};
  return LoginResult{token, std::move(user), std::move(view), session.expires_at};
}

Result<DeviceView> IdentityService::open_device(OrgId org, const Device& device) {
  std::string name = WL_TRY(keys_.open(
      SealContext{org, kDeviceKind, device_record_key(device.user_id, device.created_at), "name"},
      device.name_sealed));
  return DeviceView{device.id,         device.user_id,   std::move(name),
                    device.created_at, device.last_seen, device.revoked};
}

Result<Session> IdentityService::live_session(std::string_view token_hash, Timestamp now) {
  auto session = store_.find_session(token_hash);
  if (!session) {
    if (session.error().code() == Code::kNotFound) {
      return error(Code::kUnauthenticated, "unknown session: log in again");
    }
    return std::unexpected(session.error());
  }
  if (session->revoked) {
    return error(Code::kUnauthenticated, "the session was ended: log in again");
  }
  if (now >= session->expires_at) {
    return error(Code::kUnauthenticated, "the session expired: log in again");
  }
  if (now - session->last_used >= policy_.idle_timeout) {
    return error(Code::kUnauthenticated, "the session timed out after inactivity: log in again");
  }
  return session;
}

Result<Principal> IdentityService::authenticate(std::string_view token) {
  if (token.empty() || token.size() > 128) {
    return error(Code::kUnauthenticated, "missing or malformed session token");
  }
  const std::string token_hash = crypto::sha256(token);
  const Timestamp now = clock_.now();
  const Session session = WL_TRY(live_session(token_hash, now));
  const User user = WL_TRY(store_.find_user(session.user_id));
  if (user.disabled) {
    return error(Code::kUnauthenticated, "this account is disabled");
  }
  if (now - session.last_used >= policy_.touch_interval) {
    WL_TRY(store_.touch_session(token_hash, now));
  }
  return Principal{user.id,       user.org_id,      session.device_id,
                   user.is_admin, user.is_operator, token_hash};
}

Result<void> IdentityService::validate(const Principal& principal) {
  WL_TRY(live_session(principal.token_hash, clock_.now()));
  const User user = WL_TRY(store_.find_user(principal.user));
  if (user.disabled) {
    return error(Code::kUnauthenticated, "this account is disabled");
  }
  return ok();
}

Result<void> IdentityService::record_activity(const Principal& principal) {
  const Timestamp now = clock_.now();
  const Session session = WL_TRY(live_session(principal.token_hash, now));
  if (now - session.last_used >= policy_.touch_interval) {
    WL_TRY(store_.touch_session(principal.token_hash, now));
  }
  return ok();
}

Result<void> IdentityService::logout(const Principal& principal) {
  WL_TRY(store_.revoke_session(principal.token_hash));
  WL_TRY(audit_event(principal, "logout", user_target(principal.user), "ok",
              fmt::format("device={}", principal.device.value())));
  return ok();
}

Result<void> IdentityService::require_admin_of(const Principal& actor, OrgId org) const {
  const bool system = !actor.user.is_set() && actor.is_admin;
  if (system || (actor.is_admin && actor.org == org)) {
    return ok();
  }
  return error(Code::kPermissionDenied, "this needs an administrator of the org");
}

Result<void> IdentityService::require_operator(const Principal& actor) const {
  const bool system = !actor.user.is_set() && actor.is_admin;
  if (system || actor.is_operator) {
    return ok();
  }
  return error(Code::kPermissionDenied, "this needs an operator of the server");
}

Result<User> IdentityService::create_user(const Principal& actor, OrgId org,
                                          std::string_view username,
                                          std::string_view display_name, std::string_view title,
                                          std::string_view password, bool is_admin) {
  if (auto allowed = require_admin_of(actor, org); !allowed) {
    (void)audit_event(actor, "admin.user.create", fmt::format("org:{}", org.value()), "denied", "");
    return std::unexpected(allowed.error());
  }
  NewUser user;
  user.org_id = org;
  user.username = WL_TRY(normalize_username(username));
  if (display_name.empty() || display_name.size() > 200 || !is_valid_utf8(display_name) ||
      title.size() > 200 || !is_valid_utf8(title)) {
    return error(Code::kInvalidArgument,
                 "display name (1-200 bytes) and title (at most 200 bytes) must be valid UTF-8");
  }
  WL_TRY(check_password_rules(password));
  user.display_name = std::string(display_name);
  user.title = std::string(title);
  user.password_hash = WL_TRY(hasher_.hash(password));
  user.is_admin = is_admin;
  user.created_at = clock_.now();
  User created = WL_TRY(store_.create_user(user));
  WL_TRY(audit_event(actor, "admin.user.create", user_target(created.id), "ok",
              fmt::format("admin={}", is_admin)));
  return created;
}

Result<void> IdentityService::set_password(const Principal& actor, UserId user_id,
                                           std::string_view password) {
  const User user = WL_TRY(store_.find_user(user_id));
  if (actor.user != user_id) {
    if (auto allowed = require_admin_of(actor, user.org_id); !allowed) {
      (void)audit_event(actor, "admin.user.password", user_target(user_id), "denied", "");
      return std::unexpected(allowed.error());
    }
  }
  WL_TRY(check_password_rules(password));
  WL_TRY(store_.set_password_hash(user_id, WL_TRY(hasher_.hash(password))));
  WL_TRY(audit_event(actor, "admin.user.password", user_target(user_id), "ok", ""));
  return ok();
}

Result<void> IdentityService::set_operator(const Principal& actor, UserId user_id,
                                           bool is_operator) {
  if (auto allowed = require_operator(actor); !allowed) {
    (void)audit_event(actor, "admin.user.operator", user_target(user_id), "denied", "");
    return std::unexpected(allowed.error());
  }
  WL_TRY(store_.set_user_operator(user_id, is_operator));
  WL_TRY(audit_event(actor, "admin.user.operator", user_target(user_id), "ok",
                     fmt::format("operator={}", is_operator)));
  return ok();
}

Result<std::vector<DeviceView>> IdentityService::list_devices(const Principal& actor,
                                                              UserId user_id) {
  const User user = WL_TRY(store_.find_user(user_id));
  if (actor.user != user_id) {
    WL_TRY(require_admin_of(actor, user.org_id));
  }
  std::vector<DeviceView> views;
  for (const Device& device : WL_TRY(store_.list_devices(user_id))) {
    views.push_back(WL_TRY(open_device(user.org_id, device)));
  }
  return views;
}

Result<std::size_t> IdentityService::seal_device_names_in_clear() {
  std::size_t sealed = 0;
  DeviceId after;
  while (true) {
    const auto page = WL_TRY(store_.list_device_names_in_clear(after, kSealBatch));
    if (page.empty()) {
      break;
    }
    std::vector<SealedDeviceName> names;
    names.reserve(page.size());
    for (const DeviceNameInClear& device : page) {
      // As login seals a new device's name.
      const std::string record = device_record_key(device.user_id, device.created_at);
      std::string sealed_name =
          WL_TRY(keys_.seal(SealContext{device.org_id, kDeviceKind, record, "name"}, device.name));
      names.push_back(SealedDeviceName{device.id, std::move(sealed_name)});
    }
    WL_TRY(store_.seal_device_names(names));
    sealed += names.size();
    after = page.back().id;
  }
  if (sealed > 0) {
    WL_TRY(audit_event(system_principal(), "device.name.seal", "store", "ok",
                       fmt::format("devices={}", sealed)));
  }
  return sealed;
}

Result<void> IdentityService::revoke_device(const Principal& actor, DeviceId device_id) {
  const std::string target = fmt::format("device:{}", device_id.value());
  auto device = store_.find_device(device_id);
  if (!device && device.error().code() != Code::kNotFound) {
    return std::unexpected(device.error());
  }
  const bool system = !actor.user.is_set() && actor.is_admin;
  const auto owner_found = device ? store_.find_user(device->user_id) : Result<User>(std::unexpected(device.error()));
  if (!owner_found || (!system && owner_found->org_id != actor.org)) {
    // Another org's device is answered as a missing one.
    (void)audit_event(actor, "device.revoke", target, "denied",
                      owner_found ? "other_org" : "not_found");
    return error(Code::kNotFound, "device not found");
  }
  const User& owner = *owner_found;
  if (actor.user != owner.id) {
    if (auto allowed = require_admin_of(actor, owner.org_id); !allowed) {
      (void)audit_event(actor, "device.revoke", target, "denied", "not_owner");
      return std::unexpected(allowed.error());
    }
  }
  WL_TRY(store_.revoke_device(device_id, clock_.now()));
  WL_TRY(audit_event(actor, "device.revoke", target, "ok",
                     fmt::format("owner={}", owner.id.value())));
  return ok();
}

Result<std::vector<User>> IdentityService::list_users(const Principal& actor) {
  auto users = WL_TRY(store_.list_users(actor.org));
  for (User& user : users) {
    user.password_hash.clear();
  }
  return users;
}

Result<User> IdentityService::find_user(const Principal& actor, UserId id) {
  User user = WL_TRY(store_.find_user(id));
  const bool system = !actor.user.is_set() && actor.is_admin;
  if (!system && user.org_id != actor.org) {
    return error(Code::kNotFound, "no such user");
  }
  user.password_hash.clear();
  return user;
}

Result<void> IdentityService::audit_event(const Principal& actor, std::string_view action,
                                  std::string target, std::string_view outcome,
                                  std::string detail) {
  AuditDraft draft;
  draft.at = clock_.now();
  draft.org_id = actor.org;
  draft.actor = actor.user;
  draft.device = actor.device;
  draft.action = std::string(action);
  draft.target = std::move(target);
  draft.outcome = std::string(outcome);
  draft.detail = std::move(detail);
  WL_TRY(audit_.record(std::move(draft)));
  return ok();
}

}  // namespace wl
