// The Kubernetes client against a real API server (the sandbox: tools/sandbox/k8s), as the backend:
// NEUROPOD_TEST_KUBECONFIG names the backend's kubeconfig (ServiceAccount neuropod-backend, its
// Role in deploy/rbac/neuropod-backend.yaml), NEUROPOD_TEST_K8S_NAMESPACE its namespace (default
// neuropod). Without them every test is skipped. Objects are named and labelled per run, so runs
// never collide; each test deletes what it created.
//
// Not covered here: HTTP 410 / ERROR 410 events (this API server's watch cache serves any old
// resourceVersion after a fresh start, so 410 cannot be forced): unit/k8s_client_test.cpp feeds
// the parser and the informer loop a scripted 410 instead.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <optional>
#include <random>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "k8s/client.hpp"
#include "k8s/kubeconfig.hpp"

namespace asio = boost::asio;
using neuropod::core::ErrorCode;
using neuropod::k8s::KubeClient;
using neuropod::k8s::KubeClientOptions;
using neuropod::k8s::KubeConfig;
using neuropod::k8s::KubeError;
using nlohmann::json;
using namespace std::chrono_literals;
namespace k8s = neuropod::k8s;

namespace {

struct Env {
  std::string kubeconfig;  // empty: not configured
  std::string ns = "neuropod";
  std::string run;  // per-run suffix of names and value of the run label
};

const Env& env() {
  static const Env e = [] {
    Env out;
    if (const char* path =
            std::getenv("NEUROPOD_TEST_KUBECONFIG")) {  // NOLINT(concurrency-mt-unsafe)
      out.kubeconfig = path;
    }
    if (const char* ns =
            std::getenv("NEUROPOD_TEST_K8S_NAMESPACE")) {  // NOLINT(concurrency-mt-unsafe)
      if (*ns != '\0') {
        out.ns = ns;
      }
    }
    std::random_device rd;
    constexpr std::string_view alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
    for (int i = 0; i < 6; ++i) {
      out.run.push_back(alphabet[rd() % alphabet.size()]);
    }
    return out;
  }();
  return e;
}

constexpr const char* kRunLabel = "neuropod.io/test-run";

std::string run_selector() {
  return std::string(kRunLabel) + "=" + env().run;
}

std::string name(const std::string& what) {
  return "np-test-" + env().run + "-" + what;
}

json config_map(const std::string& n, const json& data) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", n}, {"labels", {{kRunLabel, env().run}}}}},
          {"data", data}};
}

json pod(const std::string& n) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", n}, {"labels", {{kRunLabel, env().run}}}}},
          {"spec",
           {{"containers",
             {{{"name", "main"},
               {"image", "ghcr.io/neuropod/session:latest"},
               {"resources",
                {{"requests", {{"cpu", "100m"}, {"memory", "64Mi"}}},
                 {"limits", {{"cpu", "200m"}, {"memory", "128Mi"}}}}}}}},
            {"terminationGracePeriodSeconds", 0}}}};
}

// The KubeError that `fn` throws; fails the test when it throws nothing or something else.
template <typename Fn>
KubeError error_of(Fn fn) {
  try {
    fn();
  } catch (const KubeError& e) {
    return e;
  }
  throw std::runtime_error("expected a KubeError");
}

class K8sClient : public ::testing::Test {
 protected:
  void SetUp() override {
    if (env().kubeconfig.empty()) {
      GTEST_SKIP() << "NEUROPOD_TEST_KUBECONFIG is not set: start the sandbox "
                      "(tools/sandbox/k8s up) and point it at its backend kubeconfig "
                      "(NEUROPOD_KUBECONFIG of `tools/sandbox/k8s env`)";
    }
    config_ = k8s::load_kubeconfig(env().kubeconfig);
    client_.emplace(ioc_.get_executor(), config_, options());
  }

  virtual KubeClientOptions options() const { return {}; }

  // Runs the coroutine on this test's io_context, at most `limit`.
  template <typename T>
  T run(asio::awaitable<T> aw, std::chrono::seconds limit = 60s) {
    auto fut = asio::co_spawn(ioc_, std::move(aw), asio::use_future);
    ioc_.restart();
    // Until the call is done: kept-alive connections wait idle in the io_context meanwhile.
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (fut.wait_for(0s) != std::future_status::ready &&
           std::chrono::steady_clock::now() < deadline) {
      ioc_.run_one_for(100ms);
    }
    if (fut.wait_for(0s) != std::future_status::ready) {
      ioc_.stop();
      throw std::runtime_error("the Kubernetes call did not finish in time");
    }
    return fut.get();
  }

  KubeClient& k() { return *client_; }
  static const std::string& ns() { return env().ns; }
  static std::string cms() { return k8s::core_path(env().ns, "configmaps"); }
  static std::string cm(const std::string& n) { return k8s::core_path(env().ns, "configmaps", n); }

  // Polls `get(path)` until `pred` holds (or `limit` passes); returns the last object.
  json wait_for(const std::string& path, const std::function<bool(const json&)>& pred,
                std::chrono::seconds limit = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    json obj;
    while (std::chrono::steady_clock::now() < deadline) {
      obj = run(k().get(path));
      if (pred(obj)) {
        return obj;
      }
      std::this_thread::sleep_for(200ms);
    }
    ADD_FAILURE() << "condition not reached on " << path << ": " << obj.dump();
    return obj;
  }

  void wait_gone(const std::string& path, std::chrono::seconds limit = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        run(k().get(path));
      } catch (const KubeError& e) {
        if (e.code() == ErrorCode::not_found) {
          return;
        }
        throw;
      }
      std::this_thread::sleep_for(200ms);
    }
    ADD_FAILURE() << path << " still exists";
  }

  asio::io_context ioc_;
  KubeConfig config_;
  std::optional<KubeClient> client_;
};

// ------------------------------------------------------------------------------- configuration

TEST_F(K8sClient, LoadsTheBackendKubeconfig) {
  EXPECT_EQ(config_.server.rfind("https://", 0), 0U) << config_.server;
  EXPECT_FALSE(config_.token.empty());
  EXPECT_NE(config_.ca_pem.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  EXPECT_TRUE(config_.client_cert_pem.empty());
  EXPECT_FALSE(config_.insecure_skip_tls_verify);
  EXPECT_FALSE(config_.context.empty());
  EXPECT_EQ(config_.default_namespace, ns());
}

// ------------------------------------------------------------------------------------ requests

TEST_F(K8sClient, ConfigMapCreateGetListPatchApplyDelete) {
  const auto n = name("crud");
  const json created = run(k().create(cms(), config_map(n, {{"a", "1"}})));
  EXPECT_EQ(created["metadata"]["name"], n);
  EXPECT_FALSE(created["metadata"]["uid"].get<std::string>().empty());

  const json got = run(k().get(cm(n)));
  EXPECT_EQ(got["data"], json({{"a", "1"}}));
  EXPECT_EQ(got["metadata"]["uid"], created["metadata"]["uid"]);

  const json listed = run(k().list(cms(), run_selector()));
  EXPECT_EQ(listed["kind"], "ConfigMapList");
  EXPECT_FALSE(k8s::resource_version_of(listed).empty());
  ASSERT_EQ(listed["items"].size(), 1U);
  EXPECT_EQ(listed["items"][0]["metadata"]["name"], n);
  EXPECT_EQ(run(k().list(cms(), std::string(kRunLabel) + "=nobody"))["items"].size(), 0U);

  const json patch = {{"data", {{"b", "2"}}}, {"metadata", {{"labels", {{"extra", "yes"}}}}}};
  const json patched = run(k().patch_merge(cm(n), patch));
  EXPECT_EQ(patched["data"], json({{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(patched["metadata"]["labels"]["extra"], "yes");

  const json applied = run(k().apply(cm(n), config_map(n, {{"a", "1"}, {"c", "3"}})));
  EXPECT_EQ(applied["data"]["c"], "3");
  const json again = run(k().apply(cm(n), config_map(n, {{"a", "1"}, {"c", "3"}})));
  EXPECT_EQ(k8s::resource_version_of(again), k8s::resource_version_of(applied))
      << "a second identical apply changed the object";
  bool managed = false;
  for (const auto& entry : again["metadata"]["managedFields"]) {
    managed = managed || (entry["manager"] == "neuropod" && entry["operation"] == "Apply");
  }
  EXPECT_TRUE(managed) << again["metadata"]["managedFields"].dump();

  EXPECT_TRUE(run(k().del(cm(n))));
  EXPECT_FALSE(run(k().del(cm(n))));  // already gone: not an error
  const auto e = error_of([&] { run(k().get(cm(n))); });
  EXPECT_EQ(e.code(), ErrorCode::not_found);
}

TEST_F(K8sClient, ApplyCreatesAndDeletesAPod) {
  const auto n = name("pod");
  const auto path = k8s::core_path(ns(), "pods", n);
  const json applied = run(k().apply(path, pod(n)));
  EXPECT_EQ(applied["metadata"]["name"], n);
  // Applying again is harmless (the scheduler may be changing the pod meanwhile).
  EXPECT_EQ(run(k().apply(path, pod(n)))["metadata"]["uid"], applied["metadata"]["uid"]);
  // kube-scheduler places it on a simulated node, kwok makes it Running.
  const json running = wait_for(path, [](const json& p) {
    return p.contains("status") && p["status"].value("phase", "") == "Running";
  });
  EXPECT_EQ(running["spec"]["nodeName"].get<std::string>().rfind("sandbox-", 0), 0U);

  run(k().patch_merge(path, {{"metadata", {{"labels", {{"neuropod.io/state", "seen"}}}}}}));
  const json listed =
      run(k().list(k8s::core_path(ns(), "pods"), run_selector() + ",neuropod.io/state=seen"));
  ASSERT_EQ(listed["items"].size(), 1U);
  EXPECT_EQ(listed["items"][0]["metadata"]["name"], n);

  EXPECT_TRUE(run(k().del(path)));
  wait_gone(path);
  EXPECT_FALSE(run(k().del(path)));
}

// --------------------------------------------------------------------------------------- errors

TEST_F(K8sClient, AlreadyExistsIsAConflict) {
  const auto n = name("dup");
  run(k().create(cms(), config_map(n, {{"a", "1"}})));
  const auto e = error_of([&] { run(k().create(cms(), config_map(n, {{"a", "1"}}))); });
  run(k().del(cm(n)));
  EXPECT_EQ(e.code(), ErrorCode::conflict);
  EXPECT_EQ(e.http_status(), 409U);
  EXPECT_EQ(e.reason(), "AlreadyExists");
  EXPECT_EQ(e.details()["kubernetes"]["name"], n);
}

TEST_F(K8sClient, RequestsReuseKeptAliveConnections) {
  const auto [opened_before, reused_before] = k().connection_stats();
  for (int i = 0; i < 20; ++i) {
    run(k().get(k8s::core_path(ns(), "configmaps")));
  }
  const auto [opened, reused] = k().connection_stats();
  // One connection served them all (a second one only if the server closed the first).
  EXPECT_LE(opened - opened_before, 2U);
  EXPECT_GE(reused - reused_before, 18U);
}

TEST_F(K8sClient, NotFound) {
  const auto e = error_of([&] { run(k().get(cm(name("missing")))); });
  EXPECT_EQ(e.code(), ErrorCode::not_found);
  EXPECT_EQ(e.http_status(), 404U);
  EXPECT_EQ(e.reason(), "NotFound");
  const auto patch = error_of([&] {
    run(k().patch_merge(cm(name("missing")), {{"data", {{"a", "1"}}}}));
  });
  EXPECT_EQ(patch.code(), ErrorCode::not_found);
}

TEST_F(K8sClient, ForbiddenByTheBackendsRoleIsAConfigurationProblem) {
  // Secrets are not in the backend's Role; nothing of kube-system is.
  for (const auto& path :
       {k8s::core_path(ns(), "secrets"), k8s::core_path("kube-system", "pods")}) {
    const auto e = error_of([&] { run(k().list(path)); });
    EXPECT_EQ(e.code(), ErrorCode::kubernetes_unavailable) << path;
    EXPECT_EQ(e.http_status(), 403U) << path;
    EXPECT_EQ(e.reason(), "Forbidden") << path;
    EXPECT_NE(std::string(e.what()).find("RBAC"), std::string::npos) << e.what();
    EXPECT_NE(e.details()["kubernetes"]["message"].get<std::string>().find("neuropod-backend"),
              std::string::npos);
  }
  // The Role grants patch (merge, apply), not update: a PUT is refused.
  const auto n = name("put");
  run(k().create(cms(), config_map(n, {{"a", "1"}})));
  const auto put = error_of([&] { run(k().replace(cm(n), config_map(n, {{"a", "2"}}))); });
  run(k().del(cm(n)));
  EXPECT_EQ(put.http_status(), 403U);
}

TEST_F(K8sClient, InvalidObjectIsAValidationError) {
  json bad = config_map("Bad_Name", {{"a", "1"}});
  const auto e = error_of([&] { run(k().create(cms(), bad)); });
  EXPECT_EQ(e.code(), ErrorCode::validation_failed);
  EXPECT_EQ(e.http_status(), 422U);
  EXPECT_EQ(e.reason(), "Invalid");
  ASSERT_FALSE(e.details()["fields"].empty()) << e.details().dump();
  EXPECT_EQ(e.details()["fields"][0]["field"], "metadata.name");
}

TEST_F(K8sClient, UnreachableAndUntrustedServers) {
  KubeConfig closed = config_;
  closed.server = "https://127.0.0.1:1";
  KubeClient nowhere(ioc_.get_executor(), closed);
  const auto refused = error_of([&] { run(nowhere.get(cm("x"))); });
  EXPECT_EQ(refused.code(), ErrorCode::kubernetes_unavailable);
  EXPECT_STREQ(refused.what(), "Kubernetes is unreachable");
  EXPECT_EQ(refused.http_status(), 0U);
  EXPECT_NE(refused.details()["reason"].get<std::string>().find("connection failed"),
            std::string::npos)
      << refused.details().dump();

  KubeConfig untrusted = config_;
  untrusted.ca_pem.clear();  // the system's CAs do not know the sandbox's
  KubeClient doubtful(ioc_.get_executor(), untrusted);
  const auto tls = error_of([&] { run(doubtful.get(cm("x"))); });
  EXPECT_EQ(tls.code(), ErrorCode::kubernetes_unavailable);
  EXPECT_NE(tls.details()["reason"].get<std::string>().find("certificate verify failed"),
            std::string::npos)
      << tls.details().dump();
}

// -------------------------------------------------------------------------------------- watches

// Creates, changes and deletes a ConfigMap, a moment after the start.
asio::awaitable<void> churn(KubeClient& client, std::string path, std::string collection,
                            json object) {
  asio::steady_timer timer(co_await asio::this_coro::executor, 300ms);
  co_await timer.async_wait(asio::use_awaitable);
  co_await client.create(collection, object);
  json patch = {{"data", {{"b", "2"}}}};
  co_await client.patch_merge(path, std::move(patch));
  co_await client.del(path);
}

TEST_F(K8sClient, WatchSeesAddedModifiedDeleted) {
  const auto n = name("watched");
  const std::string rv = k8s::resource_version_of(run(k().list(cms(), run_selector())));
  ASSERT_FALSE(rv.empty());
  std::stop_source stop;
  std::vector<std::string> seen;
  std::string last_event_rv;
  const k8s::WatchCallback on_event = [&](const std::string& type, const json& object) {
    seen.push_back(type + " " + object["metadata"]["name"].get<std::string>());
    last_event_rv = k8s::resource_version_of(object);
    if (type == "DELETED") {
      stop.request_stop();
    }
  };
  asio::co_spawn(ioc_, churn(k(), cm(n), cms(), config_map(n, {{"a", "1"}})), asio::detached);
  const auto start = std::chrono::steady_clock::now();
  const std::string last =
      run(k().watch(cms(), run_selector(), rv, on_event, stop.get_token()), 30s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED " + n, "MODIFIED " + n, "DELETED " + n}));
  EXPECT_EQ(last, last_event_rv);
  EXPECT_NE(last, rv);
}

class K8sShortWatch : public K8sClient {
 protected:
  KubeClientOptions options() const override {
    KubeClientOptions o;
    o.watch_timeout = 2s;
    return o;
  }
};

TEST_F(K8sShortWatch, WatchReturnsWhenTheServerEndsIt) {
  const std::string rv = k8s::resource_version_of(run(k().list(cms(), run_selector())));
  int events = 0;
  const k8s::WatchCallback on_event = [&](const std::string&, const json&) { ++events; };
  const auto start = std::chrono::steady_clock::now();
  const std::string last = run(k().watch(cms(), run_selector(), rv, on_event), 30s);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 1500ms);
  EXPECT_LT(took, 15s);
  EXPECT_EQ(events, 0);
  EXPECT_FALSE(last.empty());  // the one given, or a bookmark's
}

TEST_F(K8sShortWatch, WatchForeverListsThenWatchesAcrossServerTimeouts) {
  const auto first = name("informer-a");
  const auto second = name("informer-b");
  run(k().create(cms(), config_map(first, {{"a", "1"}})));
  std::stop_source stop;
  std::vector<std::vector<std::string>> relists;
  std::vector<std::string> events;
  const k8s::RelistCallback on_relist = [&](const json& list) {
    std::vector<std::string> names;
    for (const auto& item : list["items"]) {
      names.push_back(item["metadata"]["name"].get<std::string>());
    }
    relists.push_back(names);
  };
  const k8s::WatchCallback on_event = [&](const std::string& type, const json& object) {
    events.push_back(type + " " + object["metadata"]["name"].get<std::string>());
    if (type == "ADDED" && object["metadata"]["name"] == second) {
      stop.request_stop();
    }
  };
  // The second object comes after more than one server-side timeout (2 s): the loop must
  // resume from the last resourceVersion, not list again.
  asio::steady_timer later(ioc_, 5s);
  later.async_wait([&](boost::system::error_code) {
    asio::co_spawn(ioc_, k().create(cms(), config_map(second, {{"b", "2"}})), asio::detached);
  });
  run(k().watch_forever(cms(), run_selector(), on_event, on_relist, stop.get_token()), 30s);
  run(k().del(cm(first)));
  run(k().del(cm(second)));
  ASSERT_EQ(relists.size(), 1U);
  EXPECT_EQ(relists[0], std::vector<std::string>{first});
  EXPECT_EQ(events, std::vector<std::string>{"ADDED " + second});
}

TEST_F(K8sClient, WatchForeverResumesFromAGivenResourceVersionAndStopsFromAnotherThread) {
  const auto n = name("resume");
  const std::string rv = k8s::resource_version_of(run(k().list(cms(), run_selector())));
  run(k().create(cms(), config_map(n, {{"a", "1"}})));  // after rv: replayed by the watch
  std::stop_source stop;
  int relists = 0;
  std::vector<std::string> events;
  const k8s::RelistCallback on_relist = [&](const json&) { ++relists; };
  const k8s::WatchCallback on_event = [&](const std::string& type, const json& object) {
    events.push_back(type + " " + object["metadata"]["name"].get<std::string>());
  };
  std::thread stopper([&stop] {
    std::this_thread::sleep_for(2s);
    stop.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  run(k().watch_forever(cms(), run_selector(), on_event, on_relist, stop.get_token(), rv), 30s);
  const auto took = std::chrono::steady_clock::now() - start;
  stopper.join();
  run(k().del(cm(n)));
  EXPECT_EQ(relists, 0);
  EXPECT_EQ(events, std::vector<std::string>{"ADDED " + n});
  EXPECT_LT(took, 5s) << "stop did not end the watch promptly";
}

TEST_F(K8sClient, EventsStreamOfAPod) {
  // Events are what the backend shows when a session does not start: a real multi-object stream.
  const auto n = name("events");
  const auto path = k8s::core_path(ns(), "pods", n);
  const auto events = k8s::core_path(ns(), "events");
  const std::string rv = k8s::resource_version_of(run(k().list(events)));
  std::stop_source stop;
  std::vector<std::string> reasons;
  const k8s::WatchCallback on_event = [&](const std::string& type, const json& object) {
    if (type == "ADDED" && object["involvedObject"].value("name", "") == n) {
      reasons.push_back(object.value("reason", ""));
      if (object.value("reason", "") == "Scheduled") {
        stop.request_stop();
      }
    }
  };
  run(k().apply(path, pod(n)));
  run(k().watch(events, "", rv, on_event, stop.get_token()), 60s);
  run(k().del(path));
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "Scheduled"), reasons.end());
}

// ----------------------------------------------------------------------------------------- logs

TEST_F(K8sClient, FollowLogsOfAKwokPod) {
  // kwok answers a log request with a fixed line and keeps a followed log open.
  const auto n = name("logs");
  const auto path = k8s::core_path(ns(), "pods", n);
  run(k().apply(path, pod(n)));
  wait_for(path, [](const json& p) {
    return p.contains("status") && p["status"].value("phase", "") == "Running";
  });
  std::stop_source stop;
  std::string text;
  int chunks = 0;
  const k8s::ChunkCallback on_chunk = [&](std::string_view chunk) {
    ++chunks;
    text.append(chunk);
    if (text.find('\n') != std::string::npos) {
      stop.request_stop();  // the stream stays open: only stop ends it
    }
  };
  const auto start = std::chrono::steady_clock::now();
  run(k().follow_logs(ns(), n, "main", 10, on_chunk, stop.get_token()), 30s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
  EXPECT_NE(text.find("simulated (kwok) node"), std::string::npos) << text;
  EXPECT_GE(chunks, 1);

  const auto no_container =
      error_of([&] { run(k().follow_logs(ns(), n, "sidecar", 1, on_chunk)); });
  EXPECT_EQ(no_container.http_status(), 400U);
  EXPECT_EQ(no_container.code(), ErrorCode::bad_request);
  const auto no_pod =
      error_of([&] { run(k().follow_logs(ns(), name("nopod"), "main", 1, on_chunk)); });
  EXPECT_EQ(no_pod.code(), ErrorCode::not_found);
  run(k().del(path));
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (env().kubeconfig.empty()) {
    std::printf("neuropod_k8s_tests: NEUROPOD_TEST_KUBECONFIG is not set, every test is skipped\n");
  }
  return RUN_ALL_TESTS();
}
