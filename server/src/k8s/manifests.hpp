#pragma once
// Kubernetes objects of a Neuropod pod and of the platform, as JSON ready for the API server
// (create or server-side apply). Pure functions: no I/O, no clock, no randomness; the same input
// gives the same object, byte for byte.
//
// Per user pod, in the pod's namespace, all named resource_name(pod_id) and labelled
//   app.kubernetes.io/managed-by: neuropod, neuropod.online/pod-id: <pod id>,
//   neuropod.online/user: <user_hash>, neuropod.online/template: <slug or "custom">:
// a Pod (container "main"), a ClusterIP Service (one port per pod port) and, when the pod has HTTP
// ports, an Ingress (one host per HTTP port). Service and Ingress are owned by the Pod (set_owner()
// once the Pod exists), so deleting the Pod deletes them. Per user: a workspace claim, never
// deleted by the backend. Per namespace: the network policies and the image pre-puller.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.hpp"
#include "k8s/naming.hpp"

namespace neuropod::k8s {

// Labels and annotations written by the functions below.
inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "neuropod";
inline constexpr std::string_view kPodIdLabel = "neuropod.online/pod-id";
inline constexpr std::string_view kUserLabel = "neuropod.online/user";
inline constexpr std::string_view kTemplateLabel = "neuropod.online/template";
inline constexpr std::string_view kUserIdAnnotation = "neuropod.online/user-id";
// Several installations may share a namespace: each one's objects carry its instance name.
inline constexpr std::string_view kInstanceLabel = "neuropod.online/instance";
inline constexpr std::string_view kGenerationAnnotation = "neuropod.online/generation";
inline constexpr std::string_view kImagesHashLabel = "neuropod.online/images-hash";
inline constexpr std::string_view kPrepullerName = "neuropod-prepuller";
inline constexpr std::string_view kPauseImage = "registry.k8s.io/pause:3.10";

// Everything the manifests of one pod depend on (the template's or the custom image's settings,
// already validated by the catalog, plus the pod's identity and the platform's settings).
struct PodSpecInput {
  std::string pod_id;         // Neuropod pod id (24-hex ObjectId)
  std::string user_id;        // owner's id (24-hex)
  std::string name;           // user-chosen pod name (any text; sanitized with safe_name())
  std::string template_slug;  // empty for custom images
  std::string image;
  std::vector<catalog::Port> ports;
  std::vector<catalog::EnvVar> env;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string workspace_path = "/workspace";
  catalog::Resources resources;  // cpu, memory, gpus, ephemeral_storage
  std::string namespace_ = "neuropod";
  std::string base_domain = "neuropod.online";
  std::string auth_url;     // ingress-nginx external auth URL; empty: no auth annotations
  std::string auth_signin;  // ingress-nginx auth-signin URL (used only with auth_url)
  // "name:port" of a Service in the pods' namespace that reaches the Neuropod API: each host gets
  // the path /.neuropod/ (sign-in callback, share links) routed to it. Empty: none.
  std::string access_service;
  std::int64_t fs_group = 1000;
  std::vector<std::string> image_pull_secrets;  // Secret names (private registries)
  std::string workspace_claim;                  // empty: workspace_claim_name(user_hash(user_id))
  std::int64_t generation = 1;  // annotation neuropod.online/generation (the record's start count)
  std::string instance;         // label neuropod.online/instance when non-empty (a label value)
  // The activity container (see pod()): none unless image, url and token are all non-empty.
  std::string activity_image;
  std::string activity_url;    // where it POSTs (the API's /api/pod-access/activity)
  std::string activity_token;  // access::ActivityTokens::issue(pod_id)
  std::int64_t activity_interval_s = 60;
};

// What the activity container requests (and is limited to): cpu 10m, memory 24Mi.
inline constexpr std::int64_t kActivityCpuMillis = 10;
inline constexpr std::int64_t kActivityMemoryBytes = std::int64_t{24} * 1024 * 1024;

// The pod's ports as /proc/net/tcp spells them (4 upper-case hex digits), joined by ','.
std::string activity_ports(const std::vector<catalog::Port>& ports);

// Container and Service port name of a pod's ports, index by index: the port's name as an IANA
// service name (at most 15 characters of [a-z0-9-], at least one letter, no leading, trailing or
// double '-'), else "port-<number>" when the name is unusable or already taken by an earlier port.
std::vector<std::string> port_names(const std::vector<catalog::Port>& ports);

// The host of each HTTP port, in the order of input.ports (tcp ports have none):
// pod_host(safe_name(name), user_hash(user_id), port, base_domain).
std::vector<std::string> http_hosts(const PodSpecInput& input);

// v1 Pod resource_name(pod_id) in input.namespace_:
// - container "main": image; command and args only when non-empty; env; ports (containerPort,
//   port_names(), TCP); requests = limits for cpu, memory and ephemeral-storage (each only when
//   non-empty: the template's quantities are the pod's guaranteed and maximal share), and
//   nvidia.com/gpu in both only when gpus > 0 (extended resources need limits, requests equal);
// - readinessProbe: httpGet "/" on the first HTTP port (any 2xx/3xx answer is ready), else
//   tcpSocket on the first tcp port, else none; periodSeconds 5, failureThreshold 3, timeout 3 s;
// - security: allowPrivilegeEscalation false (no_new_privs: setuid binaries such as sudo cannot
//   gain privileges), capabilities drop NET_RAW only, seccompProfile RuntimeDefault. Not "drop
//   ALL" nor runAsNonRoot: templates such as ubuntu run as root and rely on root's usual
//   capabilities (chown, setuid for apt's sandbox user, ...); NET_RAW (raw sockets: ARP/ICMP
//   spoofing inside the node's network) is the one default capability users don't need;
// - pod securityContext fsGroup = input.fs_group with fsGroupChangePolicy OnRootMismatch (the
//   workspace becomes writable by that group without a recursive chown at every start);
// - volume "workspace" = claim input.workspace_claim (default workspace_claim_name(user_hash))
//   mounted at workspace_path; volume "dshm" (emptyDir medium Memory, sizeLimit = the memory
//   quantity) at /dev/shm: the runtime's 64 MiB default breaks PyTorch data loaders and ComfyUI;
// - automountServiceAccountToken false (users get no Kubernetes credentials), enableServiceLinks
//   false (no environment variables of other Services), restartPolicy Always,
//   terminationGracePeriodSeconds 30, a toleration of nvidia.com/gpu:NoSchedule when gpus > 0;
// - annotations neuropod.online/user-id = input.user_id, neuropod.online/generation;
// - when the pod has ports and activity_image, activity_url and activity_token are set, a second
//   container "activity": `sh -c <script>` that every activity_interval_s seconds counts the
//   ESTABLISHED connections whose local port is one of the pod's (/proc/net/tcp and tcp6: the
//   containers of a pod share one network namespace) and, when there are any, POSTs
//   {"connections":n} to activity_url with "Authorization: Bearer <token>" (curl when the image
//   has it, else wget). So an open WebSocket keeps counting as use while it stays open, which the
//   ingress's per-connection auth check cannot tell. Env NEUROPOD_ACTIVITY_URL, _TOKEN, _PORTS
//   (activity_ports()), _INTERVAL. Runs as 65534:65534 with a read-only root, no capabilities, no
//   privilege escalation; requests = limits = cpu 10m, memory 24Mi (QoS stays Guaranteed when the
//   main container's is). Exits at once on SIGTERM. Only the "main" container's state is the
//   pod's state (pod_status.hpp).
nlohmann::json pod(const PodSpecInput& input);

// v1 Service resource_name(pod_id), ClusterIP, selecting the Pod by its neuropod.online/pod-id
// label, one TCP port per pod port (port = containerPort, targetPort = the port's name). Null when
// the pod has no ports (a Service needs at least one).
nlohmann::json service(const PodSpecInput& input);

// networking.k8s.io/v1 Ingress resource_name(pod_id), ingressClassName nginx, one rule per HTTP
// port: host http_hosts()[i], path "/" (Prefix) to the Service's port. Null without HTTP ports.
// Annotations (ingress-nginx):
// - proxy-read-timeout / proxy-send-timeout "3600": long-lived WebSockets (terminals, ComfyUI
//   progress) and slow responses; WebSockets need nothing else, ingress-nginx forwards Upgrade and
//   its proxy-http-version defaults to "1.1" already (not set here);
// - proxy-body-size "0" (no limit: model uploads), proxy-buffering "off" (streamed responses);
// - limit-rps "50", limit-burst-multiplier "5": per client IP, per Ingress;
// - when auth_url is non-empty: auth-url, auth-signin (when non-empty) and auth-response-headers
//   "X-Neuropod-User", auth-keepalive "16" (the controller keeps connections to the check open);
//   no auth cache, so a revoked session or access stops at once;
// - with access_service, each rule also routes /.neuropod/ (Prefix) to that Service (the API's
//   pod sign-in callback and share links; the auth check lets those paths through).
// No tls section: TLS ends at Cloudflare Tunnel in front of the ingress controller, which is
// reached over plain HTTP through the tunnel.
nlohmann::json ingress(const PodSpecInput& input);

// Adds {apiVersion v1, kind Pod, name, uid, controller true, blockOwnerDeletion true} to
// metadata.ownerReferences of `object` (a Service or Ingress) unless an owner with that uid is
// there already: the Kubernetes garbage collector then deletes the object with the Pod.
void set_owner(nlohmann::json& object, const std::string& pod_name, const std::string& pod_uid);

// v1 PersistentVolumeClaim workspace_claim_name(user_hash): ReadWriteOnce, requests.storage =
// size, storageClassName only when non-empty (else the cluster's default class), labels
// managed-by and neuropod.online/user, annotation neuropod.online/user-id = user_id (user hashes
// can collide: check it before mounting a claim for a user). ReadWriteOnce binds the volume to
// one node at a time: a user's pods must share a node (no issue on a single-node cluster).
nlohmann::json workspace_claim(std::string_view user_hash, std::string_view user_id,
                               std::string_view namespace_, std::string_view size,
                               std::string_view storage_class);

// The private, link-local and shared address ranges user pods may not reach (egress).
std::vector<std::string> denied_egress_cidrs();

// networking.k8s.io/v1 NetworkPolicies for the pods labelled managed-by=neuropod:
// 1. "neuropod-default-deny": no ingress, no egress;
// 2. "neuropod-allow-ingress-controller": ingress from pods of namespace ingress_namespace (by
//    its kubernetes.io/metadata.name label) only: users cannot reach each other's pods;
// 3. "neuropod-allow-egress": DNS (UDP and TCP port 53, to any address: works with CoreDNS as
//    well as NodeLocal DNSCache or a resolver outside the cluster), and everything in 0.0.0.0/0
//    except denied_egress_cidrs() (10/8, 172.16/12, 192.168/16, 169.254/16 with the cloud
//    metadata service, 100.64/10) plus extra_denied_cidrs: the internet, but neither other pods,
//    Services nor the nodes. The Kubernetes API is denied because its ClusterIP and endpoint are
//    private addresses (on minikube: 10.96.0.1 and 192.168.49.2); a cluster whose API server has a
//    public address must pass it (e.g. "203.0.113.7/32") in extra_denied_cidrs. IPv6 egress stays
//    denied. Policies are only enforced by a CNI that implements them (minikube: --cni=calico).
std::vector<nlohmann::json> network_policies(
    std::string_view namespace_, std::string_view ingress_namespace,
    const std::vector<std::string>& extra_denied_cidrs = {});

// Hash of an image list, order and duplicates ignored: 16 hex characters of sha256 of the sorted,
// deduplicated images joined by '\n'. A valid label value.
std::string images_hash(const std::vector<std::string>& images);

// apps/v1 DaemonSet "neuropod-prepuller" pulling `images` onto every node (GPU nodes included:
// it tolerates nvidia.com/gpu:NoSchedule). Each image (sorted, deduplicated) is an init container
// "pull-<i>" running `sh -c "exit 0"`; the kubelet pulls an image before it runs it. The main
// container is the pause image. Requests and limits are tiny (cpu 1m, memory 8Mi).
// Limitation: an image without sh (distroless, scratch) is pulled, but its init container fails
// and is retried with back-off, and the init containers after it never run, so their images are
// not pulled on that node: only list images that have sh.
// The DaemonSet's labels and its pod template's annotations carry neuropod.online/images-hash =
// images_hash(images): the caller compares it to decide whether to replace the DaemonSet.
nlohmann::json prepuller_daemonset(std::string_view namespace_,
                                   const std::vector<std::string>& images);

}  // namespace neuropod::k8s
