#include "services/directory/directory_service.hpp"

#include <gtest/gtest.h>

#include "support/service_fixture.hpp"

namespace wl {
namespace {

using testing::ServiceFixture;

class DirectoryServiceTest : public ::testing::Test {
 protected:
  DirectoryServiceTest() {
    org_ = fixture_.create_org("General");
    admin_user_ = fixture_.create_user(org_.id, "admin", true);
    nurse_user_ = fixture_.create_user(org_.id, "rn.garcia");
    doctor_user_ = fixture_.create_user(org_.id, "dr.patel");
    admin_ = ServiceFixture::principal_of(admin_user_);
    nurse_ = ServiceFixture::principal_of(nurse_user_);
    doctor_ = ServiceFixture::principal_of(doctor_user_);
    set(doctor_user_.id, "Cardiology attending", "Cardiology");
    set(nurse_user_.id, "RN, 4 West", "4 West");
  }

  DirectoryService& directory() { return *fixture_.directory_service; }

  void set(UserId user, std::string_view title, std::string_view department) {
    ASSERT_TRUE(directory().set_user_directory(admin_, user, title, department).has_value());
  }

  std::vector<DirectoryResult> search(const Principal& actor, std::string text,
                                      KindSet kinds = {}) {
    auto results = directory().search(actor, DirectoryQuery{std::move(text), kinds, 0});
    EXPECT_TRUE(results.has_value()) << results.error().to_string();
    return results ? *results : std::vector<DirectoryResult>{};
  }

  ServiceFixture fixture_;
  Org org_;
  User admin_user_, nurse_user_, doctor_user_;
  Principal admin_, nurse_, doctor_;
};

TEST_F(DirectoryServiceTest, FindsPeopleByDepartmentAndSeesChangesAtOnce) {
  auto found = search(nurse_, "cardio");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, DirectoryKind::kPerson);
  EXPECT_EQ(found[0].id, doctor_user_.id.value());
  EXPECT_EQ(found[0].department, "Cardiology");
  EXPECT_EQ(found[0].title, "Cardiology attending");
  // A change moves the store's directory version: the next search sees it.
  set(doctor_user_.id, "Neurology attending", "Neurology");
  EXPECT_TRUE(search(nurse_, "cardio").empty());
  EXPECT_EQ(search(nurse_, "neuro").size(), 1u);
  // So do a new user and a disabled one.
  const User added = fixture_.create_user(org_.id, "pa.neu");
  set(added.id, "PA", "Neurology");
  EXPECT_EQ(search(nurse_, "neuro").size(), 2u);
  ASSERT_TRUE(fixture_.identity->set_disabled(admin_, added.id, true).has_value());
  EXPECT_EQ(search(nurse_, "neuro").size(), 1u);
}

TEST_F(DirectoryServiceTest, RolesComeWithWhoHoldsThemNow) {
  RoleInput input;
  input.name = "Cardiology On Call";
  const Role role = *fixture_.routing->create_role(admin_, input);
  auto found = search(nurse_, "cardiology on", KindSet{false, true, false});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].name, "Cardiology On Call");
  EXPECT_TRUE(found[0].on_call.empty());
  ASSERT_TRUE(fixture_.routing->sign_in(doctor_, role.id).has_value());
  found = search(nurse_, "cardiology on", KindSet{false, true, false});
  ASSERT_EQ(found.size(), 1u);
  ASSERT_EQ(found[0].on_call.size(), 1u);
  EXPECT_EQ(found[0].on_call[0].user, doctor_user_.id);
  EXPECT_EQ(found[0].on_call[0].reason, "signed_in");
}

TEST_F(DirectoryServiceTest, GroupsOnlyOfTheCallerAndShowingOneIsAudited) {
  const UserId members[] = {doctor_user_.id};
  ASSERT_TRUE(fixture_.messaging->create_group(nurse_, "Sepsis huddle", members).has_value());
  auto found = search(doctor_, "seps");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, DirectoryKind::kGroup);
  EXPECT_EQ(found[0].name, "Sepsis huddle");
  EXPECT_EQ(found[0].members, 2u);
  // The admin is not a member.
  EXPECT_TRUE(search(admin_, "seps").empty());
  // The audit entry is written asynchronously; a later synchronous write follows it.
  set(nurse_user_.id, "RN", "4 West");
  const auto entries = fixture_.audit_entries("directory.search", "ok");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].draft.detail, "results=1,groups=1");
  EXPECT_EQ(entries[0].draft.actor, doctor_user_.id);
}

TEST_F(DirectoryServiceTest, AnotherOrgIsNeverSearched) {
  const Org other = fixture_.create_org("Other");
  const User stranger = fixture_.create_user(other.id, "dr.cardio");
  ASSERT_TRUE(directory().set_user_directory(admin_, stranger.id, "x", "y").error().code() ==
              Code::kNotFound);
  ASSERT_TRUE(directory()
                  .set_user_directory(IdentityService::system_principal(), stranger.id,
                                      "Cardiology", "Cardiology")
                  .has_value());
  EXPECT_EQ(search(nurse_, "cardio").size(), 1u);  // Only dr.patel.
}

TEST_F(DirectoryServiceTest, BadQueriesAreRefused) {
  const auto code = [&](std::string text, std::size_t limit = 0) {
    return directory().search(nurse_, DirectoryQuery{std::move(text), {}, limit}).error().code();
  };
  EXPECT_EQ(code(""), Code::kInvalidArgument);
  EXPECT_EQ(code(" .,"), Code::kInvalidArgument);
  EXPECT_EQ(code(std::string(101, 'a')), Code::kInvalidArgument);
  EXPECT_EQ(code("a b c d e f g"), Code::kInvalidArgument);
  EXPECT_EQ(code("\xFF"), Code::kInvalidArgument);
  EXPECT_EQ(code("pat", 51), Code::kInvalidArgument);
}

TEST_F(DirectoryServiceTest, OnlyAdminsSetDirectoryFieldsAndInputIsChecked) {
  EXPECT_EQ(directory().set_user_directory(nurse_, nurse_user_.id, "x", "y").error().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(fixture_.audit_entries("admin.user.directory", "denied").size(), 1u);
  EXPECT_EQ(directory()
                .set_user_directory(admin_, nurse_user_.id, "x", std::string(101, 'd'))
                .error()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(directory().set_user_directory(admin_, nurse_user_.id, "a\nb", "").error().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(directory().set_user_directory(admin_, UserId(999), "x", "y").error().code(),
            Code::kNotFound);
  const auto user = *fixture_.store->find_user(nurse_user_.id);
  EXPECT_EQ(user.department, "4 West");
}

OrgScreenPage sample_page() {
  OrgScreenPage page;
  page.sections.push_back(ScreenSection{
      "Numbers",
      {ScreenItem{ScreenItemType::kPhone, "Operator", "", "+1 (555) 010-0100", ""},
       ScreenItem{ScreenItemType::kLink, "Pathways", "https://example.org/p", "", ""}}});
  page.sections.push_back(
      ScreenSection{"People",
                    {ScreenItem{ScreenItemType::kStaff, "", "", "", "CARDIOLOGY"},
                     ScreenItem{ScreenItemType::kOnCall, "", "", "", ""}}});
  return page;
}

TEST_F(DirectoryServiceTest, TheOrgScreenRendersStaffAndOnCallNow) {
  RoleInput input;
  input.name = "Cardiology On Call";
  const Role role = *fixture_.routing->create_role(admin_, input);
  ASSERT_TRUE(fixture_.routing->sign_in(doctor_, role.id).has_value());
  EXPECT_EQ(directory().org_screen(nurse_)->version, 0);
  ASSERT_EQ(*directory().save_org_screen(admin_, org_.id, sample_page(), 0), 1);
  const RenderedOrgScreen screen = *directory().org_screen(nurse_);
  EXPECT_EQ(screen.version, 1);
  EXPECT_EQ(screen.updated_by, admin_user_.id);
  ASSERT_EQ(screen.sections.size(), 2u);
  EXPECT_EQ(screen.sections[0].items[0].item.number, "+1 (555) 010-0100");
  const RenderedItem& staff = screen.sections[1].items[0];
  ASSERT_EQ(staff.staff.size(), 1u);  // The department is compared folded.
  EXPECT_EQ(staff.staff[0].id, doctor_user_.id);
  const RenderedItem& on_call = screen.sections[1].items[1];
  ASSERT_EQ(on_call.on_call.size(), 1u);
  EXPECT_EQ(on_call.on_call[0].name, "Cardiology On Call");
  ASSERT_EQ(on_call.on_call[0].holders.size(), 1u);
  EXPECT_EQ(on_call.on_call[0].holders[0].user, doctor_user_.id);
  EXPECT_EQ(fixture_.audit_entries("admin.org_screen.save", "ok").size(), 1u);
}

TEST_F(DirectoryServiceTest, TwoEditorsOfOneVersionDoNotOverwriteEachOther) {
  ASSERT_EQ(*directory().save_org_screen(admin_, org_.id, sample_page(), 0), 1);
  OrgScreenPage first = sample_page();
  first.sections[0].title = "First";
  OrgScreenPage second = sample_page();
  second.sections[0].title = "Second";
  ASSERT_EQ(*directory().save_org_screen(admin_, org_.id, first, 1), 2);
  EXPECT_EQ(directory().save_org_screen(admin_, org_.id, second, 1).error().code(), Code::kAborted);
  EXPECT_EQ(directory().save_org_screen(admin_, org_.id, second, 0).error().code(), Code::kAborted);
  EXPECT_EQ(directory().org_screen(nurse_)->sections[0].title, "First");
  EXPECT_EQ(fixture_.audit_entries("admin.org_screen.save", "conflict").size(), 2u);
}

TEST_F(DirectoryServiceTest, OrgScreenEditsAreAdminOnlyAndChecked) {
  EXPECT_EQ(directory().save_org_screen(nurse_, org_.id, sample_page(), 0).error().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(fixture_.audit_entries("admin.org_screen.save", "denied").size(), 1u);
  const auto refused = [&](auto change) {
    OrgScreenPage page = sample_page();
    change(page);
    return directory().save_org_screen(admin_, org_.id, page, 0).error().code() ==
           Code::kInvalidArgument;
  };
  EXPECT_TRUE(refused([](OrgScreenPage& p) { p.sections[0].items[1].url = "http://x.org"; }));
  EXPECT_TRUE(refused([](OrgScreenPage& p) { p.sections[0].items[1].url = "javascript:x"; }));
  EXPECT_TRUE(refused([](OrgScreenPage& p) { p.sections[0].items[1].url = "https://"; }));
  EXPECT_TRUE(refused([](OrgScreenPage& p) { p.sections[0].items[1].url = "https://a b"; }));
  EXPECT_TRUE(refused([](OrgScreenPage& p) { p.sections[0].items[0].number = "call me"; }));
  EXPECT_TRUE(refused([](OrgScreenPage& p) { p.sections[0].items[0].label = ""; }));
  EXPECT_TRUE(refused([](OrgScreenPage& p) { p.sections[0].title = std::string(201, 't'); }));
  EXPECT_TRUE(refused([](OrgScreenPage& p) { p.sections[1].items[0].department = ""; }));
  EXPECT_TRUE(refused([](OrgScreenPage& p) { p.sections.resize(21, p.sections[0]); }));
  EXPECT_TRUE(
      refused([](OrgScreenPage& p) { p.sections[0].items.resize(51, p.sections[0].items[0]); }));
  EXPECT_TRUE(refused([](OrgScreenPage& p) {
    p.sections.resize(7, p.sections[0]);
    for (auto& section : p.sections) {
      section.items.resize(50, section.items[0]);
    }
  }));
  OrgScreenPage tel = sample_page();
  tel.sections[0].items[1].url = "tel:+15555550100";
  EXPECT_TRUE(directory().save_org_screen(admin_, org_.id, tel, 0).has_value());
}

TEST(OrgScreenFormatTest, EncodesAndParsesBack) {
  OrgScreenPage page = sample_page();
  const auto parsed = parse_org_screen(encode_org_screen(page));
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->sections.size(), 2u);
  EXPECT_EQ(parsed->sections[0].items[1].url, "https://example.org/p");
  EXPECT_EQ(parsed->sections[1].items[0].department, "CARDIOLOGY");
  EXPECT_EQ(parse_org_screen("{\"sections\":[{\"items\":[{\"type\":\"x\"}]}]}").error().code(),
            Code::kDataLoss);
  EXPECT_EQ(parse_org_screen("nope").error().code(), Code::kDataLoss);
}

}  // namespace
}  // namespace wl
