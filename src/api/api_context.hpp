#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "api/refusal_audit.hpp"
#include "api/schedule_imports.hpp"
#include "core/metrics.hpp"
#include "ports/clock.hpp"
#include "ports/store_stats.hpp"
#include "services/audit/audit_log.hpp"
#include "services/callback/callback_service.hpp"
#include "services/directory/directory_service.hpp"
#include "services/identity/identity_service.hpp"
#include "services/identity/rate_limiter.hpp"
#include "services/keys/key_ring.hpp"
#include "services/messaging/messaging_service.hpp"
#include "services/patients/patient_service.hpp"
#include "services/providers/provider_service.hpp"
#include "services/quick_notes/quick_note_service.hpp"
#include "services/routing/routing_service.hpp"

namespace wl {
class AdtService;
}  // namespace wl

namespace wl::api {

class Hub;
class WorkPool;

struct ApiOptions {
  std::size_t event_page = 200;                    // Events per replay read.
  std::size_t pending_replies_limit = 1024;        // Replies held while a client's queue is full.
  std::chrono::milliseconds hello_timeout{10000};  // From upgrade to a valid hello.
  std::size_t queued_sends_limit = 256;            // Sends waiting behind the one in flight.
  std::size_t acks_in_flight_limit = 64;           // Ack writes not yet committed.
  double login_per_ip_per_second = 1.0;
  double login_per_ip_burst = 30;
  double login_per_user_per_second = 0.2;
  double login_per_user_burst = 10;
  double sends_per_user_per_second = 200;
  double sends_per_user_burst = 400;
  double org_key_rotations_per_second = 1.0 / 60;  // Per org.
  double org_key_rotations_burst = 3;
  double kek_rotations_per_second = 1.0 / 600;  // For the whole server.
  double kek_rotations_burst = 2;
  double refusal_audits_per_source_per_second = 1;  // Audited refusals (RefusalAudit).
  double refusal_audits_per_source_burst = 20;
};

// What the routes and sessions count, for /metrics (docs/operations.md, "Monitoring").
// Relaxed atomics: any thread adds, a scrape reads.
struct ApiCounts {
  static constexpr std::size_t kStatuses = 600;
  static constexpr std::size_t kCodes = static_cast<std::size_t>(Code::kSessionLocked) + 1;
  std::array<std::atomic<std::uint64_t>, kStatuses> http_responses{};  // By HTTP status.
  std::array<std::atomic<std::uint64_t>, kCodes> ws_errors{};          // `error` frames, by Code.
  std::atomic<std::uint64_t> slow_consumer_closes{0};                  // Closed 1008: fell behind.
  std::atomic<std::uint64_t> dropped_frames{0};      // Droppable frames (typing) not sent.
  std::atomic<std::uint64_t> messages_delivered{0};  // Receipts recorded from devices' acks.
  // From a message's commit to the ack of a device it was streamed to.
  DurationHistogram delivery_lag;

  void add_response(int status) {
    if (status >= 0 && static_cast<std::size_t>(status) < kStatuses) {
      http_responses[static_cast<std::size_t>(status)].fetch_add(1, std::memory_order_relaxed);
    }
  }
  void add_error(Code code) {
    const auto index = static_cast<std::size_t>(code);
    if (index < kCodes) {
      ws_errors[index].fetch_add(1, std::memory_order_relaxed);
    }
  }
};

// Everything the HTTP routes and WebSocket sessions use. Owned by the server's
// composition root (cli/serve); outlives every connection.
struct ApiContext {
  IdentityService& identity;
  DirectoryService& directory;
  MessagingService& messaging;
  PatientService& patients;
  RoutingService& routing;
  ProviderService& providers;
  CallbackService& callbacks;
  QuickNoteService& quick_notes;
  KeyRing& keys;
  AuditLog& audit;
  Hub& hub;
  WorkPool& pool;
  const Clock& clock;
  std::string store_instance_id;
  ApiOptions options;
  RateLimiter login_per_ip;
  RateLimiter login_per_user;
  RateLimiter sends_per_user;
  RateLimiter org_key_rotations;
  RateLimiter kek_rotations;
  RefusalAudit refusals;
  ScheduleImports imports;
  // The SHA-256 of the server's admin token (Access::kAdminToken), set by the
  // composition root before serving; empty: every admin-token route is refused.
  std::string admin_token_sha256;
  // The store's counters for GET /bench/store-stats (docs/benchmarks.md), set by the
  // composition root only for `serve --bench-limits`; empty: that path is 404. Called
  // on a work-pool thread; may block briefly.
  std::function<StoreStats()> bench_store_stats;
  // GET /metrics: renders the text at each scrape (on a work-pool thread), and the
  // SHA-256 of the token a scraper presents as a bearer token, set by the composition
  // root for `serve --metrics-token-file`; either empty: that path is 404.
  std::function<std::string()> metrics;
  std::string metrics_token_sha256;
  // GET /healthz reports the free space of the file system this is on (empty: none).
  std::filesystem::path data_dir;
  // The HL7 ADT feed, set by the composition root when `serve` takes one (/hl7/messages).
  wl::AdtService* adt = nullptr;
  ApiCounts counts;

  ApiContext(IdentityService& identity_service, DirectoryService& directory_service,
             MessagingService& messaging_service, PatientService& patient_service,
             RoutingService& routing_service, ProviderService& provider_service,
             CallbackService& callback_service, QuickNoteService& quick_note_service,
             KeyRing& key_ring, AuditLog& audit_log, Hub& event_hub, WorkPool& work_pool,
             const Clock& clock_source, std::string instance_id, ApiOptions api_options)
      : identity(identity_service),
        directory(directory_service),
        messaging(messaging_service),
        patients(patient_service),
        routing(routing_service),
        providers(provider_service),
        callbacks(callback_service),
        quick_notes(quick_note_service),
        keys(key_ring),
        audit(audit_log),
        hub(event_hub),
        pool(work_pool),
        clock(clock_source),
        store_instance_id(std::move(instance_id)),
        options(api_options),
        login_per_ip(clock_source, api_options.login_per_ip_per_second,
                     api_options.login_per_ip_burst),
        login_per_user(clock_source, api_options.login_per_user_per_second,
                       api_options.login_per_user_burst),
        sends_per_user(clock_source, api_options.sends_per_user_per_second,
                       api_options.sends_per_user_burst),
        org_key_rotations(clock_source, api_options.org_key_rotations_per_second,
                          api_options.org_key_rotations_burst),
        kek_rotations(clock_source, api_options.kek_rotations_per_second,
                      api_options.kek_rotations_burst),
        refusals(audit_log, work_pool, clock_source,
                 api_options.refusal_audits_per_source_per_second,
                 api_options.refusal_audits_per_source_burst),
        imports(routing_service, work_pool) {}
};

}  // namespace wl::api
