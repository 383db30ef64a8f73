#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "core/hl7/adt_generator.hpp"
#include "core/hl7/message.hpp"
#include "core/log.hpp"
#include "net/certificates.hpp"
#include "net/mllp_load_client.hpp"
#include "net/mllp_server.hpp"

// `wardline bench mllp`: the MLLP load generator (docs/hl7.md, "Generated ADT messages"). Each
// connection sends generated ADT messages over its own patients, one in flight at a
// time as interface engines do, and times each ACK from the message's hand-over to the
// socket to the ACK's last byte read. --echo first starts an in-process listener whose
// handler parses each message and answers AA at once: the baseline the ADT figure is a
// ratio to. Bounded in messages, connections and time; the target must be loopback.
namespace wl::cli {
namespace {

constexpr std::size_t kMaxConnections = 10000;
constexpr std::uint64_t kMaxMessages = 100'000'000;
constexpr std::size_t kMaxThreads = 64;

struct MllpBenchOptions {
  std::size_t connections = 32;
  std::uint64_t messages = 200000;
  std::string host = "127.0.0.1";
  std::uint16_t port = 2575;
  bool tls = false;
  std::string ca_file;
  bool echo = false;
  std::size_t threads = 1;
  std::size_t patients = 10000;
  double timeout_seconds = 10;
  std::uint32_t time_limit_seconds = 600;
  std::uint64_t seed = 1;
};

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

// Answers every message AA at once, on the io thread: what the listener costs with no
// application behind it. A message that does not parse gets no ACK (the connection
// closes), which the run reports as a failure.
class EchoHandler final : public net::MllpHandler {
 public:
  void on_message(net::MllpMessage message, net::MllpReply reply) override {
    Result<hl7::Message> parsed = hl7::parse_message(message.payload);
    if (parsed) {
      reply(hl7::accept_ack(*parsed));
    }
  }
};

// The messages and the measurements of one run. Connection i's generator, samples and
// counters are touched only on its io thread; the controller reads them after
// run_mllp_load() has joined the threads.
class Source final : public net::MllpLoadSource {
 public:
  explicit Source(const MllpBenchOptions& options) : total_(options.messages) {
    const std::size_t per_connection =
        std::max<std::size_t>(1, options.patients / options.connections);
    for (std::size_t index = 0; index < options.connections; ++index) {
      hl7::AdtGeneratorOptions generator;
      generator.seed = options.seed + index;
      generator.first_patient = index * per_connection;
      generator.patients = per_connection;
      generator.control_id_prefix = fmt::format("B{}", index);
      generator.sending_application = "WLBENCH";
      connections_.push_back(std::make_unique<Connection>(generator));
      connections_.back()->latencies_ns.reserve(
          static_cast<std::size_t>(options.messages / options.connections + 1));
    }
  }

  std::optional<std::string> next_message(std::size_t index) override {
    if (issued_.fetch_add(1, std::memory_order_relaxed) >= total_) {
      return std::nullopt;
    }
    Connection& connection = *connections_[index];
    hl7::GeneratedAdt generated = connection.generator.next();
    connection.control_id = std::move(generated.control_id);
    return std::move(generated.message);
  }

  void on_ack(std::size_t index, std::string_view ack, std::chrono::nanoseconds latency) override {
    Connection& connection = *connections_[index];
    connection.latencies_ns.push_back(latency.count());
    Result<hl7::Message> parsed = hl7::parse_message(ack);
    if (!parsed || parsed->value("MSA", 1) != "AA" ||
        parsed->value("MSA", 2) != connection.control_id) {
      ++connection.not_accepted;
    }
  }

  std::vector<std::int64_t> latencies() const {
    std::vector<std::int64_t> all;
    for (const auto& connection : connections_) {
      all.insert(all.end(), connection->latencies_ns.begin(), connection->latencies_ns.end());
    }
    return all;
  }

  std::uint64_t not_accepted() const {
    std::uint64_t count = 0;
    for (const auto& connection : connections_) {
      count += connection->not_accepted;
    }
    return count;
  }

 private:
  struct Connection {
    explicit Connection(hl7::AdtGeneratorOptions options) : generator(std::move(options)) {}
    hl7::AdtGenerator generator;
    std::string control_id;  // Of the message in flight.
    std::vector<std::int64_t> latencies_ns;
    std::uint64_t not_accepted = 0;
  };

  const std::uint64_t total_;
  std::atomic<std::uint64_t> issued_{0};
  std::vector<std::unique_ptr<Connection>> connections_;
};

double percentile_ms(const std::vector<std::int64_t>& sorted, double quantile) {
  if (sorted.empty()) {
    return 0;
  }
  const auto rank = static_cast<std::size_t>(quantile * static_cast<double>(sorted.size()));
  return static_cast<double>(sorted[std::min(rank, sorted.size() - 1)]) / 1e6;
}

// A temporary directory for the echo listener's certificates, removed afterwards.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("wardline-bench-mllp-{}-{}", ::getpid(), random());
    std::filesystem::create_directories(path_);
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

int run_mllp_bench(MllpBenchOptions options) {
  if (options.connections == 0 || options.connections > kMaxConnections) {
    std::cerr << fmt::format("bench mllp: --connections must be 1 to {}\n", kMaxConnections);
    return 2;
  }
  if (options.messages == 0 || options.messages > kMaxMessages) {
    std::cerr << fmt::format("bench mllp: --messages must be 1 to {}\n", kMaxMessages);
    return 2;
  }
  if (options.threads == 0 || options.threads > kMaxThreads) {
    std::cerr << fmt::format("bench mllp: --threads must be 1 to {}\n", kMaxThreads);
    return 2;
  }
  if (options.time_limit_seconds == 0 || !(options.timeout_seconds > 0)) {
    std::cerr << "bench mllp: --time-limit and --timeout must be positive\n";
    return 2;
  }
  if (!is_loopback(options.host)) {
    std::cerr << "bench mllp: the target must be on this machine (127.0.0.1, ::1, localhost)\n";
    return 2;
  }

  // The echo listener's lifecycle lines are noise in a report; its warnings are not.
  log::configure(log::Format::kText, "warn");
  EchoHandler echo_handler;
  std::unique_ptr<net::MllpServer> echo_server;
  std::optional<ScratchDirectory> scratch;
  if (options.echo) {
    std::optional<net::TlsCredentials> credentials;
    if (options.tls) {
      scratch.emplace();
      auto paths = net::ensure_local_certificates(scratch->path());
      if (!paths) {
        std::cerr << "bench mllp: " << paths.error().message() << "\n";
        return 2;
      }
      auto loaded = net::load_credentials(paths->server_certificate, paths->server_key);
      if (!loaded) {
        std::cerr << "bench mllp: " << loaded.error().message() << "\n";
        return 2;
      }
      credentials = std::move(*loaded);
      options.ca_file = paths->ca_certificate.string();
    }
    net::MllpOptions server_options;
    server_options.address = "127.0.0.1";
    server_options.port = 0;
    server_options.max_connections = options.connections;
    echo_server =
        std::make_unique<net::MllpServer>(server_options, std::move(credentials), echo_handler);
    if (Result<void> started = echo_server->start(); !started) {
      std::cerr << "bench mllp: cannot start the echo listener: " << started.error().message()
                << "\n";
      return 2;
    }
    options.host = "127.0.0.1";
    options.port = echo_server->port();
  }

  Source source(options);
  net::MllpLoadOptions load;
  load.client.server.host = options.host;
  load.client.server.port = options.port;
  load.client.server.ca_file = options.ca_file;
  load.client.server.timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_seconds * 1000));
  load.client.tls = options.tls;
  load.connections = options.connections;
  load.threads = options.threads;
  load.time_limit = std::chrono::seconds(options.time_limit_seconds);
  Result<net::MllpLoadResult> result = net::run_mllp_load(load, source);
  if (echo_server) {
    echo_server->stop(std::chrono::milliseconds(1000));
  }
  if (!result) {
    std::cerr << "bench mllp: " << result.error().message() << "\n";
    return 2;
  }

  std::vector<std::int64_t> latencies = source.latencies();
  std::sort(latencies.begin(), latencies.end());
  const double seconds = std::chrono::duration<double>(result->elapsed).count();
  const double rate = seconds > 0 ? static_cast<double>(result->acks) / seconds : 0;
  const std::uint64_t not_accepted = source.not_accepted();
  std::cout << fmt::format(
      "bench mllp{}: {} connections{}, {} messages, {} ACKs in {:.2f} s = {:.0f} msgs/s\n"
      "  ACK latency p50 {:.3f} ms  p99 {:.3f} ms  p99.9 {:.3f} ms  max {:.3f} ms\n"
      "  not AA: {}  connections failed: {}{}\n",
      options.echo ? " --echo" : "", options.connections, options.tls ? " over TLS" : "",
      options.messages, result->acks, seconds, rate, percentile_ms(latencies, 0.50),
      percentile_ms(latencies, 0.99), percentile_ms(latencies, 0.999),
      latencies.empty() ? 0.0 : static_cast<double>(latencies.back()) / 1e6, not_accepted,
      result->connections_failed, result->is_timed_out ? "  (time limit reached)" : "");
  if (result->first_error) {
    std::cout << "  first connection error: " << result->first_error->message() << "\n";
  }
  const bool is_complete = result->acks == options.messages && not_accepted == 0 &&
                           result->connections_failed == 0 && !result->is_timed_out;
  return is_complete ? 0 : 1;
}

}  // namespace

void add_bench_mllp_command(CLI::App& bench, int& exit_code) {
  auto options = std::make_shared<MllpBenchOptions>();
  CLI::App* command = bench.add_subcommand(
      "mllp", "Send generated ADT messages over MLLP and time the ACKs (--echo: the baseline)");
  command
      ->add_option("--connections", options->connections,
                   "Connections, one message in "
                   "flight on each")
      ->capture_default_str();
  command->add_option("--messages", options->messages, "Messages in all")->capture_default_str();
  command->add_option("--host", options->host, "MLLP listener host (loopback)")
      ->capture_default_str();
  command->add_option("--port", options->port, "MLLP listener port")->capture_default_str();
  command->add_flag("--tls", options->tls, "Over TLS");
  command->add_option("--ca", options->ca_file, "With --tls: CA certificate (PEM) to trust");
  command->add_flag("--echo", options->echo,
                    "Run against an in-process listener that answers AA at once (the "
                    "baseline); --host and --port are then ignored");
  command->add_option("--threads", options->threads, "Generator io threads")->capture_default_str();
  command
      ->add_option("--patients", options->patients,
                   "Generated patients, shared out among "
                   "the connections")
      ->capture_default_str();
  command->add_option("--timeout", options->timeout_seconds, "Seconds to wait for each ACK")
      ->capture_default_str();
  command->add_option("--time-limit", options->time_limit_seconds, "Seconds for the whole run")
      ->capture_default_str();
  command->add_option("--seed", options->seed, "Seed of the message generator")
      ->capture_default_str();
  command->callback([options, &exit_code] { exit_code = run_mllp_bench(*options); });
}

}  // namespace wl::cli
