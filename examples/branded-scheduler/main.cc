// branded-scheduler: builds a Scheduler with the example's plugins from a configuration file,
// places a small demo workload on GPU nodes and prints the bindings, what happened to the
// gangs, and an explanation of one decision.
//
//   bazel run //examples/branded-scheduler -- [--config=PATH]
//
// The demo runs on a simulated clock, so the gang timeout passes at once.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "examples/branded-scheduler/branded.h"
#include "lib/base/clock.h"
#include "lib/sched/explain/explain.h"

namespace {

using rudder::sched::Node;
using rudder::sched::Pod;

Node GpuNode(const std::string& name, const std::string& gpus) {
  Node n;
  n.mutable_metadata()->set_name(name);
  n.mutable_metadata()->set_uid("node-" + name);
  auto* a = n.mutable_status()->mutable_allocatable();
  (*a)["cpu"].set_string("32");
  (*a)["memory"].set_string("128Gi");
  (*a)["pods"].set_string("110");
  (*a)[branded::kGpuResource].set_string(gpus);
  return n;
}

Pod GpuPod(const std::string& name, int gpus, const std::string& gang = "", int gang_size = 0) {
  Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_("ml");
  p.mutable_metadata()->set_uid("uid-" + name);
  p.mutable_spec()->set_schedulername("branded-scheduler");
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("main");
  c->set_image("example.com/trainer:1");
  (*c->mutable_resources()->mutable_requests())[branded::kGpuResource].set_string(
      std::to_string(gpus));
  if (!gang.empty()) {
    (*p.mutable_metadata()->mutable_labels())[branded::kGangLabel] = gang;
    (*p.mutable_metadata()->mutable_labels())[branded::kGangSizeLabel] = std::to_string(gang_size);
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = "examples/branded-scheduler/scheduler-config.yaml";
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--config=")) {
      config_path = std::string(a.substr(9));
    } else {
      std::cerr << "usage: branded-scheduler [--config=PATH]\n";
      return 2;
    }
  }
  std::ifstream in(config_path);
  if (!in) {
    std::cerr << "cannot read " << config_path << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();

  rudder::sched::PluginRegistry registry = branded::BrandedRegistry();
  rudder::FakeClock clock;
  rudder::sched::RecordingBinder binder;
  rudder::sched::SchedulerOptions opts;
  opts.binder = &binder;
  opts.clock = &clock;
  opts.binding_workers = 0;
  opts.on_failure = [](const Pod& pod, const rudder::sched::FailureInfo& f) {
    std::cout << "  not scheduled: " << pod.metadata().name() << ": " << f.message << "\n";
  };
  auto sched = branded::NewBrandedScheduler(text.str(), &registry, std::move(opts));
  if (!sched.ok()) {
    std::cerr << config_path << ": " << sched.status() << "\n";
    return 1;
  }
  std::vector<Node> nodes = {GpuNode("gpu-a", "8"), GpuNode("gpu-b", "4"), GpuNode("gpu-c", "2")};
  for (const Node& n : nodes) (void)(*sched)->AddNode(n);

  std::cout << "GPU jobs and a gang of 3:\n";
  for (const Pod& p :
       {GpuPod("single-2", 2), GpuPod("single-3", 3), GpuPod("train-0", 1, "train", 3),
        GpuPod("train-1", 1, "train", 3), GpuPod("train-2", 1, "train", 3)}) {
    (void)(*sched)->AddPod(p);
  }
  while ((*sched)->ScheduleOne().has_value()) {
  }
  (*sched)->WaitForBindings();
  for (const auto& [pod, node] : binder.Bindings())
    std::cout << "  " << pod << " -> " << node << "\n";

  std::cout << "A gang of 4 that cannot fit (4 GPUs each):\n";
  size_t before = binder.Count();
  for (int i = 0; i < 4; ++i) {
    (void)(*sched)->AddPod(GpuPod("big-" + std::to_string(i), 4, "big", 4));
  }
  while ((*sched)->ScheduleOne().has_value()) {
  }
  clock.Advance(absl::Seconds(31));  // The gang's Permit timeout.
  (*sched)->WaitForBindings();
  std::cout << "  bound: " << binder.Count() - before << "; back in the queue: "
            << (*sched)->queue().NumActive() + (*sched)->queue().NumBackoff() +
                   (*sched)->queue().NumUnschedulable()
            << "\n";

  // Why would another 2-GPU job go where it goes? The explanation API reads the scheduler's
  // cache and runs the same profile without binding anything.
  rudder::sched::explain::Options eo;
  eo.config = *rudder::sched::ParseSchedulerConfig(text.str());
  eo.registry = &registry;
  auto ex = rudder::sched::explain::Explainer::FromCache((*sched)->cache(), eo);
  if (!ex.ok()) {
    std::cerr << ex.status() << "\n";
    return 1;
  }
  auto e = (*ex)->Explain(GpuPod("next-2", 2));
  if (e.ok()) std::cout << "\n" << rudder::sched::explain::ToText(*e);
  auto fit = (*ex)->WhatWouldMakeItFit(GpuPod("huge-16", 16));
  if (fit.ok()) std::cout << "\n" << rudder::sched::explain::ToText(*fit);
  (*sched)->Stop();
  return 0;
}
