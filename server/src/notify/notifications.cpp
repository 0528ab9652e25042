#include "notify/notifications.hpp"

#include "core/errors.hpp"
#include "db/schema.hpp"

namespace neuropod::notify {

namespace asio = boost::asio;

namespace {

db::Doc owned_by(const db::Oid& user) {
  db::Doc f;
  f.append("action", kAction).append("user_id", user.to_string());
  return f;
}

Notification from_doc(const db::Doc& d) {
  Notification n;
  n.id = d.get_oid("_id").value_or(db::Oid{});
  n.user_id = d.get_string("user_id").value_or("");
  n.kind = d.get_string("kind").value_or("");
  n.message = d.get_string("message").value_or("");
  if (auto details = d.get_doc("details")) {
    n.data = details->to_json();
  }
  n.created_at = d.get_time("ts").value_or(core::TimePoint{});
  n.read = d.get_bool("read").value_or(false);
  return n;
}

}  // namespace

nlohmann::json to_json(const Notification& n) {
  return {{"id", n.id.to_string()}, {"user_id", n.user_id},
          {"kind", n.kind},         {"message", n.message},
          {"data", n.data},         {"created_at", core::to_iso8601(n.created_at)},
          {"read", n.read}};
}

asio::awaitable<Notification> Notifications::send(db::Oid user, std::string kind,
                                                  std::string message, nlohmann::json data) {
  Notification n;
  n.id = db::Oid::generate();
  n.user_id = user.to_string();
  n.kind = std::move(kind);
  n.message = std::move(message);
  n.data = data.is_object() ? std::move(data) : nlohmann::json::object();
  n.created_at = clock_.now();
  db::Doc doc;
  // The audit entries' shape (ts, action, user_id, details), so the admin's activity view lists
  // notifications too.
  doc.append("_id", n.id)
      .append("ts", n.created_at)
      .append("action", kAction)
      .append("user_id", n.user_id)
      .append("kind", n.kind)
      .append("message", n.message)
      .append("details", db::Doc::from_json(n.data))
      .append("read", false);
  co_await db_.run([&doc](db::Conn& c) { c.collection(db::collections::kLog).insert_one(doc); });
  bus_.publish(core::Event{std::string(kEvent), n.user_id, to_json(n)});
  co_return n;
}

asio::awaitable<Page> Notifications::list(db::Oid user, bool unread_only, std::int64_t limit,
                                          std::optional<db::Oid> before) {
  db::Doc filter = owned_by(user);
  if (unread_only) {
    filter.append("read", false);
  }
  if (before) {
    db::Doc lt;
    lt.append("$lt", *before);  // ObjectIds grow with time: newest first is _id descending
    filter.append("_id", lt);
  }
  db::FindOptions options;
  db::Doc sort;
  sort.append("_id", std::int32_t{-1});
  options.sort = sort;
  options.limit = limit + 1;
  db::Doc unread_filter = owned_by(user);
  unread_filter.append("read", false);
  // No structured binding of a co_await result: g++ 12 handles those poorly in coroutines.
  const auto found = co_await db_.run([&filter, &options, &unread_filter](db::Conn& c) {
    auto coll = c.collection(db::collections::kLog);
    auto docs = coll.find(filter, options);
    return std::pair{std::move(docs), coll.count(unread_filter)};
  });
  Page page;
  page.unread = found.second;
  for (const auto& d : found.first) {
    if (static_cast<std::int64_t>(page.items.size()) == limit) {
      page.next_before = page.items.back().id.to_string();
      break;
    }
    page.items.push_back(from_doc(d));
  }
  co_return page;
}

asio::awaitable<void> Notifications::mark_read(db::Oid user, db::Oid id) {
  db::Doc filter = owned_by(user);
  filter.append("_id", id);
  db::Doc set;
  set.append("read", true);
  db::Doc update;
  update.append("$set", set);
  const auto r = co_await db_.run([&filter, &update](db::Conn& c) {
    return c.collection(db::collections::kLog).update_one(filter, update);
  });
  if (r.matched == 0) {
    throw core::NotFound("notification");
  }
}

asio::awaitable<std::int64_t> Notifications::mark_all_read(db::Oid user) {
  db::Doc filter = owned_by(user);
  filter.append("read", false);
  db::Doc set;
  set.append("read", true);
  db::Doc update;
  update.append("$set", set);
  co_return co_await db_.run([&filter, &update](db::Conn& c) {
    return c.collection(db::collections::kLog).update_many(filter, update);
  });
}

}  // namespace neuropod::notify
