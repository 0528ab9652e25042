// Pods end to end against the real database (NEUROPOD_TEST_MONGODB_URI) and a real Kubernetes API
// server (the sandbox: NEUROPOD_TEST_KUBECONFIG, the backend's identity): PodService, the
// Kubernetes runtime and the reconciler together, as the server runs them. Each test process has
// its own database and its own installation label (neuropod.online/instance), so runs never see
// each other's pods; the tests of this binary share one lock in ctest (RESOURCE_LOCK) because
// they use the cluster's shared capacity (GPUs). Without NEUROPOD_TEST_KUBECONFIG: skipped.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <stop_token>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include "billing/ledger.hpp"
#include "catalog/catalog.hpp"
#include "core/errors.hpp"
#include "core/event_bus.hpp"
#include "core/ids.hpp"
#include "db/schema.hpp"
#include "integration/db_test_env.hpp"
#include "k8s/kube_runtime.hpp"
#include "k8s/kubeconfig.hpp"
#include "k8s/manifests.hpp"
#include "k8s/naming.hpp"
#include "notify/notifications.hpp"
#include "pods/pod_service.hpp"
#include "pods/reconciler.hpp"
#include "users/user_store.hpp"

namespace asio = boost::asio;
using namespace neuropod;
using namespace std::chrono_literals;
using core::ErrorCode;
using nlohmann::json;

namespace {

constexpr auto kCallTimeout = std::chrono::seconds(60);

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

const std::string& kubeconfig_path() {
  static const std::string p = env_or("NEUROPOD_TEST_KUBECONFIG", "");
  return p;
}

const std::string& test_namespace() {
  static const std::string ns = env_or("NEUROPOD_TEST_K8S_NAMESPACE", "neuropod");
  return ns;
}

// A TCP forwarder in front of the API server that the test can cut and restore: "Kubernetes
// unreachable" without touching the shared sandbox.
class CuttableProxy {
 public:
  CuttableProxy(asio::io_context& ioc, std::string host, std::uint16_t port)
      : ioc_(ioc),
        acceptor_(ioc, {asio::ip::make_address("127.0.0.1"), 0}),
        target_(asio::ip::make_address(host), port) {
    asio::co_spawn(ioc_, accept(), asio::detached);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void set_up(bool up) {
    up_ = up;
    if (!up) {
      asio::post(ioc_, [this] {
        for (auto& w : open_) {
          if (auto s = w.lock()) {
            boost::system::error_code ec;
            s->close(ec);
          }
        }
        open_.clear();
      });
    }
  }
  void close() {
    asio::post(ioc_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
  }

 private:
  using Socket = asio::ip::tcp::socket;
  asio::awaitable<void> accept() {
    for (;;) {
      auto client = std::make_shared<Socket>(co_await acceptor_.async_accept(asio::use_awaitable));
      if (!up_) {
        boost::system::error_code ec;
        client->close(ec);
        continue;
      }
      auto server = std::make_shared<Socket>(ioc_);
      boost::system::error_code ec;
      co_await server->async_connect(target_, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        continue;
      }
      open_.push_back(client);
      open_.push_back(server);
      asio::co_spawn(ioc_, pipe(client, server), asio::detached);
      asio::co_spawn(ioc_, pipe(server, client), asio::detached);
    }
  }
  static asio::awaitable<void> pipe(std::shared_ptr<Socket> from, std::shared_ptr<Socket> to) {
    std::array<char, 16384> buf{};
    for (;;) {
      boost::system::error_code ec;
      const auto n = co_await from->async_read_some(asio::buffer(buf),
                                                    asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        break;
      }
      co_await asio::async_write(*to, asio::buffer(buf.data(), n),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        break;
      }
    }
    boost::system::error_code ignored;
    to->shutdown(Socket::shutdown_send, ignored);
  }

  asio::io_context& ioc_;
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::endpoint target_;
  std::atomic<bool> up_{true};
  std::vector<std::weak_ptr<Socket>> open_;
};

// The real runtime, except that the next start loses its last answers: the pod is created but
// the Service and Ingress are not (as when the API server is too slow to confirm them), and the
// start reports `unconfirmed` as KubeRuntime does then. Fault injection over the real cluster.
class LosesLastAnswers : public runtime::PodRuntime {
 public:
  LosesLastAnswers(runtime::PodRuntime& real, k8s::KubeClient& client, std::string ns)
      : real_(real), client_(client), ns_(std::move(ns)) {}
  std::atomic<bool> lose_next{false};

  asio::awaitable<void> prepare(std::vector<std::string> images) override {
    co_await real_.prepare(std::move(images));
  }
  asio::awaitable<runtime::StartResult> start(runtime::PodSpec spec) override {
    const std::string name = k8s::resource_name(spec.pod_id);
    const auto result = co_await real_.start(std::move(spec));
    if (!lose_next.exchange(false)) {
      co_return result;
    }
    co_await client_.del(k8s::networking_path(ns_, "ingresses", name));
    co_await client_.del(k8s::core_path(ns_, "services", name));
    co_return runtime::StartResult::unconfirmed;
  }
  asio::awaitable<bool> stop(std::string pod_id) override {
    co_return co_await real_.stop(std::move(pod_id));
  }
  asio::awaitable<std::optional<runtime::Observation>> status(std::string pod_id) override {
    co_return co_await real_.status(std::move(pod_id));
  }
  asio::awaitable<std::vector<runtime::Observation>> list() override {
    co_return co_await real_.list();
  }
  asio::awaitable<void> watch(runtime::WatchHandlers handlers, std::stop_token stop) override {
    co_await real_.watch(std::move(handlers), std::move(stop));
  }
  asio::awaitable<void> watch_events(std::function<void(const runtime::ProgressEvent&)> on_event,
                                     std::stop_token stop) override {
    co_await real_.watch_events(std::move(on_event), std::move(stop));
  }
  asio::awaitable<std::vector<runtime::ProgressEvent>> events(std::string pod_id) override {
    co_return co_await real_.events(std::move(pod_id));
  }
  asio::awaitable<void> logs(std::string pod_id, runtime::LogOptions options,
                             std::function<void(std::string_view)> on_chunk,
                             std::stop_token stop) override {
    co_await real_.logs(std::move(pod_id), options, std::move(on_chunk), std::move(stop));
  }
  asio::awaitable<runtime::Capacity> capacity() override { co_return co_await real_.capacity(); }
  asio::awaitable<void> ping() override { co_await real_.ping(); }
  asio::awaitable<bool> lead(std::string identity, std::chrono::seconds lease) override {
    co_return co_await real_.lead(std::move(identity), lease);
  }

 private:
  runtime::PodRuntime& real_;
  k8s::KubeClient& client_;
  std::string ns_;
};

class PodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kubeconfig_path().empty()) {
      GTEST_SKIP() << "NEUROPOD_TEST_KUBECONFIG is not set (make test starts a sandbox)";
    }
    thread_ = std::thread([this] { ioc_.run(); });
    call(db_.run([](db::Conn& c) {
      db::ensure_schema(c);
      return 0;
    }));
    call(catalog_.seed());
    auto settings = call(catalog_.settings());
    settings.min_runway_minutes = 10;
    settings.max_running_pods_per_user = 3;
    settings.base_domain = "neuropod.test";
    call(catalog_.update_settings(settings, "test@neuropod.test"));

    kube_config_ = k8s::load_kubeconfig(kubeconfig_path());
    client_ =
        std::make_unique<k8s::KubeClient>(ioc_.get_executor(), kube_config_, client_options());
    runtime_ = make_runtime(*client_);
    service_ =
        std::make_unique<pods::PodService>(store_, users_, catalog_, runtime_.get(), bus_, clock_);
    service_->set_notifications(&notifications_);
    start_reconciler();

    alice_ = make_user("alice", 10'000'000);
    bob_ = make_user("bob", 10'000'000);
  }

  void TearDown() override {
    if (kubeconfig_path().empty()) {
      return;
    }
    stop_reconciler();
    // Whatever this test left in the cluster.
    try {
      for (const auto& o : call(runtime_->list())) {
        call(runtime_->stop(o.pod_id));
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cleanup: " << e.what();
    }
    if (proxy_) {
      proxy_->close();
    }
    work_.reset();
    ioc_.stop();
    thread_.join();
    // I/O objects owned here need the io_context's services in their destructors: destroy them
    // now, while it is stopped but alive (their pending operations are discarded with it).
    proxy_.reset();
    // Database calls still queued complete into the stopped (still alive) io_context; close()
    // waits for them, so no worker touches this fixture after it is gone.
    db_.close();
  }

  static k8s::KubeClientOptions client_options() {
    k8s::KubeClientOptions o;
    o.request_timeout = 5s;
    o.connect_timeout = 5s;
    o.watch_timeout = 30s;
    o.backoff_initial = 200ms;
    o.backoff_max = 1s;
    return o;
  }

  std::unique_ptr<k8s::KubeRuntime> make_runtime(k8s::KubeClient& client) {
    k8s::KubeRuntimeOptions o;
    o.namespace_ = test_namespace();
    o.instance = instance_;
    return std::make_unique<k8s::KubeRuntime>(client, clock_, o);
  }

  void start_reconciler() {
    reconciler_stop_ = std::stop_source();
    reconciler_ = std::make_unique<pods::Reconciler>(
        *service_, *runtime_,
        pods::ReconcilerOptions{
            .identity = "test-" + instance_, .lease_duration = 3s, .resync_every = 2s});
    auto done = std::make_shared<std::promise<void>>();
    reconciler_done_ = done->get_future();
    asio::co_spawn(ioc_, reconciler_->run(reconciler_stop_.get_token()),
                   [done](const std::exception_ptr&) { done->set_value(); });
  }

  void stop_reconciler() {
    if (!reconciler_) {
      return;
    }
    reconciler_stop_.request_stop();
    ASSERT_EQ(reconciler_done_.wait_for(10s), std::future_status::ready);
    // The term's lease stays held for lease_duration: a new reconciler with the same identity
    // renews it at once.
  }

  // Runs `aw` on the test's io_context and waits for it; a call that never completes fails the
  // test instead of hanging the run.
  template <typename T>
  T call(asio::awaitable<T> aw) {
    auto fut = asio::co_spawn(ioc_, std::move(aw), asio::use_future);
    if (fut.wait_for(kCallTimeout) != std::future_status::ready) {
      ADD_FAILURE() << "call did not complete";
      throw std::runtime_error("call did not complete");
    }
    return fut.get();
  }
  void call(asio::awaitable<void> aw) {
    auto fut = asio::co_spawn(ioc_, std::move(aw), asio::use_future);
    if (fut.wait_for(kCallTimeout) != std::future_status::ready) {
      ADD_FAILURE() << "call did not complete";
      throw std::runtime_error("call did not complete");
    }
    fut.get();
  }

  pods::Actor make_user(const std::string& who, std::int64_t micros) {
    users::NewUser nu;
    nu.email = who + "-" + core::random_hex(3) + "@neuropod.test";
    nu.name = who;
    auto u = call(users_.create(nu));
    if (micros > 0) {
      billing::Change c;
      c.kind = billing::EntryKind::credit;
      c.amount = core::Micros(micros);
      c.reason = "test";
      call(ledger_.apply(u.id, c));
    }
    return pods::Actor{u.id, u.email, false};
  }

  pods::Pod deploy(const pods::Actor& who, json body) {
    return call(service_->deploy(who, std::move(body)));
  }

  // Polls the record until `pred` holds (or fails after `timeout`).
  pods::Pod wait_for(const db::Oid& id, const std::function<bool(const pods::Pod&)>& pred,
                     const std::string& what, std::chrono::milliseconds timeout = 20s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    std::optional<pods::Pod> p;
    while (std::chrono::steady_clock::now() < until) {
      p = call(store_.find(id));
      if (p && pred(*p)) {
        return *p;
      }
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "timed out waiting for " << what
                  << "; last: " << (p ? pods::to_json(*p).dump() : std::string("no record"));
    return p.value_or(pods::Pod{});
  }

  static bool running_ready(const pods::Pod& p) { return p.status == "running" && p.ready; }

  std::optional<json> kube_get(const std::string& path) {
    try {
      return call(client_->get(path));
    } catch (const k8s::KubeError& e) {
      if (e.code() == ErrorCode::not_found) {
        return std::nullopt;
      }
      throw;
    }
  }

  std::string pod_path(const pods::Pod& p) {
    return k8s::core_path(test_namespace(), "pods", k8s::resource_name(p.id.to_string()));
  }

  std::thread thread_;
  core::SystemClock clock_;
  std::string instance_ = "t" + core::random_hex(4);
  // Each test's own connection pool and workers (the test database is shared): its background
  // coroutines cannot outlive it on a worker thread.
  db::Database db_{test::database_config()};
  users::UserStore users_{db_, clock_};
  billing::Ledger ledger_{db_, clock_};
  catalog::Catalog catalog_{db_, clock_, core::Micros::from_eur(10)};
  pods::PodStore store_{db_, clock_};
  core::EventBus bus_;
  notify::Notifications notifications_{db_, bus_, clock_};
  k8s::KubeConfig kube_config_;
  std::unique_ptr<k8s::KubeClient> client_;
  std::unique_ptr<k8s::KubeRuntime> runtime_;
  std::unique_ptr<pods::PodService> service_;
  std::unique_ptr<pods::Reconciler> reconciler_;
  std::stop_source reconciler_stop_;
  std::future<void> reconciler_done_;
  std::unique_ptr<CuttableProxy> proxy_;
  std::vector<std::unique_ptr<k8s::KubeRuntime>> retired_runtimes_;
  std::vector<std::unique_ptr<k8s::KubeClient>> retired_clients_;
  pods::Actor alice_;
  pods::Actor bob_;
  // Last, so destroyed first: coroutine frames still pending in it (detached watches, the
  // reconciler's queue) are destroyed while everything they point to is alive.
  asio::io_context ioc_{2};
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
};

template <typename F>
ErrorCode code_of(F&& f) {
  try {
    f();
  } catch (const core::Error& e) {
    return e.code();
  }
  return ErrorCode::internal;  // no error: never what a test expects
}

TEST_F(PodsTest, LifecycleDeployRunningStopStartDeleteKeepsTheWorkspace) {
  std::vector<std::string> statuses;
  auto sub = bus_.subscribe([&statuses](const core::Event& e) {
    if (e.type == "pod.status") {
      statuses.push_back(e.data.value("status", ""));
    }
  });
  const auto pod = deploy(alice_, {{"name", "My Comfy!"}, {"template_slug", "comfyui"}});
  EXPECT_EQ(pod.desired, "running");
  EXPECT_EQ(pod.template_slug, "comfyui");
  const auto running = wait_for(pod.id, running_ready, "running and ready");
  EXPECT_FALSE(running.node.empty());
  ASSERT_TRUE(running.running_since.has_value());

  // The Kubernetes objects, as the runtime made them.
  const auto kpod = kube_get(pod_path(pod));
  ASSERT_TRUE(kpod);
  const json& spec = (*kpod)["spec"];
  EXPECT_EQ(spec["automountServiceAccountToken"], false);
  EXPECT_EQ(spec["enableServiceLinks"], false);
  EXPECT_EQ(spec["containers"][0]["securityContext"]["allowPrivilegeEscalation"], false);
  const std::string claim = spec["volumes"][0]["persistentVolumeClaim"]["claimName"];
  EXPECT_EQ(claim, k8s::workspace_claim_name(k8s::user_hash(alice_.user_id.to_string())));
  EXPECT_EQ((*kpod)["metadata"]["labels"][std::string(k8s::kInstanceLabel)], instance_);
  const std::string name = k8s::resource_name(pod.id.to_string());
  const auto svc = kube_get(k8s::core_path(test_namespace(), "services", name));
  const auto ing = kube_get(k8s::networking_path(test_namespace(), "ingresses", name));
  ASSERT_TRUE(svc);
  ASSERT_TRUE(ing);
  EXPECT_EQ((*svc)["metadata"]["ownerReferences"][0]["uid"], (*kpod)["metadata"]["uid"]);
  EXPECT_EQ((*ing)["metadata"]["ownerReferences"][0]["uid"], (*kpod)["metadata"]["uid"]);
  // The URL in the record is the Ingress host.
  ASSERT_FALSE(running.urls.empty());
  const std::string host = (*ing)["spec"]["rules"][0]["host"];
  EXPECT_EQ(running.urls[0].url, "https://" + host);
  EXPECT_TRUE(host.starts_with("my-comfy-")) << host;
  EXPECT_TRUE(host.ends_with("-8188.neuropod.test")) << host;
  EXPECT_TRUE(host.ends_with(".neuropod.test")) << host;

  // Stop: objects gone, record kept.
  const auto stopping = call(service_->stop(alice_, pod.id));
  EXPECT_EQ(stopping.desired, "stopped");
  const auto stopped = wait_for(
      pod.id, [](const pods::Pod& p) { return p.status == "stopped"; }, "stopped");
  EXPECT_EQ(stopped.reason, "StoppedByUser");
  EXPECT_FALSE(kube_get(pod_path(pod)).has_value());
  EXPECT_FALSE(kube_get(k8s::networking_path(test_namespace(), "ingresses", name)).has_value());
  const auto pvc = kube_get(k8s::core_path(test_namespace(), "persistentvolumeclaims", claim));
  ASSERT_TRUE(pvc) << "the workspace claim survives a stop";

  // Start again: same URLs, same claim, a new generation.
  const auto again = call(service_->start(alice_, pod.id));
  EXPECT_EQ(again.generation, 2);
  const auto running2 = wait_for(pod.id, running_ready, "running again");
  EXPECT_EQ(running2.urls[0].url, running.urls[0].url);
  const auto kpod2 = kube_get(pod_path(pod));
  ASSERT_TRUE(kpod2);
  EXPECT_EQ((*kpod2)["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"], claim);
  EXPECT_EQ((*kpod2)["metadata"]["annotations"][std::string(k8s::kGenerationAnnotation)], "2");

  // Delete: hidden, objects gone, the name free again, the workspace kept.
  call(service_->remove(alice_, pod.id));
  EXPECT_EQ(code_of([&] { call(service_->get(alice_, pod.id)); }), ErrorCode::not_found);
  const auto deleted = call(store_.find(pod.id));
  ASSERT_TRUE(deleted);
  EXPECT_TRUE(deleted->deleted);
  wait_for(
      pod.id, [](const pods::Pod& p) { return p.status == "stopped"; }, "deleted and stopped");
  EXPECT_FALSE(kube_get(pod_path(pod)).has_value());
  EXPECT_TRUE(kube_get(k8s::core_path(test_namespace(), "persistentvolumeclaims", claim)));
  const auto same_name = deploy(alice_, {{"name", "My Comfy!"}, {"template_slug", "comfyui"}});
  EXPECT_NE(same_name.id, pod.id);
  // Status changes went out on the bus, in order.
  ASSERT_FALSE(statuses.empty());
  EXPECT_NE(std::find(statuses.begin(), statuses.end(), "running"), statuses.end());
  EXPECT_NE(std::find(statuses.begin(), statuses.end(), "stopped"), statuses.end());
}

TEST_F(PodsTest, IsolationPoliciesAndPrepullerArePutInPlace) {
  wait_for(deploy(alice_, {{"name", "iso"}, {"template_slug", "ubuntu"}}).id, running_ready,
           "running");
  for (const char* policy :
       {"neuropod-default-deny", "neuropod-allow-ingress-controller", "neuropod-allow-egress"}) {
    EXPECT_TRUE(kube_get(k8s::networking_path(test_namespace(), "networkpolicies", policy)))
        << policy;
  }
  const auto ds =
      kube_get(k8s::apps_path(test_namespace(), "daemonsets", std::string(k8s::kPrepullerName)));
  ASSERT_TRUE(ds);
  std::vector<std::string> images;
  for (const auto& t : call(catalog_.list(true))) {
    images.push_back(t.image);
  }
  EXPECT_EQ((*ds)["metadata"]["labels"][std::string(k8s::kImagesHashLabel)],
            k8s::images_hash(images));
}

TEST_F(PodsTest, OtherUsersCannotSeeOrTouchAPod) {
  const auto pod = deploy(alice_, {{"name", "private"}, {"template_slug", "ubuntu"}});
  wait_for(pod.id, running_ready, "running");
  EXPECT_EQ(code_of([&] { call(service_->get(bob_, pod.id)); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { call(service_->stop(bob_, pod.id)); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { call(service_->start(bob_, pod.id)); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { call(service_->remove(bob_, pod.id)); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { call(service_->logs(bob_, pod.id, {}, [](std::string_view) {}, {})); }),
            ErrorCode::not_found);
  EXPECT_TRUE(call(service_->list(bob_)).empty());
  // Still running, untouched.
  EXPECT_EQ(call(store_.find(pod.id))->desired, "running");
  // An admin sees and can stop it.
  const pods::Actor admin{db::Oid::generate(), "admin@neuropod.test", true};
  EXPECT_EQ(call(service_->get(admin, pod.id)).id, pod.id);
  EXPECT_EQ(call(service_->stop(admin, pod.id)).reason, "StoppedByAdmin");
}

TEST_F(PodsTest, RefusalsBalanceLimitImageAndDuplicateName) {
  const auto broke = make_user("broke", 0);
  EXPECT_EQ(code_of([&] {
              deploy(broke, {{"name", "a"}, {"template_slug", "ubuntu"}});
            }),
            ErrorCode::insufficient_balance);
  EXPECT_EQ(code_of([&] {
              deploy(alice_, {{"name", "x"}, {"image", "Not A Valid/Image::"}});
            }),
            ErrorCode::validation_failed);
  EXPECT_EQ(code_of([&] {
              deploy(alice_, {{"name", "x"}, {"template_slug", "no-such"}});
            }),
            ErrorCode::validation_failed);
  deploy(alice_, {{"name", "one"}, {"template_slug", "ubuntu"}});
  EXPECT_EQ(code_of([&] {
              deploy(alice_, {{"name", "ONE"}, {"template_slug", "ubuntu"}});
            }),
            ErrorCode::conflict)
      << "names are unique per user after sanitizing (hosts would collide)";
  deploy(bob_, {{"name", "one"}, {"template_slug", "ubuntu"}});  // another user: fine
  deploy(alice_, {{"name", "two"}, {"template_slug", "ubuntu"}});
  deploy(alice_, {{"name", "three"}, {"image", "nginx:1.27"}, {"ports", {{{"port", 80}}}}});
  EXPECT_EQ(code_of([&] {
              deploy(alice_, {{"name", "four"}, {"template_slug", "ubuntu"}});
            }),
            ErrorCode::pod_limit_reached);
  EXPECT_EQ(call(service_->list(alice_)).size(), 3U);
}

TEST_F(PodsTest, FatalStatesFailAtOnceWithAReason) {
  const auto bad = deploy(
      alice_, {{"name", "bad image"}, {"image", "registry.invalid/neuropod/does-not-exist:1"}});
  const auto failed = wait_for(
      bad.id, [](const pods::Pod& p) { return p.status == "failed"; }, "failed on the image pull");
  EXPECT_EQ(failed.reason, "ErrImagePull");
  EXPECT_FALSE(failed.message.empty());
  EXPECT_EQ(failed.desired, "stopped");
  // The owner is told, with Kubernetes's own words in the data (the web words the rest).
  std::vector<notify::Notification> told;  // sent right after the record is saved
  for (int i = 0; i < 50 && told.empty(); ++i, std::this_thread::sleep_for(100ms)) {
    told = call(notifications_.list(alice_.user_id, true, 10, std::nullopt)).items;
  }
  ASSERT_EQ(told.size(), 1U);
  EXPECT_EQ(told[0].kind, "pod_failed");
  EXPECT_EQ(told[0].data.at("pod_id"), bad.id.to_string());
  EXPECT_EQ(told[0].data.at("reason"), "ErrImagePull");
  EXPECT_EQ(told[0].data.at("message"), failed.message);
  // Too many GPUs for any node: unschedulable, failed, not left pending.
  const auto gpu = deploy(alice_, {{"name", "big gpu"}, {"image", "nginx:1.27"}, {"gpus", 8}});
  const auto unsched = wait_for(
      gpu.id, [](const pods::Pod& p) { return p.status == "failed"; }, "failed as unschedulable");
  EXPECT_EQ(unsched.reason, "Unschedulable");
  EXPECT_NE(unsched.message.find("GPU"), std::string::npos) << unsched.message;
  // Both are gone from the cluster (nothing runs, nothing is charged).
  EXPECT_FALSE(kube_get(pod_path(failed)).has_value());
}

TEST_F(PodsTest, DriftIsRepairedBothWays) {
  // An object with no record is removed.
  k8s::PodSpecInput orphan;
  orphan.pod_id = db::Oid::generate().to_string();
  orphan.user_id = alice_.user_id.to_string();
  orphan.name = "orphan";
  orphan.image = "nginx:1.27";
  orphan.namespace_ = test_namespace();
  orphan.instance = instance_;
  orphan.workspace_claim = "does-not-matter";
  call(client_->create(k8s::core_path(test_namespace(), "pods"), k8s::pod(orphan)));
  const std::string orphan_path =
      k8s::core_path(test_namespace(), "pods", k8s::resource_name(orphan.pod_id));
  const auto until = std::chrono::steady_clock::now() + 20s;
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() < until) {
    const auto p = kube_get(orphan_path);
    gone = !p || (*p)["metadata"].contains("deletionTimestamp");
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(gone) << "the orphan pod is still there";

  // A record whose objects vanished is marked stopped, not restarted.
  const auto pod = deploy(alice_, {{"name", "vanishing"}, {"template_slug", "ubuntu"}});
  wait_for(pod.id, running_ready, "running");
  call(client_->del(pod_path(pod)));
  const auto vanished = wait_for(
      pod.id, [](const pods::Pod& p) { return p.status == "stopped"; }, "marked stopped");
  EXPECT_EQ(vanished.reason, "Vanished");
  EXPECT_EQ(vanished.desired, "stopped");
  std::this_thread::sleep_for(3s);  // a resync later, still not recreated
  EXPECT_FALSE(kube_get(pod_path(pod)).has_value());
}

TEST_F(PodsTest, RestartMidDeployLosesNothingAndCreatesNoDuplicate) {
  // The backend "died" after recording the deploy and before creating anything: the record alone.
  stop_reconciler();
  pods::Pod p;
  p.id = db::Oid::generate();
  p.user_id = alice_.user_id;
  p.user_email = alice_.email;
  p.name = "half deployed";
  p.name_key = k8s::safe_name(p.name);
  p.image = "nginx:1.27";
  p.ports = {catalog::Port{80, "web", "http"}};
  p.desired = "running";
  p.status = "pending";
  p.created_at = p.updated_at = clock_.now();
  call(store_.insert(p));
  // A new instance starts: its reconciler finishes the deploy, once.
  service_ =
      std::make_unique<pods::PodService>(store_, users_, catalog_, runtime_.get(), bus_, clock_);
  start_reconciler();
  const auto done = wait_for(p.id, running_ready, "running after the restart");
  EXPECT_EQ(done.generation, 1);
  const auto all = call(runtime_->list());
  EXPECT_EQ(std::count_if(all.begin(), all.end(),
                          [&p](const auto& o) { return o.pod_id == p.id.to_string(); }),
            1);
  // A second start of the same generation is a no-op.
  runtime::PodSpec spec;
  spec.pod_id = p.id.to_string();
  spec.user_id = p.user_id.to_string();
  spec.name = p.name;
  spec.image = p.image;
  spec.generation = 1;
  EXPECT_EQ(call(runtime_->start(spec)), runtime::StartResult::exists);
}

TEST_F(PodsTest, ApiServerDownAndBack) {
  // The service and reconciler talk to the API server through a proxy the test can cut.
  stop_reconciler();
  auto url = kube_config_.server;  // https://127.0.0.1:<port>
  const auto colon = url.rfind(':');
  const auto port = static_cast<std::uint16_t>(std::stoi(url.substr(colon + 1)));
  proxy_ = std::make_unique<CuttableProxy>(ioc_, "127.0.0.1", port);
  auto via_proxy = kube_config_;
  via_proxy.server = url.substr(0, colon + 1) + std::to_string(proxy_->port());
  auto proxied =
      std::make_unique<k8s::KubeClient>(ioc_.get_executor(), via_proxy, client_options());
  retired_runtimes_.push_back(std::move(runtime_));
  runtime_ = make_runtime(*proxied);
  service_ =
      std::make_unique<pods::PodService>(store_, users_, catalog_, runtime_.get(), bus_, clock_);
  start_reconciler();

  const auto before = deploy(alice_, {{"name", "survivor"}, {"template_slug", "ubuntu"}});
  wait_for(before.id, running_ready, "running before the outage");

  proxy_->set_up(false);
  EXPECT_EQ(code_of([&] {
              deploy(alice_, {{"name", "during"}, {"template_slug", "ubuntu"}});
            }),
            ErrorCode::kubernetes_unavailable);
  const auto during = call(service_->list(alice_));
  const auto it = std::find_if(during.begin(), during.end(),
                               [](const pods::Pod& p) { return p.name == "during"; });
  ASSERT_NE(it, during.end());
  EXPECT_EQ(it->status, "failed");
  EXPECT_EQ(it->reason, "KubernetesUnavailable");
  // Resyncs and lease renewals fail meanwhile: after a whole lease without renewal the reconciler
  // steps down (another instance could hold the Lease by then) and says the election fails.
  const auto until_down = std::chrono::steady_clock::now() + 10s;
  while (reconciler_->leading() && std::chrono::steady_clock::now() < until_down) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_FALSE(reconciler_->leading()) << "still leading without a Lease renewal";
  EXPECT_TRUE(reconciler_->election_failing());
  // The running pod is untouched, in the cluster and in the record.
  EXPECT_TRUE(kube_get(pod_path(before)).has_value());
  EXPECT_EQ(call(store_.find(before.id))->status, "running");

  proxy_->set_up(true);
  const auto until_up = std::chrono::steady_clock::now() + 10s;
  while (!reconciler_->leading() && std::chrono::steady_clock::now() < until_up) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(reconciler_->leading()) << "the Lease taken again once the API server is back";
  EXPECT_FALSE(reconciler_->election_failing());
  const auto after = deploy(alice_, {{"name", "after"}, {"template_slug", "ubuntu"}});
  wait_for(after.id, running_ready, "running after the outage", 30s);
  // The reconciler caught up: a stop made through the cluster is seen again.
  call(service_->stop(alice_, before.id));
  wait_for(
      before.id, [](const pods::Pod& p) { return p.status == "stopped"; },
      "stopped after the outage", 30s);
  stop_reconciler();
  // TearDown cleans up without the proxy; the proxied ones live until the end (detached watch
  // coroutines may still hold them for a moment).
  retired_runtimes_.push_back(std::move(runtime_));
  retired_clients_.push_back(std::move(proxied));
  runtime_ = make_runtime(*client_);
}

TEST_F(PodsTest, AnUnconfirmedStartIsAcceptedAndFinishedByTheReconciler) {
  stop_reconciler();
  LosesLastAnswers flaky(*runtime_, *client_, test_namespace());
  service_ = std::make_unique<pods::PodService>(store_, users_, catalog_, &flaky, bus_, clock_);
  reconciler_ = std::make_unique<pods::Reconciler>(
      *service_, flaky,
      pods::ReconcilerOptions{
          .identity = "test-" + instance_, .lease_duration = 3s, .resync_every = 2s});
  reconciler_stop_ = std::stop_source();
  auto done = std::make_shared<std::promise<void>>();
  reconciler_done_ = done->get_future();
  asio::co_spawn(ioc_, reconciler_->run(reconciler_stop_.get_token()),
                 [done](const std::exception_ptr&) { done->set_value(); });

  flaky.lose_next = true;
  const auto pod = deploy(alice_, {{"name", "slow-cluster"}, {"template_slug", "comfyui"}});
  // Accepted (not a 503, not failed): the pod may well exist.
  EXPECT_TRUE(pod.launch_pending);
  EXPECT_EQ(pod.status, "pending");
  EXPECT_EQ(pod.desired, "running");
  EXPECT_NE(pod.message.find("slow to confirm"), std::string::npos) << pod.message;
  EXPECT_TRUE(call(store_.find(pod.id))->launch_pending);
  // The reconciler finishes the start: Service and Ingress exist, the pod runs, ready.
  const auto ran = wait_for(
      pod.id, [](const pods::Pod& p) { return running_ready(p) && !p.launch_pending; },
      "the start finished by the reconciler", 30s);
  EXPECT_FALSE(ran.launch_pending);
  const std::string name = k8s::resource_name(pod.id.to_string());
  EXPECT_TRUE(kube_get(k8s::core_path(test_namespace(), "services", name)).has_value());
  EXPECT_TRUE(kube_get(k8s::networking_path(test_namespace(), "ingresses", name)).has_value());
  call(service_->stop(alice_, pod.id));
  stop_reconciler();
  service_ =
      std::make_unique<pods::PodService>(store_, users_, catalog_, runtime_.get(), bus_, clock_);
  start_reconciler();
}

TEST_F(PodsTest, LogsCapacityAndBlockingStopsPods) {
  const auto pod = deploy(alice_, {{"name", "logs"}, {"template_slug", "ubuntu"}});
  wait_for(pod.id, running_ready, "running");
  std::string text;
  runtime::LogOptions options;
  options.tail_lines = 10;
  call(service_->logs(alice_, pod.id, options, [&text](std::string_view c) { text += c; }, {}));
  EXPECT_NE(text.find("kwok"), std::string::npos) << text;

  const json cap = call(service_->capacity());
  EXPECT_GE(cap["gpus_free"].get<std::int64_t>(), 0);
  EXPECT_LE(cap["gpus_free"].get<std::int64_t>(), 2);
  EXPECT_EQ(cap["nodes"].size(), 2U);
  ASSERT_FALSE(cap["tiers"].empty());
  EXPECT_GT(cap["tiers"][0]["fits"].get<std::int64_t>(), 0);

  EXPECT_EQ(call(service_->stop_all_of(alice_.user_id, "AccountBlocked", "blocked")), 1);
  const auto blocked = wait_for(
      pod.id, [](const pods::Pod& p) { return p.status == "stopped"; }, "stopped");
  EXPECT_EQ(blocked.reason, "AccountBlocked");
}

TEST_F(PodsTest, OnlyOneInstanceReconcilesAndAnotherTakesOver) {
  // SetUp's reconciler is "test-<instance>"; a second instance competes for the same Lease.
  const auto until_leader = std::chrono::steady_clock::now() + 10s;
  while (!reconciler_->leading() && std::chrono::steady_clock::now() < until_leader) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(reconciler_->leading());
  pods::Reconciler second(
      *service_, *runtime_,
      pods::ReconcilerOptions{
          .identity = "second-" + instance_, .lease_duration = 3s, .resync_every = 2s});
  std::stop_source second_stop;
  auto done = std::make_shared<std::promise<void>>();
  auto second_done = done->get_future();
  asio::co_spawn(ioc_, second.run(second_stop.get_token()),
                 [done](const std::exception_ptr&) { done->set_value(); });
  std::this_thread::sleep_for(4s);  // more than a lease: the holder keeps renewing
  EXPECT_TRUE(reconciler_->leading());
  EXPECT_FALSE(second.leading()) << "two leaders at once";

  // The leader goes away (crash: the Lease is not released): the second takes over once it
  // expires, and reconciles.
  stop_reconciler();
  const auto until_takeover = std::chrono::steady_clock::now() + 10s;
  while (!second.leading() && std::chrono::steady_clock::now() < until_takeover) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(second.leading());
  const auto pod = deploy(alice_, {{"name", "after failover"}, {"template_slug", "comfyui"}});
  wait_for(pod.id, running_ready, "running under the new leader");
  second_stop.request_stop();
  EXPECT_EQ(second_done.wait_for(10s), std::future_status::ready);
}

}  // namespace
