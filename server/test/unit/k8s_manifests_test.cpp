#include "k8s/manifests.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "k8s/naming.hpp"

using nlohmann::json;
namespace k8s = neuropod::k8s;
namespace catalog = neuropod::catalog;

namespace {

constexpr const char* kPodId = "65f1a2b3c4d5e6f708192a3b";
constexpr const char* kUserId = "65f1a2b3c4d5e6f708192a3c";
constexpr const char* kOtherUserId = "65f1a2b3c4d5e6f708192a3d";

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

bool is_dns_label(const std::string& s) {
  return !s.empty() && s.size() <= 63 && std::all_of(s.begin(), s.end(), is_label_char) &&
         s.front() != '-' && s.back() != '-';
}

k8s::PodSpecInput comfy() {
  k8s::PodSpecInput in;
  in.pod_id = kPodId;
  in.user_id = kUserId;
  in.name = "My ComfyUI";
  in.template_slug = "comfyui";
  in.image = "ghcr.io/example/comfyui:1.0";
  in.ports = {catalog::Port{8188, "ComfyUI", "http"}, catalog::Port{8888, "jupyter", "http"},
              catalog::Port{22, "ssh", "tcp"}};
  in.env = {catalog::EnvVar{"CLI_ARGS", "--listen 0.0.0.0"}};
  in.workspace_path = "/workspace";
  in.resources = catalog::Resources{"4", "16Gi", 0, "20Gi"};
  return in;
}

// By value: callers pass temporaries.
json main_container(const json& pod) {
  return pod["spec"]["containers"][0];
}

}  // namespace

// ---- naming ----------------------------------------------------------------------------------

TEST(Naming, UserHashIsShortStableAndAlphanumeric) {
  const std::string h = k8s::user_hash(kUserId);
  EXPECT_EQ(h.size(), 6U);
  EXPECT_EQ(h, k8s::user_hash(kUserId));
  EXPECT_TRUE(std::all_of(h.begin(), h.end(),
                          [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }));
  EXPECT_NE(h, k8s::user_hash(kOtherUserId));
  EXPECT_EQ(k8s::user_hash("").size(), 6U);
}

TEST(Naming, UserHashSpreadsOverManyIds) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    seen.insert(k8s::user_hash("user-" + std::to_string(i)));
  }
  EXPECT_GE(seen.size(), 1999U);  // 2000 of ~2^31 values: a collision is very unlikely
}

TEST(Naming, SafeNameSanitizes) {
  EXPECT_EQ(k8s::safe_name("My ComfyUI"), "my-comfyui");
  EXPECT_EQ(k8s::safe_name("  --Hello__World!!--  "), "hello-world");
  EXPECT_EQ(k8s::safe_name("a...b///c"), "a-b-c");
  EXPECT_EQ(k8s::safe_name("SD 1.5 run #2"), "sd-1-5-run-2");
  EXPECT_EQ(k8s::safe_name("123"), "123");
  EXPECT_EQ(k8s::safe_name("ok-name"), "ok-name");
}

TEST(Naming, SafeNameDropsNonAscii) {
  EXPECT_EQ(k8s::safe_name("café latte"), "caf-latte");
  EXPECT_EQ(k8s::safe_name("日本語 pod"), "pod");
  EXPECT_EQ(k8s::safe_name("my🚀pod"), "mypod");
  EXPECT_EQ(k8s::safe_name("🚀 rocket 🚀"), "rocket");
}

TEST(Naming, SafeNameFallsBackToPod) {
  EXPECT_EQ(k8s::safe_name(""), "pod");
  EXPECT_EQ(k8s::safe_name("---"), "pod");
  EXPECT_EQ(k8s::safe_name("🚀🚀🚀"), "pod");
  EXPECT_EQ(k8s::safe_name("!!! ???"), "pod");
}

TEST(Naming, SafeNameTruncatesAndNeverEndsInDash) {
  const std::string longest = k8s::safe_name(std::string(500, 'x'));
  EXPECT_EQ(longest.size(), k8s::kMaxSafeNameLength);
  // A '-' right at the cut is trimmed.
  const std::string cut = k8s::safe_name(std::string(k8s::kMaxSafeNameLength - 1, 'a') + " b");
  EXPECT_EQ(cut, std::string(k8s::kMaxSafeNameLength - 1, 'a'));
  for (const std::string& s : {std::string("x"), std::string("Hello World"), longest, cut}) {
    EXPECT_EQ(k8s::safe_name(k8s::safe_name(s)), k8s::safe_name(s)) << "idempotent";
  }
}

TEST(Naming, HostLabelFitsAndKeepsHashAndPort) {
  const std::string hash = k8s::user_hash(kUserId);
  EXPECT_EQ(k8s::host_label("comfy", hash, 8188), "comfy-" + hash + "-8188");
  for (const std::string& name :
       {std::string(200, 'a'), std::string(60, 'b') + "-" + std::string(60, 'c'),
        std::string(k8s::kMaxSafeNameLength, 'd'), std::string("🚀"), std::string(),
        std::string(48, 'e') + "--f"}) {
    for (const std::int64_t port : {1, 80, 8188, 65535}) {
      const std::string label = k8s::host_label(k8s::safe_name(name), hash, port);
      EXPECT_TRUE(is_dns_label(label)) << label;
      EXPECT_LE(label.size(), 63U);
      EXPECT_TRUE(label.ends_with("-" + hash + "-" + std::to_string(port))) << label;
      EXPECT_NE(label.front(), '-');
    }
  }
  // Unsanitized text is accepted too.
  EXPECT_EQ(k8s::host_label("My Pod!", hash, 80), "my-pod-" + hash + "-80");
  // An over-long "safe" name is cut in the name part only, without a trailing '-'.
  const std::string label = k8s::host_label(std::string(49, 'a') + "-bbbbbbbbbbbb", hash, 65535);
  EXPECT_EQ(label, std::string(49, 'a') + "-" + hash + "-65535");
}

TEST(Naming, HostsDifferPerUserPortAndName) {
  const std::string a = k8s::pod_host("comfy", k8s::user_hash(kUserId), 8188, "neuropod.online");
  const std::string b =
      k8s::pod_host("comfy", k8s::user_hash(kOtherUserId), 8188, "neuropod.online");
  const std::string c = k8s::pod_host("comfy", k8s::user_hash(kUserId), 8888, "neuropod.online");
  EXPECT_EQ(a, "comfy-" + k8s::user_hash(kUserId) + "-8188.neuropod.online");
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, k8s::pod_host("comfy2", k8s::user_hash(kUserId), 8188, "neuropod.online"));
}

TEST(Naming, ObjectNames) {
  EXPECT_EQ(k8s::resource_name(kPodId), std::string("np-") + kPodId);
  EXPECT_TRUE(is_dns_label(k8s::resource_name(kPodId)));
  EXPECT_EQ(k8s::workspace_claim_name("abc123"), "workspace-abc123");
}

TEST(Naming, PortNamesAreIanaServiceNames) {
  const std::vector<catalog::Port> ports = {
      {8188, "ComfyUI", "http"}, {8888, "Jupyter Lab Server 2024", "http"},
      {22, "", "tcp"},           {3000, "1234", "http"},
      {3001, "comfyui", "http"}, {3002, "--web--ui--", "http"},
      {3003, "🚀", "http"}};
  const std::vector<std::string> names = k8s::port_names(ports);
  ASSERT_EQ(names.size(), ports.size());
  EXPECT_EQ(names[0], "comfyui");
  EXPECT_EQ(names[1], "jupyter-lab-ser");
  EXPECT_EQ(names[2], "port-22");
  EXPECT_EQ(names[3], "port-3000");  // no letter
  EXPECT_EQ(names[4], "port-3001");  // taken by the first port
  EXPECT_EQ(names[5], "web-ui");
  EXPECT_EQ(names[6], "port-3003");
  std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), names.size());
  for (const std::string& n : names) {
    EXPECT_LE(n.size(), 15U);
    EXPECT_TRUE(is_dns_label(n)) << n;
    EXPECT_EQ(n.find("--"), std::string::npos) << n;
  }
}

// ---- Pod -------------------------------------------------------------------------------------

TEST(ManifestPod, MetadataAndLabels) {
  const json p = k8s::pod(comfy());
  EXPECT_EQ(p["apiVersion"], "v1");
  EXPECT_EQ(p["kind"], "Pod");
  EXPECT_EQ(p["metadata"]["name"], std::string("np-") + kPodId);
  EXPECT_EQ(p["metadata"]["namespace"], "neuropod");
  const json& labels = p["metadata"]["labels"];
  EXPECT_EQ(labels["app.kubernetes.io/managed-by"], "neuropod");
  EXPECT_EQ(labels["neuropod.online/pod-id"], kPodId);
  EXPECT_EQ(labels["neuropod.online/user"], k8s::user_hash(kUserId));
  EXPECT_EQ(labels["neuropod.online/template"], "comfyui");
  EXPECT_EQ(p["metadata"]["annotations"]["neuropod.online/user-id"], kUserId);

  k8s::PodSpecInput custom = comfy();
  custom.template_slug.clear();
  custom.namespace_ = "other";
  const json c = k8s::pod(custom);
  EXPECT_EQ(c["metadata"]["labels"]["neuropod.online/template"], "custom");
  EXPECT_EQ(c["metadata"]["namespace"], "other");
}

TEST(ManifestPod, Container) {
  const json p = k8s::pod(comfy());
  ASSERT_EQ(p["spec"]["containers"].size(), 1U);
  const json c = main_container(p);
  EXPECT_EQ(c["name"], "main");
  EXPECT_EQ(c["image"], "ghcr.io/example/comfyui:1.0");
  EXPECT_EQ(c["env"], json::parse(R"([{"name":"CLI_ARGS","value":"--listen 0.0.0.0"}])"));
  EXPECT_EQ(c["ports"], json::parse(R"([
    {"name":"comfyui","containerPort":8188,"protocol":"TCP"},
    {"name":"jupyter","containerPort":8888,"protocol":"TCP"},
    {"name":"ssh","containerPort":22,"protocol":"TCP"}])"));
  EXPECT_FALSE(c.contains("command"));
  EXPECT_FALSE(c.contains("args"));

  k8s::PodSpecInput in = comfy();
  in.command = {"/bin/bash", "-lc"};
  in.args = {"sleep infinity"};
  const json with = main_container(k8s::pod(in));
  EXPECT_EQ(with["command"], json::parse(R"(["/bin/bash","-lc"])"));
  EXPECT_EQ(with["args"], json::parse(R"(["sleep infinity"])"));

  in.command.clear();
  EXPECT_FALSE(main_container(k8s::pod(in)).contains("command"));
  EXPECT_TRUE(main_container(k8s::pod(in)).contains("args"));
}

TEST(ManifestPod, ResourcesWithoutGpu) {
  const json p = k8s::pod(comfy());
  const json expected = json::parse(R"({"cpu":"4","memory":"16Gi","ephemeral-storage":"20Gi"})");
  EXPECT_EQ(main_container(p)["resources"]["requests"], expected);
  EXPECT_EQ(main_container(p)["resources"]["limits"], expected);
  EXPECT_FALSE(p["spec"].contains("tolerations"));
}

TEST(ManifestPod, ResourcesWithGpu) {
  k8s::PodSpecInput in = comfy();
  in.resources.gpus = 2;
  const json p = k8s::pod(in);
  EXPECT_EQ(main_container(p)["resources"]["limits"]["nvidia.com/gpu"], "2");
  EXPECT_EQ(main_container(p)["resources"]["requests"]["nvidia.com/gpu"], "2");
  EXPECT_EQ(p["spec"]["tolerations"], json::parse(R"([
    {"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}])"));
}

TEST(ManifestPod, SecurityAndPodSettings) {
  const json p = k8s::pod(comfy());
  const json& spec = p["spec"];
  EXPECT_EQ(spec["automountServiceAccountToken"], false);
  EXPECT_EQ(spec["enableServiceLinks"], false);
  EXPECT_EQ(spec["restartPolicy"], "Always");
  EXPECT_EQ(spec["terminationGracePeriodSeconds"], 30);
  EXPECT_EQ(spec["securityContext"]["fsGroup"], 1000);
  EXPECT_EQ(spec["securityContext"]["fsGroupChangePolicy"], "OnRootMismatch");
  const json sc = main_container(p)["securityContext"];
  EXPECT_EQ(sc["allowPrivilegeEscalation"], false);
  EXPECT_EQ(sc["capabilities"]["drop"], json::parse(R"(["NET_RAW"])"));
  EXPECT_EQ(sc["seccompProfile"]["type"], "RuntimeDefault");
  EXPECT_FALSE(sc.contains("privileged"));

  k8s::PodSpecInput in = comfy();
  in.fs_group = 4242;
  EXPECT_EQ(k8s::pod(in)["spec"]["securityContext"]["fsGroup"], 4242);
}

TEST(ManifestPod, ImagePullSecretsOnlyWhenConfigured) {
  EXPECT_FALSE(k8s::pod(comfy())["spec"].contains("imagePullSecrets"));
  k8s::PodSpecInput in = comfy();
  in.image_pull_secrets = {"ghcr-neuropod", "registry.example.com"};
  EXPECT_EQ(k8s::pod(in)["spec"]["imagePullSecrets"],
            json::parse(R"([{"name":"ghcr-neuropod"},{"name":"registry.example.com"}])"));
}

TEST(ManifestPod, ActivityContainerOnlyWhenConfiguredAndWithPorts) {
  EXPECT_EQ(k8s::pod(comfy())["spec"]["containers"].size(), 1U);
  k8s::PodSpecInput in = comfy();
  in.activity_image = "busybox:1.36.1";
  in.activity_url = "https://api.neuropod.online/api/pod-access/activity";
  in.activity_token = "tok.en.value";
  in.activity_interval_s = 45;
  const json containers = k8s::pod(in)["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2U);
  EXPECT_EQ(containers[0]["name"], "main");
  const json& a = containers[1];
  EXPECT_EQ(a["name"], "activity");
  EXPECT_EQ(a["image"], "busybox:1.36.1");
  ASSERT_EQ(a["command"].size(), 3U);
  EXPECT_EQ(a["command"][0], "sh");
  EXPECT_EQ(a["command"][1], "-c");
  const std::string script = a["command"][2];
  EXPECT_NE(script.find("/proc/net/tcp6"), std::string::npos);
  EXPECT_NE(script.find("trap 'exit 0' TERM"), std::string::npos);
  EXPECT_EQ(a["env"], json::parse(R"([
    {"name":"NEUROPOD_ACTIVITY_URL","value":"https://api.neuropod.online/api/pod-access/activity"},
    {"name":"NEUROPOD_ACTIVITY_TOKEN","value":"tok.en.value"},
    {"name":"NEUROPOD_ACTIVITY_PORTS","value":"1FFC,22B8,0016"},
    {"name":"NEUROPOD_ACTIVITY_INTERVAL","value":"45"}])"));
  EXPECT_FALSE(a.contains("ports"));  // nothing listens in it
  EXPECT_EQ(a["resources"]["requests"], a["resources"]["limits"]);
  const json& sc = a["securityContext"];
  EXPECT_EQ(sc["runAsUser"], 65534);
  EXPECT_EQ(sc["runAsNonRoot"], true);
  EXPECT_EQ(sc["readOnlyRootFilesystem"], true);
  EXPECT_EQ(sc["allowPrivilegeEscalation"], false);
  EXPECT_EQ(sc["capabilities"]["drop"], json::array({"ALL"}));
  EXPECT_FALSE(a.contains("volumeMounts"));  // never the user's workspace

  for (const auto& blank : {&k8s::PodSpecInput::activity_image, &k8s::PodSpecInput::activity_url,
                            &k8s::PodSpecInput::activity_token}) {
    k8s::PodSpecInput missing = in;
    missing.*blank = "";
    EXPECT_EQ(k8s::pod(missing)["spec"]["containers"].size(), 1U);
  }
  k8s::PodSpecInput no_ports = in;
  no_ports.ports.clear();
  EXPECT_EQ(k8s::pod(no_ports)["spec"]["containers"].size(), 1U);
}

TEST(ManifestPod, ActivityPortsAreProcNetTcpHex) {
  using catalog::Port;
  EXPECT_EQ(k8s::activity_ports({}), "");
  EXPECT_EQ(k8s::activity_ports({Port{80, "", "http"}}), "0050");
  EXPECT_EQ(
      k8s::activity_ports({Port{1, "", "tcp"}, Port{65535, "", "http"}, Port{8188, "", "http"}}),
      "0001,FFFF,1FFC");
}

TEST(ManifestPod, WorkspaceVolumeAndSharedMemory) {
  k8s::PodSpecInput in = comfy();
  in.workspace_path = "/home/user/work";
  const json p = k8s::pod(in);
  EXPECT_EQ(p["spec"]["volumes"], json::parse(R"([{"name":"workspace","persistentVolumeClaim":
    {"claimName":"workspace-)" + k8s::user_hash(kUserId) +
                                              R"("}},
    {"name":"dshm","emptyDir":{"medium":"Memory","sizeLimit":")" +
                                              in.resources.memory + R"("}}])"));
  EXPECT_EQ(main_container(p)["volumeMounts"],
            json::parse(R"([{"name":"workspace","mountPath":"/home/user/work"},
                            {"name":"dshm","mountPath":"/dev/shm"}])"));
  // A claim chosen by the runtime (hash collision) replaces the default name.
  in.workspace_claim = "workspace-" + std::string(kUserId);
  EXPECT_EQ(k8s::pod(in)["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
            in.workspace_claim);
  // The generation and the installation label.
  in.generation = 7;
  in.instance = "blue";
  const json q = k8s::pod(in);
  EXPECT_EQ(q["metadata"]["annotations"][std::string(k8s::kGenerationAnnotation)], "7");
  EXPECT_EQ(q["metadata"]["labels"][std::string(k8s::kInstanceLabel)], "blue");
  EXPECT_FALSE(p["metadata"]["labels"].contains(std::string(k8s::kInstanceLabel)));
}

TEST(ManifestPod, ReadinessProbePerPortKind) {
  // HTTP ports: httpGet on the first HTTP one, even after a tcp port.
  k8s::PodSpecInput in = comfy();
  in.ports = {catalog::Port{22, "ssh", "tcp"}, catalog::Port{8188, "ui", "http"},
              catalog::Port{8888, "lab", "http"}};
  EXPECT_EQ(main_container(k8s::pod(in))["readinessProbe"], json::parse(R"({
    "httpGet":{"path":"/","port":8188},"periodSeconds":5,"failureThreshold":3,
    "timeoutSeconds":3})"));

  in.ports = {catalog::Port{22, "ssh", "tcp"}, catalog::Port{5432, "db", "tcp"}};
  const json tcp = main_container(k8s::pod(in))["readinessProbe"];
  EXPECT_EQ(tcp["tcpSocket"]["port"], 22);
  EXPECT_FALSE(tcp.contains("httpGet"));
  EXPECT_EQ(tcp["periodSeconds"], 5);
  EXPECT_EQ(tcp["failureThreshold"], 3);

  in.ports.clear();
  const json none = main_container(k8s::pod(in));
  EXPECT_FALSE(none.contains("readinessProbe"));
  EXPECT_EQ(none["ports"], json::array());
}

TEST(ManifestPod, IsDeterministic) {
  EXPECT_EQ(k8s::pod(comfy()).dump(), k8s::pod(comfy()).dump());
}

// ---- Service ---------------------------------------------------------------------------------

TEST(ManifestService, OnePortPerPodPort) {
  const json s = k8s::service(comfy());
  EXPECT_EQ(s["apiVersion"], "v1");
  EXPECT_EQ(s["kind"], "Service");
  EXPECT_EQ(s["metadata"]["name"], std::string("np-") + kPodId);
  EXPECT_EQ(s["metadata"]["labels"]["neuropod.online/pod-id"], kPodId);
  EXPECT_EQ(s["spec"]["type"], "ClusterIP");
  EXPECT_EQ(s["spec"]["selector"], json({{"neuropod.online/pod-id", kPodId}}));
  EXPECT_EQ(s["spec"]["ports"], json::parse(R"([
    {"name":"comfyui","port":8188,"targetPort":"comfyui","protocol":"TCP"},
    {"name":"jupyter","port":8888,"targetPort":"jupyter","protocol":"TCP"},
    {"name":"ssh","port":22,"targetPort":"ssh","protocol":"TCP"}])"));
  EXPECT_FALSE(s["metadata"].contains("ownerReferences"));

  k8s::PodSpecInput none = comfy();
  none.ports.clear();
  EXPECT_TRUE(k8s::service(none).is_null());
}

TEST(ManifestService, SetOwner) {
  json s = k8s::service(comfy());
  k8s::set_owner(s, "np-x", "uid-1");
  k8s::set_owner(s, "np-x", "uid-1");  // idempotent
  EXPECT_EQ(s["metadata"]["ownerReferences"], json::parse(R"([{"apiVersion":"v1","kind":"Pod",
    "name":"np-x","uid":"uid-1","controller":true,"blockOwnerDeletion":true}])"));
  json i = k8s::ingress(comfy());
  k8s::set_owner(i, "np-x", "uid-1");
  EXPECT_EQ(i["metadata"]["ownerReferences"].size(), 1U);
}

// ---- Ingress ---------------------------------------------------------------------------------

TEST(ManifestIngress, OneRulePerHttpPort) {
  const json i = k8s::ingress(comfy());
  EXPECT_EQ(i["apiVersion"], "networking.k8s.io/v1");
  EXPECT_EQ(i["kind"], "Ingress");
  EXPECT_EQ(i["metadata"]["name"], std::string("np-") + kPodId);
  EXPECT_EQ(i["spec"]["ingressClassName"], "nginx");
  EXPECT_FALSE(i["spec"].contains("tls"));
  const std::string hash = k8s::user_hash(kUserId);
  const json& rules = i["spec"]["rules"];
  ASSERT_EQ(rules.size(), 2U);  // the tcp port has none
  EXPECT_EQ(rules[0]["host"], "my-comfyui-" + hash + "-8188.neuropod.online");
  EXPECT_EQ(rules[1]["host"], "my-comfyui-" + hash + "-8888.neuropod.online");
  EXPECT_EQ(rules[0]["http"]["paths"], json::parse(R"([{"path":"/","pathType":"Prefix",
    "backend":{"service":{"name":"np-)" + std::string(kPodId) +
                                                   R"(","port":{"number":8188}}}}])"));
  EXPECT_EQ(rules[1]["http"]["paths"][0]["backend"]["service"]["port"]["number"], 8888);
  EXPECT_EQ(k8s::http_hosts(comfy()),
            (std::vector<std::string>{rules[0]["host"], rules[1]["host"]}));

  k8s::PodSpecInput other = comfy();
  other.base_domain = "example.org";
  EXPECT_EQ(k8s::ingress(other)["spec"]["rules"][0]["host"],
            "my-comfyui-" + hash + "-8188.example.org");
}

TEST(ManifestIngress, Annotations) {
  const json a = k8s::ingress(comfy())["metadata"]["annotations"];
  EXPECT_EQ(a, json::parse(R"({
    "nginx.ingress.kubernetes.io/proxy-read-timeout":"3600",
    "nginx.ingress.kubernetes.io/proxy-send-timeout":"3600",
    "nginx.ingress.kubernetes.io/proxy-body-size":"0",
    "nginx.ingress.kubernetes.io/proxy-buffering":"off",
    "nginx.ingress.kubernetes.io/limit-rps":"50",
    "nginx.ingress.kubernetes.io/limit-burst-multiplier":"5"})"));
}

TEST(ManifestIngress, AuthAnnotationsOnlyWithAuthUrl) {
  k8s::PodSpecInput in = comfy();
  in.auth_signin = "https://app.neuropod.online/login";
  EXPECT_FALSE(k8s::ingress(in)["metadata"]["annotations"].contains(
      "nginx.ingress.kubernetes.io/auth-signin"));

  in.auth_url = "http://neuropod-backend.neuropod.svc:8080/api/access/check";
  const json a = k8s::ingress(in)["metadata"]["annotations"];
  EXPECT_EQ(a["nginx.ingress.kubernetes.io/auth-url"], in.auth_url);
  EXPECT_EQ(a["nginx.ingress.kubernetes.io/auth-signin"], in.auth_signin);
  EXPECT_EQ(a["nginx.ingress.kubernetes.io/auth-response-headers"], "X-Neuropod-User");
  EXPECT_EQ(a["nginx.ingress.kubernetes.io/auth-keepalive"], "16");
  EXPECT_FALSE(a.contains("nginx.ingress.kubernetes.io/auth-cache-key"));

  // With the access Service, each host also routes /.neuropod/ (callback, share links) to it.
  in.access_service = "neuropod-api:3000";
  const json rules = k8s::ingress(in)["spec"]["rules"];
  ASSERT_FALSE(rules.empty());
  for (const auto& r : rules) {
    const auto& paths = r["http"]["paths"];
    ASSERT_EQ(paths.size(), 2U);
    EXPECT_EQ(paths[1]["path"], "/.neuropod/");
    EXPECT_EQ(paths[1]["backend"]["service"]["name"], "neuropod-api");
    EXPECT_EQ(paths[1]["backend"]["service"]["port"]["number"], 3000);
  }
}

TEST(ManifestIngress, NullWithoutHttpPorts) {
  k8s::PodSpecInput in = comfy();
  in.ports = {catalog::Port{22, "ssh", "tcp"}};
  EXPECT_TRUE(k8s::ingress(in).is_null());
  EXPECT_TRUE(k8s::http_hosts(in).empty());
  in.ports.clear();
  EXPECT_TRUE(k8s::ingress(in).is_null());
}

TEST(ManifestIngress, HostsDifferForUsersWithTheSamePodName) {
  k8s::PodSpecInput other = comfy();
  other.user_id = kOtherUserId;
  other.pod_id = "65f1a2b3c4d5e6f708192a3e";
  EXPECT_NE(k8s::ingress(comfy())["spec"]["rules"][0]["host"],
            k8s::ingress(other)["spec"]["rules"][0]["host"]);
}

// ---- Workspace claim -------------------------------------------------------------------------

TEST(ManifestWorkspace, ClaimWithAndWithoutStorageClass) {
  const std::string hash = k8s::user_hash(kUserId);
  const json c = k8s::workspace_claim(hash, kUserId, "neuropod", "20Gi", "neuropod-workspace");
  EXPECT_EQ(c, json::parse(R"({"apiVersion":"v1","kind":"PersistentVolumeClaim",
    "metadata":{"name":"workspace-)" +
                           hash + R"(","namespace":"neuropod",
      "labels":{"app.kubernetes.io/managed-by":"neuropod","neuropod.online/user":")" +
                           hash + R"("},
      "annotations":{"neuropod.online/user-id":")" +
                           kUserId + R"("}},
    "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"20Gi"}},
      "storageClassName":"neuropod-workspace"}})"));
  const json d = k8s::workspace_claim(hash, kUserId, "neuropod", "5Gi", "");
  EXPECT_FALSE(d["spec"].contains("storageClassName"));
  EXPECT_EQ(d["spec"]["resources"]["requests"]["storage"], "5Gi");
}

// ---- Network policies ------------------------------------------------------------------------

TEST(ManifestNetworkPolicies, DenyAllThenAllowIngressControllerAndInternet) {
  const std::vector<json> p = k8s::network_policies("neuropod", "ingress-nginx");
  ASSERT_EQ(p.size(), 3U);
  const json selector =
      json::parse(R"({"matchLabels":{"app.kubernetes.io/managed-by":"neuropod"}})");
  for (const json& policy : p) {
    EXPECT_EQ(policy["apiVersion"], "networking.k8s.io/v1");
    EXPECT_EQ(policy["kind"], "NetworkPolicy");
    EXPECT_EQ(policy["metadata"]["namespace"], "neuropod");
    EXPECT_EQ(policy["spec"]["podSelector"], selector);
  }

  EXPECT_EQ(p[0]["metadata"]["name"], "neuropod-default-deny");
  EXPECT_EQ(p[0]["spec"]["policyTypes"], json::parse(R"(["Ingress","Egress"])"));
  EXPECT_FALSE(p[0]["spec"].contains("ingress"));
  EXPECT_FALSE(p[0]["spec"].contains("egress"));

  EXPECT_EQ(p[1]["spec"]["policyTypes"], json::parse(R"(["Ingress"])"));
  EXPECT_EQ(p[1]["spec"]["ingress"], json::parse(R"([{"from":[{"namespaceSelector":
    {"matchLabels":{"kubernetes.io/metadata.name":"ingress-nginx"}}}]}])"));

  EXPECT_EQ(p[2]["spec"]["policyTypes"], json::parse(R"(["Egress"])"));
  const json& egress = p[2]["spec"]["egress"];
  ASSERT_EQ(egress.size(), 2U);
  EXPECT_EQ(egress[0], json::parse(R"({"ports":[{"protocol":"UDP","port":53},
    {"protocol":"TCP","port":53}]})"));
  const json& block = egress[1]["to"][0]["ipBlock"];
  EXPECT_EQ(block["cidr"], "0.0.0.0/0");
  const auto except = block["except"].get<std::vector<std::string>>();
  EXPECT_THAT(except, testing::UnorderedElementsAre("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                    "169.254.0.0/16", "100.64.0.0/10"));
}

TEST(ManifestNetworkPolicies, ExtraDeniedCidrs) {
  const std::vector<json> p =
      k8s::network_policies("neuropod", "ingress-nginx", {"203.0.113.7/32"});
  const auto except =
      p[2]["spec"]["egress"][1]["to"][0]["ipBlock"]["except"].get<std::vector<std::string>>();
  EXPECT_THAT(except, testing::Contains("203.0.113.7/32"));
  EXPECT_THAT(except, testing::Contains("169.254.0.0/16"));
}

// ---- Image pre-puller ------------------------------------------------------------------------

TEST(ManifestPrepuller, OneInitContainerPerImage) {
  const json d = k8s::prepuller_daemonset("neuropod", {"ubuntu:24.04", "ghcr.io/x/comfyui:1"});
  EXPECT_EQ(d["apiVersion"], "apps/v1");
  EXPECT_EQ(d["kind"], "DaemonSet");
  EXPECT_EQ(d["metadata"]["name"], "neuropod-prepuller");
  EXPECT_EQ(d["metadata"]["namespace"], "neuropod");
  const json& spec = d["spec"]["template"]["spec"];
  const json& init = spec["initContainers"];
  ASSERT_EQ(init.size(), 2U);
  EXPECT_EQ(init[0]["name"], "pull-0");
  EXPECT_EQ(init[0]["image"], "ghcr.io/x/comfyui:1");
  EXPECT_EQ(init[1]["name"], "pull-1");
  EXPECT_EQ(init[1]["image"], "ubuntu:24.04");
  for (const json& c : init) {
    EXPECT_EQ(c["command"], json::parse(R"(["sh","-c","exit 0"])"));
    EXPECT_EQ(c["resources"]["requests"], json::parse(R"({"cpu":"1m","memory":"8Mi"})"));
  }
  ASSERT_EQ(spec["containers"].size(), 1U);
  EXPECT_EQ(spec["containers"][0]["image"], "registry.k8s.io/pause:3.10");
  EXPECT_EQ(spec["containers"][0]["resources"]["requests"],
            json::parse(R"({"cpu":"1m","memory":"8Mi"})"));
  EXPECT_EQ(spec["automountServiceAccountToken"], false);
  // The selector matches the template's labels.
  for (const auto& [key, value] : d["spec"]["selector"]["matchLabels"].items()) {
    EXPECT_EQ(d["spec"]["template"]["metadata"]["labels"][key], value);
  }
}

TEST(ManifestPrepuller, ImagesHashLabelFollowsTheImageList) {
  const std::vector<std::string> images = {"ubuntu:24.04", "ghcr.io/x/comfyui:1"};
  const std::string hash = k8s::images_hash(images);
  EXPECT_EQ(hash.size(), 16U);
  const json d = k8s::prepuller_daemonset("neuropod", images);
  EXPECT_EQ(d["metadata"]["labels"]["neuropod.online/images-hash"], hash);
  EXPECT_EQ(d["spec"]["template"]["metadata"]["annotations"]["neuropod.online/images-hash"], hash);

  // Order and duplicates don't matter; content does.
  EXPECT_EQ(k8s::images_hash({"ghcr.io/x/comfyui:1", "ubuntu:24.04", "ubuntu:24.04"}), hash);
  EXPECT_NE(k8s::images_hash({"ubuntu:24.04"}), hash);
  EXPECT_NE(k8s::images_hash({"ubuntu:24.04", "ghcr.io/x/comfyui:2"}), hash);
  EXPECT_NE(k8s::images_hash({}), hash);
  const json changed = k8s::prepuller_daemonset("neuropod", {"ubuntu:24.04"});
  EXPECT_NE(changed["metadata"]["labels"]["neuropod.online/images-hash"], hash);
  EXPECT_EQ(changed["spec"]["template"]["spec"]["initContainers"].size(), 1U);
}
