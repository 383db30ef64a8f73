#include "cli/runtime.hpp"

#include <filesystem>

#include "core/crypto/ed25519.hpp"
#include "core/crypto/secret_file.hpp"

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

Result<crypto::Ed25519KeyPair> load_or_create_signing_key(const fs::path& file) {
  std::error_code ec;
  if (fs::exists(file, ec)) {
    const std::string seed = WL_TRY(crypto::read_secret_file(file));
    return crypto::ed25519_from_seed(seed);
  }
  crypto::Ed25519KeyPair pair = crypto::ed25519_generate();
  WL_TRY(crypto::write_secret_file(file, pair.seed));
  return pair;
}

}  // namespace

Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::open(const fs::path& data_dir, RuntimeOptions options) {
  std::unique_ptr<Runtime> runtime(new Runtime());
  runtime->paths_.root = data_dir;
  const DataPaths& paths = runtime->paths_;
  WL_TRY(make_private_directory(paths.root));
  WL_TRY(make_private_directory(paths.key_file().parent_path()));

  runtime->key_provider_ = WL_TRY(FileKeyProvider::open_or_create(paths.key_file()));
  runtime->store_ = WL_TRY(SqliteStore::open(paths.database(), make_audit_chainer()));
  runtime->keys_ =
      std::make_unique<KeyRing>(*runtime->store_, *runtime->key_provider_, runtime->clock_);
  WL_TRY(runtime->keys_->load());
  runtime->audit_ = std::make_unique<AuditLog>(
      *runtime->store_, runtime->clock_, WL_TRY(load_or_create_signing_key(paths.audit_key())));
  runtime->hasher_ = std::make_unique<PasswordHasher>(options.password_strength);
  runtime->identity_ = std::make_unique<IdentityService>(*runtime->store_, runtime->clock_,
                                                         *runtime->audit_, *runtime->hasher_);
  runtime->patients_ = std::make_unique<PatientService>(*runtime->store_, *runtime->keys_,
                                                        *runtime->audit_, runtime->clock_);
  runtime->messaging_ = std::make_unique<MessagingService>(
      *runtime->store_, *runtime->keys_, *runtime->audit_, runtime->bus_, runtime->clock_,
      *runtime->patients_);
  return runtime;
}

}  // namespace wl::cli
