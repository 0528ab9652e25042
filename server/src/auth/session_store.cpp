#include "auth/session_store.hpp"

#include "db/schema.hpp"

namespace neuropod::auth {

namespace {

constexpr std::size_t kMaxUserAgent = 512;
constexpr std::int64_t kMaxListed = 200;

Session from_doc(const db::Doc& d) {
  Session s;
  s.id = d.get_oid("_id").value_or(db::Oid{});
  s.user_id = d.get_oid("user_id").value_or(db::Oid{});
  s.method = d.get_string("method").value_or("");
  s.created_at = d.get_time("created_at").value_or(core::TimePoint{});
  s.last_seen_at = d.get_time("last_seen_at").value_or(s.created_at);
  s.expires_at = d.get_time("expires_at").value_or(core::TimePoint{});
  s.ip = d.get_string("ip").value_or("");
  s.user_agent = d.get_string("user_agent").value_or("");
  return s;
}

}  // namespace

nlohmann::json to_json(const Session& s, bool current) {
  return {{"id", s.id.to_string()},
          {"method", s.method},
          {"created_at", core::to_iso8601(s.created_at)},
          {"last_seen_at", core::to_iso8601(s.last_seen_at)},
          {"expires_at", core::to_iso8601(s.expires_at)},
          {"ip", s.ip},
          {"user_agent", s.user_agent},
          {"current", current}};
}

boost::asio::awaitable<Session> SessionStore::create(NewSession in) {
  Session s;
  s.id = db::Oid::generate();
  s.user_id = in.user_id;
  s.method = std::move(in.method);
  s.created_at = s.last_seen_at = clock_.now();
  s.expires_at = s.created_at + in.ttl;
  s.ip = std::move(in.ip);
  s.user_agent = in.user_agent.substr(0, kMaxUserAgent);
  db::Doc doc;
  doc.append("_id", s.id)
      .append("user_id", s.user_id)
      .append("method", s.method)
      .append("created_at", s.created_at)
      .append("last_seen_at", s.last_seen_at)
      .append("expires_at", s.expires_at)
      .append("ip", s.ip)
      .append("user_agent", s.user_agent);
  co_await db_.run(
      [&doc](db::Conn& c) { c.collection(db::collections::kSession).insert_one(doc); });
  co_return s;
}

boost::asio::awaitable<std::optional<Session>> SessionStore::find(db::Oid id) {
  db::Doc filter;
  filter.append("_id", id);
  auto doc = co_await db_.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kSession).find_one(filter); });
  if (!doc) {
    co_return std::nullopt;
  }
  co_return from_doc(*doc);
}

boost::asio::awaitable<std::vector<Session>> SessionStore::list_for_user(db::Oid user_id) {
  db::Doc gt;
  gt.append("$gt", clock_.now());
  db::Doc filter;
  filter.append("user_id", user_id).append("expires_at", gt);
  db::FindOptions options;
  db::Doc sort;
  sort.append("created_at", std::int32_t{-1});
  options.sort = sort;
  options.limit = kMaxListed;
  auto docs = co_await db_.run([&filter, &options](db::Conn& c) {
    return c.collection(db::collections::kSession).find(filter, options);
  });
  std::vector<Session> out;
  out.reserve(docs.size());
  for (const auto& d : docs) {
    out.push_back(from_doc(d));
  }
  co_return out;
}

boost::asio::awaitable<void> SessionStore::touch(db::Oid id, std::string ip) {
  db::Doc filter;
  filter.append("_id", id);
  db::Doc set;
  set.append("last_seen_at", clock_.now()).append("ip", ip);
  db::Doc change;
  change.append("$set", set);
  co_await db_.run([&filter, &change](db::Conn& c) {
    c.collection(db::collections::kSession).update_one(filter, change);
  });
}

boost::asio::awaitable<bool> SessionStore::revoke(db::Oid id, std::optional<db::Oid> owner) {
  db::Doc filter;
  filter.append("_id", id);
  if (owner) {
    filter.append("user_id", *owner);
  }
  const auto n = co_await db_.run([&filter](db::Conn& c) {
    return c.collection(db::collections::kSession).delete_one(filter);
  });
  co_return n > 0;
}

boost::asio::awaitable<std::int64_t> SessionStore::revoke_all(db::Oid user_id) {
  db::Doc filter;
  filter.append("user_id", user_id);
  co_return co_await db_.run([&filter](db::Conn& c) {
    return c.collection(db::collections::kSession).delete_many(filter);
  });
}

boost::asio::awaitable<std::int64_t> SessionStore::purge_expired() {
  db::Doc lt;
  lt.append("$lt", clock_.now());
  db::Doc filter;
  filter.append("expires_at", lt);
  co_return co_await db_.run([&filter](db::Conn& c) {
    return c.collection(db::collections::kSession).delete_many(filter);
  });
}

}  // namespace neuropod::auth
