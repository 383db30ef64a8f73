#include "unit/net/net_test_support.hpp"

#include <cstdlib>
#include <stdexcept>

#include <gtest/gtest.h>

namespace wl::net::testing {

TempDirectory::TempDirectory() {
  std::string pattern = (std::filesystem::temp_directory_path() / "wl-net-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  path_ = pattern;
}

TempDirectory::~TempDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

EchoHttpHandler::~EchoHttpHandler() { join_all(); }

void EchoHttpHandler::join_all() {
  std::lock_guard lock(mutex_);
  for (auto& thread : threads_) {
    thread.join();
  }
  threads_.clear();
}

void EchoHttpHandler::admit(const Request& head, Admit admit) {
  if (const std::string_view stall = head.header("X-Stall-Ms"); !stall.empty()) {
    // Holds the io thread, as a handler that blocks by mistake would.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::stoul(std::string(stall))));
  }
  if (!head.header("X-Refuse").empty()) {
    Response refusal;
    refusal.status = 401;
    refusal.content_type = "text/plain";
    refusal.body = "refused before the body";
    admit(Admission{std::move(refusal), 0});
    return;
  }
  if (const std::string_view limit = head.header("X-Body-Limit"); !limit.empty()) {
    admit(Admission{std::nullopt, std::stoul(std::string(limit))});
    return;
  }
  HttpHandler::admit(head, std::move(admit));
}

void EchoHttpHandler::handle(Request request, Respond respond) {
  const std::thread::id io_thread = std::this_thread::get_id();
  std::lock_guard lock(mutex_);
  threads_.emplace_back([request = std::move(request), respond = std::move(respond), io_thread] {
    Response response;
    response.content_type = "text/plain";
    response.body = request.method + " " + request.target + " " + request.body;
    response.headers.push_back({"X-Connection-Id", std::to_string(request.connection_id)});
    response.headers.push_back(
        {"X-Answered-Off-Io-Thread", std::this_thread::get_id() != io_thread ? "yes" : "no"});
    response.headers.push_back({"X-Echo-Header", std::string(request.header("x-test"))});
    if (request.target == "/cache") {
      response.headers.push_back({"Cache-Control", "max-age=60"});
    }
    respond(std::move(response));
  });
}

bool WsProbe::wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex);
  return changed.wait_for(lock, timeout, condition);
}

EchoWsHandler::~EchoWsHandler() {
  if (poster_.joinable()) {
    poster_.join();
  }
}

void EchoWsHandler::on_open(std::shared_ptr<WsConnection> connection) {
  connection_ = std::move(connection);
  std::lock_guard lock(probe_.mutex);
  ++probe_.opened;
  probe_.io_thread = std::this_thread::get_id();
  probe_.last_connection = connection_;
  probe_.changed.notify_all();
}

std::string pattern_frame(std::size_t bytes, std::size_t seed) {
  std::string frame(bytes, '\0');
  for (std::size_t index = 0; index < bytes; ++index) {
    frame[index] = static_cast<char>('a' + (index * 7 + seed * 13 + index / 4093) % 26);
  }
  return frame;
}

void EchoWsHandler::on_message(std::string_view text) {
  if (text == "post") {
    // post() from a thread that is not the connection's.
    poster_ = std::thread([connection = connection_, &probe = probe_] {
      connection->post([connection, &probe] {
        {
          std::lock_guard lock(probe.mutex);
          probe.posted_task_thread = std::this_thread::get_id();
        }
        connection->try_send(std::make_shared<const std::string>("posted"));
      });
    });
    return;
  }
  if (text.starts_with("burst:")) {
    // burst:<n>: n small frames queued in one turn ("burst-0", "burst-1", ...).
    const int count = std::stoi(std::string(text.substr(6)));
    for (int index = 0; index < count; ++index) {
      connection_->try_send(std::make_shared<const std::string>("burst-" + std::to_string(index)));
    }
    return;
  }
  if (text.starts_with("pattern:")) {
    // pattern:<bytes>:<seed>: one frame whose every byte depends on its position and
    // the seed, so a frame mixed up with another connection's bytes is detected.
    const std::string spec(text.substr(8));
    const std::size_t colon = spec.find(':');
    const std::size_t bytes = std::stoul(spec.substr(0, colon));
    const std::size_t seed = std::stoul(spec.substr(colon + 1));
    connection_->try_send(std::make_shared<const std::string>(pattern_frame(bytes, seed)));
    return;
  }
  if (text.starts_with("flood:")) {
    const std::size_t bytes = std::stoul(std::string(text.substr(6)));
    auto frame = std::make_shared<const std::string>(bytes, 'x');
    std::size_t accepted = 0;
    while (connection_->try_send(frame)) {
      ++accepted;
    }
    std::lock_guard lock(probe_.mutex);
    probe_.flood_accepted = accepted;
    probe_.queued_after_flood = connection_->queued_frames();
    probe_.changed.notify_all();
    return;
  }
  {
    std::lock_guard lock(probe_.mutex);
    probe_.messages.emplace_back(text);
    probe_.changed.notify_all();
  }
  connection_->try_send(std::make_shared<const std::string>(text));
}

void EchoWsHandler::on_drained() {
  std::lock_guard lock(probe_.mutex);
  ++probe_.drained;
  probe_.changed.notify_all();
}

void EchoWsHandler::on_closed() {
  connection_.reset();
  std::lock_guard lock(probe_.mutex);
  ++probe_.closed;
  probe_.last_connection.reset();
  probe_.changed.notify_all();
}

const LocalCertificatePaths& test_certificates() {
  // Leaked on purpose: lives for the whole test binary.
  static TempDirectory* directory = new TempDirectory();
  static const LocalCertificatePaths paths = [] {
    auto created = ensure_local_certificates(directory->path());
    if (!created) {
      throw std::runtime_error("ensure_local_certificates: " + created.error().to_string());
    }
    return *created;
  }();
  return paths;
}

TlsCredentials test_credentials() {
  auto credentials =
      load_credentials(test_certificates().server_certificate, test_certificates().server_key);
  if (!credentials) {
    throw std::runtime_error("load_credentials: " + credentials.error().to_string());
  }
  return *credentials;
}

TestServer::TestServer(ServerOptions options) {
  options.port = 0;
  if (options.threads == 0) {
    options.threads = 2;
  }
  server_ = std::make_unique<Server>(std::move(options), test_credentials(), http_,
                                     [this](const Request& upgrade) -> std::unique_ptr<WsHandler> {
                                       if (!upgrade.header("X-Refuse").empty()) {
                                         return nullptr;
                                       }
                                       return std::make_unique<EchoWsHandler>(probe_);
                                     });
  auto started = server_->start();
  if (!started) {
    throw std::runtime_error("server start: " + started.error().to_string());
  }
}

TestServer::~TestServer() {
  server_->stop();
  // Respond posts to the server's io contexts: no answer may come after they are gone.
  http_.join_all();
  server_.reset();
}

ClientOptions TestServer::client_options() const {
  ClientOptions options;
  options.host = "127.0.0.1";
  options.port = port();
  options.ca_file = test_certificates().ca_certificate.string();
  options.timeout = std::chrono::seconds(5);
  return options;
}

}  // namespace wl::net::testing
