// A binary heap of owned items with removal and lookup by key (the pod's uid).
#ifndef RUDDER_LIB_SCHED_INTERNAL_HEAP_H_
#define RUDDER_LIB_SCHED_INTERNAL_HEAP_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace rudder::sched::internal {

// Not thread-safe. `less(a, b)` is true when a must come out before b.
template <typename T>
class Heap {
 public:
  using Less = std::function<bool(const T&, const T&)>;
  using KeyFn = std::function<const std::string&(const T&)>;
  Heap(Less less, KeyFn key) : less_(std::move(less)), key_(std::move(key)) {}

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const T* Peek() const { return items_.empty() ? nullptr : items_[0]->item.get(); }
  T* Get(std::string_view key) const {
    auto it = index_.find(absl::string_view(key.data(), key.size()));
    return it == index_.end() ? nullptr : it->second->item.get();
  }
  bool Contains(std::string_view key) const {
    return index_.contains(absl::string_view(key.data(), key.size()));
  }

  // Adds or replaces (by key).
  void Push(std::unique_ptr<T> item) {
    auto it = index_.find(key_(*item));
    if (it != index_.end()) {
      Entry* e = it->second;
      // The key is the same, so the index entry stays valid.
      e->item = std::move(item);
      Fix(e->pos);
      return;
    }
    auto e = std::make_unique<Entry>();
    e->item = std::move(item);
    e->pos = items_.size();
    index_[key_(*e->item)] = e.get();
    items_.push_back(std::move(e));
    Up(items_.size() - 1);
  }
  std::unique_ptr<T> Pop() { return items_.empty() ? nullptr : RemoveAt(0); }
  std::unique_ptr<T> Remove(std::string_view key) {
    auto it = index_.find(absl::string_view(key.data(), key.size()));
    return it == index_.end() ? nullptr : RemoveAt(it->second->pos);
  }
  // Visits every item (unordered).
  template <typename F>
  void ForEach(F f) const {
    for (const auto& e : items_) f(*e->item);
  }

 private:
  struct Entry {
    std::unique_ptr<T> item;
    size_t pos = 0;
  };

  std::unique_ptr<T> RemoveAt(size_t i) {
    std::unique_ptr<Entry> out = std::move(items_[i]);
    index_.erase(key_(*out->item));
    size_t last = items_.size() - 1;
    if (i != last) {
      items_[i] = std::move(items_[last]);
      items_[i]->pos = i;
      items_.pop_back();
      Fix(i);
    } else {
      items_.pop_back();
    }
    return std::move(out->item);
  }
  void Fix(size_t i) {
    if (!Up(i)) Down(i);
  }
  void Swap(size_t a, size_t b) {
    std::swap(items_[a], items_[b]);
    items_[a]->pos = a;
    items_[b]->pos = b;
  }
  bool Less_(size_t a, size_t b) const { return less_(*items_[a]->item, *items_[b]->item); }
  bool Up(size_t i) {
    bool moved = false;
    while (i > 0) {
      size_t p = (i - 1) / 2;
      if (!Less_(i, p)) break;
      Swap(i, p);
      i = p;
      moved = true;
    }
    return moved;
  }
  void Down(size_t i) {
    size_t n = items_.size();
    while (true) {
      size_t l = 2 * i + 1, r = l + 1, m = i;
      if (l < n && Less_(l, m)) m = l;
      if (r < n && Less_(r, m)) m = r;
      if (m == i) return;
      Swap(i, m);
      i = m;
    }
  }

  Less less_;
  KeyFn key_;
  std::vector<std::unique_ptr<Entry>> items_;
  absl::flat_hash_map<std::string, Entry*> index_;
};

}  // namespace rudder::sched::internal

#endif  // RUDDER_LIB_SCHED_INTERNAL_HEAP_H_
