#pragma once
// Free resources of a cluster, computed from its nodes and pods as the Kubernetes scheduler counts
// them, and Kubernetes resource quantities as numbers. Pure functions: no I/O, no clock.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace neuropod::k8s {

// Kubernetes resource quantities
// (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/):
// an optional sign ('+' or '-'), a decimal number with an optional fraction ("2", "0.5", ".5",
// "5."; at least one digit), then one suffix or none:
// - decimal SI n u m k M G T P E (10^-9 .. 10^18; "E" alone is exa);
// - binary Ki Mi Gi Ti Pi Ei (1024^1 .. 1024^6; "1.5Gi" is allowed);
// - a decimal exponent 'e' or 'E' followed by a signed integer ("1e3", "1E-3", "1e+3").
// No spaces; suffixes are case-sensitive ("1K", "1mi" and "1KiB" are not quantities). The value is
// computed exactly (any number of digits), then rounded up to the unit asked for, away from zero
// for negative values, as Kubernetes' MilliValue() and Value() do.
//
// Value in thousandths: "500m" -> 500, "2" -> 2000, "1Ki" -> 1024000, "0.1m" -> 1, "1n" -> 1.
// nullopt: not a quantity, or the rounded value is out of int64 range.
std::optional<std::int64_t> quantity_milli(std::string_view q);
// Value rounded up to a whole unit (bytes for memory, GPUs, pods): "2Gi" -> 2147483648,
// "500m" -> 1, "1.5" -> 2, "-1.5" -> -2. nullopt as above.
std::optional<std::int64_t> quantity_value(std::string_view q);

struct NodeCapacity {
  std::string name;
  // Pods may be placed there: its Ready condition is True, spec.unschedulable is not true
  // (cordon), and it has no taint of effect NoSchedule or NoExecute other than
  // nvidia.com/gpu:NoSchedule (the one taint Neuropod's GPU pods tolerate). PreferNoSchedule
  // taints don't count.
  bool schedulable = false;
  // Has the nvidia.com/gpu NoSchedule taint (only pods with GPUs, which tolerate it, go there).
  bool gpu_tainted = false;
  // status.allocatable; free = allocatable minus the requests of the node's unfinished pods, never
  // below 0. Memory in bytes, GPUs (nvidia.com/gpu) and pods as counts.
  std::int64_t cpu_millis_allocatable = 0, cpu_millis_free = 0;
  std::int64_t memory_bytes_allocatable = 0, memory_bytes_free = 0;
  std::int64_t gpus_allocatable = 0, gpus_free = 0;
  std::int64_t pods_allocatable = 0, pods_free = 0;
};

struct Capacity {
  std::vector<NodeCapacity> nodes;  // sorted by name
  // Sums over schedulable nodes (GPU-tainted nodes included).
  std::int64_t cpu_millis_free = 0, memory_bytes_free = 0, gpus_free = 0;
  // The most GPUs one pod could get now (a pod's GPUs are all on one node); 0 without GPUs.
  std::int64_t max_gpus_free_on_one_node = 0;
};

// From a v1 NodeList and a v1 PodList (all namespaces' pods, or at least those that use the
// nodes): free = status.allocatable minus the requests of the pods bound to the node
// (spec.nodeName) that are not finished (status.phase not Succeeded/Failed; pods still being
// deleted count until they are gone). Every such pod takes one of the node's pods. A pod's request
// per resource (cpu, memory, nvidia.com/gpu) is, as the scheduler counts it,
//   max(sum over containers, max over initContainers) + spec.overhead,
// where a container's request is resources.requests, else resources.limits (the API server's
// defaulting, for objects that were not defaulted). A sidecar (an init container with
// restartPolicy Always) runs beside the containers: it adds to the sum, and to every init
// container that starts after it.
// Missing, garbled or negative quantities count as 0; sums saturate at the int64 maximum; free is
// never below 0. Lists that are not objects with an "items" array count as empty; items without a
// name are skipped. Pods on nodes not in the list are ignored.
Capacity capacity(const nlohmann::json& nodes, const nlohmann::json& pods);

// How many pods requesting (cpu, memory, gpus) fit right now: the sum over schedulable nodes
// (GPU-tainted nodes only when gpus > 0) of
//   min(cpu_free / cpu, memory_free / memory, pods_free, gpus_free / gpus when gpus > 0),
// each division rounded down; cpu is parsed with quantity_milli(), memory with quantity_value().
// Unparsable, zero or negative cpu and memory requests are ignored in the min; gpus <= 0 means
// none. A pod never spans nodes, so two nodes with 1 free GPU each fit no pod asking for 2.
// extra_cpu_millis / extra_memory_bytes: what the pod's other containers request besides (the
// activity container), added to each pod's need.
std::int64_t fits(const Capacity& c, std::string_view cpu, std::string_view memory,
                  std::int64_t gpus, std::int64_t extra_cpu_millis = 0,
                  std::int64_t extra_memory_bytes = 0);

}  // namespace neuropod::k8s
