// Forwarding over the real SQLite store on a manual clock: a person's messages go to a
// colleague or a role for a period, along chains, never round a loop; senders see it in
// the preview, and the original addressee keeps the message.

#include <gtest/gtest.h>

#include "services/routing/routing_service.hpp"
#include "support/service_fixture.hpp"

namespace wl {
namespace {

using namespace std::chrono_literals;
using testing::ServiceFixture;

class ForwardingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    org_ = fx_.create_org("General Hospital").id;
    admin_ = fx_.principal_of(fx_.create_user(org_, "admin", true));
    nurse_ = fx_.principal_of(fx_.create_user(org_, "nurse"));
    doctor_ = fx_.principal_of(fx_.create_user(org_, "doctor"));
    cover_ = fx_.principal_of(fx_.create_user(org_, "cover"));
    third_ = fx_.principal_of(fx_.create_user(org_, "third"));
    thread_ = fx_.messaging->open_direct(nurse_, doctor_.user)->thread.id;
  }

  void forward(const Principal& who, ForwardingInput input) {
    auto set = fx_.routing->set_forwarding(who, who.user, input);
    ASSERT_TRUE(set.has_value()) << set.error().to_string();
  }
  static ForwardingInput to(UserId user) { return ForwardingInput{user, RoleId(), {}, {}}; }

  SendResult send(std::string client_id) {
    auto sent = fx_.messaging->send(nurse_, SendRequest{thread_, std::move(client_id), "Bed 4?"});
    EXPECT_TRUE(sent.has_value()) << sent.error().to_string();
    return sent.value_or(SendResult());
  }

  std::vector<Event> routed(const SendResult& sent) {
    return *fx_.store->read_thread_routing(thread_, sent.message.seq, sent.message.seq);
  }

  ServiceFixture fx_;
  OrgId org_;
  Principal admin_, nurse_, doctor_, cover_, third_;
  ThreadId thread_;
};

TEST_F(ForwardingTest, AMessageToAPersonWhoForwardsReachesTheirCoverAndStaysWithThem) {
  forward(doctor_, to(cover_.user));
  const SendResult sent = send("fwd-1");
  ASSERT_EQ(sent.routed.size(), 1u);
  EXPECT_EQ(sent.routed[0].user, cover_.user);
  EXPECT_EQ(sent.routed[0].reason, kReasonForwarded);
  EXPECT_EQ(sent.routed[0].via, doctor_.user);
  const auto events = routed(sent);
  ASSERT_EQ(events.size(), 1u) << "the thread shows where it went";
  EXPECT_EQ(events[0].subject, cover_.user);
  EXPECT_EQ(events[0].actor, doctor_.user) << "and whose forwarding sent it";
  EXPECT_TRUE(*fx_.store->is_member(thread_, cover_.user)) << "the cover joins at the message";
  EXPECT_TRUE(*fx_.store->is_member(thread_, doctor_.user)) << "the addressee still has it";
  EXPECT_EQ(fx_.audit_entries("message.forward", "ok").size(), 1u);
}

TEST_F(ForwardingTest, ForwardingHoldsOnlyForItsPeriod) {
  const Timestamp now = fx_.clock.now();
  forward(doctor_, ForwardingInput{cover_.user, RoleId(), now + 1h, now + 3h});
  EXPECT_TRUE(send("before").routed.empty());
  fx_.advance(1h);
  EXPECT_EQ(send("during").routed.size(), 1u);
  fx_.advance(2h);
  EXPECT_TRUE(send("after").routed.empty());
}

TEST_F(ForwardingTest, ChainsAreFollowedAndALoopIsStoppedAndTold) {
  forward(doctor_, to(cover_.user));
  forward(cover_, to(third_.user));
  SendResult sent = send("chain");
  ASSERT_EQ(sent.routed.size(), 1u);
  EXPECT_EQ(sent.routed[0].user, third_.user);
  EXPECT_EQ(sent.routed[0].via, cover_.user);
  EXPECT_FALSE(sent.forward_loop);

  forward(third_, to(doctor_.user));
  sent = send("loop");
  EXPECT_TRUE(sent.forward_loop) << "the sender is told";
  EXPECT_TRUE(sent.routed.empty()) << "the loop is not followed: the addressee has it";
  EXPECT_TRUE(sent.message.id.is_set());
  EXPECT_EQ(fx_.audit_entries("message.forward_loop", "ok").size(), 1u);
}

TEST_F(ForwardingTest, AForwardedMessageIsNotHeldForTheOffDutyAddressee) {
  ASSERT_TRUE(fx_.routing
                  ->set_availability(doctor_, doctor_.user,
                                     AvailabilityInput{Availability::kOffDuty, {}, {}})
                  .has_value());
  forward(doctor_, to(cover_.user));
  const SendResult sent = send("off-and-forwarded");
  EXPECT_FALSE(sent.held);
  ASSERT_EQ(sent.routed.size(), 1u);
  EXPECT_EQ(sent.routed[0].user, cover_.user);
}

TEST_F(ForwardingTest, ToARoleItReachesWhoeverHoldsItAndARoleThreadFollowsItsHolders) {
  RoleInput input;
  input.name = "Hospitalist On Call";
  const Role role = fx_.routing->create_role(admin_, input).value();
  ASSERT_TRUE(fx_.routing->sign_in(third_, role.id).has_value());
  forward(doctor_, ForwardingInput{UserId(), role.id, {}, {}});
  const SendResult sent = send("to-role");
  ASSERT_EQ(sent.routed.size(), 1u);
  EXPECT_EQ(sent.routed[0].user, third_.user);
  EXPECT_EQ(sent.routed[0].via, doctor_.user);

  // A role whose holder forwards: the role message goes to the holder's cover.
  RoleInput cardiology;
  cardiology.name = "Cardiology On Call";
  const Role on_call = fx_.routing->create_role(admin_, cardiology).value();
  ASSERT_TRUE(fx_.routing->sign_in(cover_, on_call.id).has_value());
  forward(cover_, to(admin_.user));
  const ThreadId role_thread = fx_.routing->open_role_thread(nurse_, on_call.id)->thread.id;
  auto role_sent =
      fx_.messaging->send(nurse_, SendRequest{role_thread, "role-msg", "Chest pain bed 2"});
  ASSERT_TRUE(role_sent.has_value()) << role_sent.error().to_string();
  ASSERT_EQ(role_sent->routed.size(), 1u);
  EXPECT_EQ(role_sent->routed[0].user, admin_.user);
  EXPECT_EQ(role_sent->routed[0].reason, kReasonForwarded);
  EXPECT_EQ(role_sent->routed[0].via, cover_.user);
}

TEST_F(ForwardingTest, ThePreviewShowsTheForwardingAndWhereItLeads) {
  forward(doctor_, to(cover_.user));
  auto preview = fx_.routing->preview_person(nurse_, doctor_.user);
  ASSERT_TRUE(preview.has_value()) << preview.error().to_string();
  ASSERT_EQ(preview->size(), 2u);
  EXPECT_EQ((*preview)[0].user, doctor_.user);
  ASSERT_TRUE((*preview)[0].forwarding.has_value());
  EXPECT_EQ((*preview)[0].forwarding->to_user, cover_.user);
  EXPECT_EQ((*preview)[1].user, cover_.user);
  EXPECT_EQ((*preview)[1].reason, kReasonForwarded);
  EXPECT_EQ((*preview)[1].via, doctor_.user);
  auto thread = fx_.routing->preview_thread(nurse_, thread_);
  ASSERT_TRUE(thread.has_value());
  EXPECT_EQ(thread->size(), 2u) << "a conversation between two follows it too";
}

TEST_F(ForwardingTest, OnlyThePersonOrAnAdminSetsItAndItIsChecked) {
  auto denied = fx_.routing->set_forwarding(nurse_, doctor_.user, to(cover_.user));
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().code(), Code::kPermissionDenied);
  EXPECT_EQ(fx_.audit_entries("forwarding.set", "denied").size(), 1u);
  auto self = fx_.routing->set_forwarding(doctor_, doctor_.user, to(doctor_.user));
  ASSERT_FALSE(self.has_value());
  EXPECT_EQ(self.error().code(), Code::kInvalidArgument);
  auto both = fx_.routing->set_forwarding(doctor_, doctor_.user,
                                          ForwardingInput{cover_.user, RoleId(1), {}, {}});
  ASSERT_FALSE(both.has_value());
  EXPECT_EQ(both.error().code(), Code::kInvalidArgument);
  auto nobody = fx_.routing->set_forwarding(doctor_, doctor_.user, to(UserId(9999)));
  ASSERT_FALSE(nobody.has_value());
  EXPECT_EQ(nobody.error().code(), Code::kNotFound);

  ASSERT_TRUE(fx_.routing->set_forwarding(admin_, doctor_.user, to(cover_.user)).has_value());
  EXPECT_EQ((*fx_.routing->forwarding(nurse_, doctor_.user))->to_user, cover_.user);
  ASSERT_TRUE(fx_.routing->clear_forwarding(doctor_, doctor_.user).has_value());
  EXPECT_FALSE(fx_.routing->forwarding(nurse_, doctor_.user)->has_value());
  EXPECT_EQ(fx_.routing->clear_forwarding(doctor_, doctor_.user).error().code(), Code::kNotFound);
  EXPECT_TRUE(send("cleared").routed.empty());
  EXPECT_EQ(fx_.audit_entries("forwarding.set", "ok").size(), 1u);
  EXPECT_EQ(fx_.audit_entries("forwarding.clear", "ok").size(), 1u);
}

}  // namespace
}  // namespace wl
