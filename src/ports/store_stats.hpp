#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace wl {

/// Cumulative counters of a Store's writer since the store was opened, for the load
/// benchmark (`wardline bench run` reads them before and after its measured window
/// and divides by the messages sent; the server serves them only with
/// `serve --bench-limits`). The counters are relaxed atomics: a reading taken while
/// writes run may be a batch behind, which a window of thousands of batches does not
/// notice. Fields an adapter cannot count are nullopt.
struct StoreStats {
  std::string adapter;  // "sqlite" or "postgresql".
  // Write batches committed: one durable flush of the log each (SQLite's WAL fsync
  // with synchronous=FULL; PostgreSQL's WAL flush at COMMIT).
  std::uint64_t commits = 0;
  // Rows inserted, updated or deleted by the statements of committed batches (SQLite
  // counts trigger rows too; a rolled-back savepoint's rows still count).
  std::uint64_t rows_written = 0;
  // Time spent in the batches' COMMITs (the durable flush, and on PostgreSQL the round
  // trip with the statements deferred before it), in microseconds.
  std::uint64_t commit_micros = 0;
  // Writes waiting for the writer now, not counting the batch it is writing (a gauge).
  std::uint64_t queued_writes = 0;
  // SQLite: pages the writer connection wrote to the WAL (SQLITE_DBSTATUS_CACHE_WRITE).
  std::optional<std::uint64_t> pages_written;
  // SQLite: WAL frames the checkpointer copied into the database file, and the
  // checkpoints that copied any.
  std::optional<std::uint64_t> checkpoint_pages;
  std::optional<std::uint64_t> checkpoints;
  // SQLite: fsyncs, estimated as one per commit plus two per checkpoint that copied
  // pages (the WAL before copying, the database file after).
  std::optional<std::uint64_t> syncs_estimated;
  // PostgreSQL, for the whole cluster (every database and process of it): WAL bytes
  // generated (pg_current_wal_lsn) and WAL fsyncs (pg_stat_wal.wal_sync, which
  // backends report about once a second).
  std::optional<std::uint64_t> wal_bytes;
  std::optional<std::uint64_t> wal_syncs;
  // PostgreSQL: statements the writer's connection sent, and the round trips they took
  // (a pipeline of deferred statements with the query behind it is one).
  std::optional<std::uint64_t> statements;
  std::optional<std::uint64_t> round_trips;
};

}  // namespace wl
