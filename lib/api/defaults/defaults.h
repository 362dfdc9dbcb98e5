// Defaulting of the built-in kinds: the values Kubernetes' API server fills into unset fields
// before it validates and stores an object (k8s.io/kubernetes pkg/apis/<group>/<version>/
// defaults.go), so objects read back match what `kubectl get -o yaml` shows on a real cluster.
//
// Guarantees: a defaulter only sets fields that are unset (it never overwrites a value the user
// gave), and running it twice gives the same object as running it once. As in Kubernetes, whose
// Go types hold most strings and numbers by value, an empty string (or 0) in such a field counts
// as unset: protobuf request bodies carry them explicitly ("imagePullPolicy": ""). Fields that
// Kubernetes holds by pointer (replicas, volumeMode, ...) are unset only when absent. The functions
// are pure and thread-safe; they modify only the object passed in.
//
// Example:
//   apps::v1::Deployment d = ...;  // from `kubectl create deployment web --image=nginx`
//   defaults::SetDefaults(&d);
//   // d.spec().replicas() == 1, d.spec().strategy().type() == "RollingUpdate",
//   // d.spec().template_().spec().containers(0).imagepullpolicy() == "Always"
#ifndef RUDDER_LIB_API_DEFAULTS_DEFAULTS_H_
#define RUDDER_LIB_API_DEFAULTS_DEFAULTS_H_

#include <functional>
#include <string>
#include <string_view>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "lib/api/proto/core/v1/core.pb.h"

namespace rudder::api::defaults {

// The defaulter of the message type named `full_name` ("rudder.api.apps.v1.Deployment");
// an empty function when the type has no defaults. The message passed must be of that type.
std::function<void(google::protobuf::Message*)> DefaulterFor(std::string_view full_name);
std::function<void(google::protobuf::Message*)> DefaulterFor(
    const google::protobuf::Descriptor* descriptor);

// Defaults `obj` in place if its type has a defaulter; otherwise leaves it unchanged.
void SetDefaults(google::protobuf::Message* obj);

// The pieces, for kinds that embed them (a host program's kind holding a pod template).
// A pod spec as in templates (Deployment, Job, ...). Pods get more (SetPodDefaults).
void SetPodSpecDefaults(core::v1::PodSpec* spec);
// A standalone Pod: the spec defaults plus enableServiceLinks, requests from limits and host
// ports for hostNetwork pods.
void SetPodDefaults(core::v1::Pod* pod);
void SetPodTemplateSpecDefaults(core::v1::PodTemplateSpec* tmpl);
void SetContainerDefaults(core::v1::Container* c);

// What Kubernetes' pod strategy sets when a pod is created (not on update): status.phase
// "Pending" and status.qosClass, each only when not already given.
void PreparePodForCreate(core::v1::Pod* pod);

// The pod's QoS class (Kubernetes' ComputePodQOS over init and regular containers, CPU and
// memory): "Guaranteed", "Burstable" or "BestEffort".
std::string PodQOSClass(const core::v1::Pod& pod);

// The image pull policy Kubernetes picks for an image without one: "Always" when the tag is
// "latest" or there is neither tag nor digest, else "IfNotPresent".
std::string_view DefaultImagePullPolicy(std::string_view image);

}  // namespace rudder::api::defaults

#endif  // RUDDER_LIB_API_DEFAULTS_DEFAULTS_H_
