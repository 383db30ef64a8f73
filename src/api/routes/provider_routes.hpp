#pragma once

#include <cstddef>
#include <span>

#include "api/routes/route_table.hpp"

namespace wl {
class ProviderService;
}  // namespace wl

namespace wl::api {

// The largest body of an import write: a chunk of at most ProviderService::kMaxChunk
// providers (each well under 1 KiB as JSON).
inline constexpr std::size_t kNpiChunkBody = 8 * 1024 * 1024;

// What the provider directory routes use; owned by the server's composition root,
// outlives the route table.
struct ProviderServices {
  ProviderService& providers;
};

// The provider directory (docs/protocol.md, "Providers"): /providers, a thread's
// /invitations, and the import writes of the admin API (/system/npi/...).
std::span<const RouteOf<ProviderServices>> provider_routes();

}  // namespace wl::api
