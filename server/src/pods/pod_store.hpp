#pragma once
// The `Pod` collection. Every query that serves a user carries the owner (ownership in the query);
// deleted pods are only read by the billing history and the reconciler.
#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "db/database.hpp"
#include "pods/pod.hpp"

namespace neuropod::pods {

class PodStore {
 public:
  PodStore(db::Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  // Throws core::Conflict (details.field "name") when the user has a pod of that name already.
  boost::asio::awaitable<void> insert(const Pod& pod);
  // Any pod, deleted ones included (the reconciler).
  boost::asio::awaitable<std::optional<Pod>> find(db::Oid id);
  // A pod not deleted, of `owner` when given (none: any user's, for admins).
  boost::asio::awaitable<std::optional<Pod>> find_visible(db::Oid id, std::optional<db::Oid> owner);
  // Pods not deleted, newest first, of `owner` when given; filtered by status when non-empty.
  boost::asio::awaitable<std::vector<Pod>> list(std::optional<db::Oid> owner, std::string status,
                                                std::int64_t limit);
  // Pods of the user that count against the running-pods limit (asked to run).
  boost::asio::awaitable<std::vector<Pod>> active_of(db::Oid user);
  // Pods that have or should have Kubernetes objects: desired running, or not yet stopped, or
  // deleted but not yet seen stopped.
  boost::asio::awaitable<std::vector<Pod>> live();
  // Replaces the whole record (the caller holds the pod's lock), updated_at = now.
  boost::asio::awaitable<void> save(Pod& pod);
  // $set of `fields` on the pod's document (fields to_doc does not write).
  boost::asio::awaitable<void> set_fields(db::Oid id, db::Doc fields);

 private:
  db::Database& db_;
  const core::Clock& clock_;
};

}  // namespace neuropod::pods
