#pragma once
// What users and admins do with pods (deploy, stop, start, delete, inspect, logs, capacity) and
// what the reconciler reports back (observations, progress). Owns the rules: names unique per
// user, the running-pods limit, the minimum runway of the balance, one start/stop at a time per
// pod, ownership (another user's pod is "not found"). The runtime is the only way to the cluster.
//
// Concurrency: checks-then-insert of one user and every change to one pod are serialized in this
// process (core::KeyedLock), and each record is written whole under its pod's lock.
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "catalog/catalog.hpp"
#include "core/event_bus.hpp"
#include "core/keyed_lock.hpp"
#include "notify/notifications.hpp"
#include "pods/pod_store.hpp"
#include "runtime/pod_runtime.hpp"
#include "users/user_store.hpp"

namespace neuropod::pods {

struct Actor {
  db::Oid user_id;
  std::string email;
  bool admin = false;
};

// What billing learns of a pod's runs (metering::Meter is behind it). Called under the pod's
// lock, after the record is saved. A hook's failure is logged, never thrown: the billing pass
// catches up with anything a hook missed.
class RunHooks {
 public:
  virtual ~RunHooks() = default;
  // The run became running (running_since just set).
  virtual boost::asio::awaitable<void> run_started(Pod pod) = 0;
  // The run ended (stopped_at set; running_since is the run's start), or the record is about to
  // be reset for a new start.
  virtual boost::asio::awaitable<void> run_ended(Pod pod) = 0;
};

class PodService {
 public:
  // `runtime` may be null: no cluster configured (every call that needs one answers 503
  // kubernetes_unavailable).
  PodService(PodStore& store, users::UserStore& users, catalog::Catalog& catalog,
             runtime::PodRuntime* runtime, core::EventBus& bus, const core::Clock& clock);

  // Body: {name, template_id | template_slug | image, tier?, gpus?, ports?, env?, command?, args?}.
  // Throws ValidationError (bad fields, invalid image, unknown template or tier), Conflict (name
  // taken), insufficient_balance (402), pod_limit_reached (409), kubernetes_unavailable (503).
  boost::asio::awaitable<Pod> deploy(Actor actor, nlohmann::json body);
  boost::asio::awaitable<Pod> start(Actor actor, db::Oid id);
  boost::asio::awaitable<Pod> stop(Actor actor, db::Oid id);
  // Returns the record as deleted (for the audit log).
  boost::asio::awaitable<Pod> remove(Actor actor, db::Oid id);
  // Admins see every pod; others only theirs (NotFound otherwise).
  boost::asio::awaitable<Pod> get(Actor actor, db::Oid id);
  boost::asio::awaitable<std::vector<Pod>> list(Actor actor);
  boost::asio::awaitable<std::vector<Pod>> list_all(std::optional<db::Oid> user, std::string status,
                                                    std::int64_t limit);
  // The pod when it has logs (asked to run, or still stopping); Conflict otherwise.
  boost::asio::awaitable<Pod> loggable(Actor actor, db::Oid id);
  // The pod's output; see runtime::PodRuntime::logs.
  boost::asio::awaitable<void> logs(Actor actor, db::Oid id, runtime::LogOptions options,
                                    std::function<void(std::string_view)> on_chunk,
                                    std::stop_token stop);
  // Free resources now and how many pods of each tier and template fit.
  boost::asio::awaitable<nlohmann::json> capacity();
  // Stops every pod of the user (blocked, out of credit) with `reason` (a code such as
  // "AccountBlocked") and `message` (plain words). Returns how many were asked to stop.
  boost::asio::awaitable<std::int64_t> stop_all_of(db::Oid user, std::string reason,
                                                   std::string message);
  // $set of fields other modules own on a Pod document (access level, share links, keep
  // running), under the pod's lock: FerretDB writes a whole document per update, so a concurrent
  // save of the record would otherwise put the old values back.
  boost::asio::awaitable<void> set_fields(db::Oid id, db::Doc fields);
  // Stops one pod for the platform (idle culling) when it is still asked to run and `still`
  // (checked on the fresh record, under the pod's lock) says so. Returns the record when stopped.
  boost::asio::awaitable<std::optional<Pod>> stop_if(db::Oid id, std::string reason,
                                                     std::string message,
                                                     std::function<bool(const Pod&)> still);

  // ---- The reconciler's side (see reconciler.hpp).
  // Moves the record towards what Kubernetes shows, and the cluster towards what the record asks.
  boost::asio::awaitable<void> observe(runtime::Observation o);
  // After a (re)list: every object; records with none are observed as gone.
  boost::asio::awaitable<void> resync(std::vector<runtime::Observation> all);
  // The second half of resync: records that may have objects but whose id is not in `seen` (the
  // ids of a list) are checked with a fresh read, then observed (as gone when they are).
  boost::asio::awaitable<void> sweep(std::vector<std::string> seen);
  // Starts again the pods whose last start the cluster did not confirm (launch_pending) in this
  // process; after a restart the reconciler's observations and resync find them. Returns how
  // many are still unconfirmed.
  boost::asio::awaitable<std::size_t> retry_unconfirmed();
  boost::asio::awaitable<void> progress(runtime::ProgressEvent e);
  // The images of the enabled templates pre-pulled, network policies in place.
  boost::asio::awaitable<void> prepare_cluster();

  runtime::PodRuntime* runtime() const { return runtime_; }
  // Set once, before any request (the application wires billing here).
  void set_run_hooks(RunHooks* hooks) { hooks_ = hooks; }
  // Where "pod_failed" notifications go (none when unset). Set once, before any request.
  void set_notifications(notify::Notifications* n) { notifications_ = n; }

 private:
  runtime::PodRuntime& need_runtime() const;
  boost::asio::awaitable<Pod> visible(const Actor& actor, db::Oid id);
  boost::asio::awaitable<void> check_can_run(const Actor& actor, core::Micros price,
                                             const catalog::Settings& settings);
  boost::asio::awaitable<void> launch(Pod& pod);
  // start() of the runtime for a pod that should run (lock held): launch_pending and the message
  // follow the result. Refusals other than an unreachable cluster mark it failed.
  boost::asio::awaitable<void> relaunch(Pod& pod);
  void remember_unconfirmed(const std::string& pod_id);
  boost::asio::awaitable<void> stop_locked(Pod& pod, std::string reason, std::string message);
  boost::asio::awaitable<void> observe_locked(Pod& pod, const runtime::Observation& o);
  void publish(const Pod& pod);
  // Saves the record (lock held) and tells the hooks when its run started or ended; `was_running`
  // is running_since as it was before the change.
  boost::asio::awaitable<void> save(Pod& pod, const std::optional<core::TimePoint>& was_running);
  boost::asio::awaitable<void> run_ended(Pod pod, const std::optional<core::TimePoint>& since);
  boost::asio::awaitable<void> tell_failed(const Pod& pod);
  runtime::PodSpec spec_of(const Pod& pod, const catalog::Settings& settings) const;

  PodStore& store_;
  users::UserStore& users_;
  catalog::Catalog& catalog_;
  runtime::PodRuntime* runtime_;
  RunHooks* hooks_ = nullptr;
  notify::Notifications* notifications_ = nullptr;
  core::EventBus& bus_;
  const core::Clock& clock_;
  core::KeyedLock user_locks_;
  core::KeyedLock pod_locks_;
  std::mutex unconfirmed_mutex_;
  std::set<std::string> unconfirmed_;  // pod ids
};

}  // namespace neuropod::pods
