// Messages held for an off-duty person, over the real SQLite store and JobRunner on a
// manual clock: held at the send, released at the end of the period or when the person
// changes their availability, the emergency override, resends, withdrawal, and what is
// not held.

#include <gtest/gtest.h>

#include "services/routing/escalation.hpp"
#include "services/routing/routing_service.hpp"
#include "services/timers/job_runner.hpp"
#include "support/service_fixture.hpp"

namespace wl {
namespace {

using namespace std::chrono_literals;
using testing::ServiceFixture;

class HeldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    org_ = fx_.create_org("General Hospital").id;
    admin_ = fx_.principal_of(fx_.create_user(org_, "admin", true));
    nurse_ = fx_.principal_of(fx_.create_user(org_, "nurse"));
    doctor_ = fx_.principal_of(fx_.create_user(org_, "doctor"));
    backup_ = fx_.principal_of(fx_.create_user(org_, "backup"));
    thread_ = fx_.messaging->open_direct(nurse_, doctor_.user)->thread.id;
    runner_.handle(std::string(kReleaseTimer), [this](const Timer& timer, WriteBatch& batch) {
      return fx_.messaging->release(timer, batch);
    });
    runner_.handle(std::string(kEscalationTimer), [this](const Timer& timer, WriteBatch& batch) {
      return fx_.escalator->run(timer, batch);
    });
  }

  void set_doctor(Availability status, std::optional<Timestamp> until = std::nullopt) {
    auto set =
        fx_.routing->set_availability(doctor_, doctor_.user, AvailabilityInput{status, {}, until});
    ASSERT_TRUE(set.has_value()) << set.error().to_string();
  }

  Result<SendResult> send(std::string client_id, bool urgent = false, bool override = false,
                          std::string body = "Bed 4 potassium 6.1, please call") {
    SendRequest request{thread_, std::move(client_id), std::move(body)};
    request.urgent = urgent;
    request.override_availability = override;
    return fx_.messaging->send(nurse_, request);
  }

  std::vector<OpenedEvent> thread_messages() {
    auto page = fx_.messaging->history(nurse_, thread_, 0, 50);
    EXPECT_TRUE(page.has_value()) << page.error().to_string();
    return page ? page->messages : std::vector<OpenedEvent>{};
  }

  std::vector<OpenedHeld> held() {
    auto listed = fx_.messaging->held_in(nurse_, thread_);
    EXPECT_TRUE(listed.has_value()) << listed.error().to_string();
    return listed.value_or(std::vector<OpenedHeld>{});
  }

  void run_after(std::chrono::seconds wait) {
    fx_.advance(wait);
    auto ran = runner_.run_due();
    ASSERT_TRUE(ran.has_value()) << ran.error().to_string();
  }

  ServiceFixture fx_;
  JobRunner runner_{*fx_.store, *fx_.store, fx_.clock, JobRunnerOptions{}, publish_to(fx_.bus)};
  OrgId org_;
  Principal admin_, nurse_, doctor_, backup_;
  ThreadId thread_;
};

TEST_F(HeldTest, ANormalMessageWaitsForTheEndOfTheOffDutyPeriod) {
  const Timestamp sent_at = fx_.clock.now();
  set_doctor(Availability::kOffDuty, sent_at + 8h);
  fx_.published.clear();
  auto sent = send("held-1");
  ASSERT_TRUE(sent.has_value()) << sent.error().to_string();
  ASSERT_TRUE(sent->held.has_value()) << "the sender is told at once";
  EXPECT_EQ(sent->held->user, doctor_.user);
  EXPECT_EQ(sent->held->until, sent_at + 8h);
  EXPECT_FALSE(sent->message.id.is_set());
  EXPECT_TRUE(thread_messages().empty()) << "not in the thread";
  EXPECT_TRUE(fx_.published.events_of_kind(EventKind::kMessage).empty()) << "nobody gets it";
  ASSERT_EQ(held().size(), 1u);
  EXPECT_EQ(held()[0].body, "Bed 4 potassium 6.1, please call");
  EXPECT_EQ(fx_.audit_entries("message.hold", "ok").size(), 1u);
  const auto told = fx_.published.events_of_kind(EventKind::kScreening);
  ASSERT_EQ(told.size(), 1u) << "the sender's other devices are told";
  EXPECT_EQ(told[0].recipients, std::vector<UserId>{nurse_.user});
  EXPECT_EQ(told[0].event.subject, doctor_.user);
  EXPECT_EQ(told[0].event.actor, nurse_.user);

  run_after(8h - 1s);
  EXPECT_TRUE(thread_messages().empty()) << "still off duty";
  run_after(1s);
  const auto messages = thread_messages();
  ASSERT_EQ(messages.size(), 1u) << "released when the period ends";
  EXPECT_EQ(messages[0].body, "Bed 4 potassium 6.1, please call");
  EXPECT_EQ(messages[0].client_id, "held-1");
  EXPECT_EQ(messages[0].event.created_at, sent_at + 8h);
  EXPECT_EQ(messages[0].event.written_at, sent_at) << "written when it was sent";
  EXPECT_EQ(fx_.published.events_of_kind(EventKind::kMessage).size(), 1u);
  EXPECT_TRUE(held().empty());
  EXPECT_EQ(fx_.audit_entries("message.release", "ok").size(), 1u);

  run_after(1h);
  EXPECT_EQ(thread_messages().size(), 1u) << "released once";
}

TEST_F(HeldTest, GoingBackOnDutyReleasesHeldMessagesInTheOrderSent) {
  set_doctor(Availability::kOffDuty);  // Until further notice: no end, no timer yet.
  ASSERT_TRUE(send("first")->held);
  fx_.advance(1min);
  ASSERT_TRUE(send("second", false, false, "and the other one")->held);
  run_after(24h);
  EXPECT_TRUE(thread_messages().empty());

  set_doctor(Availability::kAvailable);
  run_after(0s);
  const auto messages = thread_messages();  // Newest first.
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].client_id, "first");
  EXPECT_EQ(messages[0].client_id, "second");
  EXPECT_LT(messages[1].event.seq, messages[0].event.seq);

  // Available now, so the next message goes straight through.
  auto sent = send("third");
  ASSERT_TRUE(sent.has_value());
  EXPECT_FALSE(sent->held);
  EXPECT_EQ(thread_messages().size(), 3u);
}

TEST_F(HeldTest, AReleasedMessageEscalatesFromItsRelease) {
  EscalationPolicy policy;
  policy.normal_after = 15min;
  policy.urgent_after = 2min;
  policy.realert_every = 0s;
  ASSERT_TRUE(fx_.routing->set_policy(admin_, policy).has_value());
  ASSERT_TRUE(fx_.routing->set_backups(doctor_, doctor_.user, {Backup{backup_.user, RoleId()}})
                  .has_value());
  set_doctor(Availability::kOffDuty, fx_.clock.now() + 1h);
  ASSERT_TRUE(send("urgent", true)->held) << "urgent without override is held too";
  run_after(1h);
  ASSERT_EQ(thread_messages().size(), 1u);
  EXPECT_FALSE(*fx_.store->is_member(thread_, backup_.user));
  run_after(2min);
  EXPECT_TRUE(*fx_.store->is_member(thread_, backup_.user))
      << "unread two minutes after its release, it moves on";
}

TEST_F(HeldTest, AnUrgentOverrideIsDeliveredAtOnceAuditedAndShown) {
  set_doctor(Availability::kOffDuty, fx_.clock.now() + 8h);
  auto sent = send("override", true, true);
  ASSERT_TRUE(sent.has_value()) << sent.error().to_string();
  EXPECT_FALSE(sent->held);
  ASSERT_EQ(sent->routed.size(), 1u);
  EXPECT_EQ(sent->routed[0].user, doctor_.user);
  EXPECT_EQ(sent->routed[0].reason, kReasonOverride);
  ASSERT_EQ(thread_messages().size(), 1u);
  const auto routed =
      *fx_.store->read_thread_routing(thread_, sent->message.seq, sent->message.seq);
  ASSERT_EQ(routed.size(), 1u) << "the thread shows the override to both";
  EXPECT_EQ(routed[0].reason, kReasonOverride);
  EXPECT_EQ(fx_.audit_entries("message.override", "ok").size(), 1u);

  // Resent: the same message, no second override.
  auto again = send("override", true, true);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(fx_.audit_entries("message.override", "ok").size(), 1u);

  // To someone on duty an override changes nothing.
  set_doctor(Availability::kAvailable);
  auto plain = send("override-on-duty", true, true);
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE(plain->routed.empty());
}

TEST_F(HeldTest, OnlyAnUrgentMessageMayOverride) {
  auto sent = send("not-urgent", false, true);
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(sent.error().message(), "only an urgent message may override availability");
}

TEST_F(HeldTest, AResendOfAHeldMessageIsADuplicateBeforeAndAfterItsRelease) {
  set_doctor(Availability::kOffDuty, fx_.clock.now() + 1h);
  const auto first = send("resent");
  ASSERT_TRUE(first.has_value() && first->held);
  auto again = send("resent");
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  ASSERT_TRUE(again->held);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->held->id, first->held->id);
  auto different = send("resent", false, false, "another text");
  ASSERT_FALSE(different.has_value());
  EXPECT_EQ(different.error().code(), Code::kAlreadyExists);
  EXPECT_EQ(held().size(), 1u);
  EXPECT_EQ(fx_.audit_entries("message.hold", "ok").size(), 1u);

  run_after(1h);
  auto after = send("resent");
  ASSERT_TRUE(after.has_value()) << after.error().to_string();
  EXPECT_FALSE(after->held);
  EXPECT_TRUE(after->duplicate);
  EXPECT_EQ(thread_messages().size(), 1u);
}

TEST_F(HeldTest, TheSenderMayWithdrawAHeldMessageAndNobodyElseMay) {
  set_doctor(Availability::kOffDuty, fx_.clock.now() + 1h);
  const auto sent = send("withdrawn");
  ASSERT_TRUE(sent.has_value() && sent->held);
  auto denied = fx_.messaging->withdraw(doctor_, sent->held->id);
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().code(), Code::kNotFound);
  EXPECT_EQ(fx_.audit_entries("message.withdraw", "denied").size(), 1u);

  fx_.published.clear();
  auto withdrawn = fx_.messaging->withdraw(nurse_, sent->held->id);
  ASSERT_TRUE(withdrawn.has_value()) << withdrawn.error().to_string();
  const auto told = fx_.published.events_of_kind(EventKind::kScreening);
  ASSERT_EQ(told.size(), 1u) << "the sender's other devices are told";
  EXPECT_EQ(told[0].recipients, std::vector<UserId>{nurse_.user});
  EXPECT_EQ(withdrawn->body, "Bed 4 potassium 6.1, please call");
  EXPECT_EQ(withdrawn->client_id, "withdrawn");
  EXPECT_TRUE(held().empty());
  EXPECT_EQ(fx_.audit_entries("message.withdraw", "ok").size(), 1u);
  run_after(1h);
  EXPECT_TRUE(thread_messages().empty()) << "a withdrawn message is never delivered";
  EXPECT_EQ(fx_.messaging->withdraw(nurse_, sent->held->id).error().code(), Code::kNotFound);
}

TEST_F(HeldTest, StillOffDutyAtTheTimerItWaitsForTheNextChange) {
  set_doctor(Availability::kOffDuty, fx_.clock.now() + 1h);
  ASSERT_TRUE(send("longer")->held);
  // The period is made longer: the timers find them still off duty and wait again.
  fx_.advance(30min);
  auto longer = fx_.routing->set_availability(
      admin_, doctor_.user, AvailabilityInput{Availability::kOffDuty, {}, fx_.clock.now() + 2h});
  ASSERT_TRUE(longer.has_value()) << longer.error().to_string();
  run_after(30min);
  EXPECT_TRUE(thread_messages().empty()) << "off duty until the new end";
  run_after(2h);
  EXPECT_EQ(thread_messages().size(), 1u);
}

TEST_F(HeldTest, GroupMessagesAreNotHeld) {
  set_doctor(Availability::kOffDuty);
  const UserId members[] = {doctor_.user};
  const ThreadId group = fx_.messaging->create_group(nurse_, "Ward 4", members)->thread.id;
  auto sent = fx_.messaging->send(nurse_, SendRequest{group, "group-1", "Rounds at 9"});
  ASSERT_TRUE(sent.has_value()) << sent.error().to_string();
  EXPECT_FALSE(sent->held);
  EXPECT_TRUE(sent->message.id.is_set());
}

TEST_F(HeldTest, OnlyMembersListTheirHeldMessages) {
  set_doctor(Availability::kOffDuty);
  ASSERT_TRUE(send("mine")->held);
  auto doctors = fx_.messaging->held_in(doctor_, thread_);
  ASSERT_TRUE(doctors.has_value());
  EXPECT_TRUE(doctors->empty()) << "the recipient does not see what waits for them";
  auto stranger = fx_.messaging->held_in(backup_, thread_);
  ASSERT_FALSE(stranger.has_value());
  EXPECT_EQ(stranger.error().code(), Code::kPermissionDenied);
}

}  // namespace
}  // namespace wl
