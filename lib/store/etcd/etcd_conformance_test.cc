// The Store conformance suite against a real single-member etcd: each case gets a fresh key
// prefix (namespace) of one shared cluster, started once for the whole binary.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/store/conformance/conformance.h"
#include "lib/store/etcd/etcd_store.h"
#include "lib/store/etcd/testing/etcd_cluster.h"

namespace rudder::store {
namespace {

// Starts etcd before the first case and stops it after the last.
class EtcdEnvironment : public ::testing::Environment {
 public:
  static EtcdEnvironment* Get() {
    static EtcdEnvironment* env = [] {
      auto* e = new EtcdEnvironment;
      ::testing::AddGlobalTestEnvironment(e);  // gtest takes ownership.
      return e;
    }();
    return env;
  }

  void SetUp() override {
    auto cluster = testing::EtcdCluster::Start({});
    if (cluster.ok()) {
      cluster_ = *std::move(cluster);
    } else {
      status_ = cluster.status();
    }
  }
  void TearDown() override { cluster_.reset(); }

  absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& prefix) {
    if (cluster_ == nullptr) {
      return absl::UnavailableError(absl::StrCat("etcd not available: ", status_.message()));
    }
    EtcdStoreOptions options;
    options.endpoints = cluster_->ClientEndpoints();
    options.key_prefix = prefix;
    return NewEtcdStore(options);
  }

  absl::StatusOr<std::unique_ptr<Store>> Make() {
    last_prefix_ = absl::StrCat("/conformance/", ++made_, "/");
    return Open(last_prefix_);
  }

  absl::StatusOr<std::unique_ptr<Store>> Reopen(std::unique_ptr<Store> store) {
    store.reset();
    return Open(last_prefix_);
  }

 private:
  std::unique_ptr<testing::EtcdCluster> cluster_;
  absl::Status status_ = absl::UnavailableError("etcd not started");
  int made_ = 0;
  std::string last_prefix_;
};

[[maybe_unused]] EtcdEnvironment* const kEnvironment = EtcdEnvironment::Get();

}  // namespace

INSTANTIATE_TEST_SUITE_P(Etcd, StoreConformanceTest,
                         ::testing::Values(StoreFactory{
                             .name = "etcd",
                             .make = [] { return EtcdEnvironment::Get()->Make(); },
                             .reopen =
                                 [](std::unique_ptr<Store> store) {
                                   return EtcdEnvironment::Get()->Reopen(std::move(store));
                                 },
                             // A namespace of a shared cluster: the revision is the cluster's.
                             .fresh_revision = false,
                             .short_ttl_seconds = 1,
                         }),
                         StoreFactoryName);

}  // namespace rudder::store
