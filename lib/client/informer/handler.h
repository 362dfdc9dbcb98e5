// Event handlers: how consumers of a SharedIndexInformer hear about changes.
//
// An informer calls each registered handler from that handler's own delivery thread, in the
// order the informer's cache changed; every handler has an unbounded buffer, so a slow handler
// delays only itself. Objects are the cache's shared immutable objects (no copies).
//
//  - OnAdd(obj, is_initial_list): an object appeared; `is_initial_list` is true for the
//    objects of the informer's first list and for the current contents replayed to a handler
//    added later.
//  - OnUpdate(old, new): an object changed. On a periodic resync, and for objects a relist
//    found unchanged (same resourceVersion), old == new (the same pointer).
//  - OnDelete(obj, final_state_unknown): an object went away. `obj` is its last known state;
//    `final_state_unknown` is true when the deletion itself was missed (the object vanished
//    between a watch's end and the following relist; client-go's DeletedFinalStateUnknown
//    tombstone): `obj` is then the state the cache last had, which may be stale.
#ifndef RUDDER_LIB_CLIENT_INFORMER_HANDLER_H_
#define RUDDER_LIB_CLIENT_INFORMER_HANDLER_H_

#include <functional>
#include <string>

#include "lib/client/informer/indexer.h"

namespace rudder::client {

// Receives an informer's notifications. Implementations need not be thread-safe with respect
// to themselves (one handler's callbacks never run concurrently) but must be with respect to
// whatever else they touch.
class ResourceEventHandler {
 public:
  virtual ~ResourceEventHandler() = default;
  virtual void OnAdd(const ObjectRef& obj, bool is_initial_list) {}
  virtual void OnUpdate(const ObjectRef& old_obj, const ObjectRef& new_obj) {}
  virtual void OnDelete(const ObjectRef& obj, bool final_state_unknown) {}
};

// A handler made of optional functions (unset ones ignore their events).
struct ResourceEventHandlerFuncs : public ResourceEventHandler {
  std::function<void(const ObjectRef& obj, bool is_initial_list)> add;
  std::function<void(const ObjectRef& old_obj, const ObjectRef& new_obj)> update;
  std::function<void(const ObjectRef& obj, bool final_state_unknown)> del;

  void OnAdd(const ObjectRef& obj, bool is_initial_list) override {
    if (add) add(obj, is_initial_list);
  }
  void OnUpdate(const ObjectRef& old_obj, const ObjectRef& new_obj) override {
    if (update) update(old_obj, new_obj);
  }
  void OnDelete(const ObjectRef& obj, bool final_state_unknown) override {
    if (del) del(obj, final_state_unknown);
  }
};

// Forwards only the events whose object passes `filter` (client-go's
// FilteringResourceEventHandler): an update whose new object passes but old did not becomes
// an add; the reverse becomes a delete.
class FilteringResourceEventHandler : public ResourceEventHandler {
 public:
  // `next` is shared with the caller.
  FilteringResourceEventHandler(std::function<bool(const Object& obj)> filter,
                                std::shared_ptr<ResourceEventHandler> next)
      : filter_(std::move(filter)), next_(std::move(next)) {}

  void OnAdd(const ObjectRef& obj, bool is_initial_list) override {
    if (filter_(*obj)) next_->OnAdd(obj, is_initial_list);
  }
  void OnUpdate(const ObjectRef& old_obj, const ObjectRef& new_obj) override {
    bool o = filter_(*old_obj), n = filter_(*new_obj);
    if (o && n) {
      next_->OnUpdate(old_obj, new_obj);
    } else if (n) {
      next_->OnAdd(new_obj, false);
    } else if (o) {
      next_->OnDelete(old_obj, false);
    }
  }
  void OnDelete(const ObjectRef& obj, bool final_state_unknown) override {
    if (filter_(*obj)) next_->OnDelete(obj, final_state_unknown);
  }

 private:
  std::function<bool(const Object& obj)> filter_;
  std::shared_ptr<ResourceEventHandler> next_;
};

// What AddEventHandler returns: identifies the handler for RemoveEventHandler and tells
// whether it has seen the informer's initial contents. Thread-safe.
class HandlerRegistration {
 public:
  virtual ~HandlerRegistration() = default;
  // True once the handler has been called for every object of the informer's first complete
  // list (or, for a handler added after that, for every object replayed to it).
  virtual bool HasSynced() const = 0;
};

}  // namespace rudder::client

#endif  // RUDDER_LIB_CLIENT_INFORMER_HANDLER_H_
