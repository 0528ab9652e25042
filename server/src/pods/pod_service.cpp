#include "pods/pod_service.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/fields.hpp"
#include "core/logging.hpp"
#include "k8s/naming.hpp"

namespace neuropod::pods {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxNameLength = 64;
constexpr std::int64_t kMaxListLimit = 500;
constexpr std::string_view kUnconfirmedMessage =
    "The cluster is slow to confirm the start; Neuropod keeps trying";

core::Error kubernetes_missing() {
  return {core::ErrorCode::kubernetes_unavailable,
          "no Kubernetes cluster is configured (NEUROPOD_KUBECONFIG)"};
}

std::string url_of(const std::string& host, const std::string& base_domain) {
  const bool local = base_domain == "localhost" || base_domain.ends_with(".localhost");
  if (local) {
    return "http://" + host;
  }
  return "https://" + host;
}

std::vector<PodUrl> urls_for(const Pod& pod, const std::string& base_domain) {
  const std::string safe = k8s::safe_name(pod.name);
  const std::string hash = k8s::user_hash(pod.user_id.to_string());
  std::vector<PodUrl> out;
  for (const auto& p : pod.ports) {
    PodUrl u{p.port, p.name, p.protocol, ""};
    if (p.protocol == "http") {
      u.url = url_of(k8s::pod_host(safe, hash, p.port, base_domain), base_domain);
    }
    out.push_back(std::move(u));
  }
  return out;
}

// Micros per hour * minutes / 60, rounded up.
core::Micros for_minutes(core::Micros per_hour, std::int64_t minutes) {
  const std::int64_t v = per_hour.value();
  return core::Micros((v * minutes + 59) / 60);
}

bool finished(const Pod& p) {
  return p.status == kStopped || p.status == kFailed;
}

std::vector<std::string> string_list(core::Fields& f, const std::string& key) {
  std::vector<std::string> out;
  const json* v = f.value(key, false);
  if (v == nullptr || v->is_null()) {
    return out;
  }
  if (!v->is_array() || v->size() > 64) {
    f.fail(key, "must be an array of at most 64 strings");
    return out;
  }
  for (const auto& item : *v) {
    if (!item.is_string() || item.get<std::string>().size() > 4096) {
      f.fail(key, "must be an array of strings (at most 4096 characters each)");
      return {};
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

// The user's own env entries replace the template's of the same name.
std::vector<catalog::EnvVar> merged_env(std::vector<catalog::EnvVar> base,
                                        const std::vector<catalog::EnvVar>& extra) {
  for (const auto& e : extra) {
    auto it = std::find_if(base.begin(), base.end(),
                           [&e](const catalog::EnvVar& b) { return b.name == e.name; });
    if (it != base.end()) {
      it->value = e.value;
    } else {
      base.push_back(e);
    }
  }
  return base;
}

// The parts of a deploy body that do not need the database.
struct DeployInput {
  std::string name;
  std::optional<db::Oid> template_id;
  std::string template_slug;
  std::string image;
  std::string tier;
  std::int64_t gpus = 0;
  std::vector<catalog::Port> ports;
  std::vector<catalog::EnvVar> env;
  std::vector<std::string> command;
  std::vector<std::string> args;
  bool has_ports = false;
};

DeployInput parse_deploy(const json& body) {
  core::Fields f(body);
  DeployInput in;
  in.name = f.string("name", true, 1, kMaxNameLength).value_or("");
  if (auto id = f.string("template_id", false, 1, 64)) {
    in.template_id = db::Oid::parse(*id);
    if (!in.template_id) {
      f.fail("template_id", "is not a template id");
    }
  }
  in.template_slug = f.string("template_slug", false, 1, 64).value_or("");
  in.image = f.string("image", false, 1, 512).value_or("");
  in.tier = f.string("tier", false, 1, 64).value_or("");
  in.gpus = f.integer("gpus", false, 0, 16).value_or(0);
  const int sources = static_cast<int>(in.template_id.has_value()) +
                      static_cast<int>(!in.template_slug.empty()) +
                      static_cast<int>(!in.image.empty());
  if (sources != 1) {
    f.fail("template_id", "give exactly one of template_id, template_slug or image");
  }
  if (!in.image.empty() && !catalog::is_image_reference(in.image)) {
    f.fail("image", "is not a valid image reference (e.g. ghcr.io/org/name:tag)");
  }
  if (const json* ports = f.value("ports", false); ports != nullptr && !ports->is_null()) {
    in.has_ports = true;
    in.ports = catalog::ports_from_json(*ports, "ports", f.errors());
  }
  if (const json* env = f.value("env", false); env != nullptr && !env->is_null()) {
    in.env = catalog::env_from_json(*env, "env", f.errors());
  }
  in.command = string_list(f, "command");
  in.args = string_list(f, "args");
  if (!in.name.empty() && k8s::safe_name(in.name) == "pod" &&
      in.name.find_first_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") ==
          std::string::npos) {
    f.fail("name", "needs at least one letter or digit");
  }
  f.throw_if_any();
  return in;
}

}  // namespace

PodService::PodService(PodStore& store, users::UserStore& users, catalog::Catalog& catalog,
                       runtime::PodRuntime* runtime, core::EventBus& bus, const core::Clock& clock)
    : store_(store),
      users_(users),
      catalog_(catalog),
      runtime_(runtime),
      bus_(bus),
      clock_(clock) {}

runtime::PodRuntime& PodService::need_runtime() const {
  if (runtime_ == nullptr) {
    throw kubernetes_missing();
  }
  return *runtime_;
}

asio::awaitable<void> PodService::save(Pod& pod,
                                       const std::optional<core::TimePoint>& was_running) {
  co_await store_.save(pod);
  if (hooks_ == nullptr) {
    co_return;
  }
  if (!was_running && pod.running_since) {
    try {
      co_await hooks_->run_started(pod);
    } catch (const std::exception& e) {
      log::warn("pods.run_hook_failed", {{"pod_id", pod.id.to_string()}, {"error", e.what()}});
    }
  } else if (was_running && !pod.running_since) {
    co_await run_ended(pod, was_running);
    // The settlement wrote the run's last charge to the record: what is published and answered
    // carries the settled cost, not the one read before the stop.
    std::optional<Pod> settled = co_await store_.find(pod.id);
    if (settled) {
      pod.cost = settled->cost;
    }
  }
}

asio::awaitable<void> PodService::run_ended(Pod pod, const std::optional<core::TimePoint>& since) {
  if (hooks_ == nullptr) {
    co_return;
  }
  if (since) {
    pod.running_since = since;
  }
  const std::string id = pod.id.to_string();
  try {
    co_await hooks_->run_ended(std::move(pod));
  } catch (const std::exception& e) {
    log::warn("pods.run_hook_failed", {{"pod_id", id}, {"error", e.what()}});
  }
}

void PodService::publish(const Pod& pod) {
  bus_.publish(core::Event{"pod.status", pod.user_id.to_string(), to_json(pod)});
}

runtime::PodSpec PodService::spec_of(const Pod& pod, const catalog::Settings& settings) const {
  runtime::PodSpec s;
  s.pod_id = pod.id.to_string();
  s.user_id = pod.user_id.to_string();
  s.name = pod.name;
  s.template_slug = pod.template_slug;
  s.image = pod.image;
  s.ports = pod.ports;
  s.env = pod.env;
  s.command = pod.command;
  s.args = pod.args;
  s.workspace_path = pod.workspace_path;
  s.resources = pod.resources;
  s.base_domain = settings.base_domain;
  s.workspace_size = settings.workspace_size;
  s.workspace_storage_class = settings.workspace_storage_class;
  s.generation = pod.generation;
  return s;
}

asio::awaitable<Pod> PodService::visible(const Actor& actor, db::Oid id) {
  std::optional<db::Oid> owner;
  if (!actor.admin) {
    owner = actor.user_id;
  }
  auto pod = co_await store_.find_visible(id, owner);
  if (!pod) {
    throw core::NotFound("Pod");
  }
  co_return std::move(*pod);
}

asio::awaitable<void> PodService::check_can_run(const Actor& actor, core::Micros price,
                                                const catalog::Settings& settings) {
  const auto active = co_await store_.active_of(actor.user_id);
  if (static_cast<std::int64_t>(active.size()) >= settings.max_running_pods_per_user) {
    throw core::Error(core::ErrorCode::pod_limit_reached,
                      fmt::format("you can run at most {} pods at a time; stop one first",
                                  settings.max_running_pods_per_user),
                      {{"limit", settings.max_running_pods_per_user},
                       {"running", static_cast<std::int64_t>(active.size())}});
  }
  if (actor.admin) {
    co_return;  // no balance limit
  }
  core::Micros burn = price;
  for (const auto& p : active) {
    burn = burn + p.price_per_hour;
  }
  const core::Micros needed = for_minutes(burn, settings.min_runway_minutes);
  const auto user = co_await users_.find_by_id(actor.user_id);
  core::Micros balance(0);
  if (user) {
    balance = user->balance;
  }
  if (balance < needed) {
    throw core::Error(
        core::ErrorCode::insufficient_balance,
        fmt::format("your balance ({} EUR) does not cover {} minutes of your pods ({} EUR)",
                    balance.to_eur_string(), settings.min_runway_minutes, needed.to_eur_string()),
        {{"balance_micros", balance.value()},
         {"required_micros", needed.value()},
         {"min_runway_minutes", settings.min_runway_minutes}});
  }
}

asio::awaitable<Pod> PodService::deploy(Actor actor, json body) {
  DeployInput in = parse_deploy(body);
  need_runtime();
  const catalog::Settings settings = co_await catalog_.settings();

  Pod pod;
  pod.id = db::Oid::generate();
  pod.user_id = actor.user_id;
  pod.user_email = actor.email;
  pod.name = in.name;
  pod.name_key = k8s::safe_name(in.name);
  if (!in.image.empty()) {
    pod.image = in.image;
    pod.ports = in.ports;
    pod.env = in.env;
    pod.command = in.command;
    pod.args = in.args;
    std::string tier = in.tier;
    if (tier.empty() && !settings.tiers.empty()) {
      tier = settings.tiers.front().id;
    }
    pod.price_per_hour = catalog::custom_price(settings, tier, in.gpus);
    for (const auto& t : settings.tiers) {
      if (t.id == tier) {
        pod.resources.cpu = t.cpu;
        pod.resources.memory = t.memory;
      }
    }
    pod.resources.gpus = in.gpus;
    pod.tier = tier;
  } else {
    std::optional<catalog::Template> t;
    if (in.template_id) {
      t = co_await catalog_.find(*in.template_id);
    } else {
      t = co_await catalog_.find_by_slug(in.template_slug);
    }
    if (!t || !t->enabled) {
      throw core::ValidationError(in.template_id ? "template_id" : "template_slug",
                                  "no such template (or it is disabled)");
    }
    pod.template_id = t->id;
    pod.template_slug = t->slug;
    pod.template_name = t->name;
    pod.image = t->image;
    pod.ports = t->ports;
    if (in.has_ports) {
      pod.ports = in.ports;
    }
    pod.env = merged_env(t->env, in.env);
    pod.command = t->command;
    pod.args = t->args;
    pod.workspace_path = t->workspace_path;
    pod.resources = t->resources;
    pod.price_per_hour = t->price_per_hour;
  }
  pod.urls = urls_for(pod, settings.base_domain);
  pod.desired = std::string(kRunning);
  pod.status = std::string(kPending);
  pod.message = "Waiting for the cluster";
  pod.created_at = pod.updated_at = clock_.now();
  pod.started_at = pod.created_at;

  {
    auto user_guard = co_await user_locks_.lock(actor.user_id.to_string());
    co_await check_can_run(actor, pod.price_per_hour, settings);
    co_await store_.insert(pod);
  }
  log::info(
      "pods.deployed",
      {{"pod_id", pod.id.to_string()}, {"user_id", pod.user_id.to_string()}, {"image", pod.image}});
  auto pod_guard = co_await pod_locks_.lock(pod.id.to_string());
  co_await launch(pod);
  co_return pod;
}

// Creates the Kubernetes objects of `pod` (desired running, lock held). On a refusal or an
// unreachable cluster the record is marked failed (nothing runs, nothing is charged) and the
// error propagates to the caller.
asio::awaitable<void> PodService::launch(Pod& pod) {
  const catalog::Settings settings = co_await catalog_.settings();
  std::optional<core::Error> failure;
  try {
    const auto result = co_await need_runtime().start(spec_of(pod, settings));
    pod.launch_pending = result == runtime::StartResult::unconfirmed;
    if (pod.launch_pending) {
      pod.message = std::string(kUnconfirmedMessage);
      remember_unconfirmed(pod.id.to_string());
    } else if (result == runtime::StartResult::terminating) {
      pod.message = "Waiting for the previous run to stop";
    } else if (pod.status == kPending) {
      pod.message = "Waiting for a node";
    }
  } catch (const core::Error& e) {
    failure = e;
  }
  if (failure) {
    pod.desired = std::string(kStopped);
    pod.status = std::string(kFailed);
    pod.ready = false;
    pod.stopped_at = clock_.now();
    if (failure->code() == core::ErrorCode::kubernetes_unavailable) {
      pod.reason = "KubernetesUnavailable";
      pod.message = "The cluster could not be reached; nothing was started. Try again shortly.";
    } else {
      pod.reason = "StartFailed";
      pod.message = std::string("The cluster refused the pod: ") + failure->what();
    }
    co_await save(pod, std::nullopt);
    publish(pod);
    // The objects may exist in part (created before the error): the reconciler removes them.
    throw *failure;
  }
  co_await store_.save(pod);
  publish(pod);
}

asio::awaitable<Pod> PodService::start(Actor actor, db::Oid id) {
  need_runtime();
  const catalog::Settings settings = co_await catalog_.settings();
  Pod pod = co_await visible(actor, id);
  auto user_guard = co_await user_locks_.lock(pod.user_id.to_string());
  auto pod_guard = co_await pod_locks_.lock(id.to_string());
  pod = co_await visible(actor, id);  // fresh, under the lock
  if (pod.desired == kRunning) {
    co_return pod;  // already asked to run: idempotent
  }
  if (pod.status == kStopping) {
    throw core::Conflict("the pod is still stopping; start it again in a moment",
                         {{"status", pod.status}});
  }
  Actor owner{pod.user_id, pod.user_email, actor.admin && pod.user_id == actor.user_id};
  co_await check_can_run(owner, pod.price_per_hour, settings);
  co_await run_ended(pod, pod.running_since);  // the previous run paid in full before the reset
  pod.generation += 1;
  pod.desired = std::string(kRunning);
  pod.status = std::string(kPending);
  pod.ready = false;
  pod.reason.clear();
  pod.message = "Waiting for the cluster";
  pod.node.clear();
  pod.restarts = 0;
  pod.started_at = clock_.now();
  pod.running_since.reset();
  pod.stopped_at.reset();
  pod.urls = urls_for(pod, settings.base_domain);
  co_await store_.save(pod);
  co_await launch(pod);
  co_return pod;
}

// Asks the cluster to stop `pod` (lock held) and records it: stopping, or stopped when nothing
// was running. An unreachable cluster leaves it stopping: the reconciler retries.
asio::awaitable<void> PodService::stop_locked(Pod& pod, std::string reason, std::string message) {
  const bool was_failed = pod.status == kFailed;
  const auto was_running = pod.running_since;
  pod.desired = std::string(kStopped);
  pod.ready = false;
  if (!was_failed) {
    pod.reason = std::move(reason);
    pod.message = std::move(message);
  }
  bool existed = true;
  bool unreachable = false;
  if (runtime_ != nullptr) {
    try {
      existed = co_await runtime_->stop(pod.id.to_string());
    } catch (const core::Error& e) {
      if (e.code() != core::ErrorCode::kubernetes_unavailable) {
        throw;
      }
      unreachable = true;
      log::warn("pods.stop_deferred", {{"pod_id", pod.id.to_string()}, {"error", e.what()}});
    }
  } else {
    existed = false;
  }
  if (!existed && !unreachable) {
    if (!was_failed) {
      pod.status = std::string(kStopped);
    }
    pod.stopped_at = clock_.now();
    pod.running_since.reset();
  } else if (!was_failed) {
    pod.status = std::string(kStopping);
  }
  co_await save(pod, was_running);
  publish(pod);
}

asio::awaitable<Pod> PodService::stop(Actor actor, db::Oid id) {
  co_await visible(actor, id);
  auto guard = co_await pod_locks_.lock(id.to_string());
  Pod pod = co_await visible(actor, id);
  if (pod.desired == kStopped && finished(pod)) {
    co_return pod;
  }
  std::string reason = "StoppedByUser";
  if (actor.admin && actor.user_id != pod.user_id) {
    reason = "StoppedByAdmin";
  }
  co_await stop_locked(pod, reason, "Stopped on request");
  co_return pod;
}

asio::awaitable<Pod> PodService::remove(Actor actor, db::Oid id) {
  co_await visible(actor, id);
  auto guard = co_await pod_locks_.lock(id.to_string());
  Pod pod = co_await visible(actor, id);
  if (!(pod.desired == kStopped && finished(pod))) {
    co_await stop_locked(pod, "Deleted", "Deleted on request");
  }
  pod.deleted = true;
  pod.name_key = "deleted-" + pod.id.to_string();  // frees the name
  co_await store_.save(pod);
  bus_.publish(core::Event{"pod.deleted", pod.user_id.to_string(), {{"id", pod.id.to_string()}}});
  co_return pod;
}

asio::awaitable<Pod> PodService::get(Actor actor, db::Oid id) {
  co_return co_await visible(actor, id);
}

asio::awaitable<std::vector<Pod>> PodService::list(Actor actor) {
  co_return co_await store_.list(actor.user_id, "", kMaxListLimit);
}

asio::awaitable<std::vector<Pod>> PodService::list_all(std::optional<db::Oid> user,
                                                       std::string status, std::int64_t limit) {
  co_return co_await store_.list(user, std::move(status),
                                 std::clamp<std::int64_t>(limit, 1, kMaxListLimit));
}

asio::awaitable<Pod> PodService::loggable(Actor actor, db::Oid id) {
  Pod pod = co_await visible(actor, id);
  if (pod.desired != kRunning && pod.status != kStopping) {
    throw core::Conflict("the pod is not running: it has no logs", {{"status", pod.status}});
  }
  co_return pod;
}

asio::awaitable<void> PodService::logs(Actor actor, db::Oid id, runtime::LogOptions options,
                                       std::function<void(std::string_view)> on_chunk,
                                       std::stop_token stop) {
  const Pod pod = co_await loggable(actor, id);
  try {
    co_await need_runtime().logs(pod.id.to_string(), options, std::move(on_chunk), std::move(stop));
  } catch (const core::Error& e) {
    if (e.code() == core::ErrorCode::not_found || e.code() == core::ErrorCode::bad_request) {
      throw core::Conflict("the pod has no logs yet: its container has not started",
                           {{"status", pod.status}});
    }
    throw;
  }
}

asio::awaitable<json> PodService::capacity() {
  const runtime::Capacity c = co_await need_runtime().capacity();
  const catalog::Settings settings = co_await catalog_.settings();
  const auto templates = co_await catalog_.list(true);
  json nodes = json::array();
  for (const auto& n : c.nodes) {
    nodes.push_back({{"name", n.name},
                     {"schedulable", n.schedulable},
                     {"cpu_millis_free", n.cpu_millis_free},
                     {"memory_bytes_free", n.memory_bytes_free},
                     {"gpus_free", n.gpus_free},
                     {"cpu_millis_allocatable", n.cpu_millis_allocatable},
                     {"memory_bytes_allocatable", n.memory_bytes_allocatable},
                     {"gpus_allocatable", n.gpus_allocatable}});
  }
  json tiers = json::array();
  for (const auto& t : settings.tiers) {
    catalog::Resources r;
    r.cpu = t.cpu;
    r.memory = t.memory;
    r.gpus = 0;
    tiers.push_back({{"id", t.id}, {"name", t.name}, {"fits", c.fits(r)}});
  }
  json by_template = json::array();
  for (const auto& t : templates) {
    by_template.push_back({{"id", t.id.to_string()},
                           {"slug", t.slug},
                           {"gpus", t.resources.gpus},
                           {"fits", c.fits(t.resources)}});
  }
  co_return json{{"cpu_millis_free", c.cpu_millis_free},
                 {"memory_bytes_free", c.memory_bytes_free},
                 {"gpus_free", c.gpus_free},
                 {"max_gpus_free_on_one_node", c.max_gpus_free_on_one_node},
                 {"cpu_millis_allocatable", c.cpu_millis_allocatable},
                 {"memory_bytes_allocatable", c.memory_bytes_allocatable},
                 {"gpus_allocatable", c.gpus_allocatable},
                 {"nodes", nodes},
                 {"tiers", tiers},
                 {"templates", by_template}};
}

asio::awaitable<std::int64_t> PodService::stop_all_of(db::Oid user, std::string reason,
                                                      std::string message) {
  const auto active = co_await store_.active_of(user);
  std::int64_t n = 0;
  for (const auto& p : active) {
    auto guard = co_await pod_locks_.lock(p.id.to_string());
    auto pod = co_await store_.find(p.id);
    if (!pod || pod->desired != kRunning) {
      continue;
    }
    co_await stop_locked(*pod, reason, message);
    ++n;
  }
  co_return n;
}

asio::awaitable<void> PodService::set_fields(db::Oid id, db::Doc fields) {
  auto guard = co_await pod_locks_.lock(id.to_string());
  co_await store_.set_fields(id, std::move(fields));
}

asio::awaitable<std::optional<Pod>> PodService::stop_if(db::Oid id, std::string reason,
                                                        std::string message,
                                                        std::function<bool(const Pod&)> still) {
  auto guard = co_await pod_locks_.lock(id.to_string());
  auto pod = co_await store_.find(id);
  if (!pod || pod->deleted || pod->desired != kRunning || (still && !still(*pod))) {
    co_return std::nullopt;
  }
  co_await stop_locked(*pod, std::move(reason), std::move(message));
  co_return pod;
}

// ------------------------------------------------------------------------------------------------
// Reconciler side

asio::awaitable<void> PodService::observe(runtime::Observation o) {
  const auto id = db::Oid::parse(o.pod_id);
  if (!id) {
    co_return;  // not ours
  }
  auto guard = co_await pod_locks_.lock(o.pod_id);
  auto pod = co_await store_.find(*id);
  if (!pod) {
    if (o.exists && o.phase != kStopping && runtime_ != nullptr) {
      log::warn("pods.orphan_removed", {{"pod_id", o.pod_id}});
      co_await runtime_->stop(o.pod_id);  // drift: objects with no record
    }
    co_return;
  }
  co_await observe_locked(*pod, o);
}

asio::awaitable<void> PodService::observe_locked(Pod& pod, const runtime::Observation& o) {
  const Pod before = pod;
  const auto now = clock_.now();
  if (pod.launch_pending && o.exists && pod.desired == kRunning && !pod.deleted &&
      runtime_ != nullptr && (o.generation == 0 || o.generation == pod.generation)) {
    // The pod exists but its start was not confirmed: finish it (service, ingress).
    co_await relaunch(pod);
  }
  const bool wanted = pod.desired == kRunning && !pod.deleted;

  if (!wanted) {
    if (o.exists) {
      if (o.phase != kStopping && runtime_ != nullptr) {
        co_await runtime_->stop(pod.id.to_string());  // stop again (an earlier call failed)
      }
      if (pod.status != kFailed) {
        pod.status = std::string(kStopping);
      }
    } else {
      if (pod.status != kFailed) {
        pod.status = std::string(kStopped);
      }
      if (!pod.stopped_at) {
        pod.stopped_at = now;
      }
      pod.running_since.reset();
      pod.ready = false;
    }
  } else if (!o.exists) {
    if (pod.status == kRunning || pod.status == kCreating) {
      // It vanished while running (deleted by hand, node lost): record it, do not restart.
      pod.desired = std::string(kStopped);
      pod.status = std::string(kStopped);
      pod.ready = false;
      pod.reason = "Vanished";
      pod.message =
          "The pod disappeared from the cluster (deleted outside Neuropod or its node "
          "was lost); start it again when you need it.";
      pod.stopped_at = now;
      pod.running_since.reset();
    } else if (runtime_ != nullptr) {
      // Accepted but not created yet (a restart mid-deploy, or the previous run just ended).
      co_await relaunch(pod);
    }
  } else if (o.generation != 0 && o.generation != pod.generation) {
    // An object of an earlier start: start() replaces it once it is gone.
  } else if (o.fatal) {
    pod.status = std::string(kFailed);
    pod.reason = o.reason;
    pod.message = o.message;
    pod.node = o.node;
    pod.restarts = o.restarts;
    pod.ready = false;
    pod.desired = std::string(kStopped);
    pod.stopped_at = now;
    pod.running_since.reset();
    if (runtime_ != nullptr) {
      co_await runtime_->stop(pod.id.to_string());
    }
  } else if (o.phase != kStopping) {
    pod.status = o.phase;
    pod.ready = o.ready;
    pod.reason = o.reason;
    pod.message = o.message;
    pod.node = o.node;
    pod.restarts = o.restarts;
    if (o.phase == kRunning && !pod.running_since) {
      pod.running_since = now;
    }
  }

  const bool changed = pod.status != before.status || pod.ready != before.ready ||
                       pod.reason != before.reason || pod.message != before.message ||
                       pod.node != before.node || pod.restarts != before.restarts ||
                       pod.desired != before.desired || pod.launch_pending != before.launch_pending;
  if (changed || pod.running_since != before.running_since) {
    co_await save(pod, before.running_since);
    publish(pod);
  }
  if (pod.status == kFailed && before.status != kFailed) {
    co_await tell_failed(pod);
  }
}

asio::awaitable<void> PodService::tell_failed(const Pod& pod) {
  if (notifications_ == nullptr) {
    co_return;
  }
  // Built before the co_await: g++ 12 mishandles braced lists inside co_await expressions.
  nlohmann::json details = {{"pod_id", pod.id.to_string()},
                            {"pod_name", pod.name},
                            {"reason", pod.reason},
                            {"message", pod.message}};  // Kubernetes's words
  std::string message =
      fmt::format("Your pod {} failed ({}): {}", pod.name, pod.reason, pod.message);
  try {
    co_await notifications_->send(pod.user_id, "pod_failed", std::move(message),
                                  std::move(details));
  } catch (const std::exception& e) {
    log::warn("pods.notify_failed", {{"pod_id", pod.id.to_string()}, {"error", e.what()}});
  }
}

asio::awaitable<void> PodService::resync(std::vector<runtime::Observation> all) {
  std::vector<std::string> seen;
  for (const auto& o : all) {
    seen.push_back(o.pod_id);
    try {
      co_await observe(o);
    } catch (const core::Error& e) {
      log::warn("pods.reconcile_failed", {{"pod_id", o.pod_id}, {"error", e.what()}});
    }
  }
  co_await sweep(std::move(seen));
}

asio::awaitable<void> PodService::sweep(std::vector<std::string> seen) {
  std::sort(seen.begin(), seen.end());
  const auto live = co_await store_.live();
  for (const auto& p : live) {
    const std::string id = p.id.to_string();
    if (std::binary_search(seen.begin(), seen.end(), id)) {
      continue;
    }
    try {
      // The list may be older than what was observed since (observations are handled
      // concurrently): ask again before taking the pod for gone.
      std::optional<runtime::Observation> now;
      if (runtime_ != nullptr) {
        now = co_await runtime_->status(id);
      }
      if (!now) {
        now.emplace();
        now->pod_id = id;
        now->exists = false;
      }
      co_await observe(std::move(*now));
    } catch (const core::Error& e) {
      log::warn("pods.reconcile_failed", {{"pod_id", id}, {"error", e.what()}});
    }
  }
}

void PodService::remember_unconfirmed(const std::string& pod_id) {
  const std::lock_guard lock(unconfirmed_mutex_);
  unconfirmed_.insert(pod_id);
}

asio::awaitable<void> PodService::relaunch(Pod& pod) {
  const catalog::Settings settings = co_await catalog_.settings();
  std::optional<core::Error> refused;
  try {
    const auto result = co_await need_runtime().start(spec_of(pod, settings));
    const bool was_pending = pod.launch_pending;
    pod.launch_pending = result == runtime::StartResult::unconfirmed;
    log::info("pods.relaunched", {{"pod_id", pod.id.to_string()},
                                  {"confirmed", !pod.launch_pending},
                                  {"result", static_cast<int>(result)}});
    if (pod.launch_pending) {
      pod.message = std::string(kUnconfirmedMessage);
      remember_unconfirmed(pod.id.to_string());
    } else if (was_pending && pod.status == kPending) {
      pod.message = "Waiting for a node";
    }
  } catch (const core::Error& e) {
    if (e.code() == core::ErrorCode::kubernetes_unavailable) {
      throw;
    }
    refused = e;
  }
  if (refused) {
    pod.launch_pending = false;
    pod.desired = std::string(kStopped);
    pod.status = std::string(kFailed);
    pod.reason = "StartFailed";
    pod.message = std::string("The cluster refused the pod: ") + refused->what();
    pod.stopped_at = clock_.now();
  }
}

asio::awaitable<std::size_t> PodService::retry_unconfirmed() {
  std::vector<std::string> ids;
  {
    const std::lock_guard lock(unconfirmed_mutex_);
    ids.assign(unconfirmed_.begin(), unconfirmed_.end());
    unconfirmed_.clear();  // relaunch() puts back the ones still unconfirmed
  }
  for (const auto& id_text : ids) {
    const auto id = db::Oid::parse(id_text);
    if (!id || runtime_ == nullptr) {
      continue;
    }
    try {
      auto guard = co_await pod_locks_.lock(id_text);
      auto pod = co_await store_.find(*id);
      if (!pod || !pod->launch_pending || pod->desired != kRunning || pod->deleted) {
        continue;
      }
      const Pod before = *pod;
      co_await relaunch(*pod);
      if (pod->launch_pending != before.launch_pending || pod->status != before.status) {
        co_await store_.save(*pod);
        publish(*pod);
      }
    } catch (const core::Error& e) {
      remember_unconfirmed(id_text);
      log::warn("pods.relaunch_failed", {{"pod_id", id_text}, {"error", e.what()}});
    }
  }
  const std::lock_guard lock(unconfirmed_mutex_);
  co_return unconfirmed_.size();
}

asio::awaitable<void> PodService::progress(runtime::ProgressEvent e) {
  const auto id = db::Oid::parse(e.pod_id);
  if (!id) {
    co_return;
  }
  auto guard = co_await pod_locks_.lock(e.pod_id);
  auto pod = co_await store_.find(*id);
  if (!pod || pod->deleted) {
    co_return;
  }
  PodEvent ev{e.type, e.reason, e.text, e.time};
  if (!pod->events.empty()) {
    const auto& last = pod->events.back();
    if (last.reason == ev.reason && last.text == ev.text) {
      co_return;  // repeated (count++ of the same Kubernetes event)
    }
  }
  pod->events.push_back(ev);
  if (pod->events.size() > kMaxEvents) {
    pod->events.erase(
        pod->events.begin(),
        pod->events.begin() + static_cast<std::ptrdiff_t>(pod->events.size() - kMaxEvents));
  }
  co_await store_.save(*pod);
  bus_.publish(core::Event{"pod.progress",
                           pod->user_id.to_string(),
                           {{"id", e.pod_id},
                            {"type", ev.type},
                            {"reason", ev.reason},
                            {"text", ev.text},
                            {"time", ev.time}}});
}

asio::awaitable<void> PodService::prepare_cluster() {
  const auto templates = co_await catalog_.list(true);
  std::vector<std::string> images;
  images.reserve(templates.size());
  for (const auto& t : templates) {
    images.push_back(t.image);
  }
  co_await need_runtime().prepare(std::move(images));
}

}  // namespace neuropod::pods
