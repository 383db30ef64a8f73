#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "core/hl7/message.hpp"
#include "net/mllp_client.hpp"

// `wardline hl7 send FILE...`: sends HL7 v2 messages from files over MLLP, one at a time
// on one connection, and prints each ACK (docs/hl7.md, "Sending messages").
namespace wl::cli {
namespace {

// Exit codes: every ACK accepted; some message not accepted; usage or connection error.
constexpr int kAllAccepted = 0;
constexpr int kNotAccepted = 1;
constexpr int kFailed = 2;
// A larger input is refused before it is read whole.
constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;

struct SendOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 2575;
  bool tls = false;
  std::string ca_file;
  double timeout_seconds = 10;
  std::vector<std::string> files;
};

struct Input {
  std::string name;  // The file name as given, or "stdin".
  std::vector<std::string> messages;
};

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// Reads a file ("-" for stdin) whole, within kMaxFileBytes. Errors: NotFound,
// PermissionDenied, Unavailable, ResourceExhausted, each naming the file.
Result<std::string> read_input(const std::string& path) {
  std::string text;
  char buffer[64 * 1024];
  if (path == "-") {
    std::size_t count = 0;
    while ((count = std::fread(buffer, 1, sizeof buffer, stdin)) > 0) {
      text.append(buffer, count);
      if (text.size() > kMaxFileBytes) {
        return error(Code::kResourceExhausted, "stdin: more than 64 MiB");
      }
    }
    return text;
  }
  std::error_code code;
  if (!std::filesystem::exists(path, code)) {
    return error(Code::kNotFound, path + ": no such file");
  }
  if (std::filesystem::is_directory(path, code)) {
    return error(Code::kInvalidArgument, path + ": is a directory");
  }
  const auto size = std::filesystem::file_size(path, code);
  if (!code && size > kMaxFileBytes) {
    return error(Code::kResourceExhausted, path + ": larger than 64 MiB");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return error(Code::kPermissionDenied, path + ": cannot be read");
  }
  text.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  if (file.bad()) {
    return error(Code::kUnavailable, path + ": read error");
  }
  return text;
}

// Splits a file into messages: segments end with CR, LF or CRLF; blank lines, a UTF-8
// byte order mark and MLLP framing bytes (a captured stream) are dropped; each MSH
// segment starts a new message. Each message comes back with CR after every segment.
// Errors: InvalidArgument when text comes before the first MSH or there is none.
Result<std::vector<std::string>> split_messages(std::string_view name, std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  std::vector<std::string> messages;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find_first_of("\r\n");
    std::string line(text.substr(0, end));
    if (end == std::string_view::npos) {
      text = {};
    } else {
      const bool is_crlf = text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n';
      text.remove_prefix(end + (is_crlf ? 2 : 1));
    }
    ++line_number;
    std::erase_if(line, [](char c) { return c == '\x0B' || c == '\x1C'; });
    if (is_blank(line)) {
      continue;
    }
    if (line.starts_with("MSH")) {
      messages.emplace_back();
    } else if (messages.empty()) {
      return error(
          Code::kInvalidArgument,
          fmt::format("{}: line {} comes before the first MSH segment", name, line_number));
    }
    messages.back() += line;
    messages.back() += '\r';
  }
  if (messages.empty()) {
    return error(Code::kInvalidArgument, fmt::format("{}: no HL7 message (no MSH segment)", name));
  }
  return messages;
}

// One line about an ACK: the code and the text, and whether it accepts `control_id`.
struct AckSummary {
  std::string code;
  std::string text;
  bool is_accepted = false;
};

AckSummary summarise_ack(std::string_view ack, const std::string& control_id) {
  AckSummary summary;
  Result<hl7::Message> parsed = hl7::parse_message(ack);
  if (!parsed || parsed->segment("MSA") == nullptr) {
    summary.code = "??";
    summary.text = "the answer is not an HL7 ACK";
    return summary;
  }
  summary.code = parsed->value("MSA", 1);
  summary.text = parsed->value("MSA", 3);
  if (summary.text.empty()) {
    summary.text = parsed->value("ERR", 8);  // User message (v2.5).
  }
  if (summary.text.empty()) {
    summary.text = parsed->value("ERR", 3, 1, 2);  // The error code's text.
  }
  if (summary.text.empty()) {
    summary.text = parsed->value("ERR", 1, 1, 4, 2);  // v2.3's ERR-1 code text.
  }
  const std::string acknowledged = parsed->value("MSA", 2);
  summary.is_accepted = (summary.code == "AA" || summary.code == "CA");
  if (!control_id.empty() && acknowledged != control_id) {
    summary.is_accepted = false;
    summary.text = fmt::format("the ACK is for another message (MSA-2 {})", acknowledged);
  }
  return summary;
}

int send(const SendOptions& options) {
  std::vector<Input> inputs;
  for (const std::string& path : options.files) {
    Result<std::string> text = read_input(path);
    if (!text) {
      std::cerr << "wardline hl7 send: " << text.error().message() << "\n";
      return kFailed;
    }
    const std::string name = path == "-" ? "stdin" : path;
    Result<std::vector<std::string>> messages = split_messages(name, *text);
    if (!messages) {
      std::cerr << "wardline hl7 send: " << messages.error().message() << "\n";
      return kFailed;
    }
    inputs.push_back(Input{name, std::move(*messages)});
  }
  if (!options.ca_file.empty() && !options.tls) {
    std::cerr << "wardline hl7 send: --ca needs --tls\n";
    return kFailed;
  }
  if (!(options.timeout_seconds > 0) || options.timeout_seconds > 3600) {
    std::cerr << "wardline hl7 send: --timeout must be between 0 and 3600 seconds\n";
    return kFailed;
  }

  net::MllpClientOptions client;
  client.server.host = options.host;
  client.server.port = options.port;
  client.server.ca_file = options.ca_file;
  client.server.timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_seconds * 1000));
  client.tls = options.tls;
  const std::string target = fmt::format("{}:{}", options.host, options.port);
  auto connection = net::MllpClient::connect(client);
  if (!connection) {
    std::cerr << "wardline hl7 send: cannot connect to " << target << ": "
              << connection.error().message() << "\n";
    return kFailed;
  }

  int exit_code = kAllAccepted;
  for (const Input& input : inputs) {
    for (const std::string& message : input.messages) {
      Result<hl7::Message> parsed = hl7::parse_message(message);
      const std::string control_id = parsed ? parsed->header().control_id : std::string();
      const std::string shown = control_id.empty() ? "-" : control_id;
      Result<std::string> ack = (*connection)->exchange(message);
      if (!ack) {
        if (ack.error().code() == Code::kDeadlineExceeded) {
          std::cerr << fmt::format("wardline hl7 send: no ACK for {} ({}) within {} s; stopping\n",
                                   shown, input.name, options.timeout_seconds);
        } else {
          std::cerr << fmt::format("wardline hl7 send: {} ({}): {}; stopping\n", shown, input.name,
                                   ack.error().message());
        }
        return kFailed;
      }
      const AckSummary summary = summarise_ack(*ack, control_id);
      std::string line = fmt::format("{} {}", shown, summary.code.empty() ? "??" : summary.code);
      if (!summary.text.empty()) {
        line += " " + summary.text;
      }
      std::cout << line << "\n" << std::flush;
      if (!summary.is_accepted) {
        exit_code = kNotAccepted;
      }
    }
  }
  (*connection)->close();
  return exit_code;
}

}  // namespace

void add_hl7_command(CLI::App& app, int& exit_code) {
  CLI::App* hl7 = app.add_subcommand(
      "hl7", "HL7 v2 over MLLP, and the ADT feed's stored messages (docs/hl7.md)");
  hl7->require_subcommand(1);
  auto options = std::make_shared<SendOptions>();
  CLI::App* send_command = hl7->add_subcommand(
      "send",
      "Send the HL7 messages in FILE... over one MLLP connection and print each ACK; exit 0 "
      "if all are accepted (AA/CA), 1 if not, 2 on usage or connection errors");
  send_command->add_option("--host", options->host, "MLLP listener host")->capture_default_str();
  send_command->add_option("--port", options->port, "MLLP listener port")->capture_default_str();
  send_command->add_flag("--tls", options->tls, "Connect over TLS");
  send_command->add_option("--ca", options->ca_file,
                           "With --tls: trust this CA certificate (PEM) instead of the system's");
  send_command
      ->add_option("--timeout", options->timeout_seconds,
                   "Seconds to wait for the connection and for each ACK")
      ->capture_default_str();
  send_command
      ->add_option("files", options->files,
                   "Files of HL7 messages (segments end with CR, LF or CRLF; each MSH starts "
                   "a message); - reads stdin")
      ->required();
  send_command->callback([options, &exit_code] { exit_code = send(*options); });
  add_hl7_feed_commands(*hl7, exit_code);
}

}  // namespace wl::cli
