#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "api/adt_endpoint.hpp"
#include "api/api_context.hpp"
#include "api/client_session.hpp"
#include "api/echo_session.hpp"
#include "api/http_api.hpp"
#include "api/hub.hpp"
#include "api/work_pool.hpp"
#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "cli/demo.hpp"
#include "cli/metrics.hpp"
#include "cli/run_file.hpp"
#include "cli/runtime.hpp"
#include "cli/service_notify.hpp"
#include "core/crypto/hash.hpp"
#include "core/crypto/random.hpp"
#include "core/crypto/secret_file.hpp"
#include "core/log.hpp"
#include "core/time_zone.hpp"
#include "net/certificates.hpp"
#include "net/mllp_server.hpp"
#include "net/server.hpp"
#include "services/audit/audit_checkpointer.hpp"
#include "services/identity/session_purge.hpp"
#include "services/patients/adt_service.hpp"
#include "services/timers/job_runner.hpp"

namespace wl::cli {
namespace {

struct ServeOptions {
  std::string data_dir = "wardline-data";
  std::string store;  // RuntimeOptions::store.
  std::string address = "127.0.0.1";
  std::uint16_t port = 8443;
  std::size_t io_threads = 0;
  std::size_t workers = 32;
  std::string static_dir;
  bool demo = false;
  bool json_logs = false;
  std::string log_level = "info";
  bool fast_password_hashing = false;
  std::string metrics_token_file;  // GET /metrics needs this file's token; empty: no /metrics.
  bool bench_echo = false;
  bool bench_limits = false;
  std::size_t ws_queue_frames = 512;
  net::ConnectionLimits limits;
  int session_check_seconds = 30;
  int read_window_ms = static_cast<int>(api::Hub::kReadWindow.count());
  int receipt_wait_ms = static_cast<int>(MessagingLimits::kReceiptWait.count());
  int hello_timeout_seconds = 10;
  std::string audit_key_file;
  std::string audit_head_file;
  int audit_checkpoint_seconds = 10;
  std::int64_t audit_checkpoint_entries = 1000;
  // The hospital's own certificate chain and key (PEM); both or neither.
  std::string tls_certificate;
  std::string tls_key;
  // Without them: the names of the generated certificate (empty: the defaults).
  std::vector<std::string> hostnames;
  // Tests only: on SIGUSR2 the server's clock moves to the system time plus the number
  // of seconds this file holds.
  std::string test_clock_file;
  // A plain HTTP port that only redirects to https (0 picks a free one).
  std::optional<std::uint16_t> http_port;
  // The HL7 ADT feed over MLLP (docs/patients.md): its port (0 picks a free one; unset: no
  // feed), address (empty: --address), TLS with the server's certificate, the org whose
  // patients it carries (empty: the demo org with --demo), and the zone of its times.
  std::optional<std::uint16_t> hl7_port;
  std::string hl7_address;
  bool hl7_tls = false;
  std::string hl7_org;
  std::string hl7_time_zone = "UTC";
  // Open MLLP connections from one address (0: no cap).
  std::size_t hl7_max_connections_per_address = net::MllpOptions{}.max_connections_per_address;
};

// Runs task every interval on its own thread, and once more when destroyed.
class Periodic {
 public:
  Periodic(std::chrono::seconds interval, std::function<void()> task)
      : task_(std::move(task)), thread_([this, interval] { run(interval); }) {}
  ~Periodic() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    task_();
  }

 private:
  void run(std::chrono::seconds interval) {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      task_();
      lock.lock();
    }
  }

  std::function<void()> task_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// The baseline endpoint of `wardline bench run --mode echo`; only with --bench-echo
// (the server refuses upgrades to paths not in ws_paths).
constexpr std::string_view kBenchEchoPath = "/bench/echo";

// The API limits; with --bench-limits the login and send rate limits are lifted so one
// load generator on one address can log in thousands of users and send at full speed.
api::ApiOptions api_options_for(const ServeOptions& options) {
  api::ApiOptions api_options;
  api_options.hello_timeout = std::chrono::seconds(options.hello_timeout_seconds);
  if (options.bench_limits) {
    api_options.login_per_ip_per_second = 1e9;
    api_options.login_per_ip_burst = 1e9;
    api_options.login_per_user_per_second = 1e9;
    api_options.login_per_user_burst = 1e9;
    api_options.sends_per_user_per_second = 1e9;
    api_options.sends_per_user_burst = 1e9;
  }
  return api_options;
}

// An audit entry of the server's own life (action "server.start" or "server.stop").
AuditDraft server_event(Runtime& runtime, std::string_view action) {
  AuditDraft draft;
  draft.at = runtime.clock().now();
  draft.action = action;
  draft.target = "server";
  draft.outcome = "ok";
  return draft;
}

// Every org's sealing key, created now if it has none (KeyRing::prepare).
Result<void> prepare_org_keys(Runtime& runtime) {
  for (const Org& org : WL_TRY(runtime.store().list_orgs())) {
    WL_TRY(runtime.keys().prepare(org.id));
  }
  return ok();
}

// The certificate the server presents: the hospital's own (--tls-cert, --tls-key), or
// the one the local CA signed for --hostname (docs/operations.md, "TLS certificates").
struct TlsSetup {
  net::TlsCredentials credentials;
  std::optional<net::LocalCertificatePaths> local;  // Only for the generated one.
};

bool has_own_certificate(const ServeOptions& options) { return !options.tls_certificate.empty(); }

// Names the certificate in log lines, without its path.
std::string_view certificate_source(const ServeOptions& options) {
  return has_own_certificate(options) ? "the certificate of --tls-cert/--tls-key"
                                      : "the local certificate";
}

// Loads the hospital's certificate; or makes, renews or keeps the local one (a new CA
// if the names changed) and loads it. Runs at start and on every SIGHUP; blocks on
// disk I/O. Errors: as net::load_credentials and net::ensure_local_certificates.
Result<TlsSetup> prepare_tls(const ServeOptions& options, const std::filesystem::path& tls_dir) {
  if (has_own_certificate(options)) {
    TlsSetup setup{WL_TRY(net::load_credentials(options.tls_certificate, options.tls_key)),
                   std::nullopt};
    // The local CA is not used, but a key an older version left for it would still
    // let its holder impersonate any site to devices that trust that CA.
    if (WL_TRY(net::destroy_old_ca_key(tls_dir))) {
      log::get("cli")->warn(
          "destroyed the key of an old local certificate authority: remove that CA from "
          "devices that trusted it");
    }
    return setup;
  }
  const std::vector<std::string> hostnames =
      options.hostnames.empty() ? net::default_local_hostnames() : options.hostnames;
  net::LocalCertificatePaths local = WL_TRY(net::ensure_local_certificates(tls_dir, hostnames));
  net::TlsCredentials credentials =
      WL_TRY(net::load_credentials(local.server_certificate, local.server_key));
  return TlsSetup{std::move(credentials), std::move(local)};
}

// Why a new CA replaced the one clients trusted; nullopt if none did.
std::optional<std::string_view> ca_replacement_reason(net::CaChange change) {
  switch (change) {
    case net::CaChange::kKept:
      return std::nullopt;
    case net::CaChange::kCreated:
      return "there was none";
    case net::CaChange::kReplacedUnconstrained:
      return "the old one had no name constraints and its key was on disk";
    case net::CaChange::kReplacedForHostnames:
      return "the hostnames changed";
    case net::CaChange::kReplacedForRenewal:
      return "the server certificate was due for renewal or unusable";
  }
  return std::nullopt;
}

// Tells the operator, in the log and on stdout, that clients must trust a new CA: the
// old CA's key is gone, so the new server certificate could not be signed by it.
void announce_new_ca(const net::LocalCertificatePaths& local, spdlog::logger& logger) {
  const std::optional<std::string_view> reason = ca_replacement_reason(local.ca_change);
  if (!reason) {
    return;
  }
  logger.warn(
      "made a new local certificate authority ({}): clients and browsers must trust "
      "the new ca.pem",
      *reason);
  std::printf(
      "wardline: NEW certificate authority %s (%s): every client and browser must trust it "
      "again; remove the old \"Wardline local CA\" from devices (docs/operations.md)\n",
      local.ca_certificate.c_str(), std::string(*reason).c_str());
  std::fflush(stdout);
}

// The data directory's run file for this server (cli/run_file.hpp): written once the
// server listens, rewritten when SIGHUP changes the certificate, removed as this is
// destroyed (a clean stop) if it is still this server's. A failure to write is logged:
// the server serves on, and `wardline admin` cannot reach it.
class RunFileKeeper {
 public:
  RunFileKeeper(std::filesystem::path file, RunFile run) : file_(std::move(file)), run_(run) {
    write();
  }
  ~RunFileKeeper() {
    // Another server on the same directory (PostgreSQL nodes may share one) may have
    // replaced it: only this server's own file goes.
    auto current = read_run_file(file_);
    if (current && current->admin_token == run_.admin_token) {
      std::error_code ignored;
      std::filesystem::remove(file_, ignored);
    }
  }
  RunFileKeeper(const RunFileKeeper&) = delete;
  RunFileKeeper& operator=(const RunFileKeeper&) = delete;

  void set_certificate_pin(std::string pin) {
    if (pin != run_.certificate_pin) {
      run_.certificate_pin = std::move(pin);
      write();
    }
  }

 private:
  void write() {
    if (auto written = write_run_file(file_, run_); !written) {
      log::get("cli")->error(
          "cannot write the run file ({}): `wardline admin` cannot reach this server",
          written.error().to_string());
    }
  }

  std::filesystem::path file_;
  RunFile run_;
};

// On SIGHUP: loads the certificate again and serves it to new connections; open ones
// keep theirs. A certificate that fails to load leaves the previous one in service.
void reload_tls(const ServeOptions& options, const std::filesystem::path& tls_dir,
                net::Server& server, net::MllpServer* mllp, RunFileKeeper& run_file,
                spdlog::logger& logger) {
  auto setup = prepare_tls(options, tls_dir);
  if (!setup) {
    logger.error("cannot reload {}, still serving the previous one: {}",
                 certificate_source(options), setup.error().to_string());
    return;
  }
  if (setup->local) {
    announce_new_ca(*setup->local, logger);
  }
  auto pin = net::certificate_pin(setup->credentials.certificate_chain_pem);
  if (mllp != nullptr && options.hl7_tls) {
    if (auto reloaded = mllp->reload_credentials(setup->credentials); !reloaded) {
      logger.error("cannot reload {} for the HL7 feed, still serving the previous one: {}",
                   certificate_source(options), reloaded.error().to_string());
      return;
    }
  }
  if (auto reloaded = server.reload_credentials(std::move(setup->credentials)); !reloaded) {
    logger.error("cannot reload {}, still serving the previous one: {}",
                 certificate_source(options), reloaded.error().to_string());
    return;
  }
  if (pin) {
    run_file.set_certificate_pin(std::move(*pin));
  }
  logger.info("reloaded {} on SIGHUP", certificate_source(options));
}

// On SIGUSR2 with --test-clock-file: sets the services' clock to the system time plus
// the seconds the file holds, and says so on stdout, which the test waits for.
void move_test_clock(const ServeOptions& options, Runtime& runtime, spdlog::logger& logger) {
  std::ifstream file(options.test_clock_file);
  std::int64_t seconds = 0;
  if (!(file >> seconds)) {
    logger.error("cannot read the test clock file");
    return;
  }
  runtime.set_clock_offset_for_test(std::chrono::seconds(seconds));
  std::printf("wardline: test clock offset %lld s\n", static_cast<long long>(seconds));
  std::fflush(stdout);
}

// Raises the soft descriptor limit to the hard one: every connection is a descriptor,
// and Debian's soft default (1024) would cap the server far below its connection cap.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int serve(const ServeOptions& options) {
  log::configure(options.json_logs ? log::Format::kJsonLines : log::Format::kText,
                 options.log_level);
  auto logger = log::get("cli");
  raise_descriptor_limit();
  // A clock that a signal moves would let whoever can signal the process skip locks
  // and expiries: only a test turns it on, in the environment as well.
  if (!options.test_clock_file.empty() && std::getenv("WARDLINE_TEST_CLOCK") == nullptr) {
    logger->error("--test-clock-file is for tests only: it needs WARDLINE_TEST_CLOCK=1 set");
    return 2;
  }

  // Block the stop and reload signals in every thread; the main thread waits for them
  // below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  if (!options.test_clock_file.empty()) {
    sigaddset(&signals, SIGUSR2);
  }
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  RuntimeOptions runtime_options;
  if (options.fast_password_hashing) {
    runtime_options.password_strength = PasswordHasher::Strength::kMinimum;
  }
  runtime_options.audit_key_file = options.audit_key_file;
  runtime_options.audit_head_file = options.audit_head_file;
  runtime_options.store = options.store;
  runtime_options.messaging.receipt_wait = std::chrono::milliseconds(options.receipt_wait_ms);
  auto runtime = Runtime::open(options.data_dir, runtime_options);
  if (!runtime) {
    logger->error("cannot open the data directory: {}", runtime.error().to_string());
    return 1;
  }
  log::get("audit")->info("signing audit checkpoints with key {}",
                          audit_key_fingerprint((*runtime)->audit().public_key()));
  // Every start is in the log, so a log that verifies is never empty.
  if (auto started = (*runtime)->audit().record(server_event(**runtime, "server.start"));
      !started) {
    logger->error("cannot write the audit log: {}", started.error().to_string());
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
  // Sends seal on the io threads, which must not wait for a first key to be stored.
  if (auto prepared = prepare_org_keys(**runtime); !prepared) {
    logger->error("cannot prepare the data keys: {}", prepared.error().to_string());
    return 1;
  }
  const std::filesystem::path tls_dir = (*runtime)->paths().tls_dir();
  auto tls = prepare_tls(options, tls_dir);
  if (!tls) {
    logger->error("cannot use {}: {}", certificate_source(options), tls.error().to_string());
    return 1;
  }

  Runtime& services = **runtime;
  // Pin everything written so far (the start, the demo) before accepting anyone, so a
  // server killed at any later moment has at least its start signed.
  if (auto pinned = services.sign_audit_checkpoint(); !pinned) {
    logger->error("cannot sign an audit checkpoint: {}", pinned.error().to_string());
    return 1;
  }
  // From here on, checkpoints are signed off the request path, and once more as this is
  // destroyed, after everything else has stopped.
  AuditCheckpointer checkpoints(
      services.audit(), services.audit_tally(),
      AuditCheckpointer::Options{std::chrono::seconds(options.audit_checkpoint_seconds),
                                 options.audit_checkpoint_entries},
      [&services](const Result<AuditCheckpoint>& checkpoint) {
        if (checkpoint) {
          services.export_audit_head(*checkpoint);
        } else {
          log::get("audit")->error("audit checkpoint failed: {}", checkpoint.error().to_string());
        }
      });
  // Durable timers (docs/architecture.md, "Timers"), run from here until the stop.
  // The events timers' work appends (reminders, escalations, re-alerts) go to the
  // clients as others do.
  DurationHistogram timer_lateness;  // For /metrics; outlives the runner.
  JobRunnerOptions runner_options;
  runner_options.lateness = &timer_lateness;
  JobRunner timers(services.store(), services.store(), services.clock(), runner_options,
                   publish_to(services.bus()));
  const SessionPurgeOptions purge;
  timers.handle(std::string(kSessionPurgeTimer), session_purge_handler(services.clock(), purge));
  timers.handle(std::string(kReminderTimer), [&services](const Timer& timer, WriteBatch& batch) {
    return services.messaging().remind(timer, batch);
  });
  timers.handle(std::string(kEscalationTimer), [&services](const Timer& timer, WriteBatch& batch) {
    return services.escalator().run(timer, batch);
  });
  timers.handle(std::string(kReleaseTimer), [&services](const Timer& timer, WriteBatch& batch) {
    return services.messaging().release(timer, batch);
  });
  timers.handle(std::string(kUnscreenedTimer), [&services](const Timer& timer, WriteBatch& batch) {
    return services.messaging().deliver_unscreened(timer, batch);
  });
  if (auto scheduled =
          schedule_session_purge(services.store(), services.store(), services.clock(), purge);
      !scheduled) {
    logger->error("cannot schedule the session purge: {}", scheduled.error().to_string());
    return 1;
  }
  timers.start();
  api::WorkPool pool(options.workers, 100000);
  api::Hub hub(services.messaging(), services.bus(), services.store().instance_id(),
               std::chrono::milliseconds(options.read_window_ms));
  api::ApiContext context(services.identity(), services.directory(), services.messaging(),
                          services.patients(), services.routing(), services.providers(),
                          services.callbacks(), services.quick_notes(), services.keys(),
                          services.audit(), hub, pool, services.clock(),
                          services.store().instance_id(), api_options_for(options));
  // The admin token of the run file: whoever can read the data directory already holds
  // the store and its keys, so it acts as the system (docs/operations.md).
  const std::string admin_token = crypto::random_token_hex(kAdminTokenBytes);
  context.admin_token_sha256 = crypto::sha256(admin_token);
  if (options.bench_limits) {
    // The load generator reads the store's counters around its measured window.
    context.bench_store_stats = [&services] { return services.store().stats(); };
  }
  context.data_dir = services.paths().root;
  if (!options.metrics_token_file.empty()) {
    // The scraper's token: kept as its hash, compared in constant time (api/http_api).
    auto token = crypto::read_secret_file(options.metrics_token_file, 4096);
    if (!token || token->find_first_not_of(" \n") == std::string::npos) {
      logger->error("cannot read the metrics token from {}: {}", options.metrics_token_file,
                    token ? "the file is empty" : token.error().message());
      return 1;
    }
    const auto end = token->find_last_not_of(" \n");
    context.metrics_token_sha256 = crypto::sha256(std::string_view(*token).substr(0, end + 1));
  }
  auto certificate_pin = net::certificate_pin(tls->credentials.certificate_chain_pem);
  if (!certificate_pin) {
    logger->error("cannot read {}: {}", certificate_source(options),
                  certificate_pin.error().to_string());
    return 1;
  }
  // The ADT feed (docs/patients.md): messages go from the MLLP listener to the work pool,
  // and their ACKs back once durable.
  std::unique_ptr<AdtService> adt;
  std::unique_ptr<api::AdtEndpoint> adt_endpoint;
  std::unique_ptr<net::MllpServer> mllp;
  if (options.hl7_port) {
    const std::string org_name = !options.hl7_org.empty() ? options.hl7_org
                                 : options.demo           ? std::string(kDemoOrg)
                                                          : "";
    if (org_name.empty()) {
      logger->error("--hl7-port needs --hl7-org: the org whose patients the feed carries");
      return 1;
    }
    auto org = services.store().find_org_by_name(org_name);
    if (!org) {
      logger->error("--hl7-org: no org named '{}'", org_name);
      return 1;
    }
    if (!is_time_zone(options.hl7_time_zone)) {
      logger->error("--hl7-time-zone: '{}' is not a zone of the tz database",
                    options.hl7_time_zone);
      return 1;
    }
    adt = std::make_unique<AdtService>(
        services.store(), services.store(), services.patients(), services.keys(), services.audit(),
        services.bus(), services.clock(), AdtOptions{org->id, options.hl7_time_zone},
        [&pool, &logger](std::function<void()> retry) {
          if (!pool.try_submit(std::move(retry))) {
            logger->warn("the work queue is full: an HL7 message retried is not acknowledged");
          }
        });
    adt_endpoint = std::make_unique<api::AdtEndpoint>(*adt, pool);
    context.adt = adt.get();
    net::MllpOptions mllp_options;
    mllp_options.address = options.hl7_address.empty() ? options.address : options.hl7_address;
    mllp_options.port = *options.hl7_port;
    mllp_options.max_connections_per_address =
        options.bench_limits ? 0 : options.hl7_max_connections_per_address;
    std::optional<net::TlsCredentials> mllp_tls;
    if (options.hl7_tls) {
      mllp_tls = tls->credentials;
    }
    mllp = std::make_unique<net::MllpServer>(mllp_options, std::move(mllp_tls), *adt_endpoint);
  }
  api::HttpApi http(context, options.static_dir);
  net::ServerOptions server_options;
  server_options.address = options.address;
  server_options.port = options.port;
  server_options.threads = options.io_threads;
  server_options.ws_queue_frames = options.ws_queue_frames;
  server_options.limits = options.limits;
  if (options.bench_limits) {
    // One load generator opens thousands of connections from one address.
    server_options.limits.connections_per_address = 0;
    server_options.limits.handshakes_per_address = 0;
  }
  if (options.bench_echo) {
    server_options.ws_paths.push_back(std::string(kBenchEchoPath));
  }
  server_options.http_redirect_port = options.http_port;
  server_options.redirect_hosts = options.hostnames;
  net::Server server(server_options, std::move(tls->credentials), http,
                     [&context](const net::Request& upgrade) -> std::unique_ptr<net::WsHandler> {
                       if (upgrade.target == kBenchEchoPath) {
                         return std::make_unique<api::EchoSession>();
                       }
                       return std::make_unique<api::ClientSession>(context);
                     });
  if (!context.metrics_token_sha256.empty()) {
    context.metrics = [&server, &context, &hub, &services, &timer_lateness, &mllp, &adt_endpoint,
                       started_at = std::chrono::system_clock::now()] {
      return render_metrics(MetricsSources{server, context, hub, services.store(),
                                           services.audit_counts(), timer_lateness, started_at,
                                           mllp.get(), adt_endpoint.get()});
    };
  }
  if (auto started = server.start(); !started) {
    logger->error("cannot start the server: {}", started.error().to_string());
    return 1;
  }
  if (mllp) {
    if (auto started = mllp->start(); !started) {
      logger->error("cannot start the HL7 listener: {}", started.error().to_string());
      return 1;
    }
  }
  std::optional<RunFileKeeper> run_file;
  run_file.emplace(services.paths().run_file(),
                   RunFile{.pid = ::getpid(),
                           .address = local_address_for(options.address),
                           .port = server.port(),
                           .certificate_pin = std::move(*certificate_pin),
                           .admin_token = admin_token});
  // Under a systemd watchdog (WatchdogSec=), WATCHDOG=1 every half interval, but only
  // while every io thread answers: a process whose event loops are stuck is restarted.
  std::atomic<bool> watched = true;
  std::optional<Periodic> watchdog;
  if (const auto interval = service_watchdog_interval()) {
    const auto every = std::max(std::chrono::duration_cast<std::chrono::seconds>(*interval / 2),
                                std::chrono::seconds(1));
    const auto answer_within = std::chrono::milliseconds(every) / 2;  // In ms: 1 s / 2 is not 0.
    watchdog.emplace(every, [&server, &watched, answer_within, &logger] {
      if (!watched) {
        return;  // Stopping: STOPPING=1 was sent.
      }
      if (server.responsive(answer_within)) {
        notify_service_manager_or_log("WATCHDOG=1");
      } else {
        logger->error("an io thread did not answer within {} ms: no watchdog ping",
                      answer_within.count());
      }
    });
  }
  // Live connections re-check their login sessions: automatic logoff and revoked
  // devices reach sockets that stay open.
  Periodic session_checks(std::chrono::seconds(options.session_check_seconds),
                          [&hub] { hub.sweep(); });

  const std::string host = options.address.find(':') != std::string::npos
                               ? "[" + options.address + "]"
                               : options.address;
  if (services.created_audit_key()) {
    // Shown once, when the key is made: the operator records it off this machine, for
    // `wardline audit verify --key` (docs/audit_chain.md).
    std::printf("%s\n", audit_key_line(services.audit().public_key()).c_str());
  }
  // Tests and scripts read this line to learn the bound port.
  std::printf("wardline: listening on https://%s:%u\n", host.c_str(), server.port());
  if (options.http_port) {
    std::printf("wardline: redirecting http://%s:%u to https\n", host.c_str(),
                server.http_redirect_port());
  }
  if (mllp) {
    const std::string hl7_host = options.hl7_address.empty() ? host : options.hl7_address;
    std::printf("wardline: HL7 feed (MLLP%s) on %s:%u\n", options.hl7_tls ? " over TLS" : "",
                hl7_host.c_str(), mllp->port());
  }
  if (tls->local) {
    std::printf("wardline: certificate authority %s (pass it to clients with --ca)\n",
                tls->local->ca_certificate.c_str());
    if (tls->local->ca_change != net::CaChange::kCreated) {
      announce_new_ca(*tls->local, *logger);
    }
  } else {
    std::printf("wardline: serving the certificate of --tls-cert (SIGHUP reloads it)\n");
  }
  if (options.demo) {
    std::printf(
        "wardline: demo org \"%s\"; users such as dr.patel, rn.harper, admin; password "
        "\"%s\" (docs/demo.md)\n",
        std::string(kDemoOrg).c_str(), std::string(kDemoPassword).c_str());
  }
  std::fflush(stdout);
  // Under systemd (Type=notify) the unit counts as started only now, once connections
  // are accepted.
  notify_service_manager_or_log(
      fmt::format("READY=1\nSTATUS=listening on https://{}:{}", host, server.port()));

  for (;;) {
    int received = 0;
    sigwait(&signals, &received);
    if (received == SIGUSR2) {
      // What the jump made due runs now: timers, and the re-check of live sessions.
      move_test_clock(options, services, *logger);
      timers.wake();
      hub.sweep();
      continue;
    }
    if (received != SIGHUP) {
      logger->info("stopping on signal {}", received);
      watched = false;
      notify_service_manager_or_log(
          "STOPPING=1\nSTATUS=stopping: closing connections, then the final audit checkpoint");
      break;
    }
    reload_tls(options, tls_dir, server, mllp.get(), *run_file, *logger);
  }
  // Local admins stop calling before the server stops answering.
  run_file.reset();
  if (mllp) {
    mllp->stop();  // Messages in hand get their ACKs first; the rest are sent again.
  }
  server.stop();
  server.wait();
  pool.stop();
  timers.stop();
  // A clean stop is in the log too; `checkpoints` signs it as it is destroyed.
  if (auto stopped = services.audit().record(server_event(services, "server.stop")); !stopped) {
    log::get("audit")->error("cannot write the audit log: {}", stopped.error().to_string());
  }
  return 0;
}

// Registers serve's options on `command`, writing into `options`, which must outlive it.
// Options that only tests and benchmarks use are not configurable: a configuration file
// left on a server must not turn them on (cli/config.hpp).
void add_serve_options(CLI::App* command, ServeOptions* options) {
  command->add_option("--data-dir", options->data_dir, "Data directory")->capture_default_str();
  command->add_option("--store", options->store,
                      "sqlite (the data directory's database, the default) or a postgres:// URI");
  command->add_option("--address", options->address, "Address to listen on")->capture_default_str();
  command->add_option("--port", options->port, "Port (0 picks a free one)")->capture_default_str();
  command->add_option("--io-threads", options->io_threads, "Network threads (0: one per core)");
  command->add_option("--workers", options->workers, "Threads for store and crypto work")
      ->capture_default_str();
  command->add_option("--static-dir", options->static_dir, "Serve the web app from this folder");
  command->add_flag("--demo", options->demo, "Seed the fictional demo hospital once");
  command->add_flag("--json-logs", options->json_logs, "Log JSON lines");
  command->add_option("--metrics-token-file", options->metrics_token_file,
                      "Serve GET /metrics to a scraper presenting this file's token as a bearer "
                      "token (docs/operations.md, \"Monitoring\"); default: no /metrics");
  command->add_option("--log-level", options->log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  command
      ->add_flag("--fast-password-hashing", options->fast_password_hashing,
                 "Argon2id at libsodium's minimum cost (tests and benchmarks only)")
      ->configurable(false);
  command
      ->add_option("--ws-queue-frames", options->ws_queue_frames,
                   "Outgoing frames a WebSocket may queue before it counts as slow")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  command
      ->add_option("--session-check-seconds", options->session_check_seconds,
                   "How often open connections re-check their login session")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  command
      ->add_option("--read-window-ms", options->read_window_ms,
                   "How long read marks are held to go out together (0: each at once)")
      ->capture_default_str()
      ->check(CLI::Range(0, 5000));
  command
      ->add_option("--receipt-wait-ms", options->receipt_wait_ms,
                   "How long a delivery receipt may wait to share the next write's commit "
                   "(0: its own commit at once)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  command
      ->add_option("--hello-timeout-seconds", options->hello_timeout_seconds,
                   "How long a new WebSocket may take to authenticate")
      ->capture_default_str()
      ->check(CLI::Range(1, 600));
  command
      ->add_option("--max-connections", options->limits.connections,
                   "Open connections in all (0: only the descriptor limit)")
      ->capture_default_str();
  command
      ->add_option("--max-connections-per-address", options->limits.connections_per_address,
                   "Open connections from one IP address (0: no cap; raise it behind a load "
                   "balancer)")
      ->capture_default_str();
  command
      ->add_option("--max-handshakes", options->limits.handshakes,
                   "TLS handshakes in progress in all (0: no cap)")
      ->capture_default_str();
  command
      ->add_option("--max-handshakes-per-address", options->limits.handshakes_per_address,
                   "TLS handshakes in progress from one IP address (0: no cap)")
      ->capture_default_str();
  command->add_option("--audit-key-file", options->audit_key_file,
                      "Audit signing seed, created (0600) if missing; keep it off the data disk "
                      "(default: DATA_DIR/keys/audit-signing.key)");
  command->add_option("--audit-head-file", options->audit_head_file,
                      "Append each new audit checkpoint head here (collect it off the machine)");
  command
      ->add_option("--audit-checkpoint-seconds", options->audit_checkpoint_seconds,
                   "Sign an audit checkpoint at least this often, even when idle")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  command
      ->add_option("--audit-checkpoint-entries", options->audit_checkpoint_entries,
                   "Also sign one after this many audit entries")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
  auto* tls_certificate =
      command->add_option("--tls-cert", options->tls_certificate,
                          "The hospital's certificate chain (PEM, server certificate first); "
                          "SIGHUP reloads it");
  auto* tls_key =
      command->add_option("--tls-key", options->tls_key, "The private key of --tls-cert (PEM)");
  tls_certificate->needs(tls_key);
  tls_key->needs(tls_certificate);
  command
      ->add_option("--hostname", options->hostnames,
                   "A DNS name or IP address for the generated certificate; repeat for more "
                   "(default: localhost, 127.0.0.1, ::1)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->excludes(tls_certificate);
  command
      ->add_option("--hl7-port", options->hl7_port,
                   "Take the HL7 ADT feed over MLLP on this port (0 picks a free one)")
      ->group("HL7 feed");
  command->add_option("--hl7-address", options->hl7_address, "Its address (default: --address)")
      ->group("HL7 feed");
  command->add_flag("--hl7-tls", options->hl7_tls, "MLLP over TLS, with the server's certificate")
      ->group("HL7 feed");
  command
      ->add_option("--hl7-org", options->hl7_org,
                   "The org whose patients the feed carries (default with --demo: the demo's)")
      ->group("HL7 feed");
  command
      ->add_option("--hl7-time-zone", options->hl7_time_zone,
                   "Zone of the feed's times without an offset")
      ->capture_default_str()
      ->group("HL7 feed");
  command
      ->add_option("--hl7-max-connections-per-address", options->hl7_max_connections_per_address,
                   "Open MLLP connections from one IP address (0: no cap)")
      ->capture_default_str()
      ->group("HL7 feed");
  command->add_option("--http-port", options->http_port,
                      "Also listen for plain HTTP here, only to redirect it to https "
                      "(default: none; 0 picks a free port)");
  command
      ->add_flag("--bench-echo", options->bench_echo,
                 "Also serve the bare WebSocket echo at /bench/echo (benchmark baseline)")
      ->configurable(false);
  command
      ->add_flag("--bench-limits", options->bench_limits,
                 "Lift the login and send rate limits and serve GET /bench/store-stats to "
                 "loopback (load benchmarks only)")
      ->configurable(false);
  command
      ->add_option("--test-clock-file", options->test_clock_file,
                   "Tests only: on SIGUSR2, run the clock this file's seconds ahead")
      ->configurable(false);
}

}  // namespace

std::unique_ptr<CLI::App> make_serve_options_command() {
  auto options = std::make_shared<ServeOptions>();
  auto command = std::make_unique<CLI::App>("The options of serve", "serve");
  add_serve_options(command.get(), options.get());
  // The options write into *options: the callback holds it for as long as the command.
  command->callback([options] {});
  return command;
}

void add_serve_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* command = app.add_subcommand("serve", "Run the server (TLS, SQLite store, web app)");
  add_serve_options(command, options.get());
  auto config_file = std::make_shared<std::string>();
  command->add_option("--config", *config_file,
                      "Read the options from this TOML file; flags given here override it "
                      "(docs/operations.md, \"Configuration file\")");
  command->callback([options, config_file, command, &exit_code] {
    if (!config_file->empty()) {
      // Nothing starts on a file with any problem: an operator fixes them all at once.
      if (auto problems = load_serve_config(*config_file, *command); !problems.empty()) {
        print_config_problems(*config_file, problems);
        exit_code = 2;
        return;
      }
    }
    exit_code = serve(*options);
  });
}

}  // namespace wl::cli
