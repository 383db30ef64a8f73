#include "cli/demo.hpp"

#include <array>
#include <map>

#include <fmt/format.h>

namespace wl::cli {
namespace {

struct DemoStaff {
  std::string_view username;
  std::string_view name;
  std::string_view title;
  bool is_admin;
};

// Fictional people; any resemblance to real clinicians is accidental.
constexpr std::array<DemoStaff, 20> kStaff{{
    {"admin", "Avery Admin", "System administrator", true},
    {"dr.patel", "Dr. Nina Patel", "Cardiology attending", false},
    {"dr.okafor", "Dr. Emeka Okafor", "Hospitalist", false},
    {"dr.lindqvist", "Dr. Sara Lindqvist", "Emergency medicine", false},
    {"dr.nguyen", "Dr. Minh Nguyen", "General surgery", false},
    {"dr.garcia", "Dr. Lucía García", "Pediatrics", false},
    {"np.brooks", "Jordan Brooks, NP", "Cardiology nurse practitioner", false},
    {"pa.kim", "Daniel Kim, PA", "Orthopedics physician assistant", false},
    {"rn.harper", "Olivia Harper, RN", "Charge nurse, 4 West", false},
    {"rn.santos", "Mateo Santos, RN", "RN, 4 West", false},
    {"rn.chen", "Grace Chen, RN", "RN, ICU", false},
    {"rn.muller", "Jonas Müller, RN", "RN, Emergency", false},
    {"rn.adeyemi", "Funmi Adeyemi, RN", "RN, Labor and delivery", false},
    {"pharm.rossi", "Marco Rossi, PharmD", "Clinical pharmacist", false},
    {"rt.walsh", "Aoife Walsh, RRT", "Respiratory therapist", false},
    {"clerk.jones", "Sam Jones", "Unit clerk, 4 West", false},
    {"op.desk", "Riley Morgan", "Operator desk", false},
    {"sched.ito", "Kenji Ito", "Scheduler", false},
    {"privacy.cole", "Dana Cole", "Privacy officer", false},
    {"dr.haddad", "Dr. Yasmin Haddad", "Neurology", false},
}};

struct DemoPatient {
  std::string_view mrn;
  std::string_view name;
  std::string_view dob;
  std::string_view location;
  std::string_view attending;
};

constexpr std::array<DemoPatient, 5> kPatients{{
    {"100234", "Testpatient, Alma", "1948-03-12", "4 West, room 12", "Dr. Nina Patel"},
    {"100871", "Sample, Bruno", "1975-11-02", "ICU, bed 3", "Dr. Emeka Okafor"},
    {"101502", "Example, Cora", "2019-06-21", "Pediatrics, room 5", "Dr. Lucía García"},
    {"102044", "Fictional, Dev", "1990-01-30", "Emergency, bay 7", "Dr. Sara Lindqvist"},
    {"102399", "Placeholder, Edith", "1936-08-08", "4 West, room 4", "Dr. Minh Nguyen"},
}};

}  // namespace

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
  std::vector<PatientView> patients;
  for (const DemoPatient& patient : kPatients) {
    PatientView fields;
    fields.mrn = patient.mrn;
    fields.name = patient.name;
    fields.date_of_birth = patient.dob;
    fields.location = patient.location;
    fields.attending = patient.attending;
    patients.push_back(WL_TRY(runtime.patients().upsert(system, org.id, fields)));
  }

  auto as = [&](std::string_view username) {
    const User& user = users.at(username);
    return Principal{user.id, org.id, DeviceId(), user.is_admin, user.is_operator, ""};
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
  WL_TRY(say("dr.patel", patient_thread.thread.id, "Coming now. Repeat ECG and troponin please.",
             false));

  const UserId unit[] = {users.at("rn.santos").id, users.at("clerk.jones").id,
                         users.at("dr.okafor").id};
  const ThreadView group =
      WL_TRY(runtime.messaging().create_group(as("rn.harper"), "4 West huddle", unit));
  WL_TRY(say("rn.harper", group.thread.id, "Huddle at 15:00 by the nurses' station.", false));
  return true;
}

}  // namespace wl::cli
