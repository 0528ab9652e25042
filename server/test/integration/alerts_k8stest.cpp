// The alerts loop against the sandbox's real Kubernetes API server (NEUROPOD_TEST_KUBECONFIG),
// reached through a TCP proxy this test runs on loopback: stopping the proxy makes the API server
// unreachable for the client (the sandbox itself is never touched), starting it again brings it
// back. kubernetes_unreachable must be raised (with its admin event and metric) and then cleared.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include "alerts/alerts.hpp"
#include "k8s/client.hpp"
#include "k8s/kubeconfig.hpp"
#include "metrics/metrics.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using neuropod::alerts::AlertsLoop;
using neuropod::alerts::AlertsLoopOptions;
using neuropod::alerts::Transition;
using namespace std::chrono_literals;

namespace {

// Forwards every connection to `upstream` while started. stop() closes the listener and every
// forwarded connection; start() listens again on the same port.
class TcpProxy {
 public:
  explicit TcpProxy(tcp::endpoint upstream) : upstream_(upstream) {
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~TcpProxy() {
    stop();
    work_.reset();
    ioc_.stop();
    thread_.join();
  }

  std::uint16_t start() {
    asio::co_spawn(ioc_, listen(this), asio::use_future).get();
    return port_;
  }
  void stop() {
    asio::post(ioc_, asio::use_future([this] {
                 boost::system::error_code ec;
                 if (acceptor_) {
                   acceptor_->close(ec);
                 }
                 std::lock_guard lock(mu_);
                 for (auto& weak : sockets_) {
                   if (auto s = weak.lock()) {
                     s->close(ec);
                   }
                 }
                 sockets_.clear();
               }))
        .get();
  }

 private:
  static asio::awaitable<void> listen(TcpProxy* self) {
    auto ex = co_await asio::this_coro::executor;
    if (self->acceptor_) {
      self->closed_.push_back(std::move(self->acceptor_));  // its accept loop may still resume
    }
    self->acceptor_ = std::make_unique<tcp::acceptor>(ex);
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), self->port_);
    self->acceptor_->open(ep.protocol());
    self->acceptor_->set_option(asio::socket_base::reuse_address(true));
    self->acceptor_->bind(ep);
    self->acceptor_->listen();
    self->port_ = self->acceptor_->local_endpoint().port();
    asio::co_spawn(ex, accept_loop(self), asio::detached);
  }

  static asio::awaitable<void> accept_loop(TcpProxy* self) {
    auto* acceptor = self->acceptor_.get();
    for (;;) {
      boost::system::error_code ec;
      auto client = std::make_shared<tcp::socket>(
          co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec)));
      if (ec) {
        co_return;
      }
      auto server = std::make_shared<tcp::socket>(acceptor->get_executor());
      co_await server->async_connect(self->upstream_,
                                     asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        client->close(ec);
        continue;
      }
      {
        std::lock_guard lock(self->mu_);
        self->sockets_.push_back(client);
        self->sockets_.push_back(server);
      }
      auto ex = acceptor->get_executor();
      asio::co_spawn(ex, pipe(client, server), asio::detached);
      asio::co_spawn(ex, pipe(server, client), asio::detached);
    }
  }

  static asio::awaitable<void> pipe(std::shared_ptr<tcp::socket> from,
                                    std::shared_ptr<tcp::socket> to) {
    std::array<char, 16384> buf{};
    boost::system::error_code ec;
    for (;;) {
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
    to->close(ec);
    from->close(ec);
  }

  tcp::endpoint upstream_;
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::vector<std::unique_ptr<tcp::acceptor>> closed_;
  std::uint16_t port_ = 0;
  std::mutex mu_;
  std::list<std::weak_ptr<tcp::socket>> sockets_;
  std::thread thread_;
};

// "https://127.0.0.1:57285" -> (host, port)
tcp::endpoint endpoint_of(const std::string& server) {
  const auto scheme = server.find("://");
  const auto hostport = server.substr(scheme + 3);
  const auto colon = hostport.rfind(':');
  return {asio::ip::make_address(hostport.substr(0, colon)),
          static_cast<std::uint16_t>(std::stoi(hostport.substr(colon + 1)))};
}

asio::awaitable<void> version(neuropod::k8s::KubeClient* client) {
  co_await client->get("/version");
}

std::vector<Transition> run_once(asio::io_context& ioc, AlertsLoop& loop) {
  auto f = asio::co_spawn(ioc, loop.run_once(), asio::use_future);
  ioc.restart();
  // Until the evaluation is done (kept-alive connections and detached probes may still wait).
  while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    ioc.run_one_for(std::chrono::milliseconds(20));
  }
  return f.get();
}

}  // namespace

TEST(AlertsK8s, KubernetesUnreachableRaisedWhenTheApiServerGoesAwayAndClearedWhenBack) {
  const char* path = std::getenv("NEUROPOD_TEST_KUBECONFIG");  // NOLINT(concurrency-mt-unsafe)
  if (path == nullptr || *path == '\0') {
    GTEST_SKIP() << "NEUROPOD_TEST_KUBECONFIG is not set";
  }
  auto kc = neuropod::k8s::load_kubeconfig(path);
  const auto upstream = endpoint_of(kc.server);
  ASSERT_TRUE(upstream.address().is_loopback())
      << "the proxy keeps the server's certificate valid only for a loopback API server";
  TcpProxy proxy(upstream);
  const auto port = proxy.start();
  kc.server = "https://" + upstream.address().to_string() + ":" + std::to_string(port);

  asio::io_context ioc;
  neuropod::metrics::Metrics metrics;
  neuropod::k8s::KubeClientOptions options;
  options.request_timeout = 2s;
  options.connect_timeout = 2s;
  options.observer = [&metrics](std::string_view verb, std::chrono::nanoseconds elapsed,
                                std::string_view error) {
    metrics.observe_k8s(verb, elapsed, error);
  };
  neuropod::k8s::KubeClient client(ioc.get_executor(), kc, options);

  neuropod::core::EventBus bus;
  neuropod::core::SystemClock clock;
  std::vector<neuropod::core::Event> events;
  auto sub = bus.subscribe([&events](const neuropod::core::Event& e) {
    if (e.type.starts_with("alert.")) {
      events.push_back(e);
    }
  });
  AlertsLoop::Deps deps{.bus = bus, .clock = clock};
  deps.kubernetes_ping = [&client]() { return version(&client); };
  deps.on_change = [&metrics](const neuropod::alerts::Alert& a, bool active) {
    metrics.set_alert(a.id, active);
  };
  AlertsLoopOptions o;
  o.probe_timeout = 3s;
  AlertsLoop loop(deps, o);

  EXPECT_TRUE(run_once(ioc, loop).empty()) << "reachable through the proxy";
  EXPECT_TRUE(loop.active().empty());

  proxy.stop();
  EXPECT_TRUE(run_once(ioc, loop).empty()) << "one failed probe is not an alert yet";
  const auto raised = run_once(ioc, loop);
  ASSERT_EQ(raised.size(), 1U);
  EXPECT_TRUE(raised[0].raised);
  EXPECT_EQ(raised[0].alert.id, "kubernetes_unreachable");
  ASSERT_EQ(loop.active().size(), 1U);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].type, "alert.raised");
  EXPECT_EQ(events[0].data["kind"], "kubernetes_unreachable");
  auto text = metrics.render();
  EXPECT_NE(text.find(R"(neuropod_alerts_active{alert="kubernetes_unreachable"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(neuropod_k8s_errors_total{kind="unreachable",verb="GET"})"),
            std::string::npos)
      << text;

  proxy.start();
  const auto cleared = run_once(ioc, loop);
  ASSERT_EQ(cleared.size(), 1U);
  EXPECT_FALSE(cleared[0].raised);
  EXPECT_EQ(cleared[0].alert.id, "kubernetes_unreachable");
  EXPECT_TRUE(loop.active().empty());
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[1].type, "alert.cleared");
  text = metrics.render();
  EXPECT_NE(text.find(R"(neuropod_alerts_active{alert="kubernetes_unreachable"} 0)"),
            std::string::npos);
}
