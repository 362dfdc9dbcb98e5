// Pods' logs for the API server's log subresource, read from the files a container runtime
// writes (CRI log format, with rotation), so `kubectl logs` (with -c, -f, --previous, --tail,
// --since, --timestamps, --limit-bytes) works against pods a node agent runs.
//
// The source finds a pod's containers by the CRI labels the node agent puts on them
// (io.kubernetes.pod.namespace, io.kubernetes.pod.name, io.kubernetes.container.name); the
// latest instance of a container is its current one, the one before it is `--previous`.
#ifndef RUDDER_LIB_RUNTIME_AGENT_POD_LOGS_H_
#define RUDDER_LIB_RUNTIME_AGENT_POD_LOGS_H_

#include <memory>

#include "lib/apiserver/rest/pod_log.h"
#include "lib/base/clock.h"
#include "lib/runtime/runtime.h"

namespace rudder::runtime::agent {

// A PodLogSource over `runtime` (borrowed; must outlive the source). `clock` (borrowed; null:
// the real clock) measures sinceSeconds. Thread-safe.
std::unique_ptr<apiserver::PodLogSource> NewRuntimePodLogSource(RuntimeService* runtime,
                                                                Clock* clock = nullptr);

}  // namespace rudder::runtime::agent

#endif  // RUDDER_LIB_RUNTIME_AGENT_POD_LOGS_H_
