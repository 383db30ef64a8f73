#pragma once

#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api_context.hpp"
#include "api/frames.hpp"
#include "core/fifo.hpp"
#include "net/server.hpp"
#include "services/identity/principal.hpp"

namespace boost::json {
class object;
}

namespace wl::api {

class LiveEvent;
using LiveBatch = std::vector<std::shared_ptr<LiveEvent>>;

// One device's WebSocket: the protocol of docs/protocol.md (hello, send, ack, read,
// ping; event, events, caught_up, resync, sent, presence, error).
//
// Runs only on its connection's thread; blocking work goes to the WorkPool and its
// result is posted back. The stream contract: every event after the client's cursor
// is sent once, in id order, replayed from the store, then "caught_up", then live.
// When the connection's bounded queue is full, clinical events are not queued but
// re-read from the store once it drains; presence frames are dropped; replies wait in
// a bounded list, past which the client is closed as too slow.
class ClientSession final : public net::WsHandler {
 public:
  explicit ClientSession(ApiContext& context);
  ~ClientSession() override;

  void on_open(std::shared_ptr<net::WsConnection> connection) override;
  void on_message(std::string_view text) override;
  void on_drained() override;
  void on_closed() override;

  // From the Hub, on this connection's thread.
  void on_live_event(const std::shared_ptr<LiveEvent>& live);
  // Read marks the hub held for this user, in commit order: sent as one "events" frame.
  void on_live_batch(const LiveBatch& batch);
  void send_droppable(const std::shared_ptr<const std::string>& frame);
  // Re-checks the login session: tells the client when it locked or unlocked; closes
  // the connection (1008) if it has ended, expired or its device was revoked.
  void check_session();

  // The frame types an authenticated connection takes (the authorisation matrix test
  // checks it lists them all).
  static std::vector<std::string_view> frame_types();

 private:
  enum class Phase { kAwaitingHello, kAuthenticating, kStreaming, kClosed };

  // Audits a refused authentication (rate-limited per source address).
  void audit_refused(std::string_view reason);
  // A frame that did not decode (frames.hpp), answered as the phase requires.
  void on_bad_frame(const FrameError& bad);
  void handle(HelloFrame hello);
  // Frame handlers of an authenticated connection; ref is the frame's (frames.hpp).
  void handle(SendFrame send, const std::string& ref);
  void handle(AckFrame ack, const std::string& ref);
  void handle(ReadFrame read, const std::string& ref);
  void handle(TypingFrame typing, const std::string& ref);
  void handle(PingFrame ping, const std::string& ref);
  void handle(HelloFrame hello, const std::string& ref);
  // Counts a user action as session activity, at most once per minute.
  void note_activity();
  // Whether the session may be locked, as far as this connection knows: locked when it
  // last looked, or idle past the org's limit since.
  bool may_be_locked() const;
  // Takes the session's state from the store; tells the client if its lock changed.
  void apply_state(const SessionState& state);
  // Runs proceed() if the session is unlocked. One that may be locked is checked in the
  // store first: if it is, the frame is refused with session_locked (audited) and
  // refused() runs instead.
  template <typename Proceed, typename Refused>
  void when_unlocked(std::string_view frame_type, std::string ref, Proceed proceed,
                     Refused refused);

  void on_authenticated(const SessionState& state, StreamPosition start, std::string resync_reason);
  void fetch_events();
  void on_events_fetched(Result<std::vector<OpenedEvent>> events);
  bool send_event(StreamPosition position, std::shared_ptr<const std::string> frame);
  // Remembers a message from someone else that was just streamed (streamed_messages_).
  void note_streamed(const Event& event);
  // A read mark to send: the event and its serialised object (event_json).
  struct ReadMark {
    const Event* event;
    std::shared_ptr<const std::string> object;
  };
  // Sends read marks (in commit order, at least one) as one "events" frame whose cursor
  // is the last one's, keeping only the latest of each reader in each thread.
  bool send_reads(std::span<const ReadMark> reads);
  // Whether a live event may be sent now: streaming, not lagging, and not reading
  // the store (then it notes to read on once the page is sent, and says no).
  bool takes_live();
  void send_reply(std::string frame);
  void fail(const Status& status, std::string_view ref = {});
  void close_with(net::CloseCode code, std::string_view reason);

  // Starts the next queued send, if none is in flight.
  void pump_sends();
  void start_send(SendRequest request);

  // Runs work on the pool and then done(result) on this connection's thread. Returns
  // false, running nothing, if the pool is saturated; the caller decides what the
  // client hears (most answer Unavailable with busy_status()).
  template <typename Work, typename Done>
  [[nodiscard]] bool run_blocking(Work work, Done done);
  // For a service call that does not block before handing its work to the store (a
  // send or an ack: checks and sealing in memory, then a queued write): start(finished)
  // runs here, on this connection's thread, and hands `finished` to the service, which
  // calls it once (on the store's commit thread); done(result) then runs on this
  // connection's thread. The pool counts it in flight, so its stop waits for it.
  // Returns false, running nothing, once the pool is stopping.
  template <typename T, typename Start, typename Done>
  [[nodiscard]] bool run_async(Start start, Done done);
  static Status busy_status();

  ApiContext& context_;
  std::shared_ptr<net::WsConnection> connection_;
  Phase phase_ = Phase::kAwaitingHello;
  Principal principal_;
  bool registered_ = false;
  StreamPosition last_sent_;  // Every event up to here has been queued to the client.
  bool fetching_ = false;     // A store read is in flight.
  bool refetch_ = false;      // An event committed during that read: read again.
  bool lagging_ = false;      // The queue was full: re-read from the store when drained.
  Fifo<std::shared_ptr<const std::string>> pending_replies_;
  // The newest messages from others streamed to this device, with their commit time:
  // at their ack, how long they took to arrive (ApiCounts::delivery_lag). Bounded.
  static constexpr std::size_t kStreamedTracked = 128;
  std::deque<std::pair<EventId, Timestamp>> streamed_messages_;
  Timestamp activity_noted_;
  Timestamp typing_noted_;
  // The session's lock as last read, and its last user action as far as known here.
  bool locked_ = false;
  Timestamp last_used_;
  std::chrono::seconds idle_lock_{0};
  // Sends run one at a time per connection, in the order they arrived, so that a
  // client's pipelined sends (an outbox flushed after a reconnect) commit in its order.
  Fifo<SendRequest> queued_sends_;
  bool is_sending_ = false;
  // Acks go to the store's queue straight from this thread, so each connection's
  // share of that queue is bounded here.
  std::size_t acks_in_flight_ = 0;
};

}  // namespace wl::api
