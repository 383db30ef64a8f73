#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "core/status.hpp"
#include "net/client.hpp"
#include "support/server_process.hpp"
#include "support/test_client.hpp"

// Protocol transcripts: data-driven tests of the public protocol (STYLE.md section 9,
// duckdb style) that double as the examples of docs/protocol.md.
//
// FORMAT. One command per line. Blank lines and lines starting with '#' are ignored
// (use '#' lines to say what a step shows). NAME is an actor: a client of the server
// with its own HTTPS connection and at most one WebSocket. An actor that was never
// logged in is anonymous (no Authorization header, no token).
//
//   login NAME USERNAME [PASSWORD]      Logs NAME in as a demo user (default password:
//                                       the demo password); defines $NAME_id (user id)
//                                       and $NAME_token.
//   http NAME METHOD TARGET [BODY]      One HTTPS request; BODY is the rest of the line,
//                                       sent as is (it need not be valid JSON).
//   expect STATUS [JSON]                The last HTTP answer has STATUS and its body
//                                       contains JSON (see json_match.hpp: subset of
//                                       objects, same-length arrays, placeholders
//                                       "<any>" "<string>" "<int>" "<bool>"
//                                       "<timestamp>", and "<absent>" for a missing key).
//                                       204 answers have the body null.
//   ws NAME connect [CURSOR]            Opens /api/v1/ws and sends hello with NAME's token
//                                       (and the cursor, if given). The welcome is a
//                                       frame like any other: expect it.
//   ws NAME open                        Opens /api/v1/ws and sends nothing.
//   ws NAME send TEXT                   Sends TEXT (the rest of the line) as one text frame.
//   ws NAME expect JSON                 Waits (10 s) for the first unconsumed frame that
//                                       contains JSON and consumes it. Frames that do not
//                                       match stay queued for later expects (so replies and
//                                       events that race each other need no fixed order).
//   ws NAME expect-next JSON            The oldest unconsumed frame other than presence
//                                       must contain JSON (strict order). Presence frames
//                                       ahead of it are dropped, as the server may drop
//                                       them too.
//   ws NAME no-frame MILLISECONDS       No unconsumed frame other than presence is queued
//                                       or arrives within the time (nothing left over, no
//                                       duplicate).
//   ws NAME closed CODE                 The server closes the WebSocket with CODE within
//                                       10 s (frames before the close stay queued).
//   ws NAME disconnect                  Closes NAME's WebSocket cleanly; queued frames
//                                       are discarded.
//   clock advance DURATION              Moves the server's clock forward by DURATION, a
//                                       whole number with s, m, h or d ("31m", "8d"),
//                                       and waits until the server has. Timers and
//                                       expiries follow the server's clock.
//   admin-token NAME                    NAME's requests carry the server's admin token,
//                                       read from the run file in its data directory (as
//                                       `wardline admin` reads it).
//   token NAME TEXT                     NAME's requests carry TEXT as their bearer token.
//   capture $VAR = PATH                 Stores the value at PATH (".id", ".messages[0].seq",
//                                       "." for all) of the last HTTP answer or the last
//                                       consumed frame, whichever came later.
//
// SUBSTITUTION, before a line runs (capture lines excepted): $VAR becomes the variable's
// text (strings raw, other values as JSON); $user:USERNAME becomes that demo user's id;
// ${TEXT*N} becomes TEXT repeated N times (for oversize inputs); $$ is a literal '$'.
// An undefined variable fails the transcript.
//
// Each transcript runs against its own fresh `wardline serve --demo` process, started
// with --test-clock-file so that `clock advance` can move its time. The first
// failing line stops the transcript and is reported as FILE:LINE with what was seen.
// With WL_PROTOCOL_TRACE=1 in the environment every request, answer and frame is
// printed to stderr (how docs/protocol.md's examples were captured).
namespace wl::testing {

class TranscriptRunner {
 public:
  // `server` must be started and outlive the runner.
  explicit TranscriptRunner(ServerProcess& server);
  ~TranscriptRunner();
  TranscriptRunner(const TranscriptRunner&) = delete;
  TranscriptRunner& operator=(const TranscriptRunner&) = delete;

  // Runs every line of the file. Returns ok, or InvalidArgument for a malformed line,
  // NotFound for a missing file, FailedPrecondition for an expectation that did not
  // hold; the message starts with "FILE:LINE:".
  [[nodiscard]] Result<void> run_file(const std::filesystem::path& file);

  // Runs one line (no comment or blank handling). Errors as run_file, without position.
  [[nodiscard]] Result<void> run_line(std::string_view line);

 private:
  struct Actor {
    std::unique_ptr<TestClient> client;
    std::unique_ptr<net::WsClient> ws;
    std::deque<boost::json::value> frames;  // Received, not yet consumed.
    bool is_closed = false;
  };

  Actor& actor(const std::string& name);
  Result<std::string> substitute(std::string_view line);
  Result<void> run_login(std::string_view rest);
  Result<void> run_admin_token(std::string_view rest);
  Result<void> run_token(std::string_view rest);
  Result<void> run_http(std::string_view rest);
  Result<void> run_expect(std::string_view rest);
  Result<void> run_capture(std::string_view rest);
  Result<void> run_ws(std::string_view rest);
  Result<void> run_clock(std::string_view rest);
  Result<void> ws_expect(Actor& actor, std::string_view json_text, bool strict);
  Result<void> ws_no_frame(Actor& actor, std::chrono::milliseconds quiet);
  Result<void> ws_closed(Actor& actor, std::uint16_t code);
  // Receives one frame into actor.frames. Returns false on timeout or close.
  bool pull(Actor& actor, std::chrono::steady_clock::time_point deadline);
  void trace(std::string_view direction, std::string_view text) const;

  ServerProcess& server_;
  std::map<std::string, Actor> actors_;
  std::map<std::string, std::string> variables_;
  int last_status_ = 0;
  bool has_answer_ = false;
  boost::json::value last_value_;
  bool is_tracing_ = false;
};

}  // namespace wl::testing
