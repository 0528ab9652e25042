#pragma once
// Where user pods run, as the rest of the backend sees it (in the spirit of JupyterHub's Spawner):
// start / stop / status / watch / logs / capacity of pods identified by their Neuropod pod id.
// The Kubernetes implementation (k8s/kube_runtime.hpp) is the only code that talks to a cluster.
// Every method may throw core::Error; kubernetes_unavailable means the cluster did not answer
// (retry later), anything else is a refusal.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "catalog/catalog.hpp"

namespace neuropod::runtime {

// Everything a pod is made of (already validated by the catalog or the pods service).
struct PodSpec {
  std::string pod_id;         // 24-hex Neuropod pod id
  std::string user_id;        // owner (24-hex)
  std::string name;           // user-chosen name (the host names use its safe form)
  std::string template_slug;  // empty for a custom image
  std::string image;
  std::vector<catalog::Port> ports;
  std::vector<catalog::EnvVar> env;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string workspace_path = "/workspace";
  catalog::Resources resources;
  std::string base_domain = "neuropod.online";
  std::string workspace_size = "20Gi";
  std::string workspace_storage_class;  // empty: the cluster's default
  std::int64_t generation = 1;  // the record's start count: observations of older starts are stale
};

// What the runtime sees of one pod. phase: pending (waiting for a node), creating (image pull,
// container start, not yet running), running, stopping, stopped, failed. See k8s/pod_status.hpp
// for how Kubernetes states map to these.
struct Observation {
  std::string pod_id;
  std::int64_t generation = 0;  // 0: unknown (an object made by someone else)
  bool exists = false;          // false: gone (deleted)
  std::string phase;
  bool ready = false;  // every HTTP port answers its readiness probe
  bool fatal = false;  // failed and will not recover on its own
  std::string reason;
  std::string message;
  std::string node;
  std::int64_t restarts = 0;
};

// Scheduling, image pulls, container starts and failures as they happen, in plain words.
struct ProgressEvent {
  std::string pod_id;
  std::string type;  // Normal | Warning
  std::string reason;
  std::string text;
  std::string time;  // RFC 3339
};

enum class StartResult : std::uint8_t {
  created,      // the pod did not exist and was created
  exists,       // it exists already (an earlier start got through): nothing changed
  terminating,  // a previous pod of that id is still stopping: start again once it is gone
  unconfirmed,  // the cluster was reached but did not confirm every step in time (slow, or it
                // went away midway): some objects may exist; start again to finish
};

struct LogOptions {
  std::optional<std::int64_t> tail_lines;  // none: everything kept
  bool follow = false;                     // keep streaming until the pod stops or `stop`
};

struct NodeCapacity {
  std::string name;
  bool schedulable = false;
  std::int64_t cpu_millis_free = 0;
  std::int64_t memory_bytes_free = 0;
  std::int64_t gpus_free = 0;
  std::int64_t cpu_millis_allocatable = 0;
  std::int64_t memory_bytes_allocatable = 0;
  std::int64_t gpus_allocatable = 0;
};

// Free resources now, and a way to ask how many pods of some size fit.
struct Capacity {
  std::vector<NodeCapacity> nodes;
  std::int64_t cpu_millis_free = 0;
  std::int64_t memory_bytes_free = 0;
  std::int64_t gpus_free = 0;
  std::int64_t max_gpus_free_on_one_node = 0;
  // What schedulable nodes offer in all (status.allocatable), for "x of y used".
  std::int64_t cpu_millis_allocatable = 0;
  std::int64_t memory_bytes_allocatable = 0;
  std::int64_t gpus_allocatable = 0;
  std::function<std::int64_t(const catalog::Resources&)> fits;
};

struct WatchHandlers {
  std::function<void(const Observation&)> on_change;  // one pod changed (or is gone)
  // After each (re)list: every pod that exists. Pods missing from it are gone.
  std::function<void(const std::vector<Observation>&)> on_resync;
};

class PodRuntime {
 public:
  virtual ~PodRuntime() = default;

  // Isolation (network policies) and image pre-pulling for `images`. Idempotent, cheap when
  // nothing changed.
  virtual boost::asio::awaitable<void> prepare(std::vector<std::string> images) = 0;
  // Workspace (created on first use, never removed), pod, its service and ingress. Idempotent.
  virtual boost::asio::awaitable<StartResult> start(PodSpec spec) = 0;
  // Deletes the pod with its service and ingress (the workspace stays). false: already gone.
  virtual boost::asio::awaitable<bool> stop(std::string pod_id) = 0;
  virtual boost::asio::awaitable<std::optional<Observation>> status(std::string pod_id) = 0;
  // Every pod the runtime manages (also ones without a record: drift).
  virtual boost::asio::awaitable<std::vector<Observation>> list() = 0;
  // Runs until `stop`: informs of every change, reconnecting (and resyncing) on its own.
  virtual boost::asio::awaitable<void> watch(WatchHandlers handlers, std::stop_token stop) = 0;
  // Progress events as they happen, until `stop`.
  virtual boost::asio::awaitable<void> watch_events(
      std::function<void(const ProgressEvent&)> on_event, std::stop_token stop) = 0;
  // Progress so far (oldest first).
  virtual boost::asio::awaitable<std::vector<ProgressEvent>> events(std::string pod_id) = 0;
  // The pod's output. Throws core::Error bad_request when the container has not started yet.
  virtual boost::asio::awaitable<void> logs(std::string pod_id, LogOptions options,
                                            std::function<void(std::string_view)> on_chunk,
                                            std::stop_token stop) = 0;
  virtual boost::asio::awaitable<Capacity> capacity() = 0;
  // Whether the cluster answers (for /api/status); throws core::Error when it does not.
  virtual boost::asio::awaitable<void> ping() = 0;
  // Leader election among backend instances: true while this instance holds the lease (acquires
  // or renews it; call more often than the lease duration).
  virtual boost::asio::awaitable<bool> lead(std::string identity,
                                            std::chrono::seconds lease_duration) = 0;
};

}  // namespace neuropod::runtime
