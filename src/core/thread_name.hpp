#pragma once

#include <pthread.h>

#include <string>
#include <string_view>

namespace wl {

// Names the calling thread (at most 15 bytes are kept), so that top -H, perf and gdb
// tell the io, pool, writer and checkpointer threads apart.
inline void name_this_thread(std::string_view name) {
  const std::string kept(name.substr(0, 15));
  pthread_setname_np(pthread_self(), kept.c_str());
}

}  // namespace wl
