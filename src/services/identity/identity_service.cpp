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
  return fmt::format("too many failed attempts: sign-in is locked until {}", format_rfc3339(until));
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

IdentityService::IdentityService(Committer& committer, UserStore& users, SessionStore& sessions,
                                 KeyRing& keys, const Clock& clock, AuditLog& audit, Bus& bus,
                                 const PasswordHasher& hasher, IdentityPolicy policy)
    : committer_(committer),
      users_(users),
      sessions_(sessions),
      keys_(keys),
      clock_(clock),
      audit_(audit),
      bus_(bus),
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
    return error(Code::kInvalidArgument, fmt::format("password must be at least {} characters",
                                                     policy_.min_password_length));
  }
  if (password.size() > policy_.max_password_length) {
    return error(Code::kInvalidArgument, fmt::format("password must be at most {} characters",
                                                     policy_.max_password_length));
  }
  return ok();
}

Result<std::optional<OrgId>> IdentityService::resolve_org(std::string_view name) {
  if (!name.empty()) {
    auto org = users_.find_org_by_name(name);
    if (!org) {
      if (org.error().code() == Code::kNotFound) {
        return std::optional<OrgId>();
      }
      return std::unexpected(org.error());
    }
    return std::optional<OrgId>(org->id);
  }
  const auto orgs = WL_TRY(users_.list_orgs());
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
    return std::unexpected(
        refuse(anonymous, "user:unknown", !org ? "unknown_org" : "bad_username", std::nullopt));
  }
  anonymous.org = *org;
  auto found = users_.find_user_by_name(*org, *username);
  if (!found) {
    if (found.error().code() != Code::kNotFound) {
      return std::unexpected(found.error());
    }
    verify_against_nothing(request.password);
    return std::unexpected(refuse(anonymous, "user:unknown", "unknown_user", std::nullopt));
  }
  User user = std::move(*found);
  Principal subject{user.id,          *org, DeviceId(),       user.is_admin,
                    user.is_operator, "",   user.is_scheduler};

  // The password is checked first in every case, so that how long the answer takes
  // says nothing about the account's state.
  const bool is_right = hasher_.verify(user.password_hash, request.password);
  if (user.locked_until && *user.locked_until > now) {
    (void)audit_event(subject, "login", user_target(user.id), "denied", detail + " reason=locked");
    return error(Code::kResourceExhausted, locked_message(*user.locked_until));
  }
  if (!is_right) {
    const std::optional<Timestamp> locked_until =
        WL_TRY(count_account_failure(subject, user, detail));
    return std::unexpected(refuse(subject, user_target(user.id),
                                  fmt::format("wrong_password failures={}", user.failed_logins + 1),
                                  locked_until));
  }
  if (user.disabled) {
    // The same answer as a wrong password: a refusal says nothing about the account.
    (void)audit_event(subject, "login", user_target(user.id), "denied",
                      detail + " reason=disabled");
    return error(Code::kUnauthenticated, std::string(kBadCredentials));
  }
  throttle_.record_success(throttle_key);

  std::string device_name = request.device_name.empty() ? "unnamed device" : request.device_name;
  if (device_name.size() > 100 || !is_valid_utf8(device_name)) {
    return error(Code::kInvalidArgument, "device_name must be valid UTF-8 of at most 100 bytes");
  }
  // Users name their devices freely ("Dr Lee's phone", "bed 12 tablet"): sealed like
  // any other typed text. The record is fixed before the device has an id.
  const std::string name_sealed = WL_TRY(keys_.seal(
      SealContext{user.org_id, kDeviceKind, device_record_key(user.id, now), "name"}, device_name));
  const Org user_org = WL_TRY(users_.find_org(user.org_id));
  const std::string token = crypto::base64url_encode(crypto::random_bytes(32));
  Session session;
  session.token_hash = crypto::sha256(token);
  session.user_id = user.id;
  session.created_at = now;
  session.last_used = now;
  session.expires_at = now + policy_.absolute_timeout;
  // The failures reset, the device, the session and the entry that records them: one
  // write. The entry names the device the write creates.
  WriteBatch batch;
  if (user.failed_logins != 0 || user.locked_until) {
    batch.add(SetLoginFailures{user.id, 0, std::nullopt});
  }
  const std::size_t opened = batch.add(OpenSession{session, name_sealed});
  batch.audit(draft(subject, "login", user_target(user.id), "ok", detail),
              [opened, detail](AuditDraft& entry, const std::vector<MutationResult>& results) {
                const DeviceId device = std::get<Device>(results.at(opened)).id;
                entry.device = device;
                entry.detail = fmt::format("{} device={}", detail, device.value());
                return true;
              });
  const Device device = WL_TRY(commit(std::move(batch))).result<Device>(opened);
  DeviceView view{device.id,         device.user_id,   std::move(device_name),
                  device.created_at, device.last_seen, device.revoked};
  return LoginResult{token, std::move(user), std::move(view), session.expires_at,
                     user_org.idle_lock};
}

Result<DeviceView> IdentityService::open_device(OrgId org, const Device& device) {
  std::string name = WL_TRY(keys_.open(
      SealContext{org, kDeviceKind, device_record_key(device.user_id, device.created_at), "name"},
      device.name_sealed));
  return DeviceView{device.id,         device.user_id,   std::move(name),
                    device.created_at, device.last_seen, device.revoked};
}

Result<Session> IdentityService::live_session(std::string_view token_hash, Timestamp now) {
  auto session = sessions_.find_session(token_hash);
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
  return session;
}

Result<SessionState> IdentityService::session_state(std::string_view token_hash, Timestamp now) {
  const Session session = WL_TRY(live_session(token_hash, now));
  const User user = WL_TRY(users_.find_user(session.user_id));
  if (user.disabled) {
    return error(Code::kUnauthenticated, "this account is disabled");
  }
  const Org org = WL_TRY(users_.find_org(user.org_id));
  SessionState state;
  state.principal = Principal{user.id,          user.org_id,      session.device_id,
                              user.is_admin,    user.is_operator, std::string(token_hash),
                              user.is_scheduler};
  // Passive traffic never moves last_used, so a session only receiving locks on time.
  // The idle lock is stored the first time it is seen, so that it holds (also if the
  // org's idle time grows later) until an unlock, and is audited once.
  state.locked = session.locked;
  if (!session.locked && now - session.last_used >= org.idle_lock) {
    WL_TRY(commit_audited(LockSession{std::string(token_hash)},
                          draft(state.principal, "session.lock", user_target(user.id), "ok",
                                fmt::format("device={} reason=idle", session.device_id.value()))));
    state.locked = true;
  }
  state.last_used = session.last_used;
  state.idle_lock = org.idle_lock;
  state.expires_at = session.expires_at;
  state.has_pin = !user.pin_hash.empty();
  state.pin_tries_left = std::max(0, policy_.pin_attempts - session.pin_failures);
  return state;
}

Result<Principal> IdentityService::authenticate(std::string_view token) {
  if (token.empty() || token.size() > 128) {
    return error(Code::kUnauthenticated, "missing or malformed session token");
  }
  const Timestamp now = clock_.now();
  SessionState state = WL_TRY(session_state(crypto::sha256(token), now));
  WL_TRY(count_activity_at(state, now));
  return std::move(state.principal);
}

Result<void> IdentityService::count_activity(const SessionState& state) {
  return count_activity_at(state, clock_.now());
}

Result<void> IdentityService::count_activity_at(const SessionState& state, Timestamp now) {
  if (state.locked) {
    return error(Code::kSessionLocked,
                 "the session is locked: unlock it with your PIN or password");
  }
  if (now - state.last_used >= policy_.touch_interval) {
    WL_TRY(commit_one<std::monostate>(committer_, TouchSession{state.principal.token_hash, now}));
  }
  return ok();
}

Result<SessionState> IdentityService::identify(std::string_view token) {
  if (token.empty() || token.size() > 128) {
    return error(Code::kUnauthenticated, "missing or malformed session token");
  }
  return session_state(crypto::sha256(token), clock_.now());
}

Result<SessionState> IdentityService::validate(const Principal& principal) {
  return session_state(principal.token_hash, clock_.now());
}

Result<void> IdentityService::record_activity(const Principal& principal) {
  const Timestamp now = clock_.now();
  return count_activity_at(WL_TRY(session_state(principal.token_hash, now)), now);
}

Result<void> IdentityService::lock(const Principal& principal) {
  const SessionState state = WL_TRY(validate(principal));
  WL_TRY(commit_audited(LockSession{principal.token_hash},
                        draft(state.principal, "session.lock", user_target(principal.user), "ok",
                              fmt::format("device={}", principal.device.value()))));
  return ok();
}

Result<std::optional<Timestamp>> IdentityService::count_account_failure(const Principal& subject,
                                                                        const User& user,
                                                                        std::string_view detail) {
  // Consecutive failures of the account from every address: a slower, account-wide
  // back-off that keeps counting across lock ends (lock_duration).
  const int failures = user.failed_logins + 1;
  const auto duration =
      lock_duration(failures, policy_.account_lock_threshold, policy_.lockout, policy_.max_lockout);
  std::optional<Timestamp> locked_until;
  if (duration) {
    locked_until = clock_.now() + *duration;
  }
  WriteBatch batch;
  batch.add(SetLoginFailures{user.id, failures, locked_until});
  if (locked_until) {
    batch.audit(draft(subject, "account.locked", user_target(user.id), "ok",
                      fmt::format("{} failures={}", detail, failures)));
  }
  WL_TRY(commit(std::move(batch)));
  return locked_until;
}

Result<void> IdentityService::check_password(const Principal& subject, const User& user,
                                             std::string_view password,
                                             std::string_view remote_address,
                                             std::string_view action) {
  const std::string detail = fmt::format("remote={} method=password", remote_address);
  // The same key as login's, so wrong passwords here and there share one count.
  const std::string throttle_key = fmt::format("{}|{}", user.username, remote_address);
  if (const auto locked_until = throttle_.locked_until(throttle_key)) {
    (void)audit_event(subject, action, user_target(user.id), "denied",
                      detail + " reason=source_locked");
    return error(Code::kResourceExhausted, locked_message(*locked_until));
  }
  const bool is_right = password.size() <= policy_.max_password_length &&
                        hasher_.verify(user.password_hash, password);
  if (user.locked_until && *user.locked_until > clock_.now()) {
    (void)audit_event(subject, action, user_target(user.id), "denied", detail + " reason=locked");
    return error(Code::kResourceExhausted, locked_message(*user.locked_until));
  }
  if (!is_right) {
    std::optional<Timestamp> locked_until = WL_TRY(count_account_failure(subject, user, detail));
    if (const auto source_lock = throttle_.record_failure(throttle_key)) {
      (void)audit_event(subject, "login.source_locked", user_target(user.id), "ok", detail);
      locked_until = source_lock;
    }
    (void)audit_event(
        subject, action, user_target(user.id), "failed",
        fmt::format("{} reason=wrong_password failures={}", detail, user.failed_logins + 1));
    if (locked_until) {
      return error(Code::kResourceExhausted, locked_message(*locked_until));
    }
    return error(Code::kPermissionDenied, "wrong password");
  }
  throttle_.record_success(throttle_key);
  if (user.failed_logins != 0 || user.locked_until) {
    WL_TRY(commit_one<std::monostate>(committer_, SetLoginFailures{user.id, 0, std::nullopt}));
  }
  return ok();
}

Result<void> IdentityService::unlock(const Principal& principal, const UnlockRequest& request) {
  if (request.pin.empty() == request.password.empty()) {
    return error(Code::kInvalidArgument, "give either 'pin' or 'password'");
  }
  const Timestamp now = clock_.now();
  const SessionState state = WL_TRY(session_state(principal.token_hash, now));
  const Principal& subject = state.principal;
  const User user = WL_TRY(users_.find_user(subject.user));
  const std::string target = user_target(user.id);
  std::string_view method = "password";
  if (!request.pin.empty()) {
    method = "pin";
    const std::string detail = fmt::format("remote={} method=pin", request.remote_address);
    if (user.pin_hash.empty()) {
      (void)audit_event(subject, "session.unlock", target, "denied", detail + " reason=no_pin");
      return error(Code::kFailedPrecondition, "no PIN is set: unlock with your password");
    }
    if (state.pin_tries_left <= 0) {
      (void)audit_event(subject, "session.unlock", target, "denied", detail + " reason=pin_locked");
      return error(Code::kFailedPrecondition, "too many wrong PINs: unlock with your password");
    }
    if (request.pin.size() > policy_.max_pin_length ||
        !hasher_.verify(user.pin_hash, request.pin)) {
      const int failures = policy_.pin_attempts - state.pin_tries_left + 1;
      WL_TRY(
          commit_audited(SetSessionPinFailures{subject.token_hash, failures},
                         draft(subject, "session.unlock", target, "failed",
                               fmt::format("{} reason=wrong_pin failures={}", detail, failures))));
      const int left = policy_.pin_attempts - failures;
      if (left <= 0) {
        return error(Code::kFailedPrecondition,
                     "wrong PIN, and too many wrong PINs: unlock with your password");
      }
      return error(Code::kPermissionDenied,
                   fmt::format("wrong PIN: {} {} left", left, left == 1 ? "try" : "tries"));
    }
  } else {
    WL_TRY(
        check_password(subject, user, request.password, request.remote_address, "session.unlock"));
  }
  WL_TRY(commit_audited(UnlockSession{subject.token_hash, now},
                        draft(subject, "session.unlock", target, "ok",
                              fmt::format("remote={} method={}", request.remote_address, method))));
  return ok();
}

Result<void> IdentityService::check_pin_rules(std::string_view pin) const {
  const bool digits_only =
      std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits_only || pin.size() < policy_.min_pin_length || pin.size() > policy_.max_pin_length) {
    return error(Code::kInvalidArgument,
                 fmt::format("the PIN must be {} to {} digits", policy_.min_pin_length,
                             policy_.max_pin_length));
  }
  // A block of one to three digits repeated: 000000, 121212, 123123.
  for (std::size_t block = 1; block <= 3; ++block) {
    bool repeats = true;
    for (std::size_t i = block; i < pin.size() && repeats; ++i) {
      repeats = pin[i] == pin[i - block];
    }
    if (repeats) {
      return error(Code::kInvalidArgument,
                   "the PIN is too easy to guess: avoid repeated digits and patterns");
    }
  }
  // A run up or down, wrapping past 9 or 0: 123456, 890123, 987654.
  for (const int step : {1, 9}) {
    bool runs = true;
    for (std::size_t i = 1; i < pin.size() && runs; ++i) {
      runs = (pin[i - 1] - '0' + step) % 10 == pin[i] - '0';
    }
    if (runs) {
      return error(Code::kInvalidArgument,
                   "the PIN is too easy to guess: avoid runs such as 123456");
    }
  }
  return ok();
}

Result<void> IdentityService::set_pin(const Principal& principal, const PinChange& change) {
  WL_TRY(check_pin_rules(change.pin));
  const SessionState state = WL_TRY(validate(principal));
  const User user = WL_TRY(users_.find_user(state.principal.user));
  WL_TRY(check_password(state.principal, user, change.password, change.remote_address, "pin.set"));
  WriteBatch batch;
  batch.add(SetPinHash{user.id, WL_TRY(hasher_.hash(change.pin))});
  batch.add(SetSessionPinFailures{state.principal.token_hash, 0});
  batch.audit(
      draft(state.principal, "pin.set", user_target(user.id), "ok",
            fmt::format("remote={} replaced={}", change.remote_address, !user.pin_hash.empty())));
  WL_TRY(commit(std::move(batch)));
  return ok();
}

Result<void> IdentityService::set_idle_lock(const Principal& actor, OrgId org,
                                            std::chrono::seconds idle_lock) {
  const std::string target = fmt::format("org:{}", org.value());
  if (auto allowed = require_admin_of(actor, org); !allowed) {
    (void)audit_event(actor, "admin.org.idle_lock", target, "denied", "");
    return std::unexpected(allowed.error());
  }
  if (idle_lock < policy_.min_idle_lock || idle_lock > policy_.max_idle_lock) {
    return error(Code::kInvalidArgument,
                 fmt::format("the idle lock must be {} to {} seconds",
                             policy_.min_idle_lock.count(), policy_.max_idle_lock.count()));
  }
  WL_TRY(commit_audited(SetOrgIdleLock{org, idle_lock, actor.user, clock_.now()},
                        draft(actor, "admin.org.idle_lock", target, "ok",
                              fmt::format("seconds={}", idle_lock.count()))));
  return ok();
}

Result<void> IdentityService::logout(const Principal& principal) {
  WL_TRY(commit_audited(RevokeSession{principal.token_hash},
                        draft(principal, "logout", user_target(principal.user), "ok",
                              fmt::format("device={}", principal.device.value()))));
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

Result<std::vector<Org>> IdentityService::list_orgs(const Principal& actor) {
  WL_TRY(require_operator(actor));
  return users_.list_orgs();
}

Result<Org> IdentityService::find_org(const Principal& actor, OrgId org) {
  const bool system = !actor.user.is_set() && actor.is_admin;
  if (!system && !actor.is_operator && actor.org != org) {
    return error(Code::kNotFound, "no such org");
  }
  return users_.find_org(org);
}

Result<std::size_t> IdentityService::rotate_keys(const Principal& actor) {
  if (auto allowed = require_operator(actor); !allowed) {
    (void)audit_event(actor, "admin.keys.rotate", "keys", "denied", "");
    return std::unexpected(allowed.error());
  }
  WL_TRY(keys_.rotate_kek());
  std::size_t orgs = 0;
  for (const Org& each : WL_TRY(users_.list_orgs())) {
    WL_TRY(keys_.rotate_data_key(each.id));
    ++orgs;
  }
  WL_TRY(audit_event(actor, "admin.keys.rotate", "keys", "ok", fmt::format("orgs={}", orgs)));
  return orgs;
}

Result<Org> IdentityService::create_org(const Principal& actor, std::string_view name) {
  if (auto allowed = require_operator(actor); !allowed) {
    (void)audit_event(actor, "admin.org.create", "org:new", "denied", "");
    return std::unexpected(allowed.error());
  }
  if (name.empty() || name.size() > 200 || !is_valid_utf8(name)) {
    return error(Code::kInvalidArgument, "the org name must be 1 to 200 bytes of UTF-8");
  }
  WriteBatch batch;
  batch.add(CreateOrg{std::string(name), clock_.now()});
  // The entry names the org the write creates, and belongs to it.
  batch.audit(draft(actor, "admin.org.create", "", "ok", ""),
              [](AuditDraft& entry, const std::vector<MutationResult>& results) {
                const OrgId org = std::get<Org>(results.front()).id;
                entry.org_id = org;
                entry.target = fmt::format("org:{}", org.value());
                return true;
              });
  return WL_TRY(commit(std::move(batch))).result<Org>(0);
}

Result<User> IdentityService::create_user(const Principal& actor, OrgId org,
                                          std::string_view username, std::string_view display_name,
                                          std::string_view title, std::string_view password,
                                          bool is_admin) {
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
  WriteBatch batch;
  batch.add(CreateUser{std::move(user), actor.user});
  // The entry names the user the write creates.
  batch.audit(draft(actor, "admin.user.create", "", "ok", fmt::format("admin={}", is_admin)),
              [](AuditDraft& entry, const std::vector<MutationResult>& results) {
                entry.target = user_target(std::get<User>(results.front()).id);
                return true;
              });
  return WL_TRY(commit(std::move(batch))).result<User>(0);
}

Result<void> IdentityService::set_password(const Principal& actor, UserId user_id,
                                           std::string_view password) {
  const User user = WL_TRY(users_.find_user(user_id));
  if (actor.user != user_id) {
    if (auto allowed = require_admin_of(actor, user.org_id); !allowed) {
      (void)audit_event(actor, "admin.user.password", user_target(user_id), "denied", "");
      return std::unexpected(allowed.error());
    }
  }
  WL_TRY(check_password_rules(password));
  WL_TRY(commit_audited(SetPasswordHash{user_id, WL_TRY(hasher_.hash(password))},
                        draft(actor, "admin.user.password", user_target(user_id), "ok", "")));
  return ok();
}

Result<void> IdentityService::set_disabled(const Principal& actor, UserId user_id, bool disabled) {
  const User user = WL_TRY(users_.find_user(user_id));
  if (auto allowed = require_admin_of(actor, user.org_id); !allowed) {
    (void)audit_event(actor, "admin.user.disable", user_target(user_id), "denied", "");
    return std::unexpected(allowed.error());
  }
  if (disabled && actor.user == user_id) {
    return error(Code::kFailedPrecondition, "an administrator cannot disable their own account");
  }
  WL_TRY(commit_audited(SetUserDisabled{user_id, disabled, actor.user, clock_.now()},
                        draft(actor, "admin.user.disable", user_target(user_id), "ok",
                              fmt::format("disabled={}", disabled))));
  return ok();
}

Result<void> IdentityService::set_scheduler(const Principal& actor, UserId user_id,
                                            bool is_scheduler) {
  const User user = WL_TRY(users_.find_user(user_id));
  if (auto allowed = require_admin_of(actor, user.org_id); !allowed) {
    (void)audit_event(actor, "admin.user.scheduler", user_target(user_id), "denied", "");
    return std::unexpected(allowed.error());
  }
  WL_TRY(commit_audited(SetUserScheduler{user_id, is_scheduler, actor.user, clock_.now()},
                        draft(actor, "admin.user.scheduler", user_target(user_id), "ok",
                              fmt::format("scheduler={}", is_scheduler))));
  return ok();
}

Result<void> IdentityService::set_operator(const Principal& actor, UserId user_id,
                                           bool is_operator) {
  if (auto allowed = require_operator(actor); !allowed) {
    (void)audit_event(actor, "admin.user.operator", user_target(user_id), "denied", "");
    return std::unexpected(allowed.error());
  }
  WL_TRY(commit_audited(SetUserOperator{user_id, is_operator},
                        draft(actor, "admin.user.operator", user_target(user_id), "ok",
                              fmt::format("operator={}", is_operator))));
  return ok();
}

Result<std::vector<DeviceView>> IdentityService::list_devices(const Principal& actor,
                                                              UserId user_id) {
  const User user = WL_TRY(users_.find_user(user_id));
  if (actor.user != user_id) {
    WL_TRY(require_admin_of(actor, user.org_id));
  }
  std::vector<DeviceView> views;
  for (const Device& device : WL_TRY(sessions_.list_devices(user_id))) {
    views.push_back(WL_TRY(open_device(user.org_id, device)));
  }
  return views;
}

Result<std::size_t> IdentityService::seal_device_names_in_clear() {
  std::size_t sealed = 0;
  DeviceId after;
  while (true) {
    const auto page = WL_TRY(sessions_.list_device_names_in_clear(after, kSealBatch));
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
    WL_TRY(sessions_.seal_device_names(names));
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
  auto device = sessions_.find_device(device_id);
  if (!device && device.error().code() != Code::kNotFound) {
    return std::unexpected(device.error());
  }
  const bool system = !actor.user.is_set() && actor.is_admin;
  const auto owner_found =
      device ? users_.find_user(device->user_id) : Result<User>(std::unexpected(device.error()));
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
  WL_TRY(commit_audited(
      RevokeDevice{device_id, clock_.now(), actor.user},
      draft(actor, "device.revoke", target, "ok", fmt::format("owner={}", owner.id.value()))));
  return ok();
}

Result<std::vector<User>> IdentityService::list_users(const Principal& actor) {
  auto users = WL_TRY(users_.list_users(actor.org));
  for (User& user : users) {
    user.password_hash.clear();
  }
  return users;
}

Result<std::vector<User>> IdentityService::list_org_users(const Principal& actor, OrgId org) {
  WL_TRY(require_admin_of(actor, org));
  WL_TRY(find_org(actor, org));
  auto users = WL_TRY(users_.list_users(org));
  for (User& user : users) {
    user.password_hash.clear();
    user.pin_hash.clear();
  }
  return users;
}

Result<User> IdentityService::find_user(const Principal& actor, UserId id) {
  User user = WL_TRY(users_.find_user(id));
  const bool system = !actor.user.is_set() && actor.is_admin;
  if (!system && user.org_id != actor.org) {
    return error(Code::kNotFound, "no such user");
  }
  user.password_hash.clear();
  return user;
}

AuditDraft IdentityService::draft(const Principal& actor, std::string_view action,
                                  std::string target, std::string_view outcome,
                                  std::string detail) const {
  return audit_draft(actor, clock_.now(), action, std::move(target), outcome, std::move(detail));
}

Result<BatchResult> IdentityService::commit(WriteBatch batch) {
  return commit_and_wait(committer_, std::move(batch), publish_to(bus_));
}

Result<BatchResult> IdentityService::commit_audited(Mutation mutation, AuditDraft audit) {
  WriteBatch batch;
  batch.add(std::move(mutation));
  batch.audit(std::move(audit));
  return commit(std::move(batch));
}

Result<void> IdentityService::audit_event(const Principal& actor, std::string_view action,
                                          std::string target, std::string_view outcome,
                                          std::string detail) {
  WL_TRY(audit_.record(draft(actor, action, std::move(target), outcome, std::move(detail))));
  return ok();
}

}  // namespace wl
