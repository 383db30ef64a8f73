#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ports/store.hpp"

namespace wl {

namespace detail::pg {
class ReadPool;
class Writer;
}  // namespace detail::pg

struct PostgresOptions {
  // Connections for reads.
  std::size_t read_connections = 4;
  // Most writes committed in one transaction.
  std::size_t max_batch = 512;
  // How often a batch is run again after a deadlock or serialization failure (another
  // store holding rows it needs) before its writes fail with Unavailable.
  int max_attempts = 10;
  // How long the writer waits, after a commit, for older transactions of other stores
  // to end before it calls the batch's CommitHooks (docs/storage.md, "Stream
  // positions"); past it the hooks run anyway and a warning is logged.
  std::chrono::milliseconds horizon_wait{5000};
  // Whether the store claims an audit chain to append to (docs/audit_chain.md,
  // "Chains"). A store opened only to read and verify the log claims none; appending
  // an audit entry through it then fails.
  bool claim_audit_chain = true;
};

/// The scale-out Store (docs/storage.md, "PostgreSQL"): one PostgreSQL database that
/// several stores, in several processes or nodes, may write at once. Writes go through
/// one writer thread per store that group-commits (one transaction per batch, each
/// write in its own savepoint) on its own connection; reads use a small pool of
/// connections. Sequences, idempotency keys, uniqueness keys, timer claims and the
/// audit chain rely on the database's constraints and row locks, never on this
/// process's state.
///
/// Thread-safe: every method may be called from any thread, and blocks (see Store).
class PostgresStore final : public Store {
 public:
  /// Connects to the database named by `conninfo` (a libpq connection string or
  /// postgresql:// URI), applies schema migrations (once, under an advisory lock, if
  /// several stores open at once) and starts the writer thread.
  /// Errors: InvalidArgument for an empty chainer; Unavailable if the database cannot
  /// be reached; FailedPrecondition if its schema is newer than this build.
  [[nodiscard]] static Result<std::unique_ptr<PostgresStore>> open(std::string conninfo,
                                                                   AuditChainer chainer,
                                                                   PostgresOptions options = {});

  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;
  /// Finishes queued writes, then closes the connections. No call may be in progress.
  ~PostgresStore() override;

  std::string instance_id() const override;
  StoreStats stats() override;

  Result<Org> find_org(OrgId id) override;
  Result<Org> find_org_by_name(std::string_view name) override;
  Result<std::vector<Org>> list_orgs() override;

  Result<User> find_user(UserId id) override;
  Result<User> find_user_by_name(OrgId org, std::string_view username) override;
  Result<std::vector<User>> list_users(OrgId org) override;

  Result<std::optional<OrgScreen>> find_org_screen(OrgId org) override;
  Result<std::int64_t> directory_version(OrgId org) override;

  Result<std::vector<StoredPhone>> list_user_phones(UserId user) override;
  Result<std::vector<StoredPhone>> list_org_phones(OrgId org) override;
  Result<std::vector<UserId>> list_thread_peers(UserId user) override;

  Result<std::vector<QuickNote>> list_quick_notes(OrgId org, UserId owner) override;
  Result<QuickNote> find_quick_note(std::int64_t id) override;

  Result<Device> find_device(DeviceId id) override;
  Result<std::vector<Device>> list_devices(UserId user) override;

  Result<Session> find_session(std::string_view token_hash) override;

  void commit(WriteBatch batch, CommitHook hook, WriteDone<BatchResult> done) override;

  Result<std::vector<Timer>> claim_due_timers(Timestamp now, std::chrono::microseconds lease,
                                              std::size_t limit) override;
  Result<std::optional<Timestamp>> next_timer_due() override;
  Result<Timer> find_timer(std::string_view kind, std::string_view key) override;

  Result<Patient> find_patient(PatientId id) override;
  Result<std::vector<Patient>> list_patients(OrgId org) override;
  Result<std::optional<PatientIdentifier>> find_identifier(OrgId org,
                                                           const std::string& token) override;
  Result<std::vector<PatientIdentifier>> list_identifiers(PatientId patient) override;
  Result<std::optional<Encounter>> find_encounter_by_visit(OrgId org,
                                                           const std::string& token) override;
  Result<std::vector<Encounter>> list_encounters(PatientId patient) override;
  Result<std::vector<EncounterLocation>> list_locations(EncounterId encounter) override;
  Result<std::vector<Patient>> search_inpatients(OrgId org, const std::vector<std::string>& tokens,
                                                 std::size_t limit) override;
  Result<std::optional<Hl7Message>> find_hl7_message(OrgId org,
                                                     const std::string& control_token) override;
  Result<Hl7Message> get_hl7_message(OrgId org, std::int64_t id) override;
  Result<std::vector<Hl7Message>> list_hl7_messages(const Hl7MessageFilter& filter) override;

  Result<Role> find_role(RoleId id) override;
  Result<Role> find_role_by_name(OrgId org, std::string_view name) override;
  Result<std::vector<Role>> list_roles(OrgId org) override;
  Result<Shift> find_shift(ShiftId id) override;
  Result<std::vector<Shift>> list_shifts(const ShiftQuery& query) override;
  Result<std::vector<RoleSignIn>> list_sign_ins(OrgId org, RoleId role, UserId user) override;
  Result<std::vector<RoleHolder>> list_role_holders(RoleId role, Timestamp at) override;
  Result<std::vector<Backup>> list_backups(UserId user) override;
  Result<EscalationPolicy> find_escalation_policy(OrgId org) override;
  Result<std::vector<AvailabilityPeriod>> list_availability(UserId user, Timestamp from) override;
  Result<std::optional<Forwarding>> find_forwarding(UserId user) override;
  Result<std::vector<AvailabilityPeriod>> list_availability_of(std::span<const UserId> users,
                                                               Timestamp from) override;
  Result<std::vector<Forwarding>> list_forwarding_of(std::span<const UserId> users) override;
  Result<std::vector<UserId>> list_gatekeepers(UserId user) override;
  Result<std::vector<Gatekeeping>> list_gatekeepers_of(std::span<const UserId> users) override;
  Result<std::vector<UserId>> list_gatekept_by(UserId gatekeeper) override;
  Result<HandOff> find_handoff(EventId message) override;
  Result<std::vector<HandOff>> list_pending_handoffs(UserId user, std::size_t limit) override;

  Result<Provider> find_provider(std::int64_t npi) override;
  Result<std::vector<Provider>> search_providers(const ProviderQuery& query) override;
  Result<std::vector<TaxonomyCode>> find_taxonomies(const std::vector<std::string>& codes) override;
  Result<std::vector<TaxonomyCode>> search_taxonomies(std::string_view folded_text,
                                                      std::size_t limit) override;
  Result<std::vector<ProviderInvitation>> list_invitations(ThreadId thread) override;

  Result<Thread> find_thread(ThreadId id) override;
  Result<std::vector<ThreadSummary>> list_threads_for_user(UserId user) override;
  Result<std::vector<Member>> list_members(ThreadId thread) override;
  Result<bool> is_member(ThreadId thread, UserId user) override;

  Result<Event> find_event(EventId id) override;
  Result<std::vector<Event>> read_thread_routing(ThreadId thread, std::int64_t from_seq,
                                                 std::int64_t to_seq) override;
  Result<Event> find_message_by_client_token(UserId sender, std::string_view token) override;
  Result<std::vector<Event>> search_messages(const MessageQuery& query) override;
  Result<EventId> search_backfill_position() override;
  Result<std::vector<Event>> list_unindexed_messages(std::size_t limit) override;
  Result<HeldMessage> find_held(HeldId id) override;
  Result<HeldMessage> find_held_by_token(UserId sender, std::string_view client_token) override;
  Result<std::vector<HeldMessage>> list_held_for(UserId recipient, std::optional<HeldState> state,
                                                 std::size_t limit) override;
  Result<std::vector<HeldMessage>> list_held_in(ThreadId thread, UserId sender,
                                                std::size_t limit) override;
  Result<std::vector<Event>> read_user_events(UserId user, StreamPosition after,
                                              std::size_t limit) override;
  Result<StreamPosition> stream_head() override;
  Result<std::vector<Event>> read_thread_messages(ThreadId thread, std::int64_t before_seq,
                                                  std::size_t limit) override;
  Result<std::vector<Receipt>> list_receipts(EventId message) override;
  Result<HistoryReceipts> read_history_receipts(ThreadId thread, UserId sender,
                                                std::int64_t from_seq,
                                                std::int64_t to_seq) override;

  Result<void> put_data_key(const DataKeyRecord& key) override;
  Result<std::vector<DataKeyRecord>> list_data_keys() override;
  Result<void> rewrap_data_keys(std::span<const DataKeyRecord> keys) override;

  Result<std::vector<DeviceNameInClear>> list_device_names_in_clear(DeviceId after,
                                                                    std::size_t limit) override;
  Result<void> seal_device_names(std::span<const SealedDeviceName> names) override;
  Result<std::vector<ClientIdInClear>> list_client_ids_in_clear(EventId after,
                                                                std::size_t limit) override;
  Result<void> seal_client_ids(std::span<const SealedClientId> ids) override;

  std::int64_t audit_chain() const override;
  Result<std::vector<std::int64_t>> list_audit_chains() override;
  Result<AuditEntry> append_audit(const AuditDraft& draft) override;
  void append_audit_async(AuditDraft draft, WriteDone<AuditEntry> done) override;
  Result<std::vector<AuditEntry>> read_audit(std::int64_t after, std::size_t limit) override;
  Result<std::vector<AuditEntry>> read_audit_chain(std::int64_t chain, std::int64_t after,
                                                   std::size_t limit) override;
  Result<void> put_audit_checkpoint(const AuditCheckpoint& checkpoint) override;
  Result<std::vector<AuditCheckpoint>> list_audit_checkpoints() override;

  /// Test hooks: while paused, writes queue up (their callers block) and run as one
  /// batch after resume. queued_writes_for_test() counts waiting writes;
  /// write_batches_for_test() counts committed or failed batches since open.
  void pause_writes_for_test();
  void resume_writes_for_test();
  std::size_t queued_writes_for_test();
  std::uint64_t write_batches_for_test();

 private:
  PostgresStore() = default;

  template <typename T, typename Body>
  Result<T> write(const CommitHook* hook, Body body, bool ahead = false);
  // Queues body as a write and returns; done(result) runs on the writer thread after
  // the commit (or at once if the store is stopping).
  template <typename T, typename Body>
  void write_async(CommitHook hook, Body body, WriteDone<T> done,
                   std::chrono::milliseconds max_wait = std::chrono::milliseconds(0),
                   bool ahead = false);

  // Destroyed in reverse order: the writer finishes first, then the readers close.
  std::unique_ptr<detail::pg::ReadPool> read_pool_;
  std::unique_ptr<detail::pg::Writer> writer_;
  std::string instance_id_;
  std::int64_t audit_chain_ = 0;
};

}  // namespace wl
