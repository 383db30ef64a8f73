#include "cli/backup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/keyfile/file_key_provider.hpp"
#include "adapters/postgres/postgres_backup.hpp"
#include "adapters/postgres/postgres_store.hpp"
#include "adapters/sqlite/sqlite_backup.hpp"
#include "adapters/sqlite/sqlite_store.hpp"
#include "cli/runtime.hpp"
#include "core/crypto/encoding.hpp"
#include "core/crypto/hash.hpp"
#include "core/crypto/secret_file.hpp"
#include "core/time.hpp"
#include "services/audit/audit_chain.hpp"
#include "services/audit/audit_verifier.hpp"

namespace wl::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// What a backup directory holds besides its database: enough to refuse a damaged or
// mismatched copy before anything is restored.
constexpr std::string_view kManifestFormat = "wardline-backup";
constexpr std::int64_t kManifestVersion = 1;
constexpr const char* kDatabaseName = "wardline.db";  // A SQLite store's copy.
constexpr const char* kDumpName = "wardline.pgdump";  // A PostgreSQL store's dump.
constexpr const char* kManifestName = "manifest.json";
constexpr std::size_t kMaxManifestBytes = 64 * 1024;

struct Manifest {
  Timestamp created_at;
  bool postgres = false;  // A pg_dump of a PostgreSQL store, else a SQLite copy.
  int schema_version = 0;
  std::string instance_id;  // Of the store it was copied from.
  std::int64_t bytes = 0;
  std::string sha256;                // Of the database file, 64 hex digits.
  std::vector<std::string> kek_ids;  // The KEKs that wrap its live data keys.
  std::int64_t data_keys = 0;        // Not destroyed.
};

struct RestoreOptions {
  std::string from;
  std::string kek_file;
  std::vector<std::string> audit_keys;
};

std::unexpected<Status> failed(std::string message) {
  return error(Code::kFailedPrecondition, std::move(message));
}

// SHA-256 and size of a file, read in 1 MiB pieces.
Result<std::pair<std::string, std::int64_t>> hash_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return error(Code::kUnavailable, fmt::format("cannot read {}", file.string()));
  }
  crypto::Sha256 hash;
  std::vector<char> buffer(1 << 20);
  std::int64_t bytes = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = in.gcount();
    hash.update(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
    bytes += got;
  }
  if (in.bad()) {
    return error(Code::kUnavailable, fmt::format("cannot read {}", file.string()));
  }
  return std::pair(crypto::hex_encode(hash.finish()), bytes);
}

Result<void> sync_path(const fs::path& path, bool directory) {
  const int descriptor =
      ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (descriptor < 0 || ::fsync(descriptor) != 0) {
    if (descriptor >= 0) {
      ::close(descriptor);
    }
    return error(Code::kUnavailable, fmt::format("cannot sync {} to disk", path.string()));
  }
  ::close(descriptor);
  return ok();
}

// Makes `dir` (0700) if it does not exist; an existing one must be empty.
Result<void> make_empty_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)) {
      return failed(fmt::format("{} exists and is not an empty directory", dir.string()));
    }
    return ok();
  }
  fs::create_directories(dir, ec);
  if (ec) {
    return error(Code::kUnavailable,
                 fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  }
  fs::permissions(dir, fs::perms::owner_all, ec);
  return sync_path(dir.parent_path().empty() ? fs::path(".") : dir.parent_path(), true);
}

// Prints how far a copy is, at most once a second and at the end.
CopyProgress progress_printer(std::string what) {
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [what = std::move(what), last](std::int64_t done, std::int64_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - *last < std::chrono::seconds(1)) {
      return;
    }
    *last = now;
    std::cerr << fmt::format("wardline: {}: {} of {} pages ({}%)\n", what, done, total,
                             total > 0 ? done * 100 / total : 100);
  };
}

std::string manifest_json(const Manifest& manifest) {
  json::array keks;
  for (const std::string& id : manifest.kek_ids) {
    keks.emplace_back(id);
  }
  json::object object{
      {"format", kManifestFormat},
      {"version", kManifestVersion},
      {"created_at", format_rfc3339(manifest.created_at)},
      {"store", manifest.postgres ? "postgres" : "sqlite"},
      {"schema_version", manifest.schema_version},
      {"instance_id", manifest.instance_id},
      {"database",
       json::object{
           {"file", kDatabaseName}, {"bytes", manifest.bytes}, {"sha256", manifest.sha256}}},
      {"kek_ids", std::move(keks)},
      {"data_keys", manifest.data_keys},
  };
  return json::serialize(object) + "\n";
}

Result<Manifest> read_manifest(const fs::path& dir) {
  const fs::path file = dir / kManifestName;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return failed(
        fmt::format("{} is not a Wardline backup: it has no {}", dir.string(), kManifestName));
  }
  if (fs::file_size(file, ec) > kMaxManifestBytes) {
    return error(Code::kDataLoss, fmt::format("{} is too large to be a manifest", file.string()));
  }
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bad = [&file](std::string_view why) {
    return Status(Code::kDataLoss, fmt::format("{} is damaged: {}", file.string(), why));
  };
  json::value value = json::parse(text, ec);
  const json::object* object = ec ? nullptr : value.if_object();
  if (object == nullptr) {
    return std::unexpected(bad("not JSON"));
  }
  auto string_at = [object](std::string_view key) -> const json::string* {
    const json::value* found = object->if_contains(key);
    return found != nullptr ? found->if_string() : nullptr;
  };
  auto int_at = [](const json::object& in_object,
                   std::string_view key) -> std::optional<std::int64_t> {
    const json::value* found = in_object.if_contains(key);
    if (found == nullptr || !found->is_int64()) {
      return std::nullopt;
    }
    return found->as_int64();
  };
  if (const json::string* format = string_at("format");
      format == nullptr || *format != kManifestFormat) {
    return std::unexpected(bad("not a wardline-backup manifest"));
  }
  if (int_at(*object, "version") != kManifestVersion) {
    return failed(fmt::format("{} is a backup format this Wardline does not know", dir.string()));
  }
  const json::string* store = string_at("store");
  if (store == nullptr || (*store != "sqlite" && *store != "postgres")) {
    return std::unexpected(bad("it names no store this Wardline knows"));
  }
  Manifest manifest;
  manifest.postgres = *store == "postgres";
  const json::string* created = string_at("created_at");
  const json::string* instance = string_at("instance_id");
  const json::value* database = object->if_contains("database");
  const json::object* database_object = database != nullptr ? database->if_object() : nullptr;
  const json::value* keks = object->if_contains("kek_ids");
  const auto schema = int_at(*object, "schema_version");
  const auto data_keys = int_at(*object, "data_keys");
  if (created == nullptr || instance == nullptr || database_object == nullptr || keks == nullptr ||
      !keks->is_array() || !schema || !data_keys) {
    return std::unexpected(bad("a field is missing"));
  }
  const auto created_at = parse_rfc3339(*created);
  const auto bytes = int_at(*database_object, "bytes");
  const json::value* sha = database_object->if_contains("sha256");
  if (!created_at || !bytes || sha == nullptr || !sha->is_string() ||
      sha->as_string().size() != 64) {
    return std::unexpected(bad("a field is malformed"));
  }
  manifest.created_at = *created_at;
  manifest.schema_version = static_cast<int>(*schema);
  manifest.instance_id = std::string(*instance);
  manifest.bytes = *bytes;
  manifest.sha256 = std::string(sha->as_string());
  manifest.data_keys = *data_keys;
  for (const json::value& id : keks->as_array()) {
    if (!id.is_string()) {
      return std::unexpected(bad("kek_ids holds something that is not a name"));
    }
    manifest.kek_ids.emplace_back(id.as_string());
  }
  return manifest;
}

// The KEKs that wrap `store`'s data keys that are not destroyed, and how many keys.
Result<std::pair<std::vector<std::string>, std::int64_t>> keys_needed(KeyStore& store) {
  std::set<std::string> ids;
  std::int64_t live = 0;
  for (const DataKeyRecord& key : WL_TRY(store.list_data_keys())) {
    if (!key.destroyed) {
      ids.insert(WL_TRY(FileKeyProvider::kek_id_of(key.wrapped)));
      ++live;
    }
  }
  return std::pair(std::vector<std::string>(ids.begin(), ids.end()), live);
}

Result<void> check_store_option(const std::string& store) {
  if (!store.empty() && store != "sqlite" && !is_postgres_store(store)) {
    return error(Code::kInvalidArgument, "--store takes sqlite or a postgres:// URI");
  }
  return ok();
}

// The SQLite copy: the online backup API, then what the manifest says of it.
Result<void> copy_sqlite(const DataPaths& paths, const fs::path& copy, Manifest& manifest) {
  std::error_code ec;
  if (!fs::is_regular_file(paths.database(), ec)) {
    return failed(fmt::format("no Wardline store at {}: give the server's --data-dir",
                              paths.database().string()));
  }
  std::cerr << fmt::format("wardline: copying {} (servers may keep running)\n",
                           paths.database().string());
  WL_TRY(copy_sqlite_database(paths.database(), copy, progress_printer("copied")));
  const SqliteDatabaseCheck check = WL_TRY(check_sqlite_database(copy));
  manifest.schema_version = check.schema_version;
  manifest.instance_id = check.instance_id;
  SqliteOptions read_only;
  read_only.read_only = true;
  read_only.read_connections = 1;
  auto opened = WL_TRY(SqliteStore::open(copy, make_audit_chainer(), read_only));
  std::tie(manifest.kek_ids, manifest.data_keys) = WL_TRY(keys_needed(*opened));
  return ok();
}

// The PostgreSQL dump: pg_dump's snapshot, then what the manifest says of the store.
Result<void> dump_postgres(const std::string& uri, const fs::path& dump, Manifest& manifest) {
  const PostgresDatabaseCheck check = WL_TRY(check_postgres_database(uri));
  manifest.schema_version = check.schema_version;
  manifest.instance_id = check.instance_id;
  std::cerr << "wardline: dumping the PostgreSQL store with pg_dump (servers may keep running)\n";
  WL_TRY(dump_postgres_database(uri, dump));
  PostgresOptions reader;
  reader.read_connections = 1;
  reader.claim_audit_chain = false;
  auto opened = WL_TRY(PostgresStore::open(uri, make_audit_chainer(), reader));
  std::tie(manifest.kek_ids, manifest.data_keys) = WL_TRY(keys_needed(*opened));
  return ok();
}

Result<void> backup(const std::string& data_dir, const std::string& store, const fs::path& dest) {
  WL_TRY(check_store_option(store));
  const DataPaths paths{data_dir};
  Manifest manifest;
  manifest.created_at = SystemClock().now();
  manifest.postgres = is_postgres_store(store);
  if (!manifest.postgres) {
    std::error_code ec;
    if (!fs::is_regular_file(paths.database(), ec)) {
      return failed(fmt::format("no Wardline store at {}: give the server's --data-dir",
                                paths.database().string()));
    }
  }
  WL_TRY(make_empty_directory(dest));
  const fs::path copy = dest / (manifest.postgres ? kDumpName : kDatabaseName);
  auto copied =
      manifest.postgres ? dump_postgres(store, copy, manifest) : copy_sqlite(paths, copy, manifest);
  if (!copied) {
    std::error_code ec;
    fs::remove(copy, ec);
    return copied;
  }
  std::tie(manifest.sha256, manifest.bytes) = WL_TRY(hash_file(copy));
  WL_TRY(crypto::create_secret_file(dest / kManifestName, manifest_json(manifest)));
  std::string keks;
  for (const std::string& id : manifest.kek_ids) {
    keks += (keks.empty() ? "" : ", ") + id;
  }
  std::cout << fmt::format(
      "backed up to {}: {} bytes, store schema {}, {} data keys\n"
      "The backup cannot be read without the key file {} (it needs {}). Keep a copy of that "
      "file apart from the backup: either alone reveals nothing.\n",
      dest.string(), manifest.bytes, manifest.schema_version, manifest.data_keys,
      paths.key_file().string(), keks.empty() ? "no key yet" : keks);
  return ok();
}

// Copies a file into place under a new name, synced, mode 0600.
Result<void> copy_file_synced(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (!fs::copy_file(from, to, fs::copy_options::none, ec)) {
    return error(Code::kUnavailable,
                 fmt::format("cannot copy {} to {}: {}", from.string(), to.string(), ec.message()));
  }
  fs::permissions(to, fs::perms::owner_read | fs::perms::owner_write, ec);
  return sync_path(to, false);
}

// Checks in the restored store (opened, so migrated from an older schema) what the
// manifest cannot: every live data key opens with the key file, and the audit chain
// is whole. Returns the verified entries.
Result<std::int64_t> check_restored(Store& store, const fs::path& kek_file,
                                    std::string_view kek_name,
                                    const std::vector<std::string>& audit_keys) {
  auto provider = WL_TRY(FileKeyProvider::open_or_create(kek_file));
  const std::vector<std::string> held = provider->kek_ids();
  for (const DataKeyRecord& key : WL_TRY(store.list_data_keys())) {
    if (key.destroyed) {
      continue;
    }
    const std::string kek = WL_TRY(FileKeyProvider::kek_id_of(key.wrapped));
    auto unwrapped = provider->unwrap(key.wrapped);
    if (!unwrapped) {
      if (std::ranges::find(held, kek) == held.end()) {
        return failed(fmt::format(
            "the key file {} does not hold {}, which the backup's data keys need", kek_name, kek));
      }
      return failed(fmt::format(
          "the key file {} holds a different {} than the one the backup was sealed with", kek_name,
          kek));
    }
  }
  AuditVerifyOptions verify;
  verify.now = SystemClock().now();
  for (const std::string& key : audit_keys) {
    verify.trusted_keys.push_back(WL_TRY(AuditKeyAnchor::parse(key)));
  }
  if (verify.trusted_keys.empty()) {
    // Without a key from off the machine, the checkpoints' own signers: this proves the
    // copy whole and consistent, not that nobody rewrote it (docs/audit_chain.md).
    for (const AuditCheckpoint& checkpoint : WL_TRY(store.list_audit_checkpoints())) {
      verify.trusted_keys.push_back(AuditKeyAnchor::of_public_key(checkpoint.public_key));
    }
  }
  if (verify.trusted_keys.empty()) {
    return failed("the backup's audit log has no signed checkpoint");
  }
  const AuditVerifyReport report = WL_TRY(verify_audit(store, verify));
  if (!report.ok) {
    return failed(fmt::format("the backup's audit log is not intact: entry {}: {}",
                              report.first_bad_seq, report.problem));
  }
  return report.entries;
}

// Restores a SQLite copy into `paths`: under a temporary name, checked, given a new
// instance id, then moved into place. Returns the verified audit entries.
Result<std::int64_t> restore_sqlite(const fs::path& copy, const DataPaths& paths,
                                    std::string_view kek_name,
                                    const std::vector<std::string>& audit_keys) {
  std::error_code ec;
  fs::path restoring = paths.database();
  restoring += ".restoring";
  auto restored = [&]() -> Result<std::int64_t> {
    fs::remove(restoring, ec);
    WL_TRY(copy_file_synced(copy, restoring));
    std::int64_t entries = 0;
    {
      auto store = WL_TRY(SqliteStore::open(restoring, make_audit_chainer()));
      entries = WL_TRY(check_restored(*store, paths.key_file(), kek_name, audit_keys));
    }
    WL_TRY(renew_sqlite_instance_id(restoring));
    fs::path lock = restoring;
    lock += ".lock";
    fs::remove(lock, ec);
    fs::rename(restoring, paths.database(), ec);
    if (ec) {
      return error(Code::kUnavailable,
                   fmt::format("cannot move the restored store into place: {}", ec.message()));
    }
    WL_TRY(sync_path(paths.root, true));
    return entries;
  }();
  if (!restored) {
    for (const char* suffix : {"", "-wal", "-shm", ".lock"}) {
      fs::path file = restoring;
      file += suffix;
      fs::remove(file, ec);
    }
  }
  return restored;
}

// Restores a pg_dump into the empty database at `uri` (all or nothing), checks it and
// gives it a new instance id; a refused one is dropped again.
Result<std::int64_t> restore_postgres(const fs::path& dump, const std::string& uri,
                                      const DataPaths& paths, std::string_view kek_name,
                                      const std::vector<std::string>& audit_keys) {
  std::cerr << "wardline: restoring with pg_restore\n";
  WL_TRY(restore_postgres_dump(uri, dump));
  auto restored = [&]() -> Result<std::int64_t> {
    WL_TRY(check_postgres_database(uri));
    std::int64_t entries = 0;
    {
      PostgresOptions options;
      options.read_connections = 1;
      options.claim_audit_chain = false;
      auto store = WL_TRY(PostgresStore::open(uri, make_audit_chainer(), options));
      entries = WL_TRY(check_restored(*store, paths.key_file(), kek_name, audit_keys));
    }
    WL_TRY(renew_postgres_instance_id(uri));
    return entries;
  }();
  if (!restored) {
    (void)drop_restored_postgres_tables(uri);
  }
  return restored;
}

Result<void> restore(const std::string& data_dir, const std::string& store,
                     const RestoreOptions& options) {
  WL_TRY(check_store_option(store));
  const fs::path from(options.from);
  const Manifest manifest = WL_TRY(read_manifest(from));
  if (manifest.postgres != is_postgres_store(store)) {
    return failed(manifest.postgres
                      ? "a backup of a PostgreSQL store is restored into one: give --store with "
                        "the URI of a new, empty database"
                      : "a backup of a SQLite store is restored into a data directory: leave out "
                        "--store");
  }
  const fs::path database = from / (manifest.postgres ? kDumpName : kDatabaseName);
  const auto [sha, bytes] = WL_TRY(hash_file(database));
  if (bytes != manifest.bytes || sha != manifest.sha256) {
    return error(Code::kDataLoss,
                 fmt::format("{} is damaged: it is not the file the backup wrote (its size or "
                             "SHA-256 differs from the manifest's)",
                             database.string()));
  }
  if (!manifest.postgres) {
    WL_TRY(check_sqlite_database(database));  // A PostgreSQL store's, once restored.
  }

  const DataPaths paths{data_dir};
  std::error_code ec;
  if (!manifest.postgres && fs::exists(paths.database(), ec)) {
    return failed(fmt::format("a store exists at {}: restore into a new data directory",
                              paths.database().string()));
  }
  if (options.kek_file.empty() && !fs::exists(paths.key_file(), ec)) {
    return failed(fmt::format(
        "the backup needs its key file: give --kek-file (the kept copy of keys/kek.json), or "
        "put it at {} first",
        paths.key_file().string()));
  }
  if (!options.kek_file.empty() && fs::exists(paths.key_file(), ec)) {
    return failed(
        fmt::format("{} exists: leave out --kek-file to use it", paths.key_file().string()));
  }
  const bool made_dir = !fs::exists(paths.root, ec);
  if (made_dir) {
    WL_TRY(make_empty_directory(paths.root));
  }
  const bool copied_keys = !options.kek_file.empty();
  auto undo = [&] {
    if (made_dir) {
      fs::remove_all(paths.root, ec);
    } else if (copied_keys) {
      fs::remove(paths.key_file(), ec);
    }
  };
  fs::create_directories(paths.key_file().parent_path(), ec);
  fs::permissions(paths.key_file().parent_path(), fs::perms::owner_all, ec);
  if (copied_keys) {
    auto kek = crypto::read_secret_file(options.kek_file);
    auto written = kek ? crypto::create_secret_file(paths.key_file(), *kek)
                       : Result<void>(std::unexpected(kek.error()));
    if (!written) {
      undo();
      return error(written.error().code(),
                   fmt::format("cannot copy the key file {}: {}", options.kek_file,
                               written.error().message()));
    }
  }
  const std::string kek_name = copied_keys ? options.kek_file : paths.key_file().string();
  auto restored = manifest.postgres
                      ? restore_postgres(database, store, paths, kek_name, options.audit_keys)
                      : restore_sqlite(database, paths, kek_name, options.audit_keys);
  if (!restored) {
    undo();
    return std::unexpected(restored.error());
  }
  std::cout << fmt::format(
      "restored {} (backed up {}) into {}: data keys open, audit log intact ({} entries)\n"
      "Start it with: wardline serve --data-dir {}{}. Clients resynchronise: the restored "
      "store has a new instance id.\n",
      from.string(), format_rfc3339(manifest.created_at),
      manifest.postgres ? "the database" : paths.root.string(), *restored, paths.root.string(),
      manifest.postgres ? " --store URI" : "");
  return ok();
}

int report(const Result<void>& done, std::string_view command) {
  if (done) {
    return 0;
  }
  std::cerr << fmt::format("wardline admin {}: {}\n", command, done.error().message());
  return done.error().code() == Code::kDataLoss || done.error().code() == Code::kFailedPrecondition
             ? 1
             : 2;
}

}  // namespace

void add_backup_commands(CLI::App& admin, const std::string& data_dir, const std::string& store,
                         int& exit_code) {
  auto dest = std::make_shared<std::string>();
  CLI::App* backup_command = admin.add_subcommand(
      "backup", "Copy the store, consistent, while the server runs (docs/operations.md)");
  backup_command->add_option("dest", *dest, "New or empty directory for the backup")->required();
  backup_command->callback([&data_dir, &store, dest, &exit_code] {
    exit_code = report(backup(data_dir, store, *dest), "backup");
  });

  auto options = std::make_shared<RestoreOptions>();
  CLI::App* restore_command = admin.add_subcommand(
      "restore", "Restore a backup into a new data directory (--data-dir), after checking it");
  restore_command->add_option("backup", options->from, "The backup's directory")->required();
  restore_command->add_option("--kek-file", options->kek_file,
                              "The key file kept apart from the backup (keys/kek.json)");
  restore_command->add_option("--audit-key", options->audit_keys,
                              "The audit signing public key or fingerprint recorded off the "
                              "machine; repeatable (default: the backup's own signers)");
  restore_command->callback([&data_dir, &store, options, &exit_code] {
    exit_code = report(restore(data_dir, store, *options), "restore");
  });
}

}  // namespace wl::cli
