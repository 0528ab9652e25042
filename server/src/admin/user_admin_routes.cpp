#include "admin/user_admin_routes.hpp"

#include "core/errors.hpp"
#include "core/fields.hpp"
#include "crypto/crypto.hpp"

namespace neuropod::admin {

namespace {

constexpr std::int64_t kMaxAmountMicros = 1'000'000'000'000;  // 1,000,000 EUR

nlohmann::json cursor_json(const std::string& raw) {
  if (raw.empty()) {
    return nullptr;
  }
  return crypto::base64url_encode(raw);
}

}  // namespace

void UserAdminRoutes::register_routes(http::Router& router) {
  using http::Access;
  using http::Request;
  router.get("/api/admin/users", Access::admin, [this](Request& r) { return list(r); });
  router.get("/api/admin/users/{id}", Access::admin, [this](Request& r) { return detail(r); });
  router.post("/api/admin/users/{id}/balance", Access::admin,
              [this](Request& r) { return balance(r); });
  router.put("/api/admin/users/{id}/role", Access::admin, [this](Request& r) { return role(r); });
}

boost::asio::awaitable<users::User> UserAdminRoutes::existing(const http::Request& req) {
  auto id = db::Oid::parse(req.params.at("id"));
  if (!id) {
    throw core::NotFound("User");
  }
  auto user = co_await users_.find_by_id(*id);
  if (!user) {
    throw core::NotFound("User");
  }
  co_return std::move(*user);
}

boost::asio::awaitable<http::Response> UserAdminRoutes::list(http::Request& req) {
  users::UserStore::ListQuery q;
  std::vector<core::FieldError> errors;
  q.search = req.query_param("search").value_or("");
  if (q.search.size() > 100) {
    errors.push_back({"search", "must be at most 100 characters"});
  }
  if (auto r = req.query_param("role")) {
    if (*r == "admin" || *r == "client") {
      q.role = *r == "admin" ? users::Role::admin : users::Role::client;
    } else {
      errors.push_back({"role", "must be admin or client"});
    }
  }
  if (auto b = req.query_param("blocked")) {
    if (*b == "true" || *b == "false") {
      q.blocked = *b == "true";
    } else {
      errors.push_back({"blocked", "must be true or false"});
    }
  }
  q.sort = req.query_param("sort").value_or("created_at");
  if (q.sort != "created_at" && q.sort != "email" && q.sort != "name" && q.sort != "balance") {
    errors.push_back({"sort", "must be one of created_at, email, name, balance"});
  }
  const std::string default_order = q.sort == "created_at" ? "desc" : "asc";
  const auto order = req.query_param("order").value_or(default_order);
  if (order != "asc" && order != "desc") {
    errors.push_back({"order", "must be asc or desc"});
  }
  q.descending = order == "desc";
  if (auto c = req.query_param("cursor")) {
    auto decoded = crypto::base64url_decode(*c);
    if (!decoded) {
      errors.push_back({"cursor", "is not a cursor from this listing"});
    } else {
      q.cursor = *decoded;
    }
  }
  if (!errors.empty()) {
    throw core::ValidationError(std::move(errors));
  }
  q.limit = req.query_int("limit", 50, 1, 200);
  auto page = co_await users_.list(std::move(q));
  auto items = nlohmann::json::array();
  for (const auto& u : page.items) {
    items.push_back(users::to_json(u));
  }
  nlohmann::json body = {{"items", items}, {"total", page.total}};
  body["next_cursor"] = cursor_json(page.next_cursor);
  co_return http::Response::json(200, body);
}

boost::asio::awaitable<http::Response> UserAdminRoutes::detail(http::Request& req) {
  auto user = co_await existing(req);
  auto sessions = co_await sessions_.list_for_user(user.id);
  auto ledger = co_await ledger_.list(user.id, 20, std::nullopt);
  auto s = nlohmann::json::array();
  for (const auto& x : sessions) {
    s.push_back(auth::to_json(x, x.id.to_string() == req.caller().session_id));
  }
  auto l = nlohmann::json::array();
  for (const auto& e : ledger.items) {
    l.push_back(billing::to_json(e));
  }
  co_return http::Response::json(200, {{"user", users::to_json(user)},
                                       {"sessions", s},
                                       {"transactions", l},
                                       {"pods", nlohmann::json::array()}});
}

boost::asio::awaitable<http::Response> UserAdminRoutes::balance(http::Request& req) {
  const auto& body = req.json_object();
  core::Fields f(body);
  const auto mode = f.string("mode", true, 3, 3).value_or("");
  if (!mode.empty() && mode != "add" && mode != "set") {
    f.fail("mode", "must be add or set");
  }
  const auto amount =
      f.integer("amount_micros", true, mode == "set" ? 0 : -kMaxAmountMicros, kMaxAmountMicros);
  if (amount && mode == "add" && *amount == 0) {
    f.fail("amount_micros", "must not be zero");
  }
  const auto reason = f.string("reason", true, 3, 500);
  f.throw_if_any();
  auto user = co_await existing(req);
  const auto& who = req.caller();
  billing::Change change{
      .id = {},
      .kind = *amount >= 0 ? billing::EntryKind::credit : billing::EntryKind::debit,
      .amount = core::Micros(*amount),
      .reason = *reason,
      .actor_id = who.user_id,
      .actor_email = who.email,
      .pod_id = {}};
  billing::Entry entry;
  if (mode == "set") {
    entry = co_await ledger_.set_balance(user.id, core::Micros(*amount), std::move(change));
  } else {
    entry = co_await ledger_.apply(user.id, std::move(change));
  }
  audit::Entry log_entry{.action = "user.balance_changed",
                         .actor = audit::actor_of(req),
                         .subject_user_id = user.id.to_string(),
                         .details = billing::to_json(entry)};
  co_await audit_.record(std::move(log_entry));
  bus_.publish(core::Event{
      "balance.changed",
      user.id.to_string(),
      {{"user_id", user.id.to_string()}, {"balance_micros", entry.balance_after.value()}}});
  auto updated = co_await users_.find_by_id(user.id);
  co_return http::Response::json(200, {{"user", users::to_json(updated.value_or(user))},
                                       {"transaction", billing::to_json(entry)}});
}

boost::asio::awaitable<http::Response> UserAdminRoutes::role(http::Request& req) {
  const auto& body = req.json_object();
  core::Fields f(body);
  const auto r = f.string("role", true, 5, 6).value_or("");
  if (!r.empty() && r != "admin" && r != "client") {
    f.fail("role", "must be admin or client");
  }
  f.throw_if_any();
  auto user = co_await existing(req);
  const auto& who = req.caller();
  if (user.id.to_string() == who.user_id && r != "admin") {
    throw core::Conflict("You cannot remove your own administrator role");
  }
  co_await users_.set_role(user.id, r == "admin" ? users::Role::admin : users::Role::client);
  auth_.forget_user(user.id.to_string());
  audit::Entry entry{.action = "user.role_changed",
                     .actor = audit::actor_of(req),
                     .subject_user_id = user.id.to_string(),
                     .details = {{"from", users::to_string(user.role)}, {"to", r}}};
  co_await audit_.record(std::move(entry));
  auto updated = co_await users_.find_by_id(user.id);
  co_return http::Response::json(200, {{"user", users::to_json(updated.value_or(user))}});
}

}  // namespace neuropod::admin
