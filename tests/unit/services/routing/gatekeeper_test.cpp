// Gatekeepers, over the real SQLite store and JobRunner on a manual clock: a message to
// someone who is not available is screened; their gatekeeper passes it on, answers it
// or holds it, each shown in the thread and audited; what is released when they are
// available again; who may decide; and what is not screened.

#include <algorithm>

#include <gtest/gtest.h>

#include "services/routing/escalation.hpp"
#include "services/routing/routing_service.hpp"
#include "services/timers/job_runner.hpp"
#include "support/service_fixture.hpp"

namespace wl {
namespace {

using namespace std::chrono_literals;
using testing::ServiceFixture;

class GatekeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    org_ = fx_.create_org("General Hospital").id;
    nurse_ = fx_.principal_of(fx_.create_user(org_, "nurse"));
    surgeon_ = fx_.principal_of(fx_.create_user(org_, "surgeon"));
    assistant_ = fx_.principal_of(fx_.create_user(org_, "assistant"));
    other_ = fx_.principal_of(fx_.create_user(org_, "other"));
    thread_ = fx_.messaging->open_direct(nurse_, surgeon_.user)->thread.id;
    runner_.handle(std::string(kReleaseTimer), [this](const Timer& timer, WriteBatch& batch) {
      return fx_.messaging->release(timer, batch);
    });
    runner_.handle(std::string(kUnscreenedTimer), [this](const Timer& timer, WriteBatch& batch) {
      return fx_.messaging->deliver_unscreened(timer, batch);
    });
    runner_.handle(std::string(kEscalationTimer), [this](const Timer& timer, WriteBatch& batch) {
      return fx_.escalator->run(timer, batch);
    });
    auto named = fx_.routing->set_gatekeepers(surgeon_, surgeon_.user, {assistant_.user});
    ASSERT_TRUE(named.has_value()) << named.error().to_string();
  }

  void set_surgeon(Availability status, std::optional<Timestamp> until = std::nullopt) {
    auto set = fx_.routing->set_availability(surgeon_, surgeon_.user,
                                             AvailabilityInput{status, {}, until});
    ASSERT_TRUE(set.has_value()) << set.error().to_string();
  }

  Result<SendResult> send(std::string client_id, bool urgent = false, bool override = false) {
    SendRequest request{thread_, std::move(client_id), "Bed 4 potassium 6.1, please call"};
    request.urgent = urgent;
    request.override_availability = override;
    return fx_.messaging->send(nurse_, request);
  }

  std::vector<OpenedEvent> thread_messages() {
    auto page = fx_.messaging->history(nurse_, thread_, 0, 50);
    EXPECT_TRUE(page.has_value()) << page.error().to_string();
    return page ? page->messages : std::vector<OpenedEvent>{};
  }

  std::vector<Event> routed() {
    return fx_.store->read_thread_routing(thread_, 1, 1000).value_or(std::vector<Event>{});
  }

  std::vector<OpenedHeld> screening(const Principal& who) {
    auto listed = fx_.messaging->screening(who);
    EXPECT_TRUE(listed.has_value()) << listed.error().to_string();
    return listed ? listed->messages : std::vector<OpenedHeld>{};
  }

  Result<ScreeningResult> decide(HeldId held, ScreeningAction action,
                                 const Principal* who = nullptr) {
    ScreeningDecision decision{action, "answer-1", "He is scrubbed in; I will page him at 3"};
    return fx_.messaging->screen(who != nullptr ? *who : assistant_, held, decision);
  }

  HeldId screened_message(bool urgent = false) {
    auto sent = send("screened-" + std::to_string(++sends_), urgent);
    EXPECT_TRUE(sent.has_value()) << sent.error().to_string();
    EXPECT_TRUE(sent.has_value() && sent->held.has_value());
    return sent.has_value() && sent->held ? sent->held->id : HeldId();
  }

  // Who got a kScreening since fx_.published was cleared, each once, in id order; each
  // about the surgeon.
  std::vector<UserId> told_of_screening() {
    std::vector<UserId> told;
    for (const auto& published : fx_.published.events_of_kind(EventKind::kScreening)) {
      EXPECT_EQ(published.event.subject, surgeon_.user);
      told.insert(told.end(), published.recipients.begin(), published.recipients.end());
    }
    std::ranges::sort(told);
    told.erase(std::ranges::unique(told).begin(), told.end());
    return told;
  }

  void run_after(std::chrono::seconds wait) {
    fx_.advance(wait);
    auto ran = runner_.run_due();
    ASSERT_TRUE(ran.has_value()) << ran.error().to_string();
  }

  ServiceFixture fx_;
  JobRunner runner_{*fx_.store, *fx_.store, fx_.clock, JobRunnerOptions{}, publish_to(fx_.bus)};
  OrgId org_;
  Principal nurse_, surgeon_, assistant_, other_;
  ThreadId thread_;
  int sends_ = 0;
};

TEST_F(GatekeeperTest, AMessageToSomeoneInProcedureGoesToTheirGatekeepersScreeningList) {
  set_surgeon(Availability::kInProcedure);
  fx_.published.clear();
  auto sent = send("screened");
  ASSERT_TRUE(sent.has_value()) << sent.error().to_string();
  ASSERT_TRUE(sent->held.has_value()) << "the sender is told at once";
  EXPECT_EQ(sent->held->state, HeldState::kScreening);
  EXPECT_EQ(sent->held->status, Availability::kInProcedure);
  EXPECT_EQ(sent->held->gatekeepers, std::vector<UserId>{assistant_.user});
  EXPECT_TRUE(thread_messages().empty()) << "not in the thread yet";

  const auto listed = screening(assistant_);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].body, "Bed 4 potassium 6.1, please call");
  EXPECT_EQ(listed[0].held.recipient, surgeon_.user);
  EXPECT_TRUE(screening(other_).empty()) << "only their gatekeepers see it";
  EXPECT_EQ(fx_.messaging->screening(assistant_)->screens_for, std::vector<UserId>{surgeon_.user});
  EXPECT_TRUE(fx_.messaging->screening(other_)->screens_for.empty());
  EXPECT_EQ(fx_.audit_entries("message.screen", "ok").size(), 1u);
  EXPECT_EQ(fx_.audit_entries("screening.list", "ok").size(), 4u);

  EXPECT_EQ(told_of_screening(), (std::vector<UserId>{nurse_.user, assistant_.user}))
      << "the gatekeeper's devices are told, and the sender's other devices";
}

TEST_F(GatekeeperTest, PassingItOnDeliversItAndTheThreadSaysWhoPassedIt) {
  set_surgeon(Availability::kBusy);
  const HeldId held = screened_message();
  auto passed = decide(held, ScreeningAction::kPass);
  ASSERT_TRUE(passed.has_value()) << passed.error().to_string();
  EXPECT_EQ(passed->outcome, ScreeningResult::Outcome::kDelivered);
  const auto messages = thread_messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].event.actor, nurse_.user) << "still the sender's message";
  ASSERT_TRUE(passed->message.has_value());
  EXPECT_EQ(passed->message->id, messages[0].event.id);
  const auto steps = routed();
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].reason, kReasonScreened);
  EXPECT_EQ(steps[0].subject, surgeon_.user);
  EXPECT_EQ(steps[0].actor, assistant_.user);
  EXPECT_TRUE(screening(assistant_).empty());
  EXPECT_EQ(fx_.audit_entries("screening.pass", "ok").size(), 1u);

  auto again = decide(held, ScreeningAction::kPass);
  ASSERT_FALSE(again.has_value()) << "decided once";
  EXPECT_EQ(again.error().code(), Code::kNotFound);
  EXPECT_EQ(thread_messages().size(), 1u);
}

TEST_F(GatekeeperTest, PassingOnANormalMessageToSomeoneOffDutyHoldsItUntilTheyAreBack) {
  set_surgeon(Availability::kOffDuty, fx_.clock.now() + 2h);
  const HeldId normal = screened_message();
  auto passed = decide(normal, ScreeningAction::kPass);
  ASSERT_TRUE(passed.has_value()) << passed.error().to_string();
  EXPECT_EQ(passed->outcome, ScreeningResult::Outcome::kHeld);
  EXPECT_TRUE(thread_messages().empty());
  EXPECT_TRUE(screening(assistant_).empty()) << "decided: off the list";

  // Urgent: passing it on overrides their availability.
  const HeldId urgent = screened_message(true);
  auto overridden = decide(urgent, ScreeningAction::kPass);
  ASSERT_TRUE(overridden.has_value()) << overridden.error().to_string();
  EXPECT_EQ(overridden->outcome, ScreeningResult::Outcome::kDelivered);
  ASSERT_EQ(thread_messages().size(), 1u);
  EXPECT_TRUE(thread_messages()[0].event.urgent);

  run_after(2h);
  const auto messages = thread_messages();
  ASSERT_EQ(messages.size(), 2u) << "the held one, once they are back on duty";
  const auto steps = routed();
  ASSERT_EQ(steps.size(), 2u) << "both show who passed them on";
  EXPECT_TRUE(std::ranges::all_of(steps, [this](const Event& step) {
    return step.reason == kReasonScreened && step.actor == assistant_.user;
  }));
}

TEST_F(GatekeeperTest, AnAnswerGoesToTheSenderInTheThreadWithTheMessageItAnswers) {
  set_surgeon(Availability::kInProcedure);
  const HeldId held = screened_message();
  auto answered = decide(held, ScreeningAction::kAnswer);
  ASSERT_TRUE(answered.has_value()) << answered.error().to_string();
  EXPECT_EQ(answered->outcome, ScreeningResult::Outcome::kAnswered);
  const auto messages = thread_messages();  // Newest first.
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].event.actor, nurse_.user);
  EXPECT_EQ(messages[0].event.actor, assistant_.user);
  EXPECT_EQ(messages[0].body, "He is scrubbed in; I will page him at 3");
  EXPECT_TRUE(*fx_.store->is_member(thread_, assistant_.user)) << "joined at the message";
  const auto steps = routed();
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].reason, kReasonAnswered);
  EXPECT_EQ(steps[0].subject, assistant_.user);
  EXPECT_EQ(fx_.audit_entries("screening.answer", "ok").size(), 1u);

  // An answer is a message like any: checked as a send is.
  const HeldId second = screened_message();
  ScreeningDecision empty{ScreeningAction::kAnswer, "answer-2", ""};
  auto refused = fx_.messaging->screen(assistant_, second, empty);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(screening(assistant_).size(), 1u) << "still waiting for a decision";
}

TEST_F(GatekeeperTest, AHeldMessageWaitsUntilTheyAreAvailableAndTheThreadSaysWhoHeldIt) {
  set_surgeon(Availability::kInProcedure);
  const HeldId held = screened_message();
  auto kept = decide(held, ScreeningAction::kKeep);
  ASSERT_TRUE(kept.has_value()) << kept.error().to_string();
  EXPECT_EQ(kept->outcome, ScreeningResult::Outcome::kKept);
  EXPECT_TRUE(screening(assistant_).empty());
  auto mine = fx_.messaging->held_in(nurse_, thread_);
  ASSERT_TRUE(mine.has_value());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].held.state, HeldState::kKept) << "the sender sees it kept";
  EXPECT_EQ((*mine)[0].held.screened_by, assistant_.user);

  set_surgeon(Availability::kBusy);
  run_after(0s);
  EXPECT_TRUE(thread_messages().empty()) << "busy is not available";
  set_surgeon(Availability::kAvailable);
  run_after(0s);
  ASSERT_EQ(thread_messages().size(), 1u);
  const auto steps = routed();
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].reason, kReasonKept);
  EXPECT_EQ(steps[0].actor, assistant_.user);
  EXPECT_EQ(fx_.audit_entries("screening.hold", "ok").size(), 1u);
}

TEST_F(GatekeeperTest, WhatWasScreenedIsReleasedWhenTheyAreAvailableAgain) {
  set_surgeon(Availability::kInProcedure, fx_.clock.now() + 3h);
  screened_message();
  screened_message();
  fx_.published.clear();
  run_after(3h);  // The procedure ends: available by default.
  EXPECT_EQ(told_of_screening(), std::vector<UserId>{assistant_.user})
      << "the gatekeeper's list empties: told once";
  EXPECT_EQ(fx_.published.events_of_kind(EventKind::kScreening).size(), 1u);
  const auto messages = thread_messages();
  ASSERT_EQ(messages.size(), 2u) << "nothing stays behind a gatekeeper who did not decide";
  EXPECT_TRUE(routed().empty()) << "nobody decided: no step to show";
  EXPECT_TRUE(screening(assistant_).empty());
  EXPECT_EQ(fx_.audit_entries("message.release", "ok").size(), 2u);
}

TEST_F(GatekeeperTest, OnlyTheirGatekeepersDecideAndEveryRefusalIsAudited) {
  set_surgeon(Availability::kInProcedure);
  const HeldId held = screened_message();
  for (const Principal* who : {&other_, &nurse_, &surgeon_}) {
    auto refused = decide(held, ScreeningAction::kPass, who);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code(), Code::kNotFound);
  }
  EXPECT_EQ(fx_.audit_entries("screening.pass", "denied").size(), 3u);
  auto unknown = decide(HeldId(held.value() + 100), ScreeningAction::kPass);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code(), Code::kNotFound);
  EXPECT_TRUE(thread_messages().empty());

  // Withdrawn by its sender, it cannot be passed on any more; it leaves the list, and
  // the gatekeeper and the sender's devices are told.
  fx_.published.clear();
  ASSERT_TRUE(fx_.messaging->withdraw(nurse_, held).has_value());
  EXPECT_EQ(told_of_screening(), (std::vector<UserId>{nurse_.user, assistant_.user}));
  auto withdrawn = decide(held, ScreeningAction::kPass);
  ASSERT_FALSE(withdrawn.has_value());
  EXPECT_TRUE(thread_messages().empty());
}

TEST_F(GatekeeperTest, AnUrgentMessageNobodyScreensInTimeGoesOnToItsAddressee) {
  set_surgeon(Availability::kInProcedure);
  const HeldId held = screened_message(/*urgent=*/true);
  run_after(119s);
  EXPECT_EQ(screening(assistant_).size(), 1u) << "the org's urgent deadline is 2 minutes";
  EXPECT_TRUE(thread_messages().empty());

  fx_.published.clear();
  run_after(2s);
  const auto messages = thread_messages();
  ASSERT_EQ(messages.size(), 1u) << "delivered although he is in procedure";
  EXPECT_EQ(messages[0].event.actor, nurse_.user);
  EXPECT_TRUE(messages[0].event.urgent);
  const auto steps = routed();
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].reason, kReasonUnscreened);
  EXPECT_EQ(steps[0].subject, surgeon_.user);
  EXPECT_TRUE(screening(assistant_).empty());
  EXPECT_EQ(fx_.store->find_held(held).error().code(), Code::kNotFound);
  EXPECT_EQ(fx_.audit_entries("message.unscreened", "ok").size(), 1u);
  EXPECT_EQ(told_of_screening(), (std::vector<UserId>{nurse_.user, assistant_.user}))
      << "the gatekeepers' lists and the sender's change";

  // From there it escalates as any urgent message: its chain is empty, so the sender
  // is told it went unanswered once the deadline passes again.
  fx_.published.clear();
  run_after(2min);
  EXPECT_EQ(fx_.published.events_of_kind(EventKind::kUnanswered).size(), 1u);
}

TEST_F(GatekeeperTest, AnUrgentMessageDecidedInTimeIsNotDeliveredAgain) {
  set_surgeon(Availability::kInProcedure);
  const HeldId kept = screened_message(/*urgent=*/true);
  const HeldId passed = screened_message(/*urgent=*/true);
  run_after(30s);
  ASSERT_TRUE(decide(kept, ScreeningAction::kKeep).has_value());
  ASSERT_TRUE(decide(passed, ScreeningAction::kPass).has_value());
  run_after(5min);
  EXPECT_EQ(thread_messages().size(), 1u) << "only the one passed on";
  for (const Event& step : routed()) {
    EXPECT_NE(step.reason, kReasonUnscreened);
  }
  EXPECT_EQ(fx_.store->find_held(kept)->state, HeldState::kKept);
  EXPECT_TRUE(fx_.audit_entries("message.unscreened", "ok").empty());
}

TEST_F(GatekeeperTest, ANormalMessageWaitsForItsGatekeeperWhateverTheDeadline) {
  set_surgeon(Availability::kInProcedure);
  screened_message();
  run_after(1h);
  EXPECT_TRUE(thread_messages().empty());
  EXPECT_EQ(screening(assistant_).size(), 1u);
}

TEST_F(GatekeeperTest, AResendDoesNotPostponeTheUrgentDeadline) {
  set_surgeon(Availability::kInProcedure);
  ASSERT_TRUE(send("urgent-once", true)->held.has_value());
  fx_.advance(90s);
  auto resent = send("urgent-once", true);
  ASSERT_TRUE(resent.has_value()) << resent.error().to_string();
  EXPECT_TRUE(resent->duplicate);
  run_after(31s);
  EXPECT_EQ(thread_messages().size(), 1u) << "two minutes after the first send";
  run_after(2min);
  EXPECT_EQ(thread_messages().size(), 1u) << "the resend's timer finds it gone";
  EXPECT_EQ(fx_.audit_entries("message.unscreened", "ok").size(), 1u);
}

TEST_F(GatekeeperTest, WhatIsNotScreened) {
  set_surgeon(Availability::kInProcedure);
  // The gatekeeper's own message goes straight through.
  const ThreadId theirs = fx_.messaging->open_direct(assistant_, surgeon_.user)->thread.id;
  auto own = fx_.messaging->send(assistant_, SendRequest{theirs, "own", "Your 3 o'clock moved"});
  ASSERT_TRUE(own.has_value()) << own.error().to_string();
  EXPECT_FALSE(own->held);

  // An urgent override reaches them at once, and says so.
  auto urgent = send("override", true, true);
  ASSERT_TRUE(urgent.has_value()) << urgent.error().to_string();
  EXPECT_FALSE(urgent->held);
  ASSERT_EQ(urgent->routed.size(), 1u);
  EXPECT_EQ(urgent->routed[0].reason, kReasonOverride);

  // Available: not screened.
  set_surgeon(Availability::kAvailable);
  auto plain = send("plain");
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->held);

  // No gatekeepers: busy people get their messages.
  ASSERT_TRUE(fx_.routing->set_gatekeepers(surgeon_, surgeon_.user, {}).has_value());
  set_surgeon(Availability::kBusy);
  auto busy = send("busy");
  ASSERT_TRUE(busy.has_value());
  EXPECT_FALSE(busy->held);
  EXPECT_EQ(thread_messages().size(), 3u);
}

TEST_F(GatekeeperTest, NamingGatekeepersIsCheckedAndAudited) {
  const auto named = fx_.routing->gatekeepers(nurse_, surgeon_.user);
  ASSERT_TRUE(named.has_value());
  EXPECT_EQ(*named, std::vector<UserId>{assistant_.user}) << "colleagues may see them";
  auto self = fx_.routing->set_gatekeepers(surgeon_, surgeon_.user, {surgeon_.user});
  ASSERT_FALSE(self.has_value());
  EXPECT_EQ(self.error().code(), Code::kInvalidArgument);
  auto twice =
      fx_.routing->set_gatekeepers(surgeon_, surgeon_.user, {assistant_.user, assistant_.user});
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code(), Code::kInvalidArgument);
  auto stranger = fx_.routing->set_gatekeepers(surgeon_, surgeon_.user, {UserId(9999)});
  ASSERT_FALSE(stranger.has_value());
  EXPECT_EQ(stranger.error().code(), Code::kNotFound);
  auto colleague = fx_.routing->set_gatekeepers(nurse_, surgeon_.user, {nurse_.user});
  ASSERT_FALSE(colleague.has_value()) << "only they or an admin";
  EXPECT_EQ(colleague.error().code(), Code::kPermissionDenied);
  EXPECT_EQ(fx_.audit_entries("gatekeepers.set", "ok").size(), 1u);
  EXPECT_EQ(fx_.audit_entries("gatekeepers.set", "denied").size(), 2u);

  // Their screened messages go to them once nobody screens any more.
  set_surgeon(Availability::kBusy);
  screened_message();
  ASSERT_TRUE(fx_.routing->set_gatekeepers(surgeon_, surgeon_.user, {}).has_value());
  run_after(0s);
  EXPECT_EQ(thread_messages().size(), 1u);
}

}  // namespace
}  // namespace wl
