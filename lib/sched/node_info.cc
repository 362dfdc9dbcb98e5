#include "lib/sched/node_info.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/api/resource/quantity.h"

namespace rudder::sched {
namespace {

using ::rudder::api::Quantity;
using ::rudder::api::core::v1::Container;

auto FindScalar(std::vector<std::pair<std::string, int64_t>>& v, std::string_view name) {
  return std::lower_bound(v.begin(), v.end(), name,
                          [](const auto& a, std::string_view n) { return a.first < n; });
}

// Sets one resource by name from a parsed quantity.
void SetNamed(Resource* r, std::string_view name, const Quantity& q) {
  if (name == "cpu") {
    r->milli_cpu = q.MilliValue();
  } else if (name == "memory") {
    r->memory = q.Value();
  } else if (name == "ephemeral-storage") {
    r->ephemeral_storage = q.Value();
  } else if (name == "pods") {
    r->allowed_pod_number = q.Value();
  } else {
    r->SetScalar(name, q.Value());
  }
}

absl::Status ParseList(const google::protobuf::Map<std::string, api::resource::Quantity>& list,
                       std::string_view path, Resource* out) {
  for (const auto& [name, value] : list) {
    absl::StatusOr<Quantity> q = Quantity::Parse(value.string());
    if (!q.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(AbslView(path), "[", name, "]: ", q.status().message()));
    }
    SetNamed(out, name, *q);
  }
  return absl::OkStatus();
}

// One container's requests, and its non-zero variant.
absl::Status ContainerRequests(const Container& c, std::string_view path, Resource* req,
                               Resource* non_zero) {
  *req = Resource();
  if (c.has_resources()) {
    absl::Status s = ParseList(c.resources().requests(),
                               absl::StrCat(AbslView(path), ".resources.requests"), req);
    if (!s.ok()) return s;
  }
  *non_zero = *req;
  bool has_cpu = c.has_resources() && c.resources().requests().count("cpu") > 0;
  bool has_mem = c.has_resources() && c.resources().requests().count("memory") > 0;
  if (!has_cpu) non_zero->milli_cpu = kDefaultMilliCpuRequest;
  if (!has_mem) non_zero->memory = kDefaultMemoryRequest;
  return absl::OkStatus();
}

}  // namespace

int64_t Resource::Scalar(std::string_view name) const {
  auto it = std::lower_bound(scalar.begin(), scalar.end(), name,
                             [](const auto& a, std::string_view n) { return a.first < n; });
  return it != scalar.end() && it->first == name ? it->second : 0;
}

void Resource::AddScalar(std::string_view name, int64_t v) {
  auto it = FindScalar(scalar, name);
  if (it != scalar.end() && it->first == name) {
    it->second += v;
  } else {
    scalar.insert(it, {std::string(name), v});
  }
}

void Resource::SetScalar(std::string_view name, int64_t v) {
  auto it = FindScalar(scalar, name);
  if (it != scalar.end() && it->first == name) {
    it->second = v;
  } else {
    scalar.insert(it, {std::string(name), v});
  }
}

void Resource::Add(const Resource& r) {
  milli_cpu += r.milli_cpu;
  memory += r.memory;
  ephemeral_storage += r.ephemeral_storage;
  for (const auto& [n, v] : r.scalar) AddScalar(n, v);
}

void Resource::Sub(const Resource& r) {
  milli_cpu -= r.milli_cpu;
  memory -= r.memory;
  ephemeral_storage -= r.ephemeral_storage;
  for (const auto& [n, v] : r.scalar) AddScalar(n, -v);
}

void Resource::SetMax(const Resource& r) {
  milli_cpu = std::max(milli_cpu, r.milli_cpu);
  memory = std::max(memory, r.memory);
  ephemeral_storage = std::max(ephemeral_storage, r.ephemeral_storage);
  for (const auto& [n, v] : r.scalar) {
    if (v > Scalar(n)) SetScalar(n, v);
  }
}

int64_t Resource::Get(std::string_view name) const {
  if (name == "cpu") return milli_cpu;
  if (name == "memory") return memory;
  if (name == "ephemeral-storage") return ephemeral_storage;
  if (name == "pods") return allowed_pod_number;
  return Scalar(name);
}

bool Resource::IsZero() const {
  if (milli_cpu != 0 || memory != 0 || ephemeral_storage != 0) return false;
  for (const auto& [n, v] : scalar) {
    if (v != 0) return false;
  }
  return true;
}

absl::Status Resource::SetFromList(
    const google::protobuf::Map<std::string, api::resource::Quantity>& list,
    std::string_view path) {
  return ParseList(list, path, this);
}

std::string NormalizeImageName(std::string_view image) {
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  bool has_digest = image.find('@') != std::string_view::npos;
  if (has_digest ||
      (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash))) {
    return std::string(image);
  }
  return absl::StrCat(AbslView(image), ":latest");
}

absl::StatusOr<std::shared_ptr<const PodInfo>> PodInfo::Create(Pod pod) {
  return Create(std::make_shared<const Pod>(std::move(pod)));
}

absl::StatusOr<std::shared_ptr<const PodInfo>> PodInfo::Create(std::shared_ptr<const Pod> pod) {
  auto info = std::make_shared<PodInfo>();
  const Pod& p = *pod;
  info->key_ = absl::StrCat(p.metadata().namespace_(), "/", p.metadata().name());
  info->uid_ = p.metadata().uid().empty() ? info->key_ : p.metadata().uid();
  info->priority_ = p.spec().priority();
  const auto& spec = p.spec();

  Resource req, non_zero, c_req, c_nz;
  for (int i = 0; i < spec.containers_size(); ++i) {
    const Container& c = spec.containers(i);
    absl::Status s = ContainerRequests(c, absl::StrCat("spec.containers[", i, "]"), &c_req, &c_nz);
    if (!s.ok()) return s;
    req.Add(c_req);
    non_zero.Add(c_nz);
    for (const auto& port : c.ports()) {
      if (port.hostport() <= 0) continue;
      info->host_ports_.push_back({port.hostip().empty() ? "0.0.0.0" : port.hostip(),
                                   port.protocol().empty() ? "TCP" : port.protocol(),
                                   port.hostport()});
    }
    if (!c.image().empty()) info->images_.push_back(NormalizeImageName(c.image()));
  }
  // Init containers: restartable ones (sidecars) run alongside and accumulate; the others
  // run one at a time, each with the sidecars started before it.
  Resource sidecars, sidecars_nz, init_max, init_max_nz;
  for (int i = 0; i < spec.initcontainers_size(); ++i) {
    const Container& c = spec.initcontainers(i);
    absl::Status s =
        ContainerRequests(c, absl::StrCat("spec.initContainers[", i, "]"), &c_req, &c_nz);
    if (!s.ok()) return s;
    if (c.restartpolicy() == "Always") {
      req.Add(c_req);
      non_zero.Add(c_nz);
      sidecars.Add(c_req);
      sidecars_nz.Add(c_nz);
      init_max.SetMax(sidecars);
      init_max_nz.SetMax(sidecars_nz);
    } else {
      c_req.Add(sidecars);
      c_nz.Add(sidecars_nz);
      init_max.SetMax(c_req);
      init_max_nz.SetMax(c_nz);
    }
    for (const auto& port : c.ports()) {
      if (port.hostport() <= 0 || c.restartpolicy() != "Always") continue;
      info->host_ports_.push_back({port.hostip().empty() ? "0.0.0.0" : port.hostip(),
                                   port.protocol().empty() ? "TCP" : port.protocol(),
                                   port.hostport()});
    }
    if (!c.image().empty()) info->images_.push_back(NormalizeImageName(c.image()));
  }
  req.SetMax(init_max);
  non_zero.SetMax(init_max_nz);
  if (spec.overhead_size() > 0) {
    Resource overhead;
    absl::Status s = ParseList(spec.overhead(), "spec.overhead", &overhead);
    if (!s.ok()) return s;
    req.Add(overhead);
    non_zero.Add(overhead);
  }
  info->requests_ = std::move(req);
  info->non_zero_ = std::move(non_zero);
  info->pod_ = std::move(pod);
  return std::shared_ptr<const PodInfo>(std::move(info));
}

// ---------------------------------------------------------------------------------------------

void HostPortInfo::Add(const HostPort& p) {
  for (auto& [port, n] : ports_) {
    if (port == p) {
      ++n;
      return;
    }
  }
  ports_.push_back({p, 1});
}

void HostPortInfo::Remove(const HostPort& p) {
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i].first == p) {
      if (--ports_[i].second == 0) ports_.erase(ports_.begin() + i);
      return;
    }
  }
}

bool HostPortInfo::Conflicts(const HostPort& p) const {
  for (const auto& [used, n] : ports_) {
    if (used.port != p.port || used.protocol != p.protocol) continue;
    if (used.ip == p.ip || used.ip == "0.0.0.0" || p.ip == "0.0.0.0") return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------

const absl::flat_hash_map<std::string, int64_t>& NodeInfo::images() const {
  static const auto* const kEmpty = new absl::flat_hash_map<std::string, int64_t>();
  return images_ ? *images_ : *kEmpty;
}

absl::Status NodeInfo::SetNode(std::shared_ptr<const Node> node, int64_t generation) {
  Resource alloc;
  if (node->has_status()) {
    absl::Status s = alloc.SetFromList(node->status().allocatable(), "status.allocatable");
    if (!s.ok()) return s;
  }
  std::shared_ptr<absl::flat_hash_map<std::string, int64_t>> images;
  if (node->has_status() && node->status().images_size() > 0) {
    images = std::make_shared<absl::flat_hash_map<std::string, int64_t>>();
    for (const auto& img : node->status().images()) {
      for (const auto& name : img.names()) (*images)[NormalizeImageName(name)] = img.sizebytes();
    }
  }
  allocatable_ = std::move(alloc);
  images_ = std::move(images);
  name_ = node->metadata().name();
  unschedulable_ = node->spec().unschedulable();
  has_taints_ = node->spec().taints_size() > 0;
  node_ = std::move(node);
  generation_ = generation;
  return absl::OkStatus();
}

void NodeInfo::ClearNode(int64_t generation) {
  node_.reset();
  images_.reset();
  unschedulable_ = false;
  has_taints_ = false;
  allocatable_ = Resource();
  generation_ = generation;
}

void NodeInfo::AddPod(std::shared_ptr<const PodInfo> pod, int64_t generation) {
  requested_.Add(pod->requests());
  non_zero_requested_.Add(pod->non_zero_requests());
  for (const HostPort& p : pod->host_ports()) used_ports_.Add(p);
  pods_.push_back(std::move(pod));
  generation_ = generation;
}

bool NodeInfo::RemovePod(const std::string& uid, int64_t generation) {
  for (size_t i = 0; i < pods_.size(); ++i) {
    if (pods_[i]->uid() != uid) continue;
    const PodInfo& pod = *pods_[i];
    requested_.Sub(pod.requests());
    non_zero_requested_.Sub(pod.non_zero_requests());
    for (const HostPort& p : pod.host_ports()) used_ports_.Remove(p);
    pods_[i] = std::move(pods_.back());
    pods_.pop_back();
    generation_ = generation;
    return true;
  }
  return false;
}

}  // namespace rudder::sched
