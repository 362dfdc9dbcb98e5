#include "lib/api/object/fields.h"

#include <algorithm>
#include <functional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/batch/v1/batch.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"

namespace rudder::api {
namespace {

using Fields = std::map<std::string, std::string>;
using Extractor = std::function<void(const google::protobuf::Message&, Fields&)>;

std::string Bool(bool b) { return b ? "true" : "false"; }

// The kind-specific fields (on top of metadata.name and metadata.namespace), from Kubernetes'
// registry strategies (pkg/registry/<group>/<resource>/strategy.go: GetAttrs / ToSelectableFields).
struct KindFields {
  std::vector<std::string> names;
  Extractor extract;
};

const absl::flat_hash_map<const google::protobuf::Descriptor*, KindFields>& Table() {
  namespace core = ::rudder::api::core::v1;
  static const auto* table =
      new absl::flat_hash_map<const google::protobuf::Descriptor*, KindFields>{
          {core::Pod::descriptor(),
           {{"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
             "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"},
            [](const google::protobuf::Message& m, Fields& f) {
              const auto& p = static_cast<const core::Pod&>(m);
              f["spec.nodeName"] = p.spec().nodename();
              f["spec.restartPolicy"] = p.spec().restartpolicy();
              f["spec.schedulerName"] = p.spec().schedulername();
              f["spec.serviceAccountName"] = p.spec().serviceaccountname();
              f["spec.hostNetwork"] = Bool(p.spec().hostnetwork());
              f["status.phase"] = p.status().phase();
              f["status.podIP"] = p.status().podip();
              f["status.nominatedNodeName"] = p.status().nominatednodename();
            }}},
          {core::Node::descriptor(),
           {{"spec.unschedulable"},
            [](const google::protobuf::Message& m, Fields& f) {
              f["spec.unschedulable"] =
                  Bool(static_cast<const core::Node&>(m).spec().unschedulable());
            }}},
          {core::Namespace::descriptor(),
           {{"status.phase"},
            [](const google::protobuf::Message& m, Fields& f) {
              f["status.phase"] = static_cast<const core::Namespace&>(m).status().phase();
            }}},
          {core::Secret::descriptor(),
           {{"type"},
            [](const google::protobuf::Message& m, Fields& f) {
              f["type"] = static_cast<const core::Secret&>(m).type();
            }}},
          {core::Service::descriptor(),
           {{"spec.clusterIP", "spec.type"},
            [](const google::protobuf::Message& m, Fields& f) {
              const auto& s = static_cast<const core::Service&>(m);
              f["spec.clusterIP"] = s.spec().clusterip();
              f["spec.type"] = s.spec().type();
            }}},
          {core::ReplicationController::descriptor(),
           {{"status.replicas"},
            [](const google::protobuf::Message& m, Fields& f) {
              f["status.replicas"] = absl::StrCat(
                  static_cast<const core::ReplicationController&>(m).status().replicas());
            }}},
          {apps::v1::ReplicaSet::descriptor(),
           {{"status.replicas"},
            [](const google::protobuf::Message& m, Fields& f) {
              f["status.replicas"] =
                  absl::StrCat(static_cast<const apps::v1::ReplicaSet&>(m).status().replicas());
            }}},
          {batch::v1::Job::descriptor(),
           {{"status.successful"},
            [](const google::protobuf::Message& m, Fields& f) {
              f["status.successful"] =
                  absl::StrCat(static_cast<const batch::v1::Job&>(m).status().succeeded());
            }}},
          {core::Event::descriptor(),
           {{"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
             "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
             "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"},
            [](const google::protobuf::Message& m, Fields& f) {
              const auto& e = static_cast<const core::Event&>(m);
              const core::ObjectReference& o = e.involvedobject();
              f["involvedObject.kind"] = o.kind();
              f["involvedObject.namespace"] = o.namespace_();
              f["involvedObject.name"] = o.name();
              f["involvedObject.uid"] = o.uid();
              f["involvedObject.apiVersion"] = o.apiversion();
              f["involvedObject.resourceVersion"] = o.resourceversion();
              f["involvedObject.fieldPath"] = o.fieldpath();
              f["reason"] = e.reason();
              f["reportingComponent"] = e.reportingcomponent();
              f["source"] = e.source().component();
              f["type"] = e.type();
            }}},
      };
  return *table;
}

}  // namespace

std::vector<std::string> SelectableFieldNames(const google::protobuf::Descriptor& d) {
  std::vector<std::string> names = {"metadata.name", "metadata.namespace"};
  auto it = Table().find(&d);
  if (it != Table().end()) {
    names.insert(names.end(), it->second.names.begin(), it->second.names.end());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::map<std::string, std::string> SelectableFields(const google::protobuf::Message& obj) {
  Fields f;
  if (const meta::v1::ObjectMeta* meta = GetObjectMeta(obj)) {
    f["metadata.name"] = meta->name();
    f["metadata.namespace"] = meta->namespace_();
  }
  auto it = Table().find(obj.GetDescriptor());
  if (it != Table().end()) it->second.extract(obj, f);
  return f;
}

absl::Status CheckFieldSelector(const fields::Selector& selector,
                                const google::protobuf::Descriptor& d) {
  std::vector<std::string> names = SelectableFieldNames(d);
  for (const fields::Requirement& r : selector.Requirements()) {
    if (!std::binary_search(names.begin(), names.end(), r.field)) {
      return absl::InvalidArgumentError(absl::StrCat("field label not supported: ", r.field));
    }
  }
  return absl::OkStatus();
}

}  // namespace rudder::api
