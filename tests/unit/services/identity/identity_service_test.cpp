#include "services/identity/identity_service.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/crypto/hash.hpp"
#include "services/keys/key_ring.hpp"
#include "support/service_fixture.hpp"

namespace wl {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

class IdentityServiceTest : public ::testing::Test {
 protected:
  LoginRequest request(std::string_view username, std::string_view password) {
    LoginRequest login;
    login.org = "General";
    login.username = std::string(username);
    login.password = std::string(password);
    login.device_name = "ward phone";
    login.remote_address = "192.0.2.7";
    return login;
  }

  LoginRequest request_from(std::string_view username, std::string_view password,
                            std::string_view address) {
    LoginRequest login = request(username, password);
    login.remote_address = std::string(address);
    return login;
  }

  Result<LoginResult> login(std::string_view password) {
    return identity().login(request("alice", password));
  }

  IdentityService& identity() { return *world_.identity; }

  User stored_user() { return world_.store->find_user(alice_.id).value(); }

  Session stored_session(std::string_view token) {
    return world_.store->find_session(crypto::sha256(token)).value();
  }

  testing::ServiceFixture world_;
  Org org_ = world_.create_org("General");
  User alice_ = world_.create_user(org_.id, "alice");
  User admin_ = world_.create_user(org_.id, "root", /*is_admin=*/true);
};

constexpr std::string_view kWrongPassword = "not the right password at all";

TEST_F(IdentityServiceTest, LoginOpensASessionOnANewDevice) {
  auto result = login(testing::ServiceFixture::kPassword);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_GE(result->token.size(), 43u);  // 256 bits in base64url.
  EXPECT_EQ(result->user.id, alice_.id);
  EXPECT_EQ(result->device.user_id, alice_.id);
  EXPECT_EQ(result->device.name, "ward phone");
  EXPECT_EQ(result->expires_at, world_.clock.now() + hours(12));

  auto principal = identity().authenticate(result->token);
  ASSERT_TRUE(principal.has_value()) << principal.error().to_string();
  EXPECT_EQ(principal->user, alice_.id);
  EXPECT_EQ(principal->org, org_.id);
  EXPECT_EQ(principal->device, result->device.id);
  EXPECT_FALSE(principal->is_admin);
  EXPECT_EQ(principal->token_hash, crypto::sha256(result->token));
}

// A device name is typed by the user, so the store holds it sealed with the org's key,
// bound to the device's owner and creation instant; the device list opens it.
TEST_F(IdentityServiceTest, DeviceNameIsStoredSealed) {
  const LoginResult result = login(testing::ServiceFixture::kPassword).value();
  const Device stored = world_.store->find_device(result.device.id).value();
  EXPECT_EQ(stored.name_sealed.find("ward phone"), std::string::npos);
  auto opened = world_.keys->open(
      SealContext{org_.id, "device", device_record_key(alice_.id, stored.created_at), "name"},
      stored.name_sealed);
  ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
  EXPECT_EQ(*opened, "ward phone");
  // Another device's record does not open it.
  EXPECT_EQ(world_.keys
                ->open(SealContext{org_.id, "device",
                                   device_record_key(admin_.id, stored.created_at), "name"},
                       stored.name_sealed)
                .error()
                .code(),
            Code::kDataLoss);
  const auto devices =
      identity().list_devices(testing::ServiceFixture::principal_of(alice_), alice_.id).value();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices.front().name, "ward phone");
}

TEST_F(IdentityServiceTest, TokenIsStoredOnlyAsItsHash) {
  const LoginResult result = login(testing::ServiceFixture::kPassword).value();
  EXPECT_EQ(world_.store->find_session(result.token).error().code(), Code::kNotFound);
  EXPECT_TRUE(world_.store->find_session(crypto::sha256(result.token)).has_value());
}

TEST_F(IdentityServiceTest, EachLoginGetsItsOwnDeviceAndToken) {
  const LoginResult first = login(testing::ServiceFixture::kPassword).value();
  const LoginResult second = login(testing::ServiceFixture::kPassword).value();
  EXPECT_NE(first.token, second.token);
  EXPECT_NE(first.device.id, second.device.id);
}

TEST_F(IdentityServiceTest, WrongPasswordAndUnknownUserGetTheSameAnswer) {
  auto wrong = login(kWrongPassword);
  auto unknown = identity().login(request("nobody", testing::ServiceFixture::kPassword));
  auto malformed = identity().login(request("no body!", testing::ServiceFixture::kPassword));
  auto unknown_org = identity().login([&] {
    LoginRequest other = request("alice", testing::ServiceFixture::kPassword);
    other.org = "Elsewhere";
    return other;
  }());
  ASSERT_FALSE(wrong.has_value());
  ASSERT_FALSE(unknown.has_value());
  ASSERT_FALSE(malformed.has_value());
  ASSERT_FALSE(unknown_org.has_value());
  EXPECT_EQ(wrong.error().code(), Code::kUnauthenticated);
  EXPECT_EQ(unknown.error().code(), Code::kUnauthenticated);
  EXPECT_EQ(malformed.error().code(), Code::kUnauthenticated);
  EXPECT_EQ(unknown_org.error().code(), Code::kUnauthenticated);
  EXPECT_EQ(wrong.error().message(), unknown.error().message());
  EXPECT_EQ(wrong.error().message(), malformed.error().message());
  EXPECT_EQ(wrong.error().message(), unknown_org.error().message());
}

TEST_F(IdentityServiceTest, MissingFieldsAreInvalidArgument) {
  EXPECT_EQ(identity().login(request("", "x")).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(identity().login(request("alice", "")).error().code(), Code::kInvalidArgument);
}

TEST_F(IdentityServiceTest, OrgMayBeOmittedOnlyWhenTheServerHasOne) {
  LoginRequest no_org = request("alice", testing::ServiceFixture::kPassword);
  no_org.org.clear();
  EXPECT_TRUE(identity().login(no_org).has_value());
  world_.create_org("Second Hospital");
  EXPECT_EQ(identity().login(no_org).error().code(), Code::kInvalidArgument);
}

TEST_F(IdentityServiceTest, FifthFailureFromOneAddressLocksOnlyThatAddressOut) {
  for (int i = 1; i <= 4; ++i) {
    auto result = login(kWrongPassword);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code(), Code::kUnauthenticated) << "attempt " << i;
    world_.advance(seconds(10));
  }
  const Timestamp fifth_at = world_.clock.now();
  auto fifth = login(kWrongPassword);
  ASSERT_FALSE(fifth.has_value());
  EXPECT_EQ(fifth.error().code(), Code::kResourceExhausted);
  const std::string unlock_time = format_rfc3339(fifth_at + minutes(15));
  EXPECT_NE(fifth.error().message().find("locked until " + unlock_time), std::string::npos)
      << fifth.error().message();
  EXPECT_EQ(stored_user().failed_logins, 5);
  // The account itself is not locked: its owner signs in from elsewhere.
  EXPECT_FALSE(stored_user().locked_until.has_value());
  auto owner =
      identity().login(request_from("alice", testing::ServiceFixture::kPassword, "198.51.100.20"));
  ASSERT_TRUE(owner.has_value()) << owner.error().to_string();
}

TEST_F(IdentityServiceTest, LockedAddressRefusesTheRightPasswordUntilTheLockoutEnds) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_FALSE(login(kWrongPassword).has_value());
  }
  const Timestamp locked_at = world_.clock.now();
  auto refused = login(testing::ServiceFixture::kPassword);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kResourceExhausted);
  EXPECT_NE(refused.error().message().find(format_rfc3339(locked_at + minutes(15))),
            std::string::npos);

  world_.advance(minutes(14) + seconds(59));
  EXPECT_EQ(login(testing::ServiceFixture::kPassword).error().code(), Code::kResourceExhausted);

  world_.advance(seconds(1));
  auto unlocked = login(testing::ServiceFixture::kPassword);
  ASSERT_TRUE(unlocked.has_value()) << unlocked.error().to_string();
  EXPECT_EQ(stored_user().failed_logins, 0);
  EXPECT_FALSE(stored_user().locked_until.has_value());
}

// docs/security.md: the count goes on across a lock's end, so the first mistake after
// it is only a mistake, and the next lock comes five failures later and lasts twice as
// long.
TEST_F(IdentityServiceTest, AfterALockoutEndsOneWrongPasswordIsOneFailureAndTheNextLockIsLonger) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_FALSE(login(kWrongPassword).has_value());
  }
  world_.advance(minutes(15));
  auto mistyped = login(kWrongPassword);
  ASSERT_FALSE(mistyped.has_value());
  EXPECT_EQ(mistyped.error().code(), Code::kUnauthenticated);
  EXPECT_EQ(stored_user().failed_logins, 6);
  for (int i = 7; i <= 9; ++i) {
    EXPECT_EQ(login(kWrongPassword).error().code(), Code::kUnauthenticated) << i;
  }
  const Timestamp tenth_at = world_.clock.now();
  auto tenth = login(kWrongPassword);
  EXPECT_EQ(tenth.error().code(), Code::kResourceExhausted);
  EXPECT_NE(tenth.error().message().find(format_rfc3339(tenth_at + minutes(30))), std::string::npos)
      << tenth.error().message();
  world_.advance(minutes(30));
  EXPECT_TRUE(login(testing::ServiceFixture::kPassword).has_value());
}

TEST_F(IdentityServiceTest, SuccessResetsTheFailureCount) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(login(kWrongPassword).error().code(), Code::kUnauthenticated);
  }
  EXPECT_EQ(stored_user().failed_logins, 4);
  ASSERT_TRUE(login(testing::ServiceFixture::kPassword).has_value());
  EXPECT_EQ(stored_user().failed_logins, 0);
  // Four more failures are again only failures; the fifth locks.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(login(kWrongPassword).error().code(), Code::kUnauthenticated);
  }
  EXPECT_EQ(login(kWrongPassword).error().code(), Code::kResourceExhausted);
}

TEST_F(IdentityServiceTest, FailuresOfOneUserDoNotLockAnother) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_FALSE(login(kWrongPassword).has_value());
  }
  EXPECT_TRUE(identity().login(request("root", testing::ServiceFixture::kPassword)).has_value());
}

// The slower account-wide back-off: fifty consecutive failures from any number of
// addresses lock the account itself, wherever its owner signs in from.
TEST_F(IdentityServiceTest, FiftyFailuresFromManyAddressesLockTheAccount) {
  for (int address = 0; address < 10; ++address) {
    for (int i = 0; i < 5; ++i) {
      ASSERT_FALSE(
          identity()
              .login(request_from("alice", kWrongPassword, "203.0.113." + std::to_string(address)))
              .has_value());
    }
  }
  EXPECT_EQ(stored_user().failed_logins, 50);
  ASSERT_TRUE(stored_user().locked_until.has_value());
  EXPECT_EQ(*stored_user().locked_until, world_.clock.now() + minutes(15));
  auto owner =
      identity().login(request_from("alice", testing::ServiceFixture::kPassword, "198.51.100.20"));
  ASSERT_FALSE(owner.has_value());
  EXPECT_EQ(owner.error().code(), Code::kResourceExhausted);
  EXPECT_EQ(world_.audit_entries("account.locked", "ok").size(), 1u);
}

// A lockout must not tell who exists: an unknown username locks the same way.
TEST_F(IdentityServiceTest, UnknownUsernamesAreThrottledLikeKnownOnes) {
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(identity().login(request("nobody", kWrongPassword)).error().code(),
              Code::kUnauthenticated);
  }
  auto fifth = identity().login(request("nobody", kWrongPassword));
  EXPECT_EQ(fifth.error().code(), Code::kResourceExhausted);
  EXPECT_NE(fifth.error().message().find("sign-in is locked until"), std::string::npos)
      << fifth.error().message();
}

// Every refusal costs one password check, so how long it takes says nothing about
// whether the org or the user exists or the account is disabled.
TEST_F(IdentityServiceTest, EveryRefusalSpendsOnePasswordCheck) {
  ASSERT_TRUE(world_.identity->set_disabled(IdentityService::system_principal(), admin_.id, true)
                  .has_value());
  const auto checks_for = [&](LoginRequest attempt) {
    const std::uint64_t before = world_.hasher.verifications_for_test();
    auto refused = identity().login(attempt);
    EXPECT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code(), Code::kUnauthenticated) << refused.error().to_string();
    EXPECT_EQ(refused.error().message(), "unknown user or wrong password");
    return world_.hasher.verifications_for_test() - before;
  };
  LoginRequest unknown_org = request("alice", testing::ServiceFixture::kPassword);
  unknown_org.org = "Elsewhere";
  EXPECT_EQ(checks_for(unknown_org), 1u);
  EXPECT_EQ(checks_for(request("nobody", testing::ServiceFixture::kPassword)), 1u);
  EXPECT_EQ(checks_for(request("no body!", testing::ServiceFixture::kPassword)), 1u);
  EXPECT_EQ(checks_for(request("alice", kWrongPassword)), 1u);
  EXPECT_EQ(checks_for(request("root", testing::ServiceFixture::kPassword)), 1u);  // Disabled.
}

TEST_F(IdentityServiceTest, IdleSessionLocksAfterThirtyMinutesInsteadOfEnding) {
  const LoginResult result = login(testing::ServiceFixture::kPassword).value();
  EXPECT_EQ(result.idle_lock, minutes(30));
  world_.advance(minutes(31));
  auto locked = identity().authenticate(result.token);
  ASSERT_FALSE(locked.has_value());
  EXPECT_EQ(locked.error().code(), Code::kSessionLocked);
  const auto state = identity().identify(result.token);
  ASSERT_TRUE(state.has_value()) << state.error().to_string();
  EXPECT_TRUE(state->locked);
  EXPECT_TRUE(stored_session(result.token).locked);
  EXPECT_EQ(world_.audit_entries("session.lock", "ok").size(), 1u);
  // Looking again neither unlocks it nor audits the lock twice.
  EXPECT_FALSE(identity().authenticate(result.token).has_value());
  EXPECT_EQ(world_.audit_entries("session.lock", "ok").size(), 1u);
}

TEST_F(IdentityServiceTest, UnlockNeedsTheRightPinAndCountsAsActivity) {
  const LoginResult result = login(testing::ServiceFixture::kPassword).value();
  const Principal principal = identity().authenticate(result.token).value();
  ASSERT_TRUE(identity()
                  .set_pin(principal, PinChange{std::string(testing::ServiceFixture::kPassword),
                                                "402913", "192.0.2.7"})
                  .has_value());
  world_.advance(minutes(31));
  const auto wrong = identity().unlock(principal, UnlockRequest{"918273", "", "192.0.2.7"});
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), Code::kPermissionDenied);
  EXPECT_FALSE(identity().authenticate(result.token).has_value());
  ASSERT_TRUE(identity().unlock(principal, UnlockRequest{"402913", "", "192.0.2.7"}).has_value());
  EXPECT_EQ(stored_session(result.token).last_used, world_.clock.now());
  world_.advance(minutes(29));
  EXPECT_TRUE(identity().authenticate(result.token).has_value());
}

TEST_F(IdentityServiceTest, PinRulesRefuseRepeatsRunsAndWrongLengths) {
  for (const std::string_view pin :
       {"", "12345", "1234567890123", "12345a", "123 456", "000000", "999999999", "121212",
        "123123", "123456", "654321", "890123", "3210987"}) {
    const auto checked = identity().check_pin_rules(pin);
    ASSERT_FALSE(checked.has_value()) << pin;
    EXPECT_EQ(checked.error().code(), Code::kInvalidArgument) << pin;
  }
  for (const std::string_view pin : {"402913", "135790", "112358", "098712345678"}) {
    EXPECT_TRUE(identity().check_pin_rules(pin).has_value()) << pin;
  }
}

TEST_F(IdentityServiceTest, ActivityWithinTheIdleLimitKeepsTheSessionAndTouchesIt) {
  const LoginResult result = login(testing::ServiceFixture::kPassword).value();
  world_.advance(minutes(29));
  ASSERT_TRUE(identity().authenticate(result.token).has_value());
  EXPECT_EQ(stored_session(result.token).last_used, world_.clock.now());
  // 58 minutes after login, but only 29 after the last use.
  world_.advance(minutes(29));
  ASSERT_TRUE(identity().authenticate(result.token).has_value());
  EXPECT_EQ(stored_session(result.token).last_used, world_.clock.now());
}

TEST_F(IdentityServiceTest, FrequentUseTouchesAtMostOncePerInterval) {
  const LoginResult result = login(testing::ServiceFixture::kPassword).value();
  const Timestamp logged_in_at = world_.clock.now();
  world_.advance(seconds(30));
  ASSERT_TRUE(identity().authenticate(result.token).has_value());
  EXPECT_EQ(stored_session(result.token).last_used, logged_in_at);
  world_.advance(seconds(30));
  ASSERT_TRUE(identity().authenticate(result.token).has_value());
  EXPECT_EQ(stored_session(result.token).last_used, world_.clock.now());
}

TEST_F(IdentityServiceTest, SessionExpiresAfterTwelveHoursEvenWhenActive) {
  const LoginResult result = login(testing::ServiceFixture::kPassword).value();
  const Timestamp logged_in_at = world_.clock.now();
  while (world_.clock.now() + minutes(29) < logged_in_at + hours(12)) {
    world_.advance(minutes(29));
    ASSERT_TRUE(identity().authenticate(result.token).has_value())
        << "at " << format_rfc3339(world_.clock.now());
  }
  world_.advance(minutes(29));
  ASSERT_GE(world_.clock.now(), logged_in_at + hours(12));
  auto expired = identity().authenticate(result.token);
  ASSERT_FALSE(expired.has_value());
  EXPECT_EQ(expired.error().code(), Code::kUnauthenticated);
  EXPECT_NE(expired.error().message().find("expired"), std::string::npos)
      << expired.error().message();
}

TEST_F(IdentityServiceTest, UnknownAndMalformedTokensAreUnauthenticated) {
  EXPECT_EQ(identity().authenticate("").error().code(), Code::kUnauthenticated);
  EXPECT_EQ(identity().authenticate(std::string(500, 'a')).error().code(), Code::kUnauthenticated);
  EXPECT_EQ(identity().authenticate("no-such-token").error().code(), Code::kUnauthenticated);
}

TEST_F(IdentityServiceTest, LogoutEndsTheSessionOnly) {
  const LoginResult phone = login(testing::ServiceFixture::kPassword).value();
  const LoginResult desktop = login(testing::ServiceFixture::kPassword).value();
  const Principal principal = identity().authenticate(phone.token).value();
  ASSERT_TRUE(identity().logout(principal).has_value());
  auto ended = identity().authenticate(phone.token);
  ASSERT_FALSE(ended.has_value());
  EXPECT_EQ(ended.error().code(), Code::kUnauthenticated);
  EXPECT_TRUE(identity().authenticate(desktop.token).has_value());
  EXPECT_EQ(world_.audit_entries("logout", "ok").size(), 1u);
}

TEST_F(IdentityServiceTest, RevokedDeviceEndsItsSessions) {
  const LoginResult phone = login(testing::ServiceFixture::kPassword).value();
  const LoginResult desktop = login(testing::ServiceFixture::kPassword).value();
  const Principal principal = identity().authenticate(desktop.token).value();
  ASSERT_TRUE(identity().revoke_device(principal, phone.device.id).has_value());
  EXPECT_EQ(identity().authenticate(phone.token).error().code(), Code::kUnauthenticated);
  EXPECT_TRUE(identity().authenticate(desktop.token).has_value());
  const auto devices = identity().list_devices(principal, alice_.id).value();
  ASSERT_EQ(devices.size(), 2u);
  for (const DeviceView& device : devices) {
    EXPECT_EQ(device.revoked, device.id == phone.device.id) << device.id.value();
  }
  EXPECT_EQ(world_.audit_entries("device.revoke", "ok").size(), 1u);
}

TEST_F(IdentityServiceTest, OnlyTheOwnerOrAnAdminRevokesADevice) {
  const LoginResult phone = login(testing::ServiceFixture::kPassword).value();
  const User bob = world_.create_user(org_.id, "bob");
  const Principal bob_principal = world_.login_as(bob);
  auto refused = identity().revoke_device(bob_principal, phone.device.id);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kPermissionDenied);
  EXPECT_TRUE(identity().authenticate(phone.token).has_value());
  EXPECT_EQ(world_.audit_entries("device.revoke", "denied").size(), 1u);

  const Principal admin = world_.login_as(admin_);
  ASSERT_TRUE(identity().revoke_device(admin, phone.device.id).has_value());
  EXPECT_EQ(identity().authenticate(phone.token).error().code(), Code::kUnauthenticated);
}

TEST_F(IdentityServiceTest, DisabledUserCannotLogInAndLosesOpenSessions) {
  const LoginResult before = login(testing::ServiceFixture::kPassword).value();
  ASSERT_TRUE(world_.identity->set_disabled(IdentityService::system_principal(), alice_.id, true)
                  .has_value());
  auto refused = login(testing::ServiceFixture::kPassword);
  ASSERT_FALSE(refused.has_value());
  // The answer of a wrong password: a refusal says nothing about the account.
  EXPECT_EQ(refused.error().code(), Code::kUnauthenticated);
  EXPECT_EQ(refused.error().message(), login(kWrongPassword).error().message());
  EXPECT_EQ(identity().authenticate(before.token).error().code(), Code::kUnauthenticated);
}

TEST_F(IdentityServiceTest, PasswordRulesBoundLengthAndEncoding) {
  const auto code_of = [&](std::string_view password) {
    auto checked = identity().check_password_rules(password);
    return checked ? Code::kOk : checked.error().code();
  };
  EXPECT_EQ(code_of(std::string(14, 'p')), Code::kInvalidArgument);
  EXPECT_EQ(code_of(std::string(15, 'p')), Code::kOk);
  EXPECT_EQ(code_of(std::string(128, 'p')), Code::kOk);
  EXPECT_EQ(code_of(std::string(129, 'p')), Code::kInvalidArgument);
  EXPECT_EQ(code_of(std::string(20, 'p') + "\xff\xfe"), Code::kInvalidArgument);
  EXPECT_EQ(code_of(std::string(20, 'p') + "\xc3"), Code::kInvalidArgument);  // Truncated.
  EXPECT_EQ(code_of("pass phrase with spaces"), Code::kOk);

  EXPECT_NE(identity().check_password_rules("short").error().message().find("at least 15"),
            std::string::npos);
  EXPECT_NE(
      identity().check_password_rules(std::string(129, 'p')).error().message().find("at most 128"),
      std::string::npos);
  EXPECT_NE(identity()
                .check_password_rules(std::string(20, 'p') + "\xff")
                .error()
                .message()
                .find("UTF-8"),
            std::string::npos);
}

TEST_F(IdentityServiceTest, CreateUserAppliesThePasswordRules) {
  const Principal system = IdentityService::system_principal();
  auto weak = identity().create_user(system, org_.id, "carol", "Carol", "", "short", false);
  ASSERT_FALSE(weak.has_value());
  EXPECT_EQ(weak.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(world_.store->find_user_by_name(org_.id, "carol").error().code(), Code::kNotFound);
}

TEST_F(IdentityServiceTest, SetPasswordReplacesTheOldOne) {
  const Principal principal = world_.login_as(alice_);
  const std::string fresh = "a brand new long passphrase";
  EXPECT_EQ(identity().set_password(principal, alice_.id, "short").error().code(),
            Code::kInvalidArgument);
  ASSERT_TRUE(identity().set_password(principal, alice_.id, fresh).has_value());
  EXPECT_EQ(login(testing::ServiceFixture::kPassword).error().code(), Code::kUnauthenticated);
  EXPECT_TRUE(login(fresh).has_value());
}

// The system (the admin token, `wardline admin`) sees every org and every user of one;
// an org admin lists only its own org's users; only the system or an operator lists
// orgs.
TEST_F(IdentityServiceTest, OrgsAndTheirUsersAreListedForTheSystemAndTheirAdmins) {
  const Principal system = IdentityService::system_principal();
  const Org other = world_.create_org("Elsewhere");
  const User stranger = world_.create_user(other.id, "stranger");
  auto orgs = identity().list_orgs(system);
  ASSERT_TRUE(orgs) << orgs.error().to_string();
  EXPECT_EQ(orgs->size(), 2u);
  EXPECT_EQ(identity().find_org(system, other.id)->name, "Elsewhere");
  EXPECT_EQ(identity().find_org(system, OrgId(999)).error().code(), Code::kNotFound);

  auto users = identity().list_org_users(system, other.id);
  ASSERT_TRUE(users) << users.error().to_string();
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ(users->front().id, stranger.id);
  EXPECT_TRUE(users->front().password_hash.empty());
  EXPECT_EQ(identity().list_org_users(system, OrgId(999)).error().code(), Code::kNotFound);

  const Principal admin = world_.login_as(admin_, "General");
  EXPECT_TRUE(identity().list_org_users(admin, org_.id));
  EXPECT_EQ(identity().list_org_users(admin, other.id).error().code(), Code::kPermissionDenied);
  EXPECT_EQ(identity().list_orgs(admin).error().code(), Code::kPermissionDenied);
  EXPECT_EQ(identity().find_org(admin, other.id).error().code(), Code::kNotFound);
  EXPECT_TRUE(identity().find_org(admin, org_.id));
}

TEST_F(IdentityServiceTest, OnlyTheSystemOrAnOperatorRotatesEveryKey) {
  const Principal admin = world_.login_as(admin_);
  EXPECT_EQ(identity().rotate_keys(admin).error().code(), Code::kPermissionDenied);
  auto rotated = identity().rotate_keys(IdentityService::system_principal());
  ASSERT_TRUE(rotated) << rotated.error().to_string();
  EXPECT_EQ(*rotated, 1u);
}

TEST_F(IdentityServiceTest, UsernamesAreNormalised) {
  const Principal system = IdentityService::system_principal();
  auto created = identity().create_user(system, org_.id, "Dana.Smith-2", "Dana Smith", "MD",
                                        testing::ServiceFixture::kPassword, false);
  ASSERT_TRUE(created.has_value()) << created.error().to_string();
  EXPECT_EQ(created->username, "dana.smith-2");
  EXPECT_TRUE(
      identity().login(request("DANA.SMITH-2", testing::ServiceFixture::kPassword)).has_value());
  auto duplicate = identity().create_user(system, org_.id, "dana.SMITH-2", "Dana", "",
                                          testing::ServiceFixture::kPassword, false);
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code(), Code::kAlreadyExists);

  EXPECT_EQ(normalize_username("Alice_B").value(), "alice_b");
  EXPECT_EQ(normalize_username("").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(normalize_username(std::string(65, 'a')).error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(normalize_username(std::string(64, 'a')).has_value());
  EXPECT_EQ(normalize_username("alice smith").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(normalize_username("al\xc3\xa9").error().code(), Code::kInvalidArgument);
}

TEST_F(IdentityServiceTest, CreateUserNeedsAnAdminOfThatOrg) {
  const Principal alice = world_.login_as(alice_);
  auto refused = identity().create_user(alice, org_.id, "mallory", "Mallory", "",
                                        testing::ServiceFixture::kPassword, true);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kPermissionDenied);
  EXPECT_EQ(world_.store->find_user_by_name(org_.id, "mallory").error().code(), Code::kNotFound);
  EXPECT_EQ(world_.audit_entries("admin.user.create", "denied").size(), 1u);

  const Org other = world_.create_org("Other");
  const Principal admin = world_.login_as(admin_, "General");
  EXPECT_EQ(
      identity()
          .create_user(admin, other.id, "eve", "Eve", "", testing::ServiceFixture::kPassword, false)
          .error()
          .code(),
      Code::kPermissionDenied);
  auto created = identity().create_user(admin, org_.id, "frank", "Frank", "",
                                        testing::ServiceFixture::kPassword, false);
  ASSERT_TRUE(created.has_value()) << created.error().to_string();
  EXPECT_EQ(created->org_id, org_.id);
}

TEST_F(IdentityServiceTest, DirectoryHidesPasswordHashesAndOtherOrgs) {
  const Org other = world_.create_org("Other");
  const User stranger = world_.create_user(other.id, "stranger");
  const Principal alice = world_.login_as(alice_, "General");
  const auto users = identity().list_users(alice).value();
  ASSERT_EQ(users.size(), 2u);
  for (const User& user : users) {
    EXPECT_EQ(user.org_id, org_.id);
    EXPECT_TRUE(user.password_hash.empty());
  }
  EXPECT_TRUE(identity().find_user(alice, alice_.id).value().password_hash.empty());
  EXPECT_EQ(identity().find_user(alice, stranger.id).error().code(), Code::kNotFound);
}

TEST_F(IdentityServiceTest, EveryLoginOutcomeIsAudited) {
  ASSERT_TRUE(login(testing::ServiceFixture::kPassword).has_value());
  ASSERT_FALSE(login(kWrongPassword).has_value());
  ASSERT_FALSE(identity().login(request("nobody", kWrongPassword)).has_value());
  for (int i = 0; i < 4; ++i) {
    ASSERT_FALSE(login(kWrongPassword).has_value());
  }
  ASSERT_FALSE(login(testing::ServiceFixture::kPassword).has_value());  // Locked.
  ASSERT_TRUE(world_.identity->set_disabled(IdentityService::system_principal(), admin_.id, true)
                  .has_value());
  ASSERT_FALSE(identity().login(request("root", testing::ServiceFixture::kPassword)).has_value());

  const auto ok = world_.audit_entries("login", "ok");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].draft.actor, alice_.id);
  EXPECT_EQ(ok[0].draft.org_id, org_.id);
  EXPECT_TRUE(ok[0].draft.device.is_set());
  EXPECT_EQ(ok[0].draft.target, "user:" + std::to_string(alice_.id.value()));
  EXPECT_NE(ok[0].draft.detail.find("192.0.2.7"), std::string::npos);

  const auto failed = world_.audit_entries("login", "failed");
  ASSERT_EQ(failed.size(), 6u);  // 1 + 4 wrong passwords of alice, 1 unknown user.
  int unknown = 0;
  for (const AuditEntry& entry : failed) {
    unknown += entry.draft.target == "user:unknown" ? 1 : 0;
  }
  EXPECT_EQ(unknown, 1);

  EXPECT_EQ(world_.audit_entries("login.source_locked", "ok").size(), 1u);
  const auto denied = world_.audit_entries("login", "denied");
  ASSERT_EQ(denied.size(), 2u);
  EXPECT_NE(denied[0].draft.detail.find("locked"), std::string::npos);
  EXPECT_NE(denied[1].draft.detail.find("disabled"), std::string::npos);

  // No password, right or wrong, is ever written to the trail.
  for (const AuditEntry& entry : world_.audit_entries()) {
    for (const std::string* field :
         {&entry.draft.action, &entry.draft.target, &entry.draft.outcome, &entry.draft.detail}) {
      EXPECT_EQ(field->find("horse"), std::string::npos);
      EXPECT_EQ(field->find("right password"), std::string::npos);
    }
  }
}

TEST_F(IdentityServiceTest, AuditedTimesComeFromTheClock) {
  world_.advance(hours(3));
  ASSERT_TRUE(login(testing::ServiceFixture::kPassword).has_value());
  const auto ok = world_.audit_entries("login", "ok");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].draft.at, world_.clock.now());
}

}  // namespace
}  // namespace wl
