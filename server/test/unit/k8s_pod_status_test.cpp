#include "k8s/pod_status.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace k8s = neuropod::k8s;

namespace {

// `kubectl get pod np-... -o json` of a ready ComfyUI pod on minikube (trimmed of managedFields).
json running_pod() {
  return json::parse(R"({
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {
    "annotations": {"neuropod.online/user-id": "65f1a2b3c4d5e6f708192a3c"},
    "creationTimestamp": "2024-05-02T09:14:03Z",
    "labels": {
      "app.kubernetes.io/managed-by": "neuropod",
      "neuropod.online/pod-id": "65f1a2b3c4d5e6f708192a3b",
      "neuropod.online/template": "comfyui",
      "neuropod.online/user": "k3x9a2"
    },
    "name": "np-65f1a2b3c4d5e6f708192a3b",
    "namespace": "neuropod",
    "resourceVersion": "48213",
    "uid": "0f6c3f0e-8a77-4d6b-9d8e-5b7a1c2d3e4f"
  },
  "spec": {
    "automountServiceAccountToken": false,
    "containers": [{
      "image": "ghcr.io/example/comfyui:1.0",
      "imagePullPolicy": "IfNotPresent",
      "name": "main",
      "ports": [{"containerPort": 8188, "name": "comfyui", "protocol": "TCP"}],
      "readinessProbe": {"failureThreshold": 3, "httpGet": {"path": "/", "port": 8188, "scheme": "HTTP"},
                         "periodSeconds": 5, "successThreshold": 1, "timeoutSeconds": 3},
      "resources": {"limits": {"cpu": "4", "memory": "16Gi"}, "requests": {"cpu": "4", "memory": "16Gi"}},
      "terminationMessagePath": "/dev/termination-log",
      "terminationMessagePolicy": "File",
      "volumeMounts": [{"mountPath": "/workspace", "name": "workspace"}]
    }],
    "dnsPolicy": "ClusterFirst",
    "enableServiceLinks": false,
    "nodeName": "minikube",
    "preemptionPolicy": "PreemptLowerPriority",
    "priority": 0,
    "restartPolicy": "Always",
    "schedulerName": "default-scheduler",
    "securityContext": {"fsGroup": 1000, "fsGroupChangePolicy": "OnRootMismatch"},
    "terminationGracePeriodSeconds": 30,
    "volumes": [{"name": "workspace", "persistentVolumeClaim": {"claimName": "workspace-k3x9a2"}}]
  },
  "status": {
    "conditions": [
      {"lastProbeTime": null, "lastTransitionTime": "2024-05-02T09:14:05Z", "status": "True", "type": "PodReadyToStartContainers"},
      {"lastProbeTime": null, "lastTransitionTime": "2024-05-02T09:14:03Z", "status": "True", "type": "Initialized"},
      {"lastProbeTime": null, "lastTransitionTime": "2024-05-02T09:15:10Z", "status": "True", "type": "Ready"},
      {"lastProbeTime": null, "lastTransitionTime": "2024-05-02T09:15:10Z", "status": "True", "type": "ContainersReady"},
      {"lastProbeTime": null, "lastTransitionTime": "2024-05-02T09:14:03Z", "status": "True", "type": "PodScheduled"}
    ],
    "containerStatuses": [{
      "containerID": "docker://4c1f0d7b2a9e8f6d5c4b3a291807f6e5d4c3b2a1908f7e6d5c4b3a2918070f6e",
      "image": "ghcr.io/example/comfyui:1.0",
      "imageID": "docker-pullable://ghcr.io/example/comfyui@sha256:7d4b0c6f1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4",
      "lastState": {},
      "name": "main",
      "ready": true,
      "restartCount": 0,
      "started": true,
      "state": {"running": {"startedAt": "2024-05-02T09:14:40Z"}}
    }],
    "hostIP": "192.168.49.2",
    "hostIPs": [{"ip": "192.168.49.2"}],
    "phase": "Running",
    "podIP": "10.244.0.17",
    "podIPs": [{"ip": "10.244.0.17"}],
    "qosClass": "Guaranteed",
    "startTime": "2024-05-02T09:14:03Z"
  }
})");
}

// The pod right after creation: accepted, not yet looked at by the scheduler.
json new_pod() {
  json p = running_pod();
  p["spec"].erase("nodeName");
  p["status"] = {{"phase", "Pending"}, {"qosClass", "Guaranteed"}};
  return p;
}

void set_condition(json& pod, const std::string& type, const std::string& status,
                   const std::string& reason = "", const std::string& message = "") {
  json c = {{"type", type},
            {"status", status},
            {"lastProbeTime", nullptr},
            {"lastTransitionTime", "2024-05-02T09:14:20Z"}};
  if (!reason.empty()) {
    c["reason"] = reason;
  }
  if (!message.empty()) {
    c["message"] = message;
  }
  json& conditions = pod["status"]["conditions"];
  if (!conditions.is_array()) {
    conditions = json::array();
  }
  for (json& existing : conditions) {
    if (existing["type"] == type) {
      existing = c;
      return;
    }
  }
  conditions.push_back(c);
}

// A scheduled pod whose container "main" is in `state`: phase Pending while it waits, Ready and
// ContainersReady False with reason ContainersNotReady, as the kubelet reports it.
json scheduled_pod(const json& state, const char* phase = "Pending") {
  json p = running_pod();
  p["status"]["phase"] = phase;
  set_condition(p, "Ready", "False", "ContainersNotReady",
                "containers with unready status: [main]");
  set_condition(p, "ContainersReady", "False", "ContainersNotReady",
                "containers with unready status: [main]");
  json& c = p["status"]["containerStatuses"][0];
  c["state"] = state;
  c["ready"] = false;
  c["started"] = false;
  if (state.contains("waiting")) {
    c.erase("containerID");
    c.erase("imageID");
  }
  return p;
}

json waiting(const std::string& reason, const std::string& message = "") {
  json w = {{"reason", reason}};
  if (!message.empty()) {
    w["message"] = message;
  }
  return {{"waiting", w}};
}

// A container that exited with `exit_code` (reason Error, OOMKilled, Completed) and is in
// CrashLoopBackOff after `restarts` restarts.
json crash_looping_pod(std::int64_t restarts, std::int64_t exit_code, const std::string& reason) {
  json p = scheduled_pod(waiting("CrashLoopBackOff",
                                 "back-off 2m40s restarting failed container=main "
                                 "pod=np-65f1a2b3c4d5e6f708192a3b_neuropod(0f6c3f0e)"),
                         "Running");
  json& c = p["status"]["containerStatuses"][0];
  c["restartCount"] = restarts;
  c["containerID"] = "docker://91c2";
  c["lastState"] = {{"terminated",
                     {{"containerID", "docker://91c2"},
                      {"exitCode", exit_code},
                      {"finishedAt", "2024-05-02T09:20:11Z"},
                      {"reason", reason},
                      {"startedAt", "2024-05-02T09:20:09Z"}}}};
  return p;
}

bool is_phase(const std::string& phase) {
  static constexpr std::array<std::string_view, 6> kPhases = {"pending",  "creating", "running",
                                                              "stopping", "stopped",  "failed"};
  return std::find(kPhases.begin(), kPhases.end(), phase) != kPhases.end();
}

}  // namespace

// ---- pod_state: running ------------------------------------------------------------------------

TEST(K8sPodState, RunningAndReady) {
  const k8s::PodState s = k8s::pod_state(running_pod());
  EXPECT_EQ(s.phase, "running");
  EXPECT_TRUE(s.ready);
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.reason, "");
  EXPECT_EQ(s.message, "");
  EXPECT_EQ(s.node, "minikube");
  EXPECT_EQ(s.restarts, 0);
}

TEST(K8sPodState, RunningButNotAnsweringYet) {
  json p = running_pod();
  set_condition(p, "Ready", "False", "ContainersNotReady",
                "containers with unready status: [main]");
  p["status"]["containerStatuses"][0]["ready"] = false;
  const k8s::PodState s = k8s::pod_state(p);
  EXPECT_EQ(s.phase, "running");
  EXPECT_FALSE(s.ready);
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.message, "");

  p["status"]["conditions"] = json::array();  // no Ready condition at all
  EXPECT_FALSE(k8s::pod_state(p).ready);
}

TEST(K8sPodState, KwokPodIsRunningAndReady) {
  // A pod on a kwok fake node: kwok fills the status like a kubelet, without container ids.
  const json p = json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "np-65f1a2b3c4d5e6f708192a3b", "namespace": "neuropod",
                 "creationTimestamp": "2024-05-02T09:14:03Z"},
    "spec": {"containers": [{"name": "main", "image": "ghcr.io/example/comfyui:1.0",
                             "resources": {"limits": {"nvidia.com/gpu": "1"}, "requests": {"nvidia.com/gpu": "1"}}}],
             "nodeName": "sandbox-gpu-0", "restartPolicy": "Always",
             "tolerations": [{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}]},
    "status": {
      "conditions": [
        {"lastProbeTime": null, "lastTransitionTime": "2024-05-02T09:14:04Z", "status": "True", "type": "Initialized"},
        {"lastProbeTime": null, "lastTransitionTime": "2024-05-02T09:14:04Z", "status": "True", "type": "Ready"},
        {"lastProbeTime": null, "lastTransitionTime": "2024-05-02T09:14:04Z", "status": "True", "type": "ContainersReady"},
        {"lastProbeTime": null, "lastTransitionTime": "2024-05-02T09:14:04Z", "status": "True", "type": "PodScheduled"}
      ],
      "containerStatuses": [{"image": "ghcr.io/example/comfyui:1.0", "name": "main", "ready": true,
                             "restartCount": 0, "state": {"running": {"startedAt": "2024-05-02T09:14:04Z"}}}],
      "hostIP": "10.0.0.1", "phase": "Running", "podIP": "10.0.0.1", "startTime": "2024-05-02T09:14:04Z"
    }
  })");
  const k8s::PodState s = k8s::pod_state(p);
  EXPECT_EQ(s.phase, "running");
  EXPECT_TRUE(s.ready);
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.node, "sandbox-gpu-0");
  EXPECT_EQ(s.reason, "");
}

TEST(K8sPodState, RunningAfterRunningOutOfMemory) {
  json p = running_pod();
  json& c = p["status"]["containerStatuses"][0];
  c["restartCount"] = 2;
  c["lastState"] = {{"terminated",
                     {{"exitCode", 137},
                      {"reason", "OOMKilled"},
                      {"startedAt", "2024-05-02T09:14:40Z"},
                      {"finishedAt", "2024-05-02T09:31:02Z"}}}};
  const k8s::PodState s = k8s::pod_state(p);
  EXPECT_EQ(s.phase, "running");
  EXPECT_TRUE(s.ready);
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.reason, "OOMKilled");
  EXPECT_THAT(s.message, HasSubstr("ran out of memory"));
  EXPECT_THAT(s.message, HasSubstr("restarted"));
  EXPECT_THAT(s.message, HasSubstr("2 restarts"));
  EXPECT_EQ(s.restarts, 2);

  // Restarted after an ordinary error: nothing to say.
  c["lastState"]["terminated"]["reason"] = "Error";
  c["lastState"]["terminated"]["exitCode"] = 1;
  const k8s::PodState e = k8s::pod_state(p);
  EXPECT_EQ(e.phase, "running");
  EXPECT_EQ(e.reason, "");
  EXPECT_EQ(e.message, "");
  EXPECT_EQ(e.restarts, 2);
}

TEST(K8sPodState, TerminatedWhileBeingRestarted) {
  const json exited = json::parse(R"({"terminated": {"containerID": "docker://91c2", "exitCode": 2,
      "finishedAt": "2024-05-02T09:20:11Z", "reason": "Error", "startedAt": "2024-05-02T09:20:09Z"}})");
  const k8s::PodState s = k8s::pod_state(scheduled_pod(exited, "Running"));
  EXPECT_EQ(s.phase, "running");
  EXPECT_FALSE(s.ready);
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.reason, "Error");
  EXPECT_THAT(s.message, HasSubstr("exit code 2"));
  EXPECT_THAT(s.message, HasSubstr("restarted"));

  json oom = exited;
  oom["terminated"]["reason"] = "OOMKilled";
  oom["terminated"]["exitCode"] = 137;
  const k8s::PodState o = k8s::pod_state(scheduled_pod(oom, "Running"));
  EXPECT_EQ(o.phase, "running");
  EXPECT_EQ(o.reason, "OOMKilled");
  EXPECT_THAT(o.message, HasSubstr("ran out of memory"));

  json completed = exited;
  completed["terminated"]["reason"] = "Completed";
  completed["terminated"]["exitCode"] = 0;
  const k8s::PodState d = k8s::pod_state(scheduled_pod(completed, "Running"));
  EXPECT_EQ(d.phase, "running");
  EXPECT_EQ(d.reason, "Completed");
  EXPECT_THAT(d.message, HasSubstr("exit code 0"));

  json bare = json::parse(R"({"terminated": {}})");
  const k8s::PodState b = k8s::pod_state(scheduled_pod(bare, "Running"));
  EXPECT_EQ(b.phase, "running");
  EXPECT_EQ(b.reason, "Error");
  EXPECT_FALSE(b.message.empty());
}

// ---- pod_state: crash loops --------------------------------------------------------------------

TEST(K8sPodState, CrashLoopIsRetriedAtFirst) {
  const k8s::PodState s = k8s::pod_state(crash_looping_pod(3, 1, "Error"));
  EXPECT_EQ(s.phase, "running");
  EXPECT_FALSE(s.ready);
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.reason, "CrashLoopBackOff");
  EXPECT_EQ(s.message, "The program keeps exiting (exit code 1, restarted 3 times); see the logs.");
  EXPECT_EQ(s.restarts, 3);

  EXPECT_EQ(k8s::pod_state(crash_looping_pod(1, 127, "Error")).message,
            "The program keeps exiting (exit code 127, restarted 1 time); see the logs.");
  json no_last = crash_looping_pod(2, 1, "Error");
  no_last["status"]["containerStatuses"][0]["lastState"] = json::object();
  EXPECT_EQ(k8s::pod_state(no_last).message,
            "The program keeps exiting (restarted 2 times); see the logs.");
}

TEST(K8sPodState, CrashLoopIsFatalFromFiveRestarts) {
  const k8s::PodState four = k8s::pod_state(crash_looping_pod(4, 1, "Error"));
  EXPECT_EQ(four.phase, "running");
  EXPECT_FALSE(four.fatal);

  const k8s::PodState five = k8s::pod_state(crash_looping_pod(k8s::kFatalRestarts, 1, "Error"));
  EXPECT_EQ(five.phase, "failed");
  EXPECT_TRUE(five.fatal);
  EXPECT_FALSE(five.ready);
  EXPECT_EQ(five.reason, "CrashLoopBackOff");
  EXPECT_EQ(five.message,
            "The program keeps exiting (exit code 1, restarted 5 times); see the logs.");
  EXPECT_EQ(five.restarts, 5);
}

TEST(K8sPodState, CrashLoopOutOfMemory) {
  const k8s::PodState s = k8s::pod_state(crash_looping_pod(2, 137, "OOMKilled"));
  EXPECT_EQ(s.phase, "running");
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.reason, "OOMKilled");
  EXPECT_THAT(s.message, HasSubstr("out of memory"));
  EXPECT_THAT(s.message, HasSubstr("restarted 2 times"));

  const k8s::PodState f = k8s::pod_state(crash_looping_pod(6, 137, "OOMKilled"));
  EXPECT_EQ(f.phase, "failed");
  EXPECT_TRUE(f.fatal);
  EXPECT_EQ(f.reason, "OOMKilled");
  EXPECT_THAT(f.message, HasSubstr("out of memory"));
}

// ---- pod_state: creating and image or container errors -----------------------------------------

TEST(K8sPodState, CreatingWhileTheImageIsPulled) {
  const k8s::PodState s = k8s::pod_state(scheduled_pod(waiting("ContainerCreating")));
  EXPECT_EQ(s.phase, "creating");
  EXPECT_FALSE(s.ready);
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.reason, "");
  EXPECT_EQ(s.message, "");
  EXPECT_EQ(s.node, "minikube");

  EXPECT_EQ(k8s::pod_state(scheduled_pod(waiting("PodInitializing"))).phase, "creating");
  EXPECT_EQ(k8s::pod_state(scheduled_pod(json::parse(R"({"waiting": {}})"))).phase, "creating");
  EXPECT_EQ(k8s::pod_state(scheduled_pod(json::object())).phase, "creating");
}

TEST(K8sPodState, CreatingBeforeTheKubeletReports) {
  // Bound by the scheduler; the kubelet has not written container statuses yet.
  json p = new_pod();
  p["spec"]["nodeName"] = "minikube";
  set_condition(p, "PodScheduled", "True");
  const k8s::PodState s = k8s::pod_state(p);
  EXPECT_EQ(s.phase, "creating");
  EXPECT_EQ(s.node, "minikube");
  EXPECT_EQ(s.reason, "");
  EXPECT_EQ(s.restarts, 0);
}

TEST(K8sPodState, PassingPullFailuresAreRetriedNotFatal) {
  for (const char* detail :
       {"rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/"
        "ubuntu:24.04\": 429 Too Many Requests - Server message: toomanyrequests: You have "
        "reached your pull rate limit.",
        "rpc error: code = Unknown desc = Get \"https://registry-1.docker.io/v2/\": net/http: "
        "TLS handshake timeout",
        "dial tcp 1.2.3.4:443: i/o timeout"}) {
    const k8s::PodState s = k8s::pod_state(scheduled_pod(waiting("ErrImagePull", detail)));
    EXPECT_EQ(s.phase, "creating") << detail;
    EXPECT_FALSE(s.fatal) << detail;
    EXPECT_EQ(s.reason, "ErrImagePull");
    EXPECT_NE(s.message.find("retried"), std::string::npos) << s.message;
  }
  // "not found" / "denied" stay fatal (see below), and so does a registry that does not exist.
  const k8s::PodState dns = k8s::pod_state(
      scheduled_pod(waiting("ErrImagePull", "dial tcp: lookup registry.invalid: no such host")));
  EXPECT_TRUE(dns.fatal);
}

TEST(K8sPodState, ImageThatCannotBeDownloadedIsFatal) {
  const k8s::PodState pull = k8s::pod_state(
      scheduled_pod(waiting("ErrImagePull",
                            "rpc error: code = NotFound desc = failed to pull and unpack image "
                            "\"ghcr.io/example/comfyui:1.0\": failed to resolve reference "
                            "\"ghcr.io/example/comfyui:1.0\": "
                            "ghcr.io/example/comfyui:1.0: not found")));
  EXPECT_EQ(pull.phase, "failed");
  EXPECT_TRUE(pull.fatal);
  EXPECT_FALSE(pull.ready);
  EXPECT_EQ(pull.reason, "ErrImagePull");
  EXPECT_EQ(pull.message,
            "The image ghcr.io/example/comfyui:1.0 could not be downloaded: failed to pull and "
            "unpack image \"ghcr.io/example/comfyui:1.0\": failed to resolve reference "
            "\"ghcr.io/example/comfyui:1.0\": ghcr.io/example/comfyui:1.0: not found.");

  const k8s::PodState backoff = k8s::pod_state(scheduled_pod(
      waiting("ImagePullBackOff", "Back-off pulling image \"ghcr.io/example/comfyui:1.0\"")));
  EXPECT_EQ(backoff.phase, "failed");
  EXPECT_TRUE(backoff.fatal);
  EXPECT_EQ(backoff.reason, "ImagePullBackOff");
  EXPECT_EQ(backoff.message,
            "The image ghcr.io/example/comfyui:1.0 could not be downloaded: Back-off pulling image "
            "\"ghcr.io/example/comfyui:1.0\".");

  for (const char* reason : {"ErrImageNeverPull", "RegistryUnavailable"}) {
    const k8s::PodState s = k8s::pod_state(scheduled_pod(waiting(reason)));
    EXPECT_EQ(s.phase, "failed") << reason;
    EXPECT_TRUE(s.fatal) << reason;
    EXPECT_EQ(s.reason, reason);
    EXPECT_EQ(s.message, "The image ghcr.io/example/comfyui:1.0 could not be downloaded.");
  }
}

TEST(K8sPodState, InvalidImageName) {
  json p =
      scheduled_pod(waiting("InvalidImageName",
                            "Failed to apply default image tag \"Ubuntu Latest\": couldn't "
                            "parse image reference \"Ubuntu Latest\": invalid reference format"));
  p["spec"]["containers"][0]["image"] = "Ubuntu Latest";
  p["status"]["containerStatuses"][0]["image"] = "Ubuntu Latest";
  const k8s::PodState s = k8s::pod_state(p);
  EXPECT_EQ(s.phase, "failed");
  EXPECT_TRUE(s.fatal);
  EXPECT_EQ(s.reason, "InvalidImageName");
  EXPECT_EQ(s.message, "The image Ubuntu Latest is not a valid image name.");
}

TEST(K8sPodState, ImageNameComesFromTheSpecWhenTheStatusHasNone) {
  json p = scheduled_pod(waiting("ErrImagePull", "pull access denied"));
  p["status"]["containerStatuses"][0].erase("image");
  p["spec"]["containers"][0]["image"] = "docker.io/someone/private:2";
  EXPECT_EQ(k8s::pod_state(p).message,
            "The image docker.io/someone/private:2 could not be downloaded: pull access denied.");
}

TEST(K8sPodState, ContainerThatCannotBeCreatedIsFatal) {
  const k8s::PodState config = k8s::pod_state(
      scheduled_pod(waiting("CreateContainerConfigError", "secret \"hf-token\" not found")));
  EXPECT_EQ(config.phase, "failed");
  EXPECT_TRUE(config.fatal);
  EXPECT_EQ(config.reason, "CreateContainerConfigError");
  EXPECT_THAT(config.message, HasSubstr("secret \"hf-token\" not found"));

  const k8s::PodState create = k8s::pod_state(scheduled_pod(waiting(
      "CreateContainerError",
      "Error response from daemon: create /var/lib/neuropod: \"/var/lib/neuropod\" includes "
      "invalid characters for a local volume name")));
  EXPECT_EQ(create.phase, "failed");
  EXPECT_TRUE(create.fatal);
  EXPECT_EQ(create.reason, "CreateContainerError");
  EXPECT_THAT(create.message, StartsWith("The container could not be created: Error response"));

  const k8s::PodState run = k8s::pod_state(scheduled_pod(
      waiting("RunContainerError",
              "failed to start container \"4c1f\": Error response from daemon: failed to create "
              "task for container: failed to create shim task: OCI runtime create failed: runc "
              "create failed: unable to start container process: exec: \"comfy\": executable file "
              "not found in $PATH: unknown"),
      "Running"));
  EXPECT_EQ(run.phase, "failed");
  EXPECT_TRUE(run.fatal);
  EXPECT_EQ(run.reason, "RunContainerError");
  EXPECT_THAT(run.message, StartsWith("The program could not be started: failed to start"));
  EXPECT_THAT(run.message, HasSubstr("executable file not found"));
}

TEST(K8sPodState, OtherWaitingReasonsAreStillCreating) {
  const k8s::PodState s = k8s::pod_state(
      scheduled_pod(waiting("SomethingNew", "rpc error: code = Unknown desc = x y")));
  EXPECT_EQ(s.phase, "creating");
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.reason, "SomethingNew");
  EXPECT_EQ(s.message, "Waiting to start (SomethingNew: x y).");
}

TEST(K8sPodState, MainContainerIsPreferredAndOthersAreChecked) {
  json p = running_pod();
  json sidecar = p["status"]["containerStatuses"][0];
  sidecar["name"] = "log-shipper";
  sidecar["image"] = "fluent/fluent-bit:3.0";
  sidecar["restartCount"] = 4;
  sidecar["state"] = {{"waiting", {{"reason", "ContainerCreating"}}}};
  p["status"]["containerStatuses"].insert(p["status"]["containerStatuses"].begin(), sidecar);
  p["status"]["containerStatuses"][1]["restartCount"] = 1;
  const k8s::PodState s = k8s::pod_state(p);
  EXPECT_EQ(s.phase, "running");  // from "main", not from the first status
  EXPECT_EQ(s.restarts, 1);

  // A second container whose image cannot be had keeps the pod from ever being ready.
  p["status"]["containerStatuses"][0]["state"] = waiting("ImagePullBackOff", "Back-off pulling");
  const k8s::PodState f = k8s::pod_state(p);
  EXPECT_EQ(f.phase, "failed");
  EXPECT_TRUE(f.fatal);
  EXPECT_THAT(f.message, HasSubstr("fluent/fluent-bit:3.0"));

  // Without a "main": the first container decides and restarts are summed.
  p["status"]["containerStatuses"][0]["state"] = waiting("ContainerCreating");
  p["status"]["containerStatuses"][1]["name"] = "app";
  const k8s::PodState first = k8s::pod_state(p);
  EXPECT_EQ(first.phase, "creating");
  EXPECT_EQ(first.restarts, 5);
}

// ---- pod_state: init containers ----------------------------------------------------------------

TEST(K8sPodState, InitContainers) {
  json p = scheduled_pod(waiting("PodInitializing"));
  set_condition(p, "Initialized", "False", "ContainersNotInitialized",
                "containers with incomplete status: [fetch-models]");
  p["spec"]["initContainers"] =
      json::array({{{"name", "fetch-models"}, {"image", "ghcr.io/example/fetch:2"}}});
  json init = {{"name", "fetch-models"},
               {"image", "ghcr.io/example/fetch:2"},
               {"ready", false},
               {"restartCount", 0},
               {"lastState", json::object()},
               {"state", {{"running", {{"startedAt", "2024-05-02T09:14:10Z"}}}}}};
  p["status"]["initContainerStatuses"] = json::array({init});
  const k8s::PodState running = k8s::pod_state(p);
  EXPECT_EQ(running.phase, "creating");
  EXPECT_FALSE(running.fatal);
  EXPECT_EQ(running.reason, "");

  // The init container's image cannot be downloaded.
  p["status"]["initContainerStatuses"][0]["state"] =
      waiting("ErrImagePull", "rpc error: code = Unknown desc = failed to pull: denied");
  p["status"]["initContainerStatuses"][0].erase("image");  // found in spec.initContainers
  const k8s::PodState pull = k8s::pod_state(p);
  EXPECT_EQ(pull.phase, "failed");
  EXPECT_TRUE(pull.fatal);
  EXPECT_EQ(pull.reason, "ErrImagePull");
  EXPECT_EQ(pull.message,
            "The image ghcr.io/example/fetch:2 could not be downloaded: failed to pull: denied.");

  // It keeps failing: creating, then given up on.
  p["status"]["initContainerStatuses"][0]["state"] = waiting("CrashLoopBackOff");
  p["status"]["initContainerStatuses"][0]["restartCount"] = 2;
  p["status"]["initContainerStatuses"][0]["lastState"] = {
      {"terminated", {{"exitCode", 3}, {"reason", "Error"}}}};
  const k8s::PodState loop = k8s::pod_state(p);
  EXPECT_EQ(loop.phase, "creating");
  EXPECT_FALSE(loop.fatal);
  EXPECT_EQ(loop.reason, "CrashLoopBackOff");
  EXPECT_THAT(loop.message, HasSubstr("exit code 3, restarted 2 times"));
  EXPECT_EQ(loop.restarts, 0);  // the main container's

  p["status"]["initContainerStatuses"][0]["restartCount"] = 5;
  const k8s::PodState given_up = k8s::pod_state(p);
  EXPECT_EQ(given_up.phase, "failed");
  EXPECT_TRUE(given_up.fatal);

  // Done: the main container decides again.
  json done = running_pod();
  init["state"] = {{"terminated", {{"exitCode", 0}, {"reason", "Completed"}}}};
  done["status"]["initContainerStatuses"] = json::array({init});
  EXPECT_EQ(k8s::pod_state(done).phase, "running");
  EXPECT_TRUE(k8s::pod_state(done).ready);
}

// ---- pod_state: scheduling ---------------------------------------------------------------------

TEST(K8sPodState, PendingUntilScheduled) {
  const k8s::PodState s = k8s::pod_state(new_pod());
  EXPECT_EQ(s.phase, "pending");
  EXPECT_FALSE(s.ready);
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.reason, "");
  EXPECT_EQ(s.message, "");
  EXPECT_EQ(s.node, "");

  json gated = new_pod();
  set_condition(gated, "PodScheduled", "False", "SchedulingGated", "Scheduling is blocked");
  EXPECT_EQ(k8s::pod_state(gated).phase, "pending");
  EXPECT_EQ(k8s::pod_state(gated).reason, "");
}

TEST(K8sPodState, WaitingForCpuOrMemory) {
  json p = new_pod();
  const std::string message =
      "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint "
      "{nvidia.com/gpu: present}. preemption: 0/2 nodes are available: 1 No preemption victims "
      "found for incoming pod, 1 Preemption is not helpful for scheduling.";
  set_condition(p, "PodScheduled", "False", "Unschedulable", message);
  const k8s::PodState s = k8s::pod_state(p);
  EXPECT_EQ(s.phase, "pending");  // a CPU pod: the GPU node's taint is not a GPU shortage
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.reason, "Unschedulable");
  EXPECT_EQ(s.message, "Waiting for free CPU or memory: " + message);

  set_condition(p, "PodScheduled", "False", "Unschedulable",
                "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are "
                "available: 1 No preemption victims found for incoming pod..");
  EXPECT_EQ(k8s::pod_state(p).message,
            "Waiting for free CPU or memory: 0/1 nodes are available: 1 Insufficient memory. "
            "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming "
            "pod.");
}

TEST(K8sPodState, NoFreeGpuIsFatal) {
  json p = new_pod();
  set_condition(p, "PodScheduled", "False", "Unschedulable",
                "0/2 nodes are available: 2 Insufficient nvidia.com/gpu. preemption: 0/2 nodes are "
                "available: 2 No preemption victims found for incoming pod.");
  const k8s::PodState s = k8s::pod_state(p);
  EXPECT_EQ(s.phase, "failed");
  EXPECT_TRUE(s.fatal);
  EXPECT_FALSE(s.ready);
  EXPECT_EQ(s.reason, "Unschedulable");
  EXPECT_EQ(s.message,
            "No GPU is free right now (the cluster has none of the kind requested free); try "
            "again later or with fewer GPUs.");
  EXPECT_EQ(s.node, "");

  set_condition(p, "PodScheduled", "False", "Unschedulable",
                "0/3 nodes are available: 1 Insufficient cpu, 2 Insufficient nvidia.com/gpu.");
  EXPECT_EQ(k8s::pod_state(p).phase, "failed");
}

// ---- pod_state: finished and stopping ----------------------------------------------------------

TEST(K8sPodState, StoppingWinsOverEverything) {
  json p = running_pod();
  p["metadata"]["deletionTimestamp"] = "2024-05-02T10:00:00Z";
  p["metadata"]["deletionGracePeriodSeconds"] = 30;
  const k8s::PodState s = k8s::pod_state(p);
  EXPECT_EQ(s.phase, "stopping");
  EXPECT_FALSE(s.ready);
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.reason, "");
  EXPECT_EQ(s.message, "");
  EXPECT_EQ(s.node, "minikube");

  json failed = crash_looping_pod(9, 1, "Error");
  failed["metadata"]["deletionTimestamp"] = "2024-05-02T10:00:00Z";
  EXPECT_EQ(k8s::pod_state(failed).phase, "stopping");
  EXPECT_EQ(k8s::pod_state(failed).restarts, 9);

  json pending = new_pod();
  pending["metadata"]["deletionTimestamp"] = "2024-05-02T10:00:00Z";
  EXPECT_EQ(k8s::pod_state(pending).phase, "stopping");

  p["metadata"]["deletionTimestamp"] = nullptr;  // null is absent
  EXPECT_EQ(k8s::pod_state(p).phase, "running");
}

TEST(K8sPodState, EvictedPodFailed) {
  json p = running_pod();
  p["status"] = json::parse(R"({
    "message": "The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki. Container main was using 15Gi, request is 16Gi, has larger consumption of memory. ",
    "phase": "Failed",
    "reason": "Evicted",
    "startTime": "2024-05-02T09:14:03Z"
  })");
  const k8s::PodState s = k8s::pod_state(p);
  EXPECT_EQ(s.phase, "failed");
  EXPECT_TRUE(s.fatal);
  EXPECT_FALSE(s.ready);
  EXPECT_EQ(s.reason, "Evicted");
  EXPECT_EQ(s.message,
            "The node ran short of resources and stopped the pod: The node was low on resource: "
            "memory. Threshold quantity: 100Mi, available: 51200Ki. Container main was using "
            "15Gi, request is 16Gi, has larger consumption of memory.");
  EXPECT_EQ(s.node, "minikube");
}

TEST(K8sPodState, FailedPodWithoutReason) {
  json p = running_pod();
  p["status"]["phase"] = "Failed";
  p["status"]["containerStatuses"][0]["state"] = {
      {"terminated",
       {{"exitCode", 3}, {"reason", "Error"}, {"finishedAt", "2024-05-02T09:20:11Z"}}}};
  const k8s::PodState s = k8s::pod_state(p);
  EXPECT_EQ(s.phase, "failed");
  EXPECT_TRUE(s.fatal);
  EXPECT_EQ(s.reason, "Error");
  EXPECT_EQ(s.message, "The program exited with code 3.");

  p["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] = "OOMKilled";
  EXPECT_EQ(k8s::pod_state(p).reason, "OOMKilled");
  EXPECT_EQ(k8s::pod_state(p).message, "The program ran out of memory.");

  // Rejected by the kubelet at admission, with Kubernetes' words.
  json rejected = running_pod();
  rejected["status"] = {{"phase", "Failed"},
                        {"reason", "OutOfcpu"},
                        {"message",
                         "Pod was rejected: Node didn't have enough resource: cpu, requested: "
                         "4000, used: 7000, capacity: 8000"}};
  const k8s::PodState r = k8s::pod_state(rejected);
  EXPECT_EQ(r.phase, "failed");
  EXPECT_EQ(r.reason, "OutOfcpu");
  EXPECT_EQ(r.message,
            "Kubernetes stopped the pod: Pod was rejected: Node didn't have enough resource: cpu, "
            "requested: 4000, used: 7000, capacity: 8000.");

  json bare = json::parse(R"({"status": {"phase": "Failed"}})");
  EXPECT_EQ(k8s::pod_state(bare).reason, "Error");
  EXPECT_EQ(k8s::pod_state(bare).message, "The pod stopped with an error.");
  EXPECT_TRUE(k8s::pod_state(bare).fatal);
}

TEST(K8sPodState, SucceededPodStopped) {
  json p = running_pod();
  p["status"]["phase"] = "Succeeded";
  set_condition(p, "Ready", "False", "PodCompleted");
  p["status"]["containerStatuses"][0]["state"] = {
      {"terminated", {{"exitCode", 0}, {"reason", "Completed"}}}};
  const k8s::PodState s = k8s::pod_state(p);
  EXPECT_EQ(s.phase, "stopped");
  EXPECT_FALSE(s.ready);
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.reason, "Completed");
  EXPECT_EQ(s.message, "The program exited.");
}

// ---- pod_state: robustness ---------------------------------------------------------------------

TEST(K8sPodState, OddObjectsNeverThrow) {
  for (
      const char* text : {
          "null",
          "[]",
          "\"Pod\"",
          "42",
          "{}",
          R"({"metadata": [], "spec": 1, "status": "x"})",
          R"({"spec": {"nodeName": 7}, "status": {"phase": 3, "conditions": "x"}})",
          R"({"spec": {"nodeName": "n"}, "status": {"containerStatuses": "x", "initContainerStatuses": 5}})",
          R"({"spec": {"nodeName": "n"}, "status": {"containerStatuses": [null, 3, "x"]}})",
          R"({"spec": {"nodeName": "n"}, "status": {"containerStatuses": [{"name": "main", "restartCount": "7",
               "state": {"waiting": "x"}, "lastState": 3}]}})",
          R"({"spec": {"nodeName": "n"}, "status": {"containerStatuses": [{"name": "main", "restartCount": -4,
               "state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"exitCode": "1"}}}]}})",
          R"({"spec": {"nodeName": "n"}, "status": {"containerStatuses": [{"name": "main", "restartCount": 1.5,
               "image": 5, "state": {"waiting": {"reason": "ErrImagePull", "message": 1}}}]}})",
          R"({"spec": {"containers": "x"}, "status": {"containerStatuses": [{"name": "main",
               "state": {"waiting": {"reason": "ErrImagePull"}}}]}})",
          R"({"status": {"conditions": [null, {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": ["x"]}]}})",
          R"({"metadata": {"deletionTimestamp": 0}})",
          R"({"status": {"phase": "Failed", "reason": 3, "message": {}}})",
          R"({"status": {"containerStatuses": [{"name": "main", "restartCount": 18446744073709551615}]}})",
      }) {
    const json pod = json::parse(text);
    k8s::PodState s;
    ASSERT_NO_THROW(s = k8s::pod_state(pod)) << text;
    EXPECT_TRUE(is_phase(s.phase)) << text << " -> " << s.phase;
    EXPECT_GE(s.restarts, 0) << text;
  }
  const k8s::PodState unschedulable = k8s::pod_state(json::parse(
      R"({"status": {"conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}})"));
  EXPECT_EQ(unschedulable.phase, "pending");
  EXPECT_EQ(unschedulable.message, "Waiting for free CPU or memory.");
  EXPECT_EQ(k8s::pod_state(json::parse(R"({"status": {"containerStatuses": [
      {"name": "main", "restartCount": 18446744073709551615}]}})"))
                .restarts,
            std::numeric_limits<std::int64_t>::max());
}

// ---- pod_event ---------------------------------------------------------------------------------

namespace {

// A core/v1 Event written by the kubelet (`kubectl get events -o json`).
json kubelet_event(const std::string& reason, const std::string& message,
                   const std::string& type = "Normal") {
  return {{"apiVersion", "v1"},
          {"kind", "Event"},
          {"count", 1},
          {"eventTime", nullptr},
          {"firstTimestamp", "2024-05-02T09:14:05Z"},
          {"involvedObject",
           {{"apiVersion", "v1"},
            {"fieldPath", "spec.containers{main}"},
            {"kind", "Pod"},
            {"name", "np-65f1a2b3c4d5e6f708192a3b"},
            {"namespace", "neuropod"},
            {"resourceVersion", "48190"},
            {"uid", "0f6c3f0e-8a77-4d6b-9d8e-5b7a1c2d3e4f"}}},
          {"lastTimestamp", "2024-05-02T09:14:05Z"},
          {"message", message},
          {"metadata",
           {{"creationTimestamp", "2024-05-02T09:14:05Z"},
            {"name", "np-65f1a2b3c4d5e6f708192a3b.17cb9a1e2f3d4c5b"},
            {"namespace", "neuropod"},
            {"resourceVersion", "48199"},
            {"uid", "5e1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}}},
          {"reason", reason},
          {"reportingComponent", "kubelet"},
          {"reportingInstance", "minikube"},
          {"source", {{"component", "kubelet"}, {"host", "minikube"}}},
          {"type", type}};
}

std::string text_of(const std::string& reason, const std::string& message,
                    const std::string& type = "Normal") {
  const std::optional<k8s::PodEventInfo> e = k8s::pod_event(kubelet_event(reason, message, type));
  return e ? e->text : "<nullopt>";
}

}  // namespace

TEST(K8sPodEvent, KubeletEvent) {
  json ev = kubelet_event("Pulling", "Pulling image \"ghcr.io/x/y:1\"");
  ev["count"] = 3;
  ev["lastTimestamp"] = "2024-05-02T09:16:00Z";
  const std::optional<k8s::PodEventInfo> e = k8s::pod_event(ev);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->pod_name, "np-65f1a2b3c4d5e6f708192a3b");
  EXPECT_EQ(e->type, "Normal");
  EXPECT_EQ(e->reason, "Pulling");
  EXPECT_EQ(e->message, "Pulling image \"ghcr.io/x/y:1\"");
  EXPECT_EQ(e->text, "Downloading the image ghcr.io/x/y:1");
  EXPECT_EQ(e->time, "2024-05-02T09:16:00Z");
  EXPECT_EQ(e->count, 3);
}

TEST(K8sPodEvent, SchedulerEventWithEventTime) {
  // The scheduler records through events.k8s.io: in core/v1 it has eventTime, no timestamps.
  const json ev = json::parse(R"({
    "action": "Binding", "apiVersion": "v1", "kind": "Event",
    "eventTime": "2024-05-02T09:14:03.512345Z", "firstTimestamp": null, "lastTimestamp": null,
    "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "np-65f1a2b3c4d5e6f708192a3b",
                       "namespace": "neuropod", "resourceVersion": "48180", "uid": "0f6c3f0e"},
    "message": "Successfully assigned neuropod/np-65f1a2b3c4d5e6f708192a3b to sandbox-gpu-0",
    "metadata": {"creationTimestamp": "2024-05-02T09:14:04Z", "name": "np-65f1a2b3c4d5e6f708192a3b.17cb9a1d",
                 "namespace": "neuropod"},
    "reason": "Scheduled", "reportingComponent": "default-scheduler",
    "reportingInstance": "default-scheduler-minikube", "source": {}, "type": "Normal"
  })");
  const std::optional<k8s::PodEventInfo> e = k8s::pod_event(ev);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->text, "Placed on node sandbox-gpu-0");
  EXPECT_EQ(e->time, "2024-05-02T09:14:03.512345Z");
  EXPECT_EQ(e->count, 1);
}

TEST(K8sPodEvent, SeriesCountAndTime) {
  json ev = kubelet_event("BackOff",
                          "Back-off restarting failed container main in pod "
                          "np-65f1a2b3c4d5e6f708192a3b_neuropod(0f6c3f0e)",
                          "Warning");
  ev.erase("count");
  ev["lastTimestamp"] = nullptr;
  ev["eventTime"] = "2024-05-02T09:20:00.000001Z";
  ev["series"] = {{"count", 12}, {"lastObservedTime", "2024-05-02T09:31:40.123456Z"}};
  const std::optional<k8s::PodEventInfo> e = k8s::pod_event(ev);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->count, 12);
  EXPECT_EQ(e->time, "2024-05-02T09:31:40.123456Z");
  EXPECT_EQ(e->type, "Warning");
  EXPECT_EQ(e->text, "The program keeps exiting; waiting before restarting it");
}

TEST(K8sPodEvent, EventsApiShape) {
  const json ev = json::parse(R"({
    "apiVersion": "events.k8s.io/v1", "kind": "Event",
    "metadata": {"name": "np-65f1a2b3c4d5e6f708192a3b.17cb9a1e", "namespace": "neuropod",
                 "creationTimestamp": "2024-05-02T09:14:05Z"},
    "eventTime": null,
    "reportingController": "kubelet", "reportingInstance": "minikube",
    "action": "", "reason": "Pulled",
    "regarding": {"kind": "Pod", "namespace": "neuropod", "name": "np-65f1a2b3c4d5e6f708192a3b",
                  "uid": "0f6c3f0e", "apiVersion": "v1", "fieldPath": "spec.containers{main}"},
    "note": "Successfully pulled image \"ghcr.io/x/y:1\" in 41.2s (41.2s including waiting). Image size: 5230117887 bytes.",
    "type": "Normal",
    "deprecatedSource": {"component": "kubelet", "host": "minikube"},
    "deprecatedFirstTimestamp": "2024-05-02T09:14:46Z",
    "deprecatedLastTimestamp": "2024-05-02T09:14:46Z",
    "deprecatedCount": 2
  })");
  const std::optional<k8s::PodEventInfo> e = k8s::pod_event(ev);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->pod_name, "np-65f1a2b3c4d5e6f708192a3b");
  EXPECT_EQ(e->message, ev["note"].get<std::string>());
  EXPECT_EQ(e->text, "Downloaded the image ghcr.io/x/y:1");
  EXPECT_EQ(e->time, "2024-05-02T09:14:46Z");
  EXPECT_EQ(e->count, 2);
}

TEST(K8sPodEvent, TimeFallsBackToCreation) {
  json ev = kubelet_event("Started", "Started container main");
  ev["lastTimestamp"] = nullptr;
  ev["firstTimestamp"] = nullptr;
  EXPECT_EQ(k8s::pod_event(ev)->time, "2024-05-02T09:14:05Z");
  ev["metadata"].erase("creationTimestamp");
  EXPECT_EQ(k8s::pod_event(ev)->time, "");
  ev.erase("count");
  EXPECT_EQ(k8s::pod_event(ev)->count, 1);
  ev["count"] = 0;
  EXPECT_EQ(k8s::pod_event(ev)->count, 1);
}

TEST(K8sPodEvent, ImageProgressInPlainWords) {
  EXPECT_EQ(text_of("Pulled", "Container image \"ghcr.io/x/y:1\" already present on machine"),
            "The image ghcr.io/x/y:1 is already on the node");
  EXPECT_EQ(text_of("Pulled",
                    "Successfully pulled image \"ubuntu:24.04\" in 2.1s (2.1s including "
                    "waiting)"),
            "Downloaded the image ubuntu:24.04");
  EXPECT_EQ(text_of("Failed",
                    "Failed to pull image \"ghcr.io/x/y:9\": rpc error: code = NotFound desc = "
                    "failed to pull and unpack image \"ghcr.io/x/y:9\": not found",
                    "Warning"),
            "Could not download the image ghcr.io/x/y:9: failed to pull and unpack image "
            "\"ghcr.io/x/y:9\": not found");
  EXPECT_EQ(text_of("Failed", "Error: ErrImagePull", "Warning"), "Could not download the image");
  EXPECT_EQ(text_of("Failed", "Error: ImagePullBackOff", "Warning"),
            "Still cannot download the image; retrying later");
  EXPECT_EQ(text_of("Failed", "Error: InvalidImageName", "Warning"), "The image name is not valid");
  EXPECT_EQ(text_of("InspectFailed",
                    "Failed to apply default image tag \"Bad Image\": couldn't parse image "
                    "reference \"Bad Image\": invalid reference format",
                    "Warning"),
            "Failed to apply default image tag \"Bad Image\": couldn't parse image reference "
            "\"Bad Image\": invalid reference format");
  EXPECT_EQ(text_of("BackOff", "Back-off pulling image \"ghcr.io/x/y:9\"", "Normal"),
            "Waiting before trying again to download the image ghcr.io/x/y:9");
}

TEST(K8sPodEvent, ContainerLifecycleInPlainWords) {
  EXPECT_EQ(text_of("Created", "Created container main"), "Created the container");
  EXPECT_EQ(text_of("Created", "Created container: main"), "Created the container");
  EXPECT_EQ(text_of("Started", "Started container main"), "Started the program");
  EXPECT_EQ(text_of("Killing", "Stopping container main"), "Stopping the program");
  EXPECT_EQ(text_of("Failed", "Error: secret \"hf-token\" not found", "Warning"),
            "Could not start the container: secret \"hf-token\" not found");
  EXPECT_EQ(text_of("Unhealthy",
                    "Readiness probe failed: Get \"http://10.244.0.17:8188/\": dial tcp "
                    "10.244.0.17:8188: connect: connection refused",
                    "Warning"),
            "Not answering on its port yet");
  EXPECT_EQ(text_of("Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500",
                    "Warning"),
            "Not answering its health check");
  EXPECT_EQ(text_of("Evicted", "The node was low on resource: memory. ", "Warning"),
            "Stopped by its node for lack of resources: The node was low on resource: memory");
  EXPECT_EQ(text_of("Preempted", "Preempted by pod 1b2c on node sandbox-gpu-0", "Normal"),
            "Stopped to make room for a more important pod");
  EXPECT_EQ(text_of("FailedCreatePodSandBox",
                    "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to "
                    "setup network for sandbox \"4c1f\": plugin type=\"calico\" failed",
                    "Warning"),
            "Could not set up the pod's network: Failed to create pod sandbox: rpc error: code = "
            "Unknown desc = failed to setup network for sandbox \"4c1f\": plugin "
            "type=\"calico\" failed");
}

TEST(K8sPodEvent, SchedulingInPlainWords) {
  EXPECT_EQ(text_of("FailedScheduling",
                    "0/2 nodes are available: 2 Insufficient nvidia.com/gpu. preemption: 0/2 nodes "
                    "are available: 2 No preemption victims found for incoming pod.",
                    "Warning"),
            "Waiting for a free GPU");
  EXPECT_EQ(text_of("FailedScheduling",
                    "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint "
                    "{nvidia.com/gpu: present}.",
                    "Warning"),
            "Waiting for free CPU");
  EXPECT_EQ(
      text_of("FailedScheduling", "0/1 nodes are available: 1 Insufficient memory.", "Warning"),
      "Waiting for free memory");
  EXPECT_EQ(
      text_of("FailedScheduling",
              "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.", "Warning"),
      "Waiting for free CPU and memory");
  EXPECT_EQ(text_of("FailedScheduling",
                    "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
                    "preemption: 0/1 nodes are available: 1 Preemption is not helpful for "
                    "scheduling.",
                    "Warning"),
            "Waiting for the workspace volume");
  EXPECT_EQ(text_of("FailedScheduling", "0/1 nodes are available: 1 Too many pods.", "Warning"),
            "Waiting for room on a node (too many pods)");
  EXPECT_EQ(text_of("FailedScheduling",
                    "0/1 nodes are available: 1 node(s) had untolerated taint "
                    "{node.kubernetes.io/not-ready: }.",
                    "Warning"),
            "Waiting for a node: 0/1 nodes are available: 1 node(s) had untolerated taint "
            "{node.kubernetes.io/not-ready: }");
  EXPECT_EQ(text_of("Scheduled",
                    "Successfully assigned neuropod/np-65f1a2b3c4d5e6f708192a3b to "
                    "minikube"),
            "Placed on node minikube");
  EXPECT_EQ(text_of("Scheduled", "odd"), "Placed on a node");
}

TEST(K8sPodEvent, UnknownReasonsKeepKubernetesWords) {
  EXPECT_EQ(text_of("SomethingNew", "Something new happened"), "Something new happened");
  EXPECT_EQ(text_of("SomethingNew", ""), "SomethingNew");
  EXPECT_EQ(text_of("BackOff", "Back-off something else"), "Back-off something else");
  EXPECT_EQ(text_of("Unhealthy", "Probe errored: x"), "Probe errored: x");
}

TEST(K8sPodEvent, OnlyPodEvents) {
  json replica_set = kubelet_event("SuccessfulCreate", "Created pod: web-5d4c8b7f9-abcde");
  replica_set["involvedObject"]["kind"] = "ReplicaSet";
  EXPECT_FALSE(k8s::pod_event(replica_set).has_value());

  json node = kubelet_event("NodeNotReady", "Node minikube status is now: NodeNotReady");
  node["involvedObject"] = {{"kind", "Node"}, {"name", "minikube"}, {"uid", "minikube"}};
  EXPECT_FALSE(k8s::pod_event(node).has_value());

  json nameless = kubelet_event("Started", "Started container main");
  nameless["involvedObject"].erase("name");
  EXPECT_FALSE(k8s::pod_event(nameless).has_value());

  for (const char* text : {"null", "[]", "\"Event\"", "{}", R"({"involvedObject": "Pod"})",
                           R"({"involvedObject": {"kind": "Pod", "name": 5}})",
                           R"({"regarding": {"kind": ["Pod"], "name": "x"}})"}) {
    std::optional<k8s::PodEventInfo> e;
    ASSERT_NO_THROW(e = k8s::pod_event(json::parse(text))) << text;
    EXPECT_FALSE(e.has_value()) << text;
  }

  // Odd fields of a Pod event are absent, not errors.
  const std::optional<k8s::PodEventInfo> odd = k8s::pod_event(json::parse(R"({
    "involvedObject": {"kind": "Pod", "name": "np-1"}, "reason": 5, "message": ["x"],
    "type": null, "count": "3", "lastTimestamp": 17, "series": "x"})"));
  ASSERT_TRUE(odd.has_value());
  EXPECT_EQ(odd->pod_name, "np-1");
  EXPECT_EQ(odd->reason, "");
  EXPECT_EQ(odd->message, "");
  EXPECT_EQ(odd->text, "");
  EXPECT_EQ(odd->time, "");
  EXPECT_EQ(odd->count, 1);
}
