#pragma once

#include <span>

#include "api/routes/route_table.hpp"

namespace wl {
class MessagingService;
}  // namespace wl

namespace wl::api {

// What the thread routes use; owned by the server's composition root, outlives the
// route table.
struct ThreadServices {
  MessagingService& messaging;
};

// Threads, their members, history and read marks, and messages: /threads,
// /threads/{id}, /threads/{id}/{messages,members,read}, /messages/{id}[/status].
std::span<const RouteOf<ThreadServices>> thread_routes();

}  // namespace wl::api
