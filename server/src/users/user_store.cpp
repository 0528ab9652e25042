#include "users/user_store.hpp"

#include <algorithm>

#include "core/errors.hpp"
#include "db/schema.hpp"

namespace neuropod::users {

std::string_view to_string(Role role) {
  return role == Role::admin ? "admin" : "client";
}

std::string normalize_email(std::string_view email) {
  const auto b = email.find_first_not_of(" \t\r\n");
  const auto e = email.find_last_not_of(" \t\r\n");
  std::string out =
      b == std::string_view::npos ? std::string() : std::string(email.substr(b, e - b + 1));
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto at = out.find('@');
  const bool ok = out.size() <= 254 && at != std::string::npos && at > 0 && at + 1 < out.size() &&
                  out.find('@', at + 1) == std::string::npos &&
                  out.find_first_of(" \t\r\n<>()[]\\,;:\"") == std::string::npos;
  if (!ok) {
    throw core::ValidationError("email", "is not a valid email address");
  }
  return out;
}

User UserStore::from_doc(const db::Doc& doc) {
  User u;
  u.id = doc.get_oid("_id").value_or(db::Oid{});
  u.google_id = doc.get_string("google_id").value_or("");
  u.email = doc.get_string("email").value_or("");
  u.name = doc.get_string("name").value_or("");
  u.avatar_url = doc.get_string("avatar_url").value_or("");
  u.role = doc.get_string("role").value_or("client") == "admin" ? Role::admin : Role::client;
  u.balance = core::Micros(doc.get_int64("balance_micros").value_or(0));
  u.blocked = doc.get_bool("blocked").value_or(false);
  u.created_at = doc.get_time("created_at").value_or(core::TimePoint{});
  u.updated_at = doc.get_time("updated_at").value_or(core::TimePoint{});
  return u;
}

boost::asio::awaitable<User> UserStore::create(NewUser in) {
  User u;
  u.id = db::Oid::generate();
  u.email = normalize_email(in.email);
  u.google_id = in.google_id.empty() ? "email:" + u.email : std::move(in.google_id);
  u.name = std::move(in.name);
  u.avatar_url = std::move(in.avatar_url);
  u.role = in.role;
  u.balance = in.role == Role::client ? initial_balance_ : core::Micros(0);
  u.created_at = u.updated_at = clock_.now();

  db::Doc doc;
  doc.append("_id", u.id)
      .append("google_id", u.google_id)
      .append("email", u.email)
      .append("name", u.name)
      .append("avatar_url", u.avatar_url)
      .append("role", to_string(u.role))
      .append("balance_micros", u.balance.value())
      .append("blocked", u.blocked)
      .append("created_at", u.created_at)
      .append("updated_at", u.updated_at);
  try {
    co_await db_.run([&doc](db::Conn& c) { c.collection(db::collections::kUser).insert_one(doc); });
  } catch (const db::DuplicateKey&) {
    throw EmailTaken(u.email);
  }
  co_return u;
}

boost::asio::awaitable<std::optional<User>> UserStore::find_by_id(db::Oid id) {
  db::Doc filter;
  filter.append("_id", id);
  auto doc = co_await db_.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kUser).find_one(filter); });
  if (!doc) {
    co_return std::nullopt;
  }
  co_return from_doc(*doc);
}

boost::asio::awaitable<std::optional<User>> UserStore::find_by_email(std::string email) {
  db::Doc filter;
  filter.append("email", normalize_email(email));
  auto doc = co_await db_.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kUser).find_one(filter); });
  if (!doc) {
    co_return std::nullopt;
  }
  co_return from_doc(*doc);
}

boost::asio::awaitable<std::optional<User>> UserStore::find_by_google_id(std::string google_id) {
  db::Doc filter;
  filter.append("google_id", google_id);
  auto doc = co_await db_.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kUser).find_one(filter); });
  if (!doc) {
    co_return std::nullopt;
  }
  co_return from_doc(*doc);
}

boost::asio::awaitable<std::optional<User>> UserStore::update_profile(db::Oid id,
                                                                      ProfileUpdate update) {
  db::Doc filter;
  filter.append("_id", id);
  db::Doc set;
  set.append("google_id", update.google_id)
      .append("email", normalize_email(update.email))
      .append("name", update.name)
      .append("avatar_url", update.avatar_url)
      .append("updated_at", clock_.now());
  if (update.promote_to_admin) {
    set.append("role", to_string(Role::admin));
  }
  db::Doc change;
  change.append("$set", set);
  try {
    const auto result = co_await db_.run([&filter, &change](db::Conn& c) {
      return c.collection(db::collections::kUser).update_one(filter, change);
    });
    if (result.matched == 0) {
      co_return std::nullopt;
    }
  } catch (const db::DuplicateKey&) {
    throw EmailTaken(update.email);
  }
  co_return co_await find_by_id(id);
}

boost::asio::awaitable<bool> UserStore::set_blocked(db::Oid id, bool blocked) {
  db::Doc filter;
  filter.append("_id", id);
  db::Doc set;
  set.append("blocked", blocked).append("updated_at", clock_.now());
  db::Doc change;
  change.append("$set", set);
  const auto result = co_await db_.run([&filter, &change](db::Conn& c) {
    return c.collection(db::collections::kUser).update_one(filter, change);
  });
  co_return result.matched > 0;
}

nlohmann::json to_json(const User& u) {
  nlohmann::json j = {{"id", u.id.to_string()},
                      {"email", u.email},
                      {"name", u.name},
                      {"avatar_url", u.avatar_url},
                      {"role", to_string(u.role)},
                      {"blocked", u.blocked},
                      {"unlimited", u.role == Role::admin},
                      {"created_at", core::to_iso8601(u.created_at)}};
  if (u.role == Role::admin) {
    j["balance_micros"] = nullptr;  // never limited by balance (the UI shows infinity)
  } else {
    j["balance_micros"] = u.balance.value();
  }
  return j;
}

}  // namespace neuropod::users
