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
  u.ledger_seq = doc.get_int64("ledger_seq").value_or(0);
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
  // The initial credit is a ledger entry (billing::Ledger), written right after creation.
  u.balance = core::Micros(0);
  u.created_at = u.updated_at = clock_.now();

  db::Doc doc;
  doc.append("_id", u.id)
      .append("google_id", u.google_id)
      .append("email", u.email)
      .append("name", u.name)
      .append("avatar_url", u.avatar_url)
      .append("role", to_string(u.role))
      .append("balance_micros", u.balance.value())
      .append("ledger_seq", std::int64_t{0})
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

boost::asio::awaitable<bool> UserStore::set_role(db::Oid id, Role role) {
  db::Doc filter;
  filter.append("_id", id);
  db::Doc set;
  set.append("role", to_string(role)).append("updated_at", clock_.now());
  db::Doc change;
  change.append("$set", set);
  const auto result = co_await db_.run([&filter, &change](db::Conn& c) {
    return c.collection(db::collections::kUser).update_one(filter, change);
  });
  co_return result.matched > 0;
}

namespace {

std::string regex_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view(R"(\^$.|?*+()[]{}-/)").find(c) != std::string_view::npos) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

std::string sort_field(const std::string& sort) {
  if (sort == "created_at" || sort == "email" || sort == "name") {
    return sort;
  }
  if (sort == "balance") {
    return "balance_micros";
  }
  throw core::ValidationError("sort", "must be one of created_at, email, name, balance");
}

void append_value(db::Doc& d, std::string_view key, const std::string& field,
                  const nlohmann::json& v) {
  if (field == "created_at") {
    d.append(key, core::from_unix_millis(v.get<std::int64_t>()));
  } else if (field == "balance_micros") {
    d.append(key, v.get<std::int64_t>());
  } else {
    d.append(key, v.get<std::string>());
  }
}

nlohmann::json sort_value(const User& u, const std::string& field) {
  if (field == "created_at") {
    return core::to_unix_millis(u.created_at);
  }
  if (field == "balance_micros") {
    return u.balance.value();
  }
  return field == "email" ? u.email : u.name;
}

}  // namespace

boost::asio::awaitable<UserStore::Page> UserStore::list(ListQuery q) {
  const auto field = sort_field(q.sort);
  const char* cmp = q.descending ? "$lt" : "$gt";
  db::Array clauses;
  if (!q.search.empty()) {
    db::Array any;
    for (const char* key : {"email", "name"}) {
      db::Doc rx;
      rx.append("$regex", regex_escape(q.search)).append("$options", "i");
      db::Doc clause;
      clause.append(key, rx);
      any.push(clause);
    }
    db::Doc clause;
    clause.append("$or", any);
    clauses.push(clause);
  }
  if (q.role) {
    db::Doc clause;
    clause.append("role", to_string(*q.role));
    clauses.push(clause);
  }
  if (q.blocked) {
    db::Doc clause;
    clause.append("blocked", *q.blocked);
    clauses.push(clause);
  }
  // Every user the filters match, whatever the page (the listing's total).
  db::Doc count_filter;
  if (clauses.size() > 0) {
    count_filter.append("$and", clauses);
  }
  if (!q.cursor.empty()) {
    auto decoded = nlohmann::json::parse(q.cursor, nullptr, false);
    const bool ok =
        decoded.is_object() && decoded.contains("v") && decoded.contains("id") &&
        decoded["id"].is_string() && db::Oid::parse(decoded["id"].get<std::string>()) &&
        decoded.value("f", "") == field &&
        ((field == "created_at" || field == "balance_micros") ? decoded["v"].is_number_integer()
                                                              : decoded["v"].is_string());
    if (!ok) {
      throw core::ValidationError("cursor", "is not a cursor from this listing");
    }
    const auto last_id = *db::Oid::parse(decoded["id"].get<std::string>());
    db::Doc beyond;
    append_value(beyond, cmp, field, decoded["v"]);
    db::Doc strictly;
    strictly.append(field, beyond);
    db::Doc id_beyond;
    id_beyond.append(cmp, last_id);
    db::Doc tie;
    append_value(tie, field, field, decoded["v"]);
    tie.append("_id", id_beyond);
    db::Array either;
    either.push(strictly).push(tie);
    db::Doc clause;
    clause.append("$or", either);
    clauses.push(clause);
  }
  db::Doc filter;
  if (clauses.size() > 0) {
    filter.append("$and", clauses);
  }
  db::FindOptions options;
  db::Doc sort;
  const std::int32_t dir = q.descending ? -1 : 1;
  sort.append(field, dir).append("_id", dir);
  options.sort = sort;
  options.limit = q.limit + 1;
  auto docs = co_await db_.run([&filter, &options](db::Conn& c) {
    return c.collection(db::collections::kUser).find(filter, options);
  });
  Page page;
  page.total = co_await db_.run([&count_filter](db::Conn& c) {
    return c.collection(db::collections::kUser).count(count_filter);
  });
  for (const auto& d : docs) {
    if (static_cast<std::int64_t>(page.items.size()) == q.limit) {
      const auto& last = page.items.back();
      page.next_cursor =
          nlohmann::json{{"f", field}, {"v", sort_value(last, field)}, {"id", last.id.to_string()}}
              .dump();
      break;
    }
    page.items.push_back(from_doc(d));
  }
  co_return page;
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
