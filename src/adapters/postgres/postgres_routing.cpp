// RoutingStore on PostgreSQL: roles, shifts and sign-ins.
#include "adapters/common/routing_rows.hpp"
#include "adapters/common/scoped_events.hpp"
#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"
#include "adapters/postgres/postgres_store.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals
using detail::OrgRow;

namespace {

// Fails with NotFound (naming `what`) unless row `id` of `table` belongs to `org`.
Result<void> require_of_org(PgConnection& connection, OrgRow table, std::int64_t id, OrgId org,
                            std::string_view what) {
  // Static statements: they key the connection's statement cache.
  const char* sql = table == OrgRow::kOrg    ? "SELECT id FROM orgs WHERE id = $1"
                    : table == OrgRow::kRole ? "SELECT org_id FROM roles WHERE id = $1"
                                             : "SELECT org_id FROM users WHERE id = $1";
  const PgResult row = WL_TRY(connection.query(sql, Params().add(id), "check org"));
  const bool of_org = row.rows() == 1 && row.int64(0, 0) == org.value();
  WL_TRY(row.check());
  if (!of_org) {
    return error(Code::kNotFound, std::string(what) + " not found");
  }
  return ok();
}

Result<void> require_role_fallbacks(PgConnection& connection, const Role& role) {
  return detail::require_fallbacks_of_org(
      role, [&connection](OrgRow row, std::int64_t id, OrgId org, std::string_view what) {
        return require_of_org(connection, row, id, org, what);
      });
}

// A role's insert or update parameters: $1 is `first` (the org, or the role's id), $2
// to $8 its fields, $8 when it is written.
Params role_params(std::int64_t first, const Role& role, Timestamp at) {
  Params params;
  params.add(first)
      .add(static_cast<std::int64_t>(role.kind))
      .add_text(role.name)
      .add_text(detail::role_name_key(role.name))
      .add_text(role.description)
      .add_id_or_null(role.fallback_role)
      .add_id_or_null(role.fallback_user)
      .add(at);
  return params;
}

Result<Role> load_role(PgConnection& connection, RoleId id, bool for_update) {
  const PgResult role = WL_TRY(connection.query(
      for_update ? "SELECT " WL_PG_ROLE_COLUMNS " FROM roles WHERE id = $1 FOR UPDATE"
                 : "SELECT " WL_PG_ROLE_COLUMNS " FROM roles WHERE id = $1",
      Params().add(id), "find role"));
  return single_row<Role>(role, read_role, "role");
}

// Appends the kOnCallChanged of `role` unless the batch has one already.
Result<void> announce_on_call(WriteContext& context, OrgId org, RoleId role, UserId actor,
                              Timestamp at) {
  if (detail::on_call_notice_pending(*context.events, role)) {
    return ok();
  }
  WL_TRY(insert_scoped_event(context, EventKind::kOnCallChanged, org, UserId(), actor, UserId(), at,
                             role));
  return ok();
}

// The org's shift of `key`, locked until the transaction ends.
Result<std::optional<Shift>> lock_shift_by_key(PgConnection& connection, OrgId org,
                                               std::string_view key) {
  const PgResult shift = WL_TRY(connection.query(
      "SELECT " WL_PG_SHIFT_COLUMNS " FROM shifts WHERE org_id = $1 AND source_key = $2 FOR UPDATE",
      Params().add(org).add_text(key), "find shift"));
  if (shift.rows() == 0) {
    return std::optional<Shift>();
  }
  return std::optional<Shift>(WL_TRY(single_row<Shift>(shift, read_shift, "shift")));
}

Result<std::optional<Shift>> lock_shift(PgConnection& connection, ShiftId id, OrgId org) {
  const PgResult shift = WL_TRY(connection.query(
      "SELECT " WL_PG_SHIFT_COLUMNS " FROM shifts WHERE id = $1 AND org_id = $2 FOR UPDATE",
      Params().add(id).add(org), "find shift"));
  if (shift.rows() == 0) {
    return std::optional<Shift>();
  }
  return std::optional<Shift>(WL_TRY(single_row<Shift>(shift, read_shift, "shift")));
}

std::int64_t max_shift_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(kMaxShiftLength).count();
}

}  // namespace

// ---- Roles ----

Result<Role> detail::pg::apply(WriteContext& context, const CreateRole& mutation) {
  PgConnection& connection = context.connection;
  Role role = mutation.role;
  role.id = RoleId();
  WL_TRY(detail::check_role(role));
  WL_TRY(require_of_org(connection, OrgRow::kOrg, role.org_id.value(), role.org_id, "org"));
  WL_TRY(require_role_fallbacks(connection, role));
  role.updated_at = role.created_at;
  const PgResult inserted = WL_TRY(connection.query(
      "INSERT INTO roles (org_id, kind, name, name_key, description, fallback_role, "
      "fallback_user, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) "
      "RETURNING id",
      role_params(role.org_id.value(), role, role.created_at), "create role"));
  role.id = WL_TRY(single_row<RoleId>(
      inserted, [](const PgResult& row, int index) { return RoleId(row.int64(index, 0)); },
      "role"));
  WL_TRY(insert_scoped_event(context, EventKind::kRoleChanged, role.org_id, UserId(),
                             mutation.actor, UserId(), role.created_at, role.id));
  return role;
}

Result<Role> detail::pg::apply(WriteContext& context, const UpdateRole& mutation) {
  PgConnection& connection = context.connection;
  const Role stored = WL_TRY(load_role(connection, mutation.role.id, true));
  if (stored.org_id != mutation.role.org_id) {
    return error(Code::kNotFound, "role not found");
  }
  Role role = mutation.role;
  role.created_at = stored.created_at;
  role.updated_at = mutation.at;
  WL_TRY(detail::check_role(role));
  WL_TRY(require_role_fallbacks(connection, role));
  WL_TRY(
      connection.query("UPDATE roles SET kind = $2, name = $3, name_key = $4, description = $5, "
                       "fallback_role = $6, fallback_user = $7, updated_at = $8 WHERE id = $1",
                       role_params(role.id.value(), role, role.updated_at), "update role"));
  WL_TRY(insert_scoped_event(context, EventKind::kRoleChanged, role.org_id, UserId(),
                             mutation.actor, UserId(), mutation.at, role.id));
  return role;
}

Result<Role> PostgresStore::find_role(RoleId id) {
  auto lease = read_pool_->acquire();
  return load_role(lease.connection(), id, false);
}

Result<Role> PostgresStore::find_role_by_name(OrgId org, std::string_view name) {
  auto lease = read_pool_->acquire();
  const PgResult role = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_ROLE_COLUMNS " FROM roles WHERE org_id = $1 AND name_key = $2",
      Params().add(org).add_text(detail::role_name_key(name)), "find role"));
  return single_row<Role>(role, read_role, "role");
}

Result<std::vector<Role>> PostgresStore::list_roles(OrgId org) {
  auto lease = read_pool_->acquire();
  // COLLATE "C": the same byte order as SQLite's.
  const PgResult roles =
      WL_TRY(lease.connection().query("SELECT " WL_PG_ROLE_COLUMNS " FROM roles WHERE org_id = $1 "
                                      "ORDER BY name_key COLLATE \"C\", id",
                                      Params().add(org), "list roles"));
  return all_rows<Role>(roles, read_role);
}

// ---- Shifts ----

Result<ShiftSaved> detail::pg::apply(WriteContext& context, const SaveShift& mutation) {
  PgConnection& connection = context.connection;
  Shift shift = mutation.shift;
  WL_TRY(detail::check_shift(shift));
  WL_TRY(require_of_org(connection, OrgRow::kRole, shift.role_id.value(), shift.org_id, "role"));
  WL_TRY(require_of_org(connection, OrgRow::kUser, shift.user_id.value(), shift.org_id, "user"));
  std::optional<Shift> stored;
  if (shift.id.is_set()) {
    stored = WL_TRY(lock_shift(connection, shift.id, shift.org_id));
    if (!stored) {
      return error(Code::kNotFound, "shift not found");
    }
    shift.source_key = stored->source_key;
  } else if (!shift.source_key.empty()) {
    stored = WL_TRY(lock_shift_by_key(connection, shift.org_id, shift.source_key));
    if (!stored) {
      // Another store may insert the same key first: then its row is the one to change.
      const PgResult inserted = WL_TRY(connection.query(
          "INSERT INTO shifts (org_id, role_id, user_id, starts_at, ends_at, time_zone, "
          "source_key, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
          "ON CONFLICT (org_id, source_key) WHERE source_key IS NOT NULL DO NOTHING "
          "RETURNING id",
          Params()
              .add(shift.org_id)
              .add(shift.role_id)
              .add(shift.user_id)
              .add(shift.starts_at)
              .add(shift.ends_at)
              .add_text(shift.time_zone)
              .add_text(shift.source_key)
              .add_id_or_null(shift.updated_by)
              .add(shift.updated_at),
          "save shift"));
      if (inserted.rows() == 1) {
        shift.id = ShiftId(inserted.int64(0, 0));
        WL_TRY(inserted.check());
        WL_TRY(announce_on_call(context, shift.org_id, shift.role_id, shift.updated_by,
                                shift.updated_at));
        return ShiftSaved{shift, true, true};
      }
      stored = WL_TRY(lock_shift_by_key(connection, shift.org_id, shift.source_key));
      if (!stored) {
        return error(Code::kInternal, "store: a conflicting shift vanished");
      }
    }
  }
  if (stored && detail::same_shift(*stored, shift)) {
    return ShiftSaved{*stored, false, false};
  }
  ShiftSaved saved{shift, !stored, true};
  if (stored) {
    saved.shift.id = stored->id;
    WL_TRY(connection.query(
        "UPDATE shifts SET role_id = $2, user_id = $3, starts_at = $4, ends_at = $5, "
        "time_zone = $6, updated_by = $7, updated_at = $8 WHERE id = $1",
        Params()
            .add(stored->id)
            .add(shift.role_id)
            .add(shift.user_id)
            .add(shift.starts_at)
            .add(shift.ends_at)
            .add_text(shift.time_zone)
            .add_id_or_null(shift.updated_by)
            .add(shift.updated_at),
        "save shift"));
    if (stored->role_id != shift.role_id) {
      WL_TRY(announce_on_call(context, shift.org_id, stored->role_id, shift.updated_by,
                              shift.updated_at));
    }
  } else {
    const PgResult inserted = WL_TRY(connection.query(
        "INSERT INTO shifts (org_id, role_id, user_id, starts_at, ends_at, time_zone, "
        "updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        Params()
            .add(shift.org_id)
            .add(shift.role_id)
            .add(shift.user_id)
            .add(shift.starts_at)
            .add(shift.ends_at)
            .add_text(shift.time_zone)
            .add_id_or_null(shift.updated_by)
            .add(shift.updated_at),
        "save shift"));
    saved.shift.id = WL_TRY(single_row<ShiftId>(
        inserted, [](const PgResult& row, int index) { return ShiftId(row.int64(index, 0)); },
        "shift"));
  }
  WL_TRY(
      announce_on_call(context, shift.org_id, shift.role_id, shift.updated_by, shift.updated_at));
  return saved;
}

Result<bool> detail::pg::apply(WriteContext& context, const DeleteShift& mutation) {
  PgConnection& connection = context.connection;
  std::optional<Shift> stored;
  if (mutation.id.is_set()) {
    stored = WL_TRY(lock_shift(connection, mutation.id, mutation.org));
  } else if (!mutation.source_key.empty()) {
    stored = WL_TRY(lock_shift_by_key(connection, mutation.org, mutation.source_key));
  }
  if (!stored) {
    return false;
  }
  WL_TRY(connection.query("DELETE FROM shifts WHERE id = $1", Params().add(stored->id),
                          "delete shift"));
  WL_TRY(announce_on_call(context, mutation.org, stored->role_id, mutation.actor, mutation.at));
  return true;
}

Result<Shift> PostgresStore::find_shift(ShiftId id) {
  auto lease = read_pool_->acquire();
  const PgResult shift = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_SHIFT_COLUMNS " FROM shifts WHERE id = $1", Params().add(id), "find shift"));
  return single_row<Shift>(shift, read_shift, "shift");
}

Result<std::vector<Shift>> PostgresStore::list_shifts(const ShiftQuery& query) {
  auto lease = read_pool_->acquire();
  // A shift lasts at most kMaxShiftLength, so one overlapping [from, to) started after
  // from - kMaxShiftLength: the index range to read.
  const PgResult shifts =
      WL_TRY(lease.connection().query(
          "SELECT " WL_PG_SHIFT_COLUMNS " FROM shifts WHERE org_id = $1 "
          "AND ($2::bigint IS NULL OR role_id = $2) AND ($3::bigint IS NULL OR user_id = $3) "
          "AND starts_at < $5 AND starts_at >= $4 - $6 AND ends_at > $4 "
          "ORDER BY starts_at, id LIMIT $7",
          Params()
              .add(query.org)
              .add_id_or_null(query.role)
              .add_id_or_null(query.user)
              .add(query.from)
              .add(query.to)
              .add(max_shift_micros())
              .add(clamp_limit(query.limit)),
          "list shifts"));
  return all_rows<Shift>(shifts, read_shift);
}

// ---- Sign-ins ----

Result<bool> detail::pg::apply(WriteContext& context, const SignInRole& mutation) {
  PgConnection& connection = context.connection;
  WL_TRY(require_of_org(connection, OrgRow::kRole, mutation.role.value(), mutation.org, "role"));
  WL_TRY(require_of_org(connection, OrgRow::kUser, mutation.user.value(), mutation.org, "user"));
  const PgResult inserted = WL_TRY(connection.query(
      "INSERT INTO role_sign_ins (role_id, user_id, org_id, since) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (role_id, user_id) DO NOTHING",
      Params().add(mutation.role).add(mutation.user).add(mutation.org).add(mutation.at),
      "sign in to role"));
  if (inserted.affected() == 0) {
    return false;
  }
  WL_TRY(announce_on_call(context, mutation.org, mutation.role, mutation.user, mutation.at));
  return true;
}

Result<bool> detail::pg::apply(WriteContext& context, const SignOutRole& mutation) {
  const PgResult removed = WL_TRY(context.connection.query(
      "DELETE FROM role_sign_ins WHERE role_id = $1 AND user_id = $2 AND org_id = $3",
      Params().add(mutation.role).add(mutation.user).add(mutation.org), "sign out of role"));
  if (removed.affected() == 0) {
    return false;
  }
  WL_TRY(announce_on_call(context, mutation.org, mutation.role, mutation.actor, mutation.at));
  return true;
}

Result<std::vector<RoleSignIn>> PostgresStore::list_sign_ins(OrgId org, RoleId role, UserId user) {
  auto lease = read_pool_->acquire();
  const PgResult sign_ins = WL_TRY(lease.connection().query(
      "SELECT role_id, user_id, org_id, since FROM role_sign_ins WHERE org_id = $1 "
      "AND ($2::bigint IS NULL OR role_id = $2) AND ($3::bigint IS NULL OR user_id = $3) "
      "ORDER BY role_id, user_id",
      Params().add(org).add_id_or_null(role).add_id_or_null(user), "list sign-ins"));
  return all_rows<RoleSignIn>(sign_ins, [](const PgResult& row, int index) {
    return RoleSignIn{RoleId(row.int64(index, 0)), UserId(row.int64(index, 1)),
                      OrgId(row.int64(index, 2)), row.time(index, 3)};
  });
}

Result<std::vector<RoleHolder>> PostgresStore::list_role_holders(RoleId role, Timestamp at) {
  auto lease = read_pool_->acquire();
  PgConnection& connection = lease.connection();
  // One statement, one snapshot: the shifts' holders, then the sign-ins'.
  const PgResult holders = WL_TRY(connection.query(
      "SELECT via, user_id, since, until, shift_id FROM ("
      "SELECT 1 AS via, s.user_id, s.starts_at AS since, s.ends_at AS until, s.id AS shift_id "
      "FROM shifts s JOIN users u ON u.id = s.user_id WHERE s.role_id = $1 "
      "AND s.starts_at <= $2 AND s.starts_at > $2 - $3 AND s.ends_at > $2 AND NOT u.disabled "
      "UNION ALL SELECT 2, r.user_id, r.since, NULL, NULL FROM role_sign_ins r "
      "JOIN users u ON u.id = r.user_id WHERE r.role_id = $1 AND NOT u.disabled) h "
      "ORDER BY via, since, shift_id, user_id",
      Params().add(role).add(at).add(max_shift_micros()), "list role holders"));
  std::vector<RoleHolder> by_shift;
  std::vector<RoleHolder> by_sign_in;
  for (int row = 0; row < holders.rows(); ++row) {
    RoleHolder holder{UserId(holders.int64(row, 1)), static_cast<HoldVia>(holders.int64(row, 0)),
                      holders.time(row, 2), holders.optional_time(row, 3),
                      ShiftId(holders.int64(row, 4))};
    (holder.via == HoldVia::kShift ? by_shift : by_sign_in).push_back(holder);
  }
  WL_TRY(holders.check());
  return detail::merge_holders(by_shift, by_sign_in);
}

// ---- Escalation ----

Result<bool> detail::pg::apply(WriteContext& context, const SetBackups& mutation) {
  PgConnection& connection = context.connection;
  WL_TRY(detail::check_backups(mutation));
  WL_TRY(require_of_org(connection, OrgRow::kUser, mutation.user.value(), mutation.org, "user"));
  for (const Backup& step : mutation.chain) {
    WL_TRY(step.user.is_set() ? require_of_org(connection, OrgRow::kUser, step.user.value(),
                                               mutation.org, "backup user")
                              : require_of_org(connection, OrgRow::kRole, step.role.value(),
                                               mutation.org, "backup role"));
  }
  WL_TRY(connection.query("DELETE FROM backups WHERE user_id = $1", Params().add(mutation.user),
                          "set backups"));
  for (std::size_t i = 0; i < mutation.chain.size(); ++i) {
    WL_TRY(connection.query(
        "INSERT INTO backups (user_id, position, backup_user, backup_role) VALUES ($1, $2, $3, $4)",
        Params()
            .add(mutation.user)
            .add(static_cast<std::int64_t>(i))
            .add_id_or_null(mutation.chain[i].user)
            .add_id_or_null(mutation.chain[i].role),
        "set backups"));
  }
  return true;
}

Result<bool> detail::pg::apply(WriteContext& context, const SetEscalationPolicy& mutation) {
  const EscalationPolicy& policy = mutation.policy;
  WL_TRY(detail::check_policy(policy));
  WL_TRY(require_of_org(context.connection, OrgRow::kOrg, policy.org_id.value(), policy.org_id,
                        "org"));
  WL_TRY(context.connection.query(
      "INSERT INTO escalation_policies (org_id, normal_after, urgent_after, realert_every, "
      "updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id) DO UPDATE "
      "SET normal_after = $2, urgent_after = $3, realert_every = $4, updated_by = $5, "
      "updated_at = $6",
      Params()
          .add(policy.org_id)
          .add(static_cast<std::int64_t>(policy.normal_after.count()))
          .add(static_cast<std::int64_t>(policy.urgent_after.count()))
          .add(static_cast<std::int64_t>(policy.realert_every.count()))
          .add_id_or_null(policy.updated_by)
          .add(policy.updated_at),
      "set escalation policy"));
  return true;
}

Result<std::vector<Backup>> PostgresStore::list_backups(UserId user) {
  auto lease = read_pool_->acquire();
  const PgResult rows = WL_TRY(lease.connection().query(
      "SELECT backup_user, backup_role FROM backups WHERE user_id = $1 ORDER BY position",
      Params().add(user), "list backups"));
  return all_rows<Backup>(rows, [](const PgResult& result, int row) {
    return Backup{UserId(result.int64(row, 0)), RoleId(result.int64(row, 1))};
  });
}

Result<EscalationPolicy> PostgresStore::find_escalation_policy(OrgId org) {
  auto lease = read_pool_->acquire();
  const PgResult row = WL_TRY(lease.connection().query(
      "SELECT normal_after, urgent_after, realert_every, updated_by, updated_at "
      "FROM escalation_policies WHERE org_id = $1",
      Params().add(org), "find escalation policy"));
  EscalationPolicy policy;
  policy.org_id = org;
  if (row.rows() == 1) {
    policy.normal_after = std::chrono::seconds(row.int64(0, 0));
    policy.urgent_after = std::chrono::seconds(row.int64(0, 1));
    policy.realert_every = std::chrono::seconds(row.int64(0, 2));
    policy.updated_by = UserId(row.int64(0, 3));
    policy.updated_at = row.time(0, 4);
  }
  WL_TRY(row.check());
  return policy;
}

// ---- Availability ----

namespace {

AvailabilityPeriod read_availability(const PgResult& result, int row) {
  AvailabilityPeriod period;
  period.id = AvailabilityId(result.int64(row, 0));
  period.org_id = OrgId(result.int64(row, 1));
  period.user_id = UserId(result.int64(row, 2));
  const std::int64_t status = result.int64(row, 3);
  if (status < static_cast<std::int64_t>(Availability::kAvailable) ||
      status > static_cast<std::int64_t>(Availability::kOffDuty)) {
    result.reject();
  }
  period.status = static_cast<Availability>(status);
  period.starts_at = result.time(row, 4);
  period.ends_at = result.optional_time(row, 5);
  period.set_by = UserId(result.int64(row, 6));
  period.set_at = result.time(row, 7);
  return period;
}

}  // namespace

Result<AvailabilityPeriod> detail::pg::apply(WriteContext& context,
                                             const SetAvailability& mutation) {
  PgConnection& connection = context.connection;
  AvailabilityPeriod period = mutation.period;
  WL_TRY(detail::check_availability(period));
  WL_TRY(require_of_org(connection, OrgRow::kUser, period.user_id.value(), period.org_id, "user"));
  // Periods this one replaces for good, and periods already over.
  const bool replaces = !period.ends_at && period.starts_at <= period.set_at;
  WL_TRY(connection.query(
      "DELETE FROM availability WHERE user_id = $1 AND ((ends_at IS NOT NULL AND ends_at <= $2) "
      "OR ($3 AND starts_at <= $4))",
      Params().add(period.user_id).add(period.set_at).add(replaces).add(period.starts_at),
      "set availability"));
  Params params;
  params.add(period.org_id)
      .add(period.user_id)
      .add(static_cast<std::int64_t>(period.status))
      .add(period.starts_at);
  params.add(period.ends_at).add_id_or_null(period.set_by).add(period.set_at);
  const PgResult inserted = WL_TRY(connection.query(
      "INSERT INTO availability (org_id, user_id, status, starts_at, ends_at, set_by, set_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
      params, "set availability"));
  period.id = AvailabilityId(inserted.int64(0, 0));
  WL_TRY(inserted.check());
  WL_TRY(insert_scoped_event(context, EventKind::kAvailabilityChanged, period.org_id, UserId(),
                             period.set_by, period.user_id, period.set_at));
  return period;
}

Result<bool> detail::pg::apply(WriteContext& context, const DeleteAvailability& mutation) {
  const PgResult removed = WL_TRY(context.connection.query(
      "DELETE FROM availability WHERE id = $1 AND user_id = $2 AND org_id = $3",
      Params().add(mutation.id).add(mutation.user).add(mutation.org), "delete availability"));
  if (removed.affected() == 0) {
    return false;
  }
  WL_TRY(insert_scoped_event(context, EventKind::kAvailabilityChanged, mutation.org, UserId(),
                             mutation.actor, mutation.user, mutation.at));
  return true;
}

Result<std::vector<AvailabilityPeriod>> PostgresStore::list_availability(UserId user,
                                                                         Timestamp from) {
  auto lease = read_pool_->acquire();
  const PgResult rows = WL_TRY(lease.connection().query(
      "SELECT id, org_id, user_id, status, starts_at, ends_at, set_by, set_at FROM availability "
      "WHERE user_id = $1 AND (ends_at IS NULL OR ends_at > $2) ORDER BY starts_at, id",
      Params().add(user).add(from), "list availability"));
  return all_rows<AvailabilityPeriod>(rows, read_availability);
}

Result<Forwarding> detail::pg::apply(WriteContext& context, const SetForwarding& mutation) {
  PgConnection& connection = context.connection;
  const Forwarding& forwarding = mutation.forwarding;
  WL_TRY(detail::check_forwarding(forwarding));
  WL_TRY(require_of_org(connection, OrgRow::kUser, forwarding.user_id.value(), forwarding.org_id,
                        "user"));
  WL_TRY(forwarding.to_user.is_set()
             ? require_of_org(connection, OrgRow::kUser, forwarding.to_user.value(),
                              forwarding.org_id, "user to forward to")
             : require_of_org(connection, OrgRow::kRole, forwarding.to_role.value(),
                              forwarding.org_id, "role to forward to"));
  WL_TRY(connection.query(
      "INSERT INTO forwarding (user_id, org_id, to_user, to_role, starts_at, ends_at, set_by, "
      "set_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (user_id) DO UPDATE SET "
      "org_id = excluded.org_id, to_user = excluded.to_user, to_role = excluded.to_role, "
      "starts_at = excluded.starts_at, ends_at = excluded.ends_at, set_by = excluded.set_by, "
      "set_at = excluded.set_at",
      Params()
          .add(forwarding.user_id)
          .add(forwarding.org_id)
          .add_id_or_null(forwarding.to_user)
          .add_id_or_null(forwarding.to_role)
          .add(forwarding.starts_at)
          .add(forwarding.ends_at)
          .add_id_or_null(forwarding.set_by)
          .add(forwarding.set_at),
      "set forwarding"));
  WL_TRY(insert_scoped_event(context, EventKind::kAvailabilityChanged, forwarding.org_id, UserId(),
                             forwarding.set_by, forwarding.user_id, forwarding.set_at));
  return forwarding;
}

Result<bool> detail::pg::apply(WriteContext& context, const ClearForwarding& mutation) {
  const PgResult removed = WL_TRY(
      context.connection.query("DELETE FROM forwarding WHERE user_id = $1 AND org_id = $2",
                               Params().add(mutation.user).add(mutation.org), "clear forwarding"));
  if (removed.affected() == 0) {
    return false;
  }
  WL_TRY(insert_scoped_event(context, EventKind::kAvailabilityChanged, mutation.org, UserId(),
                             mutation.actor, mutation.user, mutation.at));
  return true;
}

namespace {

Forwarding read_forwarding(const PgResult& rows, int row) {
  Forwarding forwarding;
  forwarding.user_id = UserId(rows.int64(row, 0));
  forwarding.org_id = OrgId(rows.int64(row, 1));
  forwarding.to_user = UserId(rows.is_null(row, 2) ? 0 : rows.int64(row, 2));
  forwarding.to_role = RoleId(rows.is_null(row, 3) ? 0 : rows.int64(row, 3));
  forwarding.starts_at = rows.time(row, 4);
  forwarding.ends_at = rows.optional_time(row, 5);
  forwarding.set_by = UserId(rows.is_null(row, 6) ? 0 : rows.int64(row, 6));
  forwarding.set_at = rows.time(row, 7);
  return forwarding;
}

// The ids as "1,2,3", for `= ANY(string_to_array($n, ',')::bigint[])`: one statement
// whatever the count.
Result<std::string> listed_ids(std::span<const UserId> users) {
  if (users.size() > RoutingStore::kMaxUsersPerRead) {
    return error(Code::kInvalidArgument, "too many users for one read");
  }
  std::string ids;
  for (const UserId user : users) {
    ids += (ids.empty() ? "" : ",") + std::to_string(user.value());
  }
  return ids;
}

}  // namespace

Result<std::optional<Forwarding>> PostgresStore::find_forwarding(UserId user) {
  auto lease = read_pool_->acquire();
  const PgResult rows = WL_TRY(lease.connection().query(
      "SELECT user_id, org_id, to_user, to_role, starts_at, ends_at, set_by, set_at "
      "FROM forwarding WHERE user_id = $1",
      Params().add(user), "find forwarding"));
  if (rows.rows() == 0) {
    return std::optional<Forwarding>();
  }
  return std::optional<Forwarding>(
      WL_TRY(single_row<Forwarding>(rows, read_forwarding, "forwarding")));
}

Result<std::vector<AvailabilityPeriod>> PostgresStore::list_availability_of(
    std::span<const UserId> users, Timestamp from) {
  const std::string ids = WL_TRY(listed_ids(users));
  if (ids.empty()) {
    return std::vector<AvailabilityPeriod>();
  }
  auto lease = read_pool_->acquire();
  const PgResult rows = WL_TRY(lease.connection().query(
      "SELECT id, org_id, user_id, status, starts_at, ends_at, set_by, set_at FROM availability "
      "WHERE user_id = ANY(string_to_array($1, ',')::bigint[]) AND (ends_at IS NULL OR ends_at > "
      "$2) ORDER BY user_id, starts_at, id",
      Params().add_text(ids).add(from), "list availability"));
  return all_rows<AvailabilityPeriod>(rows, read_availability);
}

// ---- Gatekeepers ----

Result<bool> detail::pg::apply(WriteContext& context, const SetGatekeepers& mutation) {
  PgConnection& connection = context.connection;
  WL_TRY(detail::check_gatekeepers(mutation));
  WL_TRY(require_of_org(connection, OrgRow::kUser, mutation.user.value(), mutation.org, "user"));
  for (const UserId gatekeeper : mutation.gatekeepers) {
    WL_TRY(
        require_of_org(connection, OrgRow::kUser, gatekeeper.value(), mutation.org, "gatekeeper"));
  }
  WL_TRY(connection.query("DELETE FROM gatekeepers WHERE user_id = $1", Params().add(mutation.user),
                          "set gatekeepers"));
  for (std::size_t i = 0; i < mutation.gatekeepers.size(); ++i) {
    WL_TRY(connection.query(
        "INSERT INTO gatekeepers (user_id, position, gatekeeper_id) VALUES ($1, $2, $3)",
        Params().add(mutation.user).add(static_cast<std::int64_t>(i)).add(mutation.gatekeepers[i]),
        "set gatekeepers"));
  }
  WL_TRY(insert_scoped_event(context, EventKind::kAvailabilityChanged, mutation.org, UserId(),
                             mutation.actor, mutation.user, mutation.at));
  return true;
}

Result<std::vector<UserId>> PostgresStore::list_gatekeepers(UserId user) {
  auto lease = read_pool_->acquire();
  const PgResult rows = WL_TRY(lease.connection().query(
      "SELECT gatekeeper_id FROM gatekeepers WHERE user_id = $1 ORDER BY position",
      Params().add(user), "list gatekeepers"));
  return all_rows<UserId>(rows,
                          [](const PgResult& all, int row) { return UserId(all.int64(row, 0)); });
}

Result<std::vector<Gatekeeping>> PostgresStore::list_gatekeepers_of(std::span<const UserId> users) {
  const std::string ids = WL_TRY(listed_ids(users));
  if (ids.empty()) {
    return std::vector<Gatekeeping>();
  }
  auto lease = read_pool_->acquire();
  const PgResult rows = WL_TRY(lease.connection().query(
      "SELECT user_id, gatekeeper_id FROM gatekeepers "
      "WHERE user_id = ANY(string_to_array($1, ',')::bigint[]) ORDER BY user_id, position",
      Params().add_text(ids), "list gatekeepers"));
  return all_rows<Gatekeeping>(rows, [](const PgResult& all, int row) {
    return Gatekeeping{UserId(all.int64(row, 0)), UserId(all.int64(row, 1))};
  });
}

Result<std::vector<UserId>> PostgresStore::list_gatekept_by(UserId gatekeeper) {
  auto lease = read_pool_->acquire();
  const PgResult rows = WL_TRY(lease.connection().query(
      "SELECT user_id FROM gatekeepers WHERE gatekeeper_id = $1 ORDER BY user_id",
      Params().add(gatekeeper), "list gatekept"));
  return all_rows<UserId>(rows,
                          [](const PgResult& all, int row) { return UserId(all.int64(row, 0)); });
}

// ---- Hand-off notes ----

#define WL_PG_HANDOFF_COLUMNS                                                             \
  "message_id, org_id, role_id, thread_id, message_seq, from_user, to_user, created_at, " \
  "accepted_at"

namespace {

HandOff read_handoff(const PgResult& rows, int row) {
  HandOff handoff;
  handoff.message_id = EventId(rows.int64(row, 0));
  handoff.org_id = OrgId(rows.int64(row, 1));
  handoff.role_id = RoleId(rows.int64(row, 2));
  handoff.thread_id = ThreadId(rows.int64(row, 3));
  handoff.message_seq = rows.int64(row, 4);
  handoff.from_user = UserId(rows.int64(row, 5));
  handoff.to_user = UserId(rows.int64(row, 6));
  handoff.created_at = rows.time(row, 7);
  handoff.accepted_at = rows.optional_time(row, 8);
  return handoff;
}

}  // namespace

Result<std::optional<HandOff>> detail::pg::apply(WriteContext& context,
                                                 const RecordHandOff& mutation) {
  PgConnection& connection = context.connection;
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
  WL_TRY(connection.query("INSERT INTO handoffs (" WL_PG_HANDOFF_COLUMNS
                          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)",
                          Params()
                              .add(handoff.message_id)
                              .add(handoff.org_id)
                              .add(handoff.role_id)
                              .add(handoff.thread_id)
                              .add(handoff.message_seq)
                              .add(handoff.from_user)
                              .add(handoff.to_user)
                              .add(handoff.created_at),
                          "record hand-off"));
  return std::optional<HandOff>(handoff);
}

Result<bool> detail::pg::apply(WriteContext& context, const AcceptHandOff& mutation) {
  PgConnection& connection = context.connection;
  const PgResult updated = WL_TRY(connection.query(
      "UPDATE handoffs SET accepted_at = $3 WHERE message_id = $1 AND to_user = $2 "
      "AND accepted_at IS NULL",
      Params().add(mutation.message).add(mutation.user).add(mutation.at), "accept hand-off"));
  if (updated.affected() > 0) {
    return true;
  }
  const PgResult exists = WL_TRY(
      connection.query("SELECT 1 FROM handoffs WHERE message_id = $1 AND to_user = $2",
                       Params().add(mutation.message).add(mutation.user), "accept hand-off"));
  if (exists.rows() == 0) {
    return error(Code::kNotFound, "no such hand-off note");
  }
  return error(Code::kAlreadyExists, "the hand-off note was accepted already");
}

Result<HandOff> PostgresStore::find_handoff(EventId message) {
  auto lease = read_pool_->acquire();
  const PgResult rows = WL_TRY(lease.connection().query("SELECT " WL_PG_HANDOFF_COLUMNS
                                                        " FROM handoffs WHERE message_id = $1",
                                                        Params().add(message), "find hand-off"));
  return single_row<HandOff>(rows, read_handoff, "hand-off note");
}

Result<std::vector<HandOff>> PostgresStore::list_pending_handoffs(UserId user, std::size_t limit) {
  auto lease = read_pool_->acquire();
  const PgResult rows = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_HANDOFF_COLUMNS
      " FROM handoffs WHERE to_user = $1 AND accepted_at IS NULL "
      "ORDER BY message_id LIMIT $2",
      Params().add(user).add(static_cast<std::int64_t>(limit)), "list hand-offs"));
  return all_rows<HandOff>(rows, read_handoff);
}

Result<std::vector<Forwarding>> PostgresStore::list_forwarding_of(std::span<const UserId> users) {
  const std::string ids = WL_TRY(listed_ids(users));
  if (ids.empty()) {
    return std::vector<Forwarding>();
  }
  auto lease = read_pool_->acquire();
  const PgResult rows = WL_TRY(lease.connection().query(
      "SELECT user_id, org_id, to_user, to_role, starts_at, ends_at, set_by, set_at "
      "FROM forwarding WHERE user_id = ANY(string_to_array($1, ',')::bigint[]) ORDER BY user_id",
      Params().add_text(ids), "list forwarding"));
  return all_rows<Forwarding>(rows, read_forwarding);
}

}  // namespace wl
