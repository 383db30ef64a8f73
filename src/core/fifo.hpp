#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace wl {

// A first-in first-out queue that holds no memory while empty, unlike std::deque
// (libstdc++ allocates a 512-byte block for an empty one). For per-connection queues,
// which are empty almost always: an idle connection should cost nothing for them.
// Elements live in one vector from head_; popping advances head_, and the storage is
// compacted when the popped prefix is half of it, or freed once the queue empties.
// Not thread-safe.
template <class T>
class Fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }

  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }

  void push_back(T item) { items_.push_back(std::move(item)); }

  // Precondition: !empty().
  void pop_front() {
    items_[head_] = T();
    ++head_;
    if (head_ == items_.size()) {
      clear();
    } else if (head_ * 2 >= items_.size() && head_ >= kCompactAfter) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  // Keeps the front element only (the one in progress), dropping the rest.
  void keep_front_only() {
    if (size() > 1) {
      items_.resize(head_ + 1);
    }
  }

  void clear() {
    std::vector<T>().swap(items_);
    head_ = 0;
  }

 private:
  static constexpr std::size_t kCompactAfter = 16;

  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace wl
