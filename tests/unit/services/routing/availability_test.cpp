// Availability over the real SQLite store, on a manual clock: set now or ahead, its
// end, what a colleague's preview shows, and who may set it.

#include <gtest/gtest.h>

#include "services/routing/routing_service.hpp"
#include "support/service_fixture.hpp"

namespace wl {
namespace {

using namespace std::chrono_literals;
using testing::ServiceFixture;

class AvailabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const OrgId org = fx_.create_org("General Hospital").id;
    admin_ = fx_.principal_of(fx_.create_user(org, "admin", true));
    doctor_ = fx_.principal_of(fx_.create_user(org, "doctor"));
    nurse_ = fx_.principal_of(fx_.create_user(org, "nurse"));
  }

  Availability status_of(UserId user) {
    auto view = fx_.routing->availability(nurse_, user);
    EXPECT_TRUE(view.has_value()) << view.error().to_string();
    return view ? view->now.status : Availability::kAvailable;
  }

  Availability previewed(UserId user) {
    auto preview = fx_.routing->preview_person(nurse_, user);
    EXPECT_TRUE(preview.has_value()) << preview.error().to_string();
    return preview && !preview->empty() ? preview->front().availability.status
                                        : Availability::kAvailable;
  }

  ServiceFixture fx_;
  Principal admin_, doctor_, nurse_;
};

TEST_F(AvailabilityTest, OffDutyNowShowsInAColleaguesPreviewAndIsAnnouncedToTheOrg) {
  EXPECT_EQ(previewed(doctor_.user), Availability::kAvailable);
  fx_.published.clear();
  auto set = fx_.routing->set_availability(doctor_, doctor_.user,
                                           AvailabilityInput{Availability::kOffDuty, {}, {}});
  ASSERT_TRUE(set.has_value()) << set.error().to_string();
  EXPECT_EQ(set->starts_at, fx_.clock.now());
  EXPECT_EQ(previewed(doctor_.user), Availability::kOffDuty);
  const auto announced = fx_.published.events_of_kind(EventKind::kAvailabilityChanged);
  ASSERT_EQ(announced.size(), 1u);
  EXPECT_EQ(announced[0].event.subject, doctor_.user);
  EXPECT_EQ(announced[0].event.scope, EventScope::kOrg);
  EXPECT_EQ(fx_.audit_entries("availability.set", "ok").size(), 1u);

  // Back on duty: available from now on.
  fx_.advance(10h);
  ASSERT_TRUE(fx_.routing
                  ->set_availability(doctor_, doctor_.user,
                                     AvailabilityInput{Availability::kAvailable, {}, {}})
                  .has_value());
  EXPECT_EQ(previewed(doctor_.user), Availability::kAvailable);
}

TEST_F(AvailabilityTest, APeriodSetAheadHoldsFromItsStartToItsEnd) {
  const Timestamp start = fx_.clock.now() + 1h;
  auto set = fx_.routing->set_availability(
      doctor_, doctor_.user, AvailabilityInput{Availability::kInProcedure, start, start + 2h});
  ASSERT_TRUE(set.has_value()) << set.error().to_string();
  EXPECT_EQ(status_of(doctor_.user), Availability::kAvailable);
  fx_.advance(1h);
  EXPECT_EQ(status_of(doctor_.user), Availability::kInProcedure);
  EXPECT_EQ(fx_.routing->availability(nurse_, doctor_.user)->now.until, start + 2h);
  fx_.advance(2h);
  EXPECT_EQ(status_of(doctor_.user), Availability::kAvailable);

  // Busy for an hour while off duty until replaced: busy, then off duty again.
  ASSERT_TRUE(fx_.routing
                  ->set_availability(doctor_, doctor_.user,
                                     AvailabilityInput{Availability::kOffDuty, {}, {}})
                  .has_value());
  ASSERT_TRUE(
      fx_.routing
          ->set_availability(doctor_, doctor_.user,
                             AvailabilityInput{Availability::kBusy, {}, fx_.clock.now() + 1h})
          .has_value());
  EXPECT_EQ(status_of(doctor_.user), Availability::kBusy);
  fx_.advance(1h);
  EXPECT_EQ(status_of(doctor_.user), Availability::kOffDuty);
}

TEST_F(AvailabilityTest, OnlyThePersonOrAnAdminSetsItAndBadPeriodsAreRefused) {
  EXPECT_EQ(fx_.routing
                ->set_availability(nurse_, doctor_.user,
                                   AvailabilityInput{Availability::kOffDuty, {}, {}})
                .error()
                .code(),
            Code::kPermissionDenied);
  EXPECT_EQ(fx_.audit_entries("availability.set", "denied").size(), 1u);
  EXPECT_TRUE(
      fx_.routing
          ->set_availability(admin_, doctor_.user, AvailabilityInput{Availability::kBusy, {}, {}})
          .has_value());
  const Timestamp now = fx_.clock.now();
  EXPECT_EQ(fx_.routing
                ->set_availability(doctor_, doctor_.user,
                                   AvailabilityInput{Availability::kBusy, now + 2h, now + 1h})
                .error()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(fx_.routing
                ->set_availability(doctor_, doctor_.user,
                                   AvailabilityInput{Availability::kBusy, now + 400 * 24h, {}})
                .error()
                .code(),
            Code::kInvalidArgument);
  const AvailabilityView view = *fx_.routing->availability(doctor_, doctor_.user);
  ASSERT_EQ(view.periods.size(), 1u);
  EXPECT_EQ(
      fx_.routing->delete_availability(nurse_, doctor_.user, view.periods[0].id).error().code(),
      Code::kPermissionDenied);
  ASSERT_TRUE(
      fx_.routing->delete_availability(doctor_, doctor_.user, view.periods[0].id).has_value());
  EXPECT_EQ(
      fx_.routing->delete_availability(doctor_, doctor_.user, view.periods[0].id).error().code(),
      Code::kNotFound);
  EXPECT_EQ(status_of(doctor_.user), Availability::kAvailable);
}

TEST_F(AvailabilityTest, ARolePreviewAndAThreadPreviewCarryEachPersonsAvailability) {
  RoleInput input;
  input.name = "Cardiology On Call";
  const Role role = fx_.routing->create_role(admin_, input).value();
  ASSERT_TRUE(fx_.routing->sign_in(doctor_, role.id).has_value());
  ASSERT_TRUE(
      fx_.routing
          ->set_availability(doctor_, doctor_.user, AvailabilityInput{Availability::kBusy, {}, {}})
          .has_value());
  const Resolution resolution = *fx_.routing->preview(nurse_, role.id);
  const auto recipients = *fx_.routing->with_availability(resolution.to, true);
  ASSERT_EQ(recipients.size(), 1u);
  EXPECT_EQ(recipients[0].user, doctor_.user);
  EXPECT_EQ(recipients[0].reason, "signed_in");
  EXPECT_EQ(recipients[0].availability.status, Availability::kBusy);

  const ThreadId thread = fx_.messaging->open_direct(nurse_, doctor_.user)->thread.id;
  const auto members = *fx_.routing->preview_thread(nurse_, thread);
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].user, doctor_.user);
  EXPECT_EQ(members[0].availability.status, Availability::kBusy);
  EXPECT_EQ(fx_.routing->preview_thread(admin_, thread).error().code(), Code::kPermissionDenied);
}

}  // namespace
}  // namespace wl
