#include "k8s/manifests.hpp"

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/crypto.hpp"

namespace neuropod::k8s {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxPortName = 15;  // IANA service name
constexpr std::string_view kGpuResource = "nvidia.com/gpu";
constexpr std::string_view kNginxPrefix = "nginx.ingress.kubernetes.io/";

bool is_http(const catalog::Port& p) {
  return p.protocol != "tcp";
}

std::string hex(std::string_view bytes) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4U]);
    out.push_back(kDigits[b & 0x0FU]);
  }
  return out;
}

// An IANA service name from any text, or "" when none can be made (no letter left).
std::string iana_name(std::string_view name) {
  std::string out;
  for (const char c : name) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 'A' && b <= 'Z') {
      out.push_back(static_cast<char>(b - 'A' + 'a'));
    } else if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')) {
      out.push_back(c);
    } else if (b < 0x80U && !out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  if (out.size() > kMaxPortName) {
    out.resize(kMaxPortName);
  }
  while (!out.empty() && out.back() == '-') {
    out.pop_back();
  }
  const bool has_letter =
      std::any_of(out.begin(), out.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  return has_letter ? out : std::string();
}

std::string template_label(std::string_view slug) {
  // Catalog slugs are label values already (lower-case, digits, '-', at most 40 characters).
  return slug.empty() ? std::string("custom") : safe_name(slug);
}

json labels(const PodSpecInput& in) {
  json out = {{std::string(kManagedByLabel), kManagedByValue},
              {std::string(kPodIdLabel), in.pod_id},
              {std::string(kUserLabel), user_hash(in.user_id)},
              {std::string(kTemplateLabel), template_label(in.template_slug)}};
  if (!in.instance.empty()) {
    out[std::string(kInstanceLabel)] = in.instance;
  }
  return out;
}

json metadata(const PodSpecInput& in) {
  return {{"name", resource_name(in.pod_id)}, {"namespace", in.namespace_}, {"labels", labels(in)}};
}

json resources(const catalog::Resources& r) {
  json amounts = json::object();
  if (!r.cpu.empty()) {
    amounts["cpu"] = r.cpu;
  }
  if (!r.memory.empty()) {
    amounts["memory"] = r.memory;
  }
  if (!r.ephemeral_storage.empty()) {
    amounts["ephemeral-storage"] = r.ephemeral_storage;
  }
  if (r.gpus > 0) {
    amounts[std::string(kGpuResource)] = std::to_string(r.gpus);
  }
  return {{"requests", amounts}, {"limits", amounts}};
}

json readiness_probe(const std::vector<catalog::Port>& ports) {
  const auto http = std::find_if(ports.begin(), ports.end(), is_http);
  json probe;
  if (http != ports.end()) {
    probe["httpGet"] = {{"path", "/"}, {"port", http->port}};
  } else if (!ports.empty()) {
    probe["tcpSocket"] = {{"port", ports.front().port}};
  } else {
    return nullptr;
  }
  probe["periodSeconds"] = 5;
  probe["failureThreshold"] = 3;
  probe["timeoutSeconds"] = 3;
  return probe;
}

json tiny_resources() {
  const json amounts = {{"cpu", "1m"}, {"memory", "8Mi"}};
  return {{"requests", amounts}, {"limits", amounts}};
}

json gpu_toleration() {
  return {{"key", kGpuResource}, {"operator", "Exists"}, {"effect", "NoSchedule"}};
}

json managed_pods_selector() {
  return {{"matchLabels", {{std::string(kManagedByLabel), kManagedByValue}}}};
}

json network_policy(std::string_view namespace_, std::string_view name, json spec) {
  spec["podSelector"] = managed_pods_selector();
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "NetworkPolicy"},
          {"metadata",
           {{"name", name},
            {"namespace", namespace_},
            {"labels", {{std::string(kManagedByLabel), kManagedByValue}}}}},
          {"spec", std::move(spec)}};
}

std::vector<std::string> sorted_unique(std::vector<std::string> images) {
  std::sort(images.begin(), images.end());
  images.erase(std::unique(images.begin(), images.end()), images.end());
  return images;
}

}  // namespace

std::vector<std::string> port_names(const std::vector<catalog::Port>& ports) {
  std::vector<std::string> names;
  std::set<std::string> taken;
  names.reserve(ports.size());
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const std::string number = std::to_string(ports[i].port);
    std::string name = iana_name(ports[i].name);
    for (const std::string& fallback : {"port-" + number, "p" + std::to_string(i) + "-" + number}) {
      if (!name.empty() && !taken.contains(name)) {
        break;
      }
      name = fallback;
    }
    taken.insert(name);
    names.push_back(std::move(name));
  }
  return names;
}

std::vector<std::string> http_hosts(const PodSpecInput& input) {
  const std::string safe = safe_name(input.name);
  const std::string hash = user_hash(input.user_id);
  std::vector<std::string> hosts;
  for (const catalog::Port& p : input.ports) {
    if (is_http(p)) {
      hosts.push_back(pod_host(safe, hash, p.port, input.base_domain));
    }
  }
  return hosts;
}

namespace {

// /dev/shm as a memory-backed emptyDir (the container runtime's default is 64 MiB, too small for
// PyTorch data loaders and ComfyUI), capped at the pod's memory (it counts against that limit).
json shm_volume(const catalog::Resources& r) {
  json v = {{"medium", "Memory"}};
  if (!r.memory.empty()) {
    v["sizeLimit"] = r.memory;
  }
  return v;
}

}  // namespace

namespace {

// The activity container's program (POSIX sh + awk; busybox is enough). A state of "01" is
// ESTABLISHED; the local address ends in ":<port in hex>". The header line never matches.
constexpr std::string_view kActivityScript =
    R"sh(# Neuropod activity: while connections to this pod's ports are open, say so.
trap 'exit 0' TERM INT
ports=",$NEUROPOD_ACTIVITY_PORTS,"
while :; do
  n=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v ports="$ports" '
    $4 == "01" { p = $2; sub(/.*:/, "", p); if (index(ports, "," p ",") > 0) n++ }
    END { print n + 0 }')
  if [ "$n" -gt 0 ]; then
    body='{"connections":'"$n"'}'
    auth="Authorization: Bearer $NEUROPOD_ACTIVITY_TOKEN"
    type='Content-Type: application/json'
    if command -v curl >/dev/null 2>&1; then
      curl -fsS -m 10 -o /dev/null -H "$auth" -H "$type" -d "$body" "$NEUROPOD_ACTIVITY_URL" ||
        echo "activity: report failed" >&2
    else
      wget -q -T 10 -O /dev/null --header "$auth" --header "$type" --post-data "$body" \
        "$NEUROPOD_ACTIVITY_URL" || echo "activity: report failed" >&2
    fi
  fi
  sleep "$NEUROPOD_ACTIVITY_INTERVAL" &
  wait $!
done
)sh";

json activity_container(const PodSpecInput& in) {
  const json amounts = {
      {"cpu", std::to_string(kActivityCpuMillis) + "m"},
      {"memory", std::to_string(kActivityMemoryBytes / (std::int64_t{1024} * 1024)) + "Mi"}};
  return {{"name", "activity"},
          {"image", in.activity_image},
          {"command", json::array({"sh", "-c", kActivityScript})},
          {"env",
           json::array({{{"name", "NEUROPOD_ACTIVITY_URL"}, {"value", in.activity_url}},
                        {{"name", "NEUROPOD_ACTIVITY_TOKEN"}, {"value", in.activity_token}},
                        {{"name", "NEUROPOD_ACTIVITY_PORTS"}, {"value", activity_ports(in.ports)}},
                        {{"name", "NEUROPOD_ACTIVITY_INTERVAL"},
                         {"value", std::to_string(in.activity_interval_s)}}})},
          {"resources", {{"requests", amounts}, {"limits", amounts}}},
          {"securityContext",
           {{"runAsUser", 65534},
            {"runAsGroup", 65534},
            {"runAsNonRoot", true},
            {"readOnlyRootFilesystem", true},
            {"allowPrivilegeEscalation", false},
            {"capabilities", {{"drop", json::array({"ALL"})}}},
            {"seccompProfile", {{"type", "RuntimeDefault"}}}}}};
}

bool wants_activity(const PodSpecInput& in) {
  return !in.ports.empty() && !in.activity_image.empty() && !in.activity_url.empty() &&
         !in.activity_token.empty();
}

}  // namespace

std::string activity_ports(const std::vector<catalog::Port>& ports) {
  static constexpr std::string_view kDigits = "0123456789ABCDEF";
  std::string out;
  for (const catalog::Port& p : ports) {
    if (!out.empty()) {
      out.push_back(',');
    }
    const auto v = static_cast<unsigned>(p.port) & 0xFFFFU;
    for (int shift = 12; shift >= 0; shift -= 4) {
      out.push_back(kDigits[(v >> static_cast<unsigned>(shift)) & 0x0FU]);
    }
  }
  return out;
}

json pod(const PodSpecInput& input) {
  const std::vector<std::string> names = port_names(input.ports);
  json ports = json::array();
  for (std::size_t i = 0; i < input.ports.size(); ++i) {
    ports.push_back(
        {{"name", names[i]}, {"containerPort", input.ports[i].port}, {"protocol", "TCP"}});
  }
  json env = json::array();
  for (const catalog::EnvVar& e : input.env) {
    env.push_back({{"name", e.name}, {"value", e.value}});
  }

  json container = {
      {"name", "main"},
      {"image", input.image},
      {"env", std::move(env)},
      {"ports", std::move(ports)},
      {"resources", resources(input.resources)},
      {"volumeMounts", json::array({{{"name", "workspace"}, {"mountPath", input.workspace_path}},
                                    {{"name", "dshm"}, {"mountPath", "/dev/shm"}}})},
      {"securityContext",
       {{"allowPrivilegeEscalation", false},
        {"capabilities", {{"drop", json::array({"NET_RAW"})}}},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}}};
  if (!input.command.empty()) {
    container["command"] = input.command;
  }
  if (!input.args.empty()) {
    container["args"] = input.args;
  }
  if (json probe = readiness_probe(input.ports); !probe.is_null()) {
    container["readinessProbe"] = std::move(probe);
  }

  json containers = json::array({std::move(container)});
  if (wants_activity(input)) {
    containers.push_back(activity_container(input));
  }
  json spec = {
      {"containers", std::move(containers)},
      {"restartPolicy", "Always"},
      {"terminationGracePeriodSeconds", 30},
      {"automountServiceAccountToken", false},
      {"enableServiceLinks", false},
      {"securityContext", {{"fsGroup", input.fs_group}, {"fsGroupChangePolicy", "OnRootMismatch"}}},
      {"volumes", json::array({{{"name", "workspace"},
                                {"persistentVolumeClaim",
                                 {{"claimName", input.workspace_claim.empty()
                                                    ? workspace_claim_name(user_hash(input.user_id))
                                                    : input.workspace_claim}}}},
                               {{"name", "dshm"}, {"emptyDir", shm_volume(input.resources)}}})}};
  if (input.resources.gpus > 0) {
    spec["tolerations"] = json::array({gpu_toleration()});
  }
  if (!input.image_pull_secrets.empty()) {
    json secrets = json::array();
    for (const auto& name : input.image_pull_secrets) {
      secrets.push_back({{"name", name}});
    }
    spec["imagePullSecrets"] = std::move(secrets);
  }

  json meta = metadata(input);
  meta["annotations"] = {{std::string(kUserIdAnnotation), input.user_id},
                         {std::string(kGenerationAnnotation), std::to_string(input.generation)}};
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", std::move(meta)}, {"spec", spec}};
}

json service(const PodSpecInput& input) {
  if (input.ports.empty()) {
    return nullptr;
  }
  const std::vector<std::string> names = port_names(input.ports);
  json ports = json::array();
  for (std::size_t i = 0; i < input.ports.size(); ++i) {
    ports.push_back({{"name", names[i]},
                     {"port", input.ports[i].port},
                     {"targetPort", names[i]},
                     {"protocol", "TCP"}});
  }
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", metadata(input)},
          {"spec",
           {{"type", "ClusterIP"},
            {"selector", {{std::string(kPodIdLabel), input.pod_id}}},
            {"ports", std::move(ports)}}}};
}

json ingress(const PodSpecInput& input) {
  const std::vector<std::string> hosts = http_hosts(input);
  if (hosts.empty()) {
    return nullptr;
  }
  const std::string backend = resource_name(input.pod_id);
  json rules = json::array();
  std::size_t h = 0;
  for (const catalog::Port& p : input.ports) {
    if (!is_http(p)) {
      continue;
    }
    const json path = {
        {"path", "/"},
        {"pathType", "Prefix"},
        {"backend", {{"service", {{"name", backend}, {"port", {{"number", p.port}}}}}}}};
    json paths = json::array({path});
    if (const auto colon = input.access_service.rfind(':'); colon != std::string::npos) {
      std::int64_t port = 0;
      try {
        port = std::stoll(input.access_service.substr(colon + 1));
      } catch (const std::exception&) {
        port = 0;
      }
      if (port > 0) {
        paths.push_back({{"path", "/.neuropod/"},
                         {"pathType", "Prefix"},
                         {"backend",
                          {{"service",
                            {{"name", input.access_service.substr(0, colon)},
                             {"port", {{"number", port}}}}}}}});
      }
    }
    rules.push_back({{"host", hosts[h++]}, {"http", {{"paths", std::move(paths)}}}});
  }

  json annotations = json::object();
  const auto annotate = [&annotations](std::string_view key, std::string_view value) {
    annotations[std::string(kNginxPrefix) + std::string(key)] = value;
  };
  annotate("proxy-read-timeout", "3600");
  annotate("proxy-send-timeout", "3600");
  annotate("proxy-body-size", "0");
  annotate("proxy-buffering", "off");
  annotate("limit-rps", "50");
  annotate("limit-burst-multiplier", "5");
  if (!input.auth_url.empty()) {
    annotate("auth-url", input.auth_url);
    if (!input.auth_signin.empty()) {
      annotate("auth-signin", input.auth_signin);
    }
    annotate("auth-response-headers", "X-Neuropod-User");
    annotate("auth-keepalive", "16");  // kept-alive connections to the check, not one per request
  }

  json meta = metadata(input);
  meta["annotations"] = std::move(annotations);
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "Ingress"},
          {"metadata", std::move(meta)},
          {"spec", {{"ingressClassName", "nginx"}, {"rules", std::move(rules)}}}};
}

void set_owner(json& object, const std::string& pod_name, const std::string& pod_uid) {
  json& owners = object["metadata"]["ownerReferences"];
  if (!owners.is_array()) {
    owners = json::array();
  }
  for (const json& o : owners) {
    if (o.value("uid", "") == pod_uid) {
      return;
    }
  }
  owners.push_back({{"apiVersion", "v1"},
                    {"kind", "Pod"},
                    {"name", pod_name},
                    {"uid", pod_uid},
                    {"controller", true},
                    {"blockOwnerDeletion", true}});
}

json workspace_claim(std::string_view user_hash, std::string_view user_id,
                     std::string_view namespace_, std::string_view size,
                     std::string_view storage_class) {
  json spec = {{"accessModes", json::array({"ReadWriteOnce"})},
               {"resources", {{"requests", {{"storage", size}}}}}};
  if (!storage_class.empty()) {
    spec["storageClassName"] = storage_class;
  }
  return {
      {"apiVersion", "v1"},
      {"kind", "PersistentVolumeClaim"},
      {"metadata",
       {{"name", workspace_claim_name(user_hash)},
        {"namespace", namespace_},
        {"labels",
         {{std::string(kManagedByLabel), kManagedByValue}, {std::string(kUserLabel), user_hash}}},
        {"annotations", {{std::string(kUserIdAnnotation), user_id}}}}},
      {"spec", std::move(spec)}};
}

std::vector<std::string> denied_egress_cidrs() {
  return {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"};
}

std::vector<json> network_policies(std::string_view namespace_, std::string_view ingress_namespace,
                                   const std::vector<std::string>& extra_denied_cidrs) {
  std::vector<json> policies;
  policies.push_back(network_policy(namespace_, "neuropod-default-deny",
                                    {{"policyTypes", json::array({"Ingress", "Egress"})}}));

  const json from_controller = {
      {"namespaceSelector",
       {{"matchLabels", {{"kubernetes.io/metadata.name", ingress_namespace}}}}}};
  policies.push_back(
      network_policy(namespace_, "neuropod-allow-ingress-controller",
                     {{"policyTypes", json::array({"Ingress"})},
                      {"ingress", json::array({{{"from", json::array({from_controller})}}})}}));

  std::vector<std::string> except = denied_egress_cidrs();
  except.insert(except.end(), extra_denied_cidrs.begin(), extra_denied_cidrs.end());
  const json dns = {{"ports", json::array({{{"protocol", "UDP"}, {"port", 53}},
                                           {{"protocol", "TCP"}, {"port", 53}}})}};
  const json internet = {
      {"to", json::array({{{"ipBlock", {{"cidr", "0.0.0.0/0"}, {"except", except}}}}})}};
  policies.push_back(network_policy(
      namespace_, "neuropod-allow-egress",
      {{"policyTypes", json::array({"Egress"})}, {"egress", json::array({dns, internet})}}));
  return policies;
}

std::string images_hash(const std::vector<std::string>& images) {
  std::string joined;
  for (const std::string& image : sorted_unique(images)) {
    joined += image;
    joined += '\n';
  }
  return hex(crypto::sha256(joined)).substr(0, 16);
}

json prepuller_daemonset(std::string_view namespace_, const std::vector<std::string>& images) {
  const std::string hash = images_hash(images);
  const json security = {{"allowPrivilegeEscalation", false},
                         {"capabilities", {{"drop", json::array({"ALL"})}}},
                         {"seccompProfile", {{"type", "RuntimeDefault"}}}};
  json init = json::array();
  const std::vector<std::string> unique = sorted_unique(images);
  for (std::size_t i = 0; i < unique.size(); ++i) {
    init.push_back({{"name", "pull-" + std::to_string(i)},
                    {"image", unique[i]},
                    {"command", json::array({"sh", "-c", "exit 0"})},
                    {"resources", tiny_resources()},
                    {"securityContext", security}});
  }
  const json pause = {{"name", "pause"},
                      {"image", kPauseImage},
                      {"resources", tiny_resources()},
                      {"securityContext", security}};
  const json selector = {{"app.kubernetes.io/name", kPrepullerName},
                         {std::string(kManagedByLabel), kManagedByValue}};
  json ds_labels = selector;
  ds_labels[std::string(kImagesHashLabel)] = hash;

  return {
      {"apiVersion", "apps/v1"},
      {"kind", "DaemonSet"},
      {"metadata", {{"name", kPrepullerName}, {"namespace", namespace_}, {"labels", ds_labels}}},
      {"spec",
       {{"selector", {{"matchLabels", selector}}},
        {"template",
         {{"metadata",
           {{"labels", selector}, {"annotations", {{std::string(kImagesHashLabel), hash}}}}},
          {"spec",
           {{"initContainers", std::move(init)},
            {"containers", json::array({pause})},
            {"automountServiceAccountToken", false},
            {"enableServiceLinks", false},
            {"terminationGracePeriodSeconds", 1},
            {"tolerations", json::array({gpu_toleration()})}}}}}}}};
}

}  // namespace neuropod::k8s
