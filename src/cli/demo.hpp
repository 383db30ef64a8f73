#pragma once

#include "cli/runtime.hpp"

namespace wl::cli {

// The demo hospital's shared password (docs/demo.md). Demo data is fictional.
inline constexpr std::string_view kDemoPassword = "wardline-demo-password";
inline constexpr std::string_view kDemoOrg = "Mercy General (demo)";

// Seeds the fictional demo hospital (staff, patients, a few threads) unless its org
// exists already. Returns true if it seeded now.
Result<bool> seed_demo(Runtime& runtime);

}  // namespace wl::cli
