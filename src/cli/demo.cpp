#include "cli/demo.hpp"

#include <array>
#include <map>

#include <fmt/format.h>

#include "core/time_zone.hpp"
#include "services/patients/adt_service.hpp"

namespace wl::cli {
namespace {

// The demo hospital's time zone: its schedules are planned in it.
constexpr std::string_view kDemoZone = "America/New_York";

// A role and who works it: the day person from 07:00 to 19:00 and the night person from
// 19:00 to 07:00, every day of the demo week. An empty name: nobody on that shift.
struct DemoRole {
  std::string_view name;
  RoleKind kind;
  std::string_view description;
  std::string_view day;
  std::string_view night;
  std::string_view fallback_role;  // Another demo role's name, or empty.
  std::string_view fallback_user;  // A username, or empty.
};

constexpr std::array<DemoRole, 6> kRoles{{
    {"Hospitalist On Call", RoleKind::kRole, "Admissions and cross-cover for the wards",
     "dr.okafor", "dr.haddad", "", ""},
    {"Cardiology On Call", RoleKind::kRole, "Cardiology consults; pages the attending or NP",
     "dr.patel", "np.brooks", "Hospitalist On Call", ""},
    {"Rapid Response RN", RoleKind::kRole, "Deteriorating patients, any unit", "rn.chen",
     "rn.muller", "", ""},
    {"Pharmacy On Call", RoleKind::kRole, "Dosing, interactions, shortages", "pharm.rossi", "", "",
     "dr.okafor"},
    {"Surgery On Call", RoleKind::kRole, "General surgery consults", "", "dr.nguyen", "",
     "dr.nguyen"},
    {"4 West Charge Nurse", RoleKind::kUnit, "The charge nurse phone of 4 West (shift sign-in)", "",
     "", "", ""},
}};

struct DemoStaff {
  std::string_view username;
  std::string_view name;
  std::string_view title;
  bool is_admin;
  std::string_view department;
};

// Fictional people; any resemblance to real clinicians is accidental.
constexpr std::array<DemoStaff, 20> kStaff{{
    {"admin", "Avery Admin", "System administrator", true, "Administration"},
    {"dr.patel", "Dr. Nina Patel", "Cardiology attending", false, "Cardiology"},
    {"dr.okafor", "Dr. Emeka Okafor", "Hospitalist", false, "Medicine"},
    {"dr.lindqvist", "Dr. Sara Lindqvist", "Emergency medicine", false, "Emergency"},
    {"dr.nguyen", "Dr. Minh Nguyen", "General surgery", false, "Surgery"},
    {"dr.garcia", "Dr. Lucía García", "Pediatrics", false, "Pediatrics"},
    {"np.brooks", "Jordan Brooks, NP", "Cardiology nurse practitioner", false, "Cardiology"},
    {"pa.kim", "Daniel Kim, PA", "Orthopedics physician assistant", false, "Orthopedics"},
    {"rn.harper", "Olivia Harper, RN", "Charge nurse, 4 West", false, "4 West"},
    {"rn.santos", "Mateo Santos, RN", "RN, 4 West", false, "4 West"},
    {"rn.chen", "Grace Chen, RN", "RN, ICU", false, "ICU"},
    {"rn.muller", "Jonas Müller, RN", "RN, Emergency", false, "Emergency"},
    {"rn.adeyemi", "Funmi Adeyemi, RN", "RN, Labor and delivery", false, "Labor and Delivery"},
    {"pharm.rossi", "Marco Rossi, PharmD", "Clinical pharmacist", false, "Pharmacy"},
    {"rt.walsh", "Aoife Walsh, RRT", "Respiratory therapist", false, "Respiratory Therapy"},
    {"clerk.jones", "Sam Jones", "Unit clerk, 4 West", false, "4 West"},
    {"op.desk", "Riley Morgan", "Operator desk", false, "Operator Desk"},
    {"sched.ito", "Kenji Ito", "Scheduler", false, "Administration"},
    {"privacy.cole", "Dana Cole", "Privacy officer", false, "Administration"},
    {"dr.haddad", "Dr. Yasmin Haddad", "Neurology", false, "Neurology"},
}};

// Each demo patient as the hospital's ADT feed admits them: PID-3, PID-5, PID-7, PID-8,
// PV1-3 (unit ^ room ^ bed), PV1-7 (id ^ family ^ given ^^^ prefix), PV1-19.
struct DemoPatient {
  std::string_view mrn;
  std::string_view name;
  std::string_view dob;
  std::string_view sex;
  std::string_view location;
  std::string_view attending;
};

constexpr std::array<DemoPatient, 5> kPatients{{
    {"100234", "Testpatient^Alma", "19480312", "F", "4 West^12", "2^Patel^Nina^^^Dr."},
    {"100871", "Sample^Bruno", "19751102", "M", "ICU^^3", "3^Okafor^Emeka^^^Dr."},
    {"101502", "Example^Cora", "20190621", "F", "Pediatrics^5", "6^García^Lucía^^^Dr."},
    {"102044", "Fictional^Dev", "19900130", "X", "Emergency^^7", "8^Lindqvist^Sara^^^Dr."},
    {"102399", "Placeholder^Edith", "19360808", "F", "4 West^4", "9^Nguyen^Minh^^^Dr."},
}};

// The A01 that admits `patient`, as an interface engine would send it.
std::string demo_admission(const DemoPatient& patient, std::size_t index) {
  return fmt::format(
      "MSH|^~\\&|DEMO-ADT|GENERAL|WARDLINE|GENERAL|||ADT^A01^ADT_A01|demo-admit-{}|P|2.5.1\r"
      "EVN|A01\r"
      "PID|1||{}^^^^MR||{}||{}|{}\r"
      "PV1|1|I|{}||||{}||||||||||||DEMO-V{}\r",
      index, patient.mrn, patient.name, patient.dob, patient.sex, patient.location,
      patient.attending, patient.mrn);
}

// The demo hospital's org screen (docs/directory.md, "The org screen").
OrgScreenPage demo_org_screen() {
  const auto link = [](std::string_view label, std::string_view url) {
    return ScreenItem{ScreenItemType::kLink, std::string(label), std::string(url), "", ""};
  };
  const auto phone = [](std::string_view label, std::string_view number) {
    return ScreenItem{ScreenItemType::kPhone, std::string(label), "", std::string(number), ""};
  };
  const auto staff = [](std::string_view department) {
    return ScreenItem{ScreenItemType::kStaff, "", "", "", std::string(department)};
  };
  OrgScreenPage page;
  page.sections.push_back(
      ScreenSection{"On call now", {ScreenItem{ScreenItemType::kOnCall, "", "", "", ""}}});
  page.sections.push_back(
      ScreenSection{"Phone numbers",
                    {phone("Operator", "555-0100"), phone("Rapid response", "555-0111"),
                     phone("Pharmacy", "555-0142"), phone("4 West nurses' station", "555-0404")}});
  page.sections.push_back(
      ScreenSection{"Staff", {staff("Cardiology"), staff("4 West"), staff("Emergency")}});
  page.sections.push_back(
      ScreenSection{"Links",
                    {link("Sepsis pathway", "https://example.org/pathways/sepsis"),
                     link("Call the operator", "tel:+15555550100")}});
  return page;
}

}  // namespace

// The demo's roles, a week of day and night shifts from yesterday (so someone holds
// each role whenever the demo is tried), the scheduler, the charge nurse signed in
// to her unit's phone, the escalation policy, some backup chains, and one person off
// duty.
template <typename As>
Result<void> seed_routing(Runtime& runtime, const std::map<std::string_view, User>& users, As as) {
  RoutingService& routing = runtime.routing();
  WL_TRY(runtime.identity().set_scheduler(IdentityService::system_principal(),
                                          users.at("sched.ito").id, true));
  const Principal admin = as("admin");
  std::map<std::string_view, RoleId> roles;
  for (const DemoRole& demo : kRoles) {
    RoleInput input;
    input.name = demo.name;
    input.kind = demo.kind;
    input.description = demo.description;
    if (!demo.fallback_role.empty()) {
      input.fallback_role = roles.at(demo.fallback_role);
    }
    if (!demo.fallback_user.empty()) {
      input.fallback_user = users.at(demo.fallback_user).id;
    }
    roles[demo.name] = WL_TRY(routing.create_role(admin, input)).id;
  }
  Principal scheduler = as("sched.ito");
  scheduler.is_scheduler = true;
  const LocalTime today = WL_TRY(utc_to_local(runtime.clock().now(), kDemoZone));
  for (int day = -1; day < 7; ++day) {
    // Local dates, so that 07:00 and 19:00 stay 07:00 and 19:00 across a DST change.
    const auto date = std::chrono::sys_days(std::chrono::year(today.year) /
                                            std::chrono::month(static_cast<unsigned>(today.month)) /
                                            std::chrono::day(static_cast<unsigned>(today.day))) +
                      std::chrono::days(day);
    const std::chrono::year_month_day ymd(date);
    const std::chrono::year_month_day next(date + std::chrono::days(1));
    auto at = [](const std::chrono::year_month_day& d, int hour) {
      return local_to_utc(
          LocalTime{static_cast<int>(d.year()), static_cast<int>(unsigned(d.month())),
                    static_cast<int>(unsigned(d.day())), hour, 0, 0},
          kDemoZone);
    };
    const Timestamp morning = WL_TRY(at(ymd, 7));
    const Timestamp evening = WL_TRY(at(ymd, 19));
    const Timestamp next_morning = WL_TRY(at(next, 7));
    for (const DemoRole& demo : kRoles) {
      if (!demo.day.empty()) {
        WL_TRY(routing.save_shift(scheduler, ShiftId(),
                                  ShiftInput{roles.at(demo.name), users.at(demo.day).id, morning,
                                             evening, std::string(kDemoZone)}));
      }
      if (!demo.night.empty()) {
        WL_TRY(routing.save_shift(scheduler, ShiftId(),
                                  ShiftInput{roles.at(demo.name), users.at(demo.night).id, evening,
                                             next_morning, std::string(kDemoZone)}));
      }
    }
  }
  WL_TRY(routing.sign_in(as("rn.harper"), roles.at("4 West Charge Nurse")));

  // Escalation: urgent messages move on after 2 minutes unread and re-alert every 2,
  // normal ones after 15; a few people's backups, through people and roles.
  EscalationPolicy policy;
  policy.urgent_after = std::chrono::minutes(2);
  policy.normal_after = std::chrono::minutes(15);
  policy.realert_every = std::chrono::minutes(2);
  WL_TRY(routing.set_policy(admin, policy));
  auto person = [&users](std::string_view username) { return Backup{users.at(username).id, {}}; };
  auto role = [&roles](std::string_view name) { return Backup{{}, roles.at(name)}; };
  WL_TRY(routing.set_backups(admin, users.at("dr.patel").id,
                             {person("np.brooks"), role("Hospitalist On Call")}));
  WL_TRY(routing.set_backups(admin, users.at("dr.okafor").id,
                             {person("dr.haddad"), role("Rapid Response RN")}));
  WL_TRY(routing.set_backups(admin, users.at("rn.santos").id, {role("4 West Charge Nurse")}));
  // Someone off duty, so that previews show it.
  WL_TRY(routing.set_availability(as("pa.kim"), users.at("pa.kim").id,
                                  AvailabilityInput{Availability::kOffDuty, {}, {}}));
  // A surgeon in theatre whose messages the operator desk screens (docs/routing.md,
  // "Gatekeepers").
  WL_TRY(
      routing.set_gatekeepers(as("dr.nguyen"), users.at("dr.nguyen").id, {users.at("op.desk").id}));
  WL_TRY(routing.set_availability(as("dr.nguyen"), users.at("dr.nguyen").id,
                                  AvailabilityInput{Availability::kInProcedure, {}, {}}));
  return ok();
}

// A few providers of the public NPPES registry (real records: tests/data/npi/SOURCES.md)
// and the taxonomy codes they name, so that the demo's directory search finds someone
// (docs/npi.md). A real site imports the whole file.
struct DemoProvider {
  std::int64_t npi;
  ProviderEntity entity;
  std::string_view name, credential, taxonomy, city, state, postal_code, phone;
};

constexpr std::array<DemoProvider, 8> kProviders{{
    {1679576722, ProviderEntity::kIndividual, "WIEBE, DAVID A", "M.D.", "207X00000X", "KEARNEY",
     "NE", "688472944", "3088652512"},
    {1932102084, ProviderEntity::kIndividual, "ADUSUMILLI, RAVI K", "MD", "207RC0000X", "TOLEDO",
     "OH", "436151753", "4198423000"},
    {1205839255, ProviderEntity::kIndividual, "GOLDBERG, STEVEN M", "M.D.", "207RC0000X",
     "GREAT NECK", "NY", "110215306", "5163902430"},
    {1578566626, ProviderEntity::kIndividual, "KUIPERS, WARREN D.", "MD", "207Q00000X", "PHOENIX",
     "AZ", "850073913", "6023446600"},
    {1932102985, ProviderEntity::kIndividual, "ROTHSTEIN, MARK TERRY", "M.D.", "207Q00000X",
     "ATHENS", "OH", "457012857", "7405924491"},
    {1750384806, ProviderEntity::kIndividual, "BISBEE, ROBERT", "MD", "207R00000X", "LUBBOCK", "TX",
     "794151148", "8067610540"},
    {1215930367, ProviderEntity::kIndividual, "GRESSOT, LAURENT", "M.D.", "174400000X", "HOUSTON",
     "TX", "770901243", "2814405006"},
    {1497758544, ProviderEntity::kOrganization, "CUMBERLAND COUNTY HOSPITAL SYSTEM, INC", "",
     "251G00000X", "FAYETTEVILLE", "NC", "283044552", "9106096740"},
}};

struct DemoTaxonomy {
  std::string_view code, classification, specialization, display_name, section;
};

constexpr std::array<DemoTaxonomy, 6> kTaxonomies{{
    {"207X00000X", "Orthopaedic Surgery", "", "Orthopaedic Surgery Physician", "Individual"},
    {"207RC0000X", "Internal Medicine", "Cardiovascular Disease",
     "Cardiovascular Disease Physician", "Individual"},
    {"207Q00000X", "Family Medicine", "", "Family Medicine Physician", "Individual"},
    {"207R00000X", "Internal Medicine", "", "Internal Medicine Physician", "Individual"},
    {"174400000X", "Specialist", "", "Specialist", "Individual"},
    {"251G00000X", "Hospice Care, Community Based", "", "Community Based Hospice Care Agency",
     "Non-Individual"},
}};

Result<void> seed_providers(Runtime& runtime, const Principal& system) {
  std::vector<TaxonomyCode> codes;
  for (const DemoTaxonomy& code : kTaxonomies) {
    codes.push_back(TaxonomyCode{std::string(code.code), "", std::string(code.classification),
                                 std::string(code.specialization), std::string(code.display_name),
                                 std::string(code.section), ""});
  }
  WL_TRY(runtime.providers().write_taxonomies(system, std::move(codes)));
  std::vector<Provider> providers;
  for (const DemoProvider& demo : kProviders) {
    Provider provider;
    provider.npi = demo.npi;
    provider.entity = demo.entity;
    provider.name = demo.name;
    provider.credential = demo.credential;
    provider.taxonomy = demo.taxonomy;
    provider.city = demo.city;
    provider.state = demo.state;
    provider.postal_code = demo.postal_code;
    provider.phone = demo.phone;
    providers.push_back(std::move(provider));
  }
  WL_TRY(runtime.providers().write_providers(system, std::move(providers)));
  return ok();
}

Result<bool> seed_demo(Runtime& runtime) {
  Store& store = runtime.store();
  if (store.find_org_by_name(kDemoOrg)) {
    return false;
  }
  const Principal system = IdentityService::system_principal();
  const Org org = WL_TRY(runtime.identity().create_org(system, kDemoOrg));
  std::map<std::string_view, User> users;
  for (const DemoStaff& staff : kStaff) {
    users[staff.username] = WL_TRY(runtime.identity().create_user(
        system, org.id, staff.username, staff.name, staff.title, kDemoPassword, staff.is_admin));
  }
  for (const DemoStaff& staff : kStaff) {
    WL_TRY(runtime.directory().set_user_directory(system, users.at(staff.username).id, staff.title,
                                                  staff.department));
  }
  WL_TRY(runtime.directory().save_org_screen(system, org.id, demo_org_screen(), 0));
  // The patients come in through the ADT feed, as they would from the hospital's.
  AdtService feed(runtime.store(), runtime.store(), runtime.patients(), runtime.keys(),
                  runtime.audit(), runtime.bus(), runtime.clock(), AdtOptions{org.id},
                  [](std::function<void()> retry) { retry(); });
  std::vector<PatientView> patients;
  for (std::size_t i = 0; i < kPatients.size(); ++i) {
    const AdtResult admitted = WL_TRY(feed.receive_and_wait(demo_admission(kPatients[i], i + 1)));
    if (admitted.ack_code != "AA") {
      return error(Code::kInternal,
                   "demo: the admission of a demo patient was refused: " + admitted.text);
    }
    patients.push_back(WL_TRY(runtime.patients().open_unaudited(org.id, admitted.patient)));
  }

  auto as = [&](std::string_view username) {
    const User& user = users.at(username);
    return Principal{user.id,          org.id, DeviceId(),       user.is_admin,
                     user.is_operator, "",     user.is_scheduler};
  };
  auto say = [&](std::string_view username, ThreadId thread, std::string_view text, bool urgent) {
    static int counter = 0;
    return runtime.messaging().send(
        as(username),
        SendRequest{thread, fmt::format("demo-{}", ++counter), std::string(text), urgent});
  };

  const ThreadView direct =
      WL_TRY(runtime.messaging().open_direct(as("rn.harper"), users.at("dr.patel").id));
  WL_TRY(
      say("rn.harper", direct.thread.id, "Dr. Patel, are you on the unit this afternoon?", false));
  WL_TRY(say("dr.patel", direct.thread.id, "Yes, from 2pm. Page me if anything changes.", false));

  const UserId patient_pair[] = {users.at("dr.patel").id};
  const ThreadView patient_thread = WL_TRY(
      runtime.messaging().open_patient_thread(as("rn.harper"), patients[0].id, patient_pair, ""));
  WL_TRY(say("rn.harper", patient_thread.thread.id,
             "Room 12: BP 168/95 after the 14:00 dose, patient reports mild chest tightness.",
             true));
  // He read it before answering, so it does not escalate (docs/routing.md).
  WL_TRY(runtime.messaging().mark_read(as("dr.patel"), patient_thread.thread.id, 1));
  WL_TRY(say("dr.patel", patient_thread.thread.id, "Coming now. Repeat ECG and troponin please.",
             false));

  WL_TRY(seed_routing(runtime, users, as));
  WL_TRY(seed_providers(runtime, system));
  // Two people to call back (docs/callback.md); the others add theirs in the web app.
  WL_TRY(runtime.callbacks().set_my_phones(
      as("dr.okafor"),
      {Phone{PhoneKind::kWork, "+1 555 010 2300", PhoneVisibility::kEveryone, true},
       Phone{PhoneKind::kMobile, "+1 555 010 2301", PhoneVisibility::kColleagues, false}}));
  WL_TRY(runtime.callbacks().set_my_phones(
      as("rn.santos"), {Phone{PhoneKind::kWork, "4404", PhoneVisibility::kEveryone, true}}));

  const UserId unit[] = {users.at("rn.santos").id, users.at("clerk.jones").id,
                         users.at("dr.okafor").id};
  const ThreadView group =
      WL_TRY(runtime.messaging().create_group(as("rn.harper"), "4 West huddle", unit));
  WL_TRY(say("rn.harper", group.thread.id, "Huddle at 15:00 by the nurses' station.", false));

  // pa.kim is off duty (seed_routing): this waits for him, held (docs/routing.md).
  const ThreadView off_duty =
      WL_TRY(runtime.messaging().open_direct(as("np.brooks"), users.at("pa.kim").id));
  WL_TRY(say("np.brooks", off_duty.thread.id,
             "Daniel, bed 9's hip can start PT tomorrow - no rush, for when you're back.", false));

  // dr.nguyen is in procedure (seed_routing): this waits in op.desk's screening list.
  const ThreadView screened =
      WL_TRY(runtime.messaging().open_direct(as("rn.chen"), users.at("dr.nguyen").id));
  WL_TRY(say("rn.chen", screened.thread.id,
             "Dr. Nguyen, ICU bed 3's drain put out 250 mL in the last hour. Can you review "
             "after your case?",
             false));
  return true;
}

}  // namespace wl::cli
