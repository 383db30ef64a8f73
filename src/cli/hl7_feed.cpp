#include <iostream>
#include <limits>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cli/api_session.hpp"
#include "cli/commands.hpp"

// `wardline hl7 messages|show|replay`: an org admin reads the ADT feed's stored messages
// and replays a failure after the fix, over the running server's HTTPS API
// (docs/operations.md, "Connecting an interface engine"; docs/protocol.md, section 5).
namespace wl::cli {
namespace {
namespace json = boost::json;

// Exit codes, as `hl7 send`'s: done; a replay whose outcome is still a failure; usage,
// connection or server errors (not an admin, no such message, no feed).
constexpr int kDone = 0;
constexpr int kNotApplied = 1;
constexpr int kFailed = 2;

struct FeedOptions {
  ApiLogin login;
  std::string outcome;
  std::int64_t before = 0;
  std::int64_t limit = 50;
  std::int64_t id = 0;
  bool json = false;
};

std::string text_of(const json::value& value) {
  if (value.is_string()) {
    return std::string(value.as_string());
  }
  return value.is_null() ? "-" : json::serialize(value);
}

// "12 2025-06-02T14:03:12.001337Z ADT^A02 error AE attempts=1 patient=- <detail>"
std::string summary_line(const json::object& message) {
  std::string line = fmt::format(
      "{} {} {} {} {} attempts={} patient={}", text_of(message.at("id")),
      text_of(message.at("received_at")),
      message.at("message_type").as_string().empty() ? "-" : text_of(message.at("message_type")),
      text_of(message.at("outcome")), text_of(message.at("ack_code")),
      text_of(message.at("attempts")), text_of(message.at("patient_id")));
  if (const json::value* detail = message.if_contains("detail");
      detail != nullptr && detail->is_string() && !detail->as_string().empty()) {
    line += " " + std::string(detail->as_string());
  }
  return line;
}

// Signs in, runs `action` with the session and maps a failure to kFailed on stderr.
template <typename Action>
int run(std::string_view command, const FeedOptions& options, Action action) {
  auto session = ApiSession::login(options.login);
  if (!session) {
    std::cerr << fmt::format("wardline hl7 {}: cannot sign in: {}\n", command,
                             session.error().message());
    return kFailed;
  }
  Result<int> done = action(**session);
  if (!done) {
    std::cerr << fmt::format("wardline hl7 {}: {}\n", command, done.error().message());
    return kFailed;
  }
  return *done;
}

Result<int> list_messages(ApiSession& session, const FeedOptions& options) {
  std::string target = fmt::format("/api/v1/hl7/messages?limit={}", options.limit);
  if (!options.outcome.empty()) {
    target += "&outcome=" + options.outcome;
  }
  if (options.before > 0) {
    target += fmt::format("&before={}", options.before);
  }
  const json::value answer = WL_TRY(session.call("GET", target));
  const json::array& messages = answer.at("messages").as_array();
  for (const json::value& message : messages) {
    std::cout << (options.json ? json::serialize(message) : summary_line(message.as_object()))
              << "\n";
  }
  if (!options.json && static_cast<std::int64_t>(messages.size()) == options.limit) {
    std::cout << fmt::format("(more: --before {})\n", text_of(messages.back().at("id")));
  }
  return kDone;
}

Result<int> show_message(ApiSession& session, const FeedOptions& options) {
  const json::value answer =
      WL_TRY(session.call("GET", fmt::format("/api/v1/hl7/messages/{}", options.id)));
  if (options.json) {
    std::cout << json::serialize(answer) << "\n";
    return kDone;
  }
  const json::object& message = answer.as_object();
  std::cout << summary_line(message) << "\n";
  std::cout << "updated " << text_of(message.at("updated_at")) << "\n\n";
  // Segments end with CR; one per line on a terminal.
  std::string text = text_of(message.at("text"));
  for (char& c : text) {
    if (c == '\r') {
      c = '\n';
    }
  }
  std::cout << text << (text.ends_with('\n') ? "" : "\n");
  return kDone;
}

Result<int> replay_message(ApiSession& session, const FeedOptions& options) {
  const json::value answer =
      WL_TRY(session.call("POST", fmt::format("/api/v1/hl7/messages/{}/replay", options.id), "{}"));
  const json::object& result = answer.as_object();
  const std::string outcome = text_of(result.at("outcome"));
  if (options.json) {
    std::cout << json::serialize(answer) << "\n";
  } else {
    std::string line =
        fmt::format("{} {} {} patient={}", text_of(result.at("id")), outcome,
                    text_of(result.at("ack_code")), text_of(result.at("patient_id")));
    if (const json::value* detail = result.if_contains("detail");
        detail != nullptr && detail->is_string() && !detail->as_string().empty()) {
      line += " " + std::string(detail->as_string());
    }
    std::cout << line << "\n";
  }
  return outcome == "error" || outcome == "rejected" ? kNotApplied : kDone;
}

}  // namespace

void add_hl7_feed_commands(CLI::App& hl7, int& exit_code) {
  auto options = std::make_shared<FeedOptions>();
  options->login.device_name = "wardline hl7";
  const auto add_common = [&options](CLI::App& command) {
    add_login_options(command, options->login);
    command.add_flag("--json", options->json, "Print the server's JSON, one object a line");
  };

  CLI::App* messages = hl7.add_subcommand(
      "messages",
      "List the ADT feed's stored messages, newest first (org admins; exit 2 on errors)");
  add_common(*messages);
  messages->add_option("--outcome", options->outcome, "Only these")
      ->check(CLI::IsMember({"applied", "stale", "error", "rejected"}));
  messages->add_option("--before", options->before, "Only ids below this (the next page)")
      ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()));
  messages->add_option("--limit", options->limit, "At most this many (1 to 200)")
      ->capture_default_str()
      ->check(CLI::Range(1, 200));
  messages->callback([options, &exit_code] {
    exit_code = run("messages", *options,
                    [&](ApiSession& session) { return list_messages(session, *options); });
  });

  CLI::App* show = hl7.add_subcommand(
      "show", "Show one stored message with its text (org admins; audited as a patient read)");
  add_common(*show);
  show->add_option("id", options->id, "The message id (from `hl7 messages`)")
      ->required()
      ->check(CLI::PositiveNumber);
  show->callback([options, &exit_code] {
    exit_code =
        run("show", *options, [&](ApiSession& session) { return show_message(session, *options); });
  });

  CLI::App* replay = hl7.add_subcommand(
      "replay",
      "Apply a stored message again after the fix and print its new outcome (org admins); "
      "exit 0 if applied, duplicate or stale, 1 if it failed again, 2 on errors");
  add_common(*replay);
  replay->add_option("id", options->id, "The message id (from `hl7 messages`)")
      ->required()
      ->check(CLI::PositiveNumber);
  replay->callback([options, &exit_code] {
    exit_code = run("replay", *options,
                    [&](ApiSession& session) { return replay_message(session, *options); });
  });
}

}  // namespace wl::cli
