#pragma once

#include <span>

#include "api/routes/route_table.hpp"

namespace wl {
class CallbackService;
class QuickNoteService;
}  // namespace wl

namespace wl::api {

// What the call-back and quick-note routes use; owned by the server's composition root,
// outlives the route table.
struct CallbackServices {
  CallbackService& callbacks;
  QuickNoteService& quick_notes;
};

// Call back (docs/callback.md): the caller's numbers (/me/phones) and another user's
// visible ones (/users/{id}/phones); quick notes (docs/quick_notes.md): /quick-notes,
// /quick-notes/{id}.
std::span<const RouteOf<CallbackServices>> callback_routes();

}  // namespace wl::api
