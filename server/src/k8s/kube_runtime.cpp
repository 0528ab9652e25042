#include "k8s/kube_runtime.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/logging.hpp"
#include "k8s/capacity.hpp"
#include "k8s/json_access.hpp"
#include "k8s/manifests.hpp"
#include "k8s/naming.hpp"
#include "k8s/pod_status.hpp"

namespace neuropod::k8s {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr std::string_view kPodPrefix = "np-";

std::string managed_selector(const KubeRuntimeOptions& o) {
  std::string s = std::string(kManagedByLabel) + "=" + std::string(kManagedByValue);
  if (!o.instance.empty()) {
    s += "," + std::string(kInstanceLabel) + "=" + o.instance;
  }
  return s;
}

std::string lease_name(const KubeRuntimeOptions& o) {
  if (o.instance.empty()) {
    return std::string(kLeaseName);
  }
  return std::string(kLeaseName) + "-" + o.instance;
}

// The Neuropod pod id of a Kubernetes object: its pod-id label, else from its name.
std::string pod_id_of(const json& object) {
  const json& meta = field(object, "metadata");
  std::string id = string_at(field(meta, "labels"), kPodIdLabel);
  if (id.empty()) {
    const std::string name = string_at(meta, "name");
    if (name.starts_with(kPodPrefix)) {
      id = name.substr(kPodPrefix.size());
    }
  }
  return id;
}

std::int64_t generation_of(const json& pod) {
  const std::string g =
      string_at(field(field(pod, "metadata"), "annotations"), kGenerationAnnotation);
  std::int64_t out = 0;
  const auto [ptr, ec] = std::from_chars(g.data(), g.data() + g.size(), out);
  if (ec != std::errc() || ptr != g.data() + g.size()) {
    return 0;
  }
  return out;
}

// MicroTime as Kubernetes writes it: "2026-11-30T07:30:00.123456Z".
std::string micro_time(core::TimePoint t) {
  const std::string ms = core::to_iso8601(t);  // ...:SS.mmmZ
  return ms.substr(0, ms.size() - 1) + "000Z";
}

PodSpecInput spec_input(const runtime::PodSpec& spec, const KubeRuntimeOptions& o,
                        std::string claim) {
  PodSpecInput in;
  in.pod_id = spec.pod_id;
  in.user_id = spec.user_id;
  in.name = spec.name;
  in.template_slug = spec.template_slug;
  in.image = spec.image;
  in.ports = spec.ports;
  in.env = spec.env;
  in.command = spec.command;
  in.args = spec.args;
  in.workspace_path = spec.workspace_path;
  in.resources = spec.resources;
  in.namespace_ = o.namespace_;
  in.base_domain = spec.base_domain;
  in.auth_url = o.auth_url;
  in.auth_signin = o.auth_signin;
  in.access_service = o.access_service;
  in.fs_group = o.fs_group;
  in.image_pull_secrets = o.image_pull_secrets;
  in.workspace_claim = std::move(claim);
  in.generation = spec.generation;
  in.instance = o.instance;
  if (o.activity_enabled()) {
    in.activity_image = o.activity_image;
    in.activity_url = o.activity_url;
    in.activity_token = o.activity_token(spec.pod_id);
    in.activity_interval_s = o.activity_interval_s;
  }
  return in;
}

std::optional<runtime::ProgressEvent> progress_of(const json& event) {
  auto info = pod_event(event);
  if (!info || !info->pod_name.starts_with(kPodPrefix)) {
    return std::nullopt;
  }
  return runtime::ProgressEvent{.pod_id = info->pod_name.substr(kPodPrefix.size()),
                                .type = info->type,
                                .reason = info->reason,
                                .text = info->text,
                                .time = info->time};
}

// The object at `path`, or null when it does not exist (any other error propagates).
asio::awaitable<json> get_or_null(KubeClient& client, std::string path) {
  try {
    co_return co_await client.get(std::move(path));
  } catch (const KubeError& e) {
    if (e.code() != core::ErrorCode::not_found) {
      throw;
    }
  }
  co_return json();
}

}  // namespace

runtime::Observation observe(const json& pod) {
  const PodState s = pod_state(pod);
  return runtime::Observation{.pod_id = pod_id_of(pod),
                              .generation = generation_of(pod),
                              .exists = true,
                              .phase = s.phase,
                              .ready = s.ready,
                              .fatal = s.fatal,
                              .reason = s.reason,
                              .message = s.message,
                              .node = s.node,
                              .restarts = s.restarts};
}

struct KubeRuntime::State {
  std::mutex mu;
  std::string prepared_images_hash;  // of the last prepare() that went through
  bool policies_applied = false;
};

KubeRuntime::KubeRuntime(KubeClient& client, const core::Clock& clock, KubeRuntimeOptions options)
    : client_(client),
      clock_(clock),
      options_(std::move(options)),
      state_(std::make_unique<State>()) {}

KubeRuntime::~KubeRuntime() = default;

asio::awaitable<void> KubeRuntime::prepare(std::vector<std::string> images) {
  const std::string& ns = options_.namespace_;
  bool policies_applied = false;
  {
    std::lock_guard g(state_->mu);
    policies_applied = state_->policies_applied;
  }
  if (!policies_applied) {
    for (json& policy :
         network_policies(ns, options_.ingress_namespace, options_.extra_denied_cidrs)) {
      const std::string name = string_at(policy["metadata"], "name");
      co_await client_.apply(networking_path(ns, "networkpolicies", name), std::move(policy));
    }
    std::lock_guard g(state_->mu);
    state_->policies_applied = true;
  }

  if (!images.empty() && options_.activity_enabled()) {
    images.push_back(options_.activity_image);  // every pod runs it next to its own image
  }
  const std::string hash = images_hash(images);
  {
    std::lock_guard g(state_->mu);
    if (state_->prepared_images_hash == hash) {
      co_return;
    }
  }
  const std::string path = apps_path(ns, "daemonsets", kPrepullerName);
  if (images.empty()) {
    co_await client_.del(path);
  } else {
    co_await client_.apply(path, prepuller_daemonset(ns, images));
  }
  std::lock_guard g(state_->mu);
  state_->prepared_images_hash = hash;
}

asio::awaitable<std::string> KubeRuntime::ensure_workspace(std::string user_id, std::string size,
                                                           std::string storage_class) {
  const std::string& ns = options_.namespace_;
  // The hashed name first; on a collision with another user's claim, the full id.
  const std::array<std::string, 2> keys{user_hash(user_id), user_id};
  for (const std::string& key : keys) {
    const std::string name = workspace_claim_name(key);
    const std::string path = core_path(ns, "persistentvolumeclaims", name);
    json claim = co_await get_or_null(client_, path);
    if (claim.is_null()) {
      try {
        claim = co_await client_.create(core_path(ns, "persistentvolumeclaims"),
                                        workspace_claim(key, user_id, ns, size, storage_class));
      } catch (const KubeError& e) {
        if (e.code() != core::ErrorCode::conflict) {
          throw;
        }
      }
      if (claim.is_null()) {  // created meanwhile by another call: read whose it is
        claim = co_await client_.get(path);
      }
    }
    const std::string owner =
        string_at(field(field(claim, "metadata"), "annotations"), kUserIdAnnotation);
    if (owner == user_id) {
      co_return name;
    }
    log::warn("k8s.workspace_hash_collision",
              {{"claim", name}, {"user_id", user_id}, {"owner", owner}});
  }
  throw core::Conflict("the workspace claim of this user belongs to another user",
                       {{"user_id", user_id}});
}

asio::awaitable<runtime::StartResult> KubeRuntime::start(runtime::PodSpec spec) {
  // Unreachable before anything reached the server: the caller says so (503). Once the server
  // has answered or may have acted, the start is accepted as unconfirmed and finished later.
  bool reached = false;
  std::optional<KubeError> failure;
  try {
    co_return co_await start_steps(std::move(spec), reached);
  } catch (const KubeError& e) {
    failure = e;
  }
  if (failure->code() == core::ErrorCode::kubernetes_unavailable &&
      (reached || failure->maybe_applied())) {
    log::warn("k8s.start_unconfirmed",
              {{"error", failure->what()}, {"details", failure->details()}});
    co_return runtime::StartResult::unconfirmed;
  }
  throw *failure;
}

asio::awaitable<runtime::StartResult> KubeRuntime::start_steps(runtime::PodSpec spec,
                                                               bool& reached) {
  const std::string& ns = options_.namespace_;
  std::string claim =
      co_await ensure_workspace(spec.user_id, spec.workspace_size, spec.workspace_storage_class);
  reached = true;
  const PodSpecInput input = spec_input(spec, options_, std::move(claim));
  const std::string name = resource_name(spec.pod_id);

  runtime::StartResult result = runtime::StartResult::created;
  json created;
  try {
    created = co_await client_.create(core_path(ns, "pods"), pod(input));
  } catch (const KubeError& e) {
    if (e.code() != core::ErrorCode::conflict) {
      throw;
    }
  }
  if (created.is_null()) {
    created = co_await client_.get(core_path(ns, "pods", name));
    const bool terminating = field(created, "metadata").contains("deletionTimestamp");
    if (terminating) {
      co_return runtime::StartResult::terminating;
    }
    if (generation_of(created) != spec.generation) {
      // A pod of an earlier start that should have been stopped: replace it once it is gone.
      co_await client_.del(core_path(ns, "pods", name));
      co_return runtime::StartResult::terminating;
    }
    result = runtime::StartResult::exists;
  }
  const std::string uid = string_at(field(created, "metadata"), "uid");

  json svc = service(input);
  if (!svc.is_null()) {
    set_owner(svc, name, uid);
    co_await client_.apply(core_path(ns, "services", name), std::move(svc));
  }
  json ing = ingress(input);
  if (!ing.is_null()) {
    set_owner(ing, name, uid);
    co_await client_.apply(networking_path(ns, "ingresses", name), std::move(ing));
  }
  co_return result;
}

asio::awaitable<bool> KubeRuntime::stop(std::string pod_id) {
  const std::string& ns = options_.namespace_;
  const std::string name = resource_name(pod_id);
  // The Service and Ingress are owned by the Pod (the garbage collector would delete them), but
  // deleting them at once closes the URLs now rather than a few seconds later.
  co_await client_.del(networking_path(ns, "ingresses", name));
  co_await client_.del(core_path(ns, "services", name));
  co_return co_await client_.del(core_path(ns, "pods", name));
}

asio::awaitable<std::optional<runtime::Observation>> KubeRuntime::status(std::string pod_id) {
  const json pod_json =
      co_await get_or_null(client_, core_path(options_.namespace_, "pods", resource_name(pod_id)));
  if (pod_json.is_null()) {
    co_return std::nullopt;
  }
  co_return observe(pod_json);
}

asio::awaitable<std::vector<runtime::Observation>> KubeRuntime::list() {
  const json pods =
      co_await client_.list(core_path(options_.namespace_, "pods"), managed_selector(options_));
  std::vector<runtime::Observation> out;
  for (const json& p : array_of(field(pods, "items"))) {
    out.push_back(observe(p));
  }
  co_return out;
}

asio::awaitable<void> KubeRuntime::watch(runtime::WatchHandlers handlers, std::stop_token stop) {
  runtime::WatchHandlers* h = &handlers;
  co_await client_.watch_forever(
      core_path(options_.namespace_, "pods"), managed_selector(options_),
      [h](const std::string& type, const json& object) {
        runtime::Observation o = observe(object);
        o.exists = type != "DELETED";
        if (h->on_change && !o.pod_id.empty()) {
          h->on_change(o);
        }
      },
      [h](const json& list) {
        std::vector<runtime::Observation> all;
        for (const json& p : array_of(field(list, "items"))) {
          all.push_back(observe(p));
        }
        if (h->on_resync) {
          h->on_resync(all);
        }
      },
      std::move(stop));
}

asio::awaitable<void> KubeRuntime::watch_events(
    std::function<void(const runtime::ProgressEvent&)> on_event, std::stop_token stop) {
  auto* cb = &on_event;
  const RelistCallback ignore_relist;
  // Only new events: the list before the first watch is skipped (events() reads the past).
  co_await client_.watch_forever(
      core_path(options_.namespace_, "events"), "",
      [cb](const std::string& type, const json& object) {
        if (type == "DELETED") {
          return;
        }
        if (auto p = progress_of(object)) {
          (*cb)(*p);
        }
      },
      ignore_relist, std::move(stop));
}

asio::awaitable<std::vector<runtime::ProgressEvent>> KubeRuntime::events(std::string pod_id) {
  const std::string selector =
      "involvedObject.kind=Pod,involvedObject.name=" + resource_name(pod_id);
  const json list = co_await client_.list(core_path(options_.namespace_, "events"), "", selector);
  std::vector<runtime::ProgressEvent> out;
  for (const json& e : array_of(field(list, "items"))) {
    if (auto p = progress_of(e)) {
      out.push_back(std::move(*p));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.time < b.time; });
  co_return out;
}

asio::awaitable<void> KubeRuntime::logs(std::string pod_id, runtime::LogOptions options,
                                        std::function<void(std::string_view)> on_chunk,
                                        std::stop_token stop) {
  const std::string name = resource_name(pod_id);
  if (options.follow) {
    co_await client_.follow_logs(options_.namespace_, name, "main", options.tail_lines,
                                 std::move(on_chunk), std::move(stop));
    co_return;
  }
  const std::string text = co_await client_.read_logs(options_.namespace_, name, "main",
                                                      options.tail_lines, options_.log_limit_bytes);
  on_chunk(text);
}

asio::awaitable<runtime::Capacity> KubeRuntime::capacity() {
  const json nodes = co_await client_.list(cluster_path("nodes"));
  // Every namespace's pods use the nodes; without the right to list them all, ours only.
  json pods;
  try {
    pods =
        co_await client_.list("/api/v1/pods", "", "status.phase!=Succeeded,status.phase!=Failed");
  } catch (const KubeError& e) {
    if (e.http_status() != 403) {
      throw;
    }
  }
  if (pods.is_null()) {
    pods = co_await client_.list(core_path(options_.namespace_, "pods"));
  }
  auto c = std::make_shared<Capacity>(k8s::capacity(nodes, pods));
  runtime::Capacity out;
  for (const auto& n : c->nodes) {
    out.nodes.push_back(
        runtime::NodeCapacity{.name = n.name,
                              .schedulable = n.schedulable,
                              .cpu_millis_free = n.cpu_millis_free,
                              .memory_bytes_free = n.memory_bytes_free,
                              .gpus_free = n.gpus_free,
                              .cpu_millis_allocatable = n.cpu_millis_allocatable,
                              .memory_bytes_allocatable = n.memory_bytes_allocatable,
                              .gpus_allocatable = n.gpus_allocatable});
    if (n.schedulable) {
      out.cpu_millis_allocatable += n.cpu_millis_allocatable;
      out.memory_bytes_allocatable += n.memory_bytes_allocatable;
      out.gpus_allocatable += n.gpus_allocatable;
    }
  }
  out.cpu_millis_free = c->cpu_millis_free;
  out.memory_bytes_free = c->memory_bytes_free;
  out.gpus_free = c->gpus_free;
  out.max_gpus_free_on_one_node = c->max_gpus_free_on_one_node;
  const bool sidecar = options_.activity_enabled();
  out.fits = [c, sidecar](const catalog::Resources& r) {
    return sidecar ? fits(*c, r.cpu, r.memory, r.gpus, kActivityCpuMillis, kActivityMemoryBytes)
                   : fits(*c, r.cpu, r.memory, r.gpus);
  };
  co_return out;
}

asio::awaitable<void> KubeRuntime::ping() {
  co_await client_.get("/version");
}

asio::awaitable<bool> KubeRuntime::lead(std::string identity, std::chrono::seconds lease_duration) {
  const std::string& ns = options_.namespace_;
  const std::string name = lease_name(options_);
  const std::string path = group_path("coordination.k8s.io", "v1", ns, "leases", name);
  const auto now = clock_.now();
  json lease = co_await get_or_null(client_, path);
  if (lease.is_null()) {
    json body = {{"apiVersion", "coordination.k8s.io/v1"},
                 {"kind", "Lease"},
                 {"metadata", {{"name", name}, {"namespace", ns}}},
                 {"spec",
                  {{"holderIdentity", identity},
                   {"leaseDurationSeconds", lease_duration.count()},
                   {"acquireTime", micro_time(now)},
                   {"renewTime", micro_time(now)},
                   {"leaseTransitions", 0}}}};
    try {
      co_await client_.create(group_path("coordination.k8s.io", "v1", ns, "leases"),
                              std::move(body));
      co_return true;
    } catch (const KubeError& e) {
      if (e.code() == core::ErrorCode::conflict) {
        co_return false;  // another instance created it first
      }
      throw;
    }
  }
  json& spec = lease["spec"];
  const std::string holder = string_at(spec, "holderIdentity");
  const auto renewed = core::from_iso8601(string_at(spec, "renewTime"));
  std::int64_t duration = lease_duration.count();
  if (spec.contains("leaseDurationSeconds") && spec["leaseDurationSeconds"].is_number_integer()) {
    duration = spec["leaseDurationSeconds"].get<std::int64_t>();
  }
  const bool expired = !renewed || *renewed + std::chrono::seconds(duration) < now;
  if (holder != identity && !holder.empty() && !expired) {
    co_return false;
  }
  if (holder != identity) {
    spec["acquireTime"] = micro_time(now);
    std::int64_t transitions = 0;
    if (spec.contains("leaseTransitions") && spec["leaseTransitions"].is_number_integer()) {
      transitions = spec["leaseTransitions"].get<std::int64_t>();
    }
    spec["leaseTransitions"] = transitions + 1;
  }
  spec["holderIdentity"] = identity;
  spec["renewTime"] = micro_time(now);
  spec["leaseDurationSeconds"] = lease_duration.count();
  try {
    // Conditional on metadata.resourceVersion: two instances cannot both take it.
    co_await client_.replace(path, std::move(lease));
  } catch (const KubeError& e) {
    if (e.code() == core::ErrorCode::conflict) {
      co_return false;
    }
    throw;
  }
  co_return true;
}

}  // namespace neuropod::k8s
