#include "protocol/transcript_runner.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <vector>

#include <fmt/format.h>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cli/run_file.hpp"
#include "protocol/json_match.hpp"

namespace wl::testing {
namespace json = boost::json;

namespace {

constexpr std::chrono::seconds kFrameWait{10};
constexpr std::size_t kMaxTraceBytes = 600;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// Removes and returns the first space-separated word of `rest`.
std::string_view next_word(std::string_view& rest) {
  rest = trim(rest);
  const std::size_t end = rest.find_first_of(" \t");
  const std::string_view word = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : trim(rest.substr(end));
  return word;
}

Status mismatch(std::string message) {
  return Status(Code::kFailedPrecondition, std::move(message));
}

Status malformed(std::string message) { return Status(Code::kInvalidArgument, std::move(message)); }

Result<json::value> parse_expected(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) {
    return std::unexpected(malformed(fmt::format("not JSON: {}", text)));
  }
  return value;
}

bool is_presence(const json::value& frame) {
  const auto* object = frame.if_object();
  const json::value* type = object == nullptr ? nullptr : object->if_contains("type");
  return type != nullptr && type->is_string() && type->as_string() == "presence";
}

bool wants_presence(const json::value& expected) { return is_presence(expected); }

std::string describe_queue(const std::deque<json::value>& frames) {
  if (frames.empty()) {
    return "no frames queued";
  }
  std::string text = "queued frames:";
  for (const json::value& frame : frames) {
    std::string line = json::serialize(frame);
    if (line.size() > kMaxTraceBytes) {
      line = line.substr(0, kMaxTraceBytes) + "...";
    }
    text += "\n    " + line;
  }
  return text;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_username_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

}  // namespace

TranscriptRunner::TranscriptRunner(ServerProcess& server) : server_(server) {
  const char* trace = std::getenv("WL_PROTOCOL_TRACE");
  is_tracing_ = trace != nullptr && std::string_view(trace) == "1";
}

TranscriptRunner::~TranscriptRunner() {
  for (auto& [name, actor] : actors_) {
    if (actor.ws && !actor.is_closed) {
      actor.ws->close();
    }
  }
}

Result<void> TranscriptRunner::run_file(const std::filesystem::path& file) {
  std::ifstream stream(file);
  if (!stream) {
    return error(Code::kNotFound, fmt::format("cannot read {}", file.string()));
  }
  std::string line;
  int number = 0;
  while (std::getline(stream, line)) {
    ++number;
    const std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') {
      continue;
    }
    if (is_tracing_) {
      std::cerr << "\n# " << file.filename().string() << ":" << number << "  " << text << "\n";
    }
    auto done = run_line(text);
    if (!done) {
      return error(done.error().code(), fmt::format("{}:{}: {}\n  {}", file.filename().string(),
                                                    number, text, done.error().message()));
    }
  }
  return ok();
}

Result<void> TranscriptRunner::run_line(std::string_view line) {
  std::string_view rest = line;
  const std::string_view command = next_word(rest);
  if (command == "capture") {
    return run_capture(rest);
  }
  const std::string expanded = WL_TRY(substitute(rest));
  if (command == "login") {
    return run_login(expanded);
  }
  if (command == "admin-token") {
    return run_admin_token(expanded);
  }
  if (command == "token") {
    return run_token(expanded);
  }
  if (command == "http") {
    return run_http(expanded);
  }
  if (command == "expect") {
    return run_expect(expanded);
  }
  if (command == "ws") {
    return run_ws(expanded);
  }
  if (command == "clock") {
    return run_clock(expanded);
  }
  return std::unexpected(malformed(fmt::format("unknown command '{}'", command)));
}

Result<void> TranscriptRunner::run_clock(std::string_view rest) {
  const std::string_view verb = next_word(rest);
  const std::string_view amount = next_word(rest);
  std::int64_t count = 0;
  const auto [end, parsed] = std::from_chars(amount.data(), amount.data() + amount.size(), count);
  const std::string_view unit = amount.substr(static_cast<std::size_t>(end - amount.data()));
  const std::map<std::string_view, std::int64_t> seconds_per{
      {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
  if (verb != "advance" || !rest.empty() || parsed != std::errc() || count <= 0 ||
      !seconds_per.contains(unit)) {
    return std::unexpected(malformed("expected: clock advance DURATION (such as 31m, 12h, 8d)"));
  }
  if (!server_.has_test_clock()) {
    return std::unexpected(mismatch("the server was started without --test-clock-file"));
  }
  if (!server_.advance_clock(std::chrono::seconds(count * seconds_per.at(unit)))) {
    return std::unexpected(mismatch("the server did not move its clock within 10 s"));
  }
  return ok();
}

TranscriptRunner::Actor& TranscriptRunner::actor(const std::string& name) {
  Actor& found = actors_[name];
  if (!found.client) {
    found.client = std::make_unique<TestClient>(server_.client_options());
  }
  return found;
}

Result<std::string> TranscriptRunner::substitute(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '$') {
      out += line[i];
      continue;
    }
    if (i + 1 < line.size() && line[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (i + 1 < line.size() && line[i + 1] == '{') {
      const std::size_t close = line.find('}', i);
      const std::size_t star = line.rfind('*', close);
      if (close == std::string_view::npos || star == std::string_view::npos || star < i) {
        return std::unexpected(malformed("expected ${TEXT*COUNT}"));
      }
      const std::string_view text = line.substr(i + 2, star - i - 2);
      std::size_t count = 0;
      const auto [end, ec] = std::from_chars(line.data() + star + 1, line.data() + close, count);
      if (ec != std::errc() || end != line.data() + close) {
        return std::unexpected(malformed("expected ${TEXT*COUNT}"));
      }
      for (std::size_t n = 0; n < count; ++n) {
        out += text;
      }
      i = close;
      continue;
    }
    if (line.substr(i + 1).starts_with("user:")) {
      std::size_t end = i + 6;
      while (end < line.size() && is_username_char(line[end])) {
        ++end;
      }
      while (end > i + 6 && line[end - 1] == '.') {
        --end;  // A full stop ends a sentence, not a username.
      }
      const std::string username(line.substr(i + 6, end - i - 6));
      const std::string key = "user:" + username;
      if (!variables_.contains(key)) {
        TestClient* known = nullptr;
        for (auto& [name, candidate] : actors_) {
          if (!candidate.client->token().empty()) {
            known = candidate.client.get();
            break;
          }
        }
        if (known == nullptr) {
          return std::unexpected(malformed("$user: needs a logged-in actor first"));
        }
        const std::int64_t id = known->user_id_of(username);
        if (id == 0) {
          return std::unexpected(mismatch(fmt::format("no demo user {}", username)));
        }
        variables_[key] = std::to_string(id);
      }
      out += variables_[key];
      i = end - 1;
      continue;
    }
    std::size_t end = i + 1;
    while (end < line.size() && is_name_char(line[end])) {
      ++end;
    }
    const std::string name(line.substr(i + 1, end - i - 1));
    const auto found = variables_.find(name);
    if (name.empty() || found == variables_.end()) {
      return std::unexpected(malformed(fmt::format("undefined variable ${}", name)));
    }
    out += found->second;
    i = end - 1;
  }
  return out;
}

Result<void> TranscriptRunner::run_login(std::string_view rest) {
  const std::string name(next_word(rest));
  const std::string username(next_word(rest));
  std::string password(next_word(rest));
  if (name.empty() || username.empty()) {
    return std::unexpected(malformed("expected: login NAME USERNAME [PASSWORD]"));
  }
  if (password.empty()) {
    password = kDemoPassword;
  }
  Actor& entry = actors_[name];
  entry.client = std::make_unique<TestClient>(server_.client_options(), username, password);
  if (entry.client->token().empty()) {
    return std::unexpected(mismatch(fmt::format("login of {} failed", username)));
  }
  variables_[name + "_id"] = std::to_string(entry.client->user_id());
  variables_[name + "_token"] = entry.client->token();
  variables_["user:" + username] = std::to_string(entry.client->user_id());
  trace("=", fmt::format("{} logged in as {} (user {})", name, username, entry.client->user_id()));
  return ok();
}

Result<void> TranscriptRunner::run_admin_token(std::string_view rest) {
  const std::string name(next_word(rest));
  if (name.empty() || !rest.empty()) {
    return std::unexpected(malformed("expected: admin-token NAME"));
  }
  auto run = cli::read_run_file(server_.data_dir() / cli::kRunFileName);
  if (!run) {
    return std::unexpected(mismatch("no usable run file: " + run.error().to_string()));
  }
  actor(name).client->set_token(run->admin_token);
  trace("=", fmt::format("{} holds the admin token", name));
  return ok();
}

Result<void> TranscriptRunner::run_token(std::string_view rest) {
  const std::string name(next_word(rest));
  if (name.empty() || rest.empty()) {
    return std::unexpected(malformed("expected: token NAME TEXT"));
  }
  actor(name).client->set_token(std::string(rest));
  return ok();
}

Result<void> TranscriptRunner::run_http(std::string_view rest) {
  const std::string name(next_word(rest));
  const std::string method(next_word(rest));
  const std::string target(next_word(rest));
  if (name.empty() || method.empty() || target.empty()) {
    return std::unexpected(malformed("expected: http NAME METHOD TARGET [BODY]"));
  }
  trace(">", fmt::format("{} {} {}", method, target, rest));
  const HttpAnswer answer = actor(name).client->call(method, target, rest);
  if (answer.status == 0) {
    return std::unexpected(mismatch("the request failed (no HTTP answer)"));
  }
  last_status_ = answer.status;
  last_value_ = answer.body;
  has_answer_ = true;
  trace("<", fmt::format("{} {}", answer.status, json::serialize(answer.body)));
  return ok();
}

Result<void> TranscriptRunner::run_expect(std::string_view rest) {
  const std::string_view status_text = next_word(rest);
  int status = 0;
  const auto [end, ec] =
      std::from_chars(status_text.data(), status_text.data() + status_text.size(), status);
  if (ec != std::errc() || end != status_text.data() + status_text.size()) {
    return std::unexpected(malformed("expected: expect STATUS [JSON]"));
  }
  if (!has_answer_) {
    return std::unexpected(malformed("expect needs an http line before it"));
  }
  if (last_status_ != status) {
    return std::unexpected(mismatch(fmt::format("expected status {}, got {} {}", status,
                                                last_status_, json::serialize(last_value_))));
  }
  if (rest.empty()) {
    return ok();
  }
  const json::value expected = WL_TRY(parse_expected(rest));
  std::string where;
  if (!json_contains(last_value_, expected, &where)) {
    return std::unexpected(
        mismatch(fmt::format("{}\n  body: {}", where, json::serialize(last_value_))));
  }
  return ok();
}

Result<void> TranscriptRunner::run_capture(std::string_view rest) {
  const std::string_view target = next_word(rest);
  const std::string_view equals = next_word(rest);
  const std::string_view path = next_word(rest);
  if (target.size() < 2 || target.front() != '$' || equals != "=" || path.empty()) {
    return std::unexpected(malformed("expected: capture $VAR = PATH"));
  }
  const auto value = json_at(last_value_, path);
  if (!value) {
    return std::unexpected(
        mismatch(fmt::format("no value at {} in {}", path, json::serialize(last_value_))));
  }
  const std::string text =
      value->is_string() ? std::string(value->as_string()) : json::serialize(*value);
  variables_[std::string(target.substr(1))] = text;
  trace("=", fmt::format("{} = {}", target, text));
  return ok();
}

Result<void> TranscriptRunner::run_ws(std::string_view rest) {
  const std::string name(next_word(rest));
  const std::string_view verb = next_word(rest);
  if (name.empty() || verb.empty()) {
    return std::unexpected(malformed("expected: ws NAME VERB ..."));
  }
  Actor& entry = actor(name);
  if (verb == "connect" || verb == "open") {
    if (entry.ws && !entry.is_closed) {
      entry.ws->close();
    }
    entry.ws.reset();
    entry.frames.clear();
    entry.is_closed = false;
    auto connected = net::WsClient::connect(server_.client_options(), "/api/v1/ws");
    if (!connected) {
      return std::unexpected(
          mismatch(fmt::format("WebSocket connect failed: {}", connected.error().to_string())));
    }
    entry.ws = std::move(*connected);
    if (verb == "open") {
      return ok();
    }
    json::object hello{{"type", "hello"}, {"token", entry.client->token()}};
    const std::string_view cursor = next_word(rest);
    if (!cursor.empty()) {
      hello["cursor"] = cursor;
    }
    const std::string text = json::serialize(hello);
    trace(">", fmt::format("{} ws {}", name, text));
    if (auto sent = entry.ws->send(text); !sent) {
      return std::unexpected(mismatch(sent.error().to_string()));
    }
    return ok();
  }
  if (!entry.ws) {
    return std::unexpected(malformed(fmt::format("{} has no WebSocket: connect first", name)));
  }
  if (verb == "send") {
    trace(">", fmt::format("{} ws {}", name, rest));
    if (auto sent = entry.ws->send(rest); !sent) {
      return std::unexpected(mismatch(sent.error().to_string()));
    }
    return ok();
  }
  if (verb == "expect" || verb == "expect-next") {
    return ws_expect(entry, rest, verb == "expect-next");
  }
  if (verb == "no-frame") {
    int milliseconds = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), milliseconds);
    if (ec != std::errc() || end != rest.data() + rest.size()) {
      return std::unexpected(malformed("expected: ws NAME no-frame MILLISECONDS"));
    }
    return ws_no_frame(entry, std::chrono::milliseconds(milliseconds));
  }
  if (verb == "closed") {
    std::uint16_t code = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), code);
    if (ec != std::errc() || end != rest.data() + rest.size()) {
      return std::unexpected(malformed("expected: ws NAME closed CODE"));
    }
    return ws_closed(entry, code);
  }
  if (verb == "disconnect") {
    if (!entry.is_closed) {
      entry.ws->close();
    }
    entry.ws.reset();
    entry.frames.clear();
    entry.is_closed = false;
    return ok();
  }
  return std::unexpected(malformed(fmt::format("unknown ws verb '{}'", verb)));
}

bool TranscriptRunner::pull(Actor& entry, std::chrono::steady_clock::time_point deadline) {
  if (entry.is_closed) {
    return false;
  }
  const auto now = std::chrono::steady_clock::now();
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
  auto text = entry.ws->receive(std::max(left, std::chrono::milliseconds(1)));
  if (!text) {
    if (text.error().code() != Code::kDeadlineExceeded) {
      entry.is_closed = true;
      trace("<", fmt::format("closed {}", entry.ws->close_code()));
    }
    return false;
  }
  trace("<", *text);
  boost::system::error_code ec;
  json::value frame = json::parse(*text, ec);
  entry.frames.push_back(ec ? json::value(json::string(*text)) : std::move(frame));
  return true;
}

Result<void> TranscriptRunner::ws_expect(Actor& entry, std::string_view json_text, bool strict) {
  const json::value expected = WL_TRY(parse_expected(json_text));
  const bool presence = wants_presence(expected);
  const auto deadline = std::chrono::steady_clock::now() + kFrameWait;
  std::string where;
  while (true) {
    for (auto it = entry.frames.begin(); it != entry.frames.end();) {
      if (!presence && is_presence(*it)) {
        it = strict ? entry.frames.erase(it) : std::next(it);
        continue;
      }
      if (json_contains(*it, expected, &where)) {
        last_value_ = std::move(*it);
        entry.frames.erase(it);
        return ok();
      }
      if (strict) {
        return std::unexpected(mismatch(fmt::format("the next frame does not match: {}\n  {}",
                                                    where, describe_queue(entry.frames))));
      }
      ++it;
    }
    if (std::chrono::steady_clock::now() >= deadline || !pull(entry, deadline)) {
      if (!entry.is_closed && std::chrono::steady_clock::now() < deadline) {
        continue;
      }
      return std::unexpected(mismatch(fmt::format(
          "no matching frame {}; {}", entry.is_closed ? "before the close" : "within 10 s",
          describe_queue(entry.frames))));
    }
  }
}

Result<void> TranscriptRunner::ws_no_frame(Actor& entry, std::chrono::milliseconds quiet) {
  const auto deadline = std::chrono::steady_clock::now() + quiet;
  while (std::chrono::steady_clock::now() < deadline && pull(entry, deadline)) {
  }
  std::erase_if(entry.frames, is_presence);
  if (!entry.frames.empty()) {
    return std::unexpected(
        mismatch(fmt::format("unexpected frames left: {}", describe_queue(entry.frames))));
  }
  return ok();
}

Result<void> TranscriptRunner::ws_closed(Actor& entry, std::uint16_t code) {
  const auto deadline = std::chrono::steady_clock::now() + kFrameWait;
  while (!entry.is_closed && std::chrono::steady_clock::now() < deadline) {
    (void)pull(entry, deadline);
  }
  if (!entry.is_closed) {
    return std::unexpected(mismatch("the server did not close the WebSocket within 10 s"));
  }
  if (entry.ws->close_code() != code) {
    return std::unexpected(
        mismatch(fmt::format("expected close code {}, got {}", code, entry.ws->close_code())));
  }
  return ok();
}

void TranscriptRunner::trace(std::string_view direction, std::string_view text) const {
  if (!is_tracing_) {
    return;
  }
  std::string line(text);
  if (line.size() > kMaxTraceBytes) {
    line = line.substr(0, kMaxTraceBytes) + fmt::format("... ({} bytes)", text.size());
  }
  std::cerr << direction << " " << line << "\n";
}

}  // namespace wl::testing
