#include "k8s/client.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "k8s/stream.hpp"

// Pure parts of the Kubernetes client (paths, error mapping, watch events, line splitting), and
// the informer loop's 410 handling against a scripted loopback HTTP server: the sandbox's API
// server cannot be made to answer 410 on demand (k8s_client_k8stest.cpp covers everything else
// against the real one).

namespace asio = boost::asio;
using neuropod::core::ErrorCode;
using neuropod::k8s::KubeClient;
using neuropod::k8s::KubeClientOptions;
using neuropod::k8s::KubeConfig;
using neuropod::k8s::KubeError;
using neuropod::k8s::LineSplitter;
using neuropod::k8s::parse_watch_event;
using nlohmann::json;
using namespace std::chrono_literals;
namespace k8s = neuropod::k8s;

namespace {

// ------------------------------------------------------------------------------------- paths

TEST(K8sPaths, BuildsCoreGroupAndClusterPaths) {
  EXPECT_EQ(k8s::core_path("neuropod", "pods"), "/api/v1/namespaces/neuropod/pods");
  EXPECT_EQ(k8s::core_path("neuropod", "pods", "np-0123"),
            "/api/v1/namespaces/neuropod/pods/np-0123");
  EXPECT_EQ(k8s::networking_path("neuropod", "ingresses", "np-1"),
            "/apis/networking.k8s.io/v1/namespaces/neuropod/ingresses/np-1");
  EXPECT_EQ(k8s::apps_path("neuropod", "daemonsets"),
            "/apis/apps/v1/namespaces/neuropod/daemonsets");
  EXPECT_EQ(k8s::cluster_path("nodes", "sandbox-gpu-0"), "/api/v1/nodes/sandbox-gpu-0");
  EXPECT_EQ(k8s::group_path("events.k8s.io", "v1", "neuropod", "events"),
            "/apis/events.k8s.io/v1/namespaces/neuropod/events");
}

TEST(K8sPaths, RefusesNamesThatAreNotDns1123) {
  EXPECT_THROW(k8s::core_path("neuropod", "pods", "Bad_Name"), std::invalid_argument);
  EXPECT_THROW(k8s::core_path("neuropod", "pods", "a/../../secrets"), std::invalid_argument);
  EXPECT_THROW(k8s::core_path("neuropod", "pods", "-x"), std::invalid_argument);
  EXPECT_THROW(k8s::core_path("Neuropod", "pods"), std::invalid_argument);
  EXPECT_THROW(k8s::core_path("", "pods"), std::invalid_argument);
  EXPECT_THROW(k8s::core_path("neuropod", "pods/log"), std::invalid_argument);
  EXPECT_THROW(k8s::core_path("a.b", "pods"), std::invalid_argument);  // namespaces are labels
  EXPECT_NO_THROW(k8s::core_path("neuropod", "configmaps", "a.b-c"));  // names are subdomains
}

TEST(K8sPaths, Dns1123) {
  EXPECT_TRUE(k8s::is_dns1123_label("np-abc123"));
  EXPECT_TRUE(k8s::is_dns1123_label(std::string(63, 'a')));
  EXPECT_FALSE(k8s::is_dns1123_label(std::string(64, 'a')));
  EXPECT_FALSE(k8s::is_dns1123_label("a.b"));
  EXPECT_FALSE(k8s::is_dns1123_label("a-"));
  EXPECT_FALSE(k8s::is_dns1123_label(""));
  EXPECT_TRUE(k8s::is_dns1123_subdomain("kube-root-ca.crt"));
  EXPECT_FALSE(k8s::is_dns1123_subdomain("a..b"));
  EXPECT_FALSE(k8s::is_dns1123_subdomain("a."));
  EXPECT_FALSE(k8s::is_dns1123_subdomain(std::string(254, 'a')));
}

TEST(K8sPaths, QueryEscape) {
  EXPECT_EQ(k8s::query_escape("app.kubernetes.io/name=neuropod,tier!=x"),
            "app.kubernetes.io%2Fname%3Dneuropod%2Ctier%21%3Dx");
  EXPECT_EQ(k8s::query_escape("a b~_"), "a%20b~_");
}

// ------------------------------------------------------------------------------------- errors

std::string status_body(int code, const std::string& reason, const std::string& message,
                        const json& details = json::object()) {
  return json{{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"}, {"message", message},
              {"reason", reason}, {"details", details}, {"code", code}}
      .dump();
}

TEST(KubeErrors, MapsStatusesToErrorCodes) {
  const auto nf =
      KubeError::from_response(404,
                               status_body(404, "NotFound", "configmaps \"x\" not found",
                                           {{"name", "x"}, {"kind", "configmaps"}}),
                               "GET", "/api/v1/namespaces/neuropod/configmaps/x");
  EXPECT_EQ(nf.code(), ErrorCode::not_found);
  EXPECT_EQ(nf.http_status(), 404U);
  EXPECT_EQ(nf.reason(), "NotFound");
  EXPECT_STREQ(nf.what(), "configmaps \"x\" not found");
  EXPECT_EQ(nf.details()["kubernetes"]["name"], "x");
  EXPECT_EQ(nf.details()["kubernetes"]["kind"], "configmaps");
  EXPECT_EQ(nf.details()["kubernetes"]["request"], "GET /api/v1/namespaces/neuropod/configmaps/x");

  const auto exists =
      KubeError::from_response(409, status_body(409, "AlreadyExists", "exists"), "POST", "/p");
  EXPECT_EQ(exists.code(), ErrorCode::conflict);
  EXPECT_EQ(exists.reason(), "AlreadyExists");

  const auto forbidden = KubeError::from_response(
      403, status_body(403, "Forbidden", "secrets is forbidden: ..."), "GET", "/p");
  EXPECT_EQ(forbidden.code(), ErrorCode::kubernetes_unavailable);
  EXPECT_EQ(forbidden.reason(), "Forbidden");
  EXPECT_NE(std::string(forbidden.what()).find("RBAC"), std::string::npos);
  EXPECT_FALSE(forbidden.gone());

  const auto gone =
      KubeError::from_response(410, status_body(410, "Expired", "too old"), "GET", "/p");
  EXPECT_TRUE(gone.gone());
  EXPECT_EQ(gone.code(), ErrorCode::kubernetes_unavailable);

  const auto bad =
      KubeError::from_response(400, status_body(400, "BadRequest", "bad selector"), "GET", "/p");
  EXPECT_EQ(bad.code(), ErrorCode::bad_request);

  const auto teapot = KubeError::from_response(418, "", "GET", "/p");
  EXPECT_EQ(teapot.code(), ErrorCode::internal);
}

TEST(KubeErrors, InvalidCarriesTheFields) {
  const json details = {{"name", "Bad_Name"},
                        {"kind", "ConfigMap"},
                        {"causes",
                         {{{"reason", "FieldValueInvalid"},
                           {"message", "Invalid value: \"Bad_Name\""},
                           {"field", "metadata.name"}}}}};
  const auto e = KubeError::from_response(
      422, status_body(422, "Invalid", "ConfigMap \"Bad_Name\" is invalid", details), "POST", "/p");
  EXPECT_EQ(e.code(), ErrorCode::validation_failed);
  EXPECT_EQ(e.reason(), "Invalid");
  ASSERT_EQ(e.details()["fields"].size(), 1U);
  EXPECT_EQ(e.details()["fields"][0]["field"], "metadata.name");
  EXPECT_EQ(e.details()["fields"][0]["message"], "Invalid value: \"Bad_Name\"");
}

TEST(KubeErrors, ServerErrorsAndNonStatusBodiesAreUnreachable) {
  const auto e500 =
      KubeError::from_response(500, status_body(500, "InternalError", "etcd"), "GET", "/p");
  EXPECT_EQ(e500.code(), ErrorCode::kubernetes_unavailable);
  EXPECT_STREQ(e500.what(), "Kubernetes is unreachable");
  EXPECT_TRUE(e500.unreachable());
  const auto proxy = KubeError::from_response(502, "<html>Bad Gateway</html>", "GET", "/p");
  EXPECT_EQ(proxy.code(), ErrorCode::kubernetes_unavailable);
  EXPECT_EQ(proxy.reason(), "");
  EXPECT_EQ(proxy.details()["kubernetes"]["message"], "<html>Bad Gateway</html>");
  const auto none = KubeError::no_answer("127.0.0.1:6443", "timeout");
  EXPECT_EQ(none.http_status(), 0U);
  EXPECT_TRUE(none.unreachable());
  EXPECT_EQ(none.details()["reason"], "timeout");
  EXPECT_EQ(none.details()["server"], "127.0.0.1:6443");
}

// --------------------------------------------------------------------------------- watch events

TEST(WatchEvents, ParsesAnEvent) {
  const auto ev = parse_watch_event(
      R"j({"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"42"}}})j");
  EXPECT_EQ(ev.type, "ADDED");
  EXPECT_EQ(ev.object["metadata"]["name"], "a");
  EXPECT_EQ(k8s::resource_version_of(ev.object), "42");
  const auto bookmark =
      parse_watch_event(R"j({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"50"}}})j");
  EXPECT_EQ(bookmark.type, "BOOKMARK");
  EXPECT_EQ(k8s::resource_version_of(bookmark.object), "50");
}

TEST(WatchEvents, ErrorEventWith410IsGone) {
  try {
    parse_watch_event(
        R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (4242)","reason":"Expired","code":410}})j",
        "WATCH /api/v1/namespaces/neuropod/pods");
    FAIL() << "no exception";
  } catch (const KubeError& e) {
    EXPECT_TRUE(e.gone());
    EXPECT_EQ(e.http_status(), 410U);
    EXPECT_EQ(e.reason(), "Expired");
    EXPECT_EQ(e.details()["kubernetes"]["message"], "too old resource version: 1 (4242)");
    EXPECT_EQ(e.details()["kubernetes"]["request"], "WATCH /api/v1/namespaces/neuropod/pods");
  }
}

TEST(WatchEvents, OtherErrorsAndGarbage) {
  try {
    parse_watch_event(R"j({"type":"ERROR","object":{"kind":"Status","message":"boom"}})j");
    FAIL() << "no exception";
  } catch (const KubeError& e) {
    EXPECT_FALSE(e.gone());
    EXPECT_EQ(e.http_status(), 500U);  // an ERROR without a code
    EXPECT_TRUE(e.unreachable());
  }
  for (const char* line : {"not json", "[]", R"j({"object":{}})j", R"j({"type":1})j"}) {
    try {
      parse_watch_event(line);
      FAIL() << "no exception for " << line;
    } catch (const KubeError& e) {
      EXPECT_EQ(e.code(), ErrorCode::kubernetes_unavailable) << line;
      EXPECT_EQ(e.http_status(), 0U) << line;
    }
  }
}

TEST(LineSplitterTest, SplitsAcrossChunks) {
  LineSplitter lines;
  std::vector<std::string> got;
  const std::function<void(std::string_view)> collect = [&](std::string_view l) {
    got.emplace_back(l);
  };
  lines.feed("{\"a\":", collect);
  EXPECT_TRUE(got.empty());
  lines.feed("1}\n{\"b\":2}\r\n\n{\"c\"", collect);
  lines.feed(":3}\n", collect);
  EXPECT_EQ(got, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "", "{\"c\":3}"}));
  EXPECT_TRUE(lines.pending().empty());
}

TEST(LineSplitterTest, RefusesEndlessLines) {
  LineSplitter lines(8);
  const std::function<void(std::string_view)> ignore = [](std::string_view) {};
  lines.feed("1234\n", ignore);
  lines.feed("12345", ignore);
  EXPECT_THROW(lines.feed("6789", ignore), KubeError);
}

TEST(TransportSetup, RefusesUnusableConfigurations) {
  asio::io_context ioc;
  KubeConfig cfg;
  cfg.server = "ftp://h";
  EXPECT_THROW(KubeClient(ioc.get_executor(), cfg), std::invalid_argument);
  cfg.server = "https://h:6x";
  EXPECT_THROW(KubeClient(ioc.get_executor(), cfg), std::invalid_argument);
  cfg.server = "https://h";
  cfg.ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64 !\n-----END CERTIFICATE-----\n";
  EXPECT_THROW(KubeClient(ioc.get_executor(), cfg), std::invalid_argument);
  cfg.ca_pem.clear();
  cfg.client_cert_pem = "x";
  EXPECT_THROW(KubeClient(ioc.get_executor(), cfg), std::invalid_argument);  // no key
  cfg.server = "http://h";
  cfg.client_key_pem = "y";
  EXPECT_THROW(KubeClient(ioc.get_executor(), cfg), std::invalid_argument);  // cert over http
  cfg = KubeConfig{};
  cfg.server = "https://h:6443/prefix/";
  EXPECT_NO_THROW(KubeClient(ioc.get_executor(), cfg));
}

// ------------------------------------------------------------------- the informer and HTTP 410

// A loopback HTTP/1.1 server answering each connection with the next scripted reply. A reply is a
// list of raw writes (pauses between them split the body across reads); `hold` keeps the
// connection open until the client closes it.
struct Reply {
  std::vector<std::string> writes;
  bool hold = false;
};

class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Reply> replies)
      : replies_(std::move(replies)), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    // A blocked accept() does not wake up on close(): connect once, the loop sees `stopping_`.
    stopping_ = true;
    boost::system::error_code ec;
    asio::ip::tcp::socket wake(ioc_);
    wake.connect(acceptor_.local_endpoint(), ec);
    wake.close(ec);
    thread_.join();
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;
  ScriptedServer(ScriptedServer&&) = delete;
  ScriptedServer& operator=(ScriptedServer&&) = delete;

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  std::vector<std::string> heads() {
    const std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  void serve() {
    for (auto& reply : replies_) {
      boost::system::error_code ec;
      asio::ip::tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (ec || stopping_) {
        return;
      }
      std::string head;
      asio::read_until(socket, asio::dynamic_buffer(head), "\r\n\r\n", ec);
      {
        const std::lock_guard lock(mutex_);
        heads_.push_back(head);
      }
      for (const auto& w : reply.writes) {
        asio::write(socket, asio::buffer(w), ec);
        std::this_thread::sleep_for(20ms);
      }
      if (reply.hold) {
        std::array<char, 256> sink{};
        while (!ec) {
          socket.read_some(asio::buffer(sink), ec);  // until the client closes
        }
      }
    }
  }

  std::vector<Reply> replies_;
  asio::io_context ioc_;
  asio::ip::tcp::acceptor acceptor_;
  std::mutex mutex_;
  std::vector<std::string> heads_;
  std::atomic<bool> stopping_ = false;
  std::thread thread_;
};

std::string json_reply(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

const char* const kChunkedHead =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    "Connection: close\r\n\r\n";

std::string chunk(const std::string& data) {
  constexpr std::string_view hex = "0123456789abcdef";
  std::string size;
  for (std::size_t n = data.size(); n > 0; n /= 16) {
    size.insert(size.begin(), hex[n % 16]);
  }
  return size + "\r\n" + data + "\r\n";
}

std::string first_line(const std::string& head) {
  return head.substr(0, head.find("\r\n"));
}

TEST(WatchForever, RelistsAfterAnErrorEventWith410AndStops) {
  const std::string list1 =
      R"j({"kind":"ConfigMapList","metadata":{"resourceVersion":"10"},"items":[{"metadata":{"name":"a","resourceVersion":"9"}}]})j";
  const std::string list2 =
      R"j({"kind":"ConfigMapList","metadata":{"resourceVersion":"20"},"items":[]})j";
  const std::string added1 =
      R"j({"type":"ADDED","object":{"metadata":{"name":"b","resourceVersion":"11"}}})j"
      "\n";
  const std::string gone =
      R"j({"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old resource version: 10 (15)","reason":"Expired","code":410}})j"
      "\n";
  const std::string added2 =
      R"j({"type":"ADDED","object":{"metadata":{"name":"c","resourceVersion":"21"}}})j"
      "\n";
  ScriptedServer server({
      {{json_reply(list1)}},
      // The first event arrives in two pieces, then the 410.
      {{kChunkedHead, chunk(added1.substr(0, 20)), chunk(added1.substr(20) + gone), "0\r\n\r\n"}},
      {{json_reply(list2)}},
      {{kChunkedHead, chunk(added2)}, true},  // stays open: only stop() ends it
  });

  asio::io_context ioc;
  KubeConfig cfg;
  cfg.server = server.url();
  cfg.token = "sandbox-token";
  KubeClientOptions opts;
  opts.backoff_initial = 10ms;
  KubeClient client(ioc.get_executor(), cfg, opts);

  std::stop_source stop;
  std::vector<std::string> relists;
  std::vector<std::string> events;
  const k8s::RelistCallback on_relist = [&](const json& list) {
    relists.push_back(k8s::resource_version_of(list) + ":" + std::to_string(list["items"].size()));
  };
  const k8s::WatchCallback on_event = [&](const std::string& type, const json& object) {
    events.push_back(type + " " + object["metadata"]["name"].get<std::string>());
    if (events.size() == 2) {
      stop.request_stop();  // from the event callback: the held stream must end at once
    }
  };
  auto fut = asio::co_spawn(ioc,
                            client.watch_forever(k8s::core_path("neuropod", "configmaps"), "app=x",
                                                 on_event, on_relist, stop.get_token()),
                            asio::use_future);
  ioc.run_for(10s);
  ASSERT_EQ(fut.wait_for(0s), std::future_status::ready) << "watch_forever did not stop";
  fut.get();

  EXPECT_EQ(relists, (std::vector<std::string>{"10:1", "20:0"}));
  EXPECT_EQ(events, (std::vector<std::string>{"ADDED b", "ADDED c"}));
  const auto heads = server.heads();
  ASSERT_EQ(heads.size(), 4U);
  EXPECT_EQ(first_line(heads[0]),
            "GET /api/v1/namespaces/neuropod/configmaps?limit=500&labelSelector=app%3Dx HTTP/1.1");
  EXPECT_EQ(first_line(heads[1]),
            "GET /api/v1/namespaces/neuropod/configmaps?watch=1&allowWatchBookmarks=true"
            "&timeoutSeconds=300&resourceVersion=10&labelSelector=app%3Dx HTTP/1.1");
  EXPECT_EQ(first_line(heads[3]),
            "GET /api/v1/namespaces/neuropod/configmaps?watch=1&allowWatchBookmarks=true"
            "&timeoutSeconds=300&resourceVersion=20&labelSelector=app%3Dx HTTP/1.1");
  EXPECT_NE(heads[0].find("Authorization: Bearer sandbox-token\r\n"), std::string::npos);
}

TEST(WatchForever, RelistsAfterHttp410AndBacksOffOnErrors) {
  const std::string list = R"j({"kind":"PodList","metadata":{"resourceVersion":"30"},"items":[]})j";
  const std::string status410 =
      R"j({"kind":"Status","status":"Failure","message":"too old","reason":"Expired","code":410})j";
  const std::string status500 =
      R"j({"kind":"Status","status":"Failure","message":"etcd down","reason":"InternalError","code":500})j";
  auto status = [](unsigned code, const std::string& body) {
    return "HTTP/1.1 " + std::to_string(code) +
           " X\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  };
  ScriptedServer server({
      {{status(500, status500)}},  // the first list fails: backoff, list again
      {{json_reply(list)}},
      {{status(410, status410)}},  // the watch: HTTP 410
      {{json_reply(list)}},
      {{kChunkedHead}, true},
  });
  asio::io_context ioc;
  KubeConfig cfg;
  cfg.server = server.url();
  KubeClientOptions opts;
  opts.backoff_initial = 10ms;
  KubeClient client(ioc.get_executor(), cfg, opts);
  std::stop_source stop;
  std::thread stopper;
  int relists = 0;
  const k8s::RelistCallback on_relist = [&](const json&) {
    if (++relists == 2) {
      // The last watch is open (or about to be): stop from another thread.
      stopper = std::thread([&stop] {
        std::this_thread::sleep_for(200ms);
        stop.request_stop();
      });
    }
  };
  const k8s::WatchCallback on_event = [](const std::string&, const json&) {};
  auto fut = asio::co_spawn(ioc,
                            client.watch_forever(k8s::core_path("neuropod", "pods"), "", on_event,
                                                 on_relist, stop.get_token()),
                            asio::use_future);
  ioc.run_for(10s);
  if (stopper.joinable()) {
    stopper.join();
  }
  ASSERT_EQ(fut.wait_for(0s), std::future_status::ready) << "watch_forever did not stop";
  fut.get();
  EXPECT_EQ(relists, 2);
  EXPECT_EQ(server.heads().size(), 5U);
}

// No answer to a change that was sent: it may have been applied. No answer to a GET, or no
// connection at all: nothing was changed.
TEST(KeepAlive, NoAnswerToASentChangeMayHaveBeenApplied) {
  ScriptedServer server({{{}, true}, {{}, true}});  // read the request, never answer
  asio::io_context ioc;
  KubeConfig cfg;
  cfg.server = server.url();
  KubeClientOptions opts;
  opts.request_timeout = 300ms;
  KubeClient client(ioc.get_executor(), cfg, opts);
  const auto outcome = [&ioc](asio::awaitable<json> aw) {
    auto fut = asio::co_spawn(ioc, std::move(aw), asio::use_future);
    ioc.restart();
    while (fut.wait_for(0s) != std::future_status::ready) {
      ioc.run_one_for(100ms);
    }
    try {
      fut.get();
    } catch (const KubeError& e) {
      return std::pair{e.code(), e.maybe_applied()};
    }
    return std::pair{ErrorCode::internal, false};
  };
  const auto created = outcome(
      client.create(k8s::core_path("neuropod", "configmaps"), {{"metadata", {{"name", "a"}}}}));
  EXPECT_EQ(created.first, ErrorCode::kubernetes_unavailable);
  EXPECT_TRUE(created.second);
  const auto read = outcome(client.get(k8s::core_path("neuropod", "configmaps", "a")));
  EXPECT_EQ(read.first, ErrorCode::kubernetes_unavailable);
  EXPECT_FALSE(read.second);

  KubeConfig nowhere;
  nowhere.server = "http://127.0.0.1:1";  // refused
  KubeClient refused(ioc.get_executor(), nowhere, opts);
  const auto never_sent = outcome(
      refused.create(k8s::core_path("neuropod", "configmaps"), {{"metadata", {{"name", "a"}}}}));
  EXPECT_EQ(never_sent.first, ErrorCode::kubernetes_unavailable);
  EXPECT_FALSE(never_sent.second);
}

// A kept-alive connection the server closed while it was idle is replaced transparently: the
// request is sent again on a new connection (nothing of an answer had arrived on the old one).
TEST(KeepAlive, AStaleConnectionIsReplaced) {
  const std::string body = R"j({"kind":"ConfigMap","metadata":{"name":"a"}})j";
  const std::string kept_alive =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  // The server answers each connection once, without "Connection: close", then closes it.
  ScriptedServer server({{{kept_alive}}, {{kept_alive}}, {{json_reply(body)}}});
  asio::io_context ioc;
  KubeConfig cfg;
  cfg.server = server.url();
  KubeClient client(ioc.get_executor(), cfg);
  const auto path = k8s::core_path("neuropod", "configmaps", "a");
  for (int i = 0; i < 3; ++i) {
    auto fut = asio::co_spawn(ioc, client.get(path), asio::use_future);
    ioc.restart();
    while (fut.wait_for(0s) != std::future_status::ready) {
      ioc.run_one_for(100ms);
    }
    EXPECT_EQ(fut.get()["metadata"]["name"], "a") << "request " << i;
    std::this_thread::sleep_for(50ms);  // the server has closed the connection by now
  }
  const auto [opened, reused] = client.connection_stats();
  EXPECT_EQ(opened, 3U);  // the 2nd and 3rd requests found their pooled connection closed
  EXPECT_EQ(reused, 2U);
  EXPECT_EQ(server.heads().size(), 3U);
}

}  // namespace
