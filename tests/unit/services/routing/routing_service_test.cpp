// RoutingService over the real SQLite store, on a manual clock: roles, shift edges,
// DST nights, overlaps, fallbacks, sign-in, and messages to a role reaching whoever
// holds it when they are sent.

#include "services/routing/routing_service.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/time_zone.hpp"
#include "services/timers/job_runner.hpp"
#include "support/service_fixture.hpp"

namespace wl {
namespace {

using namespace std::chrono_literals;
using testing::ServiceFixture;

class RoutingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    org_ = fx_.create_org("General Hospital").id;
    admin_ = fx_.principal_of(fx_.create_user(org_, "admin", true));
    const User scheduler = fx_.create_user(org_, "scheduler");
    ASSERT_TRUE(fx_.identity->set_scheduler(IdentityService::system_principal(), scheduler.id, true)
                    .has_value());
    scheduler_ = fx_.principal_of(*fx_.store->find_user(scheduler.id));
    sender_ = fx_.principal_of(fx_.create_user(org_, "sender"));
    day_ = fx_.create_user(org_, "day").id;
    night_ = fx_.create_user(org_, "night").id;
    cover_ = fx_.create_user(org_, "cover").id;
  }

  RoutingService& routing() { return *fx_.routing; }
  Timestamp now() const { return fx_.clock.now(); }

  Role make_role(std::string name, RoleId fallback_role = RoleId(),
                 UserId fallback_user = UserId()) {
    RoleInput input;
    input.name = std::move(name);
    input.fallback_role = fallback_role;
    input.fallback_user = fallback_user;
    auto role = routing().create_role(admin_, input);
    EXPECT_TRUE(role.has_value()) << role.error().to_string();
    return role.value_or(Role());
  }

  Shift add_shift(RoleId role, UserId user, Timestamp from, Timestamp to,
                  std::string zone = "America/New_York") {
    auto shift = routing().save_shift(scheduler_, ShiftId(),
                                      ShiftInput{role, user, from, to, std::move(zone)});
    EXPECT_TRUE(shift.has_value()) << shift.error().to_string();
    return shift.value_or(Shift());
  }

  std::vector<UserId> reached(RoleId role, Timestamp at) {
    auto resolution = routing().resolve(org_, role, at);
    EXPECT_TRUE(resolution.has_value()) << resolution.error().to_string();
    std::vector<UserId> users;
    for (const RoutedTo& to : resolution.value_or(Resolution()).to) {
      users.push_back(to.user);
    }
    return users;
  }

  static Timestamp local(int year, int month, int day, int hour, int minute) {
    return local_to_utc(LocalTime{year, month, day, hour, minute, 0}, "America/New_York").value();
  }

  ServiceFixture fx_;
  OrgId org_;
  Principal admin_;
  Principal scheduler_;
  Principal sender_;
  UserId day_;
  UserId night_;
  UserId cover_;
};

TEST_F(RoutingServiceTest, OnlyAdminsMakeRolesAndRefusalsAreAudited) {
  RoleInput input;
  input.name = "Cardiology On Call";
  EXPECT_EQ(routing().create_role(sender_, input).error().code(), Code::kPermissionDenied);
  EXPECT_EQ(fx_.audit_entries("role.create", "denied").size(), 1u);
  const Role role = make_role("Cardiology On Call");
  EXPECT_EQ(fx_.audit_entries("role.create", "ok").size(), 1u);
  input.name = "CARDIOLOGY ON CALL";
  EXPECT_EQ(routing().create_role(admin_, input).error().code(), Code::kAlreadyExists);
  input.name = "";
  EXPECT_EQ(routing().create_role(admin_, input).error().code(), Code::kInvalidArgument);
  // Every user of the org reads roles.
  auto listed = routing().list_roles(sender_);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].role.id, role.id);
}

TEST_F(RoutingServiceTest, AFallbackChainThatComesBackIsRefused) {
  const Role a = make_role("A");
  const Role b = make_role("B", a.id);
  RoleInput loop;
  loop.name = "A";
  loop.fallback_role = b.id;
  EXPECT_EQ(routing().update_role(admin_, a.id, loop).error().code(), Code::kInvalidArgument);
  loop.fallback_role = a.id;
  EXPECT_EQ(routing().update_role(admin_, a.id, loop).error().code(), Code::kInvalidArgument);
}

TEST_F(RoutingServiceTest, OnlySchedulersAndAdminsEditShiftsAndZonesAreChecked) {
  const Role role = make_role("Rapid Response RN");
  const ShiftInput input{role.id, day_, now(), now() + 12h, "America/New_York"};
  EXPECT_EQ(routing().save_shift(sender_, ShiftId(), input).error().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(fx_.audit_entries("shift.save", "denied").size(), 1u);
  ShiftInput bad_zone = input;
  bad_zone.time_zone = "Mars/Olympus_Mons";
  EXPECT_EQ(routing().save_shift(scheduler_, ShiftId(), bad_zone).error().code(),
            Code::kInvalidArgument);
  ShiftInput too_long = input;
  too_long.ends_at = input.starts_at + 8 * 24h;
  EXPECT_EQ(routing().save_shift(scheduler_, ShiftId(), too_long).error().code(),
            Code::kInvalidArgument);
  const Shift shift = add_shift(role.id, day_, input.starts_at, input.ends_at);
  EXPECT_TRUE(routing().save_shift(admin_, shift.id, input).has_value());
  EXPECT_EQ(fx_.audit_entries("shift.save", "ok").size(), 1u);  // Unchanged: not audited.
  EXPECT_EQ(routing().delete_shift(sender_, shift.id).error().code(), Code::kPermissionDenied);
  EXPECT_TRUE(routing().delete_shift(scheduler_, shift.id).has_value());
  EXPECT_EQ(routing().delete_shift(scheduler_, shift.id).error().code(), Code::kNotFound);
}

TEST_F(RoutingServiceTest, AShiftHoldsTheRoleFromItsStartUntilJustBeforeItsEnd) {
  const Role role = make_role("Cardiology On Call");
  const Timestamp change = now() + 1h;
  add_shift(role.id, day_, now() - 11h, change);
  add_shift(role.id, night_, change, change + 12h);
  EXPECT_EQ(reached(role.id, now()), std::vector<UserId>{day_});
  EXPECT_EQ(reached(role.id, change - 1us), std::vector<UserId>{day_});
  EXPECT_EQ(reached(role.id, change), std::vector<UserId>{night_});
  EXPECT_EQ(reached(role.id, change + 12h), std::vector<UserId>{});

  // The preview follows the clock.
  auto before = routing().preview(sender_, role.id);
  ASSERT_TRUE(before.has_value());
  ASSERT_EQ(before->to.size(), 1u);
  EXPECT_EQ(before->to[0].user, day_);
  EXPECT_EQ(before->to[0].reason, kReasonOnCall);
  fx_.advance(1h);
  EXPECT_EQ(routing().preview(sender_, role.id)->to[0].user, night_);
}

TEST_F(RoutingServiceTest, NightShiftsAcrossDaylightSavingChangesLastElevenAndThirteenHours) {
  const Role role = make_role("Hospitalist Night");
  // Spring forward (2026-03-08): 19:00 to 07:00 is 11 hours.
  const Timestamp spring_start = local(2026, 3, 7, 19, 0);
  const Timestamp spring_end = local(2026, 3, 8, 7, 0);
  EXPECT_EQ(spring_end - spring_start, 11h);
  add_shift(role.id, night_, spring_start, spring_end);
  // Fall back (2026-11-01): 13 hours, and 01:30 happens twice; both are inside it.
  const Timestamp fall_start = local(2026, 10, 31, 19, 0);
  const Timestamp fall_end = local(2026, 11, 1, 7, 0);
  EXPECT_EQ(fall_end - fall_start, 13h);
  add_shift(role.id, night_, fall_start, fall_end);
  add_shift(role.id, day_, fall_end, fall_end + 12h);

  // 02:30 on the spring night does not exist: it is 03:30 EDT, inside the shift.
  EXPECT_EQ(reached(role.id, local(2026, 3, 8, 2, 30)), std::vector<UserId>{night_});
  EXPECT_EQ(reached(role.id, spring_end), std::vector<UserId>{});
  const Timestamp first_0130 = local(2026, 11, 1, 1, 30);
  EXPECT_EQ(reached(role.id, first_0130), std::vector<UserId>{night_});
  EXPECT_EQ(reached(role.id, first_0130 + 1h), std::vector<UserId>{night_});  // The second.
  EXPECT_EQ(reached(role.id, fall_end - 1us), std::vector<UserId>{night_});
  EXPECT_EQ(reached(role.id, fall_end), std::vector<UserId>{day_});
}

TEST_F(RoutingServiceTest, OverlappingShiftsReachEveryHolder) {
  const Role role = make_role("ICU Charge Nurse");
  add_shift(role.id, day_, now() - 1h, now() + 1h);
  add_shift(role.id, night_, now() - 10min, now() + 8h);
  EXPECT_EQ(reached(role.id, now()), (std::vector<UserId>{day_, night_}));
}

TEST_F(RoutingServiceTest, NobodyOnShiftFallsBackToAPersonOrAnotherRole) {
  const Role backup = make_role("Backup Hospitalist");
  const Role primary = make_role("Hospitalist", backup.id);
  const Role with_person = make_role("Night Pharmacist", RoleId(), cover_);
  const Role alone = make_role("Nobody Holds This");

  // The fallback role is empty too: nobody.
  EXPECT_EQ(reached(primary.id, now()), std::vector<UserId>{});
  add_shift(backup.id, night_, now() - 1h, now() + 1h);
  auto resolution = routing().resolve(org_, primary.id, now());
  ASSERT_TRUE(resolution.has_value());
  ASSERT_EQ(resolution->to.size(), 1u);
  EXPECT_EQ(resolution->to[0].user, night_);
  EXPECT_EQ(resolution->to[0].reason, kReasonFallback);
  EXPECT_TRUE(resolution->fallback);
  EXPECT_EQ(resolution->via_role, backup.id);
  // Someone on shift in the role itself wins over its fallback.
  add_shift(primary.id, day_, now() - 1h, now() + 1h);
  EXPECT_EQ(reached(primary.id, now()), std::vector<UserId>{day_});

  EXPECT_EQ(reached(with_person.id, now()), std::vector<UserId>{cover_});
  EXPECT_EQ(reached(alone.id, now()), std::vector<UserId>{});
}

TEST_F(RoutingServiceTest, ALoopWrittenBehindTheServicesBackEndsResolution) {
  const Role a = make_role("A");
  const Role b = make_role("B", a.id);
  // A concurrent change could close the loop; resolution must still end.
  Role looped = *fx_.store->find_role(a.id);
  looped.fallback_role = b.id;
  ASSERT_TRUE(commit_one<Role>(*fx_.store, UpdateRole{looped, UserId(), now()}).has_value());
  EXPECT_EQ(reached(a.id, now()), std::vector<UserId>{});
}

TEST_F(RoutingServiceTest, SignInHandOverAndSignOut) {
  const Role charge = make_role("4 West Charge Nurse");
  const Principal day = fx_.principal_of(*fx_.store->find_user(day_));
  ASSERT_TRUE(routing().sign_in(day, charge.id).has_value());
  auto resolution = routing().resolve(org_, charge.id, now());
  ASSERT_EQ(resolution->to.size(), 1u);
  EXPECT_EQ(resolution->to[0].reason, kReasonSignedIn);

  EXPECT_EQ(routing().hand_over(day, charge.id, day_).error().code(), Code::kInvalidArgument);
  ASSERT_TRUE(routing().hand_over(day, charge.id, night_).has_value());
  EXPECT_EQ(reached(charge.id, now()), std::vector<UserId>{night_});
  EXPECT_EQ(routing().hand_over(day, charge.id, cover_).error().code(), Code::kNotFound);

  // Signing someone else out needs the permission.
  EXPECT_EQ(routing().sign_out(day, charge.id, night_).error().code(), Code::kPermissionDenied);
  ASSERT_TRUE(routing().sign_out(scheduler_, charge.id, night_).has_value());
  EXPECT_EQ(reached(charge.id, now()), std::vector<UserId>{});
  EXPECT_EQ(routing().sign_out(scheduler_, charge.id, night_).error().code(), Code::kNotFound);
  EXPECT_EQ(fx_.audit_entries("role.sign_in", "ok").size(), 1u);
  EXPECT_EQ(fx_.audit_entries("role.hand_over", "ok").size(), 1u);
  EXPECT_EQ(fx_.audit_entries("role.sign_out", "denied").size(), 1u);
}

TEST_F(RoutingServiceTest, AMessageToARoleReachesWhoeverHoldsItWhenItIsSent) {
  const Role role = make_role("Cardiology On Call");
  const Timestamp change = now() + 1h;
  add_shift(role.id, day_, now() - 11h, change);
  add_shift(role.id, night_, change, change + 12h);
  auto thread = routing().open_role_thread(sender_, role.id);
  ASSERT_TRUE(thread.has_value()) << thread.error().to_string();
  EXPECT_EQ(thread->thread.kind, ThreadKind::kRole);
  EXPECT_EQ(thread->title, "Cardiology On Call");
  EXPECT_EQ(routing().open_role_thread(sender_, role.id)->thread.id, thread->thread.id);

  auto first = fx_.messaging->send(sender_, SendRequest{thread->thread.id, "c-1", "BP 80/40"});
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  ASSERT_EQ(first->routed.size(), 1u);
  EXPECT_EQ(first->routed[0].user, day_);
  EXPECT_EQ(first->routed[0].reason, kReasonOnCall);

  // After the change of shift the next message goes to the night holder, who joins;
  // the day holder keeps the thread.
  fx_.advance(1h);
  auto second = fx_.messaging->send(sender_, SendRequest{thread->thread.id, "c-2", "Still low"});
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  ASSERT_EQ(second->routed.size(), 1u);
  EXPECT_EQ(second->routed[0].user, night_);
  auto members = fx_.store->list_members(thread->thread.id);
  ASSERT_TRUE(members.has_value());
  std::vector<UserId> ids;
  for (const Member& member : *members) {
    ids.push_back(member.user_id);
  }
  EXPECT_EQ(ids, (std::vector<UserId>{sender_.user, day_, night_}));

  // The routing is on the thread, for everyone in it.
  const auto routed = fx_.published.events_of_kind(EventKind::kRouted);
  ASSERT_EQ(routed.size(), 2u);
  EXPECT_EQ(routed[1].event.subject, night_);
  EXPECT_EQ(routed[1].event.ref, second->message.id);
  EXPECT_NE(std::find(routed[1].recipients.begin(), routed[1].recipients.end(), sender_.user),
            routed[1].recipients.end());

  // A resend routes nothing again.
  auto again = fx_.messaging->send(sender_, SendRequest{thread->thread.id, "c-2", "Still low"});
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->duplicate);
  EXPECT_TRUE(again->routed.empty());
}

TEST_F(RoutingServiceTest, AMessageToARoleNobodyHoldsIsRefusedNotLost) {
  const Role role = make_role("Night Float");
  auto thread = routing().open_role_thread(sender_, role.id);
  ASSERT_TRUE(thread.has_value());
  auto sent = fx_.messaging->send(sender_, SendRequest{thread->thread.id, "c-1", "Anyone?"});
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(sent.error().message().find("Night Float"), std::string::npos);
  EXPECT_EQ(fx_.store->find_thread(thread->thread.id)->last_seq, 0);

  // With a fallback person it goes to them, and the sender is told why.
  RoleInput input;
  input.name = "Night Float";
  input.fallback_user = cover_;
  ASSERT_TRUE(routing().update_role(admin_, role.id, input).has_value());
  auto fallback = fx_.messaging->send(sender_, SendRequest{thread->thread.id, "c-2", "Anyone?"});
  ASSERT_TRUE(fallback.has_value()) << fallback.error().to_string();
  ASSERT_EQ(fallback->routed.size(), 1u);
  EXPECT_EQ(fallback->routed[0].user, cover_);
  EXPECT_EQ(fallback->routed[0].reason, kReasonFallback);
}

TEST_F(RoutingServiceTest, AnotherOrgsRoleIsNotFound) {
  const Role role = make_role("Cardiology On Call");
  const OrgId other = fx_.create_org("Other Hospital").id;
  const Principal outsider = fx_.principal_of(fx_.create_user(other, "outsider"));
  EXPECT_EQ(routing().get_role(outsider, role.id).error().code(), Code::kNotFound);
  EXPECT_EQ(routing().open_role_thread(outsider, role.id).error().code(), Code::kNotFound);
  EXPECT_EQ(routing().sign_in(outsider, role.id).error().code(), Code::kNotFound);
  EXPECT_EQ(routing().preview(outsider, role.id).error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace wl

namespace wl {
namespace {

// Reminders run on durable timers: on a manual clock, through the JobRunner that
// `serve` runs, over the real store.
class ReminderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const OrgId org = fx_.create_org("General Hospital").id;
    sender_ = testing::ServiceFixture::principal_of(fx_.create_user(org, "sender"));
    reader_ = testing::ServiceFixture::principal_of(fx_.create_user(org, "reader"));
    thread_ = fx_.messaging->open_direct(sender_, reader_.user)->thread.id;
    runner_.handle(std::string(kReminderTimer), [this](const Timer& timer, WriteBatch& batch) {
      return fx_.messaging->remind(timer, batch);
    });
  }

  std::vector<testing::RecordingSubscriber::Published> reminders() {
    return fx_.published.events_of_kind(EventKind::kReminder);
  }

  SendRequest send_request(std::string client_id) {
    SendRequest request{thread_, std::move(client_id), "Please call back about bed 4"};
    request.remind_after = std::chrono::minutes(10);
    return request;
  }

  testing::ServiceFixture fx_;
  JobRunner runner_{*fx_.store, *fx_.store, fx_.clock, JobRunnerOptions{}, publish_to(fx_.bus)};
  Principal sender_;
  Principal reader_;
  ThreadId thread_;
};

TEST_F(ReminderTest, AnUnreadMessageRemindsItsSenderOnceWhenItsTimeComes) {
  auto sent = fx_.messaging->send(sender_, send_request("r-1"));
  ASSERT_TRUE(sent.has_value()) << sent.error().to_string();
  fx_.advance(std::chrono::minutes(9));
  ASSERT_TRUE(runner_.run_due().has_value());
  EXPECT_TRUE(reminders().empty());

  fx_.advance(std::chrono::minutes(2));
  ASSERT_EQ(*runner_.run_due(), 1u);
  const auto fired = reminders();
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].event.scope, EventScope::kUser);
  EXPECT_EQ(fired[0].event.user_id, sender_.user);
  EXPECT_EQ(fired[0].event.ref, sent->message.id);
  EXPECT_EQ(fired[0].recipients, std::vector<UserId>{sender_.user});
  EXPECT_EQ(fx_.audit_entries("message.reminder", "ok").size(), 1u);

  // Once: nothing more, however long it stays unread.
  fx_.advance(std::chrono::hours(2));
  EXPECT_EQ(*runner_.run_due(), 0u);
  EXPECT_EQ(reminders().size(), 1u);
}

TEST_F(ReminderTest, AMessageReadBeforeItsTimeRemindsNobody) {
  auto sent = fx_.messaging->send(sender_, send_request("r-2"));
  ASSERT_TRUE(sent.has_value()) << sent.error().to_string();
  ASSERT_TRUE(fx_.messaging->mark_read(reader_, thread_, sent->message.seq).has_value());
  fx_.advance(std::chrono::minutes(11));
  ASSERT_EQ(*runner_.run_due(), 1u);  // The timer ran and found it read.
  EXPECT_TRUE(reminders().empty());
}

TEST_F(ReminderTest, AReminderOutOfRangeIsRefusedAndNothingIsSent) {
  SendRequest request = send_request("r-3");
  request.remind_after = std::chrono::minutes(0);
  EXPECT_EQ(fx_.messaging->send(sender_, request).error().code(), Code::kInvalidArgument);
  request.remind_after = std::chrono::minutes(24 * 60 + 1);
  EXPECT_EQ(fx_.messaging->send(sender_, request).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(fx_.store->find_thread(thread_)->last_seq, 0);
}

}  // namespace
}  // namespace wl
