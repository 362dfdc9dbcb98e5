// How a scheduling cycle samples nodes and breaks ties; shared by the scheduler and the
// explanation API so that both pick the same node for the same state and seed.
#ifndef RUDDER_LIB_SCHED_INTERNAL_SAMPLING_H_
#define RUDDER_LIB_SCHED_INTERNAL_SAMPLING_H_

#include <cstdint>

namespace rudder::sched::internal {

// How many feasible nodes a cycle looks for among `num_all_nodes` (percentageOfNodesToScore;
// 0 means adaptive: 50% minus 1% per 125 nodes, at least 5%, and never fewer than 100 nodes).
inline int NumFeasibleNodesToFind(int32_t percentage, int num_all_nodes) {
  constexpr int kMinFeasibleNodesToFind = 100;
  constexpr int kMinFeasibleNodesPercentageToFind = 5;
  if (num_all_nodes < kMinFeasibleNodesToFind) return num_all_nodes;
  if (percentage == 0) {
    percentage = 50 - num_all_nodes / 125;
    if (percentage < kMinFeasibleNodesPercentageToFind) {
      percentage = kMinFeasibleNodesPercentageToFind;
    }
  }
  int num = static_cast<int>(static_cast<int64_t>(num_all_nodes) * percentage / 100);
  return num < kMinFeasibleNodesToFind ? kMinFeasibleNodesToFind : num;
}

// The tie-break RNG (splitmix64): small and identical on every platform, so decisions are
// reproducible from the seed.
inline uint64_t NextRandom(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace rudder::sched::internal

#endif  // RUDDER_LIB_SCHED_INTERNAL_SAMPLING_H_
