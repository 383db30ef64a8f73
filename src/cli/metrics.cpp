#include "cli/metrics.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

namespace wl::cli {
namespace {

// The process's resident memory, from /proc/self/statm (0 if it cannot be read).
double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  long resident = 0;
  if (!(statm >> pages >> resident)) {
    return 0;
  }
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

// Open file descriptors: sockets, the store's files, logs.
double open_descriptors() {
  std::error_code ec;
  double count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++count;
  }
  return count;
}

void write_connections(MetricsText& out, const net::ServerCounts& counts, api::Hub& hub) {
  out.gauge("wardline_connections_open", "TCP connections open now (TLS and plain redirects).",
            static_cast<double>(counts.open_connections));
  out.gauge("wardline_tls_handshakes_in_progress",
            "Connections accepted whose TLS handshake has not finished.",
            static_cast<double>(counts.open_handshakes));
  out.gauge("wardline_websocket_sessions", "WebSocket sessions open now.",
            static_cast<double>(hub.connection_count()));
  out.gauge("wardline_websocket_queued_frames",
            "Frames waiting in the WebSockets' outgoing queues now (each bounded by "
            "ws-queue-frames): clients or a network that cannot keep up.",
            static_cast<double>(counts.ws_queued_frames));
  out.counter("wardline_connections_accepted_total", "TCP connections accepted within the caps.",
              static_cast<double>(counts.connections_accepted));
  out.counter("wardline_connections_refused_total",
              "TCP connections closed at once for being over a connection or handshake cap.",
              static_cast<double>(counts.connections_refused));
  out.family("wardline_tls_handshakes_total", "counter", "TLS handshakes, by result.");
  out.sample("wardline_tls_handshakes_total", {{"result", "ok"}},
             static_cast<double>(counts.tls_handshakes));
  out.sample("wardline_tls_handshakes_total", {{"result", "failed"}},
             static_cast<double>(counts.tls_handshake_failures));
}

void write_api(MetricsText& out, const api::ApiCounts& counts) {
  out.family("wardline_http_responses_total", "counter", "HTTPS responses, by status.");
  for (std::size_t status = 100; status < counts.http_responses.size(); ++status) {
    const std::uint64_t count = counts.http_responses[status].load(std::memory_order_relaxed);
    if (count > 0) {
      out.sample("wardline_http_responses_total", {{"status", fmt::format("{}", status)}},
                 static_cast<double>(count));
    }
  }
  out.family("wardline_websocket_errors_total", "counter",
             "WebSocket error frames sent, by code (docs/protocol.md).");
  for (std::size_t code = 1; code < counts.ws_errors.size(); ++code) {
    const std::uint64_t count = counts.ws_errors[code].load(std::memory_order_relaxed);
    if (count > 0) {
      out.sample("wardline_websocket_errors_total", {{"code", code_name(static_cast<Code>(code))}},
                 static_cast<double>(count));
    }
  }
  out.counter("wardline_messages_delivered_total",
              "Messages newly delivered to a recipient's device (receipts from its acks).",
              static_cast<double>(counts.messages_delivered.load(std::memory_order_relaxed)));
  counts.delivery_lag.write(out, "wardline_delivery_lag_seconds",
                            "From a message's commit to the delivery receipt of a recipient "
                            "device it was streamed to (time offline included).");
  out.counter("wardline_websocket_slow_consumer_closes_total",
              "WebSocket sessions closed (1008) for falling too far behind.",
              static_cast<double>(counts.slow_consumer_closes.load(std::memory_order_relaxed)));
  out.counter("wardline_websocket_dropped_frames_total",
              "Droppable frames (typing notices) not sent to a full or not yet streaming session.",
              static_cast<double>(counts.dropped_frames.load(std::memory_order_relaxed)));
}

void write_audit(MetricsText& out, const AuditCounts& audit) {
  out.family("wardline_audit_entries_total", "counter",
             "Audit entries written since start, by action and outcome: sign-ins "
             "(login), messages sent (message.send), every refusal (outcome denied).");
  for (const AuditCounts::Count& count : audit.snapshot()) {
    out.sample("wardline_audit_entries_total",
               {{"action", count.action}, {"outcome", count.outcome}},
               static_cast<double>(count.count));
  }
}

void write_store(MetricsText& out, const StoreStats& stats) {
  out.family("wardline_store_info", "gauge", "The store adapter in use.");
  out.sample("wardline_store_info", {{"adapter", stats.adapter}}, 1);
  out.counter("wardline_store_commits_total",
              "Write batches committed: one durable flush of the log each.",
              static_cast<double>(stats.commits));
  out.counter("wardline_store_rows_written_total", "Rows the committed batches wrote.",
              static_cast<double>(stats.rows_written));
  out.counter("wardline_store_commit_seconds_total",
              "Time spent committing (the durable flush); divided by commits, the mean.",
              static_cast<double>(stats.commit_micros) / 1e6);
  out.gauge("wardline_store_queued_writes", "Writes waiting for the writer now.",
            static_cast<double>(stats.queued_writes));
  if (stats.checkpoints) {
    out.counter("wardline_store_checkpoints_total",
                "SQLite WAL checkpoints that copied pages into the database file.",
                static_cast<double>(*stats.checkpoints));
  }
  if (stats.pages_written) {
    out.counter("wardline_store_wal_pages_written_total", "SQLite pages written to the WAL.",
                static_cast<double>(*stats.pages_written));
  }
  if (stats.round_trips) {
    out.counter("wardline_store_round_trips_total",
                "PostgreSQL round trips of the writer's connection.",
                static_cast<double>(*stats.round_trips));
  }
}

// The HL7 feed: its MLLP connections and frames (net) and its messages' ACKs and
// outcomes (the ADT endpoint).
void write_hl7(MetricsText& out, const net::MllpCounts& mllp, const api::AdtCounts& adt) {
  out.gauge("wardline_mllp_connections_open", "MLLP connections open now.",
            static_cast<double>(mllp.open_connections));
  out.counter("wardline_mllp_connections_accepted_total",
              "MLLP connections accepted within the caps.",
              static_cast<double>(mllp.connections_accepted));
  out.counter("wardline_mllp_connections_refused_total",
              "MLLP connections closed at once for being over the cap in all or per address.",
              static_cast<double>(mllp.connections_refused));
  out.counter("wardline_mllp_tls_handshake_failures_total",
              "MLLP over TLS: handshakes that failed.",
              static_cast<double>(mllp.tls_handshake_failures));
  out.counter("wardline_mllp_frames_received_total",
              "Complete MLLP frames received (each an HL7 message handed on).",
              static_cast<double>(mllp.frames_received));
  out.family("wardline_mllp_frame_errors_total", "counter",
             "MLLP frames lost, by reason: oversize and malformed close the connection; "
             "truncated: the peer closed inside a frame.");
  out.sample("wardline_mllp_frame_errors_total", {{"reason", "oversize"}},
             static_cast<double>(mllp.oversize_frames));
  out.sample("wardline_mllp_frame_errors_total", {{"reason", "malformed"}},
             static_cast<double>(mllp.framing_errors - mllp.oversize_frames));
  out.sample("wardline_mllp_frame_errors_total", {{"reason", "truncated"}},
             static_cast<double>(mllp.truncated_frames));
  out.family("wardline_mllp_acks_total", "counter", "HL7 ACKs sent back, by MSA-1 code.");
  out.sample("wardline_mllp_acks_total", {{"code", "AA"}}, static_cast<double>(adt.acks_accepted));
  out.sample("wardline_mllp_acks_total", {{"code", "AE"}}, static_cast<double>(adt.acks_error));
  out.sample("wardline_mllp_acks_total", {{"code", "AR"}}, static_cast<double>(adt.acks_rejected));
  out.family("wardline_hl7_messages_total", "counter",
             "HL7 messages received over MLLP, by outcome (docs/protocol.md, section 17).");
  const std::pair<std::string_view, std::uint64_t> outcomes[] = {{"applied", adt.applied},
                                                                 {"duplicate", adt.duplicate},
                                                                 {"stale", adt.stale},
                                                                 {"error", adt.error},
                                                                 {"rejected", adt.rejected}};
  for (const auto& [outcome, count] : outcomes) {
    out.sample("wardline_hl7_messages_total", {{"outcome", outcome}}, static_cast<double>(count));
  }
  out.counter("wardline_hl7_messages_unacknowledged_total",
              "HL7 messages left without an ACK (not stored, or the work queue was full): "
              "the sender resends them.",
              static_cast<double>(adt.unacknowledged));
}

}  // namespace

std::string render_metrics(const MetricsSources& sources) {
  MetricsText out;
  out.gauge("wardline_start_time_seconds", "When this server started, in Unix time.",
            std::chrono::duration<double>(sources.started_at.time_since_epoch()).count());
  out.gauge("wardline_process_resident_bytes", "Resident memory of the server process.",
            resident_bytes());
  out.gauge("wardline_process_open_fds", "Open file descriptors of the server process.",
            open_descriptors());
  write_connections(out, sources.server.counts(), sources.hub);
  write_api(out, sources.api.counts);
  write_audit(out, sources.audit);
  write_store(out, sources.store.stats());
  sources.timer_lateness.write(out, "wardline_timer_lateness_seconds",
                               "How late each durable timer's work committed, from its due "
                               "time (escalations, re-alerts, reminders, releases).");
  if (sources.mllp != nullptr && sources.adt != nullptr) {
    write_hl7(out, sources.mllp->counts(), sources.adt->counts());
  }
  return out.text();
}

}  // namespace wl::cli
