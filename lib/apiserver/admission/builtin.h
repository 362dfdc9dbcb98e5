// The built-in admission plugins, with Kubernetes' rules and messages:
//
//  - AlwaysAdmit: admits everything.
//  - AlwaysDeny: rejects every request (403 "admission control is denying all modifications").
//  - NamespaceLifecycle: a namespaced object cannot be created or changed in a namespace that
//    does not exist (404 `namespaces "x" not found`), nor created in one being deleted (403
//    `unable to create new content in namespace x because it is being terminated`). The
//    namespaces default, kube-system, kube-public and kube-node-lease always exist and cannot
//    be deleted (403 `this namespace may not be deleted`).
//  - LimitRanger: the Container and Pod items of the namespace's LimitRange objects. New pods'
//    containers get the missing limits from `default` (else `max`) and the missing requests
//    from `defaultRequest` (else `default`, else `min`), noting what it set in the
//    kubernetes.io/limit-ranger annotation; then min, max and
//    maxLimitRequestRatio are enforced (403 with Kubernetes' messages).
//  - ServiceAccount: new pods without spec.serviceAccountName get "default"; with
//    require_service_account, a pod naming an account that does not exist is rejected.
//  - ResourceQuota: object counts (pods, services, configmaps, secrets,
//    persistentvolumeclaims, replicationcontrollers, resourcequotas, count/<resource>[.<group>])
//    and pod compute resources (requests.*, limits.*, and cpu/memory for requests.*) against
//    the namespace's ResourceQuota objects. A create that would exceed a quota is rejected with
//    `exceeded quota: q, requested: ..., used: ..., limited: ...`; a pod that leaves a quota'd
//    compute resource unset, with `failed quota: q: must specify ...`. Admitted creates add
//    their usage to the quota's status.used before they are stored (an optimistic status
//    update, retried on conflicts, so concurrent creates never overrun a quota; not in dry
//    runs); a resource missing from status.used is first counted from the namespace's objects.
//    When an object is removed (Committed), its usage is subtracted again. A create admitted
//    but then not stored (e.g. AlreadyExists) stays charged until a quota controller recounts.
//
// All are thread-safe and keep no state between requests; they read objects through
// Attributes::access.
#ifndef RUDDER_LIB_APISERVER_ADMISSION_BUILTIN_H_
#define RUDDER_LIB_APISERVER_ADMISSION_BUILTIN_H_

#include <memory>
#include <string>
#include <vector>

#include "lib/apiserver/admission/admission.h"

namespace rudder::apiserver::admission {

std::unique_ptr<Plugin> NewAlwaysAdmit();
std::unique_ptr<Plugin> NewAlwaysDeny();
std::unique_ptr<Plugin> NewNamespaceLifecycle();
std::unique_ptr<Plugin> NewLimitRanger();

struct ServiceAccountOptions {
  // Reject pods whose service account does not exist (Kubernetes always does; off by default
  // here because nothing creates the "default" accounts yet).
  bool require_service_account = false;
};
std::unique_ptr<Plugin> NewServiceAccount(const ServiceAccountOptions& options = {});
std::unique_ptr<Plugin> NewResourceQuota();

// Registers the built-ins under their Kubernetes names ("AlwaysAdmit", "AlwaysDeny",
// "NamespaceLifecycle", "LimitRanger", "ServiceAccount", "Priority", "ResourceQuota").
void RegisterBuiltins(PluginRegistry* registry);

// The all-in-one server's chain: NamespaceLifecycle, LimitRanger, ServiceAccount, Priority
// (priority.h), ResourceQuota.
std::vector<std::string> DefaultPluginNames();

// A chain of the default plugins (built from a registry holding only the built-ins).
std::shared_ptr<Chain> NewDefaultChain();

// True for the namespaces that always exist (default, kube-system, kube-public,
// kube-node-lease).
bool IsImmortalNamespace(const std::string& name);

}  // namespace rudder::apiserver::admission

#endif  // RUDDER_LIB_APISERVER_ADMISSION_BUILTIN_H_
