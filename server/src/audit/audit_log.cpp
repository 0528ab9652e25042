#include "audit/audit_log.hpp"

#include "core/errors.hpp"
#include "db/schema.hpp"

namespace neuropod::audit {

namespace {

constexpr std::size_t kMaxUserAgent = 512;

}  // namespace

Actor actor_of(const http::Request& req) {
  Actor a;
  if (req.principal) {
    a.user_id = req.principal->user_id;
    a.email = req.principal->email;
  }
  a.ip = req.remote_ip;
  a.user_agent = std::string(req.headers.get("user-agent").value_or("")).substr(0, kMaxUserAgent);
  return a;
}

namespace {

// Built outside the coroutine (conditional temporaries, see DEVELOPERS.md).
db::Doc entry_doc(const Entry& entry, core::TimePoint now) {
  const auto& subject = entry.subject_user_id.empty() ? entry.actor.user_id : entry.subject_user_id;
  const auto details = entry.details.is_object() ? entry.details : nlohmann::json::object();
  db::Doc doc;
  doc.append("_id", db::Oid::generate())
      .append("ts", now)
      .append("action", entry.action)
      .append("user_id", subject)
      .append("actor_id", entry.actor.user_id)
      .append("actor_email", entry.actor.email)
      .append("ip", entry.actor.ip)
      .append("user_agent", entry.actor.user_agent)
      .append("details", db::Doc::from_json(details));
  return doc;
}

}  // namespace

boost::asio::awaitable<void> AuditLog::record(Entry entry) {
  auto doc = entry_doc(entry, clock_.now());
  co_await db_.run([&doc](db::Conn& c) { c.collection(db::collections::kLog).insert_one(doc); });
}

boost::asio::awaitable<nlohmann::json> AuditLog::list(Query query) {
  db::Doc filter;
  if (query.user_id) {
    filter.append("user_id", *query.user_id);
  }
  if (query.action) {
    filter.append("action", *query.action);
  }
  if (query.before) {
    db::Doc by_id;
    by_id.append("_id", *query.before);
    const auto last = co_await db_.run(
        [&by_id](db::Conn& c) { return c.collection(db::collections::kLog).find_one(by_id); });
    std::optional<core::TimePoint> ts;
    if (last) {  // no ?: of class type in a coroutine (g++ 12, DEVELOPERS.md)
      ts = last->get_time("ts");
    }
    if (!ts) {
      throw core::ValidationError("before", "is not an entry of this log");
    }
    db::Doc older;
    older.append("$lt", *ts);
    db::Doc strictly;
    strictly.append("ts", older);
    db::Doc lower_id;
    lower_id.append("$lt", *query.before);
    db::Doc tie;
    tie.append("ts", *ts).append("_id", lower_id);
    db::Array either;
    either.push(strictly).push(tie);
    filter.append("$or", either);
  }
  db::FindOptions options;
  db::Doc sort;
  sort.append("ts", std::int32_t{-1}).append("_id", std::int32_t{-1});
  options.sort = sort;
  options.limit = query.limit;
  auto docs = co_await db_.run([&filter, &options](db::Conn& c) {
    return c.collection(db::collections::kLog).find(filter, options);
  });
  auto out = nlohmann::json::array();
  for (const auto& d : docs) {
    auto details = d.get_doc("details").value_or(db::Doc{}).to_json();
    out.push_back({{"id", d.get_oid("_id").value_or(db::Oid{}).to_string()},
                   {"ts", core::to_iso8601(d.get_time("ts").value_or(core::TimePoint{}))},
                   {"action", d.get_string("action").value_or("")},
                   {"user_id", d.get_string("user_id").value_or("")},
                   {"actor_id", d.get_string("actor_id").value_or("")},
                   {"actor_email", d.get_string("actor_email").value_or("")},
                   {"ip", d.get_string("ip").value_or("")},
                   {"user_agent", d.get_string("user_agent").value_or("")},
                   {"details", details}});
  }
  co_return out;
}

}  // namespace neuropod::audit
