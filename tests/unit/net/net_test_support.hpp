#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/certificates.hpp"
#include "net/client.hpp"
#include "net/server.hpp"

namespace wl::net::testing {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDirectory {
 public:
  TempDirectory();
  ~TempDirectory();
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Answers every request from a thread of its own (never the io thread), echoing
// "<method> <target> <body>". Targets: /cache sets its own Cache-Control; anything
// else gets only what net adds. Joins its threads on destruction.
class EchoHttpHandler : public HttpHandler {
 public:
  ~EchoHttpHandler() override;
  // Refuses with 401 a request carrying "X-Refuse"; admits one carrying
  // "X-Body-Limit: N" with that limit; others within the server's ceiling. With
  // "X-Stall-Ms: N" it first blocks the io thread N ms.
  void admit(const Request& head, Admit admit) override;
  void handle(Request request, Respond respond) override;
  // Waits for every answering thread; call before the server is destroyed.
  void join_all();

 private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

// What the WebSocket handlers saw, shared with the test thread.
struct WsProbe {
  std::mutex mutex;
  std::condition_variable changed;
  int opened = 0;
  int closed = 0;
  int drained = 0;
  std::vector<std::string> messages;
  std::thread::id io_thread;
  std::thread::id posted_task_thread;
  std::size_t flood_accepted = 0;
  std::size_t queued_after_flood = 0;
  std::shared_ptr<WsConnection> last_connection;

  // Waits until `condition` (called under the lock) holds; false after `timeout`.
  bool wait_for(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));
};

// Echoes text frames. Commands: "post" makes another thread post() a task that sends
// "posted"; "flood:<bytes>" try_sends frames of that size until the queue refuses one.
class EchoWsHandler : public WsHandler {
 public:
  explicit EchoWsHandler(WsProbe& probe) : probe_(probe) {}
  ~EchoWsHandler() override;

  void on_open(std::shared_ptr<WsConnection> connection) override;
  void on_message(std::string_view text) override;
  void on_drained() override;
  void on_closed() override;

 private:
  WsProbe& probe_;
  std::shared_ptr<WsConnection> connection_;
  std::thread poster_;
};

// Certificates made once per test binary in a temp dir that lives until exit.
const LocalCertificatePaths& test_certificates();
TlsCredentials test_credentials();

// A started server on 127.0.0.1 port 0 with the echo handlers. The factory refuses
// upgrades that carry the header "X-Refuse". Stops on destruction.
// The frame EchoWsHandler answers to "pattern:<bytes>:<seed>" with.
std::string pattern_frame(std::size_t bytes, std::size_t seed);

class TestServer {
 public:
  explicit TestServer(ServerOptions options = {});
  ~TestServer();

  Server& server() { return *server_; }
  std::uint16_t port() const { return server_->port(); }
  WsProbe& probe() { return probe_; }
  // Client options that trust the test CA.
  ClientOptions client_options() const;

 private:
  EchoHttpHandler http_;
  WsProbe probe_;
  std::unique_ptr<Server> server_;
};

}  // namespace wl::net::testing
