#include "k8s/capacity.hpp"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using nlohmann::json;
namespace k8s = neuropod::k8s;

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kGi = std::int64_t{1} << 30;
constexpr std::int64_t kKi = 1024;

// ---- nodes and pods shaped like `kubectl get nodes,pods -A -o json` ----------------------------

json ready_conditions(const char* ready = "True") {
  return json::array({
      {{"type", "MemoryPressure"},
       {"status", "False"},
       {"reason", "KubeletHasSufficientMemory"},
       {"lastHeartbeatTime", "2024-05-02T09:10:00Z"}},
      {{"type", "DiskPressure"}, {"status", "False"}, {"reason", "KubeletHasNoDiskPressure"}},
      {{"type", "PIDPressure"}, {"status", "False"}, {"reason", "KubeletHasSufficientPID"}},
      {{"type", "Ready"},
       {"status", ready},
       {"reason", std::string(ready) == "True" ? "KubeletReady" : "KubeletNotReady"},
       {"message", "kubelet is posting ready status"}},
  });
}

// A minikube-like node: 8 CPUs, 32779972Ki of memory, 110 pods.
json cpu_node(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata",
           {{"name", name},
            {"labels", {{"kubernetes.io/hostname", name}, {"kubernetes.io/os", "linux"}}},
            {"resourceVersion", "51234"}}},
          {"spec", {{"podCIDR", "10.244.0.0/24"}, {"podCIDRs", json::array({"10.244.0.0/24"})}}},
          {"status",
           {{"allocatable",
             {{"cpu", "8"},
              {"ephemeral-storage", "102350Mi"},
              {"hugepages-2Mi", "0"},
              {"memory", "32779972Ki"},
              {"pods", "110"}}},
            {"capacity",
             {{"cpu", "8"},
              {"ephemeral-storage", "102350Mi"},
              {"hugepages-2Mi", "0"},
              {"memory", "32882372Ki"},
              {"pods", "110"}}},
            {"conditions", ready_conditions()},
            {"nodeInfo",
             {{"kubeletVersion", "v1.30.0"}, {"containerRuntimeVersion", "docker://26.1.1"}}}}}};
}

// A GPU node as the NVIDIA device plugin and the sandbox label and taint it.
json gpu_node(const std::string& name, const char* gpus) {
  json n = cpu_node(name);
  n["status"]["allocatable"]["nvidia.com/gpu"] = gpus;
  n["status"]["capacity"]["nvidia.com/gpu"] = gpus;
  n["status"]["allocatable"]["cpu"] = "31850m";
  n["status"]["allocatable"]["memory"] = "128Gi";
  n["spec"]["taints"] =
      json::array({{{"key", "nvidia.com/gpu"}, {"value", "present"}, {"effect", "NoSchedule"}}});
  return n;
}

json node_list(std::vector<json> nodes) {
  return {{"apiVersion", "v1"},
          {"kind", "NodeList"},
          {"metadata", {{"resourceVersion", "51300"}}},
          {"items", std::move(nodes)}};
}

json container(const std::string& name, json requests, json limits = json::object()) {
  return {{"name", name},
          {"image", "ghcr.io/example/" + name + ":1"},
          {"imagePullPolicy", "IfNotPresent"},
          {"resources", {{"requests", std::move(requests)}, {"limits", std::move(limits)}}},
          {"terminationMessagePath", "/dev/termination-log"}};
}

json pod_on(const std::string& node, std::vector<json> containers, const char* phase = "Running") {
  json p = {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata",
             {{"name", "p-" + node},
              {"namespace", "neuropod"},
              {"uid", "6b0c1f9e-0d5a-4c1a-9a57-1f3b2a7c9e10"}}},
            {"spec",
             {{"containers", std::move(containers)},
              {"restartPolicy", "Always"},
              {"schedulerName", "default-scheduler"}}},
            {"status", {{"phase", phase}, {"qosClass", "Burstable"}}}};
  if (!node.empty()) {
    p["spec"]["nodeName"] = node;
  }
  return p;
}

json pod_list(std::vector<json> pods) {
  return {{"apiVersion", "v1"},
          {"kind", "PodList"},
          {"metadata", {{"resourceVersion", "51301"}}},
          {"items", std::move(pods)}};
}

const k8s::NodeCapacity& node(const k8s::Capacity& c, const std::string& name) {
  for (const k8s::NodeCapacity& n : c.nodes) {
    if (n.name == name) {
      return n;
    }
  }
  ADD_FAILURE() << "no node " << name;
  static const k8s::NodeCapacity none;
  return none;
}

}  // namespace

// ---- quantities --------------------------------------------------------------------------------

TEST(K8sQuantity, PlainNumbersAndDecimalSuffixes) {
  EXPECT_EQ(k8s::quantity_milli("500m"), 500);
  EXPECT_EQ(k8s::quantity_milli("2"), 2000);
  EXPECT_EQ(k8s::quantity_milli("0.5"), 500);
  EXPECT_EQ(k8s::quantity_milli(".5"), 500);
  EXPECT_EQ(k8s::quantity_milli("5."), 5000);
  EXPECT_EQ(k8s::quantity_milli("31850m"), 31850);
  EXPECT_EQ(k8s::quantity_value("1k"), 1000);
  EXPECT_EQ(k8s::quantity_value("1M"), 1'000'000);
  EXPECT_EQ(k8s::quantity_value("128M"), 128'000'000);
  EXPECT_EQ(k8s::quantity_value("1G"), 1'000'000'000);
  EXPECT_EQ(k8s::quantity_value("1T"), 1'000'000'000'000);
  EXPECT_EQ(k8s::quantity_value("1P"), 1'000'000'000'000'000);
  EXPECT_EQ(k8s::quantity_value("1E"), 1'000'000'000'000'000'000);  // exa, not an exponent
  EXPECT_EQ(k8s::quantity_milli("1u"), 1);                          // 0.000001 rounds up
  EXPECT_EQ(k8s::quantity_milli("1500u"), 2);
  EXPECT_EQ(k8s::quantity_milli("1000000n"), 1);
  EXPECT_EQ(k8s::quantity_milli("2000000n"), 2);
  EXPECT_EQ(k8s::quantity_milli("1n"), 1);
  EXPECT_EQ(k8s::quantity_value("110"), 110);
  EXPECT_EQ(k8s::quantity_value("000123"), 123);
  EXPECT_EQ(k8s::quantity_milli("1.000"), 1000);
  EXPECT_EQ(k8s::quantity_milli("0"), 0);
  EXPECT_EQ(k8s::quantity_milli("0m"), 0);
  EXPECT_EQ(k8s::quantity_milli("0.000Gi"), 0);
}

TEST(K8sQuantity, BinarySuffixes) {
  EXPECT_EQ(k8s::quantity_milli("1Ki"), 1'024'000);
  EXPECT_EQ(k8s::quantity_value("1Ki"), 1024);
  EXPECT_EQ(k8s::quantity_value("2Gi"), 2'147'483'648);
  EXPECT_EQ(k8s::quantity_value("16Gi"), 16 * kGi);
  EXPECT_EQ(k8s::quantity_value("32779972Ki"), 32'779'972 * kKi);
  EXPECT_EQ(k8s::quantity_value("102350Mi"), std::int64_t{102'350} << 20);
  EXPECT_EQ(k8s::quantity_value("1Ti"), std::int64_t{1} << 40);
  EXPECT_EQ(k8s::quantity_value("1Pi"), std::int64_t{1} << 50);
  EXPECT_EQ(k8s::quantity_value("1Ei"), std::int64_t{1} << 60);
  EXPECT_EQ(k8s::quantity_value("1.5Gi"), 1'610'612'736);
  EXPECT_EQ(k8s::quantity_value("1.5Ei"), (std::int64_t{3} << 59));
  EXPECT_EQ(k8s::quantity_value("0.5Ki"), 512);
  EXPECT_EQ(k8s::quantity_milli("1.5Ki"), 1'536'000);
}

TEST(K8sQuantity, DecimalExponents) {
  EXPECT_EQ(k8s::quantity_value("1e3"), 1000);
  EXPECT_EQ(k8s::quantity_value("1E3"), 1000);
  EXPECT_EQ(k8s::quantity_value("1e+3"), 1000);
  EXPECT_EQ(k8s::quantity_milli("1e-3"), 1);
  EXPECT_EQ(k8s::quantity_milli("1E-3"), 1);
  EXPECT_EQ(k8s::quantity_value("1.5e3"), 1500);
  EXPECT_EQ(k8s::quantity_value("12e0"), 12);
  EXPECT_EQ(k8s::quantity_milli("25e-2"), 250);
  EXPECT_EQ(k8s::quantity_value("1e18"), 1'000'000'000'000'000'000);
  EXPECT_EQ(k8s::quantity_value("0e999999"), 0);
}

TEST(K8sQuantity, RoundsUpAndAwayFromZero) {
  EXPECT_EQ(k8s::quantity_value("500m"), 1);
  EXPECT_EQ(k8s::quantity_value("1000m"), 1);
  EXPECT_EQ(k8s::quantity_value("1001m"), 2);
  EXPECT_EQ(k8s::quantity_value("1500m"), 2);
  EXPECT_EQ(k8s::quantity_value("1.5"), 2);
  EXPECT_EQ(k8s::quantity_milli("0.1m"), 1);
  EXPECT_EQ(k8s::quantity_milli("1.0001m"), 2);
  EXPECT_EQ(k8s::quantity_milli("0.0001"), 1);
  EXPECT_EQ(k8s::quantity_value("0.1Ki"), 103);     // 102.4
  EXPECT_EQ(k8s::quantity_value("3.2Ki"), 3277);    // 3276.8
  EXPECT_EQ(k8s::quantity_value("0.001Ki"), 2);     // 1.024
  EXPECT_EQ(k8s::quantity_milli("0.001Ki"), 1024);  // exact
  // Signs: Kubernetes rounds negative values away from zero too.
  EXPECT_EQ(k8s::quantity_milli("+1"), 1000);
  EXPECT_EQ(k8s::quantity_milli("-1"), -1000);
  EXPECT_EQ(k8s::quantity_value("-500m"), -1);
  EXPECT_EQ(k8s::quantity_value("-1.5"), -2);
  EXPECT_EQ(k8s::quantity_milli("-0"), 0);
  EXPECT_EQ(k8s::quantity_milli("-0.5Ki"), -512'000);
}

TEST(K8sQuantity, ManyDigitsAreExact) {
  // Digits beyond what fits in 64 bits, in the whole part, the fraction or both.
  EXPECT_EQ(k8s::quantity_value("00000000000000000000000000001"), 1);
  EXPECT_EQ(k8s::quantity_value("1.00000000000000000000000000000"), 1);
  EXPECT_EQ(k8s::quantity_milli("0.000000000000000000000000000001"), 1);
  EXPECT_EQ(k8s::quantity_value("100000000000000000000000e-20"), 1000);
  EXPECT_EQ(k8s::quantity_value("12345678901234567890123e-20"), 124);  // 123.456...
  EXPECT_EQ(k8s::quantity_milli("12345678901234567890123e-20"), 123457);
  EXPECT_EQ(k8s::quantity_milli("1e-999999999999999"), 1);                 // tiny, positive
  EXPECT_EQ(k8s::quantity_value("0." + std::string(17, '0') + "1Ei"), 2);  // 1.152...
  EXPECT_EQ(k8s::quantity_value("0." + std::string(20, '0') + "1Ei"), 1);  // 0.00115...
  // A value at a multiple of 1/1024 with many fraction digits stays exact.
  EXPECT_EQ(k8s::quantity_value("0.0009765625Ki"), 1);
  EXPECT_EQ(k8s::quantity_milli("0.0009765625Ki"), 1000);
}

TEST(K8sQuantity, Int64Bounds) {
  EXPECT_EQ(k8s::quantity_value("9223372036854775807"), kMax);
  EXPECT_EQ(k8s::quantity_value("9223372036854775808"), std::nullopt);
  EXPECT_EQ(k8s::quantity_milli("9223372036854775807m"), kMax);
  EXPECT_EQ(k8s::quantity_milli("9223372036854775808m"), std::nullopt);
  EXPECT_EQ(k8s::quantity_milli("9223372036854775.807"), kMax);
  EXPECT_EQ(k8s::quantity_milli("9223372036854775.8061"), kMax);          // rounds up to ...807
  EXPECT_EQ(k8s::quantity_milli("9223372036854775.8071"), std::nullopt);  // rounds up past it
  EXPECT_EQ(k8s::quantity_milli("9223372036854775807"), std::nullopt);
  EXPECT_EQ(k8s::quantity_value("-9223372036854775808"), kMin);
  EXPECT_EQ(k8s::quantity_milli("-9223372036854775808m"), kMin);
  EXPECT_EQ(k8s::quantity_value("-9223372036854775809"), std::nullopt);
  EXPECT_EQ(k8s::quantity_value("7Ei"), std::int64_t{7} << 60);
  EXPECT_EQ(k8s::quantity_value("8Ei"), std::nullopt);  // 2^63
  EXPECT_EQ(k8s::quantity_value("-8Ei"), kMin);
  EXPECT_EQ(k8s::quantity_milli("8Ei"), std::nullopt);
  EXPECT_EQ(k8s::quantity_milli("8Pi"), std::int64_t{8'000} << 50);  // 9.007e18
  EXPECT_EQ(k8s::quantity_milli("9Pi"), std::nullopt);
  EXPECT_EQ(k8s::quantity_value("9E"), 9'000'000'000'000'000'000);
  EXPECT_EQ(k8s::quantity_value("10E"), std::nullopt);
  EXPECT_EQ(k8s::quantity_value("1e19"), std::nullopt);
  EXPECT_EQ(k8s::quantity_value("1e999999999999999999999"), std::nullopt);
  EXPECT_EQ(k8s::quantity_value("123456789012345678901234567890"), std::nullopt);
  EXPECT_EQ(k8s::quantity_value("12345678901234567890.5"), std::nullopt);
  EXPECT_EQ(k8s::quantity_value("8388608Ti"), std::nullopt);  // 2^63
  EXPECT_EQ(k8s::quantity_value("8388607Ti"), std::int64_t{8'388'607} << 40);
}

TEST(K8sQuantity, RejectsWhatIsNotAQuantity) {
  for (const char* q :
       {"",     "m",    "Gi",    ".",     "-",    "+",     "+-1",      "--1",  "1K",
        "1mi",  "1KiB", "1gi",   "1Gb",   " 1",   "1 ",    "1 Gi",     "1Gi ", "1e",
        "1e+",  "1e-",  "1E+",   "1e1.5", "1ee3", "1e3Ki", "1.5.5",    "1..5", "abc",
        "0x10", "1,5",  "1_000", "1Ki5",  "1mm",  "1.5m1", "\xd9\xa1", "NaN",  "inf"}) {
    EXPECT_EQ(k8s::quantity_milli(q), std::nullopt) << q;
    EXPECT_EQ(k8s::quantity_value(q), std::nullopt) << q;
  }
  // An embedded NUL is part of the view, not its end.
  EXPECT_EQ(k8s::quantity_value(std::string_view("1\0", 2)), std::nullopt);
}

TEST(K8sQuantity, MilliAndValueAgree) {
  for (std::int64_t n = 0; n <= 5000; ++n) {
    const std::string milli = std::to_string(n) + "m";
    EXPECT_EQ(k8s::quantity_milli(milli), n);
    EXPECT_EQ(k8s::quantity_value(milli), (n + 999) / 1000) << milli;
    EXPECT_EQ(k8s::quantity_milli(std::to_string(n)), n * 1000);
    EXPECT_EQ(k8s::quantity_value(std::to_string(n) + "Ki"), n * 1024);
  }
}

// ---- capacity ----------------------------------------------------------------------------------

TEST(K8sCapacity, IdleNodesAreFreeAndSorted) {
  const k8s::Capacity c =
      k8s::capacity(node_list({cpu_node("worker-b"), gpu_node("gpu-0", "2"), cpu_node("worker-a")}),
                    pod_list({}));
  ASSERT_EQ(c.nodes.size(), 3U);
  EXPECT_EQ(c.nodes[0].name, "gpu-0");
  EXPECT_EQ(c.nodes[1].name, "worker-a");
  EXPECT_EQ(c.nodes[2].name, "worker-b");

  const k8s::NodeCapacity& a = c.nodes[1];
  EXPECT_TRUE(a.schedulable);
  EXPECT_FALSE(a.gpu_tainted);
  EXPECT_EQ(a.cpu_millis_allocatable, 8000);
  EXPECT_EQ(a.cpu_millis_free, 8000);
  EXPECT_EQ(a.memory_bytes_allocatable, 32'779'972 * kKi);
  EXPECT_EQ(a.memory_bytes_free, 32'779'972 * kKi);
  EXPECT_EQ(a.gpus_allocatable, 0);
  EXPECT_EQ(a.pods_allocatable, 110);
  EXPECT_EQ(a.pods_free, 110);

  const k8s::NodeCapacity& g = c.nodes[0];
  EXPECT_TRUE(g.schedulable);
  EXPECT_TRUE(g.gpu_tainted);
  EXPECT_EQ(g.gpus_allocatable, 2);
  EXPECT_EQ(g.gpus_free, 2);
  EXPECT_EQ(g.cpu_millis_free, 31850);

  EXPECT_EQ(c.cpu_millis_free, 8000 + 8000 + 31850);
  EXPECT_EQ(c.memory_bytes_free, std::int64_t{2} * 32'779'972 * kKi + 128 * kGi);
  EXPECT_EQ(c.gpus_free, 2);
  EXPECT_EQ(c.max_gpus_free_on_one_node, 2);
}

TEST(K8sCapacity, SubtractsRequestsOfPodsBoundToTheNode) {
  std::vector<json> pods = {
      pod_on("worker-a", {container("main", {{"cpu", "4"}, {"memory", "16Gi"}},
                                    {{"cpu", "4"}, {"memory", "16Gi"}})}),
      pod_on("worker-a", {container("app", {{"cpu", "250m"}, {"memory", "64Mi"}}),
                          container("proxy", {{"cpu", "100m"}, {"memory", "32Mi"}})}),
      pod_on("gpu-0", {container("main", {{"cpu", "2"}, {"memory", "8Gi"}, {"nvidia.com/gpu", "1"}},
                                 {{"nvidia.com/gpu", "1"}})}),
      // No requests at all (BestEffort): takes a pod slot only.
      pod_on("worker-a", {{{"name", "besteffort"}, {"image", "busybox"}}}),
  };
  const k8s::Capacity c =
      k8s::capacity(node_list({cpu_node("worker-a"), gpu_node("gpu-0", "4")}), pod_list(pods));
  const k8s::NodeCapacity& a = node(c, "worker-a");
  EXPECT_EQ(a.cpu_millis_free, 8000 - 4000 - 350);
  EXPECT_EQ(a.memory_bytes_free, 32'779'972 * kKi - 16 * kGi - 96 * (kKi * kKi));
  EXPECT_EQ(a.pods_free, 107);
  EXPECT_EQ(a.cpu_millis_allocatable, 8000);  // unchanged
  const k8s::NodeCapacity& g = node(c, "gpu-0");
  EXPECT_EQ(g.gpus_free, 3);
  EXPECT_EQ(g.cpu_millis_free, 29850);
  EXPECT_EQ(g.memory_bytes_free, 120 * kGi);
  EXPECT_EQ(g.pods_free, 109);
  EXPECT_EQ(c.gpus_free, 3);
  EXPECT_EQ(c.max_gpus_free_on_one_node, 3);
  EXPECT_EQ(c.cpu_millis_free, 3650 + 29850);
}

TEST(K8sCapacity, FinishedUnboundAndForeignPodsAreIgnored) {
  const json big = container("main", {{"cpu", "6"}, {"memory", "20Gi"}});
  json deleting = pod_on("worker-a", {container("main", {{"cpu", "1"}})});
  deleting["metadata"]["deletionTimestamp"] = "2024-05-02T10:00:00Z";  // still holds its share
  const k8s::Capacity c = k8s::capacity(node_list({cpu_node("worker-a")}),
                                        pod_list({
                                            pod_on("worker-a", {big}, "Succeeded"),
                                            pod_on("worker-a", {big}, "Failed"),
                                            pod_on("", {big}, "Pending"),  // not scheduled yet
                                            pod_on("worker-z", {big}),     // another node
                                            pod_on("worker-a", {big}, "Pending"),  // bound
                                            deleting,
                                        }));
  const k8s::NodeCapacity& a = node(c, "worker-a");
  EXPECT_EQ(a.cpu_millis_free, 1000);
  EXPECT_EQ(a.memory_bytes_free, 32'779'972 * kKi - 20 * kGi);
  EXPECT_EQ(a.pods_free, 108);
  ASSERT_EQ(c.nodes.size(), 1U);
}

TEST(K8sCapacity, InitContainersCountByTheirMaximumPlusOverhead) {
  json p = pod_on("worker-a", {container("main", {{"cpu", "1"}, {"memory", "1Gi"}}),
                               container("log", {{"cpu", "500m"}, {"memory", "128Mi"}})});
  p["spec"]["initContainers"] = json::array({
      container("fetch", {{"cpu", "2"}, {"memory", "256Mi"}}),     // more CPU than the sum
      container("migrate", {{"cpu", "100m"}, {"memory", "3Gi"}}),  // more memory than the sum
  });
  p["spec"]["overhead"] = {{"cpu", "250m"}, {"memory", "120Mi"}};  // e.g. Kata RuntimeClass
  const k8s::Capacity c = k8s::capacity(node_list({cpu_node("worker-a")}), pod_list({p}));
  const k8s::NodeCapacity& a = node(c, "worker-a");
  EXPECT_EQ(a.cpu_millis_free, 8000 - 2000 - 250);  // max(1500, 2000, 100) + 250
  EXPECT_EQ(a.memory_bytes_free, 32'779'972 * kKi - 3 * kGi - 120 * kKi * kKi);
  EXPECT_EQ(a.pods_free, 109);
}

TEST(K8sCapacity, SidecarInitContainersAddToTheContainers) {
  json p = pod_on("worker-a", {container("main", {{"cpu", "1"}, {"memory", "1Gi"}})});
  json sidecar = container("mesh", {{"cpu", "500m"}, {"memory", "256Mi"}});
  sidecar["restartPolicy"] = "Always";
  p["spec"]["initContainers"] = json::array({
      sidecar,
      container("setup", {{"cpu", "1200m"}, {"memory", "64Mi"}}),  // runs beside the sidecar
  });
  const k8s::Capacity c = k8s::capacity(node_list({cpu_node("worker-a")}), pod_list({p}));
  const k8s::NodeCapacity& a = node(c, "worker-a");
  // containers + sidecar = 1500m / 1280Mi; setup + sidecar = 1700m / 320Mi.
  EXPECT_EQ(a.cpu_millis_free, 8000 - 1700);
  EXPECT_EQ(a.memory_bytes_free, 32'779'972 * kKi - 1280 * kKi * kKi);
}

TEST(K8sCapacity, LimitsStandInForMissingRequests) {
  // A pod object that was not defaulted by the API server: requests default to limits.
  json p = pod_on("gpu-0", {container("main", json::object(),
                                      {{"cpu", "3"}, {"memory", "4Gi"}, {"nvidia.com/gpu", "2"}})});
  p["spec"]["containers"][0]["resources"].erase("requests");
  json q = pod_on("gpu-0", {container("main", {{"cpu", "1"}}, {{"cpu", "2"}, {"memory", "1Gi"}})});
  const k8s::Capacity c = k8s::capacity(node_list({gpu_node("gpu-0", "4")}), pod_list({p, q}));
  const k8s::NodeCapacity& g = node(c, "gpu-0");
  EXPECT_EQ(g.cpu_millis_free, 31850 - 3000 - 1000);  // q's request wins over its limit
  EXPECT_EQ(g.memory_bytes_free, 128 * kGi - 5 * kGi);
  EXPECT_EQ(g.gpus_free, 2);
}

TEST(K8sCapacity, OvercommittedNodeHasNothingFree) {
  // Allocatable shrank under running pods (a kubelet restart with more reserved resources).
  const std::vector<json> pods(
      3, pod_on("worker-a", {container("main", {{"cpu", "3"}, {"memory", "12Gi"}})}));
  json n = cpu_node("worker-a");
  n["status"]["allocatable"]["pods"] = "2";
  const k8s::Capacity c = k8s::capacity(node_list({n}), pod_list(pods));
  const k8s::NodeCapacity& a = node(c, "worker-a");
  EXPECT_EQ(a.cpu_millis_free, 0);
  EXPECT_EQ(a.memory_bytes_free, 0);
  EXPECT_EQ(a.pods_free, 0);
  EXPECT_EQ(c.cpu_millis_free, 0);
  EXPECT_EQ(k8s::fits(c, "100m", "1Mi", 0), 0);
}

TEST(K8sCapacity, TaintsDecideWhereNeuropodPodsMayGo) {
  json control = cpu_node("control");
  control["spec"]["taints"] =
      json::array({{{"key", "node-role.kubernetes.io/control-plane"}, {"effect", "NoSchedule"}}});
  json prefer = cpu_node("prefer");
  prefer["spec"]["taints"] =
      json::array({{{"key", "spot"}, {"value", "true"}, {"effect", "PreferNoSchedule"}}});
  json draining = cpu_node("draining");
  draining["spec"]["taints"] =
      json::array({{{"key", "maintenance"}, {"value", "true"}, {"effect", "NoExecute"}}});
  json gpu_noexec = gpu_node("gpu-noexec", "8");  // our GPU pods tolerate only NoSchedule
  gpu_noexec["spec"]["taints"][0]["effect"] = "NoExecute";
  json gpu_and_other = gpu_node("gpu-cordoned", "8");
  gpu_and_other["spec"]["taints"].push_back(
      {{"key", "node.kubernetes.io/unschedulable"}, {"effect", "NoSchedule"}});

  const k8s::Capacity c = k8s::capacity(
      node_list({control, prefer, draining, gpu_noexec, gpu_and_other, gpu_node("gpu-ok", "2")}),
      pod_list({}));
  EXPECT_FALSE(node(c, "control").schedulable);
  EXPECT_FALSE(node(c, "control").gpu_tainted);
  EXPECT_TRUE(node(c, "prefer").schedulable);
  EXPECT_FALSE(node(c, "draining").schedulable);
  EXPECT_FALSE(node(c, "gpu-noexec").schedulable);
  EXPECT_FALSE(node(c, "gpu-noexec").gpu_tainted);
  EXPECT_FALSE(node(c, "gpu-cordoned").schedulable);
  EXPECT_TRUE(node(c, "gpu-cordoned").gpu_tainted);
  EXPECT_TRUE(node(c, "gpu-ok").schedulable);
  EXPECT_TRUE(node(c, "gpu-ok").gpu_tainted);
  // Free resources are computed for every node, but summed over schedulable ones only.
  EXPECT_EQ(node(c, "control").cpu_millis_free, 8000);
  EXPECT_EQ(c.cpu_millis_free, 8000 + 31850);
  EXPECT_EQ(c.gpus_free, 2);
  EXPECT_EQ(c.max_gpus_free_on_one_node, 2);
}

TEST(K8sCapacity, UnreadyAndCordonedNodesAreNotSchedulable) {
  json not_ready = cpu_node("not-ready");
  not_ready["status"]["conditions"] = ready_conditions("False");
  json unknown = cpu_node("unknown");
  unknown["status"]["conditions"] = ready_conditions("Unknown");  // kubelet stopped reporting
  json no_conditions = cpu_node("no-conditions");
  no_conditions["status"].erase("conditions");
  json cordoned = cpu_node("cordoned");
  cordoned["spec"]["unschedulable"] = true;
  json uncordoned = cpu_node("uncordoned");
  uncordoned["spec"]["unschedulable"] = false;

  const k8s::Capacity c = k8s::capacity(
      node_list({not_ready, unknown, no_conditions, cordoned, uncordoned}), pod_list({}));
  EXPECT_FALSE(node(c, "not-ready").schedulable);
  EXPECT_FALSE(node(c, "unknown").schedulable);
  EXPECT_FALSE(node(c, "no-conditions").schedulable);
  EXPECT_FALSE(node(c, "cordoned").schedulable);
  EXPECT_TRUE(node(c, "uncordoned").schedulable);
  EXPECT_EQ(c.cpu_millis_free, 8000);
  EXPECT_EQ(k8s::fits(c, "1", "1Gi", 0), 8);
}

TEST(K8sCapacity, GarbledQuantitiesCountAsZero) {
  json n = cpu_node("worker-a");
  n["status"]["allocatable"]["cpu"] = "eight";
  n["status"]["allocatable"]["nvidia.com/gpu"] = 2;  // a JSON number is read too
  std::vector<json> pods = {
      pod_on("worker-a", {container("main", {{"cpu", "lots"}, {"memory", "1Gi"}})}),
      pod_on("worker-a", {container("main", {{"memory", "-5Gi"}, {"nvidia.com/gpu", "1"}})}),
      pod_on("worker-a", {container("main", {{"memory", nullptr}, {"cpu", json::array()}})}),
  };
  const k8s::Capacity c = k8s::capacity(node_list({n}), pod_list(pods));
  const k8s::NodeCapacity& a = node(c, "worker-a");
  EXPECT_EQ(a.cpu_millis_allocatable, 0);
  EXPECT_EQ(a.cpu_millis_free, 0);
  EXPECT_EQ(a.memory_bytes_free, 32'779'972 * kKi - kGi);
  EXPECT_EQ(a.gpus_allocatable, 2);
  EXPECT_EQ(a.gpus_free, 1);
  EXPECT_EQ(a.pods_free, 107);
}

TEST(K8sCapacity, OddListsNeverThrow) {
  for (const char* odd_text :
       {"null", "[]", "\"NodeList\"", R"({"items": null})", R"({"items": {}})",
        R"({"items": [1, "x", null]})", R"({"items": [{"metadata": {"name": 7}}]})",
        R"({"items": [{"metadata": "x", "status": {"allocatable": {"cpu": "8"}}}]})"}) {
    const json odd = json::parse(odd_text);
    EXPECT_NO_THROW({
      const k8s::Capacity c = k8s::capacity(odd, odd);
      EXPECT_TRUE(c.nodes.empty());
      EXPECT_EQ(c.cpu_millis_free, 0);
    });
  }
  // Odd pods on a good node: skipped or counted as requesting nothing.
  const json weird_pods = json::parse(R"({"items": [
      5, {"spec": "x"}, {"spec": {"nodeName": 3}},
      {"spec": {"nodeName": "worker-a", "containers": "x"}},
      {"spec": {"nodeName": "worker-a", "containers": [7, {"resources": "x"}],
                "initContainers": {"a": 1}, "overhead": [1]},
       "status": "x"}]})");
  json weird_node = cpu_node("worker-a");
  weird_node["spec"]["taints"] = json::array({nullptr, 3, {{"effect", 1}}});
  weird_node["spec"]["unschedulable"] = "yes";  // not a boolean: absent
  k8s::Capacity c;
  ASSERT_NO_THROW(c = k8s::capacity(node_list({weird_node}), weird_pods));
  ASSERT_EQ(c.nodes.size(), 1U);
  EXPECT_TRUE(c.nodes[0].schedulable);
  EXPECT_EQ(c.nodes[0].cpu_millis_free, 8000);
  EXPECT_EQ(c.nodes[0].pods_free, 108);
}

TEST(K8sCapacity, SumsSaturateInsteadOfOverflowing) {
  json a = cpu_node("huge-a");
  json b = cpu_node("huge-b");
  a["status"]["allocatable"]["memory"] = "8E";
  b["status"]["allocatable"]["memory"] = "8E";
  const std::vector<json> pods(2, pod_on("huge-a", {container("main", {{"memory", "7E"}})}));
  const k8s::Capacity c = k8s::capacity(node_list({a, b}), pod_list(pods));
  EXPECT_EQ(node(c, "huge-a").memory_bytes_free, 0);  // 14E used (saturated sum) > 8E
  EXPECT_EQ(node(c, "huge-b").memory_bytes_free, 8'000'000'000'000'000'000);
  EXPECT_EQ(c.memory_bytes_free, 8'000'000'000'000'000'000);

  json e = cpu_node("huge-c");
  e["status"]["allocatable"]["memory"] = "8E";
  const k8s::Capacity f = k8s::capacity(node_list({b, e}), pod_list({}));
  EXPECT_EQ(f.memory_bytes_free, kMax);
}

// ---- fits --------------------------------------------------------------------------------------

TEST(K8sCapacity, FitsCountsPerNodeByTheScarcestResource) {
  // worker-a: 8 CPUs, ~31.26Gi; worker-b: 2.5 CPUs left after a 5.5 CPU pod.
  const k8s::Capacity c = k8s::capacity(
      node_list({cpu_node("worker-a"), cpu_node("worker-b")}),
      pod_list({pod_on("worker-b", {container("main", {{"cpu", "5500m"}, {"memory", "1Gi"}})})}));
  EXPECT_EQ(k8s::fits(c, "1", "1Gi", 0), 8 + 2);
  EXPECT_EQ(k8s::fits(c, "4", "16Gi", 0), 1 + 0);    // worker-a: min(2, 1)
  EXPECT_EQ(k8s::fits(c, "500m", "8Gi", 0), 3 + 3);  // memory is scarcer
  EXPECT_EQ(k8s::fits(c, "100m", "64Mi", 0), 80 + 25);
  EXPECT_EQ(k8s::fits(c, "9", "1Gi", 0), 0);
}

TEST(K8sCapacity, FitsIgnoresUnparsableAndZeroRequests) {
  json n = cpu_node("worker-a");
  n["status"]["allocatable"]["pods"] = "10";
  const k8s::Capacity c = k8s::capacity(node_list({n}), pod_list({}));
  EXPECT_EQ(k8s::fits(c, "", "", 0), 10);  // bounded by the node's pods only
  EXPECT_EQ(k8s::fits(c, "0", "0", 0), 10);
  EXPECT_EQ(k8s::fits(c, "lots", "16Gi", 0), 1);
  EXPECT_EQ(k8s::fits(c, "2", "much", 0), 4);
  EXPECT_EQ(k8s::fits(c, "-1", "-1Gi", 0), 10);
  EXPECT_EQ(k8s::fits(c, "1", "1Gi", -3), 8);  // no GPUs
}

TEST(K8sCapacity, FitsAddsWhatThePodsOtherContainersRequest) {
  // worker-a: 8 CPUs; 8 pods of exactly 1 CPU fit, but not with 10m more each.
  const k8s::Capacity c = k8s::capacity(node_list({cpu_node("worker-a")}), pod_list({}));
  EXPECT_EQ(k8s::fits(c, "1", "1Gi", 0), 8);
  EXPECT_EQ(k8s::fits(c, "1", "1Gi", 0, 10, 24LL << 20), 7);
  EXPECT_EQ(k8s::fits(c, "1", "1Gi", 0, 0, 0), 8);
  // Without a cpu request of its own, the extra is the whole need: 8000m / 10m, capped by pods.
  json n = cpu_node("worker-b");
  n["status"]["allocatable"]["pods"] = "1000";
  const k8s::Capacity d = k8s::capacity(node_list({n}), pod_list({}));
  EXPECT_EQ(k8s::fits(d, "", "", 0, 10, 0), 800);
  EXPECT_EQ(k8s::fits(d, "", "", 0, -5, -5), 1000);  // negative extras are none
}

TEST(K8sCapacity, FitsKeepsGpuNodesForGpuPods) {
  std::vector<json> pods = {
      pod_on("gpu-0",
             {container("main", {{"cpu", "4"}, {"memory", "32Gi"}, {"nvidia.com/gpu", "3"}})}),
  };
  json untainted_gpu = gpu_node("gpu-untainted", "1");
  untainted_gpu["spec"].erase("taints");
  const k8s::Capacity c = k8s::capacity(node_list({cpu_node("worker-a"), gpu_node("gpu-0", "4"),
                                                   gpu_node("gpu-1", "2"), untainted_gpu}),
                                        pod_list(pods));
  EXPECT_EQ(node(c, "gpu-0").gpus_free, 1);
  EXPECT_EQ(c.gpus_free, 1 + 2 + 1);
  EXPECT_EQ(c.max_gpus_free_on_one_node, 2);
  // A CPU pod may only use worker-a and the untainted GPU node.
  EXPECT_EQ(k8s::fits(c, "1", "1Gi", 0), 8 + 31);
  // GPU pods: a pod's GPUs are on one node.
  EXPECT_EQ(k8s::fits(c, "1", "1Gi", 1), 1 + 2 + 1);
  EXPECT_EQ(k8s::fits(c, "1", "1Gi", 2), 0 + 1 + 0);
  EXPECT_EQ(k8s::fits(c, "1", "1Gi", 3), 0);
  EXPECT_EQ(k8s::fits(c, "16", "1Gi", 1), 1 + 1 + 1);  // CPU limits gpu-0 and gpu-1 to one
  EXPECT_EQ(k8s::fits(c, "1", "100Gi", 1), 0 + 1 + 1);
}

TEST(K8sCapacity, FitsSkipsUnschedulableNodes) {
  json cordoned = gpu_node("gpu-cordoned", "8");
  cordoned["spec"]["unschedulable"] = true;
  json not_ready = cpu_node("worker-down");
  not_ready["status"]["conditions"] = ready_conditions("False");
  const k8s::Capacity c = k8s::capacity(node_list({cordoned, not_ready}), pod_list({}));
  EXPECT_EQ(k8s::fits(c, "1", "1Gi", 0), 0);
  EXPECT_EQ(k8s::fits(c, "1", "1Gi", 1), 0);
  EXPECT_EQ(c.gpus_free, 0);
  EXPECT_EQ(c.max_gpus_free_on_one_node, 0);
}
