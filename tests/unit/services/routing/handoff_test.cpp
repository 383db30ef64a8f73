// Hand-off notes, over the real SQLite store on a manual clock: the outgoing holder of a
// role writes a note for the incoming holder in their thread with the role; it reaches
// only them; they accept it once, and the thread shows both; who may write and accept.

#include <algorithm>

#include <gtest/gtest.h>

#include "services/routing/routing_service.hpp"
#include "support/service_fixture.hpp"

namespace wl {
namespace {

using namespace std::chrono_literals;
using testing::ServiceFixture;

class HandOffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    org_ = fx_.create_org("General Hospital").id;
    admin_ = fx_.principal_of(fx_.create_user(org_, "admin", true));
    day_ = fx_.principal_of(fx_.create_user(org_, "day"));
    night_ = fx_.principal_of(fx_.create_user(org_, "night"));
    other_ = fx_.principal_of(fx_.create_user(org_, "other"));
    RoleInput input;
    input.name = "4 West Charge Nurse";
    auto role = fx_.routing->create_role(admin_, input);
    ASSERT_TRUE(role.has_value()) << role.error().to_string();
    role_ = role->id;
    ASSERT_TRUE(fx_.routing->sign_in(day_, role_).has_value());
  }

  Result<SendResult> note(const Principal& who, UserId to, std::string client_id = "note-1") {
    return fx_.routing->write_handoff(
        who, role_, to,
        HandOffNote{std::move(client_id), "Bed 7 on a heparin drip, APTT due 02:00"});
  }

  std::vector<Event> routed(ThreadId thread) {
    return fx_.store->read_thread_routing(thread, 1, 1000).value_or(std::vector<Event>{});
  }

  ServiceFixture fx_;
  OrgId org_;
  Principal admin_, day_, night_, other_;
  RoleId role_;
};

TEST_F(HandOffTest, TheNoteReachesTheIncomingHolderWhoAcceptsItOnceInTheRoleThread) {
  auto written = note(day_, night_.user);
  ASSERT_TRUE(written.has_value()) << written.error().to_string();
  const EventId message = written->message.id;
  const ThreadId thread = written->message.thread_id;
  ASSERT_EQ(written->routed.size(), 1u) << "to the one named, not to the role's holders";
  EXPECT_EQ(written->routed[0].user, night_.user);
  EXPECT_EQ(written->routed[0].reason, kReasonHandOff);
  EXPECT_TRUE(*fx_.store->is_member(thread, night_.user)) << "joined at the note";
  EXPECT_EQ(fx_.store->find_thread(thread)->role_id, role_) << "the writer's role thread";
  EXPECT_EQ(fx_.audit_entries("role.handoff", "ok").size(), 1u);

  auto pending = fx_.routing->pending_handoffs(night_);
  ASSERT_TRUE(pending.has_value());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].message_id, message);
  EXPECT_EQ((*pending)[0].from_user, day_.user);
  EXPECT_FALSE((*pending)[0].accepted_at);
  EXPECT_TRUE(fx_.routing->pending_handoffs(day_)->empty());

  fx_.advance(5min);
  auto accepted = fx_.routing->accept_handoff(night_, message);
  ASSERT_TRUE(accepted.has_value()) << accepted.error().to_string();
  EXPECT_EQ(accepted->accepted_at, fx_.clock.now());
  EXPECT_TRUE(fx_.routing->pending_handoffs(night_)->empty());
  const auto steps = routed(thread);
  ASSERT_EQ(steps.size(), 2u) << "the note's step, then its acceptance";
  EXPECT_EQ(steps[1].reason, kReasonAccepted);
  EXPECT_EQ(steps[1].subject, night_.user);
  EXPECT_EQ(steps[1].ref, message);
  EXPECT_EQ(fx_.audit_entries("handoff.accept", "ok").size(), 1u);

  // Again: the same acceptance, nothing more in the thread.
  fx_.advance(1min);
  auto again = fx_.routing->accept_handoff(night_, message);
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_EQ(again->accepted_at, accepted->accepted_at);
  EXPECT_EQ(routed(thread).size(), 2u);

  // A resend of the note is the same note.
  auto resent = note(day_, night_.user);
  ASSERT_TRUE(resent.has_value()) << resent.error().to_string();
  EXPECT_TRUE(resent->duplicate);
  EXPECT_EQ(resent->message.id, message);
  EXPECT_EQ(fx_.audit_entries("role.handoff", "ok").size(), 1u);
}

TEST_F(HandOffTest, HandingOverWithANoteSignsTheNextHolderInAndLeavesTheNoteToAccept) {
  auto handed = fx_.routing->hand_over(day_, role_, night_.user,
                                       HandOffNote{"note-2", "All quiet on 4 West"});
  ASSERT_TRUE(handed.has_value()) << handed.error().to_string();
  const auto holders = *fx_.store->list_role_holders(role_, fx_.clock.now());
  ASSERT_EQ(holders.size(), 1u);
  EXPECT_EQ(holders[0].user_id, night_.user);
  const auto pending = *fx_.routing->pending_handoffs(night_);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].role_id, role_);
}

TEST_F(HandOffTest, AHandOverBySomeoneNotSignedInLeavesNoNote) {
  // other_ holds the role by a shift, not a sign-in: there is nothing to hand over, so
  // no note for it either.
  const Timestamp now = fx_.clock.now();
  ASSERT_TRUE(
      fx_.routing
          ->save_shift(admin_, ShiftId(), ShiftInput{role_, other_.user, now - 1h, now + 8h, "UTC"})
          .has_value());
  auto handed = fx_.routing->hand_over(other_, role_, night_.user, HandOffNote{"note-4", "Quiet"});
  ASSERT_FALSE(handed.has_value());
  EXPECT_EQ(handed.error().code(), Code::kNotFound);
  EXPECT_TRUE(fx_.routing->pending_handoffs(night_)->empty());
}

TEST_F(HandOffTest, OnlyAHolderWritesAndOnlyTheNamedAccepts) {
  auto stranger = note(other_, night_.user);
  ASSERT_FALSE(stranger.has_value()) << "not holding the role";
  EXPECT_EQ(stranger.error().code(), Code::kPermissionDenied);
  EXPECT_EQ(fx_.audit_entries("role.handoff", "denied").size(), 1u);
  auto self = note(day_, day_.user);
  ASSERT_FALSE(self.has_value());
  EXPECT_EQ(self.error().code(), Code::kInvalidArgument);
  auto empty = fx_.routing->write_handoff(day_, role_, night_.user, HandOffNote{"note-3", ""});
  ASSERT_FALSE(empty.has_value()) << "checked as any message";
  EXPECT_EQ(empty.error().code(), Code::kInvalidArgument);

  const EventId message = note(day_, night_.user)->message.id;
  for (const Principal* who : {&other_, &day_, &admin_}) {
    auto refused = fx_.routing->accept_handoff(*who, message);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code(), Code::kNotFound);
  }
  EXPECT_EQ(fx_.audit_entries("handoff.accept", "denied").size(), 3u);
  auto unknown = fx_.routing->accept_handoff(night_, EventId(message.value() + 1000));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace wl
