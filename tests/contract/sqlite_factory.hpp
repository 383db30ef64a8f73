#pragma once

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "adapters/sqlite/sqlite_store.hpp"
#include "contract/test_chainer.hpp"

namespace wl::testing {

// Owns a fresh temporary directory holding one SQLite database; open() opens (or
// reopens) the same database. The directory is removed on destruction.
class SqliteFactory {
 public:
  SqliteFactory() {
    std::random_device random;
    directory_ = std::filesystem::temp_directory_path() /
                 ("wl_store_contract_" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(directory_);
  }
  SqliteFactory(const SqliteFactory&) = delete;
  SqliteFactory& operator=(const SqliteFactory&) = delete;
  ~SqliteFactory() {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  static constexpr const char* kName = "Sqlite";

  Result<std::unique_ptr<Store>> open() {
    auto store = SqliteStore::open(database_file(), test_chainer());
    if (!store) {
      return std::unexpected(store.error());
    }
    return std::unique_ptr<Store>(std::move(*store));
  }

  std::filesystem::path database_file() const { return directory_ / "wardline.db"; }
  const std::filesystem::path& directory() const { return directory_; }

 private:
  std::filesystem::path directory_;
};

}  // namespace wl::testing
