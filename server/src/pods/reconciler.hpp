#pragma once
// Keeps every `Pod` record true to the cluster and the cluster true to the records: an informer
// (watch with resourceVersion, relist on 410 Gone, periodic resync) feeds observations and
// progress events to PodService: per pod one at a time and in order, different pods concurrently
// (up to 32; a queued observation is replaced by a newer one of the same pod). Every tick it also
// starts again the pods whose start the cluster did not confirm. Only the leader among backend
// instances reconciles (a Lease renewed every lease_duration / 3). Kubernetes being unreachable
// only delays it: the watch retries with backoff and the next resync catches up.
#include <atomic>
#include <chrono>
#include <stop_token>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "pods/pod_service.hpp"

namespace neuropod::pods {

struct ReconcilerOptions {
  std::string identity;  // this instance, in the Lease
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds resync_every{60};
};

class Reconciler {
 public:
  Reconciler(PodService& pods, runtime::PodRuntime& runtime, ReconcilerOptions options)
      : pods_(pods), runtime_(runtime), options_(std::move(options)) {}

  // Runs until `stop` is requested.
  boost::asio::awaitable<void> run(std::stop_token stop);
  // One full pass (list, then reconcile every record and object): what the periodic resync does.
  boost::asio::awaitable<void> resync_once();

  // Holds the Lease. A leader that cannot renew it for a whole lease_duration (Kubernetes
  // unreachable from here) steps down: another instance may hold it by then.
  bool leading() const { return leading_.load(); }
  // The last election or renewal attempt failed (Kubernetes did not answer): nobody here can
  // tell who leads. Work that must go on during an outage (alerts) runs on such instances too.
  bool election_failing() const { return election_failing_.load(); }
  // Observations and events handled so far (tests, metrics).
  std::uint64_t handled() const { return handled_.load(); }

 private:
  boost::asio::awaitable<void> lead_term(std::stop_token stop);

  PodService& pods_;
  runtime::PodRuntime& runtime_;
  ReconcilerOptions options_;
  std::atomic<bool> leading_{false};
  std::atomic<bool> election_failing_{false};
  std::atomic<std::uint64_t> handled_{0};
};

}  // namespace neuropod::pods
