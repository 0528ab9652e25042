#pragma once
// The PodRuntime on Kubernetes: each Neuropod pod is a Pod, a Service and an Ingress named
// resource_name(pod_id) in one namespace, mounting its user's workspace claim (see manifests.hpp).
// Leader election uses the Lease "neuropod-reconciler" in that namespace.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "k8s/client.hpp"
#include "runtime/pod_runtime.hpp"

namespace neuropod::k8s {

struct KubeRuntimeOptions {
  std::string namespace_ = "neuropod";
  std::string ingress_namespace = "ingress-nginx";
  std::vector<std::string> extra_denied_cidrs;
  std::int64_t fs_group = 1000;
  std::string auth_url;                         // ingress-nginx external auth (empty: none)
  std::string auth_signin;                      // where the ingress sends a browser without access
  std::vector<std::string> image_pull_secrets;  // every pod's (private registries)
  std::string access_service;                   // "name:port" reaching the API (see manifests.hpp)
  std::int64_t log_limit_bytes = 1 << 20;       // non-followed logs
  // Installation name (label neuropod.online/instance on every pod object, part of the Lease
  // name): installations sharing a namespace ignore each other's pods. Empty: none.
  std::string instance;
  // Each pod's activity container (manifests.hpp pod()): none unless image, url and token are set.
  // token(pod_id) is the pod's activity token (access::ActivityTokens::issue).
  std::string activity_image;
  std::string activity_url;
  std::function<std::string(const std::string& pod_id)> activity_token;
  std::int64_t activity_interval_s = 60;

  bool activity_enabled() const {
    return !activity_image.empty() && !activity_url.empty() && activity_token != nullptr;
  }
};

// "neuropod-reconciler[-<instance>]": the Lease the leader holds.
inline constexpr std::string_view kLeaseName = "neuropod-reconciler";

class KubeRuntime : public runtime::PodRuntime {
 public:
  // `client` and `clock` must outlive the runtime.
  KubeRuntime(KubeClient& client, const core::Clock& clock, KubeRuntimeOptions options);
  ~KubeRuntime() override;

  boost::asio::awaitable<void> prepare(std::vector<std::string> images) override;
  boost::asio::awaitable<runtime::StartResult> start(runtime::PodSpec spec) override;
  boost::asio::awaitable<bool> stop(std::string pod_id) override;
  boost::asio::awaitable<std::optional<runtime::Observation>> status(std::string pod_id) override;
  boost::asio::awaitable<std::vector<runtime::Observation>> list() override;
  boost::asio::awaitable<void> watch(runtime::WatchHandlers handlers,
                                     std::stop_token stop) override;
  boost::asio::awaitable<void> watch_events(
      std::function<void(const runtime::ProgressEvent&)> on_event, std::stop_token stop) override;
  boost::asio::awaitable<std::vector<runtime::ProgressEvent>> events(std::string pod_id) override;
  boost::asio::awaitable<void> logs(std::string pod_id, runtime::LogOptions options,
                                    std::function<void(std::string_view)> on_chunk,
                                    std::stop_token stop) override;
  boost::asio::awaitable<runtime::Capacity> capacity() override;
  boost::asio::awaitable<void> ping() override;
  boost::asio::awaitable<bool> lead(std::string identity,
                                    std::chrono::seconds lease_duration) override;

  // The claim a user's pods mount: workspace_claim_name(user_hash(user_id)) unless that claim
  // belongs to another user (hash collision): then "workspace-<user_id>". Creates it when missing.
  boost::asio::awaitable<std::string> ensure_workspace(std::string user_id, std::string size,
                                                       std::string storage_class);

 private:
  boost::asio::awaitable<runtime::StartResult> start_steps(runtime::PodSpec spec, bool& reached);

  struct State;
  KubeClient& client_;
  const core::Clock& clock_;
  KubeRuntimeOptions options_;
  std::unique_ptr<State> state_;
};

// A Kubernetes Pod object as an Observation (pod id and generation from its labels/annotations).
runtime::Observation observe(const nlohmann::json& pod);

}  // namespace neuropod::k8s
