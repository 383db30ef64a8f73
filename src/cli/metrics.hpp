#pragma once

#include <chrono>
#include <string>

#include "api/adt_endpoint.hpp"
#include "api/api_context.hpp"
#include "api/hub.hpp"
#include "core/metrics.hpp"
#include "net/mllp_server.hpp"
#include "net/server.hpp"
#include "ports/store.hpp"
#include "services/audit/audit_counts.hpp"

// What GET /metrics shows (docs/operations.md, "Monitoring"), gathered at each scrape
// from the counters the layers keep: the server's connections, the API's responses and
// sessions, the audit log's entries by action, the store's writer, the timers and the
// HL7 feed.
namespace wl::cli {

struct MetricsSources {
  const net::Server& server;
  api::ApiContext& api;
  api::Hub& hub;
  Store& store;
  const AuditCounts& audit;
  const DurationHistogram& timer_lateness;
  std::chrono::system_clock::time_point started_at;
  // The HL7 feed's listener and endpoint; null when the server takes no feed.
  const net::MllpServer* mllp = nullptr;
  const api::AdtEndpoint* adt = nullptr;
};

// The text of one scrape. Blocks briefly on the store (PostgreSQL reads its WAL
// statistics); call on a work-pool thread.
std::string render_metrics(const MetricsSources& sources);

}  // namespace wl::cli
