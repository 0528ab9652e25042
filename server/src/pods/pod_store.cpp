#include "pods/pod_store.hpp"

#include "core/errors.hpp"
#include "db/schema.hpp"

namespace neuropod::pods {

namespace {

std::vector<Pod> pods_of(const std::vector<db::Doc>& docs) {
  std::vector<Pod> out;
  out.reserve(docs.size());
  for (const auto& d : docs) {
    out.push_back(from_doc(d));
  }
  return out;
}

db::FindOptions newest_first(std::int64_t limit) {
  db::FindOptions o;
  db::Doc sort;
  sort.append("created_at", std::int32_t{-1});
  o.sort = std::move(sort);
  o.limit = limit;
  return o;
}

}  // namespace

boost::asio::awaitable<void> PodStore::insert(const Pod& pod) {
  const db::Doc doc = to_doc(pod);
  try {
    co_await db_.run([&doc](db::Conn& c) { c.collection(db::collections::kPod).insert_one(doc); });
  } catch (const db::DuplicateKey&) {
    throw core::Conflict("you already have a pod with this name",
                         {{"field", "name"}, {"name", pod.name}});
  }
}

boost::asio::awaitable<std::optional<Pod>> PodStore::find(db::Oid id) {
  db::Doc filter;
  filter.append("_id", id);
  auto doc = co_await db_.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kPod).find_one(filter); });
  if (!doc) {
    co_return std::nullopt;
  }
  co_return from_doc(*doc);
}

boost::asio::awaitable<std::optional<Pod>> PodStore::find_visible(db::Oid id,
                                                                  std::optional<db::Oid> owner) {
  db::Doc filter;
  filter.append("_id", id).append("deleted", false);
  if (owner) {
    filter.append("user_id", *owner);
  }
  auto doc = co_await db_.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kPod).find_one(filter); });
  if (!doc) {
    co_return std::nullopt;
  }
  co_return from_doc(*doc);
}

boost::asio::awaitable<std::vector<Pod>> PodStore::list(std::optional<db::Oid> owner,
                                                        std::string status, std::int64_t limit) {
  db::Doc filter;
  filter.append("deleted", false);
  if (owner) {
    filter.append("user_id", *owner);
  }
  if (!status.empty()) {
    filter.append("status", status);
  }
  const auto options = newest_first(limit);
  auto docs = co_await db_.run([&filter, &options](db::Conn& c) {
    return c.collection(db::collections::kPod).find(filter, options);
  });
  co_return pods_of(docs);
}

boost::asio::awaitable<std::vector<Pod>> PodStore::active_of(db::Oid user) {
  db::Doc filter;
  filter.append("user_id", user).append("deleted", false).append("desired", kRunning);
  auto docs = co_await db_.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kPod).find(filter); });
  co_return pods_of(docs);
}

boost::asio::awaitable<std::vector<Pod>> PodStore::live() {
  // desired running, or any status that may still have Kubernetes objects.
  const auto filter =
      db::Doc::from_json({{"$or",
                           {{{"desired", kRunning}},
                            {{"status", {{"$in", {kPending, kCreating, kRunning, kStopping}}}}}}}});
  auto docs = co_await db_.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kPod).find(filter); });
  co_return pods_of(docs);
}

boost::asio::awaitable<void> PodStore::save(Pod& pod) {
  pod.updated_at = clock_.now();
  db::Doc filter;
  filter.append("_id", pod.id);
  db::Doc update;
  update.append("$set", to_doc(pod, false));
  co_await db_.run([&filter, &update](db::Conn& c) {
    c.collection(db::collections::kPod).update_one(filter, update);
  });
}

boost::asio::awaitable<void> PodStore::set_fields(db::Oid id, db::Doc fields) {
  db::Doc filter;
  filter.append("_id", id);
  db::Doc update;
  update.append("$set", fields);
  co_await db_.run([&filter, &update](db::Conn& c) {
    c.collection(db::collections::kPod).update_one(filter, update);
  });
}

}  // namespace neuropod::pods
