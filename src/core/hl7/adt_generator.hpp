#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/hl7/message.hpp"

// Realistic, fictional ADT traffic for the MLLP load generator and for tests that need
// messages: admissions, updates, transfers and discharges over a set of generated
// patients (docs/hl7.md, "Generated ADT messages").
namespace wl::hl7 {

enum class AdtEvent { kAdmit, kTransfer, kDischarge, kUpdate };  // A01, A02, A03, A08

// "A01", "A02", "A03" or "A08".
std::string_view trigger_event(AdtEvent event);

struct AdtGeneratorOptions {
  std::uint64_t seed = 1;
  // Patients first_patient .. first_patient + patients - 1 (MRN "MRN" + 8 digits), so
  // generators over disjoint ranges never touch the same patient.
  std::size_t first_patient = 0;
  std::size_t patients = 100;
  // MSH-10 is "<prefix>-<n>", n counting from 1: unique per generator, so give each
  // generator its own prefix (at most 10 characters keeps MSH-10 within 20).
  std::string control_id_prefix = "WL";
  std::string sending_application = "WLGEN";
  std::string sending_facility = "GENHOSP";
  std::string receiving_application = "WARDLINE";
  std::string receiving_facility = "GENHOSP";
  std::string assigning_authority = "GENHOSP";  // PID-3.4 and PV1-19.4
};

struct GeneratedAdt {
  std::string message;  // HL7 v2.5.1, segments ending with CR, unframed.
  AdtEvent event = AdtEvent::kAdmit;
  std::string control_id;  // MSH-10
  std::string mrn;         // PID-3.1
};

// Draws events in an order a hospital could send them: a patient not in hospital is
// admitted (A01); an admitted one is updated (A08), transferred to another bed (A02) or
// discharged (A03), after which the next admission opens a new visit. Each message has
// MSH, EVN, PID (PID-3 MRN with assigning authority, PID-5 name, PID-7 birth date,
// PID-8 sex) and PV1 (PV1-3 location, PV1-6 prior location on A02, PV1-7 attending,
// PV1-19 visit number, PV1-44 admit time, PV1-45 discharge time on A03). Times run
// forward from 2026-01-05 08:00 without an offset. Deterministic for given options.
// Not thread-safe: one generator per thread or connection.
class AdtGenerator {
 public:
  explicit AdtGenerator(AdtGeneratorOptions options);

  GeneratedAdt next();

 private:
  struct Patient {
    std::string mrn;
    std::string family;
    std::string given;
    std::string middle;
    std::string birth_date;
    char sex = 'U';
    bool is_admitted = false;
    std::uint32_t visits = 0;
    std::string location;
    std::size_t attending = 0;
    std::string admit_time;
  };

  std::size_t draw(std::size_t count);
  std::string draw_location(const Patient& patient);
  std::string timestamp() const;
  std::string render(const Patient& patient, AdtEvent event, const std::string& control_id,
                     const std::string& prior_location, const std::string& discharge_time) const;

  AdtGeneratorOptions options_;
  std::mt19937_64 random_;
  std::vector<Patient> patients_;
  std::uint64_t sequence_ = 0;
  std::uint64_t minutes_ = 0;  // Since the start time.
};

// An application-accept acknowledgement (MSA-1 AA, MSA-2 the message's MSH-10) of
// `message`, in its encoding characters and version: the sender and receiver of MSH-3
// to MSH-6 swapped, MSH-7 now (UTC), MSH-9 ACK^<trigger>^ACK, MSH-10 "A" + the control
// id. What the MLLP echo baseline answers; the ADT service builds its own ACKs.
std::string accept_ack(const Message& message);

}  // namespace wl::hl7
