#include <chrono>
#include <iostream>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cli/api_session.hpp"
#include "cli/commands.hpp"
#include "core/crypto/random.hpp"
#include "net/client.hpp"

namespace wl::cli {
namespace {
namespace json = boost::json;

struct ChatOptions {
  ApiLogin login;
  // Subcommand arguments.
  std::string direct;
  std::string group;
  std::vector<std::string> members;
  std::int64_t patient = 0;
  std::string title;
  std::int64_t thread = 0;
  bool urgent = false;
  bool override_availability = false;
  std::string forward_to;
  std::int64_t forward_to_role = 0;
  std::string until;
  bool stop = false;
  std::int64_t held = 0;
  std::vector<std::string> gatekeepers;
  std::int64_t role = 0;
  bool none = false;
  bool pass = false;
  bool hold = false;
  std::string answer;
  std::string client_id;
  std::string text;
  std::string cursor;
  bool ack = false;
  std::int64_t count = 0;
  double idle_seconds = 0;
  std::int64_t before = 0;
  std::int64_t limit = 50;
  std::int64_t seq = 0;
  std::int64_t message = 0;
};

// A logged-in session against the server: HTTPS for resources, a WebSocket on demand.
class ChatClient {
 public:
  static Result<std::unique_ptr<ChatClient>> login(const ChatOptions& options) {
    std::unique_ptr<ApiSession> session = WL_TRY(ApiSession::login(options.login));
    return std::unique_ptr<ChatClient>(new ChatClient(std::move(session)));
  }

  // One request; a non-2xx answer becomes an error carrying the server's message.
  Result<json::value> call(std::string_view method, std::string_view target,
                           std::string_view body) {
    return session_->call(method, target, body);
  }

  // Opens the WebSocket and completes the hello. Returns the welcome frame.
  Result<json::value> connect(std::string_view cursor) {
    ws_ = WL_TRY(net::WsClient::connect(session_->client_options(), "/api/v1/ws"));
    json::object hello{{"type", "hello"}, {"token", session_->token()}};
    if (!cursor.empty()) {
      hello["cursor"] = cursor;
    }
    WL_TRY(ws_->send(json::serialize(hello)));
    const std::string text = WL_TRY(ws_->receive(session_->client_options().timeout));
    json::value frame = json::parse(text);
    if (frame.at("type").as_string() != "welcome") {
      return error(Code::kUnauthenticated, text);
    }
    return frame;
  }

  net::WsClient& ws() { return *ws_; }
  std::int64_t user_id() const { return session_->user_id(); }

  Result<std::int64_t> user_id_of(std::string_view username) {
    const json::value users = WL_TRY(call("GET", "/api/v1/users", ""));
    for (const json::value& user : users.at("users").as_array()) {
      if (user.at("username").as_string() == username) {
        return user.at("id").as_int64();
      }
    }
    return error(Code::kNotFound, fmt::format("no user '{}'", username));
  }

 private:
  explicit ChatClient(std::unique_ptr<ApiSession> session) : session_(std::move(session)) {}

  std::unique_ptr<ApiSession> session_;
  std::unique_ptr<net::WsClient> ws_;
};

int fail(const Status& status) {
  std::cerr << "wardline chat: " << status.to_string() << "\n";
  return 1;
}

template <typename Action>
int with_client(const ChatOptions& options, Action action) {
  auto client = ChatClient::login(options);
  if (!client) {
    return fail(client.error());
  }
  Result<void> done = action(**client);
  return done ? 0 : fail(done.error());
}

void print(const json::value& value) { std::cout << json::serialize(value) << "\n"; }

// Prints the answer; a list (an object of one array, or the array named `list`) as
// one item per line.
Result<void> print_call(ChatClient& client, std::string_view method, std::string_view target,
                        std::string_view body = {}, std::string_view list = {}) {
  const json::value value = WL_TRY(client.call(method, target, body));
  const json::array* items = nullptr;
  if (const json::object* object = value.if_object()) {
    if (!list.empty()) {
      items = object->contains(list) ? object->at(list).if_array() : nullptr;
    } else if (object->size() == 1) {
      items = object->begin()->value().if_array();
    }
  }
  if (items != nullptr) {
    for (const json::value& item : *items) {
      print(item);
    }
  } else if (!value.is_null()) {
    print(value);
  }
  return ok();
}

Result<void> send_message(ChatClient& client, const ChatOptions& options) {
  WL_TRY(client.connect(""));
  const std::string client_id =
      options.client_id.empty() ? crypto::random_token_hex(12) : options.client_id;
  json::object frame{{"type", "send"},
                     {"thread_id", options.thread},
                     {"client_id", client_id},
                     {"body", options.text},
                     {"urgent", options.urgent}};
  if (options.override_availability) {
    frame["override"] = true;
  }
  WL_TRY(client.ws().send(json::serialize(frame)));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = WL_TRY(client.ws().receive(std::chrono::seconds(30)));
    const json::value reply = json::parse(text);
    const auto type = reply.at("type").as_string();
    if (type == "sent" && reply.at("client_id").as_string() == client_id) {
      print(reply);
      return ok();
    }
    if (type == "error") {
      return error(Code::kFailedPrecondition, std::string(reply.at("message").as_string()));
    }
  }
  return error(Code::kDeadlineExceeded, "no acknowledgement from the server");
}

Result<void> tail(ChatClient& client, const ChatOptions& options) {
  WL_TRY(client.connect(options.cursor));
  std::int64_t events = 0;
  const auto idle = options.idle_seconds > 0
                        ? std::chrono::milliseconds(static_cast<long>(options.idle_seconds * 1000))
                        : std::chrono::milliseconds(std::chrono::hours(24 * 365));
  for (;;) {
    auto text = client.ws().receive(idle);
    if (!text) {
      if (text.error().code() == Code::kDeadlineExceeded) {
        return ok();
      }
      return std::unexpected(text.error());
    }
    std::cout << *text << "\n" << std::flush;
    const json::value frame = json::parse(*text);
    // An "event" frame holds one event, an "events" frame several (read marks).
    std::vector<const json::value*> received;
    if (frame.at("type").as_string() == "event") {
      received.push_back(&frame.at("event"));
    } else if (frame.at("type").as_string() == "events") {
      for (const json::value& event : frame.at("events").as_array()) {
        received.push_back(&event);
      }
    }
    for (const json::value* event : received) {
      if (options.ack && event->at("kind").as_string() == "message" &&
          event->at("sender_id").as_int64() != client.user_id()) {
        json::object ack{{"type", "ack"}, {"message_ids", json::array{event->at("id")}}};
        WL_TRY(client.ws().send(json::serialize(ack)));
      }
      if (options.count > 0 && ++events >= options.count) {
        return ok();
      }
    }
  }
}

}  // namespace

void add_chat_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ChatOptions>();
  CLI::App* chat = app.add_subcommand("chat", "Command-line client (JSON lines out)");
  chat->require_subcommand(1);
  options->login.device_name = "wardline chat";
  add_login_options(*chat, options->login);

  chat->add_subcommand("threads", "List your threads")->callback([options, &exit_code] {
    exit_code = with_client(
        *options, [](ChatClient& client) { return print_call(client, "GET", "/api/v1/threads"); });
  });
  chat->add_subcommand("users", "List the directory")->callback([options, &exit_code] {
    exit_code = with_client(
        *options, [](ChatClient& client) { return print_call(client, "GET", "/api/v1/users"); });
  });
  chat->add_subcommand("patients", "List patients")->callback([options, &exit_code] {
    exit_code = with_client(
        *options, [](ChatClient& client) { return print_call(client, "GET", "/api/v1/patients"); });
  });

  CLI::App* open = chat->add_subcommand("open", "Open a direct, group or patient thread");
  auto* direct = open->add_option("--direct", options->direct, "Username for a direct thread");
  auto* group = open->add_option("--group", options->group, "Title of a new group");
  auto* patient = open->add_option("--patient", options->patient, "Patient id");
  direct->excludes(group)->excludes(patient);
  group->excludes(patient);
  open->add_option("--members", options->members, "Usernames (group, patient)")->delimiter(',');
  open->add_option("--title", options->title, "Title of a patient group");
  open->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) -> Result<void> {
      json::array members;
      for (const std::string& name : options->members) {
        members.push_back(WL_TRY(client.user_id_of(name)));
      }
      json::object body;
      if (!options->direct.empty()) {
        body = {{"kind", "direct"}, {"user_id", WL_TRY(client.user_id_of(options->direct))}};
      } else if (!options->group.empty()) {
        body = {{"kind", "group"}, {"title", options->group}, {"member_ids", members}};
      } else if (options->patient > 0) {
        body = {{"kind", "patient"}, {"patient_id", options->patient}, {"member_ids", members}};
        if (!options->title.empty()) {
          body["title"] = options->title;
        }
      } else {
        return error(Code::kInvalidArgument, "give --direct, --group or --patient");
      }
      return print_call(client, "POST", "/api/v1/threads", json::serialize(body));
    });
  });

  CLI::App* send = chat->add_subcommand("send", "Send a message (prints the sent ack)");
  send->add_option("--thread", options->thread, "Thread id")->required();
  send->add_flag("--urgent", options->urgent, "Mark urgent");
  send->add_flag("--override", options->override_availability,
                 "With --urgent: deliver to an off-duty person now instead of holding it");
  send->add_option("--client-id", options->client_id, "Idempotency key (default: random)");
  send->add_option("text", options->text, "Message text")->required();
  send->callback([options, &exit_code] {
    exit_code =
        with_client(*options, [&](ChatClient& client) { return send_message(client, *options); });
  });

  CLI::App* tail_command = chat->add_subcommand("tail", "Follow your events as JSON lines");
  tail_command->add_option("--cursor", options->cursor, "Resume after this cursor");
  tail_command->add_flag("--ack", options->ack, "Acknowledge delivery of messages from others");
  tail_command->add_option("--count", options->count, "Stop after this many events");
  tail_command->add_option("--idle", options->idle_seconds, "Stop after this many idle seconds");
  tail_command->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) { return tail(client, *options); });
  });

  CLI::App* history = chat->add_subcommand("history", "Messages of a thread, newest first");
  history->add_option("--thread", options->thread, "Thread id")->required();
  history->add_option("--before", options->before, "Only seq below this");
  history->add_option("--limit", options->limit, "At most this many")->capture_default_str();
  history->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) {
      return print_call(client, "GET",
                        fmt::format("/api/v1/threads/{}/messages?before_seq={}&limit={}",
                                    options->thread, options->before, options->limit),
                        {}, "messages");
    });
  });

  CLI::App* read = chat->add_subcommand("read", "Mark a thread read up to a sequence");
  read->add_option("--thread", options->thread, "Thread id")->required();
  read->add_option("--seq", options->seq, "Read up to this seq")->required();
  read->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) {
      return print_call(client, "POST", fmt::format("/api/v1/threads/{}/read", options->thread),
                        json::serialize(json::object{{"up_to_seq", options->seq}}));
    });
  });

  CLI::App* held =
      chat->add_subcommand("held", "Your messages held in a thread for someone off duty");
  held->add_option("--thread", options->thread, "Thread id")->required();
  held->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) {
      return print_call(client, "GET", fmt::format("/api/v1/threads/{}/held", options->thread));
    });
  });

  CLI::App* withdraw =
      chat->add_subcommand("withdraw", "Withdraw a held message (prints it, with its text)");
  withdraw->add_option("--held", options->held, "Held message id")->required();
  withdraw->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) {
      return print_call(client, "DELETE", fmt::format("/api/v1/held/{}", options->held));
    });
  });

  CLI::App* forward = chat->add_subcommand(
      "forward", "Forward your messages to a colleague or a role, or stop (prints it)");
  auto* to_user = forward->add_option("--to", options->forward_to, "Username to forward to");
  auto* to_role = forward->add_option("--to-role", options->forward_to_role, "Role id");
  auto* stop = forward->add_flag("--stop", options->stop, "Stop forwarding");
  to_user->excludes(to_role)->excludes(stop);
  to_role->excludes(stop);
  forward->add_option("--until", options->until, "End, RFC 3339 UTC (default: until stopped)");
  forward->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) -> Result<void> {
      const std::string target = fmt::format("/api/v1/users/{}/forwarding", client.user_id());
      if (options->stop) {
        return print_call(client, "DELETE", target);
      }
      json::object body;
      if (!options->forward_to.empty()) {
        body["to_user_id"] = WL_TRY(client.user_id_of(options->forward_to));
      } else if (options->forward_to_role > 0) {
        body["to_role_id"] = options->forward_to_role;
      } else {
        return error(Code::kInvalidArgument, "give --to, --to-role or --stop");
      }
      if (!options->until.empty()) {
        body["ends_at"] = options->until;
      }
      return print_call(client, "PUT", target, json::serialize(body));
    });
  });

  CLI::App* gatekeepers = chat->add_subcommand(
      "gatekeepers", "Who screens your messages while you are not available (prints them)");
  auto* named =
      gatekeepers->add_option("--set", options->gatekeepers, "Usernames, in order")->delimiter(',');
  gatekeepers->add_flag("--none", options->none, "Nobody screens them")->excludes(named);
  gatekeepers->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) -> Result<void> {
      // Printed whole ({"user_ids":[...]}), not as a list: an empty one says none.
      const std::string target = fmt::format("/api/v1/users/{}/gatekeepers", client.user_id());
      if (options->gatekeepers.empty() && !options->none) {
        print(WL_TRY(client.call("GET", target, {})));
        return ok();
      }
      json::array ids;
      for (const std::string& name : options->gatekeepers) {
        ids.push_back(WL_TRY(client.user_id_of(name)));
      }
      print(WL_TRY(
          client.call("PUT", target, json::serialize(json::object{{"user_ids", std::move(ids)}}))));
      return ok();
    });
  });

  CLI::App* screening = chat->add_subcommand(
      "screening", "The messages you screen as a gatekeeper, waiting for your decision");
  screening->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) {
      return print_call(client, "GET", "/api/v1/screening", {}, "screening");
    });
  });

  CLI::App* screen = chat->add_subcommand(
      "screen", "Pass on, hold or answer a message you screen (prints what became of it)");
  screen->add_option("--held", options->held, "Its held id (chat screening)")->required();
  auto* pass = screen->add_flag("--pass", options->pass, "Pass it on to its addressee");
  auto* hold = screen->add_flag("--hold", options->hold, "Hold it until they are available");
  auto* answer = screen->add_option("--answer", options->answer, "Answer its sender yourself");
  pass->excludes(hold)->excludes(answer);
  hold->excludes(answer);
  screen->add_option("--client-id", options->client_id, "The answer's idempotency key");
  screen->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) -> Result<void> {
      json::object body;
      if (options->pass) {
        body["action"] = "pass";
      } else if (options->hold) {
        body["action"] = "hold";
      } else if (!options->answer.empty()) {
        body["action"] = "answer";
        body["client_id"] =
            options->client_id.empty() ? crypto::random_token_hex(12) : options->client_id;
        body["body"] = options->answer;
      } else {
        return error(Code::kInvalidArgument, "give --pass, --hold or --answer");
      }
      return print_call(client, "POST", fmt::format("/api/v1/screening/{}", options->held),
                        json::serialize(body));
    });
  });

  CLI::App* handoff = chat->add_subcommand(
      "handoff", "Write a hand-off note for the next holder of a role you hold (prints it)");
  handoff->add_option("--role", options->role, "Role id")->required();
  handoff->add_option("--to", options->direct, "Username of the incoming holder")->required();
  handoff->add_option("--client-id", options->client_id, "Idempotency key (default: random)");
  handoff->add_option("text", options->text, "The note")->required();
  handoff->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) -> Result<void> {
      json::object body{{"user_id", WL_TRY(client.user_id_of(options->direct))},
                        {"client_id", options->client_id.empty() ? crypto::random_token_hex(12)
                                                                 : options->client_id},
                        {"body", options->text}};
      return print_call(client, "POST",
                        fmt::format("/api/v1/roles/{}/handoff-notes", options->role),
                        json::serialize(body));
    });
  });

  CLI::App* handoffs = chat->add_subcommand("handoffs", "Hand-off notes for you to accept");
  handoffs->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) {
      return print_call(client, "GET", "/api/v1/handoffs", {}, "handoffs");
    });
  });

  CLI::App* accept = chat->add_subcommand("accept", "Accept a hand-off note (prints it)");
  accept->add_option("--message", options->message, "The note's message id")->required();
  accept->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) {
      return print_call(client, "POST",
                        fmt::format("/api/v1/handoffs/{}/accept", options->message));
    });
  });

  CLI::App* status = chat->add_subcommand("status", "Per-recipient status of a message");
  status->add_option("--message", options->message, "Message id")->required();
  status->callback([options, &exit_code] {
    exit_code = with_client(*options, [&](ChatClient& client) {
      return print_call(client, "GET", fmt::format("/api/v1/messages/{}/status", options->message));
    });
  });
}

}  // namespace wl::cli
