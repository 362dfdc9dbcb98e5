// The Store conformance suite: one set of GoogleTest cases that every Store backend passes, so
// that the memory, RocksDB and etcd backends are interchangeable (see lib/store/store.h for the
// model they implement).
//
// A backend instantiates the suite in its own test with a StoreFactory:
//
//   #include "lib/store/conformance/conformance.h"
//
//   namespace rudder::store {  // The macro needs the unqualified suite name.
//   INSTANTIATE_TEST_SUITE_P(Memory, StoreConformanceTest,
//                            ::testing::Values(StoreFactory{
//                                .name = "memory",
//                                .make = [] { return NewMemoryStore({}); },
//                            }),
//                            StoreFactoryName);
//   }  // namespace rudder::store
//
// and depends on //lib/store/conformance (an alwayslink library holding the cases).
// If `make` fails with Unavailable (e.g. no etcd binary), each case is skipped with that message;
// any other error fails the case.
//
// Every case makes a fresh store with `make` and asserts revisions relative to the store's
// revision at the start, so a backend that shares one revision counter between stores (etcd
// with key prefixes) passes as long as nothing else writes while a case runs.
#ifndef RUDDER_LIB_STORE_CONFORMANCE_CONFORMANCE_H_
#define RUDDER_LIB_STORE_CONFORMANCE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/store/store.h"

namespace rudder::store {

// How the suite makes and drives one backend. Only `name` and `make` are required.
struct StoreFactory {
  // Names the instantiation in test names (letters, digits and '_').
  std::string name;
  // Makes a fresh, empty store (or, for a shared backend, an empty namespace of one).
  std::function<absl::StatusOr<std::unique_ptr<Store>>()> make;
  // Moves the clock of the most recently made store forward (a FakeClock). When absent, lease
  // expiry cases wait in real time for short TTLs and fake-time-only cases are skipped.
  std::function<void(absl::Duration)> advance_time;
  // Closes `store` (the most recently made one) and opens the same data again, for durable
  // backends. When absent, the durability cases are skipped.
  std::function<absl::StatusOr<std::unique_ptr<Store>>(std::unique_ptr<Store> store)> reopen;
  // Whether a store from `make` starts at revision 1 (false for a namespace of a shared store).
  bool fresh_revision = true;
  // The period of progress notifications for watches with progress_notify, if the backend's
  // is short enough to test with `advance_time` (zero: the case is skipped).
  absl::Duration progress_notify_interval = absl::ZeroDuration();
  // Lease TTL (seconds) for real-time expiry cases; backends with a minimum TTL raise it.
  int64_t short_ttl_seconds = 1;
};

// The parameterized fixture; the cases live in conformance.cc.
class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  const StoreFactory& factory() const { return GetParam(); }

  // The store under test (made in SetUp).
  std::unique_ptr<Store> store_;
  // The store's revision when the case started.
  int64_t base_ = 0;
};

// Names instantiations after StoreFactory::name (for INSTANTIATE_TEST_SUITE_P).
std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info);

// Prints the factory's name (so gtest does not dump its bytes).
void PrintTo(const StoreFactory& factory, std::ostream* os);

}  // namespace rudder::store

#endif  // RUDDER_LIB_STORE_CONFORMANCE_CONFORMANCE_H_
