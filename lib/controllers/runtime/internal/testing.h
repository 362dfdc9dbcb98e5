// Test helpers of the reconcile framework's tests: an in-process cluster and condition waits.
#ifndef RUDDER_LIB_CONTROLLERS_RUNTIME_INTERNAL_TESTING_H_
#define RUDDER_LIB_CONTROLLERS_RUNTIME_INTERNAL_TESTING_H_

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/clock.h"
#include "lib/client/client.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::ctrl::testing {

// A store, scheme, registry and in-process client.
struct TestCluster {
  TestCluster()
      : store(*store::NewMemoryStore()),
        scheme(api::NewBuiltinScheme()),
        registry(store.get(), scheme.get()),
        client(client::NewInProcessClient(&registry)) {}
  std::unique_ptr<store::Store> store;
  std::unique_ptr<api::Scheme> scheme;
  apiserver::Registry registry;
  std::unique_ptr<client::Client> client;
};

// Polls `cond` until it holds, for at most ~30 s of real time (a bound against hangs, not a
// timing assertion). If `clock` is set it is advanced by `step` between polls.
inline bool Eventually(const std::function<bool()>& cond, FakeClock* clock = nullptr,
                       absl::Duration step = absl::ZeroDuration()) {
  for (int i = 0; i < 15000; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (clock != nullptr) clock->Advance(step);
  }
  return cond();
}

}  // namespace rudder::ctrl::testing

#endif  // RUDDER_LIB_CONTROLLERS_RUNTIME_INTERNAL_TESTING_H_
