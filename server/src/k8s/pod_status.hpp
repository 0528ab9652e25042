#pragma once
// What a Kubernetes Pod and its events mean for a Neuropod user: a phase, whether it answers,
// whether it can still get better on its own, and one plain sentence. Pure functions: no I/O, no
// clock; they never throw on missing or odd fields (a field of the wrong type counts as absent).
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace neuropod::k8s {

// A container that crash-loops this many times (restartCount) is given up on: phase "failed".
inline constexpr std::int64_t kFatalRestarts = 5;

struct PodState {
  std::string phase;    // "pending" | "creating" | "running" | "stopping" | "stopped" | "failed"
  bool ready = false;   // the Pod's Ready condition is True (readiness probe answered)
  bool fatal = false;   // cannot get better without the user changing something: stop it, show
                        // reason. Always true for "failed", false otherwise ("stopped" is final
                        // by itself: nothing runs any more).
  std::string reason;   // Kubernetes' reason when notable (ErrImagePull, ImagePullBackOff,
                        // InvalidImageName, CreateContainerError, CreateContainerConfigError,
                        // CrashLoopBackOff, OOMKilled, Unschedulable, Evicted, Error,
                        // Completed...), else empty
  std::string message;  // one sentence in plain English a non-expert understands (may quote k8s'
                        // detail), empty when all is well
  std::string node;     // spec.nodeName, empty until scheduled
  std::int64_t restarts = 0;  // restartCount of container "main", else the sum over containers
};

// The state of a v1 Pod object. node and restarts are always filled; the first rule that applies
// gives the rest (ready is false unless said otherwise):
// 1. metadata.deletionTimestamp set: "stopping" (no reason, no message).
// 2. status.phase "Failed": "failed", fatal, reason status.reason (Evicted, OutOfcpu, Terminated
//    at node shutdown...), else the main container's terminated reason other than Completed, else
//    "Error"; the message quotes status.message ("Kubernetes stopped the pod: ..."; for Evicted
//    "The node ran short of resources and stopped the pod: ...") or, without one, the exit code.
// 3. status.phase "Succeeded": "stopped", reason "Completed", "The program exited.".
// 4. Not scheduled (no spec.nodeName): the PodScheduled condition is False with reason
//    Unschedulable and
//    - its message says "Insufficient nvidia.com/gpu" (e.g. "0/2 nodes are available: 2
//      Insufficient nvidia.com/gpu."): "failed", fatal, reason "Unschedulable", "No GPU is free
//      right now (...); try again later or with fewer GPUs." Only a GPU shortage counts: a
//      message naming nvidia.com/gpu as an untolerated taint of the nodes a CPU pod may not use
//      is a CPU or memory shortage;
//    - otherwise: "pending", reason "Unschedulable", "Waiting for free CPU or memory: <scheduler
//      message>";
//    any other condition, or none: "pending", no reason.
// 5. Scheduled. Container statuses are looked at in this order: initContainerStatuses, the main
//    one (container "main", else the first of containerStatuses), the other containers.
//    a. Any container waiting with reason ErrImagePull, ImagePullBackOff, InvalidImageName,
//       ErrImageNeverPull, RegistryUnavailable, SignatureValidationFailed or ImageInspectError:
//       "failed", fatal, that reason, "The image <image> could not be downloaded: <detail>" (the
//       waiting message without its "rpc error: code = ... desc = " prefix), for
//       InvalidImageName "The image <image> is not a valid image name.". Waiting with reason
//       CreateContainerConfigError, CreateContainerError, RunContainerError, PreStartHookError or
//       PostStartHookError: "failed", fatal, that reason and its detail.
//    b. Still initializing (the Initialized condition is False): an init container waiting in
//       CrashLoopBackOff is judged as in 5d but with phase "creating" instead of "running";
//       otherwise "creating", no reason.
//    c. No main container status, or its state is empty or waiting with ContainerCreating,
//       PodInitializing or no reason: "creating", no reason.
//    d. Main waiting CrashLoopBackOff: "running", reason CrashLoopBackOff, "The program keeps
//       exiting (exit code N, restarted M times); see the logs." (N from lastState.terminated);
//       reason OOMKilled with a message saying it keeps running out of memory when
//       lastState.terminated.reason is OOMKilled. From kFatalRestarts restarts on: "failed",
//       fatal.
//    e. Main waiting with another reason: "creating", that reason, "Waiting to start (<reason>:
//       <detail>)."
//    f. Main running: "running", ready = the Ready condition is True. When it was restarted
//       (restartCount > 0) after being OOMKilled (lastState.terminated.reason): reason OOMKilled,
//       "The program ran out of memory and was restarted (M restarts so far).".
//    g. Main terminated (restartPolicy Always restarts it): "running", reason =
//       state.terminated.reason (Error, OOMKilled, Completed; "Error" when missing), a message
//       saying it exited (or ran out of memory) and is being restarted.
// kwok's simulated pods (phase Running, Ready True, containers running) are "running" and ready.
PodState pod_state(const nlohmann::json& pod);

struct PodEventInfo {
  std::string pod_name;  // involvedObject.name
  std::string type;      // Normal | Warning
  std::string reason;    // Scheduled, Pulling, Pulled, Created, Started, FailedScheduling, Failed,
                         // BackOff, Killing, Unhealthy...
  std::string message;   // Kubernetes' message as is
  std::string text;      // plain words, e.g. "Downloading the image ghcr.io/x/y:1", "Placed on node
                         // sandbox-gpu-0", "Waiting for a free GPU"; Kubernetes' message (else
                         // the reason) for events without a translation
  std::string
      time;  // RFC 3339 as Kubernetes wrote it: lastTimestamp, else series.lastObservedTime,
             // else eventTime, else metadata.creationTimestamp; "" if none
  std::int64_t count = 1;  // count, else series.count, else 1
};

// A core/v1 Event about a Pod; the events.k8s.io/v1 shape is read too (regarding, note,
// deprecatedLastTimestamp, deprecatedCount in place of involvedObject, message, lastTimestamp,
// count). nullopt when the object is not a JSON object, the involved object's kind is not "Pod"
// or it has no name.
std::optional<PodEventInfo> pod_event(const nlohmann::json& event);

}  // namespace neuropod::k8s
