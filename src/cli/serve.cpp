#include <csignal>
#include <cstdio>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "api/api_context.hpp"
#include "api/client_session.hpp"
#include "api/http_api.hpp"
#include "api/hub.hpp"
#include "api/work_pool.hpp"
#include "cli/commands.hpp"
#include "cli/demo.hpp"
#include "cli/runtime.hpp"
#include "core/log.hpp"
#include "net/certificates.hpp"
#include "net/server.hpp"

namespace wl::cli {
namespace {

struct ServeOptions {
  std::string data_dir = "wardline-data";
  std::string address = "127.0.0.1";
  std::uint16_t port = 8443;
  std::size_t io_threads = 0;
  std::size_t workers = 32;
  std::string static_dir;
  bool demo = false;
  bool json_logs = false;
  std::string log_level = "info";
  bool fast_password_hashing = false;
};

// Signs an audit checkpoint every interval, and once more at stop.
class CheckpointTimer {
 public:
  CheckpointTimer(AuditLog& audit, std::chrono::seconds interval)
      : audit_(audit), thread_([this, interval] { run(interval); }) {}
  ~CheckpointTimer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    (void)audit_.checkpoint();
  }

 private:
  void run(std::chrono::seconds interval) {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
      if (auto done = audit_.checkpoint(); !done) {
        log::get("audit")->error("audit checkpoint failed: {}", done.error().to_string());
      }
    }
  }

  AuditLog& audit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

int serve(const ServeOptions& options) {
  log::configure(options.json_logs ? log::Format::kJsonLines : log::Format::kText,
                 options.log_level);
  auto logger = log::get("cli");

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  RuntimeOptions runtime_options;
  if (options.fast_password_hashing) {
    runtime_options.password_strength = PasswordHasher::Strength::kMinimum;
  }
  auto runtime = Runtime::open(options.data_dir, runtime_options);
  if (!runtime) {
    logger->error("cannot open the data directory: {}", runtime.error().to_string());
    return 1;
  }
  if (options.demo) {
    auto seeded = seed_demo(**runtime);
    if (!seeded) {
      logger->error("cannot seed the demo hospital: {}", seeded.error().to_string());
      return 1;
    }
    if (*seeded) {
      logger->info("seeded the demo hospital '{}'", kDemoOrg);
    }
  }
  auto certificates = net::ensure_local_certificates((*runtime)->paths().tls_dir());
  if (!certificates) {
    logger->error("cannot create certificates: {}", certificates.error().to_string());
    return 1;
  }
  auto credentials =
      net::load_credentials(certificates->server_certificate, certificates->server_key);
  if (!credentials) {
    logger->error("cannot load certificates: {}", credentials.error().to_string());
    return 1;
  }

  Runtime& services = **runtime;
  api::WorkPool pool(options.workers, 100000);
  api::Hub hub(services.messaging(), services.bus(), services.store().instance_id());
  api::ApiContext context(services.identity(), services.messaging(), services.patients(), hub,
                          pool, services.clock(), services.store().instance_id(), {});
  api::HttpApi http(context, options.static_dir);
  net::ServerOptions server_options;
  server_options.address = options.address;
  server_options.port = options.port;
  server_options.threads = options.io_threads;
  net::Server server(server_options, std::move(*credentials), http,
                     [&context](const net::Request&) -> std::unique_ptr<net::WsHandler> {
                       return std::make_unique<api::ClientSession>(context);
                     });
  if (auto started = server.start(); !started) {
    logger->error("cannot start the server: {}", started.error().to_string());
    return 1;
  }
  CheckpointTimer checkpoints(services.audit(), std::chrono::seconds(60));

  const std::string host =
      options.address.find(':') != std::string::npos ? "[" + options.address + "]" : options.address;
  // Tests and scripts read this line to learn the bound port.
  std::printf("wardline: listening on https://%s:%u\n", host.c_str(), server.port());
  std::printf("wardline: certificate authority %s (pass it to clients with --ca)\n",
              certificates->ca_certificate.c_str());
  if (options.demo) {
    std::printf("wardline: demo org \"%s\"; users such as dr.patel, rn.harper, admin; password "
                "\"%s\" (docs/demo.md)\n",
                std::string(kDemoOrg).c_str(), std::string(kDemoPassword).c_str());
  }
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  logger->info("stopping on signal {}", received);
  server.stop();
  server.wait();
  pool.stop();
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* command = app.add_subcommand("serve", "Run the server (TLS, SQLite store, web app)");
  command->add_option("--data-dir", options->data_dir, "Data directory")->capture_default_str();
  command->add_option("--address", options->address, "Address to listen on")
      ->capture_default_str();
  command->add_option("--port", options->port, "Port (0 picks a free one)")->capture_default_str();
  command->add_option("--io-threads", options->io_threads, "Network threads (0: one per core)");
  command->add_option("--workers", options->workers, "Threads for store and crypto work")
      ->capture_default_str();
  command->add_option("--static-dir", options->static_dir, "Serve the web app from this folder");
  command->add_flag("--demo", options->demo, "Seed the fictional demo hospital once");
  command->add_flag("--json-logs", options->json_logs, "Log JSON lines");
  command->add_option("--log-level", options->log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  command->add_flag("--fast-password-hashing", options->fast_password_hashing,
                    "Argon2id at libsodium's minimum cost (tests and benchmarks only)");
  command->callback([options, &exit_code] { exit_code = serve(*options); });
}

}  // namespace wl::cli
