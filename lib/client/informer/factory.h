// SharedInformerFactory: one shared informer per kind (and option set) for a whole program.
//
// Every consumer of a kind asks the factory for its informer, so they all share one watch and
// one cache (client-go's SharedInformerFactory). Informers are keyed by kind, namespace, label
// selector and field selector; the first request of a key fixes its resync period.
// Informers requested after Start() are started at once.
//
// Thread-safe. The factory owns its informers; the pointers it hands out stay valid until the
// factory is destroyed. Shutdown() (or the destructor) stops them all and joins their threads.
//
// Example:
//   SharedInformerFactory factory(client, {.resync = absl::Minutes(10)});
//   absl::StatusOr<SharedIndexInformer*> pods = factory.For<api::core::v1::Pod>();
//   Lister<api::core::v1::Pod> lister((*pods)->GetIndexer());
//   factory.Start();
//   factory.WaitForCacheSync(absl::Now() + absl::Seconds(30));
#ifndef RUDDER_LIB_CLIENT_INFORMER_FACTORY_H_
#define RUDDER_LIB_CLIENT_INFORMER_FACTORY_H_

#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/api/scheme/scheme.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/client/client.h"
#include "lib/client/informer/shared_informer.h"

namespace rudder::client {

// Defaults for the factory's informers.
struct FactoryOptions {
  // Namespace, selectors, resync period, clock, paging, timeouts and back-off of informers
  // requested without their own options (see InformerOptions).
  InformerOptions defaults;
  // Applied to every informer the factory creates (before it starts); may be empty.
  TransformFunc transform;
};

class SharedInformerFactory {
 public:
  // Borrows `client` (must outlive the factory).
  explicit SharedInformerFactory(Client* client, FactoryOptions options = {});
  ~SharedInformerFactory();
  SharedInformerFactory(const SharedInformerFactory&) = delete;
  SharedInformerFactory& operator=(const SharedInformerFactory&) = delete;

  // The informer of `kind` with the factory's default options. FailedPrecondition after
  // Shutdown().
  absl::StatusOr<SharedIndexInformer*> For(std::shared_ptr<const api::KindInfo> kind);
  // The informer of `kind` with `options` (ns, selectors and resync taken from it; clock,
  // paging, timeouts and back-off from the factory's defaults). InvalidArgument for a bad
  // selector.
  absl::StatusOr<SharedIndexInformer*> For(std::shared_ptr<const api::KindInfo> kind,
                                           const InformerOptions& options);
  // The informer of the kind registered for message type T (NotFound when T is not
  // registered in the client's scheme).
  template <typename T>
  absl::StatusOr<SharedIndexInformer*> For() {
    return For<T>(options_.defaults);
  }
  template <typename T>
  absl::StatusOr<SharedIndexInformer*> For(const InformerOptions& options) {
    absl::StatusOr<std::shared_ptr<const api::KindInfo>> k =
        KindFor(client_->scheme(), T::descriptor());
    if (!k.ok()) return k.status();
    return For(*std::move(k), options);
  }

  // Starts every informer created so far (and makes later ones start when created).
  void Start();
  // Waits until every started informer has synced or the clock reaches `deadline`; returns
  // whether all synced.
  bool WaitForCacheSync(absl::Time deadline);
  // Stops every informer and waits for their threads. Idempotent; For() fails afterwards.
  void Shutdown();

  // The client the informers read through.
  Client* client() const { return client_; }

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string>;

  Client* const client_;
  const FactoryOptions options_;
  Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::map<Key, std::unique_ptr<SharedIndexInformer>> informers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder::client

#endif  // RUDDER_LIB_CLIENT_INFORMER_FACTORY_H_
