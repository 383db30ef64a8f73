#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ports/bus.hpp"
#include "ports/clock.hpp"
#include "ports/patient_store.hpp"
#include "ports/write_batch.hpp"
#include "services/identity/principal.hpp"

namespace wl {

class AuditLog;
class KeyRing;
class PatientService;

// What became of one HL7 message, and the acknowledgement to send back.
struct AdtResult {
  std::string ack;       // The ACK message (segments ending in CR), to be framed.
  std::string ack_code;  // "AA", "AE" or "AR".
  std::string outcome;   // "applied", "duplicate", "stale", "error" or "rejected".
  std::string text;      // Why, for AE and AR (never patient data).
  PatientId patient;
  std::int64_t message_id = 0;  // The stored message; 0 for a duplicate.
};

struct AdtOptions {
  OrgId org;  // Whose patients the feed carries.
  // The zone of times the sender writes without an offset (HL7 v2.5.1 2A.3.22).
  std::string time_zone = "UTC";
  // MSH-3 and MSH-4 of the ACKs sent back.
  std::string application = "WARDLINE";
  std::string facility = "WARDLINE";
  int max_attempts = 5;  // Decisions retried when another write changed the patient.
};

// Applies the ADT feed (docs/patients.md): HL7 v2.3 to v2.8 ADT A01, A02, A03, A04, A05,
// A08, A11, A13, A31 and A40 create and update patients and their visits. Every message
// is stored sealed with its outcome before it is acknowledged; a repeated message
// (same sending application, facility and MSH-10) is acknowledged without being applied
// again; a message older than what it would change does not roll it back.
//
// Thread-safe. receive() blocks on store reads (never on a commit): call it on a worker
// thread, never on an io thread.
class AdtService {
 public:
  // `post` runs a task on a worker thread (a decision retried after a conflict).
  AdtService(Committer& committer, PatientStore& store, PatientService& patients, KeyRing& keys,
             AuditLog& audit, Bus& bus, const Clock& clock, AdtOptions options,
             std::function<void(std::function<void()>)> post);

  // Applies `payload` (one message, without MLLP framing). `done` gets the result once the
  // outcome is durable, on the commit thread or the calling one; it must not block. An
  // error means nothing could be stored (the store is unavailable): send no ACK, so that
  // the sender sends the message again.
  void receive(std::string payload, std::function<void(Result<AdtResult>)> done);

  // receive() and wait: for tests and the command line.
  Result<AdtResult> receive_and_wait(std::string payload);

  // Applies stored message `id` of the feed's org again (after a fix of the data or of
  // Wardline) and records the new outcome: for admins of that org (see
  // PatientService::hl7_message_for). Audited. A message already applied is a duplicate.
  // Errors: PermissionDenied, NotFound (audited as denied); Unavailable.
  Result<AdtResult> replay(const Principal& actor, std::int64_t id);

  OrgId org() const { return options_.org; }

 private:
  struct Work;
  struct Decision;
  void attempt(std::shared_ptr<Work> work);
  Result<Decision> decide(Work& work);

  Committer& committer_;
  PatientStore& store_;
  PatientService& patients_;
  KeyRing& keys_;
  AuditLog& audit_;
  Bus& bus_;
  const Clock& clock_;
  const AdtOptions options_;
  const std::function<void(std::function<void()>)> post_;
};

}  // namespace wl
