#pragma once

#include "ports/store.hpp"

namespace wl::testing {

// A Store whose every method fails with Internal("not used in this test"). Test fakes
// derive from it and override only the part of the port their unit uses, so a call to
// anything else shows up as a clear test failure. Shared by the keys and audit tests.
class NotUsedStore : public Store {
 public:
  std::string instance_id() const override { return "not-used"; }

  Result<Org> create_org(std::string_view, Timestamp) override { return not_used(); }
  Result<Org> find_org(OrgId) override { return not_used(); }
  Result<Org> find_org_by_name(std::string_view) override { return not_used(); }
  Result<std::vector<Org>> list_orgs() override { return not_used(); }
  Result<User> create_user(const NewUser&) override { return not_used(); }
  Result<User> find_user(UserId) override { return not_used(); }
  Result<User> find_user_by_name(OrgId, std::string_view) override { return not_used(); }
  Result<std::vector<User>> list_users(OrgId) override { return not_used(); }
  Result<void> set_password_hash(UserId, std::string_view) override { return not_used(); }
  Result<void> set_login_failures(UserId, int, std::optional<Timestamp>) override {
    return not_used();
  }
  Result<void> set_user_disabled(UserId, bool) override { return not_used(); }
  Result<void> set_pin_hash(UserId, std::string_view) override { return not_used(); }
  Result<void> set_org_idle_lock(OrgId, std::chrono::seconds) override { return not_used(); }
  Result<void> set_user_operator(UserId, bool) override { return not_used(); }
  Result<Device> create_device(UserId, std::string_view, Timestamp) override { return not_used(); }
  Result<Device> find_device(DeviceId) override { return not_used(); }
  Result<std::vector<Device>> list_devices(UserId) override { return not_used(); }
  Result<void> revoke_device(DeviceId, Timestamp) override { return not_used(); }
  Result<void> create_session(const Session&) override { return not_used(); }
  Result<Session> find_session(std::string_view) override { return not_used(); }
  Result<void> touch_session(std::string_view, Timestamp) override { return not_used(); }
  Result<void> revoke_session(std::string_view) override { return not_used(); }
  Result<void> lock_session(std::string_view) override { return not_used(); }
  Result<void> unlock_session(std::string_view, Timestamp) override { return not_used(); }
  Result<void> set_session_pin_failures(std::string_view, int) override { return not_used(); }
  Result<Patient> upsert_patient(const Patient&) override { return not_used(); }
  Result<Patient> find_patient(PatientId) override { return not_used(); }
  Result<std::vector<Patient>> list_patients(OrgId) override { return not_used(); }
  Result<ThreadCreated> create_thread(const NewThread&, const CommitHook&) override {
    return not_used();
  }
  Result<Thread> find_thread(ThreadId) override { return not_used(); }
  Result<std::vector<ThreadSummary>> list_threads_for_user(UserId) override { return not_used(); }
  Result<std::vector<Member>> list_members(ThreadId) override { return not_used(); }
  Result<bool> is_member(ThreadId, UserId) override { return not_used(); }
  Result<Event> add_member(ThreadId, UserId, UserId, Timestamp, const CommitHook&) override {
    return not_used();
  }
  Result<Event> remove_member(ThreadId, UserId, UserId, Timestamp, const CommitHook&) override {
    return not_used();
  }
  Result<Event> rename_thread(ThreadId, std::string_view, UserId, Timestamp,
                              const CommitHook&) override {
    return not_used();
  }
  Result<MessageAppended> append_message(const NewMessage&, const AuditDraft&,
                                         const CommitHook&) override {
    return not_used();
  }
  Result<std::vector<Event>> record_delivered(UserId, std::span<const EventId>, Timestamp,
                                              const CommitHook&) override {
    return not_used();
  }
  Result<std::optional<Event>> record_read(ThreadId, UserId, std::int64_t, Timestamp,
                                           const CommitHook&) override {
    return not_used();
  }
  Result<Event> find_event(EventId) override { return not_used(); }
  Result<std::vector<Event>> read_user_events(UserId, EventId, std::size_t) override {
    return not_used();
  }
  Result<EventId> last_event_id() override { return not_used(); }
  Result<std::vector<Event>> read_thread_messages(ThreadId, std::int64_t, std::size_t) override {
    return not_used();
  }
  Result<std::vector<Receipt>> list_receipts(EventId) override { return not_used(); }
  Result<HistoryReceipts> read_history_receipts(ThreadId, UserId, std::int64_t,
                                                std::int64_t) override {
    return not_used();
  }
  Result<void> put_data_key(const DataKeyRecord&) override { return not_used(); }
  Result<std::vector<DataKeyRecord>> list_data_keys() override { return not_used(); }
  Result<void> rewrap_data_keys(std::span<const DataKeyRecord>) override { return not_used(); }
  Result<std::vector<DeviceNameInClear>> list_device_names_in_clear(DeviceId,
                                                                    std::size_t) override {
    return not_used();
  }
  Result<void> seal_device_names(std::span<const SealedDeviceName>) override { return not_used(); }
  Result<std::vector<ClientIdInClear>> list_client_ids_in_clear(EventId, std::size_t) override {
    return not_used();
  }
  Result<void> seal_client_ids(std::span<const SealedClientId>) override { return not_used(); }
  Result<AuditEntry> append_audit(const AuditDraft&) override { return not_used(); }
  Result<std::vector<AuditEntry>> read_audit(std::int64_t, std::size_t) override {
    return not_used();
  }
  Result<void> put_audit_checkpoint(const AuditCheckpoint&) override { return not_used(); }
  Result<std::vector<AuditCheckpoint>> list_audit_checkpoints() override { return not_used(); }

 protected:
  static std::unexpected<Status> not_used() {
    return std::unexpected<Status>(Status(Code::kInternal, "not used in this test"));
  }
};

}  // namespace wl::testing
