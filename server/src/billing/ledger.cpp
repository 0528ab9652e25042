#include "billing/ledger.hpp"

#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/errors.hpp"
#include "core/ids.hpp"
#include "core/logging.hpp"
#include "db/schema.hpp"

namespace neuropod::billing {

namespace {

constexpr int kMaxAttempts = 8;
// An unapplied entry younger than this belongs to a writer that is still working: wait for it.
// Older ones are from a writer that died between its two writes: finish them. Only one writer
// ever applies an entry while it lives, so FerretDB's non-atomic updates cannot apply it twice.
constexpr auto kStaleAfter = std::chrono::seconds(10);
constexpr auto kWaitStep = std::chrono::milliseconds(5);

// Thrown inside a worker when another live writer holds the user's next entry.
struct WriterBusy {};

db::Doc id_filter(const std::string& id) {
  db::Doc f;
  f.append("_id", id);
  return f;
}

db::Doc user_filter(const db::Oid& id) {
  db::Doc f;
  f.append("_id", id);
  return f;
}

EntryKind kind_from(std::string_view s) {
  for (auto k : {EntryKind::initial, EntryKind::credit, EntryKind::debit, EntryKind::set,
                 EntryKind::charge}) {
    if (to_string(k) == s) {
      return k;
    }
  }
  return EntryKind::credit;
}

Entry from_doc(const db::Doc& d) {
  Entry e;
  e.id = d.get_string("_id").value_or("");
  e.user_id = d.get_oid("user_id").value_or(db::Oid{});
  e.seq = d.get_int64("seq").value_or(0);
  e.kind = kind_from(d.get_string("kind").value_or(""));
  e.amount = core::Micros(d.get_int64("amount_micros").value_or(0));
  e.balance_after = core::Micros(d.get_int64("balance_after_micros").value_or(0));
  e.reason = d.get_string("reason").value_or("");
  e.actor_id = d.get_string("actor_id").value_or("");
  e.actor_email = d.get_string("actor_email").value_or("");
  e.pod_id = d.get_string("pod_id").value_or("");
  e.ts = d.get_time("ts").value_or(core::TimePoint{});
  e.applied = d.get_bool("applied").value_or(false);
  return e;
}

db::Doc to_doc(const Entry& e) {
  db::Doc d;
  d.append("_id", e.id)
      .append("user_id", e.user_id)
      .append("seq", e.seq)
      .append("kind", to_string(e.kind))
      .append("amount_micros", e.amount.value())
      .append("balance_after_micros", e.balance_after.value())
      .append("reason", e.reason)
      .append("actor_id", e.actor_id)
      .append("actor_email", e.actor_email)
      .append("pod_id", e.pod_id)
      .append("ts", e.ts)
      .append("applied", e.applied);
  return d;
}

struct UserLedgerState {
  core::Micros balance;
  std::int64_t seq = 0;
};

std::optional<UserLedgerState> read_user(db::Conn& c, const db::Oid& user) {
  auto doc = c.collection(db::collections::kUser).find_one(user_filter(user));
  if (!doc) {
    return std::nullopt;
  }
  return UserLedgerState{core::Micros(doc->get_int64("balance_micros").value_or(0)),
                         doc->get_int64("ledger_seq").value_or(0)};
}

void mark_applied(db::Conn& c, const std::string& id) {
  db::Doc set;
  set.append("applied", true);
  db::Doc change;
  change.append("$set", set);
  c.collection(db::collections::kTransaccion).update_one(id_filter(id), change);
}

// Steps 2 and 3 for an entry that is recorded. Safe to repeat.
void finish(db::Conn& c, Entry& e, core::TimePoint now) {
  auto state = read_user(c, e.user_id);
  if (!state) {
    throw core::NotFound("User");
  }
  if (state->seq == e.seq - 1) {
    db::Doc filter = user_filter(e.user_id);
    filter.append("ledger_seq", state->seq);
    db::Doc inc;
    inc.append("balance_micros", e.amount.value());
    db::Doc set;
    set.append("ledger_seq", e.seq).append("updated_at", now);
    db::Doc change;
    change.append("$inc", inc).append("$set", set);
    if (c.collection(db::collections::kUser).update_one(filter, change).matched == 0) {
      // Someone finished it meanwhile (recovery of a slow writer): fine if it is applied now.
      auto again = read_user(c, e.user_id);
      if (!again || again->seq < e.seq) {
        throw core::Conflict("The balance changed meanwhile, try again");
      }
    }
  } else if (state->seq < e.seq - 1) {
    log::error("billing.ledger_gap", {{"user_id", e.user_id.to_string()},
                                      {"entry", e.id},
                                      {"entry_seq", e.seq},
                                      {"user_seq", state->seq}});
    throw core::Error(core::ErrorCode::internal, "ledger sequence gap for a user");
  }
  mark_applied(c, e.id);
  e.applied = true;
}

// Finishes this user's unapplied entries, oldest first. Throws WriterBusy when one is fresh.
void finish_pending(db::Conn& c, const db::Oid& user, core::TimePoint now) {
  db::Doc filter;
  filter.append("user_id", user).append("applied", false);
  db::FindOptions options;
  db::Doc sort;
  sort.append("seq", std::int32_t{1});
  options.sort = sort;
  for (const auto& d : c.collection(db::collections::kTransaccion).find(filter, options)) {
    auto e = from_doc(d);
    if (now - e.ts < kStaleAfter) {
      throw WriterBusy{};
    }
    finish(c, e, now);
  }
}

// Runs `step` until no other live writer is in the way (bounded by kStaleAfter plus a margin).
template <typename Step>
auto patiently(Step&& step) {
  const auto deadline = std::chrono::steady_clock::now() + kStaleAfter + std::chrono::seconds(2);
  for (;;) {
    try {
      return step();
    } catch (const WriterBusy&) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw core::Conflict("The balance is being changed elsewhere, try again");
      }
      std::this_thread::sleep_for(kWaitStep);
    }
  }
}

}  // namespace

std::string_view to_string(EntryKind kind) {
  switch (kind) {
    case EntryKind::initial: return "initial";
    case EntryKind::credit: return "credit";
    case EntryKind::debit: return "debit";
    case EntryKind::set: return "set";
    case EntryKind::charge: return "charge";
  }
  return "credit";
}

nlohmann::json to_json(const Entry& e) {
  nlohmann::json j = {{"id", e.id},
                      {"user_id", e.user_id.to_string()},
                      {"seq", e.seq},
                      {"kind", to_string(e.kind)},
                      {"amount_micros", e.amount.value()},
                      {"balance_after_micros", e.balance_after.value()},
                      {"reason", e.reason},
                      {"actor_email", e.actor_email},
                      {"ts", core::to_iso8601(e.ts)}};
  j["pod_id"] = e.pod_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.pod_id);
  return j;
}

struct Ledger::Impl {
  Impl(db::Database& d, const core::Clock& c) : db(d), clock(c) {}
  db::Database& db;
  const core::Clock& clock;
  std::mutex locks_mu;
  std::unordered_map<std::string, std::shared_ptr<std::mutex>> locks;

  std::shared_ptr<std::mutex> lock_for(const db::Oid& user) {
    std::lock_guard g(locks_mu);
    auto& m = locks[user.to_string()];
    if (!m) {
      m = std::make_shared<std::mutex>();
    }
    return m;
  }

  // Runs on a database worker thread, holding the user's lock.
  Entry apply_locked(db::Conn& c, const db::Oid& user, Change change,
                     std::optional<core::Micros> target) {
    return patiently([&] { return apply_once(c, user, change, target); });
  }

  Entry apply_once(db::Conn& c, const db::Oid& user, Change& change,
                   std::optional<core::Micros> target) {
    const auto now = clock.now();
    auto txs = c.collection(db::collections::kTransaccion);
    if (!change.id.empty()) {
      if (auto existing = txs.find_one(id_filter(change.id))) {
        auto e = from_doc(*existing);
        if (!e.applied) {
          finish_pending(c, user, now);  // WriterBusy while its writer still works
          e.applied = true;
        }
        return e;
      }
    } else {
      change.id = "tx_" + core::random_hex(12);
    }
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      finish_pending(c, user, now);
      auto state = read_user(c, user);
      if (!state) {
        throw core::NotFound("User");
      }
      Entry e;
      e.id = change.id;
      e.user_id = user;
      e.seq = state->seq + 1;
      e.kind = change.kind;
      e.amount = target ? *target - state->balance : change.amount;
      e.balance_after = state->balance + e.amount;
      e.reason = change.reason;
      e.actor_id = change.actor_id;
      e.actor_email = change.actor_email;
      e.pod_id = change.pod_id;
      e.ts = now;
      try {
        txs.insert_one(to_doc(e));
      } catch (const db::DuplicateKey&) {
        if (auto existing = txs.find_one(id_filter(change.id))) {  // same id: another writer
          auto other = from_doc(*existing);
          if (!other.applied) {
            throw WriterBusy{};  // let its writer finish, then return it
          }
          return other;
        }
        continue;  // another writer took this sequence number: read again
      }
      finish(c, e, now);
      return e;
    }
    throw core::Conflict("The balance is changing too often, try again");
  }
};

Ledger::Ledger(db::Database& db, const core::Clock& clock)
    : impl_(std::make_unique<Impl>(db, clock)) {}

Ledger::~Ledger() = default;

// The closures passed to db.run capture only pointers and references: a closure with a
// non-trivial member (a shared_ptr) inside a co_await expression is destroyed twice by g++ 12.
// `lock` keeps the mutex alive in the coroutine frame.
boost::asio::awaitable<Entry> Ledger::apply(db::Oid user_id, Change change) {
  const auto lock = impl_->lock_for(user_id);
  std::mutex* mu = lock.get();
  Impl* impl = impl_.get();
  co_return co_await impl_->db.run([impl, mu, &user_id, &change](db::Conn& c) {
    std::lock_guard g(*mu);
    return impl->apply_locked(c, user_id, std::move(change), std::nullopt);
  });
}

boost::asio::awaitable<Entry> Ledger::set_balance(db::Oid user_id, core::Micros target,
                                                  Change change) {
  const auto lock = impl_->lock_for(user_id);
  std::mutex* mu = lock.get();
  Impl* impl = impl_.get();
  change.kind = EntryKind::set;
  co_return co_await impl_->db.run([impl, mu, &user_id, &change, target](db::Conn& c) {
    std::lock_guard g(*mu);
    return impl->apply_locked(c, user_id, std::move(change), target);
  });
}

boost::asio::awaitable<Ledger::Page> Ledger::list(db::Oid user_id, std::int64_t limit,
                                                  std::optional<std::int64_t> before_seq) {
  db::Doc filter;
  filter.append("user_id", user_id);
  if (before_seq) {
    db::Doc lt;
    lt.append("$lt", *before_seq);
    filter.append("seq", lt);
  }
  db::FindOptions options;
  db::Doc sort;
  sort.append("seq", std::int32_t{-1});
  options.sort = sort;
  options.limit = limit + 1;
  auto docs = co_await impl_->db.run([&filter, &options](db::Conn& c) {
    return c.collection(db::collections::kTransaccion).find(filter, options);
  });
  Page page;
  for (const auto& d : docs) {
    if (static_cast<std::int64_t>(page.items.size()) == limit) {
      page.next_before_seq = page.items.back().seq;
      break;
    }
    page.items.push_back(from_doc(d));
  }
  co_return page;
}

boost::asio::awaitable<std::int64_t> Ledger::recover() {
  db::Doc filter;
  filter.append("applied", false);
  auto pending = co_await impl_->db.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kTransaccion).find(filter); });
  std::int64_t finished = 0;
  for (const auto& d : pending) {
    auto e = from_doc(d);
    const auto lock = impl_->lock_for(e.user_id);
    std::mutex* mu = lock.get();
    Impl* impl = impl_.get();
    co_await impl_->db.run([impl, mu, &e](db::Conn& c) {
      std::lock_guard g(*mu);
      try {
        finish_pending(c, e.user_id, impl->clock.now());
      } catch (const WriterBusy&) {
        // A live writer: the periodic recovery looks again later.
      }
    });
    ++finished;
  }
  if (finished > 0) {
    log::warn("billing.ledger_recovered", {{"entries", finished}});
  }
  co_return finished;
}

}  // namespace neuropod::billing
