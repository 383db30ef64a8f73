#include "cli/runtime.hpp"

#include <cstdio>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "core/crypto/ed25519.hpp"
#include "core/crypto/secret_file.hpp"
#include "core/log.hpp"

namespace wl::cli {
namespace fs = std::filesystem;

namespace {

Result<void> make_private_directory(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) {
    return error(Code::kUnavailable, "cannot create the data directory " + path.string());
  }
  fs::permissions(path, fs::perms::owner_all, fs::perm_options::replace, ec);
  return ok();
}

struct SigningKey {
  crypto::Ed25519KeyPair pair;
  bool created = false;
};

// The audit signing key in `file`, created if it does not exist and `store` has no
// checkpoint yet (a new installation). Errors: FailedPrecondition if the file is
// missing but checkpoints exist: a new key there would quietly become a second trust
// anchor, so the operator must point at the key that signed them or create a new one
// on purpose (`admin audit-key --create`). Otherwise as read_audit_signing_key and
// create_audit_signing_key.
Result<SigningKey> load_or_create_signing_key(const fs::path& file, Store& store) {
  auto existing = read_audit_signing_key(file);
  if (existing || existing.error().code() != Code::kNotFound) {
    return SigningKey{WL_TRY(std::move(existing)), false};
  }
  if (!WL_TRY(store.list_audit_checkpoints()).empty()) {
    return error(Code::kFailedPrecondition,
                 "the audit signing key file is missing, but the audit log has signed "
                 "checkpoints: give the --audit-key-file that signed them, or make a new key "
                 "with `wardline admin audit-key --create` (docs/audit_chain.md)");
  }
  auto created = create_audit_signing_key(file);
  if (!created && created.error().code() == Code::kAlreadyExists) {
    // Another process created it first: use theirs.
    return SigningKey{WL_TRY(read_audit_signing_key(file)), false};
  }
  return SigningKey{WL_TRY(std::move(created)), true};
}

// Opens `file` for appending (creating it) and closes it, to fail at start rather than
// at the first checkpoint. Errors: Unavailable if it cannot be opened.
Result<void> check_appendable(const fs::path& file) {
  std::FILE* stream = std::fopen(file.c_str(), "a");
  if (stream == nullptr) {
    return error(Code::kUnavailable, "cannot open the audit head file for appending");
  }
  std::fclose(stream);
  return ok();
}

// Appends `line` to the head file. Errors: Unavailable if it cannot be opened or written.
Result<void> append_line(const fs::path& file, std::string_view line) {
  std::FILE* stream = std::fopen(file.c_str(), "a");
  if (stream == nullptr) {
    return error(Code::kUnavailable, "cannot open the audit head file for appending");
  }
  const bool written = std::fwrite(line.data(), 1, line.size(), stream) == line.size() &&
                       std::fputc('\n', stream) != EOF;
  const bool closed = std::fclose(stream) == 0;
  if (!written || !closed) {
    return error(Code::kUnavailable, "cannot write the audit head file");
  }
  return ok();
}

}  // namespace

fs::path audit_key_file(const DataPaths& paths, const RuntimeOptions& options) {
  return options.audit_key_file.empty() ? paths.audit_key() : options.audit_key_file;
}

Result<crypto::Ed25519KeyPair> read_audit_signing_key(const fs::path& file) {
  const std::string seed = WL_TRY(crypto::read_secret_file(file));
  return crypto::ed25519_from_seed(seed);
}

Result<crypto::Ed25519KeyPair> create_audit_signing_key(const fs::path& file) {
  crypto::Ed25519KeyPair pair = crypto::ed25519_generate();
  WL_TRY(crypto::create_secret_file(file, pair.seed));
  return pair;
}

std::string audit_key_line(std::string_view public_key) {
  return fmt::format("wardline: audit public key {} fingerprint {}",
                     audit_public_key_text(public_key), audit_key_fingerprint(public_key));
}

namespace {

// The store `store` names (RuntimeOptions::store). Errors: InvalidArgument for anything
// but "", "sqlite" and a postgres:// or postgresql:// URI; else as the store's open.
Result<std::unique_ptr<Store>> open_store(const std::string& store, const DataPaths& paths,
                                          AuditTally& tally, AuditCounts& counts) {
  if (is_postgres_store(store)) {
    return std::unique_ptr<Store>(
        WL_TRY(PostgresStore::open(store, make_audit_chainer(&tally, &counts))));
  }
  if (store.empty() || store == "sqlite") {
    return std::unique_ptr<Store>(
        WL_TRY(SqliteStore::open(paths.database(), make_audit_chainer(&tally, &counts))));
  }
  return error(Code::kInvalidArgument, "--store takes sqlite or a postgres:// (postgresql://) URI");
}

}  // namespace

Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::open(const fs::path& data_dir, RuntimeOptions options) {
  std::unique_ptr<Runtime> runtime(new Runtime());
  runtime->paths_.root = data_dir;
  runtime->audit_head_file_ = options.audit_head_file;
  const DataPaths& paths = runtime->paths_;
  WL_TRY(make_private_directory(paths.root));
  WL_TRY(make_private_directory(paths.key_file().parent_path()));
  if (!options.audit_head_file.empty()) {
    WL_TRY(check_appendable(options.audit_head_file));
  }

  runtime->key_provider_ = WL_TRY(FileKeyProvider::open_or_create(paths.key_file()));
  runtime->store_ =
      WL_TRY(open_store(options.store, paths, runtime->audit_tally_, runtime->audit_counts_));
  runtime->keys_ =
      std::make_unique<KeyRing>(*runtime->store_, *runtime->key_provider_, runtime->clock_);
  WL_TRY(runtime->keys_->load());
  SigningKey signing_key =
      WL_TRY(load_or_create_signing_key(audit_key_file(paths, options), *runtime->store_));
  runtime->created_audit_key_ = signing_key.created;
  runtime->audit_ =
      std::make_unique<AuditLog>(*runtime->store_, runtime->clock_, std::move(signing_key.pair));
  runtime->hasher_ = std::make_unique<PasswordHasher>(options.password_strength);
  runtime->identity_ = std::make_unique<IdentityService>(
      *runtime->store_, *runtime->store_, *runtime->store_, *runtime->keys_, runtime->clock_,
      *runtime->audit_, runtime->dispatched_, *runtime->hasher_);
  runtime->directory_ = std::make_unique<DirectoryService>(
      *runtime->store_, *runtime->store_, *runtime->store_, *runtime->store_, *runtime->audit_,
      runtime->dispatched_, runtime->clock_);
  runtime->patients_ = std::make_unique<PatientService>(
      *runtime->store_, *runtime->store_, *runtime->keys_, *runtime->audit_, runtime->clock_);
  runtime->messaging_ = std::make_unique<MessagingService>(
      *runtime->store_, *runtime->store_, *runtime->store_, *runtime->store_, *runtime->keys_,
      *runtime->audit_, runtime->dispatched_, runtime->clock_, *runtime->patients_,
      options.messaging);
  runtime->routing_ = std::make_unique<RoutingService>(
      *runtime->store_, *runtime->store_, *runtime->store_, *runtime->messaging_, *runtime->audit_,
      runtime->dispatched_, runtime->clock_);
  runtime->messaging_->set_router(runtime->routing_.get());
  runtime->providers_ =
      std::make_unique<ProviderService>(*runtime->store_, *runtime->store_, *runtime->store_,
                                        *runtime->audit_, runtime->dispatched_, runtime->clock_);
  runtime->callbacks_ = std::make_unique<CallbackService>(
      *runtime->store_, *runtime->store_, *runtime->store_, *runtime->keys_, *runtime->audit_,
      runtime->dispatched_, runtime->clock_);
  runtime->quick_notes_ = std::make_unique<QuickNoteService>(
      *runtime->store_, *runtime->store_, *runtime->keys_, *runtime->audit_, runtime->clock_);
  runtime->directory_->set_group_lister(
      [messaging = runtime->messaging_.get()](const Principal& actor) {
        return messaging->list_groups(actor);
      });
  runtime->escalator_ =
      std::make_unique<Escalator>(*runtime->routing_, *runtime->store_, *runtime->store_,
                                  *runtime->store_, *runtime->store_, runtime->clock_);
  // Values that versions before schema 4 stored in clear are sealed before anyone is
  // served (docs/storage.md, "Values older versions stored in clear").
  WL_TRY(runtime->identity_->seal_device_names_in_clear());
  WL_TRY(runtime->messaging_->seal_client_ids_in_clear());
  // Messages sent before search existed are indexed before anyone searches
  // (docs/search.md, "Messages sent before search").
  WL_TRY(runtime->messaging_->index_messages_sent_before_search());
  return runtime;
}

Result<AuditCheckpoint> Runtime::sign_audit_checkpoint() {
  AuditCheckpoint checkpoint = WL_TRY(audit_->checkpoint());
  export_audit_head(checkpoint);
  return checkpoint;
}

void Runtime::export_audit_head(const AuditCheckpoint& checkpoint) {
  auto logger = log::get("audit");
  const std::string line = audit_head_line(checkpoint);
  std::lock_guard lock(export_mutex_);
  if (checkpoint.seq == exported_seq_) {
    logger->debug("re-signed {}", line);
    return;
  }
  exported_seq_ = checkpoint.seq;
  logger->info("{}", line);
  if (!audit_head_file_.empty()) {
    if (auto appended = append_line(audit_head_file_, line); !appended) {
      logger->warn("{}", appended.error().to_string());
    }
  }
}

}  // namespace wl::cli
