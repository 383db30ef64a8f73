#include "api/client_session.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/errors.hpp"
#include "api/hub.hpp"
#include "api/json_codec.hpp"
#include "api/work_pool.hpp"
#include "core/log.hpp"
#include "core/utf8.hpp"

namespace wl::api {
namespace json = boost::json;

namespace {

std::string caught_up_frame(std::string_view instance_id, StreamPosition position) {
  json::object frame;
  frame["type"] = "caught_up";
  frame["cursor"] = encode_cursor(instance_id, position);
  return json::serialize(frame);
}

std::shared_ptr<const std::string> event_frame(std::string_view instance_id,
                                               const OpenedEvent& event) {
  return std::make_shared<const std::string>(
      event_frame_text(instance_id, event.event.position(), json::serialize(event_json(event))));
}

}  // namespace

ClientSession::ClientSession(ApiContext& context) : context_(context) {}

ClientSession::~ClientSession() = default;

template <typename Work, typename Done>
bool ClientSession::run_blocking(Work work, Done done) {
  auto connection = connection_;
  return context_.pool.try_submit(
      [connection, work = std::move(work), done = std::move(done)]() mutable {
        auto result = work();
        connection->post([done = std::move(done), result = std::move(result)]() mutable {
          done(std::move(result));
        });
      });
}

template <typename T, typename Start, typename Done>
bool ClientSession::run_async(Start start, Done done) {
  WorkPool& pool = context_.pool;
  if (!pool.try_begin_async()) {
    return false;
  }
  start(WriteDone<T>(
      [connection = connection_, &pool, done = std::move(done)](Result<T> result) mutable {
        connection->post([done = std::move(done), result = std::move(result)]() mutable {
          done(std::move(result));
        });
        pool.end_async();
      }));
  return true;
}

Status ClientSession::busy_status() {
  return Status(Code::kUnavailable, "the server is busy: retry shortly");
}

void ClientSession::on_open(std::shared_ptr<net::WsConnection> connection) {
  connection_ = std::move(connection);
  // An unauthenticated socket is closed unless its hello comes in time (the server's
  // pings would otherwise keep it open for good).
  connection_->set_deadline(context_.options.hello_timeout, net::CloseCode::kPolicyViolation,
                            "hello required in time");
}

void ClientSession::on_closed() {
  phase_ = Phase::kClosed;
  if (registered_) {
    context_.hub.remove(principal_.org, principal_.user, connection_.get());
    registered_ = false;
  }
  connection_.reset();
}

void ClientSession::close_with(net::CloseCode code, std::string_view reason) {
  if (phase_ == Phase::kClosed || !connection_) {
    return;
  }
  connection_->close(code, reason);
}

void ClientSession::fail(const Status& status, std::string_view ref) {
  context_.counts.add_error(status.code());
  send_reply(error_frame(status, ref));
}

void ClientSession::send_reply(std::string frame) {
  if (!connection_) {
    return;
  }
  auto shared = std::make_shared<const std::string>(std::move(frame));
  if (pending_replies_.empty() && connection_->try_send(shared)) {
    return;
  }
  pending_replies_.push_back(std::move(shared));
  if (pending_replies_.size() > context_.options.pending_replies_limit) {
    pending_replies_.clear();
    context_.counts.slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
    close_with(net::CloseCode::kPolicyViolation, "slow consumer: reconnect and resume");
  }
}

void ClientSession::send_droppable(const std::shared_ptr<const std::string>& frame) {
  if (phase_ != Phase::kStreaming || !connection_->try_send(frame)) {
    context_.counts.dropped_frames.fetch_add(1, std::memory_order_relaxed);
  }
}

bool ClientSession::send_reads(std::span<const ReadMark> reads) {
  // Newest first, keeping each reader's latest mark per thread; then in order again.
  std::set<std::pair<ThreadId, UserId>> seen;
  std::vector<std::string_view> kept;
  for (auto read = reads.rbegin(); read != reads.rend(); ++read) {
    if (seen.emplace(read->event->thread_id, read->event->actor).second) {
      kept.push_back(*read->object);
    }
  }
  std::reverse(kept.begin(), kept.end());
  const StreamPosition last = reads.back().event->position();
  return send_event(last, std::make_shared<const std::string>(
                              events_frame_text(context_.store_instance_id, last, kept)));
}

bool ClientSession::send_event(StreamPosition position, std::shared_ptr<const std::string> frame) {
  if (!pending_replies_.empty() || !connection_->try_send(std::move(frame))) {
    lagging_ = true;
    return false;
  }
  last_sent_ = position;
  return true;
}

void ClientSession::on_drained() {
  while (!pending_replies_.empty()) {
    if (!connection_->try_send(pending_replies_.front())) {
      return;
    }
    pending_replies_.pop_front();
  }
  if (lagging_ && !fetching_ && phase_ == Phase::kStreaming) {
    lagging_ = false;
    fetch_events();
  }
}

void ClientSession::on_message(std::string_view text) {
  auto decoded = decode_client_frame(text);
  if (!decoded) {
    on_bad_frame(decoded.error());
    return;
  }
  ClientFrame& frame = decoded->frame;
  const std::string& ref = decoded->ref;
  if (phase_ == Phase::kAwaitingHello) {
    if (auto* hello = std::get_if<HelloFrame>(&frame)) {
      handle(std::move(*hello));
      return;
    }
    audit_refused("a frame before hello");
    fail(Status(Code::kUnauthenticated, "send a hello frame with your token first"), ref);
    close_with(net::CloseCode::kPolicyViolation, "hello required");
    return;
  }
  if (phase_ == Phase::kAuthenticating) {
    fail(Status(Code::kFailedPrecondition, "wait for the welcome frame"), ref);
    return;
  }
  std::visit([this, &ref](auto& typed) { handle(std::move(typed), ref); }, frame);
}

void ClientSession::on_bad_frame(const FrameError& bad) {
  if (phase_ == Phase::kAwaitingHello && !bad.type.empty()) {
    if (bad.type == "hello") {
      audit_refused("a malformed hello");
      fail(bad.status);
      close_with(net::CloseCode::kPolicyViolation, "bad hello");
      return;
    }
    audit_refused("a frame before hello");
    fail(Status(Code::kUnauthenticated, "send a hello frame with your token first"), bad.ref);
    close_with(net::CloseCode::kPolicyViolation, "hello required");
    return;
  }
  if (phase_ == Phase::kAuthenticating && !bad.type.empty()) {
    fail(Status(Code::kFailedPrecondition, "wait for the welcome frame"), bad.ref);
    return;
  }
  if (phase_ == Phase::kStreaming && bad.type == "hello") {
    fail(Status(Code::kFailedPrecondition, "already authenticated"), bad.ref);
    return;
  }
  fail(bad.status, bad.ref);
}

void ClientSession::handle(PingFrame /*ping*/, const std::string& ref) {
  json::object pong;
  pong["type"] = "pong";
  if (!ref.empty()) {
    pong["ref"] = ref;
  }
  send_reply(json::serialize(pong));
}

void ClientSession::handle(HelloFrame /*hello*/, const std::string& ref) {
  fail(Status(Code::kFailedPrecondition, "already authenticated"), ref);
}

std::vector<std::string_view> ClientSession::frame_types() {
  const auto types = client_frame_types();
  return std::vector<std::string_view>(types.begin(), types.end());
}

void ClientSession::audit_refused(std::string_view reason) {
  context_.refusals.record(
      connection_->remote_address(),
      AuditDraft{context_.clock.now(), OrgId(), UserId(), DeviceId(), "auth.refused", "ws",
                 "denied", fmt::format("reason=\"{}\"", reason)});
}

void ClientSession::handle(HelloFrame hello) {
  phase_ = Phase::kAuthenticating;
  struct Outcome {
    Result<SessionState> principal;
    StreamPosition start;
    std::string resync_reason;
  };
  ApiContext& context = context_;
  const bool queued = run_blocking(
      [&context, token = std::move(hello.token), cursor = std::move(hello.cursor)]() -> Outcome {
        // A locked session still connects: it keeps receiving its stream (hello is not
        // a user action and does not count as activity).
        Outcome outcome{context.identity.identify(token), StreamPosition(), {}};
        if (!outcome.principal) {
          return outcome;
        }
        auto head = context.messaging.stream_head();
        if (!head) {
          outcome.principal = std::unexpected(head.error());
          return outcome;
        }
        if (cursor.empty()) {
          outcome.start = *head;
          return outcome;
        }
        auto position = decode_cursor(cursor, context.store_instance_id);
        if (!position) {
          outcome.start = *head;
          outcome.resync_reason = position.error().message();
        } else if (*position > *head) {
          outcome.start = *head;
          outcome.resync_reason = "the cursor is ahead of this server's history";
        } else {
          outcome.start = *position;
        }
        return outcome;
      },
      [this](Outcome outcome) {
        if (!outcome.principal) {
          if (outcome.principal.error().code() == Code::kUnauthenticated) {
            audit_refused(outcome.principal.error().message());
          }
          fail(outcome.principal.error());
          close_with(net::CloseCode::kPolicyViolation, "authentication failed");
          return;
        }
        on_authenticated(*outcome.principal, outcome.start, std::move(outcome.resync_reason));
      });
  if (!queued) {
    // Nothing was started: say so and end the connection; the client reconnects.
    fail(busy_status());
    close_with(net::CloseCode::kTryAgainLater, "server busy: reconnect shortly");
  }
}

void ClientSession::on_authenticated(const SessionState& state, StreamPosition start,
                                     std::string resync_reason) {
  connection_->cancel_deadline();
  principal_ = state.principal;
  phase_ = Phase::kStreaming;
  last_sent_ = start;
  activity_noted_ = context_.clock.now();
  locked_ = state.locked;
  last_used_ = state.last_used;
  idle_lock_ = state.idle_lock;
  // Register before reading the store: an event that commits after this point is
  // announced live; one that committed before is found by the read.
  context_.hub.add(principal_.org, principal_.user, connection_, this);
  registered_ = true;

  json::object welcome;
  welcome["type"] = "welcome";
  welcome["user_id"] = principal_.user.value();
  welcome["org_id"] = principal_.org.value();
  welcome["device_id"] = principal_.device.value();
  welcome["server_time"] = format_rfc3339(context_.clock.now());
  welcome["locked"] = locked_;
  send_reply(json::serialize(welcome));
  if (!resync_reason.empty()) {
    json::object resync;
    resync["type"] = "resync";
    resync["reason"] = resync_reason;
    resync["cursor"] = encode_cursor(context_.store_instance_id, start);
    send_reply(json::serialize(resync));
  }
  fetch_events();
}

void ClientSession::fetch_events() {
  if (fetching_ || phase_ != Phase::kStreaming) {
    return;
  }
  fetching_ = true;
  refetch_ = false;
  ApiContext& context = context_;
  const bool queued = run_blocking(
      [&context, principal = principal_, after = last_sent_] {
        return context.messaging.read_events(principal, after, context.options.event_page);
      },
      [this](Result<std::vector<OpenedEvent>> events) { on_events_fetched(std::move(events)); });
  if (!queued) {
    // The stream cannot continue without this read. Closing keeps the contract: the
    // client reconnects and resumes from its cursor, losing nothing.
    fetching_ = false;
    fail(busy_status());
    close_with(net::CloseCode::kTryAgainLater, "server busy: reconnect and resume");
  }
}

void ClientSession::on_events_fetched(Result<std::vector<OpenedEvent>> events) {
  fetching_ = false;
  if (phase_ != Phase::kStreaming) {
    return;
  }
  if (!events) {
    log::get("api")->warn("conn={} user={} replay failed: {}", connection_->id(),
                          principal_.user.value(), events.error().to_string());
    fail(events.error());
    close_with(net::CloseCode::kInternalError, "could not read your events: reconnect");
    return;
  }
  // A run of read marks goes as one "events" frame, as it does live.
  std::vector<ReadMark> reads;
  const auto send_held_reads = [&] {
    if (reads.empty()) {
      return true;
    }
    const bool sent = send_reads(reads);
    reads.clear();
    return sent;
  };
  for (const OpenedEvent& event : *events) {
    if (event.event.kind == EventKind::kRead) {
      reads.push_back(ReadMark{
          &event.event, std::make_shared<const std::string>(json::serialize(event_json(event)))});
      continue;
    }
    if (!send_held_reads() ||
        !send_event(event.event.position(), event_frame(context_.store_instance_id, event))) {
      return;  // Resumes from last_sent_ in on_drained().
    }
    note_streamed(event.event);
  }
  if (!send_held_reads()) {
    return;
  }
  if (events->size() >= context_.options.event_page || refetch_) {
    fetch_events();
    return;
  }
  send_reply(caught_up_frame(context_.store_instance_id, last_sent_));
}

bool ClientSession::takes_live() {
  if (phase_ != Phase::kStreaming) {
    return false;
  }
  if (fetching_) {
    refetch_ = true;  // The page being read may end before this: read on after it.
    return false;
  }
  return !lagging_;  // A lagging session reads the store again when it drains.
}

void ClientSession::on_live_event(const std::shared_ptr<LiveEvent>& live) {
  if (!takes_live() || live->event().position() <= last_sent_) {
    return;
  }
  auto frame = live->frame();
  if (!frame) {
    fetch_events();
    return;
  }
  if (send_event(live->event().position(), std::move(frame))) {
    note_streamed(live->event());
  }
}

void ClientSession::note_streamed(const Event& event) {
  if (event.kind != EventKind::kMessage || event.actor == principal_.user) {
    return;
  }
  if (streamed_messages_.size() == kStreamedTracked) {
    streamed_messages_.pop_front();
  }
  streamed_messages_.emplace_back(event.id, event.created_at);
}

void ClientSession::on_live_batch(const LiveBatch& batch) {
  if (!takes_live()) {
    return;
  }
  std::vector<ReadMark> reads;
  for (const auto& live : batch) {
    if (live->event().position() <= last_sent_) {
      continue;  // Replayed already.
    }
    auto object = live->object();
    if (!object) {
      fetch_events();
      return;
    }
    reads.push_back(ReadMark{&live->event(), std::move(object)});
  }
  if (!reads.empty()) {
    (void)send_reads(reads);
  }
}

void ClientSession::handle(SendFrame send, const std::string& ref) {
  if (!context_.sends_per_user.try_acquire(fmt::format("user:{}", principal_.user.value()))) {
    context_.refusals.record(
        connection_->remote_address(),
        AuditDraft{context_.clock.now(), principal_.org, principal_.user, principal_.device,
                   "message.send", "thread", "throttled", ""});
    fail(Status(Code::kResourceExhausted, "sending too fast: slow down and retry"), ref);
    return;
  }
  if (queued_sends_.size() >= context_.options.queued_sends_limit) {
    fail(Status(Code::kResourceExhausted,
                "too many sends waiting on this connection: wait for their answers"),
         ref);
    return;
  }
  note_activity();
  SendRequest request{send.thread, std::move(send.client_id), std::move(send.body), send.urgent,
                      send.written_at};
  if (send.remind_after_minutes) {
    request.remind_after = std::chrono::minutes(*send.remind_after_minutes);
  }
  request.override_availability = send.override_availability;
  request.callback = std::move(send.callback);
  queued_sends_.push_back(std::move(request));
  pump_sends();
}

void ClientSession::pump_sends() {
  if (is_sending_ || queued_sends_.empty() || phase_ != Phase::kStreaming) {
    return;
  }
  SendRequest request = std::move(queued_sends_.front());
  queued_sends_.pop_front();
  // The lock check holds the queue, so that the sends keep their order.
  is_sending_ = true;
  const std::string ref(utf8_prefix(request.client_id, kMaxRefBytes));
  when_unlocked(
      "send", ref,
      [this, request = std::move(request)]() mutable { start_send(std::move(request)); },
      [this] {
        is_sending_ = false;
        pump_sends();
      });
}

void ClientSession::start_send(SendRequest request) {
  const std::string ref(utf8_prefix(request.client_id, kMaxRefBytes));
  ApiContext& context = context_;
  auto answer = [this, ref](Result<SendResult> sent) {
    is_sending_ = false;
    if (!sent) {
      fail(sent.error(), ref);
    } else {
      json::object reply;
      reply["type"] = "sent";
      reply["client_id"] = sent->client_id;
      if (!sent->held) {
        reply["message_id"] = sent->message.id.value();
      }
      reply["thread_id"] = sent->message.thread_id.value();
      if (!sent->held) {
        reply["seq"] = sent->message.seq;
      }
      reply["at"] = format_rfc3339(sent->message.created_at);
      reply["duplicate"] = sent->duplicate;
      if (sent->held) {
        reply["held"] = held_notice_json(*sent->held);
      }
      if (!sent->routed.empty()) {
        reply["routed_to"] = routed_to_json(sent->routed);
      }
      if (sent->forward_loop) {
        reply["forwarding_loop"] = true;
      }
      send_reply(json::serialize(reply));
    }
    pump_sends();
  };
  // A send that needs a read first (a role thread's, or one to a thread this node has
  // not seen yet) runs on a worker; the others write straight from here.
  const bool queued =
      context.messaging.sends_without_reads(principal_.org, principal_.user, request.thread)
          ? run_async<SendResult>(
                [&context, principal = principal_,
                 request = std::move(request)](WriteDone<SendResult> finished) mutable {
                  context.messaging.send_async(principal, std::move(request), std::move(finished));
                },
                std::move(answer))
          : run_async<SendResult>(
                [&context, principal = principal_,
                 request = std::move(request)](WriteDone<SendResult> finished) mutable {
                  // A worker does the reads; the commit completes on the store's thread,
                  // so no worker waits on it.
                  auto once = std::make_shared<WriteDone<SendResult>>(std::move(finished));
                  const bool queued = context.pool.try_submit(
                      [&context, principal, request = std::move(request), once]() mutable {
                        context.messaging.send_routed_async(principal, std::move(request),
                                                            std::move(*once));
                      });
                  if (!queued) {
                    (*once)(std::unexpected(busy_status()));
                  }
                },
                std::move(answer));
  if (!queued) {
    is_sending_ = false;
    fail(busy_status(), ref);
    pump_sends();
  }
}

void ClientSession::handle(AckFrame ack, const std::string& ref) {
  std::vector<EventId> messages = std::move(ack.message_ids);
  ApiContext& context = context_;
  const std::string& reference = ref;
  if (acks_in_flight_ >= context.options.acks_in_flight_limit) {
    fail(busy_status(), reference);
    return;
  }
  ++acks_in_flight_;
  // How long each acknowledged message took to reach this device, if it was streamed
  // here recently: counted once the receipts are stored.
  std::vector<std::chrono::microseconds> lags;
  const Timestamp now = context.clock.now();
  for (const EventId id : messages) {
    const auto streamed =
        std::ranges::find(streamed_messages_, id, &std::pair<EventId, Timestamp>::first);
    if (streamed != streamed_messages_.end()) {
      lags.push_back(std::chrono::duration_cast<std::chrono::microseconds>(now - streamed->second));
      streamed_messages_.erase(streamed);
    }
  }
  const bool queued = run_async<std::size_t>(
      [&context, principal = principal_,
       messages = std::move(messages)](WriteDone<std::size_t> finished) mutable {
        context.messaging.acknowledge_delivered_async(principal, std::move(messages),
                                                      std::move(finished));
      },
      [this, reference, lags = std::move(lags)](Result<std::size_t> acknowledged) {
        --acks_in_flight_;
        if (!acknowledged) {
          fail(acknowledged.error(), reference);
          return;
        }
        context_.counts.messages_delivered.fetch_add(*acknowledged, std::memory_order_relaxed);
        for (const std::chrono::microseconds lag : lags) {
          context_.counts.delivery_lag.observe(lag);
        }
      });
  if (!queued) {
    --acks_in_flight_;
    fail(busy_status(), reference);
  }
}

void ClientSession::handle(ReadFrame read, const std::string& reference) {
  when_unlocked(
      "read", reference,
      [this, reference, thread_id = read.thread, seq = read.up_to_seq] {
        note_activity();
        ApiContext& context = context_;
        const bool queued =
            run_blocking([&context, principal = principal_, thread_id,
                          seq] { return context.messaging.mark_read(principal, thread_id, seq); },
                         [this, reference](Result<void> done) {
                           if (!done) {
                             fail(done.error(), reference);
                           }
                         });
        if (!queued) {
          fail(busy_status(), reference);
        }
      },
      [] {});
}

bool ClientSession::may_be_locked() const {
  return locked_ || context_.clock.now() - last_used_ >= idle_lock_;
}

void ClientSession::apply_state(const SessionState& state) {
  last_used_ = std::max(last_used_, state.last_used);
  idle_lock_ = state.idle_lock;
  if (state.locked == locked_) {
    return;
  }
  locked_ = state.locked;
  json::object notice;
  notice["type"] = "session";
  notice["locked"] = locked_;
  send_reply(json::serialize(notice));
}

template <typename Proceed, typename Refused>
void ClientSession::when_unlocked(std::string_view frame_type, std::string ref, Proceed proceed,
                                  Refused refused) {
  if (!may_be_locked()) {
    proceed();
    return;
  }
  ApiContext& context = context_;
  const bool queued = run_blocking(
      [&context, principal = principal_, remote = connection_->remote_address(),
       frame = std::string(frame_type)]() -> Result<SessionState> {
        auto state = context.identity.validate(principal);
        if (state && state->locked) {
          (void)context.audit.record(
              AuditDraft{context.clock.now(), principal.org, principal.user, principal.device,
                         "auth.refused", "ws", "denied",
                         fmt::format("reason=session_locked frame={} remote={}", frame, remote)});
        }
        return state;
      },
      [this, ref = std::move(ref), proceed = std::move(proceed),
       refused = std::move(refused)](Result<SessionState> state) mutable {
        if (!state) {
          fail(state.error(), ref);
          if (state.error().code() == Code::kUnauthenticated) {
            close_with(net::CloseCode::kPolicyViolation, "session ended");
          }
          refused();
          return;
        }
        apply_state(*state);
        if (state->locked) {
          fail(Status(Code::kSessionLocked,
                      "the session is locked: unlock it with your PIN or password"),
               ref);
          refused();
          return;
        }
        proceed();
      });
  if (!queued) {
    fail(busy_status(), ref);
    refused();
  }
}

void ClientSession::note_activity() {
  const Timestamp now = context_.clock.now();
  last_used_ = now;
  if (now - activity_noted_ < std::chrono::minutes(1)) {
    return;
  }
  activity_noted_ = now;
  ApiContext& context = context_;
  (void)context.pool.try_submit(
      [&context, principal = principal_] { (void)context.identity.record_activity(principal); });
}

void ClientSession::check_session() {
  if (phase_ != Phase::kStreaming) {
    return;
  }
  ApiContext& context = context_;
  // A refused check is simply skipped: the next sweep checks again.
  (void)run_blocking(
      [&context, principal = principal_] { return context.identity.validate(principal); },
      [this](Result<SessionState> state) {
        if (phase_ != Phase::kStreaming) {
          return;
        }
        if (state) {
          apply_state(*state);
        } else if (state.error().code() == Code::kUnauthenticated) {
          fail(state.error());
          close_with(net::CloseCode::kPolicyViolation, "session ended");
        }
      });
}

void ClientSession::handle(TypingFrame typing, const std::string& reference) {
  // Typing notices are droppable: more than one per second from a connection is
  // ignored, so that they cannot load the store.
  const Timestamp now = context_.clock.now();
  if (now - typing_noted_ < std::chrono::seconds(1)) {
    return;
  }
  typing_noted_ = now;
  when_unlocked(
      "typing", reference,
      [this, reference, thread_id = typing.thread.value()] {
        ApiContext& context = context_;
        (void)run_blocking(
            [&context, principal = principal_, thread_id] {
              return context.messaging.typing_recipients(principal, ThreadId(thread_id));
            },
            [this, reference, thread_id](Result<std::vector<UserId>> recipients) {
              if (!recipients) {
                fail(recipients.error(), reference);
                return;
              }
              json::object notice;
              notice["type"] = "typing";
              notice["thread_id"] = thread_id;
              notice["user_id"] = principal_.user.value();
              context_.hub.notify(*recipients,
                                  std::make_shared<const std::string>(json::serialize(notice)));
            });
      },
      [] {});
}

}  // namespace wl::api
