// The RoutingStore contract (src/ports/routing_store.hpp) and RouteMessage
// (src/ports/message_log.hpp).

#include <algorithm>

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class RoutingStoreContract : public StoreFixture<Factory> {
 protected:
  Role make_role(std::string name, RoleId fallback_role = RoleId(),
                 UserId fallback_user = UserId()) {
    Role role;
    role.org_id = this->org_;
    role.name = std::move(name);
    role.description = "pages the fellow";
    role.fallback_role = fallback_role;
    role.fallback_user = fallback_user;
    role.created_at = at(5);
    auto created = commit_one<Role>(*this->store_, CreateRole{role, UserId()});
    EXPECT_TRUE(created.has_value()) << created.error().to_string();
    return created ? *created : Role();
  }

  Shift shift_of(RoleId role, UserId user, std::int64_t from, std::int64_t to,
                 std::string key = "") {
    Shift shift;
    shift.org_id = this->org_;
    shift.role_id = role;
    shift.user_id = user;
    shift.starts_at = at(from);
    shift.ends_at = at(to);
    shift.time_zone = "America/New_York";
    shift.source_key = std::move(key);
    shift.updated_at = at(6);
    return shift;
  }

  Result<ShiftSaved> save(const Shift& shift, const CommitHook* hook = nullptr) {
    return commit_one<ShiftSaved>(*this->store_, SaveShift{shift},
                                  hook != nullptr ? *hook : this->no_hook_);
  }

  std::vector<UserId> holders(RoleId role, std::int64_t second) {
    auto found = this->store_->list_role_holders(role, at(second));
    EXPECT_TRUE(found.has_value()) << found.error().to_string();
    std::vector<UserId> users;
    for (const RoleHolder& holder : found.value_or(std::vector<RoleHolder>{})) {
      users.push_back(holder.user_id);
    }
    return users;
  }
};

TYPED_TEST_SUITE(RoutingStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(RoutingStoreContract, RolesAreUniqueByNameWithoutCaseAndListedByName) {
  auto& store = *this->store_;
  const Role cardiology = this->make_role("Cardiology On Call");
  const Role charge = this->make_role("4 West Charge Nurse");
  Role again;
  again.org_id = this->org_;
  again.name = "CARDIOLOGY on call";
  again.created_at = at(7);
  EXPECT_EQ(commit_one<Role>(store, CreateRole{again, UserId()}).error().code(),
            Code::kAlreadyExists);

  EXPECT_EQ(store.find_role_by_name(this->org_, "cardiology ON CALL")->id, cardiology.id);
  EXPECT_EQ(store.find_role_by_name(this->org_, "Neurology").error().code(), Code::kNotFound);
  auto roles = store.list_roles(this->org_);
  ASSERT_TRUE(roles.has_value());
  ASSERT_EQ(roles->size(), 2u);
  EXPECT_EQ((*roles)[0].id, charge.id);  // "4 west ..." sorts before "cardiology ...".
  EXPECT_EQ((*roles)[1].name, "Cardiology On Call");
  EXPECT_EQ((*roles)[1].description, "pages the fellow");
  EXPECT_EQ((*roles)[1].created_at, at(5));
  EXPECT_EQ(store.find_role(RoleId(9999)).error().code(), Code::kNotFound);
}

TYPED_TEST(RoutingStoreContract, ARoleChangeIsAnOrgNoticeAndFallbacksStayInTheOrg) {
  auto& store = *this->store_;
  const UserId fellow = this->make_user("fellow");
  const Role night = this->make_role("Night Float");
  std::vector<CommittedEvent> seen;
  CommitHook hook = [&seen](std::span<const CommittedEvent> events) {
    seen.insert(seen.end(), events.begin(), events.end());
  };
  Role changed = night;
  changed.name = "Night Float Resident";
  changed.fallback_user = fellow;
  auto updated = commit_one<Role>(store, UpdateRole{changed, fellow, at(8)}, hook);
  ASSERT_TRUE(updated.has_value()) << updated.error().to_string();
  EXPECT_EQ(updated->updated_at, at(8));
  EXPECT_EQ(updated->created_at, at(5));
  EXPECT_EQ(store.find_role(night.id)->fallback_user, fellow);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event.kind, EventKind::kRoleChanged);
  EXPECT_EQ(seen[0].event.scope, EventScope::kOrg);
  EXPECT_EQ(seen[0].event.role, night.id);

  // Both fallbacks, oneself, and another org's person are refused.
  changed.fallback_role = night.id;
  EXPECT_EQ(commit_one<Role>(store, UpdateRole{changed, fellow, at(9)}).error().code(),
            Code::kInvalidArgument);
  const OrgId other = create_org(store, "Other Hospital", at(1))->id;
  changed.fallback_role = RoleId();
  changed.fallback_user = this->make_user("outsider", other);
  EXPECT_EQ(commit_one<Role>(store, UpdateRole{changed, fellow, at(9)}).error().code(),
            Code::kNotFound);
  changed.org_id = other;
  changed.fallback_user = UserId();
  EXPECT_EQ(commit_one<Role>(store, UpdateRole{changed, fellow, at(9)}).error().code(),
            Code::kNotFound);
}

TYPED_TEST(RoutingStoreContract, HoldersAreTheCurrentShiftsAndSignInsEachOnce) {
  auto& store = *this->store_;
  const UserId day = this->make_user("day");
  const UserId night = this->make_user("night");
  const UserId floater = this->make_user("floater");
  const Role role = this->make_role("Rapid Response RN");
  ASSERT_TRUE(this->save(this->shift_of(role.id, day, 100, 200)).has_value());
  {
    auto r = this->save(this->shift_of(role.id, night, 200, 300));
    ASSERT_TRUE(r.has_value()) << r.error().to_string();
  }
  // An overlap: both receive.
  ASSERT_TRUE(this->save(this->shift_of(role.id, floater, 150, 250)).has_value());

  EXPECT_EQ(this->holders(role.id, 99), std::vector<UserId>{});
  EXPECT_EQ(this->holders(role.id, 100), std::vector<UserId>{day});
  EXPECT_EQ(this->holders(role.id, 160), (std::vector<UserId>{day, floater}));
  // The end is exclusive: at 200 the night shift holds it, not the day's.
  EXPECT_EQ(this->holders(role.id, 200), (std::vector<UserId>{night, floater}));
  EXPECT_EQ(this->holders(role.id, 300), std::vector<UserId>{});

  // A sign-in holds it too, once, and a shift holder signing in is listed by shift.
  EXPECT_TRUE(*commit_one<bool>(store, SignInRole{this->org_, role.id, day, at(290)}));
  EXPECT_FALSE(*commit_one<bool>(store, SignInRole{this->org_, role.id, day, at(291)}));
  EXPECT_TRUE(*commit_one<bool>(store, SignInRole{this->org_, role.id, night, at(290)}));
  auto at_295 = store.list_role_holders(role.id, at(295));
  ASSERT_TRUE(at_295.has_value());
  ASSERT_EQ(at_295->size(), 2u);
  EXPECT_EQ((*at_295)[0].user_id, day);
  EXPECT_EQ((*at_295)[0].via, HoldVia::kSignIn);
  EXPECT_EQ((*at_295)[0].since, at(290));
  EXPECT_EQ((*at_295)[1].user_id, night);
  EXPECT_EQ((*at_295)[1].via, HoldVia::kShift);
  EXPECT_EQ((*at_295)[1].until, at(300));
  EXPECT_EQ(store.list_sign_ins(this->org_, RoleId(), night)->size(), 1u);
  EXPECT_EQ(store.list_sign_ins(this->org_, role.id, UserId())->size(), 2u);

  EXPECT_TRUE(*commit_one<bool>(store, SignOutRole{this->org_, role.id, day, day, at(296)}));
  EXPECT_FALSE(*commit_one<bool>(store, SignOutRole{this->org_, role.id, day, day, at(297)}));
  EXPECT_EQ(this->holders(role.id, 310), std::vector<UserId>{night});

  // A disabled user holds nothing.
  ASSERT_TRUE(commit_one<std::monostate>(store, SetUserDisabled{night, true, UserId(), at(311)})
                  .has_value());
  EXPECT_EQ(this->holders(role.id, 312), std::vector<UserId>{});
}

TYPED_TEST(RoutingStoreContract, AShiftIsCheckedAndItsRoleAndUserMustBeOfTheOrg) {
  auto& store = *this->store_;
  const UserId user = this->make_user("nurse");
  const Role role = this->make_role("Charge Nurse");
  EXPECT_EQ(this->save(this->shift_of(role.id, user, 200, 200)).error().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(this->save(this->shift_of(role.id, user, 0, 8 * 24 * 3600)).error().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(this->save(this->shift_of(role.id, user, 0, 7 * 24 * 3600)).has_value());
  const OrgId other = create_org(store, "Other Hospital", at(1))->id;
  const UserId outsider = this->make_user("outsider", other);
  EXPECT_EQ(this->save(this->shift_of(role.id, outsider, 0, 100)).error().code(), Code::kNotFound);
  EXPECT_EQ(this->save(this->shift_of(RoleId(9999), user, 0, 100)).error().code(), Code::kNotFound);
  Shift unknown = this->shift_of(role.id, user, 0, 100);
  unknown.id = ShiftId(9999);
  EXPECT_EQ(this->save(unknown).error().code(), Code::kNotFound);
}

TYPED_TEST(RoutingStoreContract, ShiftsWithASourceKeyAreSavedOnceAndUnchangedOnesWriteNothing) {
  auto& store = *this->store_;
  const UserId first = this->make_user("first");
  const UserId second = this->make_user("second");
  const Role role = this->make_role("Hospitalist Night");
  std::vector<CommittedEvent> seen;
  CommitHook hook = [&seen](std::span<const CommittedEvent> events) {
    seen.insert(seen.end(), events.begin(), events.end());
  };
  auto created = this->save(this->shift_of(role.id, first, 100, 200, "ical:uid-1"), &hook);
  ASSERT_TRUE(created.has_value()) << created.error().to_string();
  EXPECT_TRUE(created->created);
  EXPECT_TRUE(created->changed);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event.kind, EventKind::kOnCallChanged);
  EXPECT_EQ(seen[0].event.role, role.id);

  // The same again: nothing written, no notice.
  seen.clear();
  auto same = this->save(this->shift_of(role.id, first, 100, 200, "ical:uid-1"), &hook);
  ASSERT_TRUE(same.has_value());
  EXPECT_FALSE(same->created);
  EXPECT_FALSE(same->changed);
  EXPECT_EQ(same->shift.id, created->shift.id);
  EXPECT_TRUE(seen.empty());

  // Changed: the same shift, updated.
  auto moved = this->save(this->shift_of(role.id, second, 100, 260, "ical:uid-1"), &hook);
  ASSERT_TRUE(moved.has_value());
  EXPECT_FALSE(moved->created);
  EXPECT_TRUE(moved->changed);
  EXPECT_EQ(moved->shift.id, created->shift.id);
  auto stored = store.find_shift(created->shift.id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->user_id, second);
  EXPECT_EQ(stored->ends_at, at(260));
  EXPECT_EQ(stored->source_key, "ical:uid-1");
  EXPECT_EQ(stored->time_zone, "America/New_York");

  // Many shifts of one role in one batch: one notice.
  seen.clear();
  WriteBatch batch;
  batch.add(SaveShift{this->shift_of(role.id, first, 300, 400, "ical:uid-2")});
  batch.add(SaveShift{this->shift_of(role.id, second, 400, 500, "ical:uid-3")});
  ASSERT_TRUE(commit_and_wait(store, std::move(batch), hook).has_value());
  EXPECT_EQ(seen.size(), 1u);

  // Deleted by key, then by id.
  EXPECT_TRUE(
      *commit_one<bool>(store, DeleteShift{this->org_, ShiftId(), "ical:uid-2", UserId(), at(9)}));
  EXPECT_FALSE(
      *commit_one<bool>(store, DeleteShift{this->org_, ShiftId(), "ical:uid-2", UserId(), at(9)}));
  EXPECT_TRUE(
      *commit_one<bool>(store, DeleteShift{this->org_, created->shift.id, "", UserId(), at(9)}));
  EXPECT_EQ(store.find_shift(created->shift.id).error().code(), Code::kNotFound);
}

TYPED_TEST(RoutingStoreContract, ShiftsAreListedByOverlapRoleAndUser) {
  auto& store = *this->store_;
  const UserId a = this->make_user("a");
  const UserId b = this->make_user("b");
  const Role one = this->make_role("One");
  const Role two = this->make_role("Two");
  ASSERT_TRUE(this->save(this->shift_of(one.id, a, 100, 200)).has_value());
  ASSERT_TRUE(this->save(this->shift_of(one.id, b, 150, 400)).has_value());
  ASSERT_TRUE(this->save(this->shift_of(two.id, a, 300, 500)).has_value());
  auto list = [&store, this](RoleId role, UserId user, std::int64_t from, std::int64_t to) {
    ShiftQuery query;
    query.org = this->org_;
    query.role = role;
    query.user = user;
    query.from = at(from);
    query.to = at(to);
    auto shifts = store.list_shifts(query);
    EXPECT_TRUE(shifts.has_value());
    std::vector<std::int64_t> starts;
    for (const Shift& shift : shifts.value_or(std::vector<Shift>{})) {
      starts.push_back(
          std::chrono::duration_cast<std::chrono::seconds>(shift.starts_at.time_since_epoch())
              .count() -
          std::chrono::duration_cast<std::chrono::seconds>(at(0).time_since_epoch()).count());
    }
    return starts;
  };
  EXPECT_EQ(list(RoleId(), UserId(), 0, 1000), (std::vector<std::int64_t>{100, 150, 300}));
  EXPECT_EQ(list(RoleId(), UserId(), 200, 300), (std::vector<std::int64_t>{150}));
  EXPECT_EQ(list(one.id, UserId(), 0, 1000), (std::vector<std::int64_t>{100, 150}));
  EXPECT_EQ(list(RoleId(), a, 0, 1000), (std::vector<std::int64_t>{100, 300}));
  EXPECT_EQ(list(two.id, b, 0, 1000), (std::vector<std::int64_t>{}));
}

TYPED_TEST(RoutingStoreContract, ARoutedMessageReachesItsNewHoldersStreams) {
  auto& store = *this->store_;
  const UserId sender = this->make_user("sender");
  const UserId holder = this->make_user("holder");
  const Role role = this->make_role("Cardiology On Call");
  NewThread thread = this->new_group(sender, {});
  thread.kind = ThreadKind::kRole;
  thread.role_id = role.id;
  thread.title_sealed = "";
  thread.unique_key = "role:1:1";
  auto created = commit_one<ThreadCreated>(store, CreateThread{thread});
  ASSERT_TRUE(created.has_value()) << created.error().to_string();
  EXPECT_EQ(store.find_thread(created->thread.id)->role_id, role.id);
  const auto head = store.stream_head();
  ASSERT_TRUE(head.has_value());

  auto route_batch = [&](std::string token) {
    NewMessage message;
    message.org_id = this->org_;
    message.thread_id = created->thread.id;
    message.sender = sender;
    message.client_token = token;
    message.client_id_sealed = "sealed-" + token;
    message.body_sealed = "sealed-body";
    message.created_at = at(20);
    WriteBatch batch = send_batch(message, draft("message.send", this->org_));
    batch.add(RouteMessage{created->thread.id, role.id, {RoutedTo{holder, "on_call"}}, at(20)});
    return batch;
  };
  std::vector<CommittedEvent> seen;
  CommitHook hook = [&seen](std::span<const CommittedEvent> events) {
    seen.insert(seen.end(), events.begin(), events.end());
  };
  auto sent = commit_and_wait(store, route_batch("c-1"), hook);
  ASSERT_TRUE(sent.has_value()) << sent.error().to_string();
  const auto& routed = sent->template result<std::vector<Event>>(1);
  ASSERT_EQ(routed.size(), 1u);
  const Event message = sent->template result<MessageAppended>(0).event;
  EXPECT_EQ(routed[0].kind, EventKind::kRouted);
  EXPECT_EQ(routed[0].subject, holder);
  EXPECT_EQ(routed[0].role, role.id);
  EXPECT_EQ(routed[0].reason, "on_call");
  EXPECT_EQ(routed[0].ref, message.id);
  EXPECT_EQ(routed[0].ref_seq, message.seq);
  EXPECT_TRUE(*store.is_member(created->thread.id, holder));

  // The holder was sent the message live and finds it on replay: message, join, routing.
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].event.kind, EventKind::kMessage);
  EXPECT_NE(std::find(seen[0].recipients.begin(), seen[0].recipients.end(), holder),
            seen[0].recipients.end());
  auto stream = store.read_user_events(holder, *head, 100);
  ASSERT_TRUE(stream.has_value());
  std::vector<EventKind> kinds;
  for (const Event& event : *stream) {
    kinds.push_back(event.kind);
  }
  EXPECT_EQ(kinds, (std::vector<EventKind>{EventKind::kMessage, EventKind::kMemberAdded,
                                           EventKind::kRouted}));
  EXPECT_EQ(stream->back().reason, "on_call");
  EXPECT_EQ(stream->back().role, role.id);
  // A history page finds whom its messages reached.
  auto routing = store.read_thread_routing(created->thread.id, 1, 1);
  ASSERT_TRUE(routing.has_value()) << routing.error().to_string();
  ASSERT_EQ(routing->size(), 1u);
  EXPECT_EQ(routing->front().subject, holder);
  EXPECT_EQ(routing->front().ref, message.id);
  EXPECT_TRUE(store.read_thread_routing(created->thread.id, 2, 5)->empty());

  // A resent client id appends no message, so nothing is routed again.
  auto again = commit_and_wait(store, route_batch("c-1"));
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->template result<std::vector<Event>>(1).empty());
  // A second message to a member: no second join, one more routing.
  auto second = commit_and_wait(store, route_batch("c-2"));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->template result<std::vector<Event>>(1).size(), 1u);
  EXPECT_EQ(store.list_members(created->thread.id)->size(), 2u);

  // An earlier message escalated to a backup: they join at that message, and the
  // routing names no role for a person.
  const UserId backup = this->make_user("backup");
  WriteBatch escalate;
  escalate.add(RouteMessage{
      created->thread.id, RoleId(), {RoutedTo{backup, "escalated"}}, at(200), message.id});
  auto escalated = commit_and_wait(store, std::move(escalate));
  ASSERT_TRUE(escalated.has_value()) << escalated.error().to_string();
  const auto& steps = escalated->template result<std::vector<Event>>(0);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].ref, message.id);
  EXPECT_EQ(steps[0].ref_seq, message.seq);
  EXPECT_FALSE(steps[0].role.is_set());
  EXPECT_EQ(steps[0].created_at, at(200));
  EXPECT_TRUE(*store.is_member(created->thread.id, backup));
  auto backup_stream = store.read_user_events(backup, *head, 100);
  ASSERT_TRUE(backup_stream.has_value());
  ASSERT_FALSE(backup_stream->empty());
  EXPECT_EQ(backup_stream->front().id, message.id) << "their period opens at the message";
  EXPECT_EQ(backup_stream->back().kind, EventKind::kRouted);
  EXPECT_EQ(store.read_thread_routing(created->thread.id, 1, 1)->size(), 2u);

  // Only a message of that thread.
  WriteBatch stray;
  stray.add(RouteMessage{
      created->thread.id, RoleId(), {RoutedTo{backup, "escalated"}}, at(201), EventId(999999)});
  EXPECT_EQ(commit_and_wait(store, std::move(stray)).error().code(), Code::kNotFound);
}

TYPED_TEST(RoutingStoreContract, BackupChainsAreReplacedWholeAndStayInTheOrg) {
  auto& store = *this->store_;
  const UserId doctor = this->make_user("doctor");
  const UserId first = this->make_user("first");
  const Role role = this->make_role("Rapid Response RN");
  EXPECT_TRUE(store.list_backups(doctor)->empty());
  const std::vector<Backup> chain{Backup{first, RoleId()}, Backup{UserId(), role.id}};
  ASSERT_TRUE(commit_one<bool>(store, SetBackups{this->org_, doctor, chain}).has_value());
  EXPECT_EQ(*store.list_backups(doctor), chain);
  const std::vector<Backup> shorter{Backup{UserId(), role.id}};
  ASSERT_TRUE(commit_one<bool>(store, SetBackups{this->org_, doctor, shorter}).has_value());
  EXPECT_EQ(*store.list_backups(doctor), shorter);

  for (const std::vector<Backup>& bad :
       {std::vector<Backup>{Backup{doctor, RoleId()}}, std::vector<Backup>{Backup{}},
        std::vector<Backup>{Backup{first, role.id}},
        std::vector<Backup>{Backup{first, RoleId()}, Backup{first, RoleId()}},
        std::vector<Backup>(kMaxBackups + 1, Backup{first, RoleId()})}) {
    EXPECT_EQ(commit_one<bool>(store, SetBackups{this->org_, doctor, bad}).error().code(),
              Code::kInvalidArgument);
  }
  const OrgId other = create_org(store, "Other Hospital", at(1))->id;
  const UserId stranger = this->make_user("stranger", other);
  EXPECT_EQ(commit_one<bool>(store, SetBackups{this->org_, doctor, {Backup{stranger, RoleId()}}})
                .error()
                .code(),
            Code::kNotFound);
  EXPECT_EQ(commit_one<bool>(store, SetBackups{other, doctor, {}}).error().code(), Code::kNotFound);
  EXPECT_EQ(*store.list_backups(doctor), shorter) << "a refused chain changes nothing";
}

TYPED_TEST(RoutingStoreContract, AForwardingIsOnePerPersonReplacedClearedAndAnnounced) {
  auto& store = *this->store_;
  const UserId doctor = this->make_user("doctor");
  const UserId cover = this->make_user("cover");
  const Role role = this->make_role("Hospitalist On Call");
  EXPECT_FALSE(store.find_forwarding(doctor)->has_value());
  std::vector<CommittedEvent> seen;
  CommitHook hook = [&seen](std::span<const CommittedEvent> events) {
    seen.insert(seen.end(), events.begin(), events.end());
  };
  Forwarding forwarding;
  forwarding.org_id = this->org_;
  forwarding.user_id = doctor;
  forwarding.to_user = cover;
  forwarding.starts_at = at(100);
  forwarding.ends_at = at(200);
  forwarding.set_by = doctor;
  forwarding.set_at = at(90);
  const auto set = commit_one<Forwarding>(store, SetForwarding{forwarding}, hook);
  ASSERT_TRUE(set.has_value()) << set.error().to_string();
  auto found = *store.find_forwarding(doctor);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->to_user, cover);
  EXPECT_FALSE(found->to_role.is_set());
  EXPECT_EQ(found->starts_at, at(100));
  EXPECT_EQ(found->ends_at, at(200));
  EXPECT_EQ(found->set_by, doctor);
  EXPECT_EQ(found->set_at, at(90));
  EXPECT_FALSE(found->in_force_at(at(99)));
  EXPECT_TRUE(found->in_force_at(at(100)));
  EXPECT_FALSE(found->in_force_at(at(200))) << "its end is exclusive";
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event.kind, EventKind::kAvailabilityChanged);
  EXPECT_EQ(seen[0].event.subject, doctor);

  // Set again: replaced, to a role, with no end.
  forwarding.to_user = UserId();
  forwarding.to_role = role.id;
  forwarding.ends_at.reset();
  ASSERT_TRUE(commit_one<Forwarding>(store, SetForwarding{forwarding}, hook).has_value());
  found = *store.find_forwarding(doctor);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->to_role, role.id);
  EXPECT_FALSE(found->to_user.is_set());
  EXPECT_FALSE(found->ends_at.has_value());

  // Refused: to nobody, to both, to themselves, backwards, to another org's user.
  Forwarding bad = forwarding;
  bad.to_role = RoleId();
  EXPECT_EQ(commit_one<Forwarding>(store, SetForwarding{bad}).error().code(),
            Code::kInvalidArgument);
  bad.to_user = cover;
  bad.to_role = role.id;
  EXPECT_EQ(commit_one<Forwarding>(store, SetForwarding{bad}).error().code(),
            Code::kInvalidArgument);
  bad.to_role = RoleId();
  bad.to_user = doctor;
  EXPECT_EQ(commit_one<Forwarding>(store, SetForwarding{bad}).error().code(),
            Code::kInvalidArgument);
  bad.to_user = cover;
  bad.ends_at = at(50);
  EXPECT_EQ(commit_one<Forwarding>(store, SetForwarding{bad}).error().code(),
            Code::kInvalidArgument);
  const OrgId other = create_org(store, "Other Hospital", at(1))->id;
  bad.ends_at.reset();
  bad.to_user = this->make_user("stranger", other);
  EXPECT_EQ(commit_one<Forwarding>(store, SetForwarding{bad}).error().code(), Code::kNotFound);
  EXPECT_EQ((*store.find_forwarding(doctor))->to_role, role.id) << "a refusal changes nothing";

  // Cleared once, in its org only.
  EXPECT_FALSE(*commit_one<bool>(store, ClearForwarding{other, doctor, doctor, at(300)}));
  EXPECT_TRUE(*commit_one<bool>(store, ClearForwarding{this->org_, doctor, doctor, at(300)}, hook));
  EXPECT_FALSE(*commit_one<bool>(store, ClearForwarding{this->org_, doctor, doctor, at(301)}));
  EXPECT_FALSE(store.find_forwarding(doctor)->has_value());
  EXPECT_EQ(seen.back().event.kind, EventKind::kAvailabilityChanged);
  EXPECT_EQ(seen.size(), 3u);
}

TYPED_TEST(RoutingStoreContract, AvailabilityAndForwardingOfManyAreReadAtOnce) {
  auto& store = *this->store_;
  const UserId a = this->make_user("a");
  const UserId b = this->make_user("b");
  const UserId c = this->make_user("c");
  auto period = [&](UserId user, Availability status, std::int64_t from) {
    AvailabilityPeriod made;
    made.org_id = this->org_;
    made.user_id = user;
    made.status = status;
    made.starts_at = at(from);
    made.ends_at = at(from + 100);
    made.set_by = user;
    made.set_at = at(1);
    return commit_one<AvailabilityPeriod>(store, SetAvailability{made});
  };
  ASSERT_TRUE(period(b, Availability::kBusy, 50).has_value());
  ASSERT_TRUE(period(a, Availability::kOffDuty, 20).has_value());
  ASSERT_TRUE(period(a, Availability::kBusy, 10).has_value());
  ASSERT_TRUE(period(c, Availability::kBusy, 10).has_value());
  Forwarding forwarding;
  forwarding.org_id = this->org_;
  forwarding.user_id = b;
  forwarding.to_user = c;
  forwarding.starts_at = at(1);
  forwarding.set_at = at(1);
  ASSERT_TRUE(commit_one<Forwarding>(store, SetForwarding{forwarding}).has_value());

  const std::vector<UserId> asked{b, a, UserId(9999)};
  const auto periods = store.list_availability_of(asked, at(0));
  ASSERT_TRUE(periods.has_value()) << periods.error().to_string();
  ASSERT_EQ(periods->size(), 3u) << "c's are not asked for";
  EXPECT_EQ((*periods)[0].user_id, a);
  EXPECT_EQ((*periods)[0].starts_at, at(10));
  EXPECT_EQ((*periods)[1].user_id, a);
  EXPECT_EQ((*periods)[2].user_id, b);
  EXPECT_EQ(store.list_availability_of(asked, at(115))->size(), 2u) << "a's first has ended";
  const auto forwardings = store.list_forwarding_of(asked);
  ASSERT_TRUE(forwardings.has_value()) << forwardings.error().to_string();
  ASSERT_EQ(forwardings->size(), 1u);
  EXPECT_EQ((*forwardings)[0].user_id, b);
  EXPECT_EQ((*forwardings)[0].to_user, c);
  EXPECT_TRUE(store.list_availability_of({}, at(0))->empty());
  EXPECT_TRUE(store.list_forwarding_of({})->empty());
}

TYPED_TEST(RoutingStoreContract, GatekeepersAreReplacedInOrderCheckedAndAnnounced) {
  auto& store = *this->store_;
  const UserId surgeon = this->make_user("surgeon");
  const UserId desk = this->make_user("desk");
  const UserId assistant = this->make_user("assistant");
  const UserId nurse = this->make_user("nurse");
  std::vector<CommittedEvent> seen;
  CommitHook hook = [&seen](std::span<const CommittedEvent> events) {
    seen.insert(seen.end(), events.begin(), events.end());
  };
  EXPECT_TRUE(store.list_gatekeepers(surgeon)->empty());
  ASSERT_TRUE(
      commit_one<bool>(store,
                       SetGatekeepers{this->org_, surgeon, {desk, assistant}, surgeon, at(5)}, hook)
          .has_value());
  EXPECT_EQ(*store.list_gatekeepers(surgeon), (std::vector<UserId>{desk, assistant}));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event.kind, EventKind::kAvailabilityChanged);
  EXPECT_EQ(seen[0].event.subject, surgeon);
  EXPECT_EQ(seen[0].event.actor, surgeon);
  ASSERT_TRUE(
      commit_one<bool>(store, SetGatekeepers{this->org_, nurse, {desk}, nurse, at(6)}).has_value());
  EXPECT_EQ(*store.list_gatekept_by(desk), (std::vector<UserId>{surgeon, nurse}));
  EXPECT_EQ(*store.list_gatekept_by(assistant), std::vector<UserId>{surgeon});

  // Replaced whole, in the new order.
  ASSERT_TRUE(commit_one<bool>(
                  store, SetGatekeepers{this->org_, surgeon, {assistant, desk}, surgeon, at(7)})
                  .has_value());
  EXPECT_EQ(*store.list_gatekeepers(surgeon), (std::vector<UserId>{assistant, desk}));
  const std::vector<UserId> asked{nurse, surgeon, UserId(9999)};
  const auto many = store.list_gatekeepers_of(asked);
  ASSERT_TRUE(many.has_value()) << many.error().to_string();
  ASSERT_EQ(many->size(), 3u);
  EXPECT_EQ((*many)[0].user, surgeon < nurse ? surgeon : nurse) << "by user";
  const auto of_surgeon = std::ranges::find(*many, surgeon, &Gatekeeping::user);
  ASSERT_NE(of_surgeon, many->end());
  EXPECT_EQ(of_surgeon->gatekeeper, assistant) << "then as named";
  EXPECT_TRUE(store.list_gatekeepers_of({})->empty());

  // Refused: oneself, twice, too many, another org's; a refusal changes nothing.
  const auto refused = [&](std::vector<UserId> named) {
    return commit_one<bool>(store,
                            SetGatekeepers{this->org_, surgeon, std::move(named), surgeon, at(8)})
        .error()
        .code();
  };
  EXPECT_EQ(refused({surgeon}), Code::kInvalidArgument);
  EXPECT_EQ(refused({desk, desk}), Code::kInvalidArgument);
  std::vector<UserId> six;
  for (int i = 0; i < 6; ++i) {
    six.push_back(this->make_user("extra" + std::to_string(i)));
  }
  EXPECT_EQ(refused(six), Code::kInvalidArgument);
  const OrgId other = create_org(store, "Other Hospital", at(1))->id;
  EXPECT_EQ(refused({this->make_user("foreign", other)}), Code::kNotFound);
  EXPECT_EQ(*store.list_gatekeepers(surgeon), (std::vector<UserId>{assistant, desk}));

  // None: cleared.
  ASSERT_TRUE(
      commit_one<bool>(store, SetGatekeepers{this->org_, surgeon, {}, surgeon, at(9)}).has_value());
  EXPECT_TRUE(store.list_gatekeepers(surgeon)->empty());
  EXPECT_EQ(*store.list_gatekept_by(desk), std::vector<UserId>{nurse});
}

TYPED_TEST(RoutingStoreContract, AHandOffNoteIsRecordedWithItsMessageAndAcceptedOnce) {
  auto& store = *this->store_;
  const UserId day = this->make_user("day");
  const UserId night = this->make_user("night");
  const UserId other = this->make_user("other");
  const Role role = this->make_role("4 West Charge Nurse");
  NewThread thread = this->new_group(day, {});
  thread.kind = ThreadKind::kRole;
  thread.role_id = role.id;
  thread.title_sealed = "";
  thread.unique_key = "role:2:1";
  const ThreadId id = commit_one<ThreadCreated>(store, CreateThread{thread})->thread.id;
  const auto note = [&](std::string token) {
    NewMessage message;
    message.org_id = this->org_;
    message.thread_id = id;
    message.sender = day;
    message.client_token = token;
    message.client_id_sealed = "sealed-" + token;
    message.body_sealed = "sealed-body";
    message.created_at = at(30);
    WriteBatch batch = send_batch(message, draft("message.send", this->org_));
    batch.add(RouteMessage{id, role.id, {RoutedTo{night, "hand_off"}}, at(30)});
    batch.add(RecordHandOff{role.id, id, night});
    return commit_and_wait(store, std::move(batch), this->no_hook_);
  };
  auto written = note("n-1");
  ASSERT_TRUE(written.has_value()) << written.error().to_string();
  const Event message = written->template result<MessageAppended>(0).event;
  const auto& recorded = written->template result<std::optional<HandOff>>(2);
  ASSERT_TRUE(recorded.has_value());
  EXPECT_EQ(recorded->message_id, message.id);
  EXPECT_EQ(recorded->from_user, day);
  EXPECT_EQ(recorded->to_user, night);
  EXPECT_EQ(recorded->message_seq, message.seq);
  const auto found = store.find_handoff(message.id);
  ASSERT_TRUE(found.has_value()) << found.error().to_string();
  EXPECT_EQ(found->role_id, role.id);
  EXPECT_EQ(found->thread_id, id);
  EXPECT_EQ(found->created_at, at(30));
  EXPECT_FALSE(found->accepted_at);
  ASSERT_EQ(store.list_pending_handoffs(night, 10)->size(), 1u);
  EXPECT_TRUE(store.list_pending_handoffs(day, 10)->empty());

  // Resent: no message appended, so nothing recorded.
  auto resent = note("n-1");
  ASSERT_TRUE(resent.has_value()) << resent.error().to_string();
  EXPECT_FALSE(resent->template result<std::optional<HandOff>>(2).has_value());
  EXPECT_EQ(store.list_pending_handoffs(night, 10)->size(), 1u);

  // Accepted by the one it is to, once; a second acceptance fails its batch.
  EXPECT_EQ(commit_one<bool>(store, AcceptHandOff{message.id, other, at(40)}).error().code(),
            Code::kNotFound);
  EXPECT_TRUE(*commit_one<bool>(store, AcceptHandOff{message.id, night, at(40)}));
  EXPECT_EQ(commit_one<bool>(store, AcceptHandOff{message.id, night, at(41)}).error().code(),
            Code::kAlreadyExists);
  EXPECT_EQ(store.find_handoff(message.id)->accepted_at, at(40));
  EXPECT_TRUE(store.list_pending_handoffs(night, 10)->empty());
  EXPECT_EQ(store.find_handoff(EventId(message.id.value() + 100)).error().code(), Code::kNotFound);
}

TYPED_TEST(RoutingStoreContract, AnOrgHasTheDefaultPolicyUntilOneIsSet) {
  auto& store = *this->store_;
  const EscalationPolicy defaults = *store.find_escalation_policy(this->org_);
  EXPECT_EQ(defaults.org_id, this->org_);
  EXPECT_EQ(defaults.urgent_after, EscalationPolicy().urgent_after);
  EXPECT_FALSE(defaults.updated_by.is_set());

  const UserId admin = this->make_user("admin");
  EscalationPolicy policy;
  policy.org_id = this->org_;
  policy.normal_after = std::chrono::minutes(15);
  policy.urgent_after = std::chrono::minutes(2);
  policy.realert_every = std::chrono::seconds(90);
  policy.updated_by = admin;
  policy.updated_at = at(30);
  ASSERT_TRUE(commit_one<bool>(store, SetEscalationPolicy{policy}).has_value());
  policy.urgent_after = std::chrono::minutes(3);
  ASSERT_TRUE(commit_one<bool>(store, SetEscalationPolicy{policy}).has_value());
  const EscalationPolicy stored = *store.find_escalation_policy(this->org_);
  EXPECT_EQ(stored.normal_after, std::chrono::minutes(15));
  EXPECT_EQ(stored.urgent_after, std::chrono::minutes(3));
  EXPECT_EQ(stored.realert_every, std::chrono::seconds(90));
  EXPECT_EQ(stored.updated_by, admin);
  EXPECT_EQ(stored.updated_at, at(30));

  EscalationPolicy bad = policy;
  bad.normal_after = std::chrono::seconds(-1);
  EXPECT_EQ(commit_one<bool>(store, SetEscalationPolicy{bad}).error().code(),
            Code::kInvalidArgument);
  bad.normal_after = kMaxEscalationDelay + std::chrono::seconds(1);
  EXPECT_EQ(commit_one<bool>(store, SetEscalationPolicy{bad}).error().code(),
            Code::kInvalidArgument);
  bad = policy;
  bad.org_id = OrgId(99999);
  EXPECT_EQ(commit_one<bool>(store, SetEscalationPolicy{bad}).error().code(), Code::kNotFound);
}

TYPED_TEST(RoutingStoreContract, AvailabilityPeriodsReplaceAndExpireAndAreAnnouncedToTheOrg) {
  auto& store = *this->store_;
  const UserId nurse = this->make_user("nurse");
  auto period = [&](Availability status, std::int64_t from, std::optional<std::int64_t> to,
                    std::int64_t set_at) {
    AvailabilityPeriod made;
    made.org_id = this->org_;
    made.user_id = nurse;
    made.status = status;
    made.starts_at = at(from);
    if (to) {
      made.ends_at = at(*to);
    }
    made.set_by = nurse;
    made.set_at = at(set_at);
    return made;
  };
  std::vector<CommittedEvent> seen;
  CommitHook hook = [&seen](std::span<const CommittedEvent> events) {
    seen.insert(seen.end(), events.begin(), events.end());
  };
  auto set = [&](const AvailabilityPeriod& made) {
    return commit_one<AvailabilityPeriod>(store, SetAvailability{made}, hook);
  };
  // Off duty from 100 until replaced; in a procedure 200-300, planned at 100.
  const auto off = set(period(Availability::kOffDuty, 100, std::nullopt, 100));
  ASSERT_TRUE(off.has_value()) << off.error().to_string();
  EXPECT_TRUE(off->id.is_set());
  ASSERT_TRUE(set(period(Availability::kInProcedure, 200, 300, 100)).has_value());
  auto periods = *store.list_availability(nurse, at(100));
  ASSERT_EQ(periods.size(), 2u);
  EXPECT_EQ(availability_at(periods, at(150)), Availability::kOffDuty);
  EXPECT_EQ(availability_at(periods, at(250)), Availability::kInProcedure);
  EXPECT_EQ(availability_at(periods, at(300)), Availability::kOffDuty) << "its end is exclusive";
  EXPECT_EQ(availability_at({}, at(300)), Availability::kAvailable);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().event.kind, EventKind::kAvailabilityChanged);
  EXPECT_EQ(seen.back().event.scope, EventScope::kOrg);
  EXPECT_EQ(seen.back().event.subject, nurse);

  // Available from 400 until replaced: what started before is gone for good, and so is
  // what ended.
  ASSERT_TRUE(set(period(Availability::kAvailable, 400, std::nullopt, 400)).has_value());
  periods = *store.list_availability(nurse, at(0));
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_EQ(periods[0].status, Availability::kAvailable);
  // A period ahead does not replace anything.
  ASSERT_TRUE(set(period(Availability::kBusy, 500, std::nullopt, 410)).has_value());
  EXPECT_EQ(store.list_availability(nurse, at(0))->size(), 2u);

  // Deleting: once, and only the person's own period in the org.
  const AvailabilityPeriod busy = store.list_availability(nurse, at(0))->back();
  EXPECT_FALSE(
      *commit_one<bool>(store, DeleteAvailability{this->org_, UserId(busy.user_id.value() + 1000),
                                                  busy.id, nurse, at(420)}));
  EXPECT_TRUE(
      *commit_one<bool>(store, DeleteAvailability{this->org_, nurse, busy.id, nurse, at(420)}));
  EXPECT_FALSE(
      *commit_one<bool>(store, DeleteAvailability{this->org_, nurse, busy.id, nurse, at(421)}));
  EXPECT_EQ(store.list_availability(nurse, at(0))->size(), 1u);

  EXPECT_EQ(set(period(Availability::kBusy, 600, 600, 600)).error().code(), Code::kInvalidArgument);
  AvailabilityPeriod unknown = period(Availability::kBusy, 600, std::nullopt, 600);
  unknown.status = static_cast<Availability>(9);
  EXPECT_EQ(set(unknown).error().code(), Code::kInvalidArgument);
  const OrgId other = create_org(store, "Other Hospital", at(1))->id;
  AvailabilityPeriod stranger = period(Availability::kBusy, 600, std::nullopt, 600);
  stranger.org_id = other;
  EXPECT_EQ(set(stranger).error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace wl::testing
