#include "pods/pod_routes.hpp"

#include <memory>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/errors.hpp"
#include "core/logging.hpp"

namespace neuropod::pods {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxTailLines = 10'000;

db::Oid oid_or_not_found(const std::string& text) {
  auto id = db::Oid::parse(text);
  if (!id) {
    throw core::NotFound("Pod");
  }
  return *id;
}

json items(const std::vector<Pod>& pods) {
  json out = json::array();
  for (const auto& p : pods) {
    out.push_back(to_json(p));
  }
  return {{"items", out}};
}

constexpr auto kLogFlushEvery = std::chrono::milliseconds(100);
constexpr std::uint64_t kPodCheckRounds = 10;  // every second

// A followed log. The runtime hands chunks to a callback on its own strand; they are collected
// here and written to the HTTP stream by stream_logs() every kLogFlushEvery.
struct LogFollow {
  PodService* pods = nullptr;
  Actor actor;
  db::Oid id;
  runtime::LogOptions options;
  std::mutex mu;
  std::string pending;
  bool done = false;
  std::stop_source stop;
};

asio::awaitable<bool> still_loggable(LogFollow& f) {
  try {
    co_await f.pods->loggable(f.actor, f.id);
  } catch (const core::Error&) {
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> stream_logs(std::shared_ptr<LogFollow> f, http::StreamWriter& out) {
  const auto ex = co_await asio::this_coro::executor;
  LogFollow* raw = f.get();
  asio::co_spawn(ex,
                 f->pods->logs(
                     f->actor, f->id, f->options,
                     [raw](std::string_view c) {
                       std::lock_guard g(raw->mu);
                       raw->pending.append(c);
                     },
                     f->stop.get_token()),
                 [f](const std::exception_ptr& e) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& err) {
                       log::warn("pods.logs_follow_ended",
                                 {{"pod_id", f->id.to_string()}, {"error", err.what()}});
                     }
                   }
                   std::lock_guard g(f->mu);
                   f->done = true;
                 });
  asio::steady_timer timer(ex);
  for (std::uint64_t round = 1;; ++round) {
    std::string chunk;
    bool done = false;
    {
      std::lock_guard g(f->mu);
      chunk.swap(f->pending);
      done = f->done;
    }
    if (!chunk.empty() && !co_await out.write(std::move(chunk))) {
      break;
    }
    if (done || out.stop_token().stop_requested()) {
      break;
    }
    // The stream ends when the pod stops, whatever the cluster's log stream does.
    if (round % kPodCheckRounds == 0 && !co_await still_loggable(*f)) {
      break;
    }
    timer.expires_after(kLogFlushEvery);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  f->stop.request_stop();
}

}  // namespace

db::Oid pod_id(const http::Request& req) {
  return oid_or_not_found(req.params.at("id"));
}

Actor actor_of(const http::Request& req) {
  const auto& p = req.caller();
  auto id = db::Oid::parse(p.user_id);
  if (!id) {
    throw core::Unauthorized("invalid");
  }
  return Actor{*id, p.email, p.admin};
}

void PodRoutes::register_routes(http::Router& router) {
  using http::Access;
  using http::Request;
  router.post("/api/pods", Access::signed_in, [this](Request& r) { return deploy(r); });
  router.post("/api/pods/start", Access::signed_in, [this](Request& r) { return deploy(r); });
  router.post("/api/pods/stop", Access::signed_in, [this](Request& r) {
    const auto& body = r.json_object();
    const auto it = body.find("pod_id");
    if (it == body.end() || !it->is_string()) {
      throw core::ValidationError("pod_id", "is required");
    }
    return stop(r, oid_or_not_found(it->get<std::string>()));
  });
  router.get("/api/pods", Access::signed_in, [this](Request& r) { return list(r); });
  router.get("/api/pods/{id}", Access::signed_in, [this](Request& r) { return get(r); });
  router.post("/api/pods/{id}/stop", Access::signed_in,
              [this](Request& r) { return stop(r, pod_id(r)); });
  router.post("/api/pods/{id}/start", Access::signed_in, [this](Request& r) { return start(r); });
  router.del("/api/pods/{id}", Access::signed_in, [this](Request& r) { return remove(r); });
  router.get("/api/pods/{id}/logs", Access::signed_in, [this](Request& r) { return logs(r); });
  router.get("/api/capacity", Access::signed_in, [this](Request& r) { return capacity(r); });
  router.get("/api/admin/pods", Access::admin, [this](Request& r) { return admin_list(r); });
}

asio::awaitable<void> PodRoutes::audit(http::Request& req, std::string_view action,
                                       const Pod& pod) {
  audit::Entry entry{.action = action,
                     .actor = audit::actor_of(req),
                     .subject_user_id = pod.user_id.to_string(),
                     .details = {{"pod_id", pod.id.to_string()},
                                 {"name", pod.name},
                                 {"image", pod.image},
                                 {"status", pod.status}}};
  co_await audit_.record(std::move(entry));
}

asio::awaitable<http::Response> PodRoutes::deploy(http::Request& req) {
  auto pod = co_await pods_.deploy(actor_of(req), req.json_object());
  co_await audit(req, "pod.deployed", pod);
  co_return http::Response::json(201, to_json(pod));
}

asio::awaitable<http::Response> PodRoutes::list(http::Request& req) {
  auto pods = co_await pods_.list(actor_of(req));
  co_return http::Response::json(200, items(pods));
}

asio::awaitable<http::Response> PodRoutes::get(http::Request& req) {
  auto pod = co_await pods_.get(actor_of(req), pod_id(req));
  co_return http::Response::json(200, to_json(pod));
}

asio::awaitable<http::Response> PodRoutes::stop(http::Request& req, db::Oid id) {
  auto pod = co_await pods_.stop(actor_of(req), id);
  co_await audit(req, "pod.stopped", pod);
  co_return http::Response::json(200, to_json(pod));
}

asio::awaitable<http::Response> PodRoutes::start(http::Request& req) {
  auto pod = co_await pods_.start(actor_of(req), pod_id(req));
  co_await audit(req, "pod.started", pod);
  co_return http::Response::json(200, to_json(pod));
}

asio::awaitable<http::Response> PodRoutes::remove(http::Request& req) {
  auto pod = co_await pods_.remove(actor_of(req), pod_id(req));
  co_await audit(req, "pod.deleted", pod);
  co_return http::Response::no_content();
}

asio::awaitable<http::Response> PodRoutes::logs(http::Request& req) {
  auto follow = std::make_shared<LogFollow>();
  follow->pods = &pods_;
  follow->actor = actor_of(req);
  follow->id = pod_id(req);
  follow->options.tail_lines = req.query_int("tail", 500, 0, kMaxTailLines);
  follow->options.follow = req.query_bool("follow");
  if (!follow->options.follow) {
    std::string text;
    const std::stop_token never;
    co_await pods_.logs(
        follow->actor, follow->id, follow->options, [&text](std::string_view c) { text += c; },
        never);
    http::Response res;
    res.status = 200;
    res.headers.set("Content-Type", "text/plain; charset=utf-8");
    res.body = std::move(text);
    co_return res;
  }
  // Refusals (not found, not running) before the 200 header goes out.
  co_await pods_.loggable(follow->actor, follow->id);
  co_return http::Response::streamed(
      200, "text/plain; charset=utf-8",
      [follow](http::StreamWriter& out) { return stream_logs(follow, out); });
}

asio::awaitable<http::Response> PodRoutes::capacity(http::Request&) {
  auto body = co_await pods_.capacity();
  co_return http::Response::json(200, body);
}

asio::awaitable<http::Response> PodRoutes::admin_list(http::Request& req) {
  std::optional<db::Oid> user;
  if (auto u = req.query_param("user_id")) {
    user = db::Oid::parse(*u);
    if (!user) {
      throw core::ValidationError("user_id", "is not a user id");
    }
  }
  const std::string status = req.query_param("status").value_or("");
  const std::int64_t limit = req.query_int("limit", 200, 1, 500);
  auto pods = co_await pods_.list_all(user, status, limit);
  co_return http::Response::json(200, items(pods));
}

}  // namespace neuropod::pods
