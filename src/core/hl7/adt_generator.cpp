#include "core/hl7/adt_generator.hpp"

#include <array>
#include <chrono>
#include <utility>

#include <fmt/format.h>

namespace wl::hl7 {
namespace {

// Fictional names, no sample of real people.
constexpr std::array<std::string_view, 20> kFamilyNames = {
    "ALDEN",  "BRECK",    "CARVER",  "DALTON",   "ELLERY",  "FENWICK", "GARLAND",
    "HOLLIS", "IRVING",   "JARVIS",  "KENDRICK", "LANGLEY", "MARLOW",  "NORCROSS",
    "ORTON",  "PRESCOTT", "QUINLAN", "ROWAN",    "SUTTON",  "THORNE"};
constexpr std::array<std::string_view, 20> kGivenNames = {
    "AVERY", "BLAIR", "CASEY",  "DANA", "EMERY",  "FINLEY", "GRAY",  "HARPER", "INDIA", "JORDAN",
    "KERRY", "LANE",  "MORGAN", "NOEL", "OAKLEY", "PAIGE",  "QUINN", "REESE",  "SAGE",  "TATUM"};
struct Unit {
  std::string_view name;
  std::size_t rooms;
};
constexpr std::array<Unit, 6> kUnits = {
    {{"4W", 30}, {"5E", 30}, {"ICU", 12}, {"MED", 40}, {"SURG", 24}, {"CCU", 10}}};
struct Doctor {
  std::string_view id;
  std::string_view family;
  std::string_view given;
};
constexpr std::array<Doctor, 8> kDoctors = {{{"1003", "OKAFOR", "ADA"},
                                             {"1017", "LINDQVIST", "ERIK"},
                                             {"1029", "MORETTI", "LUCA"},
                                             {"1031", "SATO", "HANA"},
                                             {"1042", "NWOSU", "CHIDI"},
                                             {"1056", "BRANDT", "ILSE"},
                                             {"1068", "VARGA", "ZOLTAN"},
                                             {"1074", "MEHTA", "RAVI"}}};

std::string structure_of(AdtEvent event) {
  switch (event) {
    case AdtEvent::kAdmit:
    case AdtEvent::kUpdate:
      return "ADT_A01";  // A08 shares A01's structure (HL7 v2.5.1 section 3.3.8).
    case AdtEvent::kTransfer:
      return "ADT_A02";
    case AdtEvent::kDischarge:
      return "ADT_A03";
  }
  return "ADT_A01";
}

// YYYYMMDDHHMMSS of a clock reading.
template <class Duration>
std::string format_dtm(std::chrono::time_point<std::chrono::system_clock, Duration> time) {
  const auto day = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss clock(std::chrono::floor<std::chrono::seconds>(time - day));
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count());
}

}  // namespace

std::string_view trigger_event(AdtEvent event) {
  switch (event) {
    case AdtEvent::kAdmit:
      return "A01";
    case AdtEvent::kTransfer:
      return "A02";
    case AdtEvent::kDischarge:
      return "A03";
    case AdtEvent::kUpdate:
      return "A08";
  }
  return "A08";
}

AdtGenerator::AdtGenerator(AdtGeneratorOptions options)
    : options_(std::move(options)), random_(options_.seed) {
  if (options_.patients == 0) {
    options_.patients = 1;
  }
  patients_.reserve(options_.patients);
  for (std::size_t index = 0; index < options_.patients; ++index) {
    Patient patient;
    patient.mrn = fmt::format("MRN{:08}", options_.first_patient + index);
    patient.family = std::string(kFamilyNames[draw(kFamilyNames.size())]);
    patient.given = std::string(kGivenNames[draw(kGivenNames.size())]);
    patient.middle = std::string(1, static_cast<char>('A' + draw(26)));
    patient.birth_date =
        fmt::format("{:04}{:02}{:02}", 1935 + draw(88), 1 + draw(12), 1 + draw(28));
    patient.sex = "FMFMFMU"[draw(7)];
    patients_.push_back(std::move(patient));
  }
}

std::size_t AdtGenerator::draw(std::size_t count) {
  return std::uniform_int_distribution<std::size_t>(0, count - 1)(random_);
}

std::string AdtGenerator::draw_location(const Patient& patient) {
  for (;;) {
    const Unit& unit = kUnits[draw(kUnits.size())];
    std::string location = fmt::format("{}^{}^{}^{}", unit.name, 100 + 1 + draw(unit.rooms),
                                       1 + draw(2), options_.assigning_authority);
    if (location != patient.location) {
      return location;
    }
  }
}

std::string AdtGenerator::timestamp() const {
  using namespace std::chrono;
  const sys_days start = year(2026) / January / 5;
  return format_dtm(start + hours(8) + minutes(minutes_));
}

GeneratedAdt AdtGenerator::next() {
  Patient& patient = patients_[draw(patients_.size())];
  minutes_ += 1 + draw(5);
  const std::string now = timestamp();
  AdtEvent event = AdtEvent::kAdmit;
  std::string prior_location;
  std::string discharge_time;
  if (!patient.is_admitted) {
    patient.is_admitted = true;
    ++patient.visits;
    patient.location = draw_location(patient);
    patient.attending = draw(kDoctors.size());
    patient.admit_time = now;
  } else if (const std::size_t roll = draw(100); roll < 50) {
    event = AdtEvent::kUpdate;
    if (draw(2) == 0) {
      patient.attending = draw(kDoctors.size());
    } else {
      patient.middle = std::string(1, static_cast<char>('A' + draw(26)));
    }
  } else if (roll < 75) {
    event = AdtEvent::kTransfer;
    prior_location = patient.location;
    patient.location = draw_location(patient);
  } else {
    event = AdtEvent::kDischarge;
    discharge_time = now;
    patient.is_admitted = false;
  }
  GeneratedAdt generated;
  generated.event = event;
  generated.control_id = fmt::format("{}-{}", options_.control_id_prefix, ++sequence_);
  generated.mrn = patient.mrn;
  generated.message = render(patient, event, generated.control_id, prior_location, discharge_time);
  return generated;
}

std::string AdtGenerator::render(const Patient& patient, AdtEvent event,
                                 const std::string& control_id, const std::string& prior_location,
                                 const std::string& discharge_time) const {
  const std::string now = timestamp();
  const std::string_view trigger = trigger_event(event);
  const Doctor& doctor = kDoctors[patient.attending];
  std::string message = fmt::format(
      "MSH|^~\\&|{}|{}|{}|{}|{}||ADT^{}^{}|{}|P|2.5.1\r"
      "EVN|{}|{}\r"
      "PID|1||{}^^^{}^MR||{}^{}^{}||{}|{}\r",
      options_.sending_application, options_.sending_facility, options_.receiving_application,
      options_.receiving_facility, now, trigger, structure_of(event), control_id, trigger, now,
      patient.mrn, options_.assigning_authority, patient.family, patient.given, patient.middle,
      patient.birth_date, patient.sex);
  // PV1-1 .. PV1-45; index n holds PV1-n.
  std::array<std::string, 46> pv1;
  pv1[1] = "1";
  pv1[2] = "I";
  pv1[3] = patient.location;
  pv1[6] = prior_location;
  pv1[7] = fmt::format("{}^{}^{}^^^DR", doctor.id, doctor.family, doctor.given);
  pv1[10] = "MED";
  pv1[19] = fmt::format("V{}-{}^^^{}^VN", patient.mrn.substr(3), patient.visits,
                        options_.assigning_authority);
  pv1[44] = patient.admit_time;
  pv1[45] = discharge_time;
  std::size_t last = pv1.size() - 1;
  while (last > 1 && pv1[last].empty()) {
    --last;
  }
  message += "PV1";
  for (std::size_t field = 1; field <= last; ++field) {
    message += '|';
    message += pv1[field];
  }
  message += '\r';
  return message;
}

std::string accept_ack(const Message& message) {
  const Header& header = message.header();
  const EncodingCharacters& encoding = message.encoding();
  const char field = encoding.field;
  std::string characters{encoding.component, encoding.repetition, encoding.escape,
                         encoding.subcomponent};
  if (encoding.truncation) {
    characters += *encoding.truncation;
  }
  const std::string version = header.version.empty() ? "2.5.1" : message.escape(header.version);
  const std::string processing =
      header.processing_id.empty() ? "P" : message.escape(header.processing_id);
  const std::string component(1, encoding.component);
  std::string ack = "MSH";
  for (const std::string& value :
       {characters, message.escape(header.receiving_application),
        message.escape(header.receiving_facility), message.escape(header.sending_application),
        message.escape(header.sending_facility), format_dtm(std::chrono::system_clock::now()),
        std::string(), "ACK" + component + message.escape(header.trigger_event) + component + "ACK",
        "A" + message.escape(header.control_id), processing, version}) {
    ack += field;
    ack += value;
  }
  ack += '\r';
  ack += "MSA";
  ack += field;
  ack += "AA";
  ack += field;
  ack += message.escape(header.control_id);
  ack += '\r';
  return ack;
}

}  // namespace wl::hl7
