#include "k8s/pod_status.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "k8s/json_access.hpp"

namespace neuropod::k8s {

using nlohmann::json;

namespace {

// Waiting reasons of a container whose image cannot be had, and of one that cannot be created or
// started: neither gets better without a change.
constexpr std::array<std::string_view, 7> kImageReasons = {
    "ErrImagePull",        "ImagePullBackOff",          "InvalidImageName", "ErrImageNeverPull",
    "RegistryUnavailable", "SignatureValidationFailed", "ImageInspectError"};
constexpr std::array<std::string_view, 5> kCreateReasons = {
    "CreateContainerConfigError", "CreateContainerError", "RunContainerError", "PreStartHookError",
    "PostStartHookError"};

// ---- JSON access that never throws (see k8s/json_access.hpp) ----------------------------------

std::optional<std::int64_t> int_of(const json& j) {
  if (j.is_number_integer() && !j.is_number_unsigned()) {
    return j.get<std::int64_t>();
  }
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(u);
  }
  return std::nullopt;
}

// The status.conditions entry of that type, or null.
const json& condition(const json& status, std::string_view type) {
  static const json missing;
  for (const json& c : array_of(field(status, "conditions"))) {
    if (string_of(field(c, "type")) == type) {
      return c;
    }
  }
  return missing;
}

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& list) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// ---- wording -----------------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
  while (!s.empty() && space(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// A runtime's error without its gRPC wrapping: `rpc error: code = NotFound desc = failed to ...`
// becomes `failed to ...`.
std::string_view plain_detail(std::string_view detail) {
  detail = trim(detail);
  constexpr std::string_view kRpc = "rpc error: code = ";
  constexpr std::string_view kDesc = " desc = ";
  if (starts_with(detail, kRpc)) {
    const std::size_t desc = detail.find(kDesc);
    if (desc != std::string_view::npos) {
      detail = trim(detail.substr(desc + kDesc.size()));
    }
  }
  return detail;
}

// "<prefix>: <detail>", or "<prefix>" when there is no detail; the detail is trimmed and its final
// '.' dropped.
std::string joined(std::string_view prefix, std::string_view detail) {
  detail = trim(detail);
  while (!detail.empty() && detail.back() == '.') {
    detail.remove_suffix(1);
  }
  std::string out(prefix);
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

// joined() as a sentence: ending with exactly one '.'.
std::string sentence(std::string_view prefix, std::string_view detail) {
  return joined(prefix, detail) + '.';
}

std::string times(std::int64_t n) {
  return std::to_string(n) + (n == 1 ? " time" : " times");
}

// The text between the first pair of double quotes, "" when there is none.
std::string_view first_quoted(std::string_view s) {
  const std::size_t open = s.find('"');
  if (open == std::string_view::npos) {
    return {};
  }
  const std::size_t close = s.find('"', open + 1);
  if (close == std::string_view::npos) {
    return {};
  }
  return s.substr(open + 1, close - open - 1);
}

// ---- containers --------------------------------------------------------------------------------

const json* main_status(const json& statuses) {
  const json& all = array_of(statuses);
  for (const json& c : all) {
    if (string_of(field(c, "name")) == "main") {
      return &c;
    }
  }
  return all.empty() ? nullptr : &all.front();
}

std::int64_t restart_count(const json& container_status) {
  return std::max<std::int64_t>(int_of(field(container_status, "restartCount")).value_or(0), 0);
}

std::int64_t pod_restarts(const json& statuses) {
  const json& all = array_of(statuses);
  for (const json& c : all) {
    if (string_of(field(c, "name")) == "main") {
      return restart_count(c);
    }
  }
  std::int64_t sum = 0;
  for (const json& c : all) {
    const std::int64_t n = restart_count(c);
    sum = sum > std::numeric_limits<std::int64_t>::max() - n
              ? std::numeric_limits<std::int64_t>::max()
              : sum + n;
  }
  return sum;
}

// The image of a container: its status' image, else the spec's.
std::string image_of(const json& spec, const json& container_status) {
  std::string image = string_of(field(container_status, "image"));
  if (!image.empty()) {
    return image;
  }
  const std::string name = string_of(field(container_status, "name"));
  for (const char* list : {"containers", "initContainers"}) {
    for (const json& c : array_of(field(spec, list))) {
      if (string_of(field(c, "name")) == name) {
        return string_of(field(c, "image"));
      }
    }
  }
  return {};
}

PodState& fail(PodState& s, std::string reason, std::string message) {
  s.phase = "failed";
  s.fatal = true;
  s.ready = false;
  s.reason = std::move(reason);
  s.message = std::move(message);
  return s;
}

// A pull that failed for a reason that passes (rate limits, timeouts, the registry's own 5xx):
// the kubelet retries, and so do we instead of failing the pod.
bool transient_pull_failure(const std::string& reason, const std::string& detail) {
  if (reason != "ErrImagePull" && reason != "ImagePullBackOff" && reason != "RegistryUnavailable") {
    return false;
  }
  std::string lower = detail;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  constexpr std::array<std::string_view, 9> kTransient = {
      "toomanyrequests",  "too many requests",       "rate limit",
      "i/o timeout",      "timeout exceeded",        "handshake timeout",
      "connection reset", "503 service unavailable", "502 bad gateway"};
  return std::any_of(kTransient.begin(), kTransient.end(),
                     [&lower](std::string_view t) { return lower.find(t) != std::string::npos; });
}

// Rule 5a: a container that waits for something that will not come.
bool blocked(const json& spec, const json& container_status, PodState& s) {
  const json& waiting = field(field(container_status, "state"), "waiting");
  const std::string reason = string_of(field(waiting, "reason"));
  const std::string detail = string_of(field(waiting, "message"));
  if (one_of(reason, kImageReasons)) {
    const std::string image = image_of(spec, container_status);
    if (transient_pull_failure(reason, detail)) {
      s.phase = "creating";
      s.ready = false;
      s.reason = reason;
      s.message = sentence("The registry is busy or slow; the download of " + image + " is retried",
                           plain_detail(detail));
      return true;
    }
    if (reason == "InvalidImageName") {
      fail(s, reason, "The image " + image + " is not a valid image name.");
    } else {
      fail(s, reason,
           sentence("The image " + image + " could not be downloaded", plain_detail(detail)));
    }
    return true;
  }
  if (one_of(reason, kCreateReasons)) {
    const char* prefix = "The container could not be created";
    if (reason == "CreateContainerConfigError") {
      prefix = "The container's settings are not usable";
    } else if (reason == "RunContainerError") {
      prefix = "The program could not be started";
    } else if (reason == "PreStartHookError" || reason == "PostStartHookError") {
      prefix = "The container's start hook failed";
    }
    fail(s, reason, sentence(prefix, plain_detail(detail)));
    return true;
  }
  return false;
}

// Rules 5b and 5d: a container in CrashLoopBackOff.
void crash_loop(const json& container_status, const char* phase_while_retrying, PodState& s) {
  const json& last = field(field(container_status, "lastState"), "terminated");
  const std::int64_t restarts = restart_count(container_status);
  const std::optional<std::int64_t> exit_code = int_of(field(last, "exitCode"));
  s.ready = false;
  if (string_of(field(last, "reason")) == "OOMKilled") {
    s.reason = "OOMKilled";
    s.message = "The program keeps running out of memory (restarted " + times(restarts) +
                "); give it more memory or make it use less.";
  } else {
    s.reason = "CrashLoopBackOff";
    const std::string code = exit_code ? "exit code " + std::to_string(*exit_code) + ", " : "";
    s.message =
        "The program keeps exiting (" + code + "restarted " + times(restarts) + "); see the logs.";
  }
  s.fatal = restarts >= kFatalRestarts;
  s.phase = s.fatal ? "failed" : phase_while_retrying;
}

// Rule 2.
PodState failed_pod(const json& status, const json& main, PodState s) {
  const json& terminated = field(field(main, "state"), "terminated");
  std::string reason = string_of(field(status, "reason"));
  if (reason.empty()) {
    reason = string_of(field(terminated, "reason"));
    if (reason == "Completed") {
      reason.clear();
    }
  }
  if (reason.empty()) {
    reason = "Error";
  }
  const std::string detail = string_of(field(status, "message"));
  std::string message;
  if (!trim(detail).empty()) {
    message = sentence(reason == "Evicted" ? "The node ran short of resources and stopped the pod"
                                           : "Kubernetes stopped the pod",
                       detail);
  } else if (reason == "Evicted") {
    message = "The node ran short of resources and stopped the pod.";
  } else if (reason == "OOMKilled") {
    message = "The program ran out of memory.";
  } else if (const auto code = int_of(field(terminated, "exitCode"))) {
    message = "The program exited with code " + std::to_string(*code) + ".";
  } else {
    message = "The pod stopped with an error.";
  }
  return fail(s, std::move(reason), std::move(message));
}

// Rule 4.
PodState unscheduled(const json& status, PodState s) {
  s.phase = "pending";
  const json& scheduled = condition(status, "PodScheduled");
  if (string_of(field(scheduled, "status")) != "False" ||
      string_of(field(scheduled, "reason")) != "Unschedulable") {
    return s;
  }
  const std::string detail = string_of(field(scheduled, "message"));
  if (contains(detail, "Insufficient nvidia.com/gpu")) {
    return fail(s, "Unschedulable",
                "No GPU is free right now (the cluster has none of the kind requested free); "
                "try again later or with fewer GPUs.");
  }
  s.reason = "Unschedulable";
  s.message = sentence("Waiting for free CPU or memory", detail);
  return s;
}

// Rules 5c-5g: the main container.
PodState main_container(const json& status, const json& c, PodState s) {
  const json& state = field(c, "state");
  const json& waiting = field(state, "waiting");
  const json& running = field(state, "running");
  const json& terminated = field(state, "terminated");
  if (waiting.is_object()) {
    const std::string reason = string_of(field(waiting, "reason"));
    if (reason == "CrashLoopBackOff") {
      crash_loop(c, "running", s);
      return s;
    }
    s.phase = "creating";
    if (!reason.empty() && reason != "ContainerCreating" && reason != "PodInitializing") {
      s.reason = reason;
      s.message = "Waiting to start (" + reason;
      const std::string message = string_of(field(waiting, "message"));
      const std::string_view detail = plain_detail(message);
      if (!detail.empty()) {
        s.message += ": ";
        s.message += detail;
      }
      s.message += ").";
    }
    return s;
  }
  if (running.is_object()) {
    s.phase = "running";
    s.ready = string_of(field(condition(status, "Ready"), "status")) == "True";
    const json& last = field(field(c, "lastState"), "terminated");
    const std::int64_t restarts = restart_count(c);
    if (restarts > 0 && string_of(field(last, "reason")) == "OOMKilled") {
      s.reason = "OOMKilled";
      s.message = "The program ran out of memory and was restarted (" + std::to_string(restarts) +
                  (restarts == 1 ? " restart" : " restarts") + " so far).";
    }
    return s;
  }
  if (terminated.is_object()) {
    s.phase = "running";
    s.reason = string_of(field(terminated, "reason"));
    if (s.reason.empty()) {
      s.reason = "Error";
    }
    if (s.reason == "OOMKilled") {
      s.message = "The program ran out of memory; it is being restarted.";
    } else if (const auto code = int_of(field(terminated, "exitCode"))) {
      s.message =
          "The program exited (exit code " + std::to_string(*code) + "); it is being restarted.";
    } else {
      s.message = "The program exited; it is being restarted.";
    }
    return s;
  }
  s.phase = "creating";
  return s;
}

// ---- events ------------------------------------------------------------------------------------

std::string scheduling_text(std::string_view message) {
  if (contains(message, "Insufficient nvidia.com/gpu")) {
    return "Waiting for a free GPU";
  }
  const bool cpu = contains(message, "Insufficient cpu");
  const bool memory = contains(message, "Insufficient memory");
  if (cpu && memory) {
    return "Waiting for free CPU and memory";
  }
  if (cpu) {
    return "Waiting for free CPU";
  }
  if (memory) {
    return "Waiting for free memory";
  }
  if (contains(message, "PersistentVolumeClaim") || contains(message, "persistentvolumeclaim")) {
    return "Waiting for the workspace volume";
  }
  if (contains(message, "Too many pods")) {
    return "Waiting for room on a node (too many pods)";
  }
  return joined("Waiting for a node", message);
}

std::string failed_text(std::string_view message) {
  if (starts_with(message, "Failed to pull image")) {
    const std::string_view image = first_quoted(message);
    std::string_view detail;
    if (const std::size_t colon = message.find("\": "); colon != std::string_view::npos) {
      detail = plain_detail(message.substr(colon + 3));
    }
    return joined("Could not download the image " + std::string(image), detail);
  }
  if (contains(message, "InvalidImageName") || starts_with(message, "Failed to apply default") ||
      contains(message, "invalid reference format")) {
    return "The image name is not valid";
  }
  if (message == "Error: ErrImagePull") {
    return "Could not download the image";
  }
  if (message == "Error: ImagePullBackOff") {
    return "Still cannot download the image; retrying later";
  }
  if (message == "Error: ErrImageNeverPull" || contains(message, "ErrImageNeverPull")) {
    return "The image is not on the node and may not be downloaded";
  }
  constexpr std::string_view kError = "Error: ";
  if (starts_with(message, kError)) {
    return joined("Could not start the container", plain_detail(message.substr(kError.size())));
  }
  return joined("Failed", message);
}

std::string event_text(std::string_view reason, std::string_view message) {
  if (reason == "Scheduled") {
    const std::size_t to = message.rfind(" to ");
    if (to != std::string_view::npos && !trim(message.substr(to + 4)).empty()) {
      return "Placed on node " + std::string(trim(message.substr(to + 4)));
    }
    return "Placed on a node";
  }
  if (reason == "FailedScheduling") {
    return scheduling_text(message);
  }
  if (reason == "Pulling") {
    return "Downloading the image " + std::string(first_quoted(message));
  }
  if (reason == "Pulled") {
    const std::string image(first_quoted(message));
    if (contains(message, "already present")) {
      return "The image " + image + " is already on the node";
    }
    return "Downloaded the image " + image;
  }
  if (reason == "Created") {
    return "Created the container";
  }
  if (reason == "Started") {
    return "Started the program";
  }
  if (reason == "Killing") {
    return "Stopping the program";
  }
  if (reason == "Failed") {
    return failed_text(message);
  }
  if (reason == "BackOff") {
    if (starts_with(message, "Back-off pulling image")) {
      return "Waiting before trying again to download the image " +
             std::string(first_quoted(message));
    }
    if (starts_with(message, "Back-off restarting failed container")) {
      return "The program keeps exiting; waiting before restarting it";
    }
  }
  if (reason == "Unhealthy") {
    if (starts_with(message, "Readiness probe failed")) {
      return "Not answering on its port yet";
    }
    if (starts_with(message, "Liveness probe failed")) {
      return "Not answering its health check";
    }
    if (starts_with(message, "Startup probe failed")) {
      return "Still starting";
    }
  }
  if (reason == "Evicted") {
    return joined("Stopped by its node for lack of resources", message);
  }
  if (reason == "Preempted" || reason == "Preempting") {
    return "Stopped to make room for a more important pod";
  }
  if (reason == "SuccessfulAttachVolume") {
    return "Attached the workspace volume";
  }
  if (reason == "FailedMount" || reason == "FailedAttachVolume") {
    return joined("Waiting for a volume", message);
  }
  if (reason == "FailedCreatePodSandBox") {
    return joined("Could not set up the pod's network", plain_detail(message));
  }
  if (reason == "NodeNotReady") {
    return "Its node is not responding";
  }
  return std::string(message.empty() ? reason : message);
}

std::string first_string(std::initializer_list<const json*> candidates) {
  for (const json* j : candidates) {
    std::string s = string_of(*j);
    if (!s.empty()) {
      return s;
    }
  }
  return {};
}

}  // namespace

PodState pod_state(const json& pod) {
  PodState s;
  const json& metadata = field(pod, "metadata");
  const json& spec = field(pod, "spec");
  const json& status = field(pod, "status");
  const json& statuses = array_of(field(status, "containerStatuses"));
  const json& init_statuses = array_of(field(status, "initContainerStatuses"));
  const json* main = main_status(statuses);
  s.node = string_of(field(spec, "nodeName"));
  s.restarts = pod_restarts(statuses);

  if (!field(metadata, "deletionTimestamp").is_null()) {
    s.phase = "stopping";
    return s;
  }
  const std::string phase = string_of(field(status, "phase"));
  if (phase == "Failed") {
    static const json none;
    return failed_pod(status, main != nullptr ? *main : none, std::move(s));
  }
  if (phase == "Succeeded") {
    s.phase = "stopped";
    s.reason = "Completed";
    s.message = "The program exited.";
    return s;
  }
  if (s.node.empty()) {
    return unscheduled(status, std::move(s));
  }

  std::vector<const json*> order;
  for (const json& c : init_statuses) {
    order.push_back(&c);
  }
  if (main != nullptr) {
    order.push_back(main);
  }
  for (const json& c : statuses) {
    if (&c != main) {
      order.push_back(&c);
    }
  }
  for (const json* c : order) {
    if (blocked(spec, *c, s)) {
      return s;
    }
  }

  if (string_of(field(condition(status, "Initialized"), "status")) == "False") {
    for (const json& c : init_statuses) {
      if (string_of(field(field(field(c, "state"), "waiting"), "reason")) == "CrashLoopBackOff") {
        crash_loop(c, "creating", s);
        return s;
      }
    }
    s.phase = "creating";
    return s;
  }
  if (main == nullptr) {
    s.phase = "creating";
    return s;
  }
  return main_container(status, *main, std::move(s));
}

std::optional<PodEventInfo> pod_event(const json& event) {
  if (!event.is_object()) {
    return std::nullopt;
  }
  const json* involved = &field(event, "involvedObject");
  if (!involved->is_object()) {
    involved = &field(event, "regarding");  // events.k8s.io/v1
  }
  if (string_of(field(*involved, "kind")) != "Pod") {
    return std::nullopt;
  }
  PodEventInfo e;
  e.pod_name = string_of(field(*involved, "name"));
  if (e.pod_name.empty()) {
    return std::nullopt;
  }
  const json& series = field(event, "series");
  e.type = string_of(field(event, "type"));
  e.reason = string_of(field(event, "reason"));
  e.message = first_string({&field(event, "message"), &field(event, "note")});
  e.time = first_string({&field(event, "lastTimestamp"), &field(event, "deprecatedLastTimestamp"),
                         &field(series, "lastObservedTime"), &field(event, "eventTime"),
                         &field(field(event, "metadata"), "creationTimestamp")});
  for (const json* count :
       {&field(event, "count"), &field(event, "deprecatedCount"), &field(series, "count")}) {
    if (const auto n = int_of(*count); n && *n > 0) {
      e.count = *n;
      break;
    }
  }
  e.text = event_text(e.reason, e.message);
  return e;
}

}  // namespace neuropod::k8s
