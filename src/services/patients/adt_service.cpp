// The ADT feed (docs/patients.md): each message is read into what it says (Said), decided
// against what the store holds (a ChangePatient, or a refusal), stored with its outcome
// in one batch, and acknowledged once that batch is durable.
#include "services/patients/adt_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <memory>
#include <optional>

#include "core/crypto/random.hpp"
#include "core/hl7/message.hpp"
#include "core/time_zone.hpp"
#include "core/utf8.hpp"
#include "services/audit/audit_log.hpp"
#include "services/keys/key_ring.hpp"
#include "services/patients/patient_fields.hpp"
#include "services/patients/patient_service.hpp"

namespace wl {
namespace {

namespace fields = patient_fields;

constexpr std::size_t kMaxIdentifiers = 20;
constexpr std::size_t kMaxFieldBytes = 200;
constexpr std::size_t kMaxDetailBytes = 300;

// HL7 table 0357 codes the ACKs use.
constexpr std::string_view kRequiredFieldMissing = "101";
constexpr std::string_view kDataTypeError = "102";
constexpr std::string_view kUnsupportedMessageType = "200";
constexpr std::string_view kUnsupportedEvent = "201";
constexpr std::string_view kUnsupportedVersion = "203";
constexpr std::string_view kUnknownKey = "204";
constexpr std::string_view kDuplicateKey = "205";

// An AE or AR: why a message was not applied.
struct Refusal {
  std::string ack_code;  // "AE" or "AR".
  std::string_view hl7_code;
  std::string text;
};

Refusal rejected(std::string_view code, std::string text) { return {"AR", code, std::move(text)}; }
Refusal failed(std::string_view code, std::string text) { return {"AE", code, std::move(text)}; }

struct Identifier {
  std::string value;
  std::string authority;
  std::string type;
  std::string token;
};

// A text field of the message: nullopt when not sent (leave what is stored), "" for the
// HL7 null "" (delete it), else the value.
using Sent = std::optional<std::string>;

// What one ADT message says, read from its segments.
struct Said {
  std::string event;  // "A01".
  Timestamp event_time;
  std::vector<Identifier> identifiers;  // PID-3, in order.
  Sent name, date_of_birth, sex;
  bool has_visit = false;  // A PV1 segment.
  Sent location, attending, admitted_at, discharged_at;
  Identifier visit;                // PV1-19; value "" when not sent.
  std::vector<Identifier> prior;   // MRG-1 (A40).
  std::vector<std::string> notes;  // Values ignored, and why (no patient data).
};

bool is_supported_version(std::string_view version) {
  for (std::string_view known :
       {"2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8", "2.8.1", "2.8.2"}) {
    if (version == known) {
      return true;
    }
  }
  return false;
}

bool is_supported_event(std::string_view event) {
  for (std::string_view known :
       {"A01", "A02", "A03", "A04", "A05", "A08", "A11", "A13", "A31", "A40"}) {
    if (event == known) {
      return true;
    }
  }
  return false;
}

std::string join_words(std::initializer_list<std::string_view> parts, std::string_view between) {
  std::string text;
  for (std::string_view part : parts) {
    if (part.empty()) {
      continue;
    }
    if (!text.empty()) {
      text += between;
    }
    text += part;
  }
  return text;
}

// Where a timestamp without an offset is placed: the feed's zone.
std::optional<Timestamp> instant_of(const hl7::DateTime& time, std::string_view zone) {
  if (auto utc = time.utc()) {
    return utc;
  }
  const auto days = std::chrono::floor<std::chrono::days>(time.local);
  const std::chrono::year_month_day date{std::chrono::local_days(days)};
  const std::chrono::hh_mm_ss clock{time.local - days};
  LocalTime local{static_cast<int>(date.year()),
                  static_cast<int>(unsigned(date.month())),
                  static_cast<int>(unsigned(date.day())),
                  static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count())};
  auto placed = local_to_utc(local, zone);
  if (!placed) {
    return std::nullopt;
  }
  return *placed + std::chrono::duration_cast<std::chrono::microseconds>(clock.subseconds());
}

class Reader {
 public:
  Reader(const hl7::Message& message, std::string_view zone) : message_(message), zone_(zone) {}

  // A text value of at most kMaxFieldBytes, or a refusal.
  Result<Sent> text(const hl7::Segment& segment, std::size_t field, std::string value) const {
    if (message_.is_null(segment, field)) {
      return Sent(std::string());
    }
    if (value.empty()) {
      return Sent();
    }
    if (value.size() > kMaxFieldBytes) {
      return error(Code::kInvalidArgument,
                   fmt::format("{}-{} is over {} bytes", segment.name(), field, kMaxFieldBytes));
    }
    return Sent(std::move(value));
  }

  std::string value(const hl7::Segment& segment, std::size_t field, std::size_t repetition = 1,
                    std::size_t component = 1, std::size_t subcomponent = 1) const {
    return message_.value(segment, field, repetition, component, subcomponent);
  }

  // A CX list (PID-3, MRG-1): value ^ ... ^ assigning authority (4) ^ type (5).
  Result<std::vector<Identifier>> identifiers(const hl7::Segment& segment,
                                              std::size_t field) const {
    std::vector<Identifier> list;
    const std::size_t count = message_.repetition_count(segment, field);
    for (std::size_t repetition = 1; repetition <= count; ++repetition) {
      Identifier identifier{value(segment, field, repetition, 1),
                            value(segment, field, repetition, 4),
                            value(segment, field, repetition, 5), ""};
      if (identifier.value.empty()) {
        continue;
      }
      if (identifier.value.size() > kMaxFieldBytes ||
          identifier.authority.size() > kMaxFieldBytes || identifier.type.size() > 20) {
        return error(Code::kInvalidArgument, fmt::format("{}-{} has an identifier over {} bytes",
                                                         segment.name(), field, kMaxFieldBytes));
      }
      if (list.size() == kMaxIdentifiers) {
        return error(Code::kInvalidArgument, fmt::format("{}-{} has over {} identifiers",
                                                         segment.name(), field, kMaxIdentifiers));
      }
      list.push_back(std::move(identifier));
    }
    return list;
  }

  // A DTM as RFC 3339 text; a value that is not a time is ignored with a note.
  Sent instant(const hl7::Segment& segment, std::size_t field,
               std::vector<std::string>& notes) const {
    if (message_.is_null(segment, field)) {
      return Sent(std::string());
    }
    const std::string text = value(segment, field);
    if (text.empty()) {
      return Sent();
    }
    const auto parsed = hl7::parse_datetime(text);
    const auto at = parsed ? instant_of(*parsed, zone_) : std::nullopt;
    if (!at) {
      notes.push_back(fmt::format("{}-{} ignored: not a date and time", segment.name(), field));
      return Sent();
    }
    return Sent(format_rfc3339(*at));
  }

  // A date of birth: YYYY-MM-DD (or YYYY-MM, YYYY when the sender gave no more).
  Sent birth_date(const hl7::Segment& segment, std::size_t field,
                  std::vector<std::string>& notes) const {
    if (message_.is_null(segment, field)) {
      return Sent(std::string());
    }
    const std::string text = value(segment, field);
    if (text.empty()) {
      return Sent();
    }
    const auto parsed = hl7::parse_datetime(text);
    if (!parsed) {
      notes.push_back(fmt::format("{}-{} ignored: not a date", segment.name(), field));
      return Sent();
    }
    const auto days = std::chrono::floor<std::chrono::days>(parsed->local);
    const std::chrono::year_month_day date{std::chrono::local_days(days)};
    const int year = static_cast<int>(date.year());
    const unsigned month = unsigned(date.month());
    const unsigned day = unsigned(date.day());
    switch (parsed->precision) {
      case hl7::DateTimePrecision::kYear:
        return Sent(fmt::format("{:04}", year));
      case hl7::DateTimePrecision::kMonth:
        return Sent(fmt::format("{:04}-{:02}", year, month));
      default:
        return Sent(fmt::format("{:04}-{:02}-{:02}", year, month, day));
    }
  }

 private:
  const hl7::Message& message_;
  std::string_view zone_;
};

// Reads what an ADT message says. The header was checked already.
std::variant<Said, Refusal> read_adt(const hl7::Message& message, std::string_view zone,
                                     Timestamp now) {
  Said said;
  said.event = message.header().trigger_event;
  const Reader reader(message, zone);
  const std::optional<hl7::DateTime>& evn = message.header().event_time;
  const std::optional<hl7::DateTime>& msh = message.header().time;
  std::optional<Timestamp> event_time;
  if (evn) {
    event_time = instant_of(*evn, zone);
  }
  if (!event_time && msh) {
    event_time = instant_of(*msh, zone);
  }
  said.event_time = event_time.value_or(now);

  const hl7::Segment* pid = message.segment("PID");
  if (pid == nullptr) {
    return failed(kRequiredFieldMissing, "the message has no PID segment");
  }
  auto identifiers = reader.identifiers(*pid, 3);
  if (!identifiers) {
    return failed(kDataTypeError, identifiers.error().message());
  }
  said.identifiers = std::move(*identifiers);
  if (said.identifiers.empty()) {
    return failed(kRequiredFieldMissing, "PID-3 holds no patient identifier");
  }
  // PID-5 (XPN): family & ... ^ given ^ middle ^ suffix ^ prefix.
  const std::string name =
      join_words({reader.value(*pid, 5, 1, 1),
                  join_words({reader.value(*pid, 5, 1, 2), reader.value(*pid, 5, 1, 3)}, " ")},
                 ", ");
  auto sent_name = reader.text(*pid, 5, name);
  auto sent_sex = reader.text(*pid, 8, reader.value(*pid, 8));
  if (!sent_name || !sent_sex) {
    return failed(kDataTypeError, (!sent_name ? sent_name : sent_sex).error().message());
  }
  said.name = *sent_name;
  said.sex = *sent_sex;
  said.date_of_birth = reader.birth_date(*pid, 7, said.notes);

  if (const hl7::Segment* pv1 = message.segment("PV1")) {
    said.has_visit = true;
    // PV1-3 (PL): point of care ^ room ^ bed.
    const std::string room = reader.value(*pv1, 3, 1, 2);
    const std::string bed = reader.value(*pv1, 3, 1, 3);
    const std::string location =
        join_words({reader.value(*pv1, 3, 1, 1), room.empty() ? "" : "room " + room,
                    bed.empty() ? "" : "bed " + bed},
                   ", ");
    // PV1-7 (XCN): id ^ family ^ given ^ middle ^ suffix ^ prefix ^ degree.
    const std::string person =
        join_words({reader.value(*pv1, 7, 1, 6), reader.value(*pv1, 7, 1, 3),
                    reader.value(*pv1, 7, 1, 4), reader.value(*pv1, 7, 1, 2)},
                   " ");
    const std::string degree = reader.value(*pv1, 7, 1, 7);
    const std::string attending =
        degree.empty() || person.empty() ? person : person + ", " + degree;
    auto sent_location = reader.text(*pv1, 3, location);
    auto sent_attending = reader.text(*pv1, 7, attending);
    if (!sent_location || !sent_attending) {
      return failed(kDataTypeError,
                    (!sent_location ? sent_location : sent_attending).error().message());
    }
    said.location = *sent_location;
    said.attending = *sent_attending;
    said.visit = Identifier{reader.value(*pv1, 19, 1, 1), reader.value(*pv1, 19, 1, 4), "", ""};
    if (said.visit.value.size() > kMaxFieldBytes || said.visit.authority.size() > kMaxFieldBytes) {
      return failed(kDataTypeError, fmt::format("PV1-19 is over {} bytes", kMaxFieldBytes));
    }
    said.admitted_at = reader.instant(*pv1, 44, said.notes);
    said.discharged_at = reader.instant(*pv1, 45, said.notes);
  }
  if (said.event == "A40") {
    const hl7::Segment* mrg = message.segment("MRG");
    if (mrg == nullptr) {
      return failed(kRequiredFieldMissing, "an A40 needs an MRG segment");
    }
    auto prior = reader.identifiers(*mrg, 1);
    if (!prior) {
      return failed(kDataTypeError, prior.error().message());
    }
    said.prior = std::move(*prior);
    if (said.prior.empty()) {
      return failed(kRequiredFieldMissing, "MRG-1 holds no prior patient identifier");
    }
  }
  return said;
}

// Writes `text` into a field of a message with the standard delimiters |^~\&.
std::string escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '|':
        out += "\\F\\";
        break;
      case '^':
        out += "\\S\\";
        break;
      case '&':
        out += "\\T\\";
        break;
      case '~':
        out += "\\R\\";
        break;
      case '\\':
        out += "\\E\\";
        break;
      case '\r':
      case '\n':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string hl7_time(Timestamp at) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(at);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss clock{seconds - days};
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}+0000", static_cast<int>(date.year()),
                     unsigned(date.month()), unsigned(date.day()), clock.hours().count(),
                     clock.minutes().count(), clock.seconds().count());
}

// The ACK of a message (its header, when it could be read), as HL7 v2.5.1 section 2.9
// describes: MSH, MSA (code, the message's MSH-10, text), and for AE and AR an ERR.
std::string build_ack(const hl7::Header* header, const AdtOptions& options, Timestamp now,
                      std::string_view code, std::string_view hl7_code, std::string_view text) {
  const std::string version = header != nullptr && is_supported_version(header->version)
                                  ? header->version
                                  : std::string("2.5.1");
  const std::string trigger = header != nullptr ? escaped(header->trigger_event) : "";
  std::string ack = fmt::format(
      "MSH|^~\\&|{}|{}|{}|{}|{}||ACK^{}^ACK|{}|{}|{}\rMSA|{}|{}", escaped(options.application),
      escaped(options.facility), header ? escaped(header->sending_application) : "",
      header ? escaped(header->sending_facility) : "", hl7_time(now), trigger,
      crypto::random_token_hex(10),
      header && !header->processing_id.empty() ? escaped(header->processing_id) : "P", version,
      code, header ? escaped(header->control_id) : "", escaped(text));
  ack += '\r';
  if (code != "AA") {
    // ERR-1 (error location and code) until v2.4; ERR-3 (code), ERR-4 (severity) and
    // ERR-8 (user message) from v2.5.
    if (version.starts_with("2.3") || version.starts_with("2.4")) {
      ack += fmt::format("ERR|^^^{}&{}&HL70357\r", hl7_code, escaped(text));
    } else {
      ack += fmt::format("ERR|||{}^{}^HL70357|E||||{}\r", hl7_code, escaped(text), escaped(text));
    }
  }
  return ack;
}

std::string_view outcome_of_refusal(const Refusal& refusal) {
  return refusal.ack_code == "AR" ? "rejected" : "error";
}

}  // namespace

// One message on its way: what was received, and how often it was decided.
struct AdtService::Work {
  std::string payload;
  std::function<void(Result<AdtResult>)> done;
  Timestamp received_at;
  int attempts = 0;
  std::string raw_record;    // The seal record of the stored text (kept across attempts).
  std::string replay_token;  // A replay: the stored message's control token.
};

// What a message comes to: a change to write (with the message's record), or nothing to
// write (a repeat of a message already applied).
struct AdtService::Decision {
  std::optional<hl7::Message> message;  // Unset when the text could not be parsed.
  std::optional<ChangePatient> change;
  std::string outcome;
  std::string ack_code = "AA";
  std::string_view hl7_code;
  std::string text;
  std::string message_type;
};

AdtService::AdtService(Committer& committer, PatientStore& store, PatientService& patients,
                       KeyRing& keys, AuditLog& audit, Bus& bus, const Clock& clock,
                       AdtOptions options, std::function<void(std::function<void()>)> post)
    : committer_(committer),
      store_(store),
      patients_(patients),
      keys_(keys),
      audit_(audit),
      bus_(bus),
      clock_(clock),
      options_(std::move(options)),
      post_(std::move(post)) {}

void AdtService::receive(std::string payload, std::function<void(Result<AdtResult>)> done) {
  auto work = std::make_shared<Work>();
  work->payload = std::move(payload);
  work->done = std::move(done);
  work->received_at = clock_.now();
  work->raw_record = fields::new_seal_record("hl7");
  attempt(std::move(work));
}

Result<AdtResult> AdtService::receive_and_wait(std::string payload) {
  std::promise<Result<AdtResult>> promise;
  auto future = promise.get_future();
  receive(std::move(payload),
          [&promise](Result<AdtResult> result) { promise.set_value(std::move(result)); });
  return future.get();
}

void AdtService::attempt(std::shared_ptr<Work> work) {
  ++work->attempts;
  auto decided = decide(*work);
  if (!decided) {
    work->done(std::unexpected(decided.error()));
    return;
  }
  auto decision = std::make_shared<Decision>(std::move(*decided));
  const hl7::Header* header = decision->message ? &decision->message->header() : nullptr;
  if (!decision->change) {
    work->done(AdtResult{build_ack(header, options_, clock_.now(), decision->ack_code,
                                   decision->hl7_code, decision->text),
                         decision->ack_code, decision->outcome, decision->text, PatientId(), 0});
    return;
  }
  WriteBatch batch;
  const std::size_t changed = batch.add(std::move(*decision->change));
  decision->change.reset();
  const bool applied = decision->ack_code == "AA";
  batch.audit(AuditDraft{clock_.now(), options_.org, UserId(), DeviceId(), "hl7.adt", "",
                         applied ? "ok" : "refused", ""},
              [changed, decision](AuditDraft& draft, const std::vector<MutationResult>& results) {
                const auto& written = std::get<PatientWritten>(results.at(changed));
                draft.target = written.patient.is_set()
                                   ? fmt::format("patient:{}", written.patient.value())
                                   : fmt::format("hl7:{}", written.message_id);
                draft.detail = fmt::format("{} message:{} outcome={}", decision->message_type,
                                           written.message_id, decision->outcome);
                return true;
              });
  committer_.commit(
      std::move(batch), publish_to(bus_),
      [this, work, decision, changed](Result<BatchResult> committed) {
        if (!committed && committed.error().code() == Code::kAborted &&
            work->attempts < options_.max_attempts) {
          post_([this, work] { attempt(work); });  // Changed since it was read.
          return;
        }
        if (!committed) {
          work->done(std::unexpected(committed.error()));
          return;
        }
        const auto& written = committed->result<PatientWritten>(changed);
        const hl7::Header* header = decision->message ? &decision->message->header() : nullptr;
        work->done(AdtResult{build_ack(header, options_, clock_.now(), decision->ack_code,
                                       decision->hl7_code, decision->text),
                             decision->ack_code, decision->outcome, decision->text, written.patient,
                             written.message_id});
      });
}

Result<AdtService::Decision> AdtService::decide(Work& work) {
  const OrgId org = options_.org;
  Decision decision;
  Hl7Message record;
  record.org_id = org;
  record.seal_record = work.raw_record;
  record.received_at = work.received_at;
  record.raw_sealed =
      WL_TRY(fields::seal(keys_, org, work.raw_record, "raw", hl7::to_valid_utf8(work.payload)));
  ChangePatient change;
  change.org = org;
  change.at = clock_.now();
  // Ends the decision with a refusal: only the message and its outcome are written.
  auto refuse = [&](Refusal refusal) -> Result<Decision> {
    decision.ack_code = refusal.ack_code;
    decision.hl7_code = refusal.hl7_code;
    decision.text = std::move(refusal.text);
    decision.outcome = std::string(outcome_of_refusal(refusal));
    if (record.control_token.empty() && !work.replay_token.empty()) {
      record.control_token = work.replay_token;
      const auto stored = WL_TRY(store_.find_hl7_message(org, work.replay_token));
      change.expect_attempts = stored ? stored->attempts : 0;
    } else if (record.control_token.empty()) {
      record.control_token = WL_TRY(keys_.blind_token(org, "hl7-unkeyed:" + work.raw_record));
    }
    record.message_type = decision.message_type;
    record.outcome = decision.outcome;
    record.ack_code = decision.ack_code;
    record.detail_sealed =
        WL_TRY(fields::seal(keys_, org, work.raw_record, "detail", decision.text));
    ChangePatient message_only;
    message_only.org = org;
    message_only.at = change.at;
    message_only.expect_attempts = change.expect_attempts;
    message_only.message = std::move(record);
    decision.change = std::move(message_only);
    return std::move(decision);
  };

  auto parsed = hl7::parse_message(work.payload);
  if (!parsed) {
    return refuse(rejected(kDataTypeError, "not an HL7 v2 message: " + parsed.error().message()));
  }
  decision.message = std::move(*parsed);
  const hl7::Message& message = *decision.message;
  const hl7::Header& header = message.header();
  if (header.message_code.size() <= 3 && header.trigger_event.size() <= 3) {
    decision.message_type = header.message_code + "^" + header.trigger_event;
  }
  if (header.control_id.empty() || header.control_id.size() > 199) {
    return refuse(rejected(kRequiredFieldMissing, "MSH-10 (message control id) is required"));
  }
  record.control_token =
      WL_TRY(keys_.blind_token(org, "hl7:" + header.sending_application + "|" +
                                        header.sending_facility + "|" + header.control_id));
  if (const auto previous = WL_TRY(store_.find_hl7_message(org, record.control_token))) {
    change.expect_attempts = previous->attempts;
    if (previous->ack_code == "AA") {
      decision.outcome = "duplicate";
      decision.text = "already received";
      return decision;  // Acknowledged again, never applied twice.
    }
  }
  if (!is_supported_version(header.version)) {
    return refuse(rejected(kUnsupportedVersion, "HL7 version '" + header.version.substr(0, 10) +
                                                    "' is not supported (2.3 to 2.8)"));
  }
  if (header.message_code != "ADT") {
    return refuse(rejected(kUnsupportedMessageType, "only ADT messages are accepted"));
  }
  if (!is_supported_event(header.trigger_event)) {
    return refuse(rejected(kUnsupportedEvent, "ADT event '" + header.trigger_event.substr(0, 3) +
                                                  "' is not supported"));
  }
  auto said_or_refusal = read_adt(message, options_.time_zone, change.at);
  if (auto* refusal = std::get_if<Refusal>(&said_or_refusal)) {
    return refuse(std::move(*refusal));
  }
  Said& said = std::get<Said>(said_or_refusal);
  const std::string& event = said.event;

  // Who the message is about: the one patient holding its PID-3 identifiers, if any.
  auto holder_of = [&](std::vector<Identifier>& identifiers) -> Result<std::vector<PatientId>> {
    std::vector<PatientId> holders;
    for (Identifier& identifier : identifiers) {
      identifier.token =
          WL_TRY(fields::identifier_token(keys_, org, identifier.authority, identifier.value));
      const auto held = WL_TRY(store_.find_identifier(org, identifier.token));
      const PatientId holder = held ? held->patient_id : PatientId();
      change.expect_identifiers.push_back({identifier.token, holder});
      if (holder.is_set() && std::find(holders.begin(), holders.end(), holder) == holders.end()) {
        holders.push_back(holder);
      }
    }
    return holders;
  };
  const std::vector<PatientId> holders = WL_TRY(holder_of(said.identifiers));
  if (holders.size() > 1) {
    return refuse(failed(kDuplicateKey,
                         "the identifiers in PID-3 belong to different patients: merge them with "
                         "an A40"));
  }
  PatientId subject = holders.empty() ? PatientId() : holders.front();
  if (said.event == "A40") {
    const std::vector<PatientId> prior = WL_TRY(holder_of(said.prior));
    if (prior.size() > 1) {
      return refuse(failed(kDuplicateKey, "the identifiers in MRG-1 belong to different patients"));
    }
    if (prior.empty()) {
      said.notes.push_back("MRG-1 names no known patient: nothing merged");
    } else if (!subject.is_set()) {
      subject = prior.front();  // The surviving identifiers are new: the patient takes them.
    } else if (prior.front() != subject) {
      change.merge_from = prior.front();
    }
  }
  const bool needs_patient = event == "A02" || event == "A03" || event == "A11" || event == "A13";
  if (!subject.is_set() && needs_patient) {
    return refuse(failed(kUnknownKey, "no patient holds the identifiers in PID-3"));
  }

  // The subject as stored, its visits, and in the clear what its search tokens are made of
  // (the banner's name, MRN and location).
  std::optional<Patient> stored;
  std::vector<Encounter> encounters;
  std::string name;
  std::string mrn;
  std::string location_before;
  if (subject.is_set()) {
    stored = WL_TRY(store_.find_patient(subject));
    change.expect_patients.push_back({stored->id.value(), stored->version});
    encounters = WL_TRY(store_.list_encounters(subject));
    auto unseal = [&](std::string_view field, std::string_view sealed) {
      return fields::open(keys_, org, stored->seal_record, field, sealed);
    };
    name = WL_TRY(unseal("name", stored->name_sealed));
    mrn = WL_TRY(unseal("mrn", stored->mrn_sealed));
    location_before = WL_TRY(unseal("location", stored->location_sealed));
    if (const Encounter* shown = fields::current_encounter(encounters)) {
      const std::string visit_location =
          WL_TRY(fields::open(keys_, org, shown->seal_record, "location", shown->location_sealed));
      location_before = visit_location.empty() ? location_before : visit_location;
    }
  }
  if (change.merge_from.is_set()) {
    const Patient merged = WL_TRY(store_.find_patient(change.merge_from));
    change.expect_patients.push_back({merged.id.value(), merged.version});
  }
  const std::string seal_record = stored ? stored->seal_record : fields::new_seal_record("patient");
  auto seal = [&](std::string_view record, std::string_view field, std::string_view value) {
    return fields::seal(keys_, org, record, field, value);
  };

  // Demographics, unless the patient holds a later message's.
  ChangePatient::PatientChange patient;
  patient.id = subject;
  patient.seal_record = seal_record;
  const bool demographics_stale = stored && stored->event_at && said.event_time < *stored->event_at;
  if (!demographics_stale) {
    if (said.name) {
      name = *said.name;
      patient.name_sealed = WL_TRY(seal(seal_record, "name", *said.name));
    }
    if (said.date_of_birth) {
      patient.dob_sealed = WL_TRY(seal(seal_record, "dob", *said.date_of_birth));
    }
    if (said.sex) {
      patient.sex_sealed = WL_TRY(seal(seal_record, "sex", *said.sex));
    }
    patient.event_at = said.event_time;
    // The banner's MRN: the first identifier of type MR, else the first.
    const auto primary = std::find_if(said.identifiers.begin(), said.identifiers.end(),
                                      [](const Identifier& one) { return one.type == "MR"; });
    const Identifier& shown =
        primary != said.identifiers.end() ? *primary : said.identifiers.front();
    if (!stored || stored->mrn_token != shown.token) {
      mrn = shown.value;
      patient.mrn_token = shown.token;
      patient.mrn_sealed = WL_TRY(seal(seal_record, "mrn", shown.value));
    }
  }
  for (const Identifier& identifier : said.identifiers) {
    const auto expected = std::find_if(
        change.expect_identifiers.begin(), change.expect_identifiers.end(),
        [&](const ChangePatient::IdentifierHolder& one) { return one.token == identifier.token; });
    if (expected->patient.is_set()) {
      continue;  // Held already (by the subject).
    }
    const std::string record = fields::identifier_record(identifier.token);
    change.identifiers.push_back(PatientIdentifier{
        identifier.token, PatientId(), WL_TRY(seal(record, "mrn", identifier.value)),
        WL_TRY(seal(record, "authority", identifier.authority)),
        WL_TRY(seal(record, "type", identifier.type))});
  }

  // The visit.
  std::string location = location_before;
  bool visit_stale = false;
  const bool visit_event = event != "A31" && event != "A40" && (event != "A08" || said.has_visit);
  if (visit_event) {
    if (!said.has_visit && event != "A11" && event != "A13") {
      return refuse(failed(kRequiredFieldMissing, "an ADT " + event + " needs a PV1 segment"));
    }
    std::optional<Encounter> encounter;
    std::string visit_token;
    if (!said.visit.value.empty()) {
      visit_token = WL_TRY(fields::visit_token(keys_, org, said.visit.authority, said.visit.value));
      encounter = WL_TRY(store_.find_encounter_by_visit(org, visit_token));
      if (encounter && encounter->patient_id != subject &&
          encounter->patient_id != change.merge_from) {
        return refuse(failed(kDuplicateKey, "PV1-19 is the visit number of another patient"));
      }
    } else if (subject.is_set()) {
      // No visit number: the patient's open visit (or, for an A13, the discharged one).
      for (const Encounter& one : encounters) {
        const bool open = one.state == EncounterState::kAdmitted ||
                          one.state == EncounterState::kRegistered ||
                          one.state == EncounterState::kPreadmitted;
        if (event == "A13" ? one.state == EncounterState::kDischarged : open) {
          encounter = one;
          break;
        }
      }
    }
    const bool opens = event == "A01" || event == "A04" || event == "A05";
    if (!encounter && !opens) {
      if (event == "A08") {
        said.notes.push_back("PV1 ignored: no such visit");
      } else {
        return refuse(failed(kUnknownKey, "the patient has no visit for this " + event));
      }
    } else {
      ChangePatient::EncounterChange visit;
      std::string visit_record;
      std::string visit_location;
      if (encounter) {
        visit.id = encounter->id;
        visit_record = encounter->seal_record;
        change.expect_encounters.push_back({encounter->id.value(), encounter->version});
        visit_stale = encounter->event_at && said.event_time < *encounter->event_at;
        visit_location =
            WL_TRY(fields::open(keys_, org, visit_record, "location", encounter->location_sealed));
      } else {
        visit_record = fields::new_seal_record("encounter");
        visit.seal_record = visit_record;
        visit.visit_token = visit_token;
        if (!visit_token.empty()) {
          change.expect_no_visit = ChangePatient::IdentifierHolder{visit_token, PatientId()};
        }
        visit.visit_sealed = WL_TRY(seal(visit_record, "visit", said.visit.value));
      }
      const EncounterState state = encounter ? encounter->state : EncounterState::kAdmitted;
      if (event == "A11" && state != EncounterState::kAdmitted &&
          state != EncounterState::kRegistered && state != EncounterState::kPreadmitted) {
        return refuse(failed(kUnknownKey, "the visit to cancel is not open"));
      }
      if (event == "A13" && state != EncounterState::kDischarged) {
        return refuse(failed(kUnknownKey, "the visit is not discharged"));
      }
      if (event == "A02" && (!said.location || said.location->empty())) {
        return refuse(failed(kRequiredFieldMissing, "an A02 needs the new location in PV1-3"));
      }
      if (!visit_stale) {
        visit.event_at = said.event_time;
        if (event == "A01") {
          visit.state = EncounterState::kAdmitted;
        } else if (event == "A04") {
          visit.state = EncounterState::kRegistered;
        } else if (event == "A05" && !encounter) {
          visit.state = EncounterState::kPreadmitted;
        } else if (event == "A03") {
          visit.state = EncounterState::kDischarged;
          visit.state_before_discharge = state;
          visit.discharged_at_sealed =
              WL_TRY(seal(visit_record, "discharged_at",
                          said.discharged_at && !said.discharged_at->empty()
                              ? *said.discharged_at
                              : format_rfc3339(said.event_time)));
        } else if (event == "A11") {
          visit.state = EncounterState::kCancelled;
        } else if (event == "A13") {
          visit.state = encounter->state_before_discharge;
          visit.discharged_at_sealed = std::string();
        }
        if (said.location && event != "A03" && event != "A11") {
          location = *said.location;
          visit.location_sealed = WL_TRY(seal(visit_record, "location", *said.location));
          if (!said.location->empty() && *said.location != visit_location) {
            visit.moved_to = EncounterLocation{
                0, WL_TRY(seal(visit_record, "moved_location", *said.location)),
                WL_TRY(seal(visit_record, "moved_at", format_rfc3339(said.event_time)))};
          }
        }
        if (said.attending) {
          visit.attending_sealed = WL_TRY(seal(visit_record, "attending", *said.attending));
        }
        if (said.admitted_at) {
          visit.admitted_at_sealed = WL_TRY(seal(visit_record, "admitted_at", *said.admitted_at));
        } else if (!encounter && event == "A01") {
          visit.admitted_at_sealed =
              WL_TRY(seal(visit_record, "admitted_at", format_rfc3339(said.event_time)));
        }
        if (event == "A03" || event == "A11") {
          location = location_before;
        }
        change.encounter = std::move(visit);
      } else {
        said.notes.push_back("the visit holds a later message's state: not changed");
      }
    }
  }

  const bool stale = demographics_stale && (!visit_event || visit_stale) &&
                     !change.merge_from.is_set() && change.identifiers.empty();
  if (demographics_stale) {
    said.notes.push_back("the patient holds a later message's demographics: not changed");
  }
  if (!stale) {
    change.patient = std::move(patient);
    change.search_tokens = WL_TRY(fields::search_tokens(keys_, org, {name, mrn, location}));
  } else if (!subject.is_set()) {
    return error(Code::kInternal, "a stale message about no patient");
  }
  record.message_type = decision.message_type;
  decision.outcome = stale ? "stale" : "applied";
  record.outcome = decision.outcome;
  record.ack_code = "AA";
  record.patient_id = subject;
  std::string detail;
  for (const std::string& note : said.notes) {
    detail += detail.empty() ? note : "; " + note;
  }
  decision.text = std::string(utf8_prefix(detail, kMaxDetailBytes));
  record.detail_sealed = WL_TRY(seal(work.raw_record, "detail", decision.text));
  change.message = std::move(record);
  decision.change = std::move(change);
  return decision;
}

Result<AdtResult> AdtService::replay(const Principal& actor, std::int64_t id) {
  const Hl7Message message = WL_TRY(patients_.hl7_message_for(actor, id, "hl7.replay"));
  if (message.org_id != options_.org) {
    return error(Code::kFailedPrecondition, "this server's HL7 feed is another org's");
  }
  auto work = std::make_shared<Work>();
  work->payload =
      WL_TRY(fields::open(keys_, options_.org, message.seal_record, "raw", message.raw_sealed));
  work->received_at = message.received_at;
  work->raw_record = message.seal_record;
  work->replay_token = message.control_token;
  std::promise<Result<AdtResult>> promise;
  auto future = promise.get_future();
  work->done = [&promise](Result<AdtResult> result) { promise.set_value(std::move(result)); };
  attempt(work);
  Result<AdtResult> result = future.get();
  WL_TRY(audit_.record(audit_draft(actor, clock_.now(), "hl7.replay", fmt::format("hl7:{}", id),
                                   result ? "ok" : "failed",
                                   result ? "outcome=" + result->outcome : "")));
  return result;
}

}  // namespace wl
