// Builders for Pods and Nodes in scheduler tests and benchmarks.
#ifndef RUDDER_LIB_SCHED_TESTING_BUILDERS_H_
#define RUDDER_LIB_SCHED_TESTING_BUILDERS_H_

#include <string>
#include <utility>

#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/sched/node_info.h"

namespace rudder::sched::testing {

// A node with allocatable cpu (e.g. "4"), memory ("32Gi") and pods ("110").
class NodeBuilder {
 public:
  explicit NodeBuilder(std::string name) {
    node_.mutable_metadata()->set_name(name);
    node_.mutable_metadata()->set_uid("node-" + name);
  }
  NodeBuilder& Capacity(const std::string& cpu, const std::string& memory,
                        const std::string& pods = "110") {
    auto* a = node_.mutable_status()->mutable_allocatable();
    (*a)["cpu"].set_string(cpu);
    (*a)["memory"].set_string(memory);
    (*a)["pods"].set_string(pods);
    return *this;
  }
  NodeBuilder& Allocatable(const std::string& name, const std::string& value) {
    (*node_.mutable_status()->mutable_allocatable())[name].set_string(value);
    return *this;
  }
  NodeBuilder& Label(const std::string& k, const std::string& v) {
    (*node_.mutable_metadata()->mutable_labels())[k] = v;
    return *this;
  }
  NodeBuilder& Taint(const std::string& key, const std::string& value, const std::string& effect) {
    auto* t = node_.mutable_spec()->add_taints();
    t->set_key(key);
    t->set_value(value);
    t->set_effect(effect);
    return *this;
  }
  NodeBuilder& Unschedulable() {
    node_.mutable_spec()->set_unschedulable(true);
    return *this;
  }
  NodeBuilder& Image(const std::string& name, int64_t size) {
    auto* i = node_.mutable_status()->add_images();
    i->add_names(name);
    i->set_sizebytes(size);
    return *this;
  }
  Node Build() const { return node_; }
  operator Node() const { return node_; }

 private:
  Node node_;
};

// A pod in namespace "default" with one container.
class PodBuilder {
 public:
  explicit PodBuilder(std::string name, std::string ns = "default") {
    pod_.mutable_metadata()->set_name(name);
    pod_.mutable_metadata()->set_namespace_(ns);
    pod_.mutable_metadata()->set_uid("uid-" + ns + "-" + name);
    auto* c = pod_.mutable_spec()->add_containers();
    c->set_name("c");
    c->set_image("registry.k8s.io/pause:3.9");
  }
  // Requests of the first container ("" leaves a resource unset).
  PodBuilder& Req(const std::string& cpu, const std::string& memory = "") {
    auto* r = pod_.mutable_spec()->mutable_containers(0)->mutable_resources()->mutable_requests();
    if (!cpu.empty()) (*r)["cpu"].set_string(cpu);
    if (!memory.empty()) (*r)["memory"].set_string(memory);
    return *this;
  }
  PodBuilder& Request(const std::string& name, const std::string& value) {
    auto* r = pod_.mutable_spec()->mutable_containers(0)->mutable_resources()->mutable_requests();
    (*r)[name].set_string(value);
    return *this;
  }
  PodBuilder& Container(const std::string& cpu, const std::string& memory) {
    auto* c = pod_.mutable_spec()->add_containers();
    c->set_name("c" + std::to_string(pod_.spec().containers_size()));
    auto* r = c->mutable_resources()->mutable_requests();
    if (!cpu.empty()) (*r)["cpu"].set_string(cpu);
    if (!memory.empty()) (*r)["memory"].set_string(memory);
    return *this;
  }
  PodBuilder& Init(const std::string& cpu, const std::string& memory, bool sidecar = false) {
    auto* c = pod_.mutable_spec()->add_initcontainers();
    c->set_name("i" + std::to_string(pod_.spec().initcontainers_size()));
    if (sidecar) c->set_restartpolicy("Always");
    auto* r = c->mutable_resources()->mutable_requests();
    if (!cpu.empty()) (*r)["cpu"].set_string(cpu);
    if (!memory.empty()) (*r)["memory"].set_string(memory);
    return *this;
  }
  PodBuilder& Overhead(const std::string& cpu, const std::string& memory) {
    auto* o = pod_.mutable_spec()->mutable_overhead();
    (*o)["cpu"].set_string(cpu);
    (*o)["memory"].set_string(memory);
    return *this;
  }
  PodBuilder& Priority(int32_t p) {
    pod_.mutable_spec()->set_priority(p);
    return *this;
  }
  PodBuilder& NodeName(const std::string& n) {
    pod_.mutable_spec()->set_nodename(n);
    return *this;
  }
  PodBuilder& SchedulerName(const std::string& n) {
    pod_.mutable_spec()->set_schedulername(n);
    return *this;
  }
  PodBuilder& NodeSelector(const std::string& k, const std::string& v) {
    (*pod_.mutable_spec()->mutable_nodeselector())[k] = v;
    return *this;
  }
  PodBuilder& Label(const std::string& k, const std::string& v) {
    (*pod_.mutable_metadata()->mutable_labels())[k] = v;
    return *this;
  }
  PodBuilder& Image(const std::string& image) {
    pod_.mutable_spec()->mutable_containers(0)->set_image(image);
    return *this;
  }
  PodBuilder& HostPort(int32_t port, const std::string& protocol = "TCP",
                       const std::string& ip = "") {
    auto* p = pod_.mutable_spec()->mutable_containers(0)->add_ports();
    p->set_containerport(port);
    p->set_hostport(port);
    p->set_protocol(protocol);
    if (!ip.empty()) p->set_hostip(ip);
    return *this;
  }
  PodBuilder& Toleration(const std::string& key, const std::string& op, const std::string& value,
                         const std::string& effect) {
    auto* t = pod_.mutable_spec()->add_tolerations();
    t->set_key(key);
    t->set_operator_(op);
    t->set_value(value);
    t->set_effect(effect);
    return *this;
  }
  // Adds a requirement to required node affinity term `term` (created as needed).
  PodBuilder& Required(int term, const std::string& key, const std::string& op,
                       std::initializer_list<std::string> values, bool field = false) {
    auto* sel = pod_.mutable_spec()
                    ->mutable_affinity()
                    ->mutable_nodeaffinity()
                    ->mutable_requiredduringschedulingignoredduringexecution();
    while (sel->nodeselectorterms_size() <= term) sel->add_nodeselectorterms();
    auto* t = sel->mutable_nodeselectorterms(term);
    auto* r = field ? t->add_matchfields() : t->add_matchexpressions();
    r->set_key(key);
    r->set_operator_(op);
    for (const auto& v : values) r->add_values(v);
    return *this;
  }
  PodBuilder& Preferred(int32_t weight, const std::string& key, const std::string& op,
                        std::initializer_list<std::string> values) {
    auto* p = pod_.mutable_spec()
                  ->mutable_affinity()
                  ->mutable_nodeaffinity()
                  ->add_preferredduringschedulingignoredduringexecution();
    p->set_weight(weight);
    auto* r = p->mutable_preference()->add_matchexpressions();
    r->set_key(key);
    r->set_operator_(op);
    for (const auto& v : values) r->add_values(v);
    return *this;
  }
  Pod Build() const { return pod_; }
  operator Pod() const { return pod_; }

 private:
  Pod pod_;
};

}  // namespace rudder::sched::testing

#endif  // RUDDER_LIB_SCHED_TESTING_BUILDERS_H_
