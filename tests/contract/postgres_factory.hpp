#pragma once

#include <memory>
#include <optional>
#include <string>

#include "adapters/postgres/postgres_store.hpp"
#include "contract/test_chainer.hpp"
#include "support/postgres_server.hpp"

namespace wl::testing {

// Owns a fresh, empty database on the shared test server (PostgresServer, started on
// first use); open() opens (or reopens) a store on it. The database is dropped on
// destruction. If the server cannot be started, open() fails with the reason, so the
// test fails rather than skips.
class PostgresFactory {
 public:
  PostgresFactory() {
    auto server = PostgresServer::shared();
    if (!server) {
      failure_ = server.error();
      return;
    }
    server_ = *server;
    auto database = server_->create_database();
    if (!database) {
      failure_ = database.error();
      return;
    }
    database_ = std::move(*database);
  }
  PostgresFactory(const PostgresFactory&) = delete;
  PostgresFactory& operator=(const PostgresFactory&) = delete;
  ~PostgresFactory() {
    if (server_ != nullptr && !database_.empty()) {
      (void)server_->drop_database(database_);
    }
  }

  static constexpr const char* kName = "Postgres";

  Result<std::unique_ptr<Store>> open(PostgresOptions options = {}) {
    auto store = open_postgres(options);
    if (!store) {
      return std::unexpected(store.error());
    }
    return std::unique_ptr<Store>(std::move(*store));
  }

  Result<std::unique_ptr<PostgresStore>> open_postgres(PostgresOptions options = {}) {
    if (failure_) {
      return std::unexpected(*failure_);
    }
    return PostgresStore::open(conninfo(), test_chainer(), options);
  }

  std::string conninfo() const { return server_ == nullptr ? "" : server_->conninfo(database_); }
  const std::string& database() const { return database_; }
  PostgresServer& server() { return *server_; }

 private:
  PostgresServer* server_ = nullptr;
  std::string database_;
  std::optional<Status> failure_;
};

}  // namespace wl::testing
