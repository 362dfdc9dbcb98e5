// Generic storage of API objects of any registered kind over a Store.
//
// Guarantees (Kubernetes' generic registry rules):
//  - An object lives at /registry/<group or "core">/<plural>/[<namespace>/]<name>, stored as
//    protobuf binary without its resourceVersion; the resourceVersion every read returns is the
//    key's mod_revision in the store.
//  - Create sets uid, creationTimestamp and generation 1, fills generateName, then defaults and
//    validates through the KindInfo. Update is optimistic: a stale resourceVersion fails with
//    Aborted (HTTP 409 Conflict); generation is bumped only when the spec (everything but
//    metadata and status) changes. For kinds with a status subresource, the main resource
//    ignores status changes and the status subresource changes only status.
//  - Every create, update, patch and delete runs the admission chain of RegistryOptions
//    (mutating plugins after defaulting, validating plugins after the kind's validation), so
//    every front end is admitted alike. A dry run (WriteOptions/DeleteOptions::dry_run) does
//    everything but store: the result is what would have been stored.
//  - Delete follows Kubernetes' graceful deletion and garbage-collection rules (see Delete).
//    The update that removes the last finalizer of an object being deleted deletes it.
//  - Errors carry Kubernetes' messages and a StatusDetails payload; ToApiStatus() (errors.h)
//    turns them into Status objects with HTTP codes.
//
// A Registry borrows the Store and Scheme (both must outlive it) and is thread-safe.
#ifndef RUDDER_LIB_APISERVER_REGISTRY_REGISTRY_H_
#define RUDDER_LIB_APISERVER_REGISTRY_REGISTRY_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "lib/api/codec/json.h"
#include "lib/api/labels/fields.h"
#include "lib/api/labels/selector.h"
#include "lib/api/patch/patch_meta.h"
#include "lib/api/proto/autoscaling/v1/autoscaling.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/meta/v1/meta.pb.h"
#include "lib/api/scheme/scheme.h"
#include "lib/apiserver/admission/admission.h"
#include "lib/apiserver/cache/watch_cache.h"
#include "lib/base/mutex.h"
#include "lib/store/store.h"

namespace rudder::api::apply {
class Schema;
}

namespace rudder::apiserver {

using ObjectPtr = std::unique_ptr<google::protobuf::Message>;

// Options of a list (and the selectors of a watch).
struct ListOptions {
  std::string label_selector;  // "app=web,tier!=db"
  std::string field_selector;  // metadata.name and metadata.namespace only
  // "" = the latest; "0" = any (served as the latest); other values are served as the latest
  // too (not older than them). Ignored when `continue_token` is set.
  std::string resource_version;
  // "" or "NotOlderThan": at least resource_version; "Exact": exactly it (from the watch cache's
  // ring, else the store's history).
  std::string resource_version_match;
  int64_t limit = 0;           // 0 = all
  std::string continue_token;  // from a previous page
  // For callers in this process only: objects served from the watch cache are returned in
  // ListResult::shared_items (the cache's immutable objects, not copied) instead of `items`.
  bool share_cached_objects = false;
};

// One page of a list.
struct ListResult {
  std::vector<ObjectPtr> items;
  // With ListOptions::share_cached_objects: the page's objects when the watch cache served it
  // (then `items` is empty). Immutable, shared with the cache.
  std::vector<std::shared_ptr<const google::protobuf::Message>> shared_items;
  // Alongside shared_items: each object's cached version, whose Encoded() is its JSON with
  // kind and apiVersion first (as a GET returns it), made once per object version and shared
  // by every list and watch that serves it.
  std::vector<cache::ValueRef> shared_values;
  int64_t resource_version = 0;  // the store revision the list was read at
  std::string continue_token;    // empty on the last page
  int64_t remaining = -1;        // items after this page when known, else -1
};

// The type of a patch, from its Content-Type. kApply is server-side apply
// (application/apply-patch+yaml): the body is the applied configuration (YAML or JSON).
enum class PatchType { kMerge, kJson, kStrategicMerge, kApply };

// One event of an object watch.
struct ObjectEvent {
  std::string type;  // "ADDED", "MODIFIED", "DELETED", "BOOKMARK" or "ERROR"
  ObjectPtr object;  // the object; for BOOKMARK an empty object with only resourceVersion
  // With WatchOptions::share_cached_objects, for an object event of a watch the watch cache
  // serves: the cache's immutable object (shared, not copied); `object` is then null.
  std::shared_ptr<const google::protobuf::Message> shared;
  // With `shared`: its cached version, whose Encoded() is the object's JSON with kind and
  // apiVersion (made once per object version, shared by every watcher and list).
  cache::ValueRef shared_value;
  absl::Status error;  // for ERROR: why the watch ended (IsCompacted -> 410)
};

// A live watch of one kind. Destroying it ends the watch. One consumer at a time.
class ObjectWatcher {
 public:
  virtual ~ObjectWatcher() = default;
  // The next event, or nullopt when none arrived within `timeout`. After an ERROR event the
  // watch is over and every later call returns nullopt.
  virtual std::optional<ObjectEvent> Next(absl::Duration timeout) = 0;
  // Ends the watch from any thread.
  virtual void Cancel() = 0;
};

struct WatchOptions {
  ListOptions selectors;         // label and field selectors (limit/continue ignored)
  std::string resource_version;  // "" or "0": the current state as ADDED events first
  bool allow_bookmarks = false;  // emit BOOKMARK events on store progress notifications
  // For callers in this process only: object events carry the watch cache's objects in
  // ObjectEvent::shared instead of copies (when the cache serves the watch).
  bool share_cached_objects = false;
};

// Options of create, update and patch.
struct WriteOptions {
  // Kubernetes' dryRun=All: defaulting, validation and admission run, nothing is stored.
  bool dry_run = false;
  // Who makes the change (fieldManager, or the REST client's user agent). Every write of a
  // named manager is recorded in metadata.managedFields (an Update entry; an Apply entry for
  // server-side apply, which requires it); writes without one are not recorded.
  std::string field_manager;
  // Server-side apply: take over the fields other managers own instead of failing with a
  // conflict (force=true).
  bool force = false;
  // Who asks, for admission plugins.
  admission::UserInfo user;
};

// Kubernetes' propagation policies: what happens to an object's dependents.
inline constexpr char kPropagationOrphan[] = "Orphan";
inline constexpr char kPropagationBackground[] = "Background";
inline constexpr char kPropagationForeground[] = "Foreground";
// The finalizers the policies add.
inline constexpr char kFinalizerOrphan[] = "orphan";
inline constexpr char kFinalizerForeground[] = "foregroundDeletion";

// Options of a delete (Kubernetes' DeleteOptions).
struct DeleteOptions {
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  // Seconds before a graceful delete completes (pods only; other kinds are deleted at once).
  // Unset: the object's own (a pod's spec.terminationGracePeriodSeconds). 0: at once.
  std::optional<int64_t> grace_period_seconds;
  // "Orphan", "Background" or "Foreground"; unset: orphan_dependents, else the kind's default
  // (Orphan for batch/v1 Jobs and v1 ReplicationControllers, Background for the rest).
  std::optional<std::string> propagation_policy;
  // Deprecated form of the policy: true = Orphan, false = Background.
  std::optional<bool> orphan_dependents;
  bool dry_run = false;
  admission::UserInfo user;
};

// How a Registry serves reads.
struct RegistryOptions {
  // Serve lists and watches from a watch cache per kind (lib/apiserver/cache), started on the
  // kind's first list or watch; requests the cache cannot serve (continue tokens, revisions
  // older than its ring) read the store.
  bool watch_cache = true;
  cache::CacheOptions cache;
  // The admission chain every write runs through; nullptr admits everything.
  std::shared_ptr<const admission::Chain> admission;
};

// The generic registry of every kind in a scheme.
class Registry {
 public:
  // Borrows `store` and `scheme`.
  Registry(store::Store* store, api::Scheme* scheme, const RegistryOptions& options = {});
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  api::Scheme& scheme() const { return *scheme_; }

  // The store key of an object; `ns` is ignored for cluster-scoped kinds.
  static std::string KeyFor(const api::KindInfo& kind, const std::string& ns,
                            const std::string& name);
  // "deployments.apps" or "pods": how error messages name a resource.
  static std::string QualifiedResource(const api::KindInfo& kind);

  // Creates `obj` (of kind's message type) in namespace `ns` (empty: the object's, or
  // "default"). Returns the stored object with its resourceVersion.
  absl::StatusOr<ObjectPtr> Create(const api::KindInfo& kind, const std::string& ns, ObjectPtr obj,
                                   const WriteOptions& options = {});
  absl::StatusOr<ObjectPtr> Get(const api::KindInfo& kind, const std::string& ns,
                                const std::string& name);
  // Lists objects in `ns` (empty: every namespace).
  absl::StatusOr<ListResult> List(const api::KindInfo& kind, const std::string& ns,
                                  const ListOptions& options);
  // Replaces the object `name` with `obj`; `status` selects the status subresource.
  absl::StatusOr<ObjectPtr> Update(const api::KindInfo& kind, const std::string& ns,
                                   const std::string& name, ObjectPtr obj, bool status = false,
                                   const WriteOptions& options = {});
  // Deletes the object, with Kubernetes' rules:
  //  - a pod is deleted gracefully: deletionTimestamp = now + grace period and
  //    deletionGracePeriodSeconds are set and the pod stays for its node agent, unless it is
  //    unscheduled (no spec.nodeName), terminal (Succeeded/Failed) or the grace period is 0;
  //    a later delete may shorten the period, and 0 removes it;
  //  - the propagation policy sets the garbage-collection finalizers: Orphan adds "orphan",
  //    Foreground adds "foregroundDeletion" (each removes the other), Background removes both;
  //  - an object with finalizers is only marked (deletionTimestamp set); the update that
  //    removes the last one deletes it. A namespace with spec.finalizers is marked and its
  //    status.phase set to Terminating.
  // Returns the object as last stored (with deletionTimestamp when it remains); `*deleted`
  // (when not null) tells whether it is gone.
  absl::StatusOr<ObjectPtr> Delete(const api::KindInfo& kind, const std::string& ns,
                                   const std::string& name, const DeleteOptions& options = {},
                                   bool* deleted = nullptr);
  // The namespaces/finalize subresource: sets spec.finalizers of namespace `name` to obj's
  // (nothing else changes; obj's resourceVersion, when set, is a precondition). A namespace
  // being deleted that is left with no finalizers at all is removed (then `*deleted` is true).
  // InvalidArgument for other kinds.
  absl::StatusOr<ObjectPtr> FinalizeNamespace(const api::KindInfo& kind, const std::string& name,
                                              ObjectPtr obj, const WriteOptions& options = {},
                                              bool* deleted = nullptr);
  // The pods/binding subresource (a core/v1 Binding): assigns pod `name` of `ns` to the node
  // binding.target.name (target kind empty or "Node"): sets spec.nodeName, adds the binding's
  // annotations and the PodScheduled=True condition (lastTransitionTime from `now`, unset: the
  // current time) in one optimistic write, retried on conflicts. binding.metadata.uid and
  // resourceVersion, when set, are preconditions on the pod. Runs admission as a CREATE of
  // pods/binding. Returns the pod as stored. Errors (Kubernetes'): NotFound for a missing pod
  // (or namespace); Aborted (409 Conflict) when the pod is already assigned ("pod NAME is
  // already assigned to node \"X\"") or being deleted; InvalidArgument for a binding without a
  // target name, with another target kind, or whose name differs from `name`.
  absl::StatusOr<ObjectPtr> BindPod(const std::string& ns, const std::string& name,
                                    const api::core::v1::Binding& binding,
                                    const WriteOptions& options = {},
                                    std::optional<absl::Time> now = std::nullopt);
  // Deletes every object of `kind` in `ns` (empty: every namespace) that matches the label and
  // field selectors of `selectors` (its other fields are ignored), one Delete each. Returns the
  // objects as Delete returned them; stops at the first error other than NotFound.
  absl::StatusOr<std::vector<ObjectPtr>> DeleteCollection(const api::KindInfo& kind,
                                                          const std::string& ns,
                                                          const ListOptions& selectors,
                                                          const DeleteOptions& options = {});
  // Applies a patch to the live object's JSON and updates it, retrying on conflicts unless the
  // patch itself names a resourceVersion. kApply (server-side apply) creates the object when
  // it is missing, merges the configuration by the kind's list types, removes the fields the
  // manager applied before and no longer does (unless others own them), and fails with a 409
  // (causes of type FieldManagerConflict) when it would change fields other managers own,
  // unless options.force; options.field_manager is required (422 otherwise).
  absl::StatusOr<ObjectPtr> Patch(const api::KindInfo& kind, const std::string& ns,
                                  const std::string& name, PatchType type, const std::string& patch,
                                  bool status = false,
                                  api::FieldValidation validation = api::FieldValidation::kWarn,
                                  const WriteOptions& options = {});
  // The scale subresource (autoscaling/v1 Scale) of kinds with has_scale: replicas and selector
  // read from the object at the kind's ScaleSpec paths. NotFound for kinds without one.
  absl::StatusOr<std::unique_ptr<api::autoscaling::v1::Scale>> GetScale(const api::KindInfo& kind,
                                                                        const std::string& ns,
                                                                        const std::string& name);
  // Sets spec.replicas of the object from `scale` (its resourceVersion, when set, is a
  // precondition), through Update with `options`. Returns the new Scale.
  absl::StatusOr<std::unique_ptr<api::autoscaling::v1::Scale>> UpdateScale(
      const api::KindInfo& kind, const std::string& ns, const std::string& name,
      const api::autoscaling::v1::Scale& scale, const WriteOptions& options = {});
  // Patches the Scale and applies it, retrying on conflicts as Patch does.
  absl::StatusOr<std::unique_ptr<api::autoscaling::v1::Scale>> PatchScale(
      const api::KindInfo& kind, const std::string& ns, const std::string& name, PatchType type,
      const std::string& patch, const WriteOptions& options = {});

  // Watches objects of `kind` in `ns` (empty: every namespace).
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> Watch(const api::KindInfo& kind,
                                                       const std::string& ns,
                                                       const WatchOptions& options);

  // Replaces the random source of names and uids (tests).
  void SetSeedForTest(uint64_t seed);

 private:
  friend class RegistryAccess;
  struct Current {
    ObjectPtr obj;
    int64_t mod_revision = 0;
  };
  absl::StatusOr<Current> Read(const api::KindInfo& kind, const std::string& key,
                               const std::string& name);
  // One optimistic update; `options` null: an internal write that skips admission.
  // `track`: record the write in managedFields (false when server-side apply already did).
  absl::StatusOr<ObjectPtr> UpdateOnce(const api::KindInfo& kind, const std::string& ns,
                                       const std::string& name, ObjectPtr obj, bool status,
                                       const WriteOptions* options, bool track = true);
  absl::StatusOr<ObjectPtr> CreateImpl(const api::KindInfo& kind, const std::string& ns,
                                       ObjectPtr obj, const WriteOptions& options, bool track);
  // Server-side apply (apply.cc).
  absl::StatusOr<ObjectPtr> ApplyPatch(const api::KindInfo& kind, const std::string& ns,
                                       const std::string& name, const std::string& body,
                                       bool status, api::FieldValidation validation,
                                       const WriteOptions& options);
  // Sets next's managedFields for a write from `live` (null: a create): the ones the client
  // sent (a single empty entry clears them), else the live ones, then, when `options` names a
  // manager, its Update entry (apply.cc). `live` is left as it was.
  void TrackManagedFields(const api::KindInfo& kind, google::protobuf::Message* live,
                          google::protobuf::Message* next, bool status,
                          const WriteOptions* options);
  // The apply structure of a kind, built on first use (rebuilt when a CRD's schema changes).
  absl::StatusOr<std::shared_ptr<const api::apply::Schema>> ApplySchemaFor(
      const api::KindInfo& kind);
  absl::StatusOr<ObjectPtr> DeleteOnce(const api::KindInfo& kind, const std::string& key,
                                       const std::string& ns, const std::string& name,
                                       const DeleteOptions& options, bool* deleted, bool* retry);
  // Attributes for the admission chain.
  admission::Attributes Attrs(admission::Operation op, const api::KindInfo& kind,
                              const std::string& ns, const std::string& name, bool dry_run,
                              const admission::UserInfo& user);
  const api::patch::PatchMeta& PatchMetaFor(const api::KindInfo& kind);
  std::string RandomString(int n, const char* alphabet);
  // The kind's watch cache (started on first use), or nullptr when disabled or it cannot start.
  cache::WatchCache* CacheFor(const api::KindInfo& kind);

  store::Store* store_;
  api::Scheme* scheme_;
  const RegistryOptions options_;
  std::unique_ptr<admission::ObjectAccess> access_;
  Mutex caches_mu_;
  std::map<std::string, std::unique_ptr<cache::WatchCache>> caches_ ABSL_GUARDED_BY(caches_mu_);
  Mutex mu_;
  uint64_t rng_ ABSL_GUARDED_BY(mu_);
  std::map<const google::protobuf::Descriptor*, std::unique_ptr<api::patch::PatchMeta>> patch_meta_
      ABSL_GUARDED_BY(mu_);
  // Apply schemas by GVK, with the openAPIV3Schema they were built from (custom resources).
  Mutex apply_mu_;
  std::map<std::string, std::pair<std::string, std::shared_ptr<const api::apply::Schema>>>
      apply_schemas_ ABSL_GUARDED_BY(apply_mu_);
};

}  // namespace rudder::apiserver

#endif  // RUDDER_LIB_APISERVER_REGISTRY_REGISTRY_H_
