// RoutingStore on SQLite: roles, shifts and sign-ins.
#include "adapters/common/routing_rows.hpp"
#include "adapters/common/scoped_events.hpp"
#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"
#include "adapters/sqlite/sqlite_store.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

namespace {

// Fails with NotFound (naming `what`) unless row `id` of `table` belongs to `org`.
Result<void> require_of_org(Connection& connection, OrgRow table, std::int64_t id, OrgId org,
                            std::string_view what) {
  // Static statements: they key the connection's statement cache.
  const char* sql = table == OrgRow::kOrg    ? "SELECT id FROM orgs WHERE id = ?1"
                    : table == OrgRow::kRole ? "SELECT org_id FROM roles WHERE id = ?1"
                                             : "SELECT org_id FROM users WHERE id = ?1";
  auto select = WL_TRY(connection.prepare(sql, "check org"));
  select.bind(1, id);
  if (!WL_TRY(select.step()) || select.column_int64(0) != org.value()) {
    return error(Code::kNotFound, std::string(what) + " not found");
  }
  return ok();
}

Result<void> require_role_fallbacks(Connection& connection, const Role& role) {
  return detail::require_fallbacks_of_org(
      role, [&connection](OrgRow row, std::int64_t id, OrgId org, std::string_view what) {
        return require_of_org(connection, row, id, org, what);
      });
}

// Binds a role's fields to ?2 to ?8 of its insert or update; ?8 is when it is written.
void bind_role(Statement& statement, const Role& role, Timestamp at) {
  statement.bind(2, static_cast<std::int64_t>(role.kind))
      .bind_text(3, role.name)
      .bind_text(4, role_name_key(role.name))
      .bind_text(5, role.description)
      .bind(8, at);
  bind_optional_id(statement, 6, role.fallback_role);
  bind_optional_id(statement, 7, role.fallback_user);
}

Result<Role> load_role(Connection& connection, RoleId id) {
  auto select = WL_TRY(
      connection.prepare("SELECT " WL_ROLE_COLUMNS " FROM roles WHERE id = ?1", "find role"));
  select.bind(1, id.value());
  return single_row<Role>(select, read_role, "role");
}

// Appends the kOnCallChanged of `role` unless the batch has one already.
Result<void> announce_on_call(WriteContext& context, OrgId org, RoleId role, UserId actor,
                              Timestamp at) {
  if (on_call_notice_pending(*context.events, role)) {
    return ok();
  }
  WL_TRY(insert_scoped_event(context, EventKind::kOnCallChanged, org, UserId(), actor, UserId(), at,
                             role));
  return ok();
}

Result<std::optional<Shift>> find_shift_by_key(Connection& connection, OrgId org,
                                               std::string_view key) {
  auto select = WL_TRY(connection.prepare("SELECT " WL_SHIFT_COLUMNS
                                          " FROM shifts WHERE org_id = ?1 AND source_key = ?2",
                                          "find shift"));
  select.bind(1, org.value()).bind_text(2, key);
  if (!WL_TRY(select.step())) {
    return std::optional<Shift>();
  }
  return std::optional<Shift>(read_shift(select));
}

}  // namespace

// ---- Roles ----

Result<Role> detail::apply(WriteContext& context, const CreateRole& mutation) {
  Role role = mutation.role;
  role.id = RoleId();
  WL_TRY(check_role(role));
  WL_TRY(require_of_org(context.connection, OrgRow::kOrg, role.org_id.value(), role.org_id, "org"));
  WL_TRY(require_role_fallbacks(context.connection, role));
  role.updated_at = role.created_at;
  auto insert = WL_TRY(context.connection.prepare(
      "INSERT INTO roles (org_id, kind, name, name_key, description, fallback_role, "
      "fallback_user, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
      "create role"));
  insert.bind(1, role.org_id.value());
  bind_role(insert, role, role.created_at);
  WL_TRY(insert.run());
  role.id = RoleId(context.connection.last_insert_id());
  WL_TRY(insert_scoped_event(context, EventKind::kRoleChanged, role.org_id, UserId(),
                             mutation.actor, UserId(), role.created_at, role.id));
  return role;
}

Result<Role> detail::apply(WriteContext& context, const UpdateRole& mutation) {
  const Role stored = WL_TRY(load_role(context.connection, mutation.role.id));
  if (stored.org_id != mutation.role.org_id) {
    return error(Code::kNotFound, "role not found");
  }
  Role role = mutation.role;
  role.created_at = stored.created_at;
  role.updated_at = mutation.at;
  WL_TRY(check_role(role));
  WL_TRY(require_role_fallbacks(context.connection, role));
  auto update = WL_TRY(context.connection.prepare(
      "UPDATE roles SET kind = ?2, name = ?3, name_key = ?4, description = ?5, "
      "fallback_role = ?6, fallback_user = ?7, updated_at = ?8 WHERE id = ?1",
      "update role"));
  update.bind(1, role.id.value());
  bind_role(update, role, role.updated_at);
  WL_TRY(update.run());
  WL_TRY(insert_scoped_event(context, EventKind::kRoleChanged, role.org_id, UserId(),
                             mutation.actor, UserId(), mutation.at, role.id));
  return role;
}

Result<Role> SqliteStore::find_role(RoleId id) {
  auto lease = read_pool_->acquire();
  return load_role(lease.connection(), id);
}

Result<Role> SqliteStore::find_role_by_name(OrgId org, std::string_view name) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_ROLE_COLUMNS " FROM roles WHERE org_id = ?1 AND name_key = ?2", "find role"));
  select.bind(1, org.value()).bind_text(2, role_name_key(name));
  return single_row<Role>(select, read_role, "role");
}

Result<std::vector<Role>> SqliteStore::list_roles(OrgId org) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_ROLE_COLUMNS " FROM roles WHERE org_id = ?1 ORDER BY name_key, id",
      "list roles"));
  select.bind(1, org.value());
  return all_rows<Role>(select, read_role);
}

// ---- Shifts ----

Result<ShiftSaved> detail::apply(WriteContext& context, const SaveShift& mutation) {
  Connection& connection = context.connection;
  Shift shift = mutation.shift;
  WL_TRY(check_shift(shift));
  WL_TRY(require_of_org(connection, OrgRow::kRole, shift.role_id.value(), shift.org_id, "role"));
  WL_TRY(require_of_org(connection, OrgRow::kUser, shift.user_id.value(), shift.org_id, "user"));
  std::optional<Shift> stored;
  if (shift.id.is_set()) {
    auto select = WL_TRY(
        connection.prepare("SELECT " WL_SHIFT_COLUMNS " FROM shifts WHERE id = ?1", "save shift"));
    select.bind(1, shift.id.value());
    stored = WL_TRY(single_row<Shift>(select, read_shift, "shift"));
    if (stored->org_id != shift.org_id) {
      return error(Code::kNotFound, "shift not found");
    }
    shift.source_key = stored->source_key;
  } else if (!shift.source_key.empty()) {
    stored = WL_TRY(find_shift_by_key(connection, shift.org_id, shift.source_key));
  }
  if (stored && same_shift(*stored, shift)) {
    return ShiftSaved{*stored, false, false};
  }
  ShiftSaved saved{shift, !stored, true};
  if (stored) {
    saved.shift.id = stored->id;
    auto update = WL_TRY(connection.prepare(
        "UPDATE shifts SET role_id = ?2, user_id = ?3, starts_at = ?4, ends_at = ?5, "
        "time_zone = ?6, updated_by = ?7, updated_at = ?8 WHERE id = ?1",
        "save shift"));
    update.bind(1, stored->id.value())
        .bind(2, shift.role_id.value())
        .bind(3, shift.user_id.value())
        .bind(4, shift.starts_at)
        .bind(5, shift.ends_at)
        .bind_text(6, shift.time_zone)
        .bind(8, shift.updated_at);
    bind_optional_id(update, 7, shift.updated_by);
    WL_TRY(update.run());
    if (stored->role_id != shift.role_id) {
      WL_TRY(announce_on_call(context, shift.org_id, stored->role_id, shift.updated_by,
                              shift.updated_at));
    }
  } else {
    auto insert = WL_TRY(connection.prepare(
        "INSERT INTO shifts (org_id, role_id, user_id, starts_at, ends_at, time_zone, "
        "source_key, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        "save shift"));
    insert.bind(1, shift.org_id.value())
        .bind(2, shift.role_id.value())
        .bind(3, shift.user_id.value())
        .bind(4, shift.starts_at)
        .bind(5, shift.ends_at)
        .bind_text(6, shift.time_zone)
        .bind_text_or_null(7, shift.source_key)
        .bind(9, shift.updated_at);
    bind_optional_id(insert, 8, shift.updated_by);
    WL_TRY(insert.run());
    saved.shift.id = ShiftId(connection.last_insert_id());
  }
  WL_TRY(
      announce_on_call(context, shift.org_id, shift.role_id, shift.updated_by, shift.updated_at));
  return saved;
}

Result<bool> detail::apply(WriteContext& context, const DeleteShift& mutation) {
  Connection& connection = context.connection;
  std::optional<Shift> stored;
  if (mutation.id.is_set()) {
    auto select = WL_TRY(connection.prepare(
        "SELECT " WL_SHIFT_COLUMNS " FROM shifts WHERE id = ?1 AND org_id = ?2", "delete shift"));
    select.bind(1, mutation.id.value()).bind(2, mutation.org.value());
    if (WL_TRY(select.step())) {
      stored = read_shift(select);
    }
  } else if (!mutation.source_key.empty()) {
    stored = WL_TRY(find_shift_by_key(connection, mutation.org, mutation.source_key));
  }
  if (!stored) {
    return false;
  }
  auto remove = WL_TRY(connection.prepare("DELETE FROM shifts WHERE id = ?1", "delete shift"));
  WL_TRY(remove.bind(1, stored->id.value()).run());
  WL_TRY(announce_on_call(context, mutation.org, stored->role_id, mutation.actor, mutation.at));
  return true;
}

Result<Shift> SqliteStore::find_shift(ShiftId id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_SHIFT_COLUMNS " FROM shifts WHERE id = ?1", "find shift"));
  select.bind(1, id.value());
  return single_row<Shift>(select, read_shift, "shift");
}

Result<std::vector<Shift>> SqliteStore::list_shifts(const ShiftQuery& query) {
  auto lease = read_pool_->acquire();
  // A shift lasts at most kMaxShiftLength, so one overlapping [from, to) started after
  // from - kMaxShiftLength: the index range to read.
  auto select =
      WL_TRY(lease.connection().prepare(
          "SELECT " WL_SHIFT_COLUMNS " FROM shifts WHERE org_id = ?1 "
          "AND (?2 IS NULL OR role_id = ?2) AND (?3 IS NULL OR user_id = ?3) "
          "AND starts_at < ?5 AND starts_at >= ?6 AND ends_at > ?4 "
          "ORDER BY starts_at, id LIMIT ?7",
          "list shifts"));
  select.bind(1, query.org.value())
      .bind(4, query.from)
      .bind(5, query.to)
      .bind(6, query.from - std::chrono::duration_cast<std::chrono::microseconds>(kMaxShiftLength))
      .bind(7, clamp_limit(query.limit));
  bind_optional_id(select, 2, query.role);
  bind_optional_id(select, 3, query.user);
  return all_rows<Shift>(select, read_shift);
}

// ---- Sign-ins ----

Result<bool> detail::apply(WriteContext& context, const SignInRole& mutation) {
  Connection& connection = context.connection;
  WL_TRY(require_of_org(connection, OrgRow::kRole, mutation.role.value(), mutation.org, "role"));
  WL_TRY(require_of_org(connection, OrgRow::kUser, mutation.user.value(), mutation.org, "user"));
  auto insert = WL_TRY(connection.prepare(
      "INSERT INTO role_sign_ins (role_id, user_id, org_id, since) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (role_id, user_id) DO NOTHING",
      "sign in to role"));
  WL_TRY(insert.bind(1, mutation.role.value())
             .bind(2, mutation.user.value())
             .bind(3, mutation.org.value())
             .bind(4, mutation.at)
             .run());
  if (connection.changes() == 0) {
    return false;
  }
  WL_TRY(announce_on_call(context, mutation.org, mutation.role, mutation.user, mutation.at));
  return true;
}

Result<bool> detail::apply(WriteContext& context, const SignOutRole& mutation) {
  auto remove = WL_TRY(context.connection.prepare(
      "DELETE FROM role_sign_ins WHERE role_id = ?1 AND user_id = ?2 AND org_id = ?3",
      "sign out of role"));
  WL_TRY(remove.bind(1, mutation.role.value())
             .bind(2, mutation.user.value())
             .bind(3, mutation.org.value())
             .run());
  if (context.connection.changes() == 0) {
    return false;
  }
  WL_TRY(announce_on_call(context, mutation.org, mutation.role, mutation.actor, mutation.at));
  return true;
}

Result<std::vector<RoleSignIn>> SqliteStore::list_sign_ins(OrgId org, RoleId role, UserId user) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT role_id, user_id, org_id, since FROM role_sign_ins WHERE org_id = ?1 "
      "AND (?2 IS NULL OR role_id = ?2) AND (?3 IS NULL OR user_id = ?3) "
      "ORDER BY role_id, user_id",
      "list sign-ins"));
  select.bind(1, org.value());
  bind_optional_id(select, 2, role);
  bind_optional_id(select, 3, user);
  return all_rows<RoleSignIn>(select, [](const Statement& row) {
    return RoleSignIn{RoleId(row.column_int64(0)), UserId(row.column_int64(1)),
                      OrgId(row.column_int64(2)), row.column_time(3)};
  });
}

Result<std::vector<RoleHolder>> SqliteStore::list_role_holders(RoleId role, Timestamp at) {
  auto lease = read_pool_->acquire();
  Connection& connection = lease.connection();
  ReadTransaction transaction(connection);
  WL_TRY(transaction.begin());
  auto shifts = WL_TRY(connection.prepare(
      "SELECT s.user_id, s.starts_at, s.ends_at, s.id FROM shifts s "
      "JOIN users u ON u.id = s.user_id WHERE s.role_id = ?1 AND s.starts_at <= ?2 "
      "AND s.starts_at > ?3 AND s.ends_at > ?2 AND u.disabled = 0 ORDER BY s.starts_at, s.id",
      "list role holders"));
  shifts.bind(1, role.value())
      .bind(2, at)
      .bind(3, at - std::chrono::duration_cast<std::chrono::microseconds>(kMaxShiftLength));
  const auto by_shift = WL_TRY(all_rows<RoleHolder>(shifts, [](const Statement& row) {
    return RoleHolder{UserId(row.column_int64(0)), HoldVia::kShift, row.column_time(1),
                      row.column_time(2), ShiftId(row.column_int64(3))};
  }));
  auto sign_ins = WL_TRY(connection.prepare(
      "SELECT r.user_id, r.since FROM role_sign_ins r JOIN users u ON u.id = r.user_id "
      "WHERE r.role_id = ?1 AND u.disabled = 0 ORDER BY r.user_id",
      "list role holders"));
  sign_ins.bind(1, role.value());
  const auto by_sign_in = WL_TRY(all_rows<RoleHolder>(sign_ins, [](const Statement& row) {
    return RoleHolder{UserId(row.column_int64(0)), HoldVia::kSignIn, row.column_time(1),
                      std::nullopt, ShiftId()};
  }));
  return merge_holders(by_shift, by_sign_in);
}

// ---- Escalation ----

Result<bool> detail::apply(WriteContext& context, const SetBackups& mutation) {
  Connection& connection = context.connection;
  WL_TRY(check_backups(mutation));
  WL_TRY(require_of_org(connection, OrgRow::kUser, mutation.user.value(), mutation.org, "user"));
  for (const Backup& step : mutation.chain) {
    WL_TRY(step.user.is_set() ? require_of_org(connection, OrgRow::kUser, step.user.value(),
                                               mutation.org, "backup user")
                              : require_of_org(connection, OrgRow::kRole, step.role.value(),
                                               mutation.org, "backup role"));
  }
  auto remove = WL_TRY(connection.prepare("DELETE FROM backups WHERE user_id = ?1", "set backups"));
  WL_TRY(remove.bind(1, mutation.user.value()).run());
  for (std::size_t i = 0; i < mutation.chain.size(); ++i) {
    auto insert = WL_TRY(connection.prepare(
        "INSERT INTO backups (user_id, position, backup_user, backup_role) VALUES (?1, ?2, ?3, ?4)",
        "set backups"));
    insert.bind(1, mutation.user.value()).bind(2, static_cast<std::int64_t>(i));
    bind_optional_id(insert, 3, mutation.chain[i].user);
    bind_optional_id(insert, 4, mutation.chain[i].role);
    WL_TRY(insert.run());
  }
  return true;
}

Result<bool> detail::apply(WriteContext& context, const SetEscalationPolicy& mutation) {
  const EscalationPolicy& policy = mutation.policy;
  WL_TRY(check_policy(policy));
  WL_TRY(require_of_org(context.connection, OrgRow::kOrg, policy.org_id.value(), policy.org_id,
                        "org"));
  auto upsert = WL_TRY(context.connection.prepare(
      "INSERT INTO escalation_policies (org_id, normal_after, urgent_after, realert_every, "
      "updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (org_id) DO UPDATE "
      "SET normal_after = ?2, urgent_after = ?3, realert_every = ?4, updated_by = ?5, "
      "updated_at = ?6",
      "set escalation policy"));
  upsert.bind(1, policy.org_id.value())
      .bind(2, static_cast<std::int64_t>(policy.normal_after.count()))
      .bind(3, static_cast<std::int64_t>(policy.urgent_after.count()))
      .bind(4, static_cast<std::int64_t>(policy.realert_every.count()))
      .bind(6, policy.updated_at);
  bind_optional_id(upsert, 5, policy.updated_by);
  WL_TRY(upsert.run());
  return true;
}

Result<std::vector<Backup>> SqliteStore::list_backups(UserId user) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT backup_user, backup_role FROM backups WHERE user_id = ?1 ORDER BY position",
      "list backups"));
  select.bind(1, user.value());
  return all_rows<Backup>(select, [](const Statement& row) {
    return Backup{UserId(row.column_int64(0)), RoleId(row.column_int64(1))};
  });
}

Result<EscalationPolicy> SqliteStore::find_escalation_policy(OrgId org) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT normal_after, urgent_after, realert_every, updated_by, updated_at "
      "FROM escalation_policies WHERE org_id = ?1",
      "find escalation policy"));
  select.bind(1, org.value());
  EscalationPolicy policy;
  policy.org_id = org;
  if (WL_TRY(select.step())) {
    policy.normal_after = std::chrono::seconds(select.column_int64(0));
    policy.urgent_after = std::chrono::seconds(select.column_int64(1));
    policy.realert_every = std::chrono::seconds(select.column_int64(2));
    policy.updated_by = UserId(select.column_int64(3));
    policy.updated_at = select.column_time(4);
  }
  return policy;
}

// ---- Availability ----

namespace {

AvailabilityPeriod read_availability(const Statement& row) {
  AvailabilityPeriod period;
  period.id = AvailabilityId(row.column_int64(0));
  period.org_id = OrgId(row.column_int64(1));
  period.user_id = UserId(row.column_int64(2));
  period.status = static_cast<Availability>(row.column_int64(3));
  period.starts_at = row.column_time(4);
  if (!row.column_is_null(5)) {
    period.ends_at = row.column_time(5);
  }
  period.set_by = UserId(row.column_int64(6));
  period.set_at = row.column_time(7);
  return period;
}

}  // namespace

Result<AvailabilityPeriod> detail::apply(WriteContext& context, const SetAvailability& mutation) {
  Connection& connection = context.connection;
  AvailabilityPeriod period = mutation.period;
  WL_TRY(check_availability(period));
  WL_TRY(require_of_org(connection, OrgRow::kUser, period.user_id.value(), period.org_id, "user"));
  // Periods this one replaces for good, and periods already over.
  auto prune = WL_TRY(connection.prepare(
      "DELETE FROM availability WHERE user_id = ?1 AND ((ends_at IS NOT NULL AND ends_at <= ?2) "
      "OR (?3 = 1 AND starts_at <= ?4))",
      "set availability"));
  const bool replaces = !period.ends_at && period.starts_at <= period.set_at;
  WL_TRY(prune.bind(1, period.user_id.value())
             .bind(2, period.set_at)
             .bind(3, static_cast<std::int64_t>(replaces ? 1 : 0))
             .bind(4, period.starts_at)
             .run());
  auto insert = WL_TRY(connection.prepare(
      "INSERT INTO availability (org_id, user_id, status, starts_at, ends_at, set_by, set_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      "set availability"));
  insert.bind(1, period.org_id.value())
      .bind(2, period.user_id.value())
      .bind(3, static_cast<std::int64_t>(period.status))
      .bind(4, period.starts_at)
      .bind(7, period.set_at);
  if (period.ends_at) {
    insert.bind(5, *period.ends_at);
  }
  bind_optional_id(insert, 6, period.set_by);
  WL_TRY(insert.run());
  period.id = AvailabilityId(connection.last_insert_id());
  WL_TRY(insert_scoped_event(context, EventKind::kAvailabilityChanged, period.org_id, UserId(),
                             period.set_by, period.user_id, period.set_at));
  return period;
}

Result<bool> detail::apply(WriteContext& context, const DeleteAvailability& mutation) {
  auto remove = WL_TRY(context.connection.prepare(
      "DELETE FROM availability WHERE id = ?1 AND user_id = ?2 AND org_id = ?3",
      "delete availability"));
  WL_TRY(remove.bind(1, mutation.id.value())
             .bind(2, mutation.user.value())
             .bind(3, mutation.org.value())
             .run());
  if (context.connection.changes() == 0) {
    return false;
  }
  WL_TRY(insert_scoped_event(context, EventKind::kAvailabilityChanged, mutation.org, UserId(),
                             mutation.actor, mutation.user, mutation.at));
  return true;
}

Result<std::vector<AvailabilityPeriod>> SqliteStore::list_availability(UserId user,
                                                                       Timestamp from) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT id, org_id, user_id, status, starts_at, ends_at, set_by, set_at FROM availability "
      "WHERE user_id = ?1 AND (ends_at IS NULL OR ends_at > ?2) ORDER BY starts_at, id",
      "list availability"));
  select.bind(1, user.value()).bind(2, from);
  return all_rows<AvailabilityPeriod>(select, read_availability);
}

Result<Forwarding> detail::apply(WriteContext& context, const SetForwarding& mutation) {
  Connection& connection = context.connection;
  const Forwarding& forwarding = mutation.forwarding;
  WL_TRY(check_forwarding(forwarding));
  WL_TRY(require_of_org(connection, OrgRow::kUser, forwarding.user_id.value(), forwarding.org_id,
                        "user"));
  WL_TRY(forwarding.to_user.is_set()
             ? require_of_org(connection, OrgRow::kUser, forwarding.to_user.value(),
                              forwarding.org_id, "user to forward to")
             : require_of_org(connection, OrgRow::kRole, forwarding.to_role.value(),
                              forwarding.org_id, "role to forward to"));
  auto upsert = WL_TRY(connection.prepare(
      "INSERT INTO forwarding (user_id, org_id, to_user, to_role, starts_at, ends_at, set_by, "
      "set_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (user_id) DO UPDATE SET "
      "org_id = excluded.org_id, to_user = excluded.to_user, to_role = excluded.to_role, "
      "starts_at = excluded.starts_at, ends_at = excluded.ends_at, set_by = excluded.set_by, "
      "set_at = excluded.set_at",
      "set forwarding"));
  upsert.bind(1, forwarding.user_id.value())
      .bind(2, forwarding.org_id.value())
      .bind(5, forwarding.starts_at)
      .bind(6, forwarding.ends_at)
      .bind(8, forwarding.set_at);
  bind_optional_id(upsert, 3, forwarding.to_user);
  bind_optional_id(upsert, 4, forwarding.to_role);
  bind_optional_id(upsert, 7, forwarding.set_by);
  WL_TRY(upsert.run());
  WL_TRY(insert_scoped_event(context, EventKind::kAvailabilityChanged, forwarding.org_id, UserId(),
                             forwarding.set_by, forwarding.user_id, forwarding.set_at));
  return forwarding;
}

Result<bool> detail::apply(WriteContext& context, const ClearForwarding& mutation) {
  auto remove = WL_TRY(context.connection.prepare(
      "DELETE FROM forwarding WHERE user_id = ?1 AND org_id = ?2", "clear forwarding"));
  WL_TRY(remove.bind(1, mutation.user.value()).bind(2, mutation.org.value()).run());
  if (context.connection.changes() == 0) {
    return false;
  }
  WL_TRY(insert_scoped_event(context, EventKind::kAvailabilityChanged, mutation.org, UserId(),
                             mutation.actor, mutation.user, mutation.at));
  return true;
}

namespace {

Forwarding read_forwarding(const Statement& row) {
  Forwarding forwarding;
  forwarding.user_id = UserId(row.column_int64(0));
  forwarding.org_id = OrgId(row.column_int64(1));
  forwarding.to_user = UserId(row.column_is_null(2) ? 0 : row.column_int64(2));
  forwarding.to_role = RoleId(row.column_is_null(3) ? 0 : row.column_int64(3));
  forwarding.starts_at = row.column_time(4);
  if (!row.column_is_null(5)) {
    forwarding.ends_at = row.column_time(5);
  }
  forwarding.set_by = UserId(row.column_is_null(6) ? 0 : row.column_int64(6));
  forwarding.set_at = row.column_time(7);
  return forwarding;
}

// The ids as a JSON array, for `IN (SELECT value FROM json_each(?))`: one statement
// whatever the count.
Result<std::string> json_ids(std::span<const UserId> users) {
  if (users.size() > RoutingStore::kMaxUsersPerRead) {
    return error(Code::kInvalidArgument, "too many users for one read");
  }
  std::string ids = "[";
  for (const UserId user : users) {
    ids += (ids.size() > 1 ? "," : "") + std::to_string(user.value());
  }
  return ids + "]";
}

}  // namespace

Result<std::optional<Forwarding>> SqliteStore::find_forwarding(UserId user) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT user_id, org_id, to_user, to_role, starts_at, ends_at, set_by, set_at "
      "FROM forwarding WHERE user_id = ?1",
      "find forwarding"));
  select.bind(1, user.value());
  if (!WL_TRY(select.step())) {
    return std::optional<Forwarding>();
  }
  return std::optional<Forwarding>(read_forwarding(select));
}

Result<std::vector<AvailabilityPeriod>> SqliteStore::list_availability_of(
    std::span<const UserId> users, Timestamp from) {
  const std::string ids = WL_TRY(json_ids(users));
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT id, org_id, user_id, status, starts_at, ends_at, set_by, set_at FROM availability "
      "WHERE user_id IN (SELECT value FROM json_each(?1)) AND (ends_at IS NULL OR ends_at > ?2) "
      "ORDER BY user_id, starts_at, id",
      "list availability"));
  select.bind_text(1, ids).bind(2, from);
  return all_rows<AvailabilityPeriod>(select, read_availability);
}

// ---- Gatekeepers ----

Result<bool> detail::apply(WriteContext& context, const SetGatekeepers& mutation) {
  Connection& connection = context.connection;
  WL_TRY(check_gatekeepers(mutation));
  WL_TRY(require_of_org(connection, OrgRow::kUser, mutation.user.value(), mutation.org, "user"));
  for (const UserId gatekeeper : mutation.gatekeepers) {
    WL_TRY(
        require_of_org(connection, OrgRow::kUser, gatekeeper.value(), mutation.org, "gatekeeper"));
  }
  auto remove =
      WL_TRY(connection.prepare("DELETE FROM gatekeepers WHERE user_id = ?1", "set gatekeepers"));
  WL_TRY(remove.bind(1, mutation.user.value()).run());
  for (std::size_t i = 0; i < mutation.gatekeepers.size(); ++i) {
    auto insert = WL_TRY(connection.prepare(
        "INSERT INTO gatekeepers (user_id, position, gatekeeper_id) VALUES (?1, ?2, ?3)",
        "set gatekeepers"));
    insert.bind(1, mutation.user.value())
        .bind(2, static_cast<std::int64_t>(i))
        .bind(3, mutation.gatekeepers[i].value());
    WL_TRY(insert.run());
  }
  WL_TRY(insert_scoped_event(context, EventKind::kAvailabilityChanged, mutation.org, UserId(),
                             mutation.actor, mutation.user, mutation.at));
  return true;
}

Result<std::vector<UserId>> SqliteStore::list_gatekeepers(UserId user) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT gatekeeper_id FROM gatekeepers WHERE user_id = ?1 ORDER BY position",
      "list gatekeepers"));
  select.bind(1, user.value());
  return all_rows<UserId>(select, [](const Statement& row) { return UserId(row.column_int64(0)); });
}

Result<std::vector<Gatekeeping>> SqliteStore::list_gatekeepers_of(std::span<const UserId> users) {
  const std::string ids = WL_TRY(json_ids(users));
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT user_id, gatekeeper_id FROM gatekeepers "
      "WHERE user_id IN (SELECT value FROM json_each(?1)) ORDER BY user_id, position",
      "list gatekeepers"));
  select.bind_text(1, ids);
  return all_rows<Gatekeeping>(select, [](const Statement& row) {
    return Gatekeeping{UserId(row.column_int64(0)), UserId(row.column_int64(1))};
  });
}

Result<std::vector<UserId>> SqliteStore::list_gatekept_by(UserId gatekeeper) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT user_id FROM gatekeepers WHERE gatekeeper_id = ?1 ORDER BY user_id",
      "list gatekept"));
  select.bind(1, gatekeeper.value());
  return all_rows<UserId>(select, [](const Statement& row) { return UserId(row.column_int64(0)); });
}

// ---- Hand-off notes ----

#define WL_HANDOFF_COLUMNS                                                                \
  "message_id, org_id, role_id, thread_id, message_seq, from_user, to_user, created_at, " \
  "accepted_at"

namespace {

HandOff read_handoff(const Statement& row) {
  HandOff handoff;
  handoff.message_id = EventId(row.column_int64(0));
  handoff.org_id = OrgId(row.column_int64(1));
  handoff.role_id = RoleId(row.column_int64(2));
  handoff.thread_id = ThreadId(row.column_int64(3));
  handoff.message_seq = row.column_int64(4);
  handoff.from_user = UserId(row.column_int64(5));
  handoff.to_user = UserId(row.column_int64(6));
  handoff.created_at = row.column_time(7);
  if (!row.column_is_null(8)) {
    handoff.accepted_at = row.column_time(8);
  }
  return handoff;
}

}  // namespace

Result<std::optional<HandOff>> detail::apply(WriteContext& context, const RecordHandOff& mutation) {
  Connection& connection = context.connection;
  const Event* appended = batch_message(*context.events, mutation.thread);
  if (appended == nullptr) {
    return std::optional<HandOff>();
  }
  if (WL_TRY(org_of_user(connection, mutation.to)) != appended->org_id) {
    return error(Code::kNotFound, "user not found");
  }
  const HandOff handoff{appended->id,    appended->org_id,     mutation.role,
                        mutation.thread, appended->seq,        appended->actor,
                        mutation.to,     appended->created_at, std::nullopt};
  auto insert = WL_TRY(connection.prepare("INSERT INTO handoffs (" WL_HANDOFF_COLUMNS
                                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL)",
                                          "record hand-off"));
  insert.bind(1, handoff.message_id.value())
      .bind(2, handoff.org_id.value())
      .bind(3, handoff.role_id.value())
      .bind(4, handoff.thread_id.value())
      .bind(5, handoff.message_seq)
      .bind(6, handoff.from_user.value())
      .bind(7, handoff.to_user.value())
      .bind(8, handoff.created_at);
  WL_TRY(insert.run());
  return std::optional<HandOff>(handoff);
}

Result<bool> detail::apply(WriteContext& context, const AcceptHandOff& mutation) {
  Connection& connection = context.connection;
  auto update = WL_TRY(connection.prepare(
      "UPDATE handoffs SET accepted_at = ?3 WHERE message_id = ?1 AND to_user = ?2 "
      "AND accepted_at IS NULL",
      "accept hand-off"));
  WL_TRY(update.bind(1, mutation.message.value())
             .bind(2, mutation.user.value())
             .bind(3, mutation.at)
             .run());
  if (connection.changes() > 0) {
    return true;
  }
  auto exists = WL_TRY(connection.prepare(
      "SELECT 1 FROM handoffs WHERE message_id = ?1 AND to_user = ?2", "accept hand-off"));
  exists.bind(1, mutation.message.value()).bind(2, mutation.user.value());
  if (!WL_TRY(exists.step())) {
    return error(Code::kNotFound, "no such hand-off note");
  }
  return error(Code::kAlreadyExists, "the hand-off note was accepted already");
}

Result<HandOff> SqliteStore::find_handoff(EventId message) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_HANDOFF_COLUMNS " FROM handoffs WHERE message_id = ?1", "find hand-off"));
  select.bind(1, message.value());
  return single_row<HandOff>(select, read_handoff, "hand-off note");
}

Result<std::vector<HandOff>> SqliteStore::list_pending_handoffs(UserId user, std::size_t limit) {
  auto lease = read_pool_->acquire();
  auto select =
      WL_TRY(lease.connection().prepare("SELECT " WL_HANDOFF_COLUMNS
                                        " FROM handoffs WHERE to_user = ?1 AND accepted_at IS NULL "
                                        "ORDER BY message_id LIMIT ?2",
                                        "list hand-offs"));
  select.bind(1, user.value()).bind(2, static_cast<std::int64_t>(limit));
  return all_rows<HandOff>(select, read_handoff);
}

Result<std::vector<Forwarding>> SqliteStore::list_forwarding_of(std::span<const UserId> users) {
  const std::string ids = WL_TRY(json_ids(users));
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT user_id, org_id, to_user, to_role, starts_at, ends_at, set_by, set_at "
      "FROM forwarding WHERE user_id IN (SELECT value FROM json_each(?1)) ORDER BY user_id",
      "list forwarding"));
  select.bind_text(1, ids);
  return all_rows<Forwarding>(select, read_forwarding);
}

}  // namespace wl
