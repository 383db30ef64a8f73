#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cli/bench_directory.hpp"
#include "cli/bench_search.hpp"
#include "cli/commands.hpp"
#include "cli/runtime.hpp"
#include "net/client.hpp"
#include "net/load_client.hpp"

// `wardline bench`: the end-to-end load generator (docs/benchmarks.md).
//
//   bench setup  seeds the org "Bench" (users bench-0..N-1, a direct thread per pair
//                bench-2i/bench-2i+1) in a stopped server's data directory.
//   bench run    logs those users in over HTTPS, opens one TLS WebSocket per user and
//                drives the pairs: each side sends to its thread, the peer receives
//                the event and acks it like a real client. Latency is send-to-deliver:
//                from the sender handing its send frame to the socket to the peer
//                reading the event frame, both in this process on steady_clock.
//                --mode echo runs the same load against the server's bare echo
//                endpoint (serve --bench-echo) as the same-run baseline;
//                --connections-only N holds N idle authenticated connections and
//                reports the server's resident memory per connection.
//                --mode group: bench-0 creates a group thread of --group-size
//                members over HTTPS and sends to it; every other member acks each
//                message and marks the thread read (at most once per 100 ms). Latency
//                is sampled per member delivery; a send completes when every member
//                has read it.
//                With a server on --bench-limits, the store's counters (GET
//                /bench/store-stats) are read around the measured window and reported
//                per message: commits, rows, pages, fsyncs.
//
// Every loop here is bounded in count and in time, and the target must be loopback.
namespace wl::cli {
namespace {

namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kBenchOrg = "Bench";
constexpr std::string_view kBenchPassword = "wardline-bench-password";
constexpr std::size_t kMaxUsers = 100000;
constexpr double kMaxDurationSeconds = 600;
constexpr auto kDrainWait = std::chrono::seconds(10);
constexpr auto kTick = std::chrono::microseconds(1000);
constexpr std::size_t kAckBatch = 64;
// A group member marks the thread read at most this often (the server's default read
// window is as long).
constexpr std::int64_t kReadIntervalNs = 100'000'000;
constexpr std::size_t kMaxGroupSize = 500;  // The server's member limit.
constexpr std::size_t kMaxSamplesPerThread = 20'000'000;
constexpr std::size_t kLoginThreads = 4;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

std::string bench_username(std::size_t index) { return fmt::format("bench-{}", index); }
// The role bench-`index` writes to in --mode role; the other user of its pair holds it.
std::string bench_role_name(std::size_t index) { return fmt::format("Bench role {}", index); }

// ---- bench setup -------------------------------------------------------------------

struct SetupOptions {
  std::string data_dir = "wardline-data";
  std::string store;  // RuntimeOptions::store: empty (SQLite) or a postgresql:// URI.
  std::size_t count = 100;
};

int setup(const SetupOptions& options) {
  if (options.count < 2 || options.count > kMaxUsers) {
    std::cerr << "wardline bench setup: --count must be 2.." << kMaxUsers << "\n";
    return 2;
  }
  RuntimeOptions runtime_options;
  // The load generator logs thousands of users in; their hashes use the minimum cost.
  runtime_options.password_strength = PasswordHasher::Strength::kMinimum;
  runtime_options.store = options.store;
  auto runtime = Runtime::open(options.data_dir, runtime_options);
  if (!runtime) {
    std::cerr << "wardline bench setup: cannot open the data directory (is a server running "
                 "on it?): "
              << runtime.error().to_string() << "\n";
    return 1;
  }
  Runtime& services = **runtime;
  Store& store = services.store();
  auto org = store.find_org_by_name(kBenchOrg);
  if (!org) {
    org = services.identity().create_org(IdentityService::system_principal(), kBenchOrg);
  }
  if (!org) {
    std::cerr << "wardline bench setup: cannot create the org: " << org.error().to_string() << "\n";
    return 1;
  }
  const Principal system = IdentityService::system_principal();
  std::vector<User> users;
  users.reserve(options.count);
  std::size_t created = 0;
  for (std::size_t i = 0; i < options.count; ++i) {
    const std::string username = bench_username(i);
    auto user = store.find_user_by_name(org->id, username);
    if (!user) {
      user = services.identity().create_user(system, org->id, username,
                                             fmt::format("Bench User {}", i), "Load generator",
                                             kBenchPassword, false);
      ++created;
    }
    if (!user) {
      std::cerr << "wardline bench setup: cannot create " << username << ": "
                << user.error().to_string() << "\n";
      return 1;
    }
    users.push_back(std::move(*user));
  }
  for (std::size_t i = 0; i + 1 < users.size(); i += 2) {
    const Principal first{users[i].id, org->id, DeviceId(), false, false, ""};
    if (auto thread = services.messaging().open_direct(first, users[i + 1].id); !thread) {
      std::cerr << "wardline bench setup: cannot open a direct thread: "
                << thread.error().to_string() << "\n";
      return 1;
    }
  }
  // A role per user, held by the other user of its pair (--mode role).
  Principal org_admin = system;
  org_admin.org = org->id;
  org_admin.is_admin = true;
  for (std::size_t i = 0; i < users.size(); ++i) {
    const std::size_t holder = i ^ 1;
    if (holder >= users.size()) {
      continue;
    }
    auto role = store.find_role_by_name(org->id, bench_role_name(i));
    if (!role) {
      RoleInput input;
      input.name = bench_role_name(i);
      role = services.routing().create_role(org_admin, input);
    }
    const Principal holder_principal{users[holder].id, org->id, DeviceId(), false, false, ""};
    if (!role || !services.routing().sign_in(holder_principal, role->id)) {
      std::cerr << "wardline bench setup: cannot make " << bench_role_name(i) << "\n";
      return 1;
    }
  }
  std::printf(
      "wardline bench setup: org \"%s\", %zu users (%zu new), %zu direct threads, %zu roles\n",
      std::string(kBenchOrg).c_str(), users.size(), created, users.size() / 2, users.size());
  return 0;
}

// ---- bench run: options and logins ---------------------------------------------------

// kRole: as kMessages, each user of a pair writing to a role the other holds (a role
// thread per user), so that every send also resolves the role.
enum class Mode { kMessages, kEcho, kGroup, kRole };

// Modes where users come in pairs, each receiving the other's messages.
bool is_pairs(Mode mode) { return mode == Mode::kMessages || mode == Mode::kRole; }

std::string_view mode_name(Mode mode) {
  switch (mode) {
    case Mode::kMessages:
      return "messages";
    case Mode::kEcho:
      return "echo";
    case Mode::kGroup:
      return "group";
    case Mode::kRole:
      return "role";
  }
  return "messages";
}

struct RunOptions {
  std::string server = "https://127.0.0.1:8443";
  std::string ca_file;
  std::string mode = "messages";
  std::string org = std::string(kBenchOrg);
  std::size_t users = 100;
  std::size_t group_size = 50;  // --mode group: members of the thread, the sender included.
  double rate = 0;              // Total messages/s; 0 = as fast as the windows allow.
  double duration = 10;
  double warmup = 2;
  std::size_t window = 8;  // Messages in flight per sending connection.
  std::size_t body_bytes = 100;
  bool urgent = false;  // Send urgent messages (each may escalate: docs/routing.md).
  std::size_t threads = 1;
  std::size_t connections_only = 0;
  int server_pid = 0;
  double hold = 0;
  std::string json_file;
};

struct Account {
  std::string token;
  std::int64_t user_id = 0;
  std::int64_t thread_id = 0;  // The pair's direct thread, or the group.
};

// Logs bench-0..count-1 in (kLoginThreads at a time, each on its own keep-alive HTTPS
// connection) and, if with_threads, opens each pair's direct thread.
Result<std::vector<Account>> login_all(const net::ClientOptions& client, const RunOptions& options,
                                       std::size_t count, bool with_threads) {
  std::vector<Account> accounts(count);
  std::mutex failure_mutex;
  std::optional<Status> failure;
  std::atomic<std::size_t> next_pair{0};
  const std::size_t pairs = (count + 1) / 2;
  auto work = [&] {
    net::HttpsClient https(client);
    auto fail = [&](Status status) {
      std::lock_guard lock(failure_mutex);
      if (!failure) {
        failure = std::move(status);
      }
    };
    auto login = [&](std::size_t index) -> Result<void> {
      json::object body{{"org", options.org},
                        {"username", bench_username(index)},
                        {"password", kBenchPassword},
                        {"device_name", "wardline-bench"}};
      const net::Response response = WL_TRY(https.request(
          "POST", "/api/v1/login", json::serialize(body), {{"Content-Type", "application/json"}}));
      if (response.status != 200) {
        return error(Code::kUnauthenticated,
                     fmt::format("login of {} answered HTTP {} (did `bench setup` run with "
                                 "--count >= {}? does the server run with --bench-limits?)",
                                 bench_username(index), response.status, count));
      }
      json::error_code code;
      const json::value parsed = json::parse(response.body, code);
      if (code || !parsed.is_object() || !parsed.as_object().contains("token")) {
        return error(Code::kInternal, "unexpected login answer");
      }
      accounts[index].token = std::string(parsed.at("token").as_string());
      accounts[index].user_id = parsed.at("user").at("id").to_number<std::int64_t>();
      return ok();
    };
    for (;;) {
      const std::size_t pair = next_pair.fetch_add(1);
      if (pair >= pairs) {
        return;
      }
      {
        std::lock_guard lock(failure_mutex);
        if (failure) {
          return;
        }
      }
      const std::size_t first = pair * 2;
      const std::size_t second = first + 1;
      Result<void> done = login(first);
      if (done && second < count) {
        done = login(second);
      }
      if (done && with_threads && second < count) {
        json::object body{{"kind", "direct"}, {"user_id", accounts[second].user_id}};
        auto response = https.request("POST", "/api/v1/threads", json::serialize(body),
                                      {{"Content-Type", "application/json"},
                                       {"Authorization", "Bearer " + accounts[first].token}});
        if (!response) {
          done = std::unexpected(response.error());
        } else if (response->status != 200) {
          done = error(Code::kInternal,
                       fmt::format("opening a direct thread answered HTTP {}", response->status));
        } else {
          json::error_code code;
          const json::value parsed = json::parse(response->body, code);
          if (code || !parsed.is_object() || !parsed.as_object().contains("id")) {
            done = error(Code::kInternal, "unexpected thread answer");
          } else {
            accounts[first].thread_id = parsed.at("id").to_number<std::int64_t>();
            accounts[second].thread_id = accounts[first].thread_id;
          }
        }
      }
      if (!done) {
        fail(done.error());
        return;
      }
    }
  };
  std::vector<std::thread> workers;
  for (std::size_t i = 0; i < std::min(kLoginThreads, pairs); ++i) {
    workers.emplace_back(work);
  }
  for (auto& worker : workers) {
    worker.join();
  }
  if (failure) {
    return std::unexpected(*failure);
  }
  return accounts;
}

// Creates a new group thread as accounts[0] with every other account as a member, over
// HTTPS like a client, and sets every account's thread_id to it.
Result<void> create_group(const net::ClientOptions& client, std::vector<Account>& accounts) {
  json::array members;
  for (std::size_t i = 1; i < accounts.size(); ++i) {
    members.push_back(accounts[i].user_id);
  }
  json::object body{{"kind", "group"},
                    {"title", fmt::format("Bench group of {}", accounts.size())},
                    {"member_ids", std::move(members)}};
  net::HttpsClient https(client);
  const net::Response response = WL_TRY(https.request(
      "POST", "/api/v1/threads", json::serialize(body),
      {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + accounts[0].token}}));
  if (response.status != 200) {
    return error(Code::kInternal, fmt::format("creating the group answered HTTP {}: {}",
                                              response.status, response.body.substr(0, 200)));
  }
  json::error_code code;
  const json::value parsed = json::parse(response.body, code);
  if (code || !parsed.is_object() || !parsed.as_object().contains("id")) {
    return error(Code::kInternal, "unexpected thread answer");
  }
  const auto id = parsed.at("id").to_number<std::int64_t>();
  for (Account& account : accounts) {
    account.thread_id = id;
  }
  return ok();
}

// Opens each account's role thread with the role its pair's other user holds (`bench
// setup` makes "Bench role i" for bench-i, held by bench-(i^1) through a sign-in), over
// HTTPS like a client, and sets each account's thread_id to it.
Result<void> open_role_threads(const net::ClientOptions& client, std::vector<Account>& accounts) {
  net::HttpsClient https(client);
  auto call = [&https](std::string_view method, const std::string& target,
                       const Account& account) -> Result<json::value> {
    const net::Response response = WL_TRY(https.request(
        method, target, method == "POST" ? "{}" : "",
        {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + account.token}}));
    json::error_code code;
    json::value parsed = json::parse(response.body, code);
    if (response.status != 200 || code || !parsed.is_object()) {
      return error(Code::kInternal,
                   fmt::format("{} {} answered HTTP {} (did `bench setup` make the roles?)", method,
                               target, response.status));
    }
    return parsed;
  };
  std::map<std::string, std::int64_t, std::less<>> roles;
  const json::value listed = WL_TRY(call("GET", "/api/v1/roles", accounts.front()));
  for (const json::value& role : listed.at("roles").as_array()) {
    roles[std::string(role.at("name").as_string())] = role.at("id").to_number<std::int64_t>();
  }
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    const auto role = roles.find(bench_role_name(i));
    if (role == roles.end()) {
      return error(Code::kNotFound,
                   fmt::format("no role \"{}\": run `bench setup` again", bench_role_name(i)));
    }
    const json::value thread =
        WL_TRY(call("POST", fmt::format("/api/v1/roles/{}/thread", role->second), accounts[i]));
    accounts[i].thread_id = thread.at("id").to_number<std::int64_t>();
  }
  return ok();
}

// ---- frame scanning ------------------------------------------------------------------

// The server's frames are flat JSON written by Boost.JSON; the load generator reads
// the few fields it needs by key instead of parsing every frame, so that its own CPU
// (shared with the server on this machine) stays small. Sound here because every
// message body on the bench's threads is the generator's own filler (no quotes).
std::string_view string_field(std::string_view text, std::string_view key) {
  std::string needle = fmt::format("\"{}\":\"", key);
  const auto start = text.find(needle);
  if (start == std::string_view::npos) {
    return {};
  }
  const auto value = start + needle.size();
  const auto end = text.find('"', value);
  if (end == std::string_view::npos) {
    return {};
  }
  return text.substr(value, end - value);
}

std::optional<std::int64_t> int_field(std::string_view text, std::string_view key) {
  std::string needle = fmt::format("\"{}\":", key);
  const auto start = text.find(needle);
  if (start == std::string_view::npos) {
    return std::nullopt;
  }
  const char* first = text.data() + start + needle.size();
  std::int64_t value = 0;
  const auto [end, code] = std::from_chars(first, text.data() + text.size(), value);
  if (code != std::errc() || end == first) {
    return std::nullopt;
  }
  return value;
}

// "<run>-<seq>" -> seq, if the prefix is this run's.
std::optional<std::uint64_t> seq_of(std::string_view client_id, std::string_view run) {
  if (client_id.size() <= run.size() + 1 || client_id.substr(0, run.size()) != run ||
      client_id[run.size()] != '-') {
    return std::nullopt;
  }
  std::uint64_t seq = 0;
  const char* first = client_id.data() + run.size() + 1;
  const auto [end, code] = std::from_chars(first, client_id.data() + client_id.size(), seq);
  if (code != std::errc() || end != client_id.data() + client_id.size()) {
    return std::nullopt;
  }
  return seq;
}

// ---- the driver ----------------------------------------------------------------------

struct Percentiles {
  std::size_t samples = 0;
  double p50_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  double max_us = 0;
  double mean_us = 0;
};

Percentiles percentiles(std::vector<std::int64_t>& values) {
  Percentiles result;
  result.samples = values.size();
  if (values.empty()) {
    return result;
  }
  std::sort(values.begin(), values.end());
  auto at = [&](double quantile) {
    const auto rank = static_cast<std::size_t>(quantile * static_cast<double>(values.size()));
    return static_cast<double>(values[std::min(rank, values.size() - 1)]) / 1000.0;
  };
  result.p50_us = at(0.50);
  result.p99_us = at(0.99);
  result.p999_us = at(0.999);
  result.max_us = static_cast<double>(values.back()) / 1000.0;
  double sum = 0;
  for (const std::int64_t value : values) {
    sum += static_cast<double>(value);
  }
  result.mean_us = sum / static_cast<double>(values.size()) / 1000.0;
  return result;
}

// Drives the connections of one run. Per-connection and per-thread state is touched
// only on the owning io thread (the pair of a messages run shares one); the controller
// reads it after LoadClient::stop() has joined the threads. The phase boundaries and a
// few counters are atomics the controller watches during the run.
class Driver final : public net::LoadHandler {
 public:
  Driver(Mode mode, const RunOptions& options, std::vector<Account> accounts, std::size_t count,
         std::size_t threads)
      : mode_(mode),
        options_(options),
        accounts_(std::move(accounts)),
        connections_(count),
        threads_(threads) {
    std::random_device random;
    run_id_ = fmt::format("b{:08x}", random());
    body_ = std::string(options.body_bytes, 'x');
    urgent_ = options.urgent;
    std::size_t ring = 1;
    while (ring < options.window * 2) {
      ring <<= 1;
    }
    mask_ = ring - 1;
    // A group's one sender is connection 0; every other member receives its messages.
    recipients_ = mode == Mode::kGroup ? count - 1 : 1;
    senders_ = mode == Mode::kGroup ? 1 : count;
    for (std::size_t i = 0; i < count; ++i) {
      connections_[i].slots.resize(ring);
      connections_[i].peer = is_pairs(mode) ? (i ^ 1) : mode == Mode::kGroup ? 0 : i;
    }
  }

  void attach(net::LoadClient& client) {
    client_ = &client;
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      ThreadState& thread = threads_[client.thread_of(i)];
      thread.members.push_back(i);
      if (mode_ != Mode::kGroup || i == 0) {
        thread.senders.push_back(i);
      }
    }
  }

  // Starts the load: warmup from now, then the measured window. Senders begin on the
  // next tick.
  void begin(double warmup_seconds, double duration_seconds) {
    const std::int64_t start = now_ns();
    measure_ns_.store(start + static_cast<std::int64_t>(warmup_seconds * 1e9));
    end_ns_.store(measure_ns_.load() + static_cast<std::int64_t>(duration_seconds * 1e9));
    start_ns_.store(start);
  }

  std::int64_t measure_ns() const { return measure_ns_.load(); }
  std::int64_t end_ns() const { return end_ns_.load(); }
  std::size_t ready() const { return ready_.load(); }
  std::size_t ended() const { return ended_.load(); }
  std::int64_t outstanding() const { return outstanding_.load(); }
  std::string first_problem() const {
    std::lock_guard lock(problem_mutex_);
    return first_problem_;
  }

  void on_open(std::size_t index) override {
    if (mode_ == Mode::kEcho) {
      mark_ready(index);
      return;
    }
    json::object hello{{"type", "hello"}, {"token", accounts_[index % accounts_.size()].token}};
    client_->send(index, json::serialize(hello));
  }

  void on_message(std::size_t index, std::string_view text) override {
    const std::int64_t now = now_ns();
    ThreadState& thread = threads_[client_->thread_of(index)];
    ++thread.frames_in;
    if (is_measured(now)) {
      ++thread.frames_in_window;
    }
    if (mode_ == Mode::kEcho) {
      if (auto seq = int_field(text, "seq")) {
        complete(thread, index, static_cast<std::uint64_t>(*seq), now);
      }
      return;
    }
    const std::string_view type = string_field(text, "type");
    if (type == "event") {
      if (string_field(text, "kind") != "message") {
        return;
      }
      Connection& self = connections_[index];
      const auto sender = int_field(text, "sender_id");
      if (!sender || *sender == account(index).user_id) {
        return;  // Our own message, echoed to our device.
      }
      const auto seq = seq_of(string_field(text, "client_id"), run_id_);
      const auto id = int_field(text, "id");
      if (!seq || !id) {
        ++thread.unmatched;
        return;
      }
      complete(thread, self.peer, *seq, now);
      self.pending_acks.push_back(*id);
      if (self.pending_acks.size() == 1) {
        thread.ack_queue.push_back(index);
      } else if (self.pending_acks.size() >= kAckBatch) {
        flush_acks(index, now);
      }
      if (mode_ == Mode::kGroup) {
        // The member has seen it: mark the thread read, at most once per interval.
        self.seen_seq = std::max(self.seen_seq, int_field(text, "seq").value_or(0));
        if (!self.is_read_queued && self.seen_seq > self.read_seq) {
          self.is_read_queued = true;
          thread.read_queue.push_back(index);
        }
      }
    } else if (type == "sent") {
      const auto seq = seq_of(string_field(text, "client_id"), run_id_);
      if (seq) {
        Slot& slot = connections_[index].slots[*seq & mask_];
        // The slot may be complete already (the peer's event can arrive before the
        // sender's `sent`); its send time stays until the ring reuses it.
        if (slot.seq == *seq && slot.issued_ns != 0 && !slot.has_commit_sample &&
            is_measured(slot.issued_ns)) {
          slot.has_commit_sample = true;
          record(thread.commit_ns, thread, now - slot.issued_ns);
        }
      }
    } else if (type == "caught_up") {
      mark_ready(index);
    } else if (type == "error") {
      ++thread.errors;
      note_problem(fmt::format("error frame: {} {}", string_field(text, "code"),
                               string_field(text, "message")));
      const auto seq = seq_of(string_field(text, "ref"), run_id_);
      if (seq) {
        release(index, *seq);
      }
    }
  }

  void on_closed(std::size_t index, const Status& why) override {
    ended_.fetch_add(1);
    Connection& self = connections_[index];
    self.is_closed = true;
    outstanding_.fetch_sub(static_cast<std::int64_t>(self.outstanding));
    self.outstanding = 0;
    note_problem(fmt::format("connection {} ended: {}", index, why.message()));
  }

  // Runs every kTick on each io thread: flushes acks and paces the senders.
  void tick(std::size_t thread_index) {
    ThreadState& thread = threads_[thread_index];
    const std::int64_t now = now_ns();
    for (const std::size_t index : thread.ack_queue) {
      flush_acks(index, now);
    }
    thread.ack_queue.clear();
    flush_reads(thread, now);
    const std::int64_t start = start_ns_.load();
    if (start == 0) {
      return;
    }
    if (now >= end_ns_.load() || thread.senders.empty()) {
      return;
    }
    if (options_.rate <= 0) {
      if (!thread.filled) {
        thread.filled = true;
        for (const std::size_t index : thread.senders) {
          fill(thread, index);
        }
      }
      return;
    }
    // Paced: this thread's share of the total rate, round robin over its senders.
    // A turn whose connection has a full window is skipped, not made up later.
    const double share =
        options_.rate * static_cast<double>(thread.senders.size()) / static_cast<double>(senders_);
    const auto due = static_cast<std::uint64_t>(static_cast<double>(now - start) * share / 1e9);
    std::uint64_t budget = due > thread.paced ? due - thread.paced : 0;
    budget = std::min<std::uint64_t>(budget, thread.senders.size() * options_.window);
    thread.paced += budget;
    for (std::uint64_t i = 0; i < budget; ++i) {
      const std::size_t index = thread.senders[thread.cursor++ % thread.senders.size()];
      if (!can_send(index)) {
        ++thread.skipped;
        continue;
      }
      send_one(thread, index);
    }
  }

  struct Totals {
    std::uint64_t sent = 0;  // Sends written in the measured window.
    // Messages (or echoes) completed in the measured window: read by their one peer,
    // or by every member of the group.
    std::uint64_t delivered = 0;
    std::uint64_t deliveries = 0;  // Per recipient, in the measured window.
    std::uint64_t errors = 0;
    std::uint64_t lost = 0;
    std::uint64_t skipped = 0;
    std::uint64_t unmatched = 0;
    std::uint64_t samples_dropped = 0;
    std::uint64_t frames_in = 0;  // Whole run, all connections.
    std::uint64_t frames_out = 0;
    std::uint64_t frames_in_window = 0;  // In the measured window, all connections.
    std::uint64_t frames_out_window = 0;
    std::uint64_t undelivered = 0;  // Still in flight when the run ended.
    Percentiles deliver;
    Percentiles commit;
  };

  // Call only after LoadClient::stop().
  Totals totals() {
    Totals totals;
    std::vector<std::int64_t> deliver;
    std::vector<std::int64_t> commit;
    for (ThreadState& thread : threads_) {
      totals.sent += thread.sent;
      totals.delivered += thread.delivered;
      totals.deliveries += thread.deliveries;
      totals.errors += thread.errors;
      totals.lost += thread.lost;
      totals.skipped += thread.skipped;
      totals.unmatched += thread.unmatched;
      totals.samples_dropped += thread.samples_dropped;
      totals.frames_in += thread.frames_in;
      totals.frames_out += thread.frames_out;
      totals.frames_in_window += thread.frames_in_window;
      totals.frames_out_window += thread.frames_out_window;
      deliver.insert(deliver.end(), thread.deliver_ns.begin(), thread.deliver_ns.end());
      commit.insert(commit.end(), thread.commit_ns.begin(), thread.commit_ns.end());
    }
    for (const Connection& connection : connections_) {
      totals.undelivered += connection.outstanding;
    }
    totals.deliver = percentiles(deliver);
    totals.commit = percentiles(commit);
    return totals;
  }

 private:
  struct Slot {
    std::uint64_t seq = 0;
    std::int64_t sent_ns = 0;    // 0: free.
    std::int64_t issued_ns = 0;  // The send time, kept after completion (send->sent).
    std::size_t remaining = 0;   // Recipients yet to read it.
    bool has_commit_sample = false;
  };

  struct Connection {
    std::size_t peer = 0;  // The pair's other side (messages) or itself (echo).
    bool is_ready = false;
    bool is_closed = false;
    std::uint64_t next_seq = 1;
    std::size_t outstanding = 0;
    std::vector<Slot> slots;  // Ring of in-flight sends, indexed by seq & mask_.
    std::vector<std::int64_t> pending_acks;
    // Group members: the highest seq read off the wire, the last one marked read, and
    // when; whether the connection waits in its thread's read_queue.
    std::int64_t seen_seq = 0;
    std::int64_t read_seq = 0;
    std::int64_t read_sent_ns = 0;
    bool is_read_queued = false;
  };

  struct ThreadState {
    std::vector<std::size_t> members;
    std::vector<std::size_t> senders;  // The members that send (group: only the sender).
    std::vector<std::size_t> ack_queue;
    std::vector<std::size_t> read_queue;
    std::size_t cursor = 0;
    std::uint64_t paced = 0;
    bool filled = false;
    std::uint64_t sent = 0;
    std::uint64_t delivered = 0;
    std::uint64_t deliveries = 0;
    std::uint64_t errors = 0;
    std::uint64_t lost = 0;
    std::uint64_t skipped = 0;
    std::uint64_t unmatched = 0;
    std::uint64_t samples_dropped = 0;
    std::uint64_t frames_in = 0;
    std::uint64_t frames_out = 0;
    std::uint64_t frames_in_window = 0;
    std::uint64_t frames_out_window = 0;
    std::vector<std::int64_t> deliver_ns;
    std::vector<std::int64_t> commit_ns;
  };

  const Account& account(std::size_t index) const { return accounts_[index % accounts_.size()]; }

  bool is_measured(std::int64_t at) const {
    return at >= measure_ns_.load(std::memory_order_relaxed) &&
           at < end_ns_.load(std::memory_order_relaxed);
  }

  void mark_ready(std::size_t index) {
    Connection& self = connections_[index];
    if (!self.is_ready) {
      self.is_ready = true;
      ready_.fetch_add(1);
    }
  }

  bool can_send(std::size_t index) const {
    const Connection& self = connections_[index];
    return self.is_ready && !self.is_closed && self.outstanding < options_.window;
  }

  void fill(ThreadState& thread, std::size_t index) {
    for (std::size_t i = 0; i < options_.window && can_send(index); ++i) {
      send_one(thread, index);
    }
  }

  void send_one(ThreadState& thread, std::size_t index) {
    Connection& self = connections_[index];
    const std::uint64_t seq = self.next_seq++;
    Slot& slot = self.slots[seq & mask_];
    if (slot.sent_ns != 0) {
      // An older send never completed (the ring is twice the window): count it lost.
      ++thread.lost;
      --self.outstanding;
      outstanding_.fetch_sub(1, std::memory_order_relaxed);
    }
    std::string frame =
        mode_ == Mode::kEcho
            ? fmt::format(R"({{"type":"echo","seq":{},"body":"{}"}})", seq, body_)
            : fmt::format(
                  R"({{"type":"send","thread_id":{},"client_id":"{}-{}","body":"{}","urgent":{}}})",
                  account(index).thread_id, run_id_, seq, body_, urgent_);
    const std::int64_t now = now_ns();
    if (!client_->send(index, std::move(frame))) {
      slot.sent_ns = 0;
      ++thread.lost;
      return;
    }
    count_out(thread, now);
    slot = Slot{seq, now, now, recipients_, false};
    ++self.outstanding;
    outstanding_.fetch_add(1, std::memory_order_relaxed);
    if (is_measured(now)) {
      ++thread.sent;
    }
  }

  // The send `seq` of connection `sender` arrived (at its peer, or back from the echo).
  void complete(ThreadState& thread, std::size_t sender, std::uint64_t seq, std::int64_t now) {
    Connection& from = connections_[sender];
    Slot& slot = from.slots[seq & mask_];
    if (slot.seq != seq || slot.sent_ns == 0) {
      ++thread.unmatched;
      return;
    }
    if (is_measured(slot.sent_ns)) {
      record(thread.deliver_ns, thread, now - slot.sent_ns);
    }
    if (is_measured(now)) {
      ++thread.deliveries;
    }
    if (slot.remaining > 1) {
      --slot.remaining;  // A group message some members have yet to read.
      return;
    }
    if (is_measured(now)) {
      ++thread.delivered;
    }
    slot.sent_ns = 0;
    --from.outstanding;
    outstanding_.fetch_sub(1, std::memory_order_relaxed);
    if (options_.rate <= 0 && now < end_ns_.load(std::memory_order_relaxed) &&
        start_ns_.load(std::memory_order_relaxed) != 0 && can_send(sender)) {
      send_one(thread, sender);
    }
  }

  void release(std::size_t index, std::uint64_t seq) {
    Connection& self = connections_[index];
    Slot& slot = self.slots[seq & mask_];
    if (slot.seq == seq && slot.sent_ns != 0) {
      slot.sent_ns = 0;
      --self.outstanding;
      outstanding_.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  void record(std::vector<std::int64_t>& samples, ThreadState& thread, std::int64_t value) {
    if (samples.size() >= kMaxSamplesPerThread) {
      ++thread.samples_dropped;
      return;
    }
    samples.push_back(value);
  }

  void count_out(ThreadState& thread, std::int64_t now) {
    ++thread.frames_out;
    if (is_measured(now)) {
      ++thread.frames_out_window;
    }
  }

  // Sends the read marks of the thread's group members whose interval has passed; the
  // others stay queued.
  void flush_reads(ThreadState& thread, std::int64_t now) {
    std::size_t kept = 0;
    for (const std::size_t index : thread.read_queue) {
      Connection& self = connections_[index];
      if (now - self.read_sent_ns < kReadIntervalNs) {
        thread.read_queue[kept++] = index;
        continue;
      }
      self.is_read_queued = false;
      self.read_seq = self.seen_seq;
      self.read_sent_ns = now;
      std::string frame = fmt::format(R"({{"type":"read","thread_id":{},"up_to_seq":{}}})",
                                      account(index).thread_id, self.read_seq);
      if (client_->send(index, std::move(frame))) {
        count_out(thread, now);
      }
    }
    thread.read_queue.resize(kept);
  }

  void flush_acks(std::size_t index, std::int64_t now) {
    Connection& self = connections_[index];
    if (self.pending_acks.empty()) {
      return;
    }
    std::string frame = R"({"type":"ack","message_ids":[)";
    for (std::size_t i = 0; i < self.pending_acks.size(); ++i) {
      if (i > 0) {
        frame += ',';
      }
      frame += std::to_string(self.pending_acks[i]);
    }
    frame += "]}";
    self.pending_acks.clear();
    if (client_->send(index, std::move(frame))) {
      count_out(threads_[client_->thread_of(index)], now);
    }
  }

  void note_problem(std::string problem) {
    std::lock_guard lock(problem_mutex_);
    if (first_problem_.empty()) {
      first_problem_ = std::move(problem);
    }
  }

  Mode mode_;
  const RunOptions& options_;
  std::vector<Account> accounts_;
  std::vector<Connection> connections_;
  std::vector<ThreadState> threads_;
  net::LoadClient* client_ = nullptr;
  std::string run_id_;
  std::string body_;
  bool urgent_ = false;
  std::size_t mask_ = 0;
  std::size_t recipients_ = 1;  // Deliveries that complete one send.
  std::size_t senders_ = 1;     // Connections that send, over all threads.
  std::atomic<std::int64_t> start_ns_{0};
  std::atomic<std::int64_t> measure_ns_{0};
  std::atomic<std::int64_t> end_ns_{0};
  std::atomic<std::size_t> ready_{0};
  std::atomic<std::size_t> ended_{0};
  std::atomic<std::int64_t> outstanding_{0};
  mutable std::mutex problem_mutex_;
  std::string first_problem_;
};

// ---- process measurements ------------------------------------------------------------

// VmRSS of a process in KiB, or 0 if unreadable.
std::uint64_t resident_kib(int pid) {
  std::ifstream status(pid == 0 ? std::string("/proc/self/status")
                                : fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtoull(line.c_str() + 6, nullptr, 10);
    }
  }
  return 0;
}

// User + system CPU seconds a process has used, or -1 if unreadable.
double cpu_seconds(int pid) {
  std::ifstream stat(pid == 0 ? std::string("/proc/self/stat") : fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) {
    return -1;
  }
  // Fields after the command: state(3) ... utime(14) stime(15), counted from 1.
  std::size_t field = 2;
  std::size_t position = paren + 1;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  while (position < text.size() && field < 15) {
    while (position < text.size() && text[position] == ' ') {
      ++position;
    }
    ++field;
    const std::size_t end = text.find(' ', position);
    const std::string value = text.substr(position, end - position);
    if (field == 14) {
      utime = std::strtoull(value.c_str(), nullptr, 10);
    } else if (field == 15) {
      stime = std::strtoull(value.c_str(), nullptr, 10);
    }
    position = end == std::string::npos ? text.size() : end;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Bytes a process has caused to be written to storage (write_bytes of /proc/PID/io),
// or nullopt if unreadable (another user's process, or no task I/O accounting).
std::optional<std::uint64_t> disk_write_bytes(int pid) {
  std::ifstream io(fmt::format("/proc/{}/io", pid));
  std::string line;
  while (std::getline(io, line)) {
    if (line.rfind("write_bytes:", 0) == 0) {
      return std::strtoull(line.c_str() + 12, nullptr, 10);
    }
  }
  return std::nullopt;
}

// The server's store counters (GET /bench/store-stats, served by `serve
// --bench-limits`), or nullopt if it does not serve them.
std::optional<json::object> read_store_stats(const net::ClientOptions& client) {
  net::HttpsClient https(client);
  auto response = https.request("GET", "/bench/store-stats");
  if (!response || response->status != 200) {
    return std::nullopt;
  }
  json::error_code code;
  json::value parsed = json::parse(response->body, code);
  if (code || !parsed.is_object()) {
    return std::nullopt;
  }
  return std::move(parsed.as_object());
}

// The counters' growth from `before` to `after`, each a number in both; the adapter
// name is kept.
json::object store_stats_delta(const json::object& before, const json::object& after) {
  json::object delta;
  for (const auto& [key, value] : after) {
    if (value.is_string()) {
      delta[key] = value;
      continue;
    }
    const auto* old = before.if_contains(key);
    if (old == nullptr || !old->is_number() || !value.is_number()) {
      continue;
    }
    delta[key] = value.to_number<std::int64_t>() - old->to_number<std::int64_t>();
  }
  return delta;
}

void sleep_until_ns(std::int64_t deadline) {
  const std::int64_t now = now_ns();
  if (deadline > now) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(deadline - now));
  }
}

// Raises this process's open-file limit to its hard limit (10k connections need 10k
// descriptors). Returns the soft limit now in force.
rlim_t raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return 0;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
    (void)getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

json::object percentiles_json(const Percentiles& value) {
  return json::object{{"samples", value.samples}, {"p50_us", value.p50_us},
                      {"p99_us", value.p99_us},   {"p999_us", value.p999_us},
                      {"max_us", value.max_us},   {"mean_us", value.mean_us}};
}

std::string format_latency(const Percentiles& value) {
  return fmt::format("p50 {:.3f} ms  p99 {:.3f} ms  p99.9 {:.3f} ms  max {:.3f} ms  (n={})",
                     value.p50_us / 1000, value.p99_us / 1000, value.p999_us / 1000,
                     value.max_us / 1000, value.samples);
}

void write_json(const RunOptions& options, const json::object& result) {
  const std::string text = json::serialize(result);
  if (options.json_file.empty()) {
    return;
  }
  std::ofstream out(options.json_file);
  out << text << "\n";
}

// Waits until every connection is ready or has ended, within `limit`.
bool wait_ready(const Driver& driver, std::size_t count, std::chrono::seconds limit) {
  const auto deadline = SteadyClock::now() + limit;
  while (driver.ready() + driver.ended() < count && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return driver.ready() == count;
}

// ---- bench run ---------------------------------------------------------------------

int run(const RunOptions& options) {
  const Mode mode = options.mode == "echo"    ? Mode::kEcho
                    : options.mode == "group" ? Mode::kGroup
                    : options.mode == "role"  ? Mode::kRole
                                              : Mode::kMessages;
  auto client = net::parse_server_url(options.server);
  if (!client) {
    std::cerr << "wardline bench: " << client.error().message() << "\n";
    return 2;
  }
  if (client->host != "127.0.0.1" && client->host != "::1" && client->host != "localhost") {
    std::cerr << "wardline bench: the target must be a loopback address (127.0.0.1)\n";
    return 2;
  }
  client->ca_file = options.ca_file;
  client->timeout = std::chrono::seconds(30);
  const bool idle_only = options.connections_only > 0 && mode != Mode::kGroup;
  const std::size_t count = mode == Mode::kGroup ? options.group_size
                            : idle_only          ? options.connections_only
                                                 : options.users;
  if (mode == Mode::kGroup && (count < 2 || count > kMaxGroupSize)) {
    std::cerr << "wardline bench: --group-size must be 2.." << kMaxGroupSize << "\n";
    return 2;
  }
  if (count < 1 || count > kMaxUsers || (is_pairs(mode) && !idle_only && count % 2 != 0) ||
      options.users > kMaxUsers || options.users < 1) {
    std::cerr << "wardline bench: --users (even) and --connections-only must be 1.." << kMaxUsers
              << "\n";
    return 2;
  }
  if (options.duration <= 0 || options.duration > kMaxDurationSeconds || options.warmup < 0 ||
      options.warmup > 60 || options.hold < 0 || options.hold > kMaxDurationSeconds ||
      options.window < 1 || options.window > 1024 || options.body_bytes > 60000 ||
      options.threads < 1 || options.threads > 64 || options.rate < 0) {
    std::cerr << "wardline bench: an option is out of range (see --help)\n";
    return 2;
  }
  const rlim_t file_limit = raise_file_limit();
  if (file_limit != RLIM_INFINITY && file_limit < count + 64) {
    std::cerr << "wardline bench: the open-file limit (" << file_limit << ") is below "
              << count + 64 << "; raise it with ulimit -n\n";
    return 2;
  }

  // Logins: one account per user; idle connections reuse accounts round robin if
  // --users is below --connections-only.
  std::vector<Account> accounts;
  double login_seconds = 0;
  if (mode != Mode::kEcho) {
    const std::size_t login_count = idle_only ? std::min(options.users, count) : count;
    const auto login_start = SteadyClock::now();
    auto logged_in =
        login_all(*client, options, login_count, mode == Mode::kMessages && !idle_only);
    if (logged_in && mode == Mode::kRole) {
      if (auto opened = open_role_threads(*client, *logged_in); !opened) {
        logged_in = std::unexpected(opened.error());
      }
    }
    if (!logged_in) {
      std::cerr << "wardline bench: " << logged_in.error().to_string() << "\n";
      return 1;
    }
    accounts = std::move(*logged_in);
    if (mode == Mode::kGroup) {
      if (auto created = create_group(*client, accounts); !created) {
        std::cerr << "wardline bench: " << created.error().to_string() << "\n";
        return 1;
      }
    }
    login_seconds = std::chrono::duration<double>(SteadyClock::now() - login_start).count();
  }

  // A group's deliveries all complete the sender's sends: one thread owns them all.
  const std::size_t threads = mode == Mode::kGroup ? 1 : std::min(options.threads, count);
  std::vector<std::int64_t> unused;
  Driver driver(mode, options, accounts, count, threads);
  net::LoadClientOptions load_options;
  load_options.server = *client;
  load_options.threads = threads;
  load_options.affinity_group = is_pairs(mode) ? 2 : 1;
  load_options.max_queued_frames = options.window * 8 + 1024;
  net::LoadClient load(load_options, driver);
  driver.attach(load);

  const std::uint64_t server_rss_before = options.server_pid ? resident_kib(options.server_pid) : 0;
  const std::uint64_t own_rss_before = resident_kib(0);
  const auto connect_start = SteadyClock::now();
  if (auto started = load.start(count, mode == Mode::kEcho ? "/bench/echo" : "/api/v1/ws");
      !started) {
    std::cerr << "wardline bench: " << started.error().to_string() << "\n";
    return 1;
  }
  const auto connect_limit = std::chrono::seconds(30 + static_cast<long>(count / 100));
  const bool all_ready = wait_ready(driver, count, connect_limit);
  const double connect_seconds =
      std::chrono::duration<double>(SteadyClock::now() - connect_start).count();
  if (!all_ready) {
    std::cerr << fmt::format(
        "wardline bench: only {} of {} connections became ready ({} failed); first problem: "
        "{}\n",
        driver.ready(), count, load.failed(), driver.first_problem());
    load.stop();
    return 1;
  }

  json::object result{{"mode", mode_name(mode)},
                      {"connections", count},
                      {"client_threads", threads},
                      {"login_s", login_seconds},
                      {"connect_s", connect_seconds}};
  std::string text = fmt::format(
      "wardline bench: mode={} connections={} client_threads={}\n  setup      logins {:.2f} s, "
      "connects+hello {:.2f} s\n",
      mode_name(mode), count, threads, login_seconds, connect_seconds);

  if (idle_only) {
    // Let the server finish the replays and settle before reading its memory.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const std::uint64_t server_rss_after =
        options.server_pid ? resident_kib(options.server_pid) : 0;
    const std::uint64_t own_rss_after = resident_kib(0);
    const double server_per =
        options.server_pid
            ? (static_cast<double>(server_rss_after) - static_cast<double>(server_rss_before)) /
                  static_cast<double>(count)
            : 0;
    const double own_per =
        (static_cast<double>(own_rss_after) - static_cast<double>(own_rss_before)) /
        static_cast<double>(count);
    result["server_rss_before_kib"] = server_rss_before;
    result["server_rss_after_kib"] = server_rss_after;
    result["server_kib_per_connection"] = server_per;
    result["client_kib_per_connection"] = own_per;
    result["users"] = is_pairs(mode) ? accounts.size() : 0;
    if (options.server_pid) {
      text += fmt::format("  server     RSS {} KiB -> {} KiB: {:.2f} KiB per idle {}connection\n",
                          server_rss_before, server_rss_after, server_per,
                          is_pairs(mode) ? "authenticated " : "echo ");
    } else {
      text += "  server     (pass --server-pid to read the server's memory)\n";
    }
    text += fmt::format("  generator  {:.2f} KiB per connection (client side)\n", own_per);
    if (options.hold > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(options.hold));
    }
    load.stop();
    std::fputs(text.c_str(), stdout);
    write_json(options, result);
    return 0;
  }

  load.start_ticker(kTick, [&driver](std::size_t thread) { driver.tick(thread); });
  driver.begin(options.warmup, options.duration);
  sleep_until_ns(driver.measure_ns());
  const double server_cpu_start = options.server_pid ? cpu_seconds(options.server_pid) : 0;
  const double own_cpu_start = cpu_seconds(0);
  // Then the server's disk writes and the store's counters. A loaded server may take a
  // while to answer: the two answers' times say which window the counters span.
  const bool wants_store = mode != Mode::kEcho;
  const std::optional<std::uint64_t> disk_before =
      options.server_pid ? disk_write_bytes(options.server_pid) : std::nullopt;
  const std::optional<json::object> store_before =
      wants_store ? read_store_stats(*client) : std::nullopt;
  const std::int64_t store_before_ns = now_ns();
  sleep_until_ns(driver.end_ns());
  const double server_cpu =
      options.server_pid ? cpu_seconds(options.server_pid) - server_cpu_start : 0;
  const double own_cpu = cpu_seconds(0) - own_cpu_start;
  const std::optional<std::uint64_t> disk_after =
      options.server_pid ? disk_write_bytes(options.server_pid) : std::nullopt;
  const std::optional<json::object> store_after =
      store_before ? read_store_stats(*client) : std::nullopt;
  const double store_span_s = static_cast<double>(now_ns() - store_before_ns) / 1e9;
  // Let what is in flight arrive (bounded), then close.
  const auto drain_deadline = SteadyClock::now() + kDrainWait;
  while (driver.outstanding() > 0 && SteadyClock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  load.stop();
  Driver::Totals totals = driver.totals();

  const double per_second = static_cast<double>(totals.delivered) / options.duration;
  const std::string unit = mode == Mode::kEcho ? "round trips" : "messages";
  result["rate_target"] = options.rate;
  result["window"] = options.window;
  result["body_bytes"] = options.body_bytes;
  result["warmup_s"] = options.warmup;
  result["duration_s"] = options.duration;
  result["per_second"] = per_second;
  result["sent"] = totals.sent;
  result["delivered"] = totals.delivered;
  result["errors"] = totals.errors;
  result["lost"] = totals.lost;
  result["skipped_full_window"] = totals.skipped;
  result["unmatched"] = totals.unmatched;
  result["undelivered_at_end"] = totals.undelivered;
  result["frames_in"] = totals.frames_in;
  result["frames_out"] = totals.frames_out;
  result["latency"] = percentiles_json(totals.deliver);
  result["client_cpu_cores"] = own_cpu / options.duration;
  text += fmt::format(
      "  load       {} rate, window {} per connection, {} B bodies, {:.0f} s "
      "warmup + {:.0f} s measured\n",
      options.rate > 0 ? fmt::format("{:.0f}/s", options.rate) : "max", options.window,
      options.body_bytes, options.warmup, options.duration);
  text += fmt::format("  throughput {:.0f} {}/s ({} sent, {} completed in the window)\n",
                      per_second, unit, totals.sent, totals.delivered);
  text += fmt::format("  latency    {} {}\n", mode == Mode::kEcho ? "round trip" : "send->deliver",
                      format_latency(totals.deliver));
  if (mode != Mode::kEcho) {
    result["commit_latency"] = percentiles_json(totals.commit);
    text += fmt::format("  latency    send->sent   {}\n", format_latency(totals.commit));
  }
  if (options.server_pid) {
    result["server_cpu_cores"] = server_cpu / options.duration;
    result["server_cpu_us_per_op"] =
        totals.delivered ? server_cpu * 1e6 / static_cast<double>(totals.delivered) : 0;
    text += fmt::format(
        "  cpu        server {:.2f} cores ({:.1f} us per {}), generator {:.2f} "
        "cores\n",
        server_cpu / options.duration,
        totals.delivered ? server_cpu * 1e6 / static_cast<double>(totals.delivered) : 0.0,
        mode == Mode::kEcho ? "round trip" : "message", own_cpu / options.duration);
  } else {
    text += fmt::format("  cpu        generator {:.2f} cores\n", own_cpu / options.duration);
  }
  text += fmt::format(
      "  frames     {} in, {} out (whole run); errors {}, lost {}, skipped {}, "
      "undelivered {}\n",
      totals.frames_in, totals.frames_out, totals.errors, totals.lost, totals.skipped,
      totals.undelivered);
  // Everything per message is over the messages sent in the measured window.
  const auto per_message = [&totals](double value) {
    return totals.sent ? value / static_cast<double>(totals.sent) : 0.0;
  };
  const double frames_in_per_message = per_message(static_cast<double>(totals.frames_in_window));
  const double frames_out_per_message = per_message(static_cast<double>(totals.frames_out_window));
  result["frames_in_window"] = totals.frames_in_window;
  result["frames_out_window"] = totals.frames_out_window;
  result["frames_in_per_message"] = frames_in_per_message;
  result["frames_out_per_message"] = frames_out_per_message;
  text += fmt::format(
      "  frames     {:.2f} in, {:.2f} out per {} (measured window, as the clients see them)\n",
      frames_in_per_message, frames_out_per_message,
      mode == Mode::kEcho ? "round trip" : "message");
  if (mode == Mode::kGroup) {
    result["group_size"] = count;
    result["deliveries"] = totals.deliveries;
    result["deliveries_per_second"] = static_cast<double>(totals.deliveries) / options.duration;
    text += fmt::format(
        "  group      {} members (1 sender, {} readers acking and marking read): {} "
        "deliveries, {:.0f}/s\n",
        count, count - 1, totals.deliveries,
        static_cast<double>(totals.deliveries) / options.duration);
  }
  const bool is_postgres =
      store_after && store_after->contains("adapter") && store_after->at("adapter") == "postgresql";
  if (wants_store && disk_before && disk_after && !is_postgres) {
    const double bytes = per_message(static_cast<double>(*disk_after - *disk_before));
    result["server_disk_write_bytes_per_message"] = bytes;
    text += fmt::format("  disk       server process wrote {:.0f} B per message (/proc/PID/io)\n",
                        bytes);
  }
  if (store_before && store_after) {
    const json::object delta = store_stats_delta(*store_before, *store_after);
    result["store_delta"] = delta;
    const auto field = [&delta, &per_message](std::string_view key) -> std::optional<double> {
      const auto* value = delta.if_contains(key);
      if (value == nullptr || !value->is_number()) {
        return std::nullopt;
      }
      return per_message(value->to_number<double>());
    };
    const auto* adapter = delta.if_contains("adapter");
    const std::string adapter_name =
        adapter != nullptr && adapter->is_string() ? std::string(adapter->as_string()) : "store";
    result["store_adapter"] = adapter_name;
    result["store_span_s"] = store_span_s;
    std::string line = fmt::format("  store      {} per message:", adapter_name);
    const auto add = [&](std::string_view key, std::string_view json_key, std::string_view label) {
      if (const std::optional<double> value = field(key)) {
        result[json_key] = *value;
        line += fmt::format(" {:.3f} {},", *value, label);
      }
    };
    add("commits", "commits_per_message", "commits");
    add("rows_written", "rows_per_message", "rows");
    add("pages_written", "pages_per_message", "WAL pages");
    add("checkpoint_pages", "checkpoint_pages_per_message", "checkpointed pages");
    add("syncs_estimated", "fsyncs_per_message", "fsyncs (commits + 2 per checkpoint)");
    add("wal_syncs", "fsyncs_per_message", "WAL fsyncs (cluster)");
    add("wal_bytes", "wal_bytes_per_message", "WAL bytes (cluster)");
    add("statements", "statements_per_message", "statements");
    add("round_trips", "round_trips_per_message", "round trips");
    line.back() = '\n';
    text += line;
    if (std::abs(store_span_s - options.duration) > 0.1 * options.duration) {
      text += fmt::format(
          "  store      (the two readings were {:.2f} s apart, not {:.0f} s: the server was "
          "slow to answer, so the counters span a shifted window)\n",
          store_span_s, options.duration);
    }
  } else if (wants_store) {
    text += "  store      (no counters: the server runs without --bench-limits)\n";
  }
  const std::string problem = driver.first_problem();
  if (!problem.empty()) {
    text += "  problem    " + problem + "\n";
  }
  std::fputs(text.c_str(), stdout);
  write_json(options, result);
  return totals.errors == 0 && totals.delivered > 0 ? 0 : 1;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  CLI::App* bench = app.add_subcommand("bench", "Load generator (docs/benchmarks.md)");
  bench->require_subcommand(1);

  auto setup_options = std::make_shared<SetupOptions>();
  CLI::App* setup_command =
      bench->add_subcommand("setup", "Seed the org \"Bench\" in a STOPPED server's data directory");
  setup_command->add_option("--data-dir", setup_options->data_dir, "Data directory")
      ->capture_default_str();
  setup_command->add_option("--count", setup_options->count, "Users bench-0..N-1")
      ->capture_default_str();
  setup_command->add_option("--store", setup_options->store,
                            "sqlite (the data directory's database, the default) or a "
                            "postgresql:// URI, as for serve");
  setup_command->callback([setup_options, &exit_code] { exit_code = setup(*setup_options); });

  auto options = std::make_shared<RunOptions>();
  CLI::App* run_command =
      bench->add_subcommand("run", "Drive load against a running server on this machine");
  run_command->add_option("--server", options->server, "https://127.0.0.1:PORT")
      ->capture_default_str();
  run_command->add_option("--ca", options->ca_file, "CA certificate (PEM) to trust");
  run_command
      ->add_option("--mode", options->mode,
                   "messages (pairs), role (pairs, each writing to a role the other holds), "
                   "group (one sender, --group-size members), or echo (the baseline)")
      ->check(CLI::IsMember({"messages", "group", "echo", "role"}))
      ->capture_default_str();
  run_command
      ->add_option("--group-size", options->group_size,
                   "--mode group: members of the group thread, the sender included (users "
                   "bench-0..N-1)")
      ->capture_default_str();
  run_command->add_option("--org", options->org, "Org of the bench users")->capture_default_str();
  run_command->add_option("--users", options->users, "Simulated users (pairs = N/2)")
      ->capture_default_str();
  run_command->add_option("--rate", options->rate, "Total messages/s (0: max with windows)")
      ->capture_default_str();
  run_command->add_option("--duration", options->duration, "Measured seconds")
      ->capture_default_str();
  run_command->add_option("--warmup", options->warmup, "Unmeasured seconds first")
      ->capture_default_str();
  run_command->add_option("--window", options->window, "In-flight messages per connection")
      ->capture_default_str();
  run_command->add_option("--body-bytes", options->body_bytes, "Message body size")
      ->capture_default_str();
  run_command->add_flag("--urgent", options->urgent,
                        "Send urgent messages: each starts an escalation timer (bench/timers.sh)");
  run_command->add_option("--threads", options->threads, "Generator io threads")
      ->capture_default_str();
  run_command->add_option("--connections-only", options->connections_only,
                          "Open N idle connections and report memory per connection");
  run_command->add_option("--server-pid", options->server_pid,
                          "Server process id (reads its RSS and CPU time from /proc)");
  run_command->add_option("--hold", options->hold, "Seconds to hold idle connections");
  run_command->add_option("--json", options->json_file, "Also write the result as JSON here");
  run_command->callback([options, &exit_code] { exit_code = run(*options); });

  add_bench_mllp_command(*bench, exit_code);
  auto directory_options = std::make_shared<DirectoryBenchOptions>();
  CLI::App* directory_command = bench->add_subcommand(
      "directory", "Directory search at scale against a linear scan (a fresh store)");
  directory_command
      ->add_option("--data-dir", directory_options->data_dir,
                   "A data directory to create (must not exist)")
      ->required();
  directory_command->add_option("--users", directory_options->users, "Generated users")
      ->capture_default_str();
  directory_command->add_option("--queries", directory_options->queries, "Timed queries")
      ->capture_default_str();
  directory_command
      ->add_option("--scan-queries", directory_options->scan_queries,
                   "Queries of the linear-scan baseline")
      ->capture_default_str();
  directory_command
      ->add_option("--list-queries", directory_options->list_queries,
                   "Queries of the user-list baseline")
      ->capture_default_str();
  directory_command->callback(
      [directory_options, &exit_code] { exit_code = run_directory_bench(*directory_options); });
  auto search_options = std::make_shared<SearchBenchOptions>();
  CLI::App* search_command = bench->add_subcommand(
      "search", "Message search: the index's cost on the send path, and search latency");
  search_command
      ->add_option("--data-dir", search_options->data_dir,
                   "A data directory to create (must not exist)")
      ->required();
  search_command->add_option("--messages", search_options->messages, "Messages in the store")
      ->capture_default_str();
  search_command->add_option("--users", search_options->users, "Generated users")
      ->capture_default_str();
  search_command->add_option("--threads", search_options->threads, "Generated conversations")
      ->capture_default_str();
  search_command
      ->add_option("--send-messages", search_options->send_messages,
                   "Messages timed on the send path, with and without the index")
      ->capture_default_str();
  search_command->add_option("--queries", search_options->queries, "Timed searches")
      ->capture_default_str();
  search_command->callback(
      [search_options, &exit_code] { exit_code = run_search_bench(*search_options); });
}

}  // namespace wl::cli
