// Escalation over the real SQLite store and JobRunner, on a manual clock: backup
// chains through people and roles, a read stopping it, the sender's final alert,
// urgent re-alerts, and a runner that dies between claim and completion.

#include "services/routing/escalation.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "services/routing/routing_service.hpp"
#include "services/timers/job_runner.hpp"
#include "support/service_fixture.hpp"

namespace wl {
namespace {

using namespace std::chrono_literals;
using testing::ServiceFixture;

class EscalationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    org_ = fx_.create_org("General Hospital").id;
    admin_ = fx_.principal_of(fx_.create_user(org_, "admin", true));
    sender_ = fx_.principal_of(fx_.create_user(org_, "sender"));
    doctor_ = fx_.principal_of(fx_.create_user(org_, "doctor"));
    first_ = fx_.principal_of(fx_.create_user(org_, "first"));
    second_ = fx_.principal_of(fx_.create_user(org_, "second"));
    third_ = fx_.principal_of(fx_.create_user(org_, "third"));
    fourth_ = fx_.principal_of(fx_.create_user(org_, "fourth"));
    thread_ = fx_.messaging->open_direct(sender_, doctor_.user)->thread.id;
    runner_.handle(std::string(kEscalationTimer), [this](const Timer& timer, WriteBatch& batch) {
      return fx_.escalator->run(timer, batch);
    });
  }

  void set_policy(std::chrono::seconds normal, std::chrono::seconds urgent,
                  std::chrono::seconds realert) {
    EscalationPolicy policy;
    policy.normal_after = normal;
    policy.urgent_after = urgent;
    policy.realert_every = realert;
    auto set = fx_.routing->set_policy(admin_, policy);
    ASSERT_TRUE(set.has_value()) << set.error().to_string();
  }

  RoleId role_held_by(std::string name, UserId holder) {
    RoleInput input;
    input.name = std::move(name);
    const Role role = fx_.routing->create_role(admin_, input).value();
    const Principal principal = fx_.principal_of(*fx_.store->find_user(holder));
    EXPECT_TRUE(fx_.routing->sign_in(principal, role.id).has_value());
    return role.id;
  }

  SendResult send(std::string client_id, bool urgent) {
    SendRequest request{thread_, std::move(client_id), "Bed 4 potassium 6.1, please call"};
    request.urgent = urgent;
    auto sent = fx_.messaging->send(sender_, request);
    EXPECT_TRUE(sent.has_value()) << sent.error().to_string();
    return sent.value_or(SendResult());
  }

  // Whom the message was escalated to, step by step, as the thread records it.
  std::vector<UserId> escalated(const SendResult& sent) {
    std::vector<UserId> users;
    const auto routing =
        fx_.store->read_thread_routing(thread_, sent.message.seq, sent.message.seq).value();
    for (const Event& routed : routing) {
      EXPECT_EQ(routed.reason, kReasonEscalated);
      users.push_back(routed.subject);
    }
    return users;
  }

  std::vector<UserId> alerted() {
    std::vector<UserId> users;
    for (const auto& published : fx_.published.events_of_kind(EventKind::kAlert)) {
      users.push_back(published.event.user_id);
    }
    return users;
  }

  void run_after(std::chrono::seconds wait) {
    fx_.advance(wait);
    auto ran = runner_.run_due();
    ASSERT_TRUE(ran.has_value()) << ran.error().to_string();
  }

  ServiceFixture fx_;
  JobRunner runner_{*fx_.store, *fx_.store, fx_.clock, JobRunnerOptions{}, publish_to(fx_.bus)};
  OrgId org_;
  Principal admin_, sender_, doctor_, first_, second_, third_, fourth_;
  ThreadId thread_;
};

TEST_F(EscalationTest, AnUnreadMessageClimbsThreeStepsOfTheChainAndOneReadStopsIt) {
  set_policy(15min, 2min, 0s);
  const RoleId rapid = role_held_by("Rapid Response RN", second_.user);
  ASSERT_TRUE(fx_.routing
                  ->set_backups(doctor_, doctor_.user,
                                {Backup{first_.user, RoleId()}, Backup{UserId(), rapid},
                                 Backup{third_.user, RoleId()}, Backup{fourth_.user, RoleId()}})
                  .has_value());
  const SendResult sent = send("esc-1", true);

  run_after(119s);
  EXPECT_TRUE(escalated(sent).empty()) << "not before its deadline";
  run_after(1s);
  EXPECT_EQ(escalated(sent), std::vector<UserId>{first_.user});
  EXPECT_TRUE(*fx_.store->is_member(thread_, first_.user)) << "the backup joins the thread";
  run_after(2min);
  EXPECT_EQ(escalated(sent), (std::vector<UserId>{first_.user, second_.user}))
      << "a role step reaches whoever holds the role now";
  const auto routed = *fx_.store->read_thread_routing(thread_, sent.message.seq, sent.message.seq);
  EXPECT_EQ(routed.back().role, rapid);
  run_after(2min);
  EXPECT_EQ(escalated(sent), (std::vector<UserId>{first_.user, second_.user, third_.user}));
  EXPECT_EQ(fx_.audit_entries("message.escalate", "ok").size(), 3u);

  // The third backup reads it: no fourth step, and no final alert.
  ASSERT_TRUE(fx_.messaging->mark_read(third_, thread_, sent.message.seq).has_value());
  run_after(2min);
  run_after(30min);
  EXPECT_EQ(escalated(sent).size(), 3u);
  EXPECT_TRUE(fx_.published.events_of_kind(EventKind::kUnanswered).empty());
  EXPECT_FALSE(
      fx_.store
          ->find_timer(kEscalationTimer, send_timer_key(sender_.user, sent.message.client_token))
          .has_value());
}

TEST_F(EscalationTest, AReadByTheAddresseeBeforeTheDeadlineEscalatesNothing) {
  set_policy(15min, 2min, 0s);
  ASSERT_TRUE(
      fx_.routing->set_backups(doctor_, doctor_.user, {Backup{first_.user, RoleId()}}).has_value());
  const SendResult sent = send("esc-2", true);
  ASSERT_TRUE(fx_.messaging->mark_read(doctor_, thread_, sent.message.seq).has_value());
  run_after(10min);
  EXPECT_TRUE(escalated(sent).empty());
  EXPECT_FALSE(*fx_.store->is_member(thread_, first_.user));
}

TEST_F(EscalationTest, AtTheEndOfTheChainTheSenderIsToldOnce) {
  set_policy(15min, 2min, 0s);
  ASSERT_TRUE(
      fx_.routing->set_backups(doctor_, doctor_.user, {Backup{first_.user, RoleId()}}).has_value());
  const SendResult sent = send("esc-3", false);
  run_after(15min);
  EXPECT_EQ(escalated(sent), std::vector<UserId>{first_.user});
  EXPECT_TRUE(fx_.published.events_of_kind(EventKind::kUnanswered).empty());
  run_after(15min);
  const auto unanswered = fx_.published.events_of_kind(EventKind::kUnanswered);
  ASSERT_EQ(unanswered.size(), 1u);
  EXPECT_EQ(unanswered[0].event.user_id, sender_.user);
  EXPECT_EQ(unanswered[0].event.ref, sent.message.id);
  EXPECT_EQ(unanswered[0].recipients, std::vector<UserId>{sender_.user});
  EXPECT_EQ(fx_.audit_entries("message.unanswered", "ok").size(), 1u);
  run_after(2h);
  EXPECT_EQ(fx_.published.events_of_kind(EventKind::kUnanswered).size(), 1u);
}

TEST_F(EscalationTest, AnOffDutyBackupIsPassedOverAndOneWhoForwardsIsFollowed) {
  set_policy(15min, 2min, 0s);
  ASSERT_TRUE(fx_.routing
                  ->set_backups(doctor_, doctor_.user,
                                {Backup{first_.user, RoleId()}, Backup{second_.user, RoleId()},
                                 Backup{third_.user, RoleId()}})
                  .has_value());
  ASSERT_TRUE(
      fx_.routing
          ->set_availability(first_, first_.user, AvailabilityInput{Availability::kOffDuty, {}, {}})
          .has_value());
  ASSERT_TRUE(
      fx_.routing
          ->set_forwarding(second_, second_.user, ForwardingInput{fourth_.user, RoleId(), {}, {}})
          .has_value());
  const SendResult sent = send("esc-off", true);
  run_after(2min);
  EXPECT_EQ(escalated(sent), std::vector<UserId>{fourth_.user})
      << "first is off duty: passed over; second forwards to fourth";
  run_after(2min);
  EXPECT_EQ(escalated(sent), (std::vector<UserId>{fourth_.user, third_.user}));
}

TEST_F(EscalationTest, ARoleStepWithNobodyOnItIsPassedOver) {
  set_policy(15min, 2min, 0s);
  RoleInput input;
  input.name = "Night Float";
  const Role empty = fx_.routing->create_role(admin_, input).value();
  ASSERT_TRUE(fx_.routing
                  ->set_backups(doctor_, doctor_.user,
                                {Backup{UserId(), empty.id}, Backup{first_.user, RoleId()}})
                  .has_value());
  const SendResult sent = send("esc-4", true);
  run_after(2min);
  EXPECT_EQ(escalated(sent), std::vector<UserId>{first_.user});
}

TEST_F(EscalationTest, AnUnreadUrgentMessageAlertsItsRecipientAgainUntilRead) {
  set_policy(0s, 0s, 2min);
  const SendResult sent = send("alert-1", true);
  run_after(1min);
  EXPECT_TRUE(alerted().empty());
  run_after(1min);
  EXPECT_EQ(alerted(), std::vector<UserId>{doctor_.user});
  run_after(2min);
  EXPECT_EQ(alerted(), (std::vector<UserId>{doctor_.user, doctor_.user}));
  const auto alerts = fx_.published.events_of_kind(EventKind::kAlert);
  EXPECT_EQ(alerts.back().event.ref, sent.message.id);
  EXPECT_EQ(alerts.back().recipients, std::vector<UserId>{doctor_.user});

  ASSERT_TRUE(fx_.messaging->mark_read(doctor_, thread_, sent.message.seq).has_value());
  run_after(2min);
  run_after(2min);
  EXPECT_EQ(alerted().size(), 2u);
}

TEST_F(EscalationTest, ANormalMessageDoesNotReAlert) {
  set_policy(0s, 0s, 2min);
  send("alert-2", false);
  run_after(10min);
  EXPECT_TRUE(alerted().empty());
}

TEST_F(EscalationTest, ReAlertsMoveToWhomTheMessageWasEscalatedTo) {
  set_policy(15min, 5min, 2min);
  ASSERT_TRUE(
      fx_.routing->set_backups(doctor_, doctor_.user, {Backup{first_.user, RoleId()}}).has_value());
  const SendResult sent = send("alert-3", true);
  run_after(2min);
  run_after(2min);
  EXPECT_EQ(alerted(), (std::vector<UserId>{doctor_.user, doctor_.user}));
  run_after(1min);  // 5 minutes: escalated.
  EXPECT_EQ(escalated(sent), std::vector<UserId>{first_.user});
  run_after(2min);
  EXPECT_EQ(alerted().back(), first_.user);
  EXPECT_EQ(alerted().size(), 3u);
}

TEST_F(EscalationTest, WithThePolicyOffNoTimerIsScheduled) {
  set_policy(0s, 0s, 0s);
  const SendResult sent = send("off-1", true);
  EXPECT_EQ(
      fx_.store
          ->find_timer(kEscalationTimer, send_timer_key(sender_.user, sent.message.client_token))
          .error()
          .code(),
      Code::kNotFound);
}

TEST_F(EscalationTest, AMessageToARoleEscalatesThroughItsHoldersBackups) {
  set_policy(15min, 2min, 0s);
  const RoleId cardiology = role_held_by("Cardiology On Call", doctor_.user);
  ASSERT_TRUE(
      fx_.routing->set_backups(doctor_, doctor_.user, {Backup{first_.user, RoleId()}}).has_value());
  const ThreadView view = fx_.routing->open_role_thread(sender_, cardiology).value();
  SendRequest request{view.thread.id, "role-1", "Chest pain bed 9"};
  request.urgent = true;
  const SendResult sent = fx_.messaging->send(sender_, request).value();
  ASSERT_EQ(sent.routed.size(), 1u);
  run_after(2min);
  const auto routed =
      *fx_.store->read_thread_routing(view.thread.id, sent.message.seq, sent.message.seq);
  ASSERT_EQ(routed.size(), 2u);
  EXPECT_EQ(routed[0].subject, doctor_.user);
  EXPECT_EQ(routed[1].subject, first_.user);
  EXPECT_EQ(routed[1].reason, kReasonEscalated);
}

TEST_F(EscalationTest, AMessageAboutAPatientBetweenTwoPeopleEscalatesAndAPatientGroupDoesNot) {
  set_policy(15min, 2min, 0s);
  ASSERT_TRUE(
      fx_.routing->set_backups(doctor_, doctor_.user, {Backup{first_.user, RoleId()}}).has_value());
  PatientView fields;
  fields.mrn = "100234";
  fields.name = "Testpatient, Alma";
  const PatientView patient = fx_.patients->upsert(admin_, org_, fields).value();
  const std::vector<UserId> pair{doctor_.user};
  const ThreadId about =
      fx_.messaging->open_patient_thread(sender_, patient.id, pair, "")->thread.id;
  SendRequest request{about, "pt-1", "Alma's BP 190/110"};
  request.urgent = true;
  const SendResult sent = fx_.messaging->send(sender_, request).value();
  const std::vector<UserId> group_members{doctor_.user, second_.user};
  const ThreadId group =
      fx_.messaging->open_patient_thread(sender_, patient.id, group_members, "Alma's team")
          ->thread.id;
  SendRequest to_group{group, "pt-2", "Family meeting at 3"};
  to_group.urgent = true;
  const SendResult group_sent = fx_.messaging->send(sender_, to_group).value();

  run_after(2min);
  const auto routed = *fx_.store->read_thread_routing(about, sent.message.seq, sent.message.seq);
  ASSERT_EQ(routed.size(), 1u);
  EXPECT_EQ(routed[0].subject, first_.user);
  EXPECT_TRUE(fx_.store->read_thread_routing(group, group_sent.message.seq, group_sent.message.seq)
                  ->empty());
  // The escalation step is in the pair thread's history pages.
  const HistoryPage page = *fx_.messaging->history(sender_, about, 0, 50);
  ASSERT_EQ(page.routed.size(), 1u);
  EXPECT_EQ(page.routed[0].event.reason, kReasonEscalated);
}

TEST_F(EscalationTest, ARunnerThatDiesBetweenClaimAndCompletionEscalatesOnceAfterItsLease) {
  set_policy(15min, 2min, 0s);
  ASSERT_TRUE(
      fx_.routing->set_backups(doctor_, doctor_.user, {Backup{first_.user, RoleId()}}).has_value());
  const SendResult sent = send("kill-1", true);
  fx_.advance(2min);
  // A runner claims the timer and is killed before it completes: nothing was written.
  auto claimed = fx_.store->claim_due_timers(fx_.clock.now(), 60s, 10);
  ASSERT_TRUE(claimed.has_value());
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(*runner_.run_due(), 0u) << "the dead runner's lease still holds it";
  EXPECT_TRUE(escalated(sent).empty());
  run_after(61s);
  EXPECT_EQ(escalated(sent), std::vector<UserId>{first_.user});
  // The dead claim can never complete now.
  WriteBatch late;
  late.add(CompleteTimer{claimed->front().id, claimed->front().attempt});
  EXPECT_EQ(commit_and_wait(*fx_.store, std::move(late)).error().code(), Code::kAborted);
  EXPECT_EQ(escalated(sent).size(), 1u);
}

TEST_F(EscalationTest, BackupChainsAndPoliciesAreCheckedAndAudited) {
  EXPECT_EQ(fx_.routing->set_backups(doctor_, first_.user, {}).error().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(fx_.audit_entries("backups.set", "denied").size(), 1u);
  EXPECT_EQ(fx_.routing->set_backups(doctor_, doctor_.user, {Backup{doctor_.user, RoleId()}})
                .error()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(fx_.routing
                ->set_backups(doctor_, doctor_.user,
                              {Backup{first_.user, RoleId()}, Backup{first_.user, RoleId()}})
                .error()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(fx_.routing->set_backups(doctor_, doctor_.user, {Backup{UserId(999), RoleId()}})
                .error()
                .code(),
            Code::kNotFound);
  ASSERT_TRUE(
      fx_.routing->set_backups(admin_, doctor_.user, {Backup{first_.user, RoleId()}}).has_value());
  EXPECT_EQ(*fx_.routing->backups(sender_, doctor_.user),
            (std::vector<Backup>{Backup{first_.user, RoleId()}}));
  EXPECT_EQ(fx_.audit_entries("backups.set", "ok").size(), 1u);

  EXPECT_EQ(fx_.routing->set_policy(doctor_, EscalationPolicy()).error().code(),
            Code::kPermissionDenied);
  EscalationPolicy bad;
  bad.urgent_after = -1s;
  EXPECT_EQ(fx_.routing->set_policy(admin_, bad).error().code(), Code::kInvalidArgument);
  const EscalationPolicy defaults = *fx_.routing->policy(doctor_);
  EXPECT_EQ(defaults.urgent_after, 2min);
  EXPECT_EQ(defaults.normal_after, 0s);
  EXPECT_FALSE(defaults.updated_by.is_set());
}

TEST(EscalationPayload, RoundTripsAndRefusesWhatItDidNotWrite) {
  EscalationState state;
  state.sender = UserId(7);
  state.client_token = std::string("\x01\xff\x00z", 4);
  EXPECT_EQ(decode_escalation(encode_escalation(state))->client_token, state.client_token);
  state.message = EventId(42);
  state.next_step = 3;
  state.step_at = from_micros(1'700'000'000'000'000);
  state.realerts = 2;
  const EscalationState back = *decode_escalation(encode_escalation(state));
  EXPECT_EQ(back.sender, state.sender);
  EXPECT_EQ(back.message, state.message);
  EXPECT_EQ(back.next_step, 3u);
  EXPECT_EQ(back.step_at, state.step_at);
  EXPECT_EQ(back.realerts, 2u);
  for (const char* bad :
       {"", "x", "7:zz", "0:00", "7:00;m", "7:00;m=-1", "7:00;q=1", "7:00;m=1x"}) {
    EXPECT_EQ(decode_escalation(bad).error().code(), Code::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace wl
