// Scheduler explanations: a dry-run API over the real plugins of a scheduler profile. Nothing
// is bound and no running scheduler is changed.
//
//   Explain(pod)             where the pod would go and why: feasible nodes, the top nodes
//                            with every Score plugin's raw, normalized and weighted score, and
//                            the node the scheduler would choose (same sampling of nodes and
//                            same seeded tie-break as Scheduler).
//   WhyNot(pod, node)        the first failing PreFilter/Filter plugin and its reasons (and
//                            every failing Filter plugin), or the node's rank and why.
//   WhatWouldMakeItFit(pod)  changes that make the pod fit, each verified by re-running the
//                            filters with the change applied, smallest first: tolerations,
//                            node labels, preemption of lower-priority pods (respecting PDBs),
//                            more cpu/memory/extended resources, pods holding host ports.
//   Simulate(...)            places a list of pods on a hypothetical cluster in queue order.
//
// Example:
//   explain::ClusterObjects cluster{nodes, bound_pods, pdbs};
//   auto ex = explain::Explainer::FromObjects(cluster, {}).value();
//   explain::Explanation e = ex->Explain(pod).value();
//   std::cout << explain::ToText(e);             // or ToJson(e) for tools
//
// Every result has a text rendering (ToText) and a JSON rendering (ToJson).
#ifndef RUDDER_LIB_SCHED_EXPLAIN_EXPLAIN_H_
#define RUDDER_LIB_SCHED_EXPLAIN_EXPLAIN_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/sched/cache.h"
#include "lib/sched/config.h"
#include "lib/sched/framework.h"
#include "lib/sched/registry.h"

namespace rudder::sched::explain {

using PodDisruptionBudget = ::rudder::api::policy::v1::PodDisruptionBudget;

// A cluster given as objects. Pods with spec.nodeName count against their node; other pods
// are ignored. PDBs are used by preemption suggestions (status.disruptionsAllowed).
struct ClusterObjects {
  std::vector<Node> nodes;
  std::vector<Pod> pods;
  std::vector<PodDisruptionBudget> pdbs;
};

// How explanations are computed. Value type.
struct Options {
  // The profiles; a pod is explained with the profile named by its spec.schedulerName.
  SchedulerConfig config = DefaultSchedulerConfig();
  // Plugin factories; null means DefaultRegistry(). Borrowed; must outlive the Explainer.
  const PluginRegistry* registry = nullptr;
  // The scheduler's seed: the chosen node is the one a fresh Scheduler with this seed picks.
  uint64_t seed = 1;
  // How many best nodes Explain lists.
  int top_n = 3;
  // How many suggestions WhatWouldMakeItFit returns.
  int max_suggestions = 5;
  // Score every feasible node instead of the scheduler's sample (percentageOfNodesToScore).
  // The chosen node may then differ from the scheduler's.
  bool score_all_feasible = false;
};

// One Score plugin's verdict on one node.
struct PluginScore {
  std::string plugin;
  int64_t raw = 0;         // What Score returned.
  int64_t normalized = 0;  // After NormalizeScore, in [0, 100].
  int64_t weight = 1;
  int64_t weighted = 0;  // normalized * weight.
};

// A scored node.
struct NodeScore {
  std::string node;
  int rank = 0;  // 1 is the best.
  int64_t total = 0;
  std::vector<PluginScore> plugins;  // In the profile's Score order.
};

// Where a pod would go and why.
struct Explanation {
  std::string pod;      // namespace/name
  std::string profile;  // The scheduler name used.
  int num_nodes = 0;
  int feasible_nodes = 0;   // Nodes passing every filter, among all nodes.
  int evaluated_nodes = 0;  // Nodes the scheduler filters before it has enough feasible ones.
  int scored_nodes = 0;
  std::vector<NodeScore> top;  // The best nodes, best first.
  std::string chosen_node;     // Empty when the pod fits nowhere.
  // Filter reasons and how many nodes gave each ("Insufficient cpu" -> 3000).
  std::map<std::string, int> reasons;
  // Kubernetes' FitError text when the pod fits nowhere ("0/5 nodes are available: ...").
  std::string message;
};

// A plugin's rejection.
struct PluginVerdict {
  std::string plugin;
  std::string point;  // "PreFilter" or "Filter".
  Code code = Code::kUnschedulable;
  std::vector<std::string> reasons;
};

// Why a pod does not go to a node.
struct WhyNotResult {
  std::string pod;
  std::string node;
  bool fits = false;
  // The rejection the scheduler reports for this node (the first failing plugin).
  std::optional<PluginVerdict> first_failure;
  // Every failing Filter plugin (all are run), or the PreFilter rejection.
  std::vector<PluginVerdict> failures;
  // When it fits: its rank among the scored nodes, its scores and the best node's.
  int rank = 0;
  int scored_nodes = 0;
  // True when the scheduler's sample would not include the node (it stops filtering after
  // enough feasible nodes); the rank is then among all feasible nodes.
  bool outside_sample = false;
  std::optional<NodeScore> score;
  std::optional<NodeScore> best;
  std::string summary;  // One line: "it fits; it ranks #3 of 12 because ...".
};

// One change of a suggestion.
enum class ChangeKind {
  kAddToleration,    // Add a toleration for `taint` to the pod.
  kSetNodeLabel,     // Set label `label_key`=`label_value` on `node`.
  kRemoveNodeLabel,  // Remove label `label_key` from `node`.
  kPreemptPod,       // Preempt (evict) `pod`, of lower priority, from `node`.
  kAddCapacity,      // Add `amount` of `resource` to `node`'s allocatable.
  kFreeHostPort,     // Move `pod` off `node`: it holds a host port the pod wants.
};

struct Change {
  ChangeKind kind = ChangeKind::kAddCapacity;
  api::core::v1::Taint taint;  // kAddToleration.
  std::string label_key;       // kSetNodeLabel, kRemoveNodeLabel.
  std::string label_value;
  std::string pod;            // kPreemptPod, kFreeHostPort: namespace/name.
  int32_t priority = 0;       // kPreemptPod: the victim's priority.
  bool violates_pdb = false;  // kPreemptPod: evicting it violates a PDB.
  std::string resource;       // kAddCapacity: "cpu", "memory", "pods", "example.com/gpu".
  int64_t amount = 0;         // kAddCapacity: millicores for cpu, bytes, or units.
  int64_t allocatable = 0;    // kAddCapacity: the node's allocatable before the change.
  std::string description;    // Human-readable.
};

// A set of changes that makes the pod fit on `node`.
struct Suggestion {
  std::string node;
  std::vector<Change> changes;
  int cost = 0;            // Changes counted (a PDB violation counts 10).
  int pdb_violations = 0;  // Preempted pods whose PDB allows no disruption.
  // The filters were re-run with the changes applied and passed.
  bool verified = false;
  // Other nodes where the same pod-side or label changes work (`node` is the first).
  int other_nodes = 0;
  std::string summary;
};

// What would make a pod fit.
struct FitSuggestions {
  std::string pod;
  bool already_fits = false;            // Some node fits as is.
  std::string message;                  // The FitError text when it fits nowhere.
  std::vector<Suggestion> suggestions;  // Best first.
};

// A pod placed (or not) by Simulate.
struct Placement {
  std::string pod;      // namespace/name
  std::string node;     // Empty when unschedulable.
  std::string message;  // FitError message when unschedulable.
};

// The outcome of Simulate.
struct SimulationResult {
  std::vector<Placement> placements;  // In the order the pods were scheduled (queue order).
  int scheduled = 0;
  int unschedulable = 0;
  // The placed pods, with spec.nodeName set.
  std::vector<Pod> bound;
};

// Explains scheduling decisions on one snapshot of a cluster. Not thread-safe: call from one
// thread at a time (plugins keep per-call state); create one per thread if needed.
class Explainer {
 public:
  // A snapshot of `cluster`. InvalidArgument for a bad configuration or malformed objects.
  static absl::StatusOr<std::unique_ptr<Explainer>> FromObjects(const ClusterObjects& cluster,
                                                                Options options);
  // A consistent snapshot of a running scheduler's cache (Scheduler::cache()), read once under
  // the cache's lock; the scheduler is not changed. `options.config` and `registry` should be
  // the scheduler's. `pdbs` are used by preemption suggestions.
  static absl::StatusOr<std::unique_ptr<Explainer>> FromCache(
      Cache& cache, Options options, std::vector<PodDisruptionBudget> pdbs = {});
  ~Explainer();

  // NotFound when no profile is named by the pod's schedulerName; InvalidArgument for a
  // malformed pod; Internal when a plugin returns an error.
  absl::StatusOr<Explanation> Explain(const Pod& pod);
  // NotFound also when the node is not in the snapshot.
  absl::StatusOr<WhyNotResult> WhyNot(const Pod& pod, std::string_view node);
  absl::StatusOr<FitSuggestions> WhatWouldMakeItFit(const Pod& pod);

  int NumNodes() const;

 private:
  class Impl;
  friend absl::StatusOr<struct SimulationResult> Simulate(const std::vector<Node>&,
                                                          const std::vector<Pod>&,
                                                          const std::vector<Pod>&, const Options&);
  explicit Explainer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Places `pods` on a cluster of `nodes` holding `existing` pods (those with spec.nodeName),
// one scheduling cycle per pod in queue order (the QueueSort plugin; input order among
// equals), with the real plugins, exactly as a Scheduler with `options.seed` would: the same
// node sampling and tie-break. Each placed pod counts against its node for the next ones.
// Reserve, Permit and binding are not run; unschedulable pods are not retried and no
// preemption happens. Deterministic for a seed.
absl::StatusOr<SimulationResult> Simulate(const std::vector<Node>& nodes,
                                          const std::vector<Pod>& existing,
                                          const std::vector<Pod>& pods, const Options& options);

// Renderings: human-readable text (several lines) and one JSON object.
std::string ToText(const Explanation& e);
std::string ToText(const WhyNotResult& w);
std::string ToText(const FitSuggestions& f);
std::string ToText(const SimulationResult& s);
std::string ToJson(const Explanation& e);
std::string ToJson(const WhyNotResult& w);
std::string ToJson(const FitSuggestions& f);
std::string ToJson(const SimulationResult& s);

// "cpu" 1500 -> "1500m", "memory" 1073741824 -> "1Gi", others as integers.
std::string FormatAmount(std::string_view resource, int64_t amount);

}  // namespace rudder::sched::explain

#endif  // RUDDER_LIB_SCHED_EXPLAIN_EXPLAIN_H_
